//! `/api/v1/charter/trips`: trips and their legs (aircraft, airports, ETD and ETA in UTC and
//! local time, FBOs, passengers, fuel), made by accepting a quote or by hand, and moved through
//! quoted → scheduled → released → en route → completed (or cancelled). A scheduled trip holds
//! its aircraft in `aircraft_occupancy`, the database's one availability constraint shared with
//! school bookings and maintenance blocks (tenant migration `202612070700_charter_trips.sql`).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    AssignmentRole, CrewAssignment, ReleaseCheck, Trip, TripCreate, TripInvoiced, TripLeg,
    TripLegWrite, TripLegsWrite, TripPage, TripStatus, TripStatusChange,
};
use super::pricing::local;
use super::{CHARTER_MANAGE, CHARTER_READ, crew, crew_checks, invoicing};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::domains::contacts::service as contacts;
use crate::domains::fleet::service as fleet;
use crate::domains::maintenance::service::airworthiness;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::wire;
use crate::state::AppState;

pub struct TripsApi;

/// Taxi out and in added to the flight time of a leg whose ETA is not given.
const DEFAULT_TAXI_MINUTES: i64 = 15;

#[derive(ApiResponse)]
enum Created {
    /// The trip with its legs.
    #[oai(status = 201)]
    Created(Json<Trip>),
}

#[derive(ApiResponse)]
enum Invoiced {
    /// The trip's draft invoice in finance (the same one when asked again).
    #[oai(status = 201)]
    Created(Json<TripInvoiced>),
}

/// A leg checked and ready to store.
#[derive(Debug, Clone)]
pub(super) struct NewLeg {
    pub aircraft_id: Uuid,
    pub from: String,
    pub to: String,
    pub from_tz: String,
    pub to_tz: String,
    pub positioning: bool,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    pub from_fbo_id: Option<Uuid>,
    pub to_fbo_id: Option<Uuid>,
    pub passengers: i32,
    pub fuel_uplift_kg: Option<i32>,
    pub notes: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TripRow {
    id: Uuid,
    number: String,
    quote_id: Option<Uuid>,
    customer_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    status: TripStatus,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    notes: Option<String>,
    release_checks: serde_json::Value,
    released_at: Option<DateTime<Utc>>,
    released_by: Option<Uuid>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    invoice_id: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LegRow {
    trip_id: Uuid,
    seq: i32,
    aircraft_id: Uuid,
    from_code: String,
    to_code: String,
    from_tz: String,
    to_tz: String,
    positioning: bool,
    departs_at: DateTime<Utc>,
    arrives_at: DateTime<Utc>,
    from_fbo_id: Option<Uuid>,
    to_fbo_id: Option<Uuid>,
    passengers: i32,
    fuel_uplift_kg: Option<i32>,
    notes: Option<String>,
}

fn tz(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

impl From<LegRow> for TripLeg {
    fn from(r: LegRow) -> Self {
        TripLeg {
            seq: r.seq,
            aircraft_id: r.aircraft_id,
            departs_local: local(r.departs_at, tz(&r.from_tz)).1,
            arrives_local: local(r.arrives_at, tz(&r.to_tz)).1,
            from: r.from_code,
            to: r.to_code,
            positioning: r.positioning,
            departs_at: r.departs_at,
            arrives_at: r.arrives_at,
            from_time_zone: r.from_tz,
            to_time_zone: r.to_tz,
            from_fbo_id: r.from_fbo_id,
            to_fbo_id: r.to_fbo_id,
            passengers: r.passengers,
            fuel_uplift_kg: r.fuel_uplift_kg,
            notes: r.notes,
        }
    }
}

const TRIP_COLUMNS: &str = "id, number, quote_id, customer_id, status, starts_at, ends_at, notes, \
     release_checks, released_at, released_by, cancelled_at, cancel_reason, invoice_id, version, \
     created_at, updated_at";

/// The trips `rows` with their legs (one statement for all legs).
async fn with_legs(conn: &mut PgConnection, rows: Vec<TripRow>) -> Result<Vec<Trip>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let legs: Vec<LegRow> = sqlx::query_as(
        "select trip_id, seq, aircraft_id, from_code, to_code, from_tz, to_tz, positioning,
                departs_at, arrives_at, from_fbo_id, to_fbo_id, passengers, fuel_uplift_kg, notes
           from charter_trip_legs where trip_id = any($1) order by trip_id, seq",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_trip: HashMap<Uuid, Vec<TripLeg>> = HashMap::new();
    for l in legs {
        by_trip.entry(l.trip_id).or_default().push(l.into());
    }
    let mut crew_of: HashMap<Uuid, Vec<CrewAssignment>> = HashMap::new();
    for (trip, a) in crew::assignments(conn, &ids).await? {
        crew_of.entry(trip).or_default().push(a);
    }
    rows.into_iter()
        .map(|r| {
            Ok(Trip {
                legs: by_trip.remove(&r.id).unwrap_or_default(),
                crew: crew_of.remove(&r.id).unwrap_or_default(),
                release_checks: serde_json::from_value(r.release_checks)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("stored checks: {e}")))?,
                id: r.id,
                number: r.number,
                quote_id: r.quote_id,
                customer_id: r.customer_id,
                status: r.status,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                notes: r.notes,
                released_at: r.released_at,
                released_by: r.released_by,
                cancelled_at: r.cancelled_at,
                cancel_reason: r.cancel_reason,
                invoice_id: r.invoice_id,
                version: r.version,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

/// Trip `id` with its legs (locked for update with `lock`).
pub(super) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Trip> {
    let lock = if lock { " for update" } else { "" };
    let row: Option<TripRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {TRIP_COLUMNS} from charter_trips where id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(AppError::NotFound("trip"))?;
    Ok(with_legs(conn, vec![row]).await?.remove(0))
}

/// Checks the legs a client wrote: airports, aircraft, FBOs, times in order, seats. An ETA
/// left out is the block time at the aircraft's cruise speed.
async fn resolve_legs(conn: &mut PgConnection, legs: &[TripLegWrite]) -> Result<Vec<NewLeg>> {
    let mut out: Vec<NewLeg> = Vec::with_capacity(legs.len());
    let mut aircraft = HashMap::new();
    let mut fbos_checked = HashMap::new();
    let codes: Vec<&str> = legs
        .iter()
        .flat_map(|l| [l.from.as_str(), l.to.as_str()])
        .collect();
    let found = airports::by_codes(conn, &codes).await?;
    let airport = |field: String, code: &str| {
        found
            .get(&code.trim().to_uppercase())
            .ok_or_else(|| AppError::validation(field, "names no airport or landing site"))
    };
    for (i, l) in legs.iter().enumerate() {
        let facts = match aircraft.get(&l.aircraft_id) {
            Some(f) => f,
            None => {
                let f = fleet::aircraft_facts(conn, l.aircraft_id)
                    .await?
                    .ok_or_else(|| {
                        AppError::validation(
                            format!("legs[{i}].aircraft_id"),
                            "names no aircraft of this organisation",
                        )
                    })?;
                aircraft.entry(l.aircraft_id).or_insert(f)
            }
        };
        let from = airport(format!("legs[{i}].from"), &l.from)?;
        let to = airport(format!("legs[{i}].to"), &l.to)?;
        if from.code == to.code {
            return Err(AppError::validation(
                format!("legs[{i}].to"),
                "must be another airport than from",
            ));
        }
        let arrives_at = match l.arrives_at {
            Some(a) => a,
            None => {
                let cruise = facts.cruise_speed_kts.ok_or_else(|| {
                    AppError::validation(
                        format!("legs[{i}].arrives_at"),
                        "is needed: the aircraft and its type have no cruise speed",
                    )
                })?;
                let nm = airports::distance_nm(
                    airports::Point {
                        latitude: from.latitude,
                        longitude: from.longitude,
                    },
                    airports::Point {
                        latitude: to.latitude,
                        longitude: to.longitude,
                    },
                );
                l.departs_at
                    + Duration::minutes(
                        i64::from(airports::flight_minutes(nm, cruise)) + DEFAULT_TAXI_MINUTES,
                    )
            }
        };
        if arrives_at <= l.departs_at {
            return Err(AppError::validation(
                format!("legs[{i}].arrives_at"),
                "must be after departs_at",
            ));
        }
        if arrives_at - l.departs_at > Duration::hours(24) {
            return Err(AppError::validation(
                format!("legs[{i}].arrives_at"),
                "must be within 24 hours of departs_at",
            ));
        }
        if let Some(seats) = facts.seats
            && l.passengers > seats
        {
            return Err(AppError::validation(
                format!("legs[{i}].passengers"),
                format!("is more than the {seats} seats of {}", facts.registration),
            ));
        }
        if let Some(prev) = out.iter().rev().find(|p| p.aircraft_id == l.aircraft_id)
            && l.departs_at < prev.arrives_at
        {
            return Err(AppError::validation(
                format!("legs[{i}].departs_at"),
                "must not be before the aircraft arrives from its leg before",
            ));
        }
        if let Some(prev) = out.last()
            && l.departs_at < prev.departs_at
        {
            return Err(AppError::validation(
                format!("legs[{i}].departs_at"),
                "legs are in departure order",
            ));
        }
        for (field, fbo) in [("from_fbo_id", l.from_fbo_id), ("to_fbo_id", l.to_fbo_id)] {
            let Some(fbo) = fbo else { continue };
            let ok = match fbos_checked.get(&fbo) {
                Some(ok) => *ok,
                None => {
                    let ok = contacts::contact(conn, fbo).await?.is_some();
                    fbos_checked.insert(fbo, ok);
                    ok
                }
            };
            if !ok {
                return Err(AppError::validation(
                    format!("legs[{i}].{field}"),
                    "names no contact of this organisation",
                ));
            }
        }
        out.push(NewLeg {
            aircraft_id: l.aircraft_id,
            from: from.code.clone(),
            to: to.code.clone(),
            from_tz: from.time_zone.clone(),
            to_tz: to.time_zone.clone(),
            positioning: l.positioning,
            departs_at: l.departs_at,
            arrives_at,
            from_fbo_id: l.from_fbo_id,
            to_fbo_id: l.to_fbo_id,
            passengers: l.passengers,
            fuel_uplift_kg: l.fuel_uplift_kg,
            notes: l.notes.clone(),
        });
    }
    Ok(out)
}

/// The first departure and last arrival of `legs` (not empty).
fn span(legs: &[NewLeg]) -> (DateTime<Utc>, DateTime<Utc>) {
    let starts = legs.iter().map(|l| l.departs_at).min().unwrap_or_default();
    let ends = legs.iter().map(|l| l.arrives_at).max().unwrap_or_default();
    (starts, ends)
}

/// Stores `legs` as the legs of `trip` (numbered from 1) in one statement; the legs' trigger
/// writes what the trip holds into `aircraft_occupancy`, where an overlap fails with 23P01.
async fn insert_legs(conn: &mut PgConnection, trip: Uuid, legs: &[NewLeg]) -> Result<()> {
    let seq: Vec<i32> = (1..).take(legs.len()).collect();
    let col = |f: fn(&NewLeg) -> String| legs.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "insert into charter_trip_legs (trip_id, seq, aircraft_id, from_code, to_code, from_tz,
             to_tz, positioning, departs_at, arrives_at, from_fbo_id, to_fbo_id, passengers,
             fuel_uplift_kg, notes)
         select $1, * from unnest($2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[],
             $7::text[], $8::bool[], $9::timestamptz[], $10::timestamptz[], $11::uuid[],
             $12::uuid[], $13::int[], $14::int[], $15::text[])",
    )
    .bind(trip)
    .bind(&seq)
    .bind(legs.iter().map(|l| l.aircraft_id).collect::<Vec<_>>())
    .bind(col(|l| l.from.clone()))
    .bind(col(|l| l.to.clone()))
    .bind(col(|l| l.from_tz.clone()))
    .bind(col(|l| l.to_tz.clone()))
    .bind(legs.iter().map(|l| l.positioning).collect::<Vec<_>>())
    .bind(legs.iter().map(|l| l.departs_at).collect::<Vec<_>>())
    .bind(legs.iter().map(|l| l.arrives_at).collect::<Vec<_>>())
    .bind(legs.iter().map(|l| l.from_fbo_id).collect::<Vec<_>>())
    .bind(legs.iter().map(|l| l.to_fbo_id).collect::<Vec<_>>())
    .bind(legs.iter().map(|l| l.passengers).collect::<Vec<_>>())
    .bind(legs.iter().map(|l| l.fuel_uplift_kg).collect::<Vec<_>>())
    .bind(legs.iter().map(|l| l.notes.clone()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes a trip of `legs` (checked), numbered `T-<year>-<n>`; with `quote`, the trip of that
/// quote (a second trip of one quote fails on `charter_trips_quote_id_key`).
pub(super) async fn insert(
    conn: &mut PgConnection,
    quote: Option<Uuid>,
    customer: Option<Uuid>,
    status: TripStatus,
    legs: &[NewLeg],
    notes: Option<&str>,
    created_by: Option<Uuid>,
) -> Result<Uuid> {
    let year = Utc::now().year();
    let n: i32 = sqlx::query_scalar(
        "insert into charter_trip_sequences (year, next_number) values ($1, 2)
         on conflict (year) do update set next_number = charter_trip_sequences.next_number + 1
         returning next_number - 1",
    )
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    let id = Uuid::now_v7();
    let (starts, ends) = span(legs);
    sqlx::query(
        "insert into charter_trips (id, number, quote_id, customer_id, status, starts_at, ends_at,
             notes, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(format!("T-{year}-{n:04}"))
    .bind(quote)
    .bind(customer)
    .bind(wire(&status))
    .bind(starts)
    .bind(ends)
    .bind(notes)
    .bind(created_by)
    .execute(&mut *conn)
    .await?;
    insert_legs(conn, id, legs).await?;
    Ok(id)
}

/// The ICAO codes of a trip's airports, for the weather job.
fn stations(trip: &Trip) -> Vec<String> {
    let mut codes: Vec<String> = trip
        .legs
        .iter()
        .flat_map(|l| [l.from.clone(), l.to.clone()])
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Asks the weather job for the airports of a trip that has not ended.
fn want_weather(state: &AppState, trip: &Trip) {
    if trip.ends_at > Utc::now() && trip.status != TripStatus::Cancelled {
        airports::want_weather(&state.settings, &stations(trip), trip.ends_at);
    }
}

/// What releasing a trip checks: each aircraft airworthy on the local day of its first
/// departure (inspections, grounding squawks, MEL deferrals: the maintenance domain's rule), a
/// pilot in command on every leg, and the crew rules (qualification, 14 CFR 135.267) in the
/// organisation's modes.
async fn release_checks(conn: &mut PgConnection, trip: &Trip) -> Result<Vec<ReleaseCheck>> {
    let mut first: Vec<(Uuid, NaiveDate)> = Vec::new();
    for l in &trip.legs {
        if !first.iter().any(|(a, _)| *a == l.aircraft_id) {
            let day = l
                .departs_at
                .with_timezone(&tz(&l.from_time_zone))
                .date_naive();
            first.push((l.aircraft_id, day));
        }
    }
    let mut checks = Vec::new();
    for (aircraft, day) in first {
        let state = airworthiness::of(conn, &[aircraft], day).await?;
        let a = state.get(&aircraft).cloned().unwrap_or_default();
        let registration = fleet::aircraft_facts(conn, aircraft)
            .await?
            .map(|f| f.registration)
            .unwrap_or_default();
        checks.push(if a.airworthy {
            ReleaseCheck {
                rule: "airworthiness".into(),
                outcome: "pass".into(),
                message: format!("{registration} is airworthy on {day}"),
            }
        } else {
            ReleaseCheck {
                rule: "airworthiness".into(),
                outcome: "block".into(),
                message: format!(
                    "{registration} is not airworthy on {day}: {}",
                    a.reasons
                        .iter()
                        .map(|r| r.detail.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }
        });
    }
    // Every leg has a pilot in command; then the crew rules in their modes.
    for l in &trip.legs {
        let pic = trip
            .crew
            .iter()
            .any(|a| a.seq == l.seq && a.role == AssignmentRole::Pic);
        if !pic {
            checks.push(ReleaseCheck {
                rule: "crew".into(),
                outcome: "block".into(),
                message: format!(
                    "leg {} ({}-{}) has no pilot in command",
                    l.seq, l.from, l.to
                ),
            });
        }
    }
    let proposed = crew::proposed_of(conn, trip.id).await?;
    checks.extend(crew_checks::check(conn, trip, &proposed).await?);
    Ok(checks)
}

/// A trip whose legs and crew may change: quoted or scheduled (`409 trip-released`, a released
/// trip goes back to scheduled first; `409 trip-closed` once en route, completed or cancelled).
pub(super) fn require_open(trip: &Trip) -> Result<()> {
    match trip.status {
        TripStatus::Quoted | TripStatus::Scheduled => Ok(()),
        TripStatus::Released => Err(AppError::Conflict {
            code: "trip-released",
            detail: format!(
                "trip {} is released: move it back to scheduled to change it",
                trip.number
            ),
            field: None,
        }),
        other => Err(AppError::Conflict {
            code: "trip-closed",
            detail: format!("trip {} is {}", trip.number, wire(&other)),
            field: None,
        }),
    }
}

/// A trip whose manifest and patients may change: until it leaves (`409 trip-closed` once en
/// route, completed or cancelled).
pub(super) fn require_not_left(trip: &Trip) -> Result<()> {
    if matches!(
        trip.status,
        TripStatus::Quoted | TripStatus::Scheduled | TripStatus::Released
    ) {
        Ok(())
    } else {
        Err(AppError::Conflict {
            code: "trip-closed",
            detail: format!("trip {} is {}", trip.number, wire(&trip.status)),
            field: None,
        })
    }
}

/// Whether `from` may move to `to`.
fn allowed(from: TripStatus, to: TripStatus) -> bool {
    use TripStatus::*;
    matches!(
        (from, to),
        (Quoted, Scheduled)
            | (Quoted, Cancelled)
            | (Scheduled, Released)
            | (Scheduled, Cancelled)
            | (Released, Scheduled)
            | (Released, EnRoute)
            | (Released, Cancelled)
            | (EnRoute, Completed)
    )
}

#[OpenApi(
    prefix_path = "/api/v1/charter/trips",
    tag = "super::Tag::CharterTrips"
)]
impl TripsApi {
    /// Trips by first departure, narrowed by status, customer, aircraft or time (trips that
    /// end after `from` and start before `to`).
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only trips in this status.
        status: Query<Option<TripStatus>>,
        /// Only this customer's trips.
        customer_id: Query<Option<Uuid>>,
        /// Only trips with a leg in this aircraft.
        aircraft_id: Query<Option<Uuid>>,
        /// Only trips ending after this instant.
        from: Query<Option<DateTime<Utc>>>,
        /// Only trips starting before this instant.
        to: Query<Option<DateTime<Utc>>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<TripPage>> {
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<TripRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select {TRIP_COLUMNS} from charter_trips t
              where ($1::timestamptz is null or (t.starts_at, t.id) > ($1, $2))
                and ($3::text is null or t.status = $3)
                and ($4::uuid is null or t.customer_id = $4)
                and ($5::uuid is null or exists (select 1 from charter_trip_legs l
                                                  where l.trip_id = t.id and l.aircraft_id = $5))
                and ($6::timestamptz is null or t.ends_at > $6)
                and ($7::timestamptz is null or t.starts_at < $7)
              order by t.starts_at, t.id limit $8"
        )))
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(status.0.as_ref().map(wire))
        .bind(customer_id.0)
        .bind(aircraft_id.0)
        .bind(from.0)
        .bind(to.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        let trips = with_legs(&mut tx, rows).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish_by_time(trips, limit, |t| (t.starts_at, t.id));
        Ok(Json(TripPage { items, next_cursor }))
    }

    /// Make a trip by hand (an air-ambulance mission, a trip agreed by phone); a trip from a
    /// quote is made by the customer accepting it. `scheduled` (default) holds each aircraft
    /// from its first departure to its last arrival: an overlap with a booking, a maintenance
    /// block or another trip is `409 booking-conflict`, refused by the database. `quoted` is
    /// tentative and holds nothing. An ETA left out is the block time at the aircraft's cruise
    /// speed plus 15 minutes of taxi.
    ///
    /// Permission: `charter.manage`. Audited as `charter_trip.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        body: JsonBody<TripCreate>,
    ) -> Result<Created> {
        let body = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let status = body.status.unwrap_or(TripStatus::Scheduled);
        if !matches!(status, TripStatus::Scheduled | TripStatus::Quoted) {
            return Err(AppError::validation(
                "status",
                "a new trip is `scheduled` or `quoted`",
            ));
        }
        let mut tx = ctx.begin().await?;
        if let Some(customer) = body.customer_id {
            contacts::contact(&mut tx, customer)
                .await?
                .filter(|c| c.is_customer)
                .ok_or_else(|| {
                    AppError::validation("customer_id", "names no customer of this organisation")
                })?;
        }
        let legs = resolve_legs(&mut tx, &body.legs).await?;
        let id = insert(
            &mut tx,
            None,
            body.customer_id,
            status,
            &legs,
            body.notes.as_deref(),
            Some(ctx.user_id.0),
        )
        .await?;
        let trip = load(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "charter_trip.created",
            "charter_trip",
            id,
            &trip,
        )
        .await?;
        tx.commit().await?;
        want_weather(&state, &trip);
        Ok(Created::Created(Json(trip)))
    }

    /// One trip with its legs. Viewing an upcoming trip asks the weather job for its
    /// airports.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<Json<Trip>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let trip = load(&mut tx, id.0, false).await?;
        tx.end_read();
        want_weather(&state, &trip);
        Ok(Json(trip))
    }

    /// Replace a trip's legs (while it is quoted or scheduled; a released trip goes back to
    /// `scheduled` first: `409 trip-released`). The same checks and the same availability
    /// constraint as making it. The crew assignments go (assign the crew again: they were
    /// checked against the old legs); passengers keep the legs that still exist, else fly
    /// every leg that is not positioning.
    ///
    /// Permission: `charter.manage`. Audited as `charter_trip.legs_replaced` with before and
    /// after.
    #[oai(path = "/:id/legs", method = "put")]
    async fn replace_legs(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TripLegsWrite>,
    ) -> Result<Json<Trip>> {
        let body = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("trip", body.version, before.version)?;
        require_open(&before)?;
        let legs = resolve_legs(&mut tx, &body.legs).await?;
        sqlx::query("delete from charter_trip_legs where trip_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let (starts, ends) = span(&legs);
        sqlx::query(
            "update charter_trips set starts_at = $2, ends_at = $3, version = version + 1
              where id = $1",
        )
        .bind(id.0)
        .bind(starts)
        .bind(ends)
        .execute(&mut *tx)
        .await?;
        insert_legs(&mut tx, id.0, &legs).await?;
        // Passengers keep the legs that still exist, else fly every leg with passengers.
        sqlx::query(
            "update charter_passengers p set legs = coalesce(
                 nullif(array(select s from unnest(p.legs) s
                               where s in (select seq from charter_trip_legs where trip_id = $1)),
                        '{}'),
                 array(select seq from charter_trip_legs
                        where trip_id = $1 and not positioning order by seq)),
                 version = version + 1
             where trip_id = $1",
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "charter_trip.legs_replaced",
            "charter_trip",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        want_weather(&state, &after);
        Ok(Json(after))
    }

    /// Move a trip on. quoted → scheduled (now it holds its aircraft: `409 booking-conflict`
    /// when taken) or cancelled; scheduled → released or cancelled; released → en_route,
    /// scheduled (un-release to change it) or cancelled; en_route → completed. Anything else is
    /// `409 invalid-transition`. Releasing runs the release checks (each aircraft airworthy on
    /// the day of its first departure): a blocking finding is `409 release-blocked` naming it,
    /// and nothing changes; the checks are kept on the released trip. A cancellation needs a
    /// `reason` and frees the aircraft.
    ///
    /// Permission: `charter.manage`. Audited as `charter_trip.<status>` with before and after.
    #[oai(path = "/:id/status", method = "post")]
    async fn change_status(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TripStatusChange>,
    ) -> Result<Json<Trip>> {
        let body = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let reason = body
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if body.status == TripStatus::Cancelled && reason.is_none() {
            return Err(AppError::validation(
                "reason",
                "a cancellation needs a reason",
            ));
        }
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("trip", body.version, before.version)?;
        if !allowed(before.status, body.status) {
            return Err(AppError::Conflict {
                code: "invalid-transition",
                detail: format!(
                    "trip {} is {}: it cannot become {}",
                    before.number,
                    wire(&before.status),
                    wire(&body.status)
                ),
                field: Some("status".into()),
            });
        }
        let checks = if body.status == TripStatus::Released {
            let checks = release_checks(&mut tx, &before).await?;
            let blocking: Vec<&str> = checks
                .iter()
                .filter(|c| c.outcome == "block")
                .map(|c| c.message.as_str())
                .collect();
            if !blocking.is_empty() {
                return Err(AppError::Conflict {
                    code: "release-blocked",
                    detail: blocking.join("; "),
                    field: None,
                });
            }
            checks
        } else {
            Vec::new()
        };
        let released = body.status == TripStatus::Released;
        sqlx::query(
            "update charter_trips set status = $2, version = version + 1,
                 release_checks = case when $3 then $4 when $2 = 'scheduled' then '[]'::jsonb
                                       else release_checks end,
                 released_at = case when $3 then now() when $2 = 'scheduled' then null
                                    else released_at end,
                 released_by = case when $3 then $5 when $2 = 'scheduled' then null
                                    else released_by end,
                 cancelled_at = case when $2 = 'cancelled' then now() else cancelled_at end,
                 cancel_reason = case when $2 = 'cancelled' then $6 else cancel_reason end
             where id = $1",
        )
        .bind(id.0)
        .bind(wire(&body.status))
        .bind(released)
        .bind(serde_json::to_value(&checks).map_err(|e| AppError::Internal(e.into()))?)
        .bind(ctx.user_id.0)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        let mut after = load(&mut tx, id.0, false).await?;
        if after.status == TripStatus::Completed && after.invoice_id.is_none() {
            // A completed trip is invoiced when its customer has a finance account.
            if invoicing::invoice(&mut tx, (&ctx).into(), &after, false)
                .await?
                .is_some()
            {
                after = load(&mut tx, id.0, false).await?;
            }
        }
        audit::updated(
            &mut tx,
            (&ctx).into(),
            &format!("charter_trip.{}", wire(&body.status)),
            "charter_trip",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Invoice the trip through finance: a draft invoice on the customer's finance account
    /// (the contact's `finance_account_id`; `409 no-finance-account` without one) with the
    /// accepted quote's price lines (taxes recomputed by finance from the rate's tax rates), or
    /// for a trip made by hand each leg's block time at the charter rate (`409 no-charter-rate`
    /// without one). Once: asking again answers the same invoice. A quoted or cancelled trip
    /// is `409 not-invoiceable`. A completed trip is invoiced when it completes if its customer
    /// has a finance account.
    ///
    /// Permission: `charter.manage`. Finance audits `invoice.created`.
    #[oai(path = "/:id/invoice", method = "post")]
    async fn invoice(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Invoiced> {
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let trip = load(&mut tx, id.0, true).await?;
        if matches!(trip.status, TripStatus::Quoted | TripStatus::Cancelled) {
            return Err(AppError::Conflict {
                code: "not-invoiceable",
                detail: format!("trip {} is {}", trip.number, wire(&trip.status)),
                field: None,
            });
        }
        let invoice = match trip.invoice_id {
            Some(i) => i,
            None => invoicing::invoice(&mut tx, (&ctx).into(), &trip, true)
                .await?
                .ok_or(AppError::NotFound("finance account"))?,
        };
        tx.commit().await?;
        Ok(Invoiced::Created(Json(TripInvoiced {
            trip_id: trip.id,
            invoice_id: invoice,
        })))
    }
}
