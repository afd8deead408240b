//! `/api/v1/fbo/fuel-orders` and `/api/v1/fbo/events`: fuel dispatch. An order asks for fuel
//! for a visiting flight (a quantity or a top-off, for a time); the line assigns a fueler and a
//! truck (`assign_fueler`, checked against the fueler's training by the compliance engine), the
//! fueler reports progress (`update_progress`: en route, fueling, completed with the meter and
//! the quantity), and completion dispenses the fuel from the truck (the fuel farm's inventory)
//! and drafts the fuel sale for the flight's customer (finance, at their price tier).
//!
//! Every change is an event of the FBO's live feed: a numbered row of `fbo_events` written in
//! the change's transaction and published to the host's live hub on commit (`crate::live`),
//! which the board follows over Server-Sent Events and resumes with `Last-Event-ID`.

use std::collections::VecDeque;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures_util::stream::{self, BoxStream, StreamExt};
use poem::web::sse::Event;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{EventStream, Json};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::dto::{
    FboEvent, FboEventKind, FuelOrder, FuelOrderCancel, FuelOrderCreate, FuelOrderPage,
    FuelOrderStatus, FuelOrderSummary, FuelOrderUpdate, FuelProduct, FuelProgress,
    FuelProgressStep, FuelUnit, FuelerAssign, Unbilled, VisitStatus,
};
use super::fuel::{self, from_litres, to_litres};
use super::{FBO_FLIGHTS, FBO_FUEL, FBO_MANAGE, FBO_READ, training};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::compliance::State;
use crate::domains::airports::service as airports;
use crate::domains::contacts::service as contacts;
use crate::domains::finance::service as finance;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::{merge, wire};
use crate::live::{self, Delivery};
use crate::tenancy::{TenantScope, TenantTx};

pub struct OrdersApi;

/// The live feed's events.
#[derive(ApiResponse)]
enum Events {
    /// `text/event-stream`: one SSE event per change (`id`: its number, `event`: its kind,
    /// `data`: an `FboEvent`), and a comment every 15 seconds.
    #[oai(status = 200)]
    Stream(EventStream<BoxStream<'static, FboEvent>>),
}

#[derive(ApiResponse)]
enum Created {
    /// The fuel order as stored.
    #[oai(status = 201)]
    Created(Json<FuelOrder>),
}

/// The live feed's topic in the host's hub.
const TOPIC: &str = "fbo";
/// A stream ends after this long; the client reconnects with `Last-Event-ID` (an access token
/// does not outlive it by much, and a revoked one stops being served).
const STREAM_LIFETIME: StdDuration = StdDuration::from_secs(15 * 60);
/// Events a reconnecting stream reads from the table per round trip.
const REPLAY_BATCH: i64 = 500;
/// How long the feed keeps events for clients that reconnect.
pub(super) const EVENT_RETENTION_HOURS: i32 = 24;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    flight_id: Uuid,
    tail_number: String,
    airport_code: String,
    #[sqlx(try_from = "String")]
    product: FuelProduct,
    requested_l: Option<f64>,
    top_off: bool,
    requested_for: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    status: FuelOrderStatus,
    fueler_id: Option<Uuid>,
    fueler_name: Option<String>,
    truck_id: Option<Uuid>,
    assignment_warnings: Vec<String>,
    meter_start: Option<f64>,
    meter_stop: Option<f64>,
    delivered_l: Option<f64>,
    movement_id: Option<Uuid>,
    invoice_id: Option<Uuid>,
    unbilled_reason: Option<String>,
    assigned_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn order(r: Row, unit: FuelUnit) -> FuelOrder {
    let q = |l: Option<f64>| l.map(|l| from_litres(l, unit, r.product));
    FuelOrder {
        id: r.id,
        flight_id: r.flight_id,
        tail_number: r.tail_number,
        airport_code: r.airport_code,
        product: r.product,
        quantity: q(r.requested_l),
        top_off: r.top_off,
        unit,
        requested_for: r.requested_for,
        status: r.status,
        fueler_id: r.fueler_id,
        fueler_name: r.fueler_name,
        truck_id: r.truck_id,
        assignment_warnings: r.assignment_warnings,
        meter_start: q(r.meter_start),
        meter_stop: q(r.meter_stop),
        delivered: q(r.delivered_l),
        movement_id: r.movement_id,
        invoice_id: r.invoice_id,
        unbilled_reason: r.unbilled_reason.and_then(|u| Unbilled::try_from(u).ok()),
        assigned_at: r.assigned_at,
        started_at: r.started_at,
        completed_at: r.completed_at,
        cancelled_at: r.cancelled_at,
        cancel_reason: r.cancel_reason,
        notes: r.notes,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

const SELECT: &str = "select o.id, o.flight_id, f.tail_number, f.airport_code, o.product,
        o.requested_l::float8 as requested_l, o.top_off, o.requested_for, o.status, o.fueler_id,
        u.name as fueler_name, o.truck_id, o.assignment_warnings,
        o.meter_start::float8 as meter_start, o.meter_stop::float8 as meter_stop,
        o.delivered_l::float8 as delivered_l, o.movement_id, o.invoice_id, o.unbilled_reason,
        o.assigned_at, o.started_at, o.completed_at, o.cancelled_at, o.cancel_reason, o.notes,
        o.version, o.created_at, o.updated_at
   from fbo_fuel_orders o join fbo_flights f on f.id = o.flight_id
   left join users u on u.id = o.fueler_id";

async fn load(conn: &mut PgConnection, id: Uuid, unit: FuelUnit) -> Result<FuelOrder> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where o.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| order(r, unit))
        .ok_or(AppError::NotFound("fuel order"))
}

/// Locks the order's row (one change of an order at a time) and reads it.
async fn lock(conn: &mut PgConnection, id: Uuid, unit: FuelUnit) -> Result<FuelOrder> {
    let found: Option<Uuid> =
        sqlx::query_scalar("select id from fbo_fuel_orders where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    found.ok_or(AppError::NotFound("fuel order"))?;
    load(conn, id, unit).await
}

struct SummaryRow {
    id: Uuid,
    flight_id: Uuid,
    product: FuelProduct,
    requested_l: Option<f64>,
    top_off: bool,
    requested_for: DateTime<Utc>,
    status: FuelOrderStatus,
    fueler_id: Option<Uuid>,
    fueler_name: Option<String>,
    truck_id: Option<Uuid>,
    delivered_l: Option<f64>,
    completed_at: Option<DateTime<Utc>>,
    /// The tenant's fuel unit setting, read in the same statement.
    unit: Option<String>,
}

from_row_by_position!(SummaryRow {
    id, flight_id, product as String, requested_l, top_off, requested_for, status as String,
    fueler_id, fueler_name, truck_id, delivered_l, completed_at, unit,
});

/// The fuel orders of `flights` at a glance, by requested time, each with its flight's id:
/// for the board and the flight (one statement).
pub(super) async fn of_flights(
    conn: &mut PgConnection,
    flights: &[Uuid],
) -> Result<Vec<(Uuid, FuelOrderSummary)>> {
    if flights.is_empty() {
        return Ok(Vec::new());
    }
    // The fuel unit setting rides in the same statement (one round trip less for the board).
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "select o.id, o.flight_id, o.product, o.requested_l::float8 as requested_l, o.top_off,
                o.requested_for, o.status, o.fueler_id, u.name as fueler_name, o.truck_id,
                o.delivered_l::float8 as delivered_l, o.completed_at,
                (select s.value->>'fuel' from settings s where s.key = 'units') as unit
           from fbo_fuel_orders o left join users u on u.id = o.fueler_id
          where o.flight_id = any($1) order by o.requested_for, o.id",
    )
    .bind(flights)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let unit = fuel::unit_named(r.unit.as_deref());
            let q = |l: Option<f64>| l.map(|l| from_litres(l, unit, r.product));
            (
                r.flight_id,
                FuelOrderSummary {
                    id: r.id,
                    product: r.product,
                    quantity: q(r.requested_l),
                    top_off: r.top_off,
                    unit,
                    requested_for: r.requested_for,
                    status: r.status,
                    fueler_id: r.fueler_id,
                    fueler_name: r.fueler_name,
                    truck_id: r.truck_id,
                    delivered: q(r.delivered_l),
                    completed_at: r.completed_at,
                },
            )
        })
        .collect())
}

/// Writes event `kind` of `o` to the feed and publishes it when the transaction commits.
async fn emit(
    conn: &mut PgConnection,
    ctx: &TenantCtx,
    kind: FboEventKind,
    o: &FuelOrder,
) -> Result<()> {
    // The API's own JSON (poem's `ToJSON`), which the stream parses back: one representation.
    let data = o.to_json().unwrap_or_default();
    let (id, at): (i64, DateTime<Utc>) = sqlx::query_as(
        "insert into fbo_events (kind, flight_id, fuel_order_id, data) values ($1, $2, $3, $4)
         returning id, at",
    )
    .bind(wire(&kind))
    .bind(o.flight_id)
    .bind(o.id)
    .bind(&data)
    .fetch_one(&mut *conn)
    .await?;
    let event = FboEvent {
        id,
        kind,
        at,
        fuel_order: o.clone(),
    };
    let json = event.to_json().unwrap_or_default();
    live::publish(conn, ctx.tenant.id, TOPIC, id, &wire(&kind), &json).await?;
    Ok(())
}

/// Audits `action` on the order and emits its event.
async fn changed(
    conn: &mut PgConnection,
    ctx: &TenantCtx,
    action: &str,
    kind: FboEventKind,
    before: Option<&FuelOrder>,
    after: &FuelOrder,
) -> Result<()> {
    audit::record(
        &mut *conn,
        ctx.into(),
        Change {
            action,
            resource_type: "fbo_fuel_order",
            resource_id: Some(after.id.to_string()),
            before: before.and_then(audit::snapshot),
            after: audit::snapshot(after),
        },
    )
    .await?;
    emit(conn, ctx, kind, after).await
}

fn closed(o: &FuelOrder) -> Result<()> {
    if matches!(
        o.status,
        FuelOrderStatus::Completed | FuelOrderStatus::Cancelled
    ) {
        return Err(AppError::Conflict {
            code: "fuel-order-closed",
            detail: format!("the fuel order is {}", wire(&o.status)),
            field: None,
        });
    }
    Ok(())
}

/// The flight of an order, as fuel dispatch needs it.
#[derive(sqlx::FromRow)]
struct OrderFlight {
    #[sqlx(try_from = "String")]
    status: VisitStatus,
    /// The landing, else the ETA, else the ETD.
    expected: Option<DateTime<Utc>>,
    customer_id: Option<Uuid>,
}

/// The flight `id` of an order, locked against a concurrent departure: `422` naming `field`
/// when it is no flight of the organisation, `409 flight-closed` once departed or cancelled.
async fn open_flight(conn: &mut PgConnection, id: Uuid, field: &str) -> Result<OrderFlight> {
    let row: Option<OrderFlight> = sqlx::query_as(
        "select status, coalesce(arrived_at, eta, etd) as expected, customer_id
           from fbo_flights where id = $1 for share",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let flight = row.ok_or_else(|| {
        AppError::validation(field, "names no visiting flight of this organisation")
    })?;
    if matches!(
        flight.status,
        VisitStatus::Departed | VisitStatus::Cancelled
    ) {
        return Err(AppError::Conflict {
            code: "flight-closed",
            detail: format!("the flight is {}", wire(&flight.status)),
            field: Some(field.into()),
        });
    }
    Ok(flight)
}

/// An active truck or tank of `product` at `airport` (`422` naming `truck_id` otherwise).
async fn check_truck(
    conn: &mut PgConnection,
    id: Uuid,
    airport: &str,
    product: FuelProduct,
) -> Result<()> {
    let row: Option<(String, String, bool)> =
        sqlx::query_as("select airport_code, product, active from fbo_fuel_tanks where id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    match row {
        None => Err(AppError::validation(
            "truck_id",
            "names no tank or truck of this organisation",
        )),
        Some((a, _, _)) if a != airport => Err(AppError::validation(
            "truck_id",
            format!("is at {a}, not at the flight's airport {airport}"),
        )),
        Some((_, p, _)) if p != wire(&product) => Err(AppError::validation(
            "truck_id",
            format!("holds {p}, not the order's {}", wire(&product)),
        )),
        Some((_, _, false)) => Err(AppError::validation("truck_id", "is out of service")),
        Some(_) => Ok(()),
    }
}

/// The quantity a completion dispensed, in the fuel unit: the one reported, else the meter
/// difference; both given must agree within 0.1.
fn delivered(
    quantity: Option<f64>,
    meter_start: Option<f64>,
    meter_stop: Option<f64>,
) -> Result<f64> {
    let metered = match (meter_start, meter_stop) {
        (Some(a), Some(b)) if b < a => {
            return Err(AppError::validation(
                "meter_stop",
                "must not be less than meter_start",
            ));
        }
        (Some(a), Some(b)) => Some(((b - a) * 10.0).round() / 10.0),
        _ => None,
    };
    match (quantity, metered) {
        (Some(q), Some(m)) if (q - m).abs() > 0.1 + 1e-9 => Err(AppError::validation(
            "quantity",
            format!("differs from the meter ({m})"),
        )),
        (Some(q), _) => Ok(q),
        (None, Some(m)) if m >= 0.1 => Ok(m),
        (None, Some(_)) => Err(AppError::validation(
            "meter_stop",
            "must be at least 0.1 more than meter_start",
        )),
        (None, None) => Err(AppError::validation(
            "quantity",
            "is required on completion without meter_start and meter_stop",
        )),
    }
}

/// The local date of `at` at `airport` (the training rule's day).
async fn local_date(
    conn: &mut PgConnection,
    airport: &str,
    at: DateTime<Utc>,
) -> Result<chrono::NaiveDate> {
    let tz = airports::by_code(conn, airport)
        .await?
        .and_then(|a| a.time_zone.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC);
    Ok(crate::compliance::calendar::local_date(at, tz))
}

/// Bills a completed order: the flight's customer's account, at its price tier.
async fn bill(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    o: &FuelOrder,
    customer: Option<Uuid>,
    litres: f64,
) -> Result<(Option<Uuid>, Option<Unbilled>)> {
    let Some(customer) = customer else {
        return Ok((None, Some(Unbilled::NoCustomer)));
    };
    let account = contacts::contact(tx, customer)
        .await?
        .and_then(|c| c.finance_account_id);
    let Some(account) = account else {
        return Ok((None, Some(Unbilled::NoAccount)));
    };
    let description = format!(
        "{} for {} at {}",
        product_name(o.product),
        o.tail_number,
        o.airport_code
    );
    Ok(
        match finance::fuel_sale(
            tx,
            ctx.into(),
            account,
            ("fbo_fuel_order", o.id),
            &wire(&o.product),
            litres,
            &description,
        )
        .await?
        {
            Ok(invoice) => (Some(invoice), None),
            Err(finance::Unbilled::NoPrice) => (None, Some(Unbilled::NoPrice)),
        },
    )
}

fn product_name(p: FuelProduct) -> &'static str {
    match p {
        FuelProduct::JetA => "Jet A",
        FuelProduct::Avgas100ll => "Avgas 100LL",
        FuelProduct::Saf => "SAF",
        FuelProduct::Mogas => "Mogas",
    }
}

#[OpenApi(prefix_path = "/api/v1/fbo", tag = "super::Tag::FboFuelOrders")]
impl OrdersApi {
    /// Fuel orders by requested time, earliest first. Filters: `flight_id`, `status`,
    /// `active=true` (not completed or cancelled), `fueler_id`, `airport`, and `from`/`to` on
    /// the requested time.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/fuel-orders", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: TenantCtx,
        flight_id: Query<Option<Uuid>>,
        status: Query<Option<FuelOrderStatus>>,
        active: Query<Option<bool>>,
        fueler_id: Query<Option<Uuid>>,
        /// An airport code as stored (`KTEB`).
        #[oai(validator(max_length = 10))]
        airport: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<FuelOrderPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let unit = fuel::unit(&mut tx).await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT}
              where ($1::uuid is null or o.flight_id = $1)
                and ($2::text is null or o.status = $2)
                and ($3::bool is null or (o.status not in ('completed', 'cancelled')) = $3)
                and ($4::uuid is null or o.fueler_id = $4)
                and ($5::text is null or f.airport_code = upper($5))
                and ($6::timestamptz is null or o.requested_for >= $6)
                and ($7::timestamptz is null or o.requested_for < $7)
                and ($8::timestamptz is null or (o.requested_for, o.id) > ($8, $9::uuid))
              order by o.requested_for, o.id limit $10"
        )))
        .bind(flight_id.0)
        .bind(status.0.map(|s| wire(&s)))
        .bind(active.0)
        .bind(fueler_id.0)
        .bind(&airport.0)
        .bind(from.0)
        .bind(to.0)
        .bind(after.map(|(at, _)| at))
        .bind(after.map(|(_, id)| id))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<FuelOrder> = rows.into_iter().map(|r| order(r, unit)).collect();
        let (items, next_cursor) =
            page::finish_by_time(items, limit, |o: &FuelOrder| (o.requested_for, o.id));
        Ok(Json(FuelOrderPage { items, next_cursor }))
    }

    /// Order fuel for an open visiting flight: a quantity in the tenant's fuel unit, or a
    /// top-off, for a time (default the flight's ETA, or now once it has landed).
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_fuel_order.created`; a
    /// `fuel_order_created` event on the live feed.
    #[oai(path = "/fuel-orders", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<FuelOrderCreate>) -> Result<Created> {
        let b = body.0;
        match (b.quantity, b.top_off) {
            (None, false) => {
                return Err(AppError::validation(
                    "quantity",
                    "is required unless top_off is true",
                ));
            }
            (Some(_), true) => {
                return Err(AppError::validation(
                    "quantity",
                    "must be left out for a top-off",
                ));
            }
            _ => {}
        }
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let flight = open_flight(&mut tx, b.flight_id, "flight_id").await?;
        let unit = fuel::unit(&mut tx).await?;
        let now = Utc::now();
        let requested_for = b.requested_for.unwrap_or(match flight.status {
            VisitStatus::Expected => flight.expected.unwrap_or(now).max(now),
            _ => now,
        });
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into fbo_fuel_orders (id, flight_id, product, requested_l, top_off,
                 requested_for, notes, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(b.flight_id)
        .bind(wire(&b.product))
        .bind(
            b.quantity
                .map(|q| (to_litres(q, unit, b.product) * 10.0).round() / 10.0),
        )
        .bind(b.top_off)
        .bind(requested_for)
        .bind(&b.notes)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await?;
        let o = load(&mut tx, id, unit).await?;
        changed(
            &mut tx,
            &ctx,
            "fbo_fuel_order.created",
            FboEventKind::FuelOrderCreated,
            None,
            &o,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(o)))
    }

    /// One fuel order.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/fuel-orders/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<FuelOrder>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let unit = fuel::unit(&mut tx).await?;
        let o = load(&mut tx, id.0, unit).await?;
        tx.end_read();
        Ok(Json(o))
    }

    /// Change what is asked (quantity or top-off, time, notes) until fueling starts: `409
    /// fuel-order-started` once en route or later, `409 fuel-order-closed` once completed or
    /// cancelled. With `version`, a concurrent change answers `409 version-conflict`.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_fuel_order.updated`; a
    /// `fuel_order_updated` event on the live feed.
    #[oai(path = "/fuel-orders/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelOrderUpdate>,
    ) -> Result<Json<FuelOrder>> {
        let b = body.0;
        if b.quantity.is_some() && b.top_off == Some(true) {
            return Err(AppError::validation(
                "quantity",
                "must be left out for a top-off",
            ));
        }
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let unit = fuel::unit(&mut tx).await?;
        let before = lock(&mut tx, id.0, unit).await?;
        AppError::check_version("fuel order", b.version, before.version)?;
        closed(&before)?;
        if before.status > FuelOrderStatus::Assigned {
            return Err(AppError::Conflict {
                code: "fuel-order-started",
                detail: format!("the fuel order is {}", wire(&before.status)),
                field: None,
            });
        }
        let mut after = before.clone();
        if let Some(q) = b.quantity {
            after.quantity = Some(q);
            after.top_off = false;
        }
        if b.top_off == Some(true) {
            after.quantity = None;
            after.top_off = true;
        } else if b.top_off == Some(false) && after.quantity.is_none() {
            return Err(AppError::validation(
                "quantity",
                "is required unless top_off is true",
            ));
        }
        if let Some(r) = b.requested_for {
            after.requested_for = r;
        }
        merge(&mut after.notes, &b.notes);
        let requested_l = if b.quantity.is_some() {
            b.quantity
                .map(|q| (to_litres(q, unit, after.product) * 10.0).round() / 10.0)
        } else if after.top_off {
            None
        } else {
            // Unchanged: keep the stored litres rather than a round trip through the unit.
            sqlx::query_scalar("select requested_l::float8 from fbo_fuel_orders where id = $1")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?
        };
        sqlx::query(
            "update fbo_fuel_orders set requested_l = $2, top_off = $3, requested_for = $4,
                 notes = $5, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(requested_l)
        .bind(after.top_off)
        .bind(after.requested_for)
        .bind(&after.notes)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, unit).await?;
        changed(
            &mut tx,
            &ctx,
            "fbo_fuel_order.updated",
            FboEventKind::FuelOrderUpdated,
            Some(&before),
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Assign a fueler (`assign_fueler`) and, optionally, a truck to a requested or assigned
    /// order (reassigning is allowed until fueling starts). The fueler is an active user whose
    /// roles grant `fbo.fuel` (`422` otherwise); the truck an active one of the order's
    /// product at the flight's airport. The compliance engine checks the fueler's training
    /// (fire safety and fuel handling, 14 CFR 139.321(e)) on the local day the fuel is wanted:
    /// in mode `block` (the default) lapsed training is `409 fueler-training-lapsed`, in
    /// `warn` the order keeps the finding in `assignment_warnings`, `off` skips it
    /// (`PUT /api/v1/fbo/rules/fueler_training`).
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_fuel_order.assigned`; a `fuel_order_assigned`
    /// event on the live feed.
    #[oai(path = "/fuel-orders/:id/assign", method = "post")]
    async fn assign(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelerAssign>,
    ) -> Result<Json<FuelOrder>> {
        let b = body.0;
        ctx.require(FBO_FUEL)?;
        let mut tx = ctx.begin().await?;
        let unit = fuel::unit(&mut tx).await?;
        let before = lock(&mut tx, id.0, unit).await?;
        closed(&before)?;
        if before.status > FuelOrderStatus::Assigned {
            return Err(AppError::Conflict {
                code: "fuel-order-started",
                detail: format!("the fuel order is {}", wire(&before.status)),
                field: None,
            });
        }
        open_flight(&mut tx, before.flight_id, "flight_id").await?;
        if !training::is_line_staff(&mut tx, b.fueler_id).await? {
            return Err(AppError::validation(
                "fueler_id",
                "names no active user whose roles grant fbo.fuel",
            ));
        }
        if let Some(t) = b.truck_id {
            check_truck(&mut tx, t, &before.airport_code, before.product).await?;
        }
        let mut warnings = Vec::new();
        let mode = training::mode(&mut tx, training::FUELER_TRAINING).await?;
        if mode != super::dto::FboRuleMode::Off {
            let day = local_date(
                &mut tx,
                &before.airport_code,
                before.requested_for.max(Utc::now()),
            )
            .await?;
            let finding = training::fueler_finding(&mut tx, b.fueler_id, day).await?;
            if finding.state == State::Failed {
                if mode == super::dto::FboRuleMode::Block {
                    return Err(AppError::Conflict {
                        code: "fueler-training-lapsed",
                        detail: format!("{} ({})", finding.detail, finding.regulation),
                        field: Some("fueler_id".into()),
                    });
                }
                warnings.push(format!("{} ({})", finding.detail, finding.regulation));
            }
        }
        sqlx::query(
            "update fbo_fuel_orders set fueler_id = $2, truck_id = coalesce($3, truck_id),
                 assignment_warnings = $4, status = 'assigned', assigned_at = now(),
                 version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(b.fueler_id)
        .bind(b.truck_id)
        .bind(&warnings)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, unit).await?;
        changed(
            &mut tx,
            &ctx,
            "fbo_fuel_order.assigned",
            FboEventKind::FuelOrderAssigned,
            Some(&before),
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Report progress (`update_progress`): `en_route`, `fueling`, `completed`, forward only
    /// (a step may be skipped; `409 invalid-transition` otherwise). Only the assigned fueler
    /// reports, or a user with `fbo.manage` (`403`). Completion needs a truck (this one or the
    /// assigned one) and the quantity dispensed (or the meter start and stop): it dispenses
    /// the quantity from the truck in the same transaction (`422` when the truck holds less),
    /// and drafts the fuel sale on the flight's customer's finance account at their price
    /// tier (`invoice_id`; `unbilled_reason` says why there is none).
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_fuel_order.progress` or
    /// `fbo_fuel_order.completed` (and `fbo_fuel.dispense`, `invoice.created`); a
    /// `fuel_order_progress` or `fuel_order_completed` event on the live feed.
    #[oai(path = "/fuel-orders/:id/progress", method = "post")]
    async fn progress(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelProgress>,
    ) -> Result<Json<FuelOrder>> {
        let b = body.0;
        let at = fuel::when(b.at)?;
        if let (Some(a), Some(s)) = (b.meter_start, b.meter_stop)
            && s < a
        {
            return Err(AppError::validation(
                "meter_stop",
                "must not be less than meter_start",
            ));
        }
        ctx.require(FBO_FUEL)?;
        let mut tx = ctx.begin().await?;
        let unit = fuel::unit(&mut tx).await?;
        let before = lock(&mut tx, id.0, unit).await?;
        closed(&before)?;
        if before.fueler_id != Some(ctx.user_id.0) && !ctx.has(FBO_MANAGE) {
            return Err(AppError::Forbidden(
                "only the assigned fueler, or a user with `fbo.manage`, reports progress".into(),
            ));
        }
        let next = match b.status {
            FuelProgressStep::EnRoute => FuelOrderStatus::EnRoute,
            FuelProgressStep::Fueling => FuelOrderStatus::Fueling,
            FuelProgressStep::Completed => FuelOrderStatus::Completed,
        };
        if before.status == FuelOrderStatus::Requested || next <= before.status {
            return Err(AppError::Conflict {
                code: "invalid-transition",
                detail: format!(
                    "a {} fuel order cannot go to {}",
                    wire(&before.status),
                    wire(&next)
                ),
                field: Some("status".into()),
            });
        }
        let customer = open_flight(&mut tx, before.flight_id, "flight_id")
            .await?
            .customer_id;
        let truck = b.truck_id.or(before.truck_id);
        if let Some(t) = b.truck_id {
            check_truck(&mut tx, t, &before.airport_code, before.product).await?;
        }
        let litres = |q: Option<f64>| q.map(|q| to_litres(q, unit, before.product));
        let meter_start = b.meter_start.or(before.meter_start);
        let meter_stop = b.meter_stop.or(before.meter_stop);
        if let (Some(a), Some(s)) = (meter_start, meter_stop)
            && s < a
        {
            return Err(AppError::validation(
                "meter_stop",
                "must not be less than meter_start",
            ));
        }
        let (mut movement, mut invoice, mut unbilled, mut delivered_l) = (None, None, None, None);
        if next == FuelOrderStatus::Completed {
            let Some(truck) = truck else {
                return Err(AppError::validation(
                    "truck_id",
                    "is required to complete an order without an assigned truck",
                ));
            };
            let q = delivered(b.quantity, meter_start, meter_stop)?;
            let m = fuel::dispense_in(
                &mut tx,
                &ctx,
                truck,
                unit,
                fuel::OrderDispense {
                    order: before.id,
                    flight: before.flight_id,
                    quantity: q,
                    at,
                },
            )
            .await?;
            let l = to_litres(q, unit, before.product);
            let (i, u) = bill(&mut tx, &ctx, &before, customer, l).await?;
            (movement, invoice, unbilled, delivered_l) = (Some(m.id), i, u, Some(l));
        }
        let round = |l: Option<f64>| l.map(|l| (l * 10.0).round() / 10.0);
        sqlx::query(
            "update fbo_fuel_orders set status = $2, truck_id = $3,
                 meter_start = coalesce($4, meter_start), meter_stop = coalesce($5, meter_stop),
                 started_at = case when $2 in ('fueling', 'completed') then coalesce(started_at, $6)
                                   else started_at end,
                 completed_at = case when $2 = 'completed' then $6 end,
                 delivered_l = $7, movement_id = $8, invoice_id = $9, unbilled_reason = $10,
                 version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(wire(&next))
        .bind(truck)
        .bind(round(litres(b.meter_start)))
        .bind(round(litres(b.meter_stop)))
        .bind(at)
        .bind(round(delivered_l))
        .bind(movement)
        .bind(invoice)
        .bind(unbilled.map(|u| wire(&u)))
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, unit).await?;
        let (action, kind) = if next == FuelOrderStatus::Completed {
            ("fbo_fuel_order.completed", FboEventKind::FuelOrderCompleted)
        } else {
            ("fbo_fuel_order.progress", FboEventKind::FuelOrderProgress)
        };
        changed(&mut tx, &ctx, action, kind, Some(&before), &after).await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Cancel an order that is not completed, with a reason.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_fuel_order.cancelled`; a
    /// `fuel_order_cancelled` event on the live feed.
    #[oai(path = "/fuel-orders/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelOrderCancel>,
    ) -> Result<Json<FuelOrder>> {
        let reason = body.0.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(AppError::validation("reason", "must not be blank"));
        }
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let unit = fuel::unit(&mut tx).await?;
        let before = lock(&mut tx, id.0, unit).await?;
        closed(&before)?;
        sqlx::query(
            "update fbo_fuel_orders set status = 'cancelled', cancelled_at = now(),
                 cancel_reason = $2, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, unit).await?;
        changed(
            &mut tx,
            &ctx,
            "fbo_fuel_order.cancelled",
            FboEventKind::FuelOrderCancelled,
            Some(&before),
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// The live feed of the FBO's fuel orders, as Server-Sent Events (`text/event-stream`):
    /// each event's `id` is its number, `event` its kind, `data` an `FboEvent`. Only the
    /// caller's organisation's events. From now on; with `Last-Event-ID` (the header browsers
    /// send on reconnect) it first replays the events after that number that the feed still
    /// keeps (a day), in order, then follows live ones, each once. A comment is sent every 15
    /// seconds to keep the connection open, and the stream ends after 15 minutes: reconnect
    /// with the last id seen.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/events", method = "get")]
    async fn events(
        &self,
        ctx: TenantCtx,
        /// The last event id the client saw (sent by EventSource on reconnect).
        #[oai(name = "Last-Event-ID", validator(minimum(value = "0")))]
        last_event_id: Header<Option<i64>>,
    ) -> Result<Events> {
        ctx.require(FBO_READ)?;
        // Subscribe first: nothing committed from here on is missed by the replay below.
        let rx = ctx.live(TOPIC);
        let scope = ctx.scope();
        let (last, replay) = match last_event_id.0 {
            Some(id) => (id, true),
            None => {
                let mut tx = scope.begin().await?;
                let max: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from fbo_events")
                    .fetch_one(&mut *tx)
                    .await?;
                tx.end_read();
                (max, false)
            }
        };
        let feed = Feed {
            scope,
            rx,
            last,
            pending: VecDeque::new(),
            replay,
            deadline: tokio::time::Instant::now() + STREAM_LIFETIME,
        };
        let events = stream::unfold(feed, |mut feed| async move {
            feed.next().await.map(|e| (e, feed))
        })
        .boxed();
        Ok(Events::Stream(
            EventStream::new(events)
                .keep_alive(StdDuration::from_secs(15))
                .to_event(|e: FboEvent| {
                    Event::message(e.to_json_string())
                        .id(e.id.to_string())
                        .event_type(wire(&e.kind))
                }),
        ))
    }
}

/// One subscriber's position in the feed.
struct Feed {
    scope: TenantScope,
    rx: broadcast::Receiver<Delivery>,
    /// The last event id sent (or skipped as already seen).
    last: i64,
    pending: VecDeque<FboEvent>,
    /// Read the table after `last` before waiting for more.
    replay: bool,
    deadline: tokio::time::Instant,
}

impl Feed {
    async fn next(&mut self) -> Option<FboEvent> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                self.last = e.id;
                return Some(e);
            }
            if self.replay {
                match self.read_table().await {
                    Ok(more) => self.replay = more,
                    Err(e) => {
                        tracing::warn!(error = %e, "live feed replay failed");
                        return None;
                    }
                }
                continue;
            }
            let delivery = tokio::select! {
                d = self.rx.recv() => d,
                () = tokio::time::sleep_until(self.deadline) => return None,
            };
            match delivery {
                Ok(Delivery::Event(e)) if e.id > self.last => match e
                    .data
                    .as_ref()
                    .and_then(|d| FboEvent::parse_from_json(Some(d.clone())).ok())
                {
                    Some(ev) => self.pending.push_back(ev),
                    None => self.replay = true,
                },
                Ok(Delivery::Event(_)) => {}
                Ok(Delivery::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.replay = true;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Queues the kept events after `last`; whether there may be more.
    async fn read_table(&mut self) -> Result<bool> {
        let mut tx = self.scope.begin().await?;
        let rows: Vec<(i64, String, DateTime<Utc>, serde_json::Value)> = sqlx::query_as(
            "select id, kind, at, data from fbo_events where id > $1 order by id limit $2",
        )
        .bind(self.last)
        .bind(REPLAY_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let more = rows.len() as i64 == REPLAY_BATCH;
        for (id, kind, at, data) in rows {
            let (Ok(kind), Ok(fuel_order)) = (
                FboEventKind::parse_from_json(Some(serde_json::Value::String(kind))),
                FuelOrder::parse_from_json(Some(data)),
            ) else {
                // An event this version cannot read: skip it rather than stall the feed.
                self.last = id;
                continue;
            };
            self.pending.push_back(FboEvent {
                id,
                kind,
                at,
                fuel_order,
            });
        }
        Ok(more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_is_the_quantity_or_the_meter_difference_and_both_must_agree() {
        assert_eq!(
            delivered(Some(120.0), None, None).expect("delivered"),
            120.0
        );
        assert_eq!(
            delivered(None, Some(1000.0), Some(1250.5)).expect("delivered"),
            250.5
        );
        assert_eq!(
            delivered(Some(250.6), Some(1000.0), Some(1250.5)).expect("delivered"),
            250.6
        );
        assert!(delivered(Some(252.0), Some(1000.0), Some(1250.5)).is_err());
        assert!(delivered(None, Some(1000.0), Some(999.0)).is_err());
        assert!(delivered(None, Some(1000.0), Some(1000.0)).is_err());
        assert!(delivered(None, Some(1000.0), None).is_err());
        assert!(delivered(None, None, None).is_err());
    }
}
