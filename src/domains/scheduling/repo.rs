//! SQL of the scheduling domain. Every function runs inside the caller's `TenantTx`.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::kernel::{AircraftId, BookingId, UserId};

use super::dto::{Booking, BookingKind, BookingStatus, FlightRules};
use super::rules::{BookingRules, Candidate, Facts, Mode, crew};
use crate::domains::certificates::service as certificates;
use crate::domains::maintenance::service::airworthiness;
use crate::kernel::units::{hours, wire};
use crate::timezone::TenantClock;

pub const COLUMNS: &str = "id, kind, status, starts_at, ends_at, aircraft_id, instructor_id, simulator_id, pilot_id,
     flight_rules, night, title, notes, created_by, dispatch, cancelled_at, cancelled_by, cancel_reason, late_cancellation,
     checked_out_at, checked_in_at, hobbs_out_tenths, tach_out_tenths, hobbs_in_tenths, tach_in_tenths, version,
     created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: BookingId,
    #[sqlx(try_from = "String")]
    kind: BookingKind,
    #[sqlx(try_from = "String")]
    status: BookingStatus,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    aircraft_id: Option<AircraftId>,
    instructor_id: Option<UserId>,
    simulator_id: Option<Uuid>,
    pilot_id: Option<UserId>,
    #[sqlx(try_from = "String")]
    flight_rules: FlightRules,
    night: bool,
    title: Option<String>,
    notes: Option<String>,
    created_by: Option<Uuid>,
    dispatch: Value,
    cancelled_at: Option<DateTime<Utc>>,
    cancelled_by: Option<Uuid>,
    cancel_reason: Option<String>,
    late_cancellation: bool,
    checked_out_at: Option<DateTime<Utc>>,
    checked_in_at: Option<DateTime<Utc>>,
    hobbs_out_tenths: Option<i64>,
    tach_out_tenths: Option<i64>,
    hobbs_in_tenths: Option<i64>,
    tach_in_tenths: Option<i64>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Booking {
    fn from(r: Row) -> Self {
        Booking {
            id: r.id,
            kind: r.kind,
            status: r.status,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            aircraft_id: r.aircraft_id,
            instructor_id: r.instructor_id,
            simulator_id: r.simulator_id,
            pilot_id: r.pilot_id,
            flight_rules: r.flight_rules,
            night: r.night,
            title: r.title,
            notes: r.notes,
            created_by: r.created_by,
            dispatch: serde_json::from_value(r.dispatch).unwrap_or_default(),
            cancelled_at: r.cancelled_at,
            cancelled_by: r.cancelled_by,
            cancel_reason: r.cancel_reason,
            late_cancellation: r.late_cancellation,
            checked_out_at: r.checked_out_at,
            checked_in_at: r.checked_in_at,
            hobbs_out: r.hobbs_out_tenths.map(hours),
            tach_out: r.tach_out_tenths.map(hours),
            hobbs_in: r.hobbs_in_tenths.map(hours),
            tach_in: r.tach_in_tenths.map(hours),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One booking; with `owner`, only if that user is its pilot or instructor (owner-scoped
/// reads, filtered in SQL).
pub async fn get(
    conn: &mut PgConnection,
    id: BookingId,
    owner: Option<UserId>,
    lock: bool,
) -> Result<Option<Booking>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from bookings where id = $1 and ($2::uuid is null or pilot_id = $2 or instructor_id = $2){}",
        if lock { " for update" } else { "" }
    );
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(owner)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Booking::from))
}

/// The tenant's mode of `own_bookings_only` (owner-scoped reads follow it).
pub async fn own_only_mode(conn: &mut PgConnection) -> Result<Mode, sqlx::Error> {
    let mode: Option<String> =
        sqlx::query_scalar("select mode from dispatch_rules where rule = 'own_bookings_only'")
            .fetch_optional(conn)
            .await?;
    Ok(mode.as_deref().and_then(Mode::parse).unwrap_or(Mode::Block))
}

/// The statement of [`facts`], built once: it runs on every booking and check-out.
static FACTS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "select (select value #>> '{{}}' from settings where key = 'timezone') as tz,
                (select value from settings where key = 'booking_rules') as booking_rules,
                (select coalesce(jsonb_object_agg(rule, mode), '{{}}') from dispatch_rules) as modes,
                array(select weekday from opening_hours order by weekday) as days,
                array(select opens from opening_hours order by weekday) as opens,
                array(select closes from opening_hours order by weekday) as closes,
                $1::uuid is not null and (
                    exists(select 1 from instructor_availability
                            where instructor_id = $1 and not available
                              and tstzrange(starts_at, ends_at) && tstzrange($2, $3))
                    or (exists(select 1 from instructor_availability where instructor_id = $1 and available)
                        and not exists(select 1 from instructor_availability
                                        where instructor_id = $1 and available
                                          and starts_at <= $2 and ends_at >= $3))) as instructor_unavailable,
                {} as aircraft,
                now() as now",
        airworthiness::facts_json_sql("$4")
    )
});

#[derive(sqlx::FromRow)]
struct FactsRow {
    tz: Option<String>,
    booking_rules: Option<Value>,
    modes: Value,
    days: Vec<i32>,
    opens: Vec<NaiveTime>,
    closes: Vec<NaiveTime>,
    instructor_unavailable: bool,
    aircraft: Value,
    now: DateTime<Utc>,
}

/// Everything the dispatch rules read, in one statement (plus one for the aircraft's
/// airworthiness facts when the booking has an aircraft).
pub async fn facts(conn: &mut PgConnection, c: &Candidate) -> crate::error::Result<Facts> {
    let aircraft: Vec<Uuid> = c.aircraft_id.map(|a| a.0).into_iter().collect();
    let row = sqlx::query_as::<_, FactsRow>(sqlx::AssertSqlSafe(FACTS_SQL.as_str()))
        .bind(c.instructor_id)
        .bind(c.starts_at)
        .bind(c.ends_at)
        .bind(&aircraft)
        .fetch_one(&mut *conn)
        .await?;
    let aircraft_facts = match c.aircraft_id {
        Some(a) => airworthiness::from_json(&aircraft, row.aircraft)?.remove(&a.0),
        None => None,
    };
    let mut facts = Facts {
        clock: TenantClock::from_setting(row.tz.as_deref()),
        now: row.now,
        modes: row
            .modes
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), Mode::parse(v.as_str()?)?)))
                    .collect()
            })
            .unwrap_or_default(),
        opening_hours: row
            .days
            .into_iter()
            .zip(row.opens)
            .zip(row.closes)
            .map(|((d, o), c)| (d.unsigned_abs(), o, c))
            .collect(),
        booking_rules: row
            .booking_rules
            .and_then(|r| serde_json::from_value::<BookingRules>(r).ok())
            .unwrap_or_default(),
        instructor_unavailable: row.instructor_unavailable,
        aircraft: aircraft_facts,
        crew: Vec::new(),
        account: None,
    };
    if crew::any_on(&facts.modes) {
        facts.crew = crew_answers(conn, c).await?;
    }
    if let Some(pilot) = c
        .pilot_id
        .filter(|_| super::rules::account::any_on(&facts.modes))
    {
        facts.account =
            crate::domains::finance::service::standing(conn, pilot, facts.clock.today()).await?;
    }
    Ok(facts)
}

/// The compliance engine's answers for the people the crew rules ask about (none without an
/// aircraft): one statement per person (their certificates and logbook, and the aircraft).
async fn crew_answers(
    conn: &mut PgConnection,
    c: &Candidate,
) -> crate::error::Result<Vec<(&'static str, certificates::Answer)>> {
    let asked = crew::crew(c);
    let Some(id) = c.aircraft_id.filter(|_| !asked.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(asked.len());
    for (who, person, role, checkout) in asked {
        let ask = certificates::Ask {
            role,
            at: c.starts_at,
            night: c.night,
            rules: if c.ifr {
                certificates::FlightRules::Ifr
            } else {
                certificates::FlightRules::Vfr
            },
            privileges: certificates::FaaPrivileges::Private,
            warn_days: 0,
            checkout,
        };
        if let Some(answer) = certificates::assess_in(conn, person, id, &ask).await? {
            out.push((who, answer));
        }
    }
    Ok(out)
}

/// The booking that holds one of `c`'s resources at an overlapping time (other than `except`).
pub async fn conflicting(
    conn: &mut PgConnection,
    c: &Candidate,
    except: Option<BookingId>,
) -> Result<Option<(BookingId, &'static str)>, sqlx::Error> {
    let row = sqlx::query_as::<_, (BookingId, String)>(
        "select id, case when aircraft_id = $3 then 'aircraft' when instructor_id = $4 then 'instructor'
                     else 'simulator' end as resource
           from bookings
          where status <> 'cancelled' and tstzrange(starts_at, ends_at) && tstzrange($1, $2)
            and (aircraft_id = $3 or instructor_id = $4 or simulator_id = $5)
            and ($6::uuid is null or id <> $6)
          order by starts_at limit 1",
    )
    .bind(c.starts_at)
    .bind(c.ends_at)
    .bind(c.aircraft_id)
    .bind(c.instructor_id)
    .bind(c.simulator_id)
    .bind(except)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, resource)| {
        (
            id,
            match resource.as_str() {
                "aircraft" => "aircraft",
                "instructor" => "instructor",
                _ => "simulator",
            },
        )
    }))
}

/// The statement of [`insert_recorded`], built once.
static INSERT_RECORDED_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "with b as (insert into bookings (id, kind, starts_at, ends_at, aircraft_id, instructor_id, simulator_id,
                        pilot_id, title, notes, created_by, dispatch, created_at, updated_at, flight_rules, night)
                    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15))
         {}",
        crate::audit::insert_sql(16)
    )
});

/// Inserts `b` (built by the caller, so that the audit row's `after` is exactly what is
/// stored) and its audit row in one statement.
pub async fn insert_recorded(
    conn: &mut PgConnection,
    b: &Booking,
    actor: &crate::audit::Actor<'_>,
) -> Result<(), sqlx::Error> {
    let query = sqlx::query(sqlx::AssertSqlSafe(INSERT_RECORDED_SQL.as_str()))
        .bind(b.id)
        .bind(wire(&b.kind))
        .bind(b.starts_at)
        .bind(b.ends_at)
        .bind(b.aircraft_id)
        .bind(b.instructor_id)
        .bind(b.simulator_id)
        .bind(b.pilot_id)
        .bind(&b.title)
        .bind(&b.notes)
        .bind(b.created_by)
        .bind(serde_json::json!(b.dispatch))
        .bind(b.created_at)
        .bind(wire(&b.flight_rules))
        .bind(b.night);
    crate::audit::bind(
        query,
        actor,
        crate::audit::Change {
            action: "booking.created",
            resource_type: "booking",
            resource_id: Some(b.id.to_string()),
            before: None,
            after: crate::audit::snapshot(b),
        },
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Booking list filters.
#[derive(Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub aircraft_id: Option<Uuid>,
    pub instructor_id: Option<Uuid>,
    pub simulator_id: Option<Uuid>,
    pub pilot_id: Option<Uuid>,
    pub status: Option<String>,
    pub kind: Option<String>,
    /// Only bookings where this user is pilot or instructor.
    pub owner: Option<UserId>,
}

/// By start time, then id; keyset on (starts_at, id).
pub async fn list(
    conn: &mut PgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    f: &Filter,
    limit: i64,
) -> Result<Vec<Booking>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from bookings
          where ($1::timestamptz is null or (starts_at, id) > ($1, $2))
            and ($3::timestamptz is null or ends_at > $3) and ($4::timestamptz is null or starts_at < $4)
            and ($5::uuid is null or aircraft_id = $5) and ($6::uuid is null or instructor_id = $6)
            and ($7::uuid is null or simulator_id = $7) and ($8::uuid is null or pilot_id = $8)
            and ($9::text is null or status = $9) and ($10::text is null or kind = $10)
            and ($11::uuid is null or pilot_id = $11 or instructor_id = $11)
          order by starts_at, id limit $12"
    );
    let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(f.from)
        .bind(f.to)
        .bind(f.aircraft_id)
        .bind(f.instructor_id)
        .bind(f.simulator_id)
        .bind(f.pilot_id)
        .bind(&f.status)
        .bind(&f.kind)
        .bind(f.owner)
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Booking::from).collect())
}
