//! The certificates domain's interface to other domains: ask the compliance engine about a
//! person (scheduling's dispatch rules; later charter crew assignment and FBO dispatch).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

pub use crate::compliance::assess::{Answer, FlightRules, Role};
pub use crate::compliance::medical::FaaPrivileges;
pub use crate::compliance::{Finding, State};

use super::facts;
use crate::compliance::assess::{self, Question};
use crate::compliance::currency::Aircraft;
use crate::error::Result;
use crate::kernel::UserId;
use crate::kernel::units::wire;

/// What a caller asks about, besides the person and the aircraft.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    pub role: Role,
    /// The moment of the flight; its local date in the organisation's time zone counts.
    pub at: DateTime<Utc>,
    pub night: bool,
    pub rules: FlightRules,
    pub privileges: FaaPrivileges,
    pub warn_days: u32,
    /// Whether the school's checkout in the type is asked for.
    pub checkout: bool,
}

/// The aircraft as the engine sees it: category and class from the fleet record, the type
/// designator (endorsements and checkouts name it), a type rating required for turbojet and
/// turbofan aircraft or those tagged `type_rating` (14 CFR 61.31(a)), tailwheel when tagged
/// `tailwheel`.
pub struct AircraftFacts {
    pub aircraft: Aircraft,
    pub type_code: String,
}

/// [`AircraftFacts`] of a fleet aircraft's fields.
pub fn aircraft_facts(
    category: &impl poem_openapi::types::ToJSON,
    class: Option<&impl poem_openapi::types::ToJSON>,
    engine_type: &impl poem_openapi::types::ToJSON,
    type_designator: Option<&str>,
    model: &str,
    equipment: &[String],
) -> AircraftFacts {
    let type_code = type_designator.unwrap_or(model).to_owned();
    let jet = matches!(wire(engine_type).as_str(), "turbojet" | "turbofan");
    let tagged = |t: &str| equipment.iter().any(|e| e == t);
    AircraftFacts {
        aircraft: Aircraft {
            category: wire(category),
            class: class.map(wire).unwrap_or_default(),
            type_rating: (jet || tagged("type_rating")).then(|| type_code.clone()),
            tailwheel: tagged("tailwheel"),
        },
        type_code,
    }
}

/// May `person` act as `ask.role` in the aircraft at `ask.at`? Every requirement with its
/// state and evidence. Two statements: the person's certificates with the organisation's
/// authority and time zone, then their logbook.
pub async fn assess(
    conn: &mut PgConnection,
    person: UserId,
    aircraft: &AircraftFacts,
    ask: &Ask,
) -> Result<Answer> {
    let loaded = facts::load(conn, person, ask.at).await?;
    Ok(judge(&loaded, aircraft, ask))
}

/// The engine's answer over facts already loaded.
pub(super) fn judge(loaded: &facts::Loaded, aircraft: &AircraftFacts, ask: &Ask) -> Answer {
    let q = Question {
        role: ask.role,
        aircraft: aircraft.aircraft.clone(),
        type_code: aircraft.type_code.clone(),
        on: loaded.on,
        night: ask.night,
        rules: ask.rules,
        privileges: ask.privileges,
        warn_days: ask.warn_days,
        authority: loaded.authority,
        checkout: ask.checkout,
    };
    assess::assess(&loaded.person, &q)
}
