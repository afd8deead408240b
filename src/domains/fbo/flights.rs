//! `/api/v1/fbo/flights` and `/api/v1/fbo/board`: aircraft visiting the FBO, from expected to
//! departed, with the services they ask for, their tags and the spot they hold; and one
//! airport's arrivals and departures of a local day.
//!
//! A spot is held over a half-open time range in `fbo_parking_assignments`, whose exclusion
//! constraint refuses two flights on one spot at overlapping times; a flight moved to another
//! spot ends its hold on the first one at the move, and a departure ends its hold then, so each
//! spot keeps its history.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    FboBoard, FboService, FlightParking, FuelOrderSummary, LineTaskSummary, ParkingAssign,
    ParkingKind, VisitStatus, VisitStatusChange, VisitingFlight, VisitingFlightCreate,
    VisitingFlightPage, VisitingFlightUpdate,
};
use super::{FBO_FLIGHTS, FBO_READ, line, orders, parking};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::domains::contacts::service as contacts;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent, SerdeJson};
use crate::kernel::page;
use crate::kernel::units::{merge, wire};
use crate::timezone::TenantClock;

pub struct FlightsApi;

#[derive(ApiResponse)]
enum Created {
    /// The visiting flight as stored.
    #[oai(status = 201)]
    Created(Json<VisitingFlight>),
}

/// How far ahead of the server's clock an arrival or departure may be recorded.
const CLOCK_SLACK: Duration = Duration::minutes(5);
/// The most flights each half of the board shows.
const BOARD_MAX: i64 = 1000;

struct Row {
    id: Uuid,
    airport_code: String,
    tail_number: String,
    aircraft_type: Option<String>,
    operator_name: Option<String>,
    customer_id: Option<Uuid>,
    eta: Option<DateTime<Utc>>,
    etd: Option<DateTime<Utc>>,
    arrived_at: Option<DateTime<Utc>>,
    departed_at: Option<DateTime<Utc>>,
    passengers: Option<i32>,
    services: Vec<String>,
    status: VisitStatus,
    cancel_reason: Option<String>,
    tags: Vec<String>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    parking_location_id: Option<Uuid>,
    parking_code: Option<String>,
    parking_kind: Option<String>,
    parking_from: Option<DateTime<Utc>>,
    parking_to: Option<DateTime<Utc>>,
}

from_row_by_position!(Row {
    id, airport_code, tail_number, aircraft_type, operator_name, customer_id, eta, etd,
    arrived_at, departed_at, passengers, services, status as String, cancel_reason, tags, notes,
    version, created_at, updated_at, parking_location_id, parking_code, parking_kind,
    parking_from, parking_to,
});

/// A flight on the board: an arrival or a departure of the day (the statement selects the
/// [`Row`]'s columns, then these two).
struct BoardRow {
    row: Row,
    arrival: Option<bool>,
    departure: Option<bool>,
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for BoardRow {
    fn from_row(r: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row as _;
        Ok(Self {
            row: Row::from_row(r)?,
            arrival: r.try_get(24)?,
            departure: r.try_get(25)?,
        })
    }
}

impl From<Row> for VisitingFlight {
    fn from(r: Row) -> Self {
        let parking = match (
            r.parking_location_id,
            r.parking_code,
            r.parking_kind,
            r.parking_from,
        ) {
            (Some(location_id), Some(location_code), Some(kind), Some(from)) => {
                ParkingKind::try_from(kind).ok().map(|kind| FlightParking {
                    location_id,
                    location_code,
                    kind,
                    from,
                    to: r.parking_to,
                })
            }
            _ => None,
        };
        Self {
            id: r.id,
            airport_code: r.airport_code,
            tail_number: r.tail_number,
            aircraft_type: r.aircraft_type,
            operator_name: r.operator_name,
            customer_id: r.customer_id,
            eta: r.eta,
            etd: r.etd,
            arrived_at: r.arrived_at,
            departed_at: r.departed_at,
            passengers: r.passengers,
            services: r
                .services
                .into_iter()
                .filter_map(|s| FboService::try_from(s).ok())
                .collect(),
            status: r.status,
            cancel_reason: r.cancel_reason,
            tags: r.tags,
            notes: r.notes,
            parking,
            fuel_orders: Vec::new(),
            line_tasks: Vec::new(),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A flight with the spot it holds, will hold or last held (its latest hold).
const SELECT: &str = "select f.id, f.airport_code, f.tail_number, f.aircraft_type,
        f.operator_name, f.customer_id, f.eta, f.etd, f.arrived_at, f.departed_at, f.passengers,
        f.services, f.status, f.cancel_reason, f.tags, f.notes, f.version, f.created_at,
        f.updated_at, p.location_id as parking_location_id, p.location_code as parking_code,
        p.kind as parking_kind, p.starts_at as parking_from, p.ends_at as parking_to
   from fbo_flights f
   left join lateral (
     select a.location_id, l.location_code, l.kind, a.starts_at, a.ends_at
       from fbo_parking_assignments a join fbo_parking_locations l on l.id = a.location_id
      where a.flight_id = f.id order by a.starts_at desc limit 1) p on true";

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<VisitingFlight> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where f.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let mut flights = vec![row.map(Into::into).ok_or(AppError::NotFound("flight"))?];
    with_orders(conn, &mut flights).await?;
    Ok(flights.remove(0))
}

/// Puts each flight's fuel orders and line tasks on it (one statement for all of each).
async fn with_orders(conn: &mut PgConnection, flights: &mut [VisitingFlight]) -> Result<()> {
    if flights.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<Uuid> = flights.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut orders_of: HashMap<Uuid, Vec<FuelOrderSummary>> = HashMap::new();
    for (flight, o) in orders::of_flights(&mut *conn, &ids).await? {
        orders_of.entry(flight).or_default().push(o);
    }
    let mut tasks_of: HashMap<Uuid, Vec<LineTaskSummary>> = HashMap::new();
    for (flight, t) in line::of_flights(conn, &ids).await? {
        tasks_of.entry(flight).or_default().push(t);
    }
    // Each flight is here once (a flight on both halves of the board is shared by them).
    for f in flights {
        f.fuel_orders = orders_of.remove(&f.id).unwrap_or_default();
        f.line_tasks = tasks_of.remove(&f.id).unwrap_or_default();
    }
    Ok(())
}

/// Locks the flight's row (status changes and parking moves of one flight run one at a time).
async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<VisitingFlight> {
    let found: Option<Uuid> =
        sqlx::query_scalar("select id from fbo_flights where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    found.ok_or(AppError::NotFound("flight"))?;
    load(conn, id).await
}

async fn check_customer(conn: &mut PgConnection, id: Option<Uuid>) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    contacts::contact(conn, id)
        .await?
        .filter(|c| c.is_customer && c.active)
        .map(|_| ())
        .ok_or_else(|| {
            AppError::validation(
                "customer_id",
                "names no active customer of this organisation",
            )
        })
}

fn check_times(eta: Option<DateTime<Utc>>, etd: Option<DateTime<Utc>>) -> Result<()> {
    match (eta, etd) {
        (None, None) => Err(AppError::validation("eta", "is required without etd")),
        (Some(a), Some(d)) if d <= a => Err(AppError::validation("etd", "must be after eta")),
        _ => Ok(()),
    }
}

fn services(s: &[FboService]) -> Vec<String> {
    s.iter().map(wire).collect()
}

/// Ends the flight's holds from `at` on: a hold starting at or after `at` is removed, one
/// running over `at` ends there.
async fn release_from(conn: &mut PgConnection, flight: Uuid, at: DateTime<Utc>) -> Result<u64> {
    let removed =
        sqlx::query("delete from fbo_parking_assignments where flight_id = $1 and starts_at >= $2")
            .bind(flight)
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let ended = sqlx::query(
        "update fbo_parking_assignments set ends_at = $2
          where flight_id = $1 and starts_at < $2 and (ends_at is null or ends_at > $2)",
    )
    .bind(flight)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(removed + ended)
}

fn audit_change<'a>(
    action: &'a str,
    id: Uuid,
    before: Option<&VisitingFlight>,
    after: Option<&VisitingFlight>,
) -> Change<'a> {
    Change {
        action,
        resource_type: "fbo_flight",
        resource_id: Some(id.to_string()),
        before: before.and_then(audit::snapshot),
        after: after.and_then(audit::snapshot),
    }
}

fn parking_conflict(code: &str, holder: Option<(Uuid, String)>) -> AppError {
    AppError::Conflict {
        code: "parking-conflict",
        detail: match holder {
            Some((id, tail)) => {
                format!("{code} is held by {tail} (flight {id}) for an overlapping time")
            }
            None => format!("{code} is held by another flight for an overlapping time"),
        },
        field: Some("location_id".into()),
    }
}

#[OpenApi(prefix_path = "/api/v1/fbo", tag = "super::Tag::FboFlights")]
impl FlightsApi {
    /// Visiting flights by expected time (ETA, else ETD), earliest first. Filters: `airport`
    /// (the seed's `by_airport`), `status`, `active=true` (expected, arrived or serviced: the
    /// seed's `active`), `tag`, and `from`/`to` on the expected time.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/flights", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// An airport code as stored (`KTEB`).
        #[oai(validator(max_length = 10))]
        airport: Query<Option<String>>,
        status: Query<Option<VisitStatus>>,
        active: Query<Option<bool>>,
        #[oai(validator(max_length = 32))] tag: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<VisitingFlightPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT}
              where ($1::text is null or f.airport_code = upper($1))
                and ($2::text is null or f.status = $2)
                and ($3::bool is null
                     or (f.status in ('expected', 'arrived', 'serviced')) = $3)
                and ($4::text is null or f.tags @> array[$4])
                and ($5::timestamptz is null or coalesce(f.eta, f.etd) >= $5)
                and ($6::timestamptz is null or coalesce(f.eta, f.etd) < $6)
                and ($7::timestamptz is null or (coalesce(f.eta, f.etd), f.id) > ($7, $8::uuid))
              order by coalesce(f.eta, f.etd), f.id limit $9"
        )))
        .bind(&airport.0)
        .bind(status.0.map(|s| wire(&s)))
        .bind(active.0)
        .bind(&tag.0)
        .bind(from.0)
        .bind(to.0)
        .bind(after.map(|(at, _)| at))
        .bind(after.map(|(_, id)| id))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        let mut items: Vec<VisitingFlight> = rows.into_iter().map(Into::into).collect();
        with_orders(&mut tx, &mut items).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish_by_time(items, limit, |f: &VisitingFlight| {
            (f.eta.or(f.etd).unwrap_or_default(), f.id)
        });
        Ok(Json(VisitingFlightPage { items, next_cursor }))
    }

    /// Record a visiting flight, `expected`. The airport is any airport or landing site;
    /// the customer, if named, a contact with the role `customer`.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_flight.created`.
    #[oai(path = "/flights", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<VisitingFlightCreate>,
    ) -> Result<Created> {
        let b = body.0;
        check_times(b.eta, b.etd)?;
        if b.operator_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return Err(AppError::validation("operator_name", "must not be blank"));
        }
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let airport = parking::airport_code(&mut tx, "airport_code", &b.airport_code).await?;
        check_customer(&mut tx, b.customer_id).await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into fbo_flights (id, airport_code, tail_number, aircraft_type, operator_name,
                 customer_id, eta, etd, passengers, services, tags, notes, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(&airport)
        .bind(b.tail_number.to_uppercase())
        .bind(b.aircraft_type.map(|t| t.to_uppercase()))
        .bind(b.operator_name.map(|n| n.trim().to_owned()))
        .bind(b.customer_id)
        .bind(b.eta)
        .bind(b.etd)
        .bind(b.passengers)
        .bind(services(&b.services))
        .bind(&b.tags)
        .bind(&b.notes)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await?;
        let flight = load(&mut tx, id).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change("fbo_flight.created", id, None, Some(&flight)),
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(flight)))
    }

    /// One visiting flight with its spot.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/flights/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<VisitingFlight>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let flight = load(&mut tx, id.0).await?;
        tx.end_read();
        Ok(Json(flight))
    }

    /// Change a flight's details (the airport stays; the status changes by `POST .../status`).
    /// A departed or cancelled flight is `409 flight-closed`. With `version`, a concurrent
    /// change answers `409 version-conflict`.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_flight.updated` with before and after.
    #[oai(path = "/flights/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<VisitingFlightUpdate>,
    ) -> Result<Json<VisitingFlight>> {
        let b = body.0;
        if let MaybeUndefined::Value(n) = &b.operator_name
            && n.trim().is_empty()
        {
            return Err(AppError::validation("operator_name", "must not be blank"));
        }
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let before = lock(&mut tx, id.0).await?;
        AppError::check_version("flight", b.version, before.version)?;
        require_open(&before)?;
        let mut after = before.clone();
        if let Some(t) = &b.tail_number {
            after.tail_number = t.to_uppercase();
        }
        merge(&mut after.aircraft_type, &b.aircraft_type);
        after.aircraft_type = after.aircraft_type.map(|t| t.to_uppercase());
        merge(&mut after.operator_name, &b.operator_name);
        after.operator_name = after.operator_name.map(|n| n.trim().to_owned());
        merge(&mut after.customer_id, &b.customer_id);
        merge(&mut after.eta, &b.eta);
        merge(&mut after.etd, &b.etd);
        merge(&mut after.passengers, &b.passengers);
        merge(&mut after.notes, &b.notes);
        if let Some(s) = &b.services {
            after.services = s.clone();
        }
        if let Some(t) = &b.tags {
            after.tags = t.clone();
        }
        check_times(after.eta, after.etd)?;
        if after.customer_id != before.customer_id {
            check_customer(&mut tx, after.customer_id).await?;
        }
        sqlx::query(
            "update fbo_flights set tail_number = $2, aircraft_type = $3, operator_name = $4,
                 customer_id = $5, eta = $6, etd = $7, passengers = $8, services = $9, tags = $10,
                 notes = $11, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(&after.tail_number)
        .bind(&after.aircraft_type)
        .bind(&after.operator_name)
        .bind(after.customer_id)
        .bind(after.eta)
        .bind(after.etd)
        .bind(after.passengers)
        .bind(services(&after.services))
        .bind(&after.tags)
        .bind(&after.notes)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change("fbo_flight.updated", id.0, Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Move a flight on: `arrived` (from expected; `at` the landing, default now),
    /// `serviced` (from arrived), `departed` (from arrived or serviced; `at` the departure,
    /// default now, not before the arrival; the spot is released then) or `cancelled` (from
    /// expected, with a `reason`; its spot is released). `at` may be at most 5 minutes ahead
    /// of the server's clock. Any other step is `409 invalid-transition`.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_flight.status_changed`.
    #[oai(path = "/flights/:id/status", method = "post")]
    async fn status(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<VisitStatusChange>,
    ) -> Result<Json<VisitingFlight>> {
        let b = body.0;
        let now = Utc::now();
        let at = b.at.unwrap_or(now);
        if at > now + CLOCK_SLACK {
            return Err(AppError::validation("at", "must not be in the future"));
        }
        if b.status == VisitStatus::Cancelled
            && b.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(AppError::validation(
                "reason",
                "is required for a cancellation",
            ));
        }
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let before = lock(&mut tx, id.0).await?;
        use VisitStatus::{Arrived, Cancelled, Departed, Expected, Serviced};
        let allowed = matches!(
            (before.status, b.status),
            (Expected, Arrived | Cancelled) | (Arrived, Serviced | Departed) | (Serviced, Departed)
        );
        if !allowed {
            return Err(AppError::Conflict {
                code: "invalid-transition",
                detail: format!(
                    "a flight that is {} cannot become {}",
                    wire(&before.status),
                    wire(&b.status)
                ),
                field: Some("status".into()),
            });
        }
        match b.status {
            Arrived => {
                sqlx::query("update fbo_flights set status = 'arrived', arrived_at = $2, version = version + 1 where id = $1")
                    .bind(id.0)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            Serviced => {
                sqlx::query("update fbo_flights set status = 'serviced', version = version + 1 where id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            Departed => {
                if before.arrived_at.is_some_and(|a| at < a) {
                    return Err(AppError::validation("at", "must be after arrived_at"));
                }
                sqlx::query("update fbo_flights set status = 'departed', departed_at = $2, version = version + 1 where id = $1")
                    .bind(id.0)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                release_from(&mut tx, id.0, at).await?;
            }
            Cancelled => {
                sqlx::query("update fbo_flights set status = 'cancelled', cancel_reason = $2, version = version + 1 where id = $1")
                    .bind(id.0)
                    .bind(b.reason.as_deref().map(str::trim))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("delete from fbo_parking_assignments where flight_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            Expected => {}
        }
        let after = load(&mut tx, id.0).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change(
                "fbo_flight.status_changed",
                id.0,
                Some(&before),
                Some(&after),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Put the flight on a spot: an active parking location or gate at its airport, from
    /// `from` (default: now if it is on the ground, else its ETA) until `to` (default its ETD;
    /// without one the spot is held until it departs). A spot it held or was to hold is
    /// released from `from` on. Another flight holding the spot at an overlapping time is
    /// `409 parking-conflict` naming it (the database refuses the overlap however requests
    /// race); a departed or cancelled flight is `409 flight-closed`.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_flight.parked`.
    #[oai(path = "/flights/:id/parking", method = "put")]
    async fn park(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ParkingAssign>,
    ) -> Result<Json<VisitingFlight>> {
        let b = body.0;
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let before = lock(&mut tx, id.0).await?;
        require_open(&before)?;
        let location = match parking::load(&mut tx, b.location_id, false).await {
            Ok(l) if l.active && l.airport_code == before.airport_code => l,
            Ok(_) | Err(AppError::NotFound(_)) => {
                return Err(AppError::validation(
                    "location_id",
                    "names no active parking location of this airport",
                ));
            }
            Err(e) => return Err(e),
        };
        let now = Utc::now();
        let on_ground = matches!(before.status, VisitStatus::Arrived | VisitStatus::Serviced);
        let from = b.from.unwrap_or(if on_ground {
            now
        } else {
            before.eta.unwrap_or(now)
        });
        let to = b.to.or(before.etd);
        if to.is_some_and(|t| t <= from) {
            let field = if b.to.is_some() { "to" } else { "from" };
            return Err(AppError::validation(
                field,
                if b.to.is_some() {
                    "must be after from"
                } else {
                    "must be before etd"
                },
            ));
        }
        release_from(&mut tx, id.0, from).await?;
        let holder: Option<(Uuid, String)> = sqlx::query_as(
            "select f.id, f.tail_number from fbo_parking_assignments a
               join fbo_flights f on f.id = a.flight_id
              where a.location_id = $1 and a.flight_id <> $4
                and tstzrange(a.starts_at, a.ends_at) && tstzrange($2, $3)
              order by a.starts_at limit 1",
        )
        .bind(location.id)
        .bind(from)
        .bind(to)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        if holder.is_some() {
            return Err(parking_conflict(&location.location_code, holder));
        }
        let inserted = sqlx::query(
            "insert into fbo_parking_assignments (id, flight_id, location_id, starts_at, ends_at,
                 created_by)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(id.0)
        .bind(location.id)
        .bind(from)
        .bind(to)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23P01") => {
                return Err(parking_conflict(&location.location_code, None));
            }
            Err(e) => return Err(e.into()),
        }
        let after = load(&mut tx, id.0).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change("fbo_flight.parked", id.0, Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Release the flight's spot from now on (a hold not yet begun is removed); `404` when it
    /// holds none now or later.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_flight.unparked`.
    #[oai(path = "/flights/:id/parking", method = "delete")]
    async fn unpark(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let before = lock(&mut tx, id.0).await?;
        if release_from(&mut tx, id.0, Utc::now()).await? == 0 {
            return Err(AppError::NotFound("parking"));
        }
        let after = load(&mut tx, id.0).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change("fbo_flight.unparked", id.0, Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// One airport's board for a local day (`date`, default today at the airport): arrivals
    /// by ETA (the landing time once arrived) and departures by ETD (the departure time once
    /// departed), each with its status, spot, fuel orders and line tasks; cancelled flights
    /// show as such, and a flight landing and leaving that day is on both. At most 1,000 of
    /// each.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/board", method = "get")]
    async fn board(
        &self,
        ctx: TenantCtx,
        /// An airport or landing-site code.
        #[oai(validator(min_length = 2, max_length = 10))]
        airport: Query<String>,
        date: Query<Option<NaiveDate>>,
    ) -> Result<SerdeJson<FboBoard>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let found = airports::by_code(&mut tx, &airport.0)
            .await?
            .ok_or_else(|| AppError::validation("airport", "names no airport or landing site"))?;
        let clock = TenantClock {
            tz: found.time_zone.parse().unwrap_or(Tz::UTC),
        };
        let date = date.0.unwrap_or_else(|| clock.today());
        let (start, end) = clock.days(date, 1);
        // Every flight of the day once (arriving, leaving or both), split and ordered here.
        // Each flight's current spot comes from one pass over the day's parking holds (a
        // subquery per flight cost a join per flight).
        let rows: Vec<BoardRow> = sqlx::query_as(
            "with f as (
               select f.*,
                      coalesce(f.arrived_at, f.eta) >= $2 and coalesce(f.arrived_at, f.eta) < $3
                          as arrival,
                      coalesce(f.departed_at, f.etd) >= $2 and coalesce(f.departed_at, f.etd) < $3
                          as departure
                 from fbo_flights f
                where f.airport_code = $1
                  and ((coalesce(f.arrived_at, f.eta) >= $2 and coalesce(f.arrived_at, f.eta) < $3)
                       or (coalesce(f.departed_at, f.etd) >= $2
                           and coalesce(f.departed_at, f.etd) < $3))
                order by coalesce(f.arrived_at, f.eta, f.departed_at, f.etd), f.id
                limit $4)
             select f.id, f.airport_code, f.tail_number,
                    f.aircraft_type, f.operator_name, f.customer_id, f.eta, f.etd, f.arrived_at,
                    f.departed_at, f.passengers, f.services, f.status, f.cancel_reason, f.tags,
                    f.notes, f.version, f.created_at, f.updated_at,
                    p.location_id as parking_location_id, p.location_code as parking_code,
                    p.kind as parking_kind, p.starts_at as parking_from, p.ends_at as parking_to,
                    f.arrival, f.departure
               from f
               left join (
                 select distinct on (a.flight_id) a.flight_id, a.location_id, l.location_code,
                        l.kind, a.starts_at, a.ends_at
                   from fbo_parking_assignments a
                   join fbo_parking_locations l on l.id = a.location_id
                  where a.flight_id in (select id from f)
                  order by a.flight_id, a.starts_at desc) p on p.flight_id = f.id",
        )
        .bind(&found.code)
        .bind(start)
        .bind(end)
        .bind(2 * BOARD_MAX)
        .fetch_all(&mut *tx)
        .await?;
        let mut halves = Vec::with_capacity(rows.len());
        let mut flights: Vec<VisitingFlight> = Vec::with_capacity(rows.len());
        for BoardRow {
            arrival,
            departure,
            row,
        } in rows
        {
            halves.push((arrival.unwrap_or(false), departure.unwrap_or(false)));
            flights.push(row.into());
        }
        // One statement each for the fuel orders and the line tasks of all of them.
        with_orders(&mut tx, &mut flights).await?;
        tx.end_read();
        let (mut arrivals, mut departures) = (Vec::new(), Vec::new());
        for ((arrival, departure), f) in halves.into_iter().zip(flights) {
            let f = Arc::new(f);
            match (arrival, departure) {
                (true, true) => {
                    departures.push(f.clone());
                    arrivals.push(f);
                }
                (true, false) => arrivals.push(f),
                (false, true) => departures.push(f),
                (false, false) => {}
            }
        }
        arrivals.sort_by_key(|f| (f.arrived_at.or(f.eta), f.id));
        departures.sort_by_key(|f| (f.departed_at.or(f.etd), f.id));
        arrivals.truncate(BOARD_MAX as usize);
        departures.truncate(BOARD_MAX as usize);
        Ok(SerdeJson(FboBoard {
            airport_code: found.code,
            date,
            time_zone: found.time_zone,
            arrivals,
            departures,
        }))
    }
}

fn require_open(f: &VisitingFlight) -> Result<()> {
    if matches!(f.status, VisitStatus::Departed | VisitStatus::Cancelled) {
        return Err(AppError::Conflict {
            code: "flight-closed",
            detail: format!("the flight is {}", wire(&f.status)),
            field: None,
        });
    }
    Ok(())
}
