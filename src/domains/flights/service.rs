//! The flights domain's interface to other domains: the logbook facts the compliance rules read
//! (scheduling's dispatch, certificates, charter crew assignment). Other domains import only
//! this module.

use chrono::NaiveDate;

use crate::compliance::currency::Entry;
use crate::error::Result;
use crate::kernel::UserId;
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
