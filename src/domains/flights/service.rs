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

/// `person`'s logbook from `since` on, reduced to what currency rules read: one [`Entry`] per day
/// and kind of aircraft (category, class, type, tailwheel), its counts the sums of that day's
/// entries, newest first. Read from `currency_days`, the summary the logbook's triggers keep
/// (tenant migration `202612061900_currency_days.sql`): every rule counts per day, so the
/// answers are those of the entries, from a third of the rows for a pilot flying three times a
/// day.
///
/// An entry flown only in a training device (simulator time, no flight time) has no category
/// or class (`compliance::currency::Entry`'s convention for a device).
pub async fn currency_entries(
    conn: &mut PgConnection,
    person: UserId,
    since: NaiveDate,
) -> Result<Vec<Entry>> {
    let rows: Vec<CurrencyRow> = sqlx::query_as(
        "select date, category, class, type_code, tailwheel, day_landings, day_full_stop_landings,
                night_full_stop_landings, approaches, holds, intercept_track > 0 as intercept_track,
                ipc > 0 as ipc, flight_review > 0 as flight_review
           from currency_days where person_id = $1 and date >= $2
          order by date desc, category, class, type_code, tailwheel",
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
/// statement: `lateral (...) alias` giving one column `e_packed`, the person's rows of
/// `currency_days` (person: SQL expression `person`; dated on or after SQL date expression
/// `since`) packed into one `bytea`, read by [`CurrencyColumns`] (`#[sqlx(flatten)]`). One value,
/// not an array per column: PostgreSQL sends each array element through its own send call and
/// buffer, which for a busy pilot's 25 months cost more than reading the rows
/// (docs/benchmarks.md). The packing is the table's generated column `packed` (tenant
/// migration `202612061900_currency_days.sql`), decoded by [`CurrencyColumns::entries`].
pub fn currency_lateral_sql(person: &str, since: &str, alias: &str) -> String {
    format!(
        "lateral (select string_agg(packed, ''::bytea) as e_packed
           from currency_days where person_id = {person} and date >= {since}) {alias}"
    )
}

/// The column of [`currency_lateral_sql`] (null when there are no entries).
#[derive(sqlx::FromRow, Debug, Default)]
pub struct CurrencyColumns {
    e_packed: Option<Vec<u8>>,
}

impl CurrencyColumns {
    /// The entries, in the order packed; an error when the bytes do not follow the layout of
    /// `currency_days.packed` (a migration changed one side only).
    pub fn entries(self) -> Result<Vec<Entry>> {
        decode_packed(self.e_packed.as_deref().unwrap_or_default()).ok_or_else(|| {
            crate::error::AppError::Internal(anyhow::anyhow!(
                "currency_days.packed does not decode"
            ))
        })
    }
}

/// The day 0 of `currency_days.packed`'s dates.
const PACKED_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("2000-01-01 is a date"),
};

/// Reads `currency_days.packed` records back to back: the day (int4 days since 2000-01-01),
/// eight int4 counts (day landings, day full stop, night full stop, approaches, holds, and the
/// counts of entries intercepting and tracking, with an IPC, with a flight review), a tailwheel
/// byte, then category, class and type code as int2 byte length (-1: null) and bytes; all
/// big-endian. `None` when the bytes end inside a record or a text is not UTF-8.
pub fn decode_packed(mut b: &[u8]) -> Option<Vec<Entry>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = b.split_at_checked(n)?;
        *b = rest;
        Some(head)
    }
    fn int(b: &mut &[u8]) -> Option<i32> {
        Some(i32::from_be_bytes(take(b, 4)?.try_into().ok()?))
    }
    fn count(b: &mut &[u8]) -> Option<u32> {
        Some(u32::try_from(int(b)?).unwrap_or(0))
    }
    fn text(b: &mut &[u8], last: &mut Option<String>) -> Option<Option<String>> {
        let len = i16::from_be_bytes(take(b, 2)?.try_into().ok()?);
        let Ok(len) = usize::try_from(len) else {
            return Some(None);
        };
        let s = std::str::from_utf8(take(b, len)?).ok()?;
        // Rows of one person mostly repeat the same few texts.
        if last.as_deref() != Some(s) {
            *last = Some(s.to_owned());
        }
        Some(last.clone())
    }
    let mut out = Vec::with_capacity(b.len() / 50);
    let (mut category, mut class, mut type_code) = (None, None, None);
    while !b.is_empty() {
        let days = int(&mut b)?;
        let date = PACKED_EPOCH.checked_add_signed(chrono::TimeDelta::try_days(days.into())?)?;
        let mut e = Entry {
            date,
            day_landings: count(&mut b)?,
            day_full_stop_landings: count(&mut b)?,
            night_full_stop_landings: count(&mut b)?,
            approaches: count(&mut b)?,
            holds: count(&mut b)?,
            intercept_track: count(&mut b)? > 0,
            ipc: count(&mut b)? > 0,
            flight_review: count(&mut b)? > 0,
            ..Entry::default()
        };
        e.tailwheel = take(&mut b, 1)?[0] != 0;
        e.category = text(&mut b, &mut category)?;
        e.class = text(&mut b, &mut class)?;
        e.type_code = text(&mut b, &mut type_code)?;
        out.push(e);
    }
    Some(out)
}

/// A logbook column other domains count (training's hour requirements): minutes, or a count
/// for the landing columns.
#[derive(
    poem_openapi::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LogColumn {
    Total,
    Pic,
    Sic,
    DualReceived,
    Solo,
    CrossCountry,
    Night,
    ActualInstrument,
    SimulatedInstrument,
    Simulator,
    GroundTraining,
    DayLandings,
    NightFullStopLandings,
}

impl LogColumn {
    /// Its column of `logbook_entries`.
    fn sql(self) -> &'static str {
        match self {
            Self::Total => "total_minutes",
            Self::Pic => "pic_minutes",
            Self::Sic => "sic_minutes",
            Self::DualReceived => "dual_received_minutes",
            Self::Solo => "solo_minutes",
            Self::CrossCountry => "cross_country_minutes",
            Self::Night => "night_minutes",
            Self::ActualInstrument => "actual_instrument_minutes",
            Self::SimulatedInstrument => "simulated_instrument_minutes",
            Self::Simulator => "simulator_minutes",
            Self::GroundTraining => "ground_training_minutes",
            Self::DayLandings => "day_landings",
            Self::NightFullStopLandings => "night_full_stop_landings",
        }
    }
}

/// For each `(column, with)`, the sum over `person`'s logbook entries dated on or after `since`
/// of `column`, or with `with` of the smaller of the two per entry (dual received at night).
/// One statement; the column names come from [`LogColumn`], never from input.
pub async fn column_sums(
    conn: &mut PgConnection,
    person: UserId,
    since: NaiveDate,
    columns: &[(LogColumn, Option<LogColumn>)],
) -> Result<Vec<i64>> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let sums: Vec<String> = columns
        .iter()
        .map(|(c, with)| match with {
            Some(w) => format!("coalesce(sum(least({}, {})), 0)::int8", c.sql(), w.sql()),
            None => format!("coalesce(sum({}), 0)::int8", c.sql()),
        })
        .collect();
    let sql = format!(
        "select array[{}] from logbook_entries where person_id = $1 and date >= $2",
        sums.join(", ")
    );
    let row: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(person)
        .bind(since)
        .fetch_one(conn)
        .await?;
    Ok(row)
}

/// Whether `id` is a flight record of the organisation (training's lesson records name one).
pub async fn flight_exists(conn: &mut PgConnection, id: Uuid) -> Result<bool> {
    Ok(
        sqlx::query_scalar("select exists(select 1 from flights where id = $1)")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `currency_days.packed` as the migration's generation expression writes it.
    fn pack(e: &Entry) -> Vec<u8> {
        let mut b = Vec::new();
        let days = i32::try_from((e.date - PACKED_EPOCH).num_days()).expect("days");
        b.extend(days.to_be_bytes());
        for n in [
            e.day_landings,
            e.day_full_stop_landings,
            e.night_full_stop_landings,
            e.approaches,
            e.holds,
            u32::from(e.intercept_track),
            u32::from(e.ipc),
            u32::from(e.flight_review),
        ] {
            b.extend(i32::try_from(n).expect("count").to_be_bytes());
        }
        b.push(u8::from(e.tailwheel));
        for s in [&e.category, &e.class, &e.type_code] {
            match s {
                Some(s) => {
                    b.extend(i16::try_from(s.len()).expect("len").to_be_bytes());
                    b.extend(s.as_bytes());
                }
                None => b.extend((-1i16).to_be_bytes()),
            }
        }
        b
    }

    #[test]
    fn packed_rows_decode_back() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let entries = vec![
            Entry {
                date: d(2026, 12, 6),
                category: Some("airplane".into()),
                class: Some("single_engine_land".into()),
                type_code: Some("C172".into()),
                day_landings: 3,
                day_full_stop_landings: 1,
                night_full_stop_landings: 2,
                approaches: 6,
                holds: 1,
                intercept_track: true,
                ..Entry::default()
            },
            // A device session: no category or class.
            Entry {
                date: d(1999, 12, 31),
                type_code: Some("C172".into()),
                ipc: true,
                flight_review: true,
                tailwheel: true,
                ..Entry::default()
            },
        ];
        let bytes: Vec<u8> = entries.iter().flat_map(pack).collect();
        assert_eq!(decode_packed(&bytes), Some(entries));
        assert_eq!(decode_packed(&[]), Some(Vec::new()));
        // Cut short anywhere inside a record: refused, never half read.
        for cut in 1..bytes.len() / 2 {
            assert_eq!(decode_packed(&bytes[..cut]), None, "cut at {cut}");
        }
    }
}
