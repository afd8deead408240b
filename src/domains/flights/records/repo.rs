//! SQL of flight records. A flight reads back with its crew in one statement.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::dto::{
    CrewMember, Flight, FlightMinutes, FlightRevision, FlightStatus, FuelUnit, FuelUplift,
};
use super::fields::{FlightFields, flight_minutes};
use crate::domains::flights::logbook::dto::Approach;
use crate::domains::flights::logbook::repo::Opt;
use crate::kernel::units::{hours, tenths, wire};
use crate::kernel::{AircraftId, BookingId, UserId};

macro_rules! columns {
    () => {
        "f.id, f.booking_id, f.aircraft_id, f.date, f.departure, f.destination, f.stops, f.out_at,
         f.off_at, f.on_at, f.in_at, f.hobbs_out_tenths, f.hobbs_in_tenths, f.tach_out_tenths,
         f.tach_in_tenths, f.day_landings, f.day_full_stop_landings, f.night_full_stop_landings,
         f.approaches, f.holds, f.intercept_track, f.night_minutes, f.cross_country_minutes,
         f.actual_instrument_minutes, f.simulated_instrument_minutes, f.fuel_uplift_tenths,
         f.fuel_uplift_unit, f.remarks, f.status, f.signed_at, f.signed_by, f.version, f.revision,
         f.invoiced_at, f.invoice_id, f.created_at, f.updated_at,
         coalesce((select jsonb_agg(jsonb_build_object('person_id', c.person_id, 'role', c.role)
                                    order by c.created_at, c.id)
                     from flight_crew c where c.flight_id = f.id), '[]') as crew"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    booking_id: Option<BookingId>,
    aircraft_id: AircraftId,
    date: NaiveDate,
    departure: Option<String>,
    destination: Option<String>,
    stops: Vec<String>,
    out_at: Option<DateTime<Utc>>,
    off_at: Option<DateTime<Utc>>,
    on_at: Option<DateTime<Utc>>,
    in_at: Option<DateTime<Utc>>,
    hobbs_out_tenths: Option<i64>,
    hobbs_in_tenths: Option<i64>,
    tach_out_tenths: Option<i64>,
    tach_in_tenths: Option<i64>,
    day_landings: i32,
    day_full_stop_landings: i32,
    night_full_stop_landings: i32,
    approaches: Json<Vec<Approach>>,
    holds: i32,
    intercept_track: bool,
    night_minutes: i32,
    cross_country_minutes: i32,
    actual_instrument_minutes: i32,
    simulated_instrument_minutes: i32,
    fuel_uplift_tenths: Option<i32>,
    #[sqlx(try_from = "Option<String>")]
    fuel_uplift_unit: Opt<FuelUnit>,
    remarks: Option<String>,
    #[sqlx(try_from = "String")]
    status: FlightStatus,
    signed_at: Option<DateTime<Utc>>,
    signed_by: Option<UserId>,
    version: i32,
    revision: i32,
    invoiced_at: Option<DateTime<Utc>>,
    invoice_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    crew: Json<Vec<CrewMember>>,
}

impl From<Row> for Flight {
    fn from(r: Row) -> Self {
        Flight {
            id: r.id,
            booking_id: r.booking_id,
            aircraft_id: r.aircraft_id,
            date: r.date,
            departure: r.departure,
            destination: r.destination,
            stops: r.stops,
            out_at: r.out_at,
            off_at: r.off_at,
            on_at: r.on_at,
            in_at: r.in_at,
            hobbs_out: r.hobbs_out_tenths.map(hours),
            hobbs_in: r.hobbs_in_tenths.map(hours),
            tach_out: r.tach_out_tenths.map(hours),
            tach_in: r.tach_in_tenths.map(hours),
            total_minutes: flight_minutes(
                (r.out_at, r.in_at),
                (r.hobbs_out_tenths, r.hobbs_in_tenths),
                (r.off_at, r.on_at),
            ),
            day_landings: r.day_landings,
            day_full_stop_landings: r.day_full_stop_landings,
            night_full_stop_landings: r.night_full_stop_landings,
            approaches: r.approaches.0,
            holds: r.holds,
            intercept_track: r.intercept_track,
            minutes: FlightMinutes {
                night: r.night_minutes,
                cross_country: r.cross_country_minutes,
                actual_instrument: r.actual_instrument_minutes,
                simulated_instrument: r.simulated_instrument_minutes,
            },
            fuel_uplift: match (r.fuel_uplift_tenths, r.fuel_uplift_unit.0) {
                (Some(q), Some(unit)) => Some(FuelUplift {
                    quantity: hours(i64::from(q)),
                    unit,
                }),
                _ => None,
            },
            remarks: r.remarks,
            crew: r.crew.0,
            status: r.status,
            signed_at: r.signed_at,
            signed_by: r.signed_by,
            version: r.version,
            revision: r.revision,
            invoiced_at: r.invoiced_at,
            invoice_id: r.invoice_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub struct ListFilter {
    pub aircraft_id: Option<AircraftId>,
    pub person_id: Option<UserId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Newest first by (date, id); `limit + 1` rows.
pub async fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<Flight>, sqlx::Error> {
    let (after_date, after_id) = after.unwrap_or((NaiveDate::MAX, Uuid::max()));
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "select ",
        columns!(),
        " from flights f
          where (f.date, f.id) < ($1, $2)
            and ($3::uuid is null or f.aircraft_id = $3)
            and ($4::uuid is null or exists (select 1 from flight_crew c
                                              where c.flight_id = f.id and c.person_id = $4))
            and f.date >= coalesce($5, '-infinity'::date) and f.date <= coalesce($6, 'infinity'::date)
          order by f.date desc, f.id desc limit $7"
    ))
    .bind(after_date)
    .bind(after_id)
    .bind(f.aircraft_id)
    .bind(f.person_id)
    .bind(f.from)
    .bind(f.to)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Flight::from).collect())
}

pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Flight>, sqlx::Error> {
    let sql = if lock {
        concat!(
            "select ",
            columns!(),
            " from flights f where f.id = $1 for update of f"
        )
    } else {
        concat!("select ", columns!(), " from flights f where f.id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Flight::from))
}

/// The flight made from `booking`, if any.
pub async fn by_booking(
    conn: &mut PgConnection,
    booking: BookingId,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from flights where booking_id = $1")
        .bind(booking)
        .fetch_optional(conn)
        .await
}

/// Inserts or replaces (`id` exists) a flight's written fields, and its crew as a whole.
pub async fn save(
    conn: &mut PgConnection,
    id: Uuid,
    booking: Option<BookingId>,
    f: &FlightFields,
    by: Option<UserId>,
) -> Result<Flight, sqlx::Error> {
    let m = &f.minutes;
    sqlx::query(
        "insert into flights (id, booking_id, aircraft_id, date, departure, destination, stops,
             out_at, off_at, on_at, in_at, hobbs_out_tenths, hobbs_in_tenths, tach_out_tenths,
             tach_in_tenths, day_landings, day_full_stop_landings, night_full_stop_landings,
             approaches, holds, intercept_track, night_minutes, cross_country_minutes,
             actual_instrument_minutes, simulated_instrument_minutes, fuel_uplift_tenths,
             fuel_uplift_unit, remarks, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)
         on conflict (id) do update set aircraft_id = excluded.aircraft_id, date = excluded.date,
             departure = excluded.departure, destination = excluded.destination,
             stops = excluded.stops, out_at = excluded.out_at, off_at = excluded.off_at,
             on_at = excluded.on_at, in_at = excluded.in_at,
             hobbs_out_tenths = excluded.hobbs_out_tenths, hobbs_in_tenths = excluded.hobbs_in_tenths,
             tach_out_tenths = excluded.tach_out_tenths, tach_in_tenths = excluded.tach_in_tenths,
             day_landings = excluded.day_landings,
             day_full_stop_landings = excluded.day_full_stop_landings,
             night_full_stop_landings = excluded.night_full_stop_landings,
             approaches = excluded.approaches, holds = excluded.holds,
             intercept_track = excluded.intercept_track, night_minutes = excluded.night_minutes,
             cross_country_minutes = excluded.cross_country_minutes,
             actual_instrument_minutes = excluded.actual_instrument_minutes,
             simulated_instrument_minutes = excluded.simulated_instrument_minutes,
             fuel_uplift_tenths = excluded.fuel_uplift_tenths,
             fuel_uplift_unit = excluded.fuel_uplift_unit, remarks = excluded.remarks,
             version = flights.version + 1",
    )
    .bind(id)
    .bind(booking)
    .bind(f.aircraft_id)
    .bind(f.date)
    .bind(f.departure.as_deref())
    .bind(f.destination.as_deref())
    .bind(&f.stops)
    .bind(f.out_at)
    .bind(f.off_at)
    .bind(f.on_at)
    .bind(f.in_at)
    .bind(f.hobbs_out)
    .bind(f.hobbs_in)
    .bind(f.tach_out)
    .bind(f.tach_in)
    .bind(f.day_landings)
    .bind(f.day_full_stop_landings)
    .bind(f.night_full_stop_landings)
    .bind(Json(&f.approaches))
    .bind(f.holds)
    .bind(f.intercept_track)
    .bind(m.night)
    .bind(m.cross_country)
    .bind(m.actual_instrument)
    .bind(m.simulated_instrument)
    .bind(f.fuel_uplift.as_ref().map(|u| tenths(u.quantity) as i32))
    .bind(f.fuel_uplift.as_ref().map(|u| wire(&u.unit)))
    .bind(f.remarks.as_deref())
    .bind(by)
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = f.crew.iter().map(|_| Uuid::now_v7()).collect();
    let people: Vec<Uuid> = f.crew.iter().map(|c| c.person_id.0).collect();
    let roles: Vec<String> = f.crew.iter().map(|c| wire(&c.role)).collect();
    sqlx::query("delete from flight_crew where flight_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into flight_crew (id, flight_id, person_id, role)
         select i, $1, p, r from unnest($2::uuid[], $3::uuid[], $4::text[]) as x (i, p, r)",
    )
    .bind(id)
    .bind(&ids)
    .bind(&people)
    .bind(&roles)
    .execute(&mut *conn)
    .await?;
    get(conn, id, false).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn sign(conn: &mut PgConnection, id: Uuid, by: UserId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update flights set status = 'signed', signed_at = now(), signed_by = $2,
             version = version + 1 where id = $1",
    )
    .bind(id)
    .bind(by)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Keeps `before` as revision `before.revision` and counts the next one.
pub async fn keep_revision(
    conn: &mut PgConnection,
    before: &Flight,
    reason: &str,
    by: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "with kept as (insert into flight_revisions (id, flight_id, revision, snapshot, reason, revised_by)
                       values ($1, $2, $3, $4, $5, $6))
         update flights set revision = revision + 1 where id = $2",
    )
    .bind(Uuid::now_v7())
    .bind(before.id)
    .bind(before.revision)
    .bind(Json(before))
    .bind(reason)
    .bind(by)
    .execute(conn)
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    id: Uuid,
    revision: i32,
    snapshot: serde_json::Value,
    reason: String,
    revised_by: Option<UserId>,
    revised_at: DateTime<Utc>,
}

pub async fn revisions(
    conn: &mut PgConnection,
    flight: Uuid,
) -> Result<Vec<FlightRevision>, sqlx::Error> {
    let rows: Vec<RevisionRow> = sqlx::query_as(
        "select id, revision, snapshot, reason, revised_by, revised_at from flight_revisions
          where flight_id = $1 order by revision desc",
    )
    .bind(flight)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| FlightRevision {
            id: r.id,
            revision: r.revision,
            snapshot: r.snapshot,
            reason: r.reason,
            revised_by: r.revised_by,
            revised_at: r.revised_at,
        })
        .collect())
}
