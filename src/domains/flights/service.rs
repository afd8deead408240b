//! The flights domain's interface to other domains: the logbook facts the compliance rules read
//! (scheduling's dispatch, certificates, charter crew assignment) and the draft flight a
//! booking's check-in makes. Other domains import only this module.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::records;
use super::records::dto::{CrewMember, CrewRole, FlightMinutes};
use super::records::fields::FlightFields;
use crate::audit::Actor;
use crate::compliance::currency::Entry;
use crate::error::Result;
use crate::kernel::{AircraftId, BookingId, UserId};
use crate::tenancy::TenantTx;
use crate::timezone::TenantClock;
use sqlx::PgConnection;

#[derive(sqlx::FromRow)]
struct CurrencyRow {
    date: NaiveDate,
    category: Option<String>,
    class: Option<String>,
    type_code: Option<String>,
    tailwheel: bool,
    day_landings: i32,
    day_full_stop_landings: i32,
    night_full_stop_landings: i32,
    approaches: i32,
    holds: i32,
    intercept_track: bool,
    ipc: bool,
    flight_review: bool,
}

/// Every logbook entry of `person` dated on or after `since`, reduced to what currency rules read.
///
/// An entry flown only in a training device (simulator time, no flight time) has no category
/// or class (`compliance::currency::Entry`'s convention for a device).
pub async fn currency_entries(
    conn: &mut PgConnection,
    person: UserId,
    since: NaiveDate,
) -> Result<Vec<Entry>> {
    let rows: Vec<CurrencyRow> = sqlx::query_as(
        "select date,
                case when total_minutes = 0 and simulator_minutes > 0 then null else category end as category,
                case when total_minutes = 0 and simulator_minutes > 0 then null else class end as class,
                type_code, tailwheel, day_landings, day_full_stop_landings,
                night_full_stop_landings, approaches, holds, intercept_track, ipc, flight_review
           from logbook_entries where person_id = $1 and date >= $2
          order by date desc, id desc",
    )
    .bind(person)
    .bind(since)
    .fetch_all(conn)
    .await?;
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            date: r.date,
            category: r.category,
            class: r.class,
            type_code: r.type_code,
            tailwheel: r.tailwheel,
            day_landings: count(r.day_landings),
            day_full_stop_landings: count(r.day_full_stop_landings),
            night_full_stop_landings: count(r.night_full_stop_landings),
            approaches: count(r.approaches),
            holds: count(r.holds),
            intercept_track: r.intercept_track,
            ipc: r.ipc,
            flight_review: r.flight_review,
        })
        .collect())
}

/// The date of `person`'s last entry with flight time in type `type_code` (an ICAO designator),
/// for aircraft checkout recency; `None` when they never flew it.
pub async fn last_flown(
    conn: &mut PgConnection,
    person: UserId,
    type_code: &str,
) -> Result<Option<NaiveDate>> {
    let last: Option<NaiveDate> = sqlx::query_scalar(
        "select max(date) from logbook_entries
          where person_id = $1 and type_code = $2 and total_minutes > 0",
    )
    .bind(person)
    .bind(type_code.trim().to_ascii_uppercase())
    .fetch_one(conn)
    .await?;
    Ok(last)
}

/// The feature flag of this domain (scheduling asks it before making a draft at check-in).
pub const FLAG: &str = "flights";

/// What a checked-in booking holds about the flight flown under it.
#[derive(Debug, Clone)]
pub struct BookingFlown {
    pub booking_id: BookingId,
    pub aircraft_id: AircraftId,
    pub pilot_id: Option<UserId>,
    pub instructor_id: Option<UserId>,
    /// The booking's kind: `dual`, `solo`, `rental`, `checkride`, ...
    pub kind: String,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub hobbs_out_tenths: Option<i64>,
    pub hobbs_in_tenths: Option<i64>,
    pub tach_out_tenths: Option<i64>,
    pub tach_in_tenths: Option<i64>,
}

/// Makes the draft flight of a checked-in booking, in the caller's transaction, and returns its
/// id; idempotent on the booking (a second call returns the first draft). Crew: the instructor
/// as `instructor`; the pilot as `student` when there is an instructor or the booking is
/// `dual` or `solo`, else as `pic`. Block out and in are the check-out and check-in times;
/// the date is the check-out's local date. Audited as `flight.created`.
pub async fn draft_from_booking(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    b: &BookingFlown,
) -> Result<Uuid> {
    if let Some(id) = records::repo::by_booking(tx, b.booking_id).await? {
        return Ok(id);
    }
    let clock = TenantClock::load(tx).await?;
    let mut crew = Vec::new();
    if let Some(i) = b.instructor_id {
        crew.push(CrewMember {
            person_id: i,
            role: CrewRole::Instructor,
        });
    }
    if let Some(p) = b.pilot_id.filter(|p| Some(*p) != b.instructor_id) {
        let student = b.instructor_id.is_some() || matches!(b.kind.as_str(), "dual" | "solo");
        crew.push(CrewMember {
            person_id: p,
            role: if student { CrewRole::Student } else { CrewRole::Pic },
        });
    }
    let at = b.checked_out_at.or(b.checked_in_at).unwrap_or_else(Utc::now);
    let f = FlightFields {
        aircraft_id: b.aircraft_id,
        date: clock.date_of(at),
        departure: None,
        destination: None,
        stops: Vec::new(),
        out_at: b.checked_out_at,
        off_at: None,
        on_at: None,
        // Out and in at most 48 hours apart (a flight's rule); a longer booking keeps out only.
        in_at: b.checked_in_at.filter(|i| {
            b.checked_out_at
                .is_none_or(|o| o <= *i && *i - o < chrono::TimeDelta::hours(48))
        }),
        hobbs_out: b.hobbs_out_tenths,
        hobbs_in: b.hobbs_in_tenths,
        tach_out: b.tach_out_tenths,
        tach_in: b.tach_in_tenths,
        day_landings: 0,
        day_full_stop_landings: 0,
        night_full_stop_landings: 0,
        approaches: Vec::new(),
        holds: 0,
        intercept_track: false,
        minutes: FlightMinutes::default(),
        fuel_uplift: None,
        remarks: None,
        crew,
    };
    let by = actor.id.map(UserId);
    let flight = records::repo::save(tx, Uuid::now_v7(), Some(b.booking_id), &f, by).await?;
    crate::audit::created(tx, actor, "flight.created", "flight", flight.id, &flight).await?;
    Ok(flight.id)
}
