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
use crate::kernel::{AircraftId, UserId};

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

/// [`AircraftFacts`] of the fleet's jsonb object (`fleet::service::compliance_json_sql`).
pub(super) fn aircraft_from_json(v: &serde_json::Value) -> AircraftFacts {
    let text = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let equipment: Vec<String> = v
        .get("equipment")
        .and_then(|e| serde_json::from_value(e.clone()).ok())
        .unwrap_or_default();
    let type_code = text("type_designator")
        .or_else(|| text("model"))
        .unwrap_or_default();
    let jet = matches!(
        text("engine_type").as_deref(),
        Some("turbojet" | "turbofan")
    );
    let tagged = |t: &str| equipment.iter().any(|e| e == t);
    AircraftFacts {
        aircraft: Aircraft {
            category: text("category").unwrap_or_default(),
            class: text("class").unwrap_or_default(),
            type_rating: (jet || tagged("type_rating")).then(|| type_code.clone()),
            tailwheel: tagged("tailwheel"),
        },
        type_code,
    }
}

/// May `person` act as `ask.role` in `aircraft` at `ask.at`? Every requirement with its state
/// and evidence. One statement: the person's certificates, their logbook and the
/// organisation's authority and time zone.
pub async fn assess(
    conn: &mut PgConnection,
    person: UserId,
    aircraft: &AircraftFacts,
    ask: &Ask,
) -> Result<Answer> {
    let (loaded, _) = facts::load(conn, person, ask.at, None).await?;
    Ok(judge(&loaded, aircraft, ask))
}

/// [`assess`] for the fleet's aircraft `aircraft`, read in the same statement; `None` when
/// there is no such aircraft.
pub async fn assess_in(
    conn: &mut PgConnection,
    person: UserId,
    aircraft: AircraftId,
    ask: &Ask,
) -> Result<Option<Answer>> {
    let (loaded, a) = facts::load(conn, person, ask.at, Some(aircraft)).await?;
    Ok(a.map(|a| judge(&loaded, &aircraft_from_json(&a), ask)))
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
