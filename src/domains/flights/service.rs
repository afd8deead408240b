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

/// [`currency_entries`] as a `FROM` item, for a caller that loads them with other facts in one
/// statement: `lateral (...) alias` giving one row of parallel arrays (one element per entry of
/// the person in SQL expression `person` dated on or after SQL date expression `since`), read by
/// [`CurrencyColumns`] (`#[sqlx(flatten)]`). Arrays, not a jsonb document: PostgreSQL builds
/// and sends them several times faster for thousands of entries.
pub fn currency_lateral_sql(person: &str, since: &str, alias: &str) -> String {
    format!(
        "lateral (select array_agg(date) as e_date,
             array_agg(case when total_minutes = 0 and simulator_minutes > 0 then null else category end) as e_category,
             array_agg(case when total_minutes = 0 and simulator_minutes > 0 then null else class end) as e_class,
             array_agg(type_code) as e_type_code, array_agg(tailwheel) as e_tailwheel,
             array_agg(day_landings) as e_day_landings,
             array_agg(day_full_stop_landings) as e_day_full_stop_landings,
             array_agg(night_full_stop_landings) as e_night_full_stop_landings,
             array_agg(approaches) as e_approaches, array_agg(holds) as e_holds,
             array_agg(intercept_track) as e_intercept_track, array_agg(ipc) as e_ipc,
             array_agg(flight_review) as e_flight_review
           from logbook_entries where person_id = {person} and date >= {since}) {alias}"
    )
}

/// The columns of [`currency_lateral_sql`] (each null when there are no entries).
#[derive(sqlx::FromRow, Debug, Default)]
pub struct CurrencyColumns {
    e_date: Option<Vec<NaiveDate>>,
    e_category: Option<Vec<Option<String>>>,
    e_class: Option<Vec<Option<String>>>,
    e_type_code: Option<Vec<Option<String>>>,
    e_tailwheel: Option<Vec<bool>>,
    e_day_landings: Option<Vec<i32>>,
    e_day_full_stop_landings: Option<Vec<i32>>,
    e_night_full_stop_landings: Option<Vec<i32>>,
    e_approaches: Option<Vec<i32>>,
    e_holds: Option<Vec<i32>>,
    e_intercept_track: Option<Vec<bool>>,
    e_ipc: Option<Vec<bool>>,
    e_flight_review: Option<Vec<bool>>,
}

impl CurrencyColumns {
    /// The entries, in the arrays' order.
    pub fn entries(self) -> Vec<Entry> {
        let dates = self.e_date.unwrap_or_default();
        let n = dates.len();
        let text = |v: Option<Vec<Option<String>>>| v.unwrap_or_else(|| vec![None; n]);
        let (category, class, type_code) = (
            text(self.e_category),
            text(self.e_class),
            text(self.e_type_code),
        );
        let int = |v: Option<Vec<i32>>| v.unwrap_or_else(|| vec![0; n]);
        let flag = |v: Option<Vec<bool>>| v.unwrap_or_else(|| vec![false; n]);
        let (tailwheel, intercept, ipc, review) = (
            flag(self.e_tailwheel),
            flag(self.e_intercept_track),
            flag(self.e_ipc),
            flag(self.e_flight_review),
        );
        let (day, day_full, night_full, approaches, holds) = (
            int(self.e_day_landings),
            int(self.e_day_full_stop_landings),
            int(self.e_night_full_stop_landings),
            int(self.e_approaches),
            int(self.e_holds),
        );
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        dates
            .into_iter()
            .enumerate()
            .map(|(i, date)| Entry {
                date,
                category: category.get(i).cloned().flatten(),
                class: class.get(i).cloned().flatten(),
                type_code: type_code.get(i).cloned().flatten(),
                tailwheel: tailwheel.get(i).copied().unwrap_or(false),
                day_landings: day.get(i).copied().map_or(0, count),
                day_full_stop_landings: day_full.get(i).copied().map_or(0, count),
                night_full_stop_landings: night_full.get(i).copied().map_or(0, count),
                approaches: approaches.get(i).copied().map_or(0, count),
                holds: holds.get(i).copied().map_or(0, count),
                intercept_track: intercept.get(i).copied().unwrap_or(false),
                ipc: ipc.get(i).copied().unwrap_or(false),
                flight_review: review.get(i).copied().unwrap_or(false),
            })
            .collect()
    }
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
            role: if student {
                CrewRole::Student
            } else {
                CrewRole::Pic
            },
        });
    }
    let at = b
        .checked_out_at
        .or(b.checked_in_at)
        .unwrap_or_else(Utc::now);
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

/// Marks the flight of `booking` invoiced by `invoice` (or, with `None`, no longer: the invoice
/// was voided), in the caller's transaction: while marked, the flight neither changes nor is
/// corrected (`409 flight-invoiced`). Returns how many flights it marked (0 or 1).
pub async fn mark_invoiced(
    conn: &mut sqlx::PgConnection,
    booking: BookingId,
    invoice: Option<uuid::Uuid>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update flights set invoiced_at = case when $2::uuid is null then null else now() end,
             invoice_id = $2, version = version + 1
         where booking_id = $1 and invoice_id is distinct from $2",
    )
    .bind(booking)
    .bind(invoice)
    .execute(conn)
    .await?
    .rows_affected())
}
