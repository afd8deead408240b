//! `/api/v1/fbo/fuel`: the fuel farm. Storage tanks and refueller trucks (a truck holds its own
//! inventory), every movement of fuel (level readings by dip or gauge, deliveries with their lot
//! and density, dispensing, transfers from one tank to another of the same product) and the
//! daily quality checks per tank and truck.
//!
//! The computed inventory of a tank is its last reading plus receipts and transfers in, minus
//! dispensing and transfers out since ([`level`]); each reading's variance is the level
//! measured minus the inventory computed just before it. Volumes are kept in litres; the API
//! speaks the tenant's fuel unit (`units.fuel`: gallons when unset), masses through each
//! product's standard density. Movements of one tank are recorded one at a time (the tank's
//! row is locked), so a receipt never overfills a tank and a dispense never takes more than it
//! holds, whatever runs beside it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    CheckResult, FuelDispenseCreate, FuelMovement, FuelMovementPage, FuelMovementRecorded,
    FuelProduct, FuelReadingCreate, FuelReceiptCreate, FuelTank, FuelTankCreate, FuelTankList,
    FuelTankUpdate, FuelTransferCreate, FuelUnit, LastQualityCheck, LevelReading, MovementKind,
    QualityCheck, QualityCheckCreate, QualityCheckKind, QualityCheckPage, ReadingMethod, TankKind,
    TankLevel,
};
use super::{FBO_FUEL, FBO_MANAGE, FBO_READ, parking};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::domains::settings::service as settings;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::{merge, wire};
use crate::timezone::TenantClock;

pub struct FuelApi;

#[derive(ApiResponse)]
enum TankCreated {
    /// The tank as stored, with an empty inventory.
    #[oai(status = 201)]
    Created(Json<FuelTank>),
}

#[derive(ApiResponse)]
enum MovementCreated {
    /// The movement and the tank's inventory after it.
    #[oai(status = 201)]
    Created(Json<FuelMovementRecorded>),
}

#[derive(ApiResponse)]
enum CheckCreated {
    /// The check as recorded.
    #[oai(status = 201)]
    Created(Json<QualityCheck>),
}

/// How far ahead of the server's clock a movement or check may be recorded.
const CLOCK_SLACK: Duration = Duration::minutes(5);
const LITRES_PER_US_GALLON: f64 = 3.785_411_784;
const KG_PER_LB: f64 = 0.453_592_37;

/// Standard density at 15 °C, kg per litre, for quantities in mass units: Jet A and SAF
/// (ASTM D1655 and D7566 allow 0.775-0.840), 100LL (ASTM D910, about 6.0 lb/US gal), mogas.
fn density(p: FuelProduct) -> f64 {
    match p {
        FuelProduct::JetA | FuelProduct::Saf => 0.804,
        FuelProduct::Avgas100ll => 0.721,
        FuelProduct::Mogas => 0.740,
    }
}

/// Litres of `q` in `unit` of `product`.
pub(super) fn to_litres(q: f64, unit: FuelUnit, product: FuelProduct) -> f64 {
    match unit {
        FuelUnit::L => q,
        FuelUnit::Gal => q * LITRES_PER_US_GALLON,
        FuelUnit::Kg => q / density(product),
        FuelUnit::Lb => q * KG_PER_LB / density(product),
    }
}

/// `litres` in `unit` of `product`, to a tenth.
pub(super) fn from_litres(litres: f64, unit: FuelUnit, product: FuelProduct) -> f64 {
    let q = match unit {
        FuelUnit::L => litres,
        FuelUnit::Gal => litres / LITRES_PER_US_GALLON,
        FuelUnit::Kg => litres * density(product),
        FuelUnit::Lb => litres * density(product) / KG_PER_LB,
    };
    (q * 10.0).round() / 10.0
}

/// A litre figure as stored (a tenth of a litre).
fn stored(litres: f64) -> f64 {
    (litres * 10.0).round() / 10.0
}

/// The tenant's fuel unit (`units.fuel`), US gallons when unset.
pub(super) async fn unit(conn: &mut PgConnection) -> Result<FuelUnit> {
    let v = settings::read(conn, "units").await?;
    Ok(unit_named(
        v.as_ref()
            .and_then(|u| u.get("fuel"))
            .and_then(|f| f.as_str()),
    ))
}

/// The fuel unit a `units.fuel` setting names (US gallons when unset or unknown).
pub(super) fn unit_named(name: Option<&str>) -> FuelUnit {
    match name {
        Some("l") => FuelUnit::L,
        Some("kg") => FuelUnit::Kg,
        Some("lb") => FuelUnit::Lb,
        _ => FuelUnit::Gal,
    }
}

/// One movement as the inventory arithmetic sees it, in litres.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flow {
    pub at: DateTime<Utc>,
    pub kind: MovementKind,
    pub litres: f64,
}

/// A reading: when, the level measured, and the level computed just before it (`None` for a
/// reading with nothing before it), in litres.
pub(super) type Reading = (DateTime<Utc>, f64, Option<f64>);

/// The inventory after `flows` (in time order), in litres: the computed level and the last
/// reading.
pub(super) fn level(flows: &[Flow]) -> (f64, Option<Reading>) {
    let mut computed = 0.0;
    let mut seen = false;
    let mut last = None;
    for f in flows {
        match f.kind {
            MovementKind::Reading => {
                last = Some((f.at, f.litres, seen.then_some(computed)));
                computed = f.litres;
            }
            MovementKind::Receipt | MovementKind::TransferIn => computed += f.litres,
            MovementKind::Dispense | MovementKind::TransferOut => computed -= f.litres,
        }
        seen = true;
    }
    (stored(computed), last)
}

#[derive(sqlx::FromRow)]
struct TankRow {
    id: Uuid,
    airport_code: String,
    name: String,
    #[sqlx(try_from = "String")]
    kind: TankKind,
    #[sqlx(try_from = "String")]
    product: FuelProduct,
    capacity_l: f64,
    low_level_l: f64,
    active: bool,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const TANK_SELECT: &str = "select id, airport_code, name, kind, product,
        capacity_l::float8 as capacity_l, low_level_l::float8 as low_level_l, active, notes,
        version, created_at, updated_at from fbo_fuel_tanks";

/// The movements each tank's inventory needs: from its second-to-last reading on (all of them
/// before a second reading), in time order; one statement for all `tanks`.
async fn flows(conn: &mut PgConnection, tanks: &[Uuid]) -> Result<HashMap<Uuid, Vec<Flow>>> {
    let rows: Vec<(Uuid, DateTime<Utc>, String, f64)> = sqlx::query_as(
        "select m.tank_id, m.at, m.kind, m.quantity_l::float8 from fbo_fuel_movements m
          where m.tank_id = any($1)
            and m.at >= coalesce((select r.at from fbo_fuel_movements r
                                   where r.tank_id = m.tank_id and r.kind = 'reading'
                                   order by r.at desc, r.id desc offset 1 limit 1),
                                 '-infinity')
          order by m.tank_id, m.at, m.id",
    )
    .bind(tanks)
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<Uuid, Vec<Flow>> = HashMap::new();
    for (tank, at, kind, litres) in rows {
        if let Ok(kind) = MovementKind::try_from(kind) {
            out.entry(tank).or_default().push(Flow { at, kind, litres });
        }
    }
    Ok(out)
}

/// Each tank's last quality check.
async fn last_checks(
    conn: &mut PgConnection,
    tanks: &[Uuid],
) -> Result<HashMap<Uuid, (DateTime<Utc>, String, String)>> {
    let rows: Vec<(Uuid, DateTime<Utc>, String, String)> = sqlx::query_as(
        "select distinct on (tank_id) tank_id, at, kind, result from fbo_fuel_quality_checks
          where tank_id = any($1) order by tank_id, at desc, id desc",
    )
    .bind(tanks)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(t, at, k, r)| (t, (at, k, r)))
        .collect())
}

/// Whether each tank had a passing check since the start of its airport's local day.
async fn passed_today(conn: &mut PgConnection, rows: &[TankRow]) -> Result<Vec<bool>> {
    let mut zones: HashMap<String, Tz> = HashMap::new();
    let codes: Vec<&str> = rows.iter().map(|r| r.airport_code.as_str()).collect();
    for (code, a) in airports::by_codes(conn, &codes).await? {
        zones.insert(code, a.time_zone.parse().unwrap_or(Tz::UTC));
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let since: Vec<DateTime<Utc>> = rows
        .iter()
        .map(|r| {
            let clock = TenantClock {
                tz: zones.get(&r.airport_code).copied().unwrap_or(Tz::UTC),
            };
            clock.start_of(clock.today())
        })
        .collect();
    let passed: Vec<(Uuid,)> = sqlx::query_as(
        "select t.id from unnest($1::uuid[], $2::timestamptz[]) as t (id, since)
          where exists (select 1 from fbo_fuel_quality_checks c
                         where c.tank_id = t.id and c.result = 'pass' and c.at >= t.since)",
    )
    .bind(&ids)
    .bind(&since)
    .fetch_all(conn)
    .await?;
    Ok(ids
        .iter()
        .map(|id| passed.iter().any(|(p,)| p == id))
        .collect())
}

/// The tanks of `rows` with their inventory in `unit`.
async fn with_levels(
    conn: &mut PgConnection,
    rows: Vec<TankRow>,
    unit: FuelUnit,
) -> Result<Vec<FuelTank>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut flows = flows(conn, &ids).await?;
    let checks = last_checks(conn, &ids).await?;
    let passed = passed_today(conn, &rows).await?;
    Ok(rows
        .into_iter()
        .zip(passed)
        .map(|(r, passed)| {
            let (computed, last) = level(&flows.remove(&r.id).unwrap_or_default());
            let q = |litres: f64| from_litres(litres, unit, r.product);
            FuelTank {
                id: r.id,
                level: TankLevel {
                    computed: q(computed),
                    ullage: q(r.capacity_l - computed),
                    low: computed <= r.low_level_l,
                    last_reading: last.map(|(at, measured, expected)| LevelReading {
                        at,
                        measured: q(measured),
                        expected: expected.map(q),
                        variance: expected.map(|e| q(measured - e)),
                    }),
                    last_quality_check: checks.get(&r.id).and_then(|(at, k, res)| {
                        Some(LastQualityCheck {
                            at: *at,
                            kind: QualityCheckKind::try_from(k.clone()).ok()?,
                            result: CheckResult::try_from(res.clone()).ok()?,
                        })
                    }),
                    quality_check_due: !passed,
                },
                airport_code: r.airport_code,
                name: r.name,
                kind: r.kind,
                product: r.product,
                unit,
                capacity: q(r.capacity_l),
                low_level: q(r.low_level_l),
                active: r.active,
                notes: r.notes,
                version: r.version,
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        })
        .collect())
}

async fn tank_row(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<TankRow> {
    let sql = if lock {
        format!("{TANK_SELECT} where id = $1 for update")
    } else {
        format!("{TANK_SELECT} where id = $1")
    };
    let row: Option<TankRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.ok_or(AppError::NotFound("tank"))
}

async fn tank(conn: &mut PgConnection, id: Uuid, unit: FuelUnit) -> Result<FuelTank> {
    let row = tank_row(conn, id, false).await?;
    let mut one = with_levels(conn, vec![row], unit).await?;
    one.pop().ok_or(AppError::NotFound("tank"))
}

/// The computed inventory of one tank in litres (its row locked by the caller).
async fn computed_litres(conn: &mut PgConnection, id: Uuid) -> Result<f64> {
    let mut f = flows(conn, &[id]).await?;
    Ok(level(&f.remove(&id).unwrap_or_default()).0)
}

#[derive(sqlx::FromRow)]
struct MovementRow {
    id: Uuid,
    tank_id: Uuid,
    #[sqlx(try_from = "String")]
    kind: MovementKind,
    at: DateTime<Utc>,
    quantity_l: f64,
    method: Option<String>,
    lot_number: Option<String>,
    supplier: Option<String>,
    density_kg_m3: Option<i32>,
    transfer_id: Option<Uuid>,
    other_tank_id: Option<Uuid>,
    flight_id: Option<Uuid>,
    notes: Option<String>,
    recorded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

const MOVEMENT_SELECT: &str = "select id, tank_id, kind, at, quantity_l::float8 as quantity_l,
        method, lot_number, supplier, density_kg_m3, transfer_id, other_tank_id, flight_id, notes,
        recorded_by, created_at from fbo_fuel_movements";

fn movement(r: MovementRow, unit: FuelUnit, product: FuelProduct) -> FuelMovement {
    FuelMovement {
        id: r.id,
        tank_id: r.tank_id,
        kind: r.kind,
        at: r.at,
        quantity: from_litres(r.quantity_l, unit, product),
        unit,
        method: r.method.and_then(|m| ReadingMethod::try_from(m).ok()),
        lot_number: r.lot_number,
        supplier: r.supplier,
        density_kg_m3: r.density_kg_m3,
        transfer_id: r.transfer_id,
        other_tank_id: r.other_tank_id,
        flight_id: r.flight_id,
        notes: r.notes,
        recorded_by: r.recorded_by,
        created_at: r.created_at,
    }
}

/// The movement to record on one tank.
struct NewMovement {
    kind: MovementKind,
    at: DateTime<Utc>,
    litres: f64,
    method: Option<ReadingMethod>,
    lot_number: Option<String>,
    supplier: Option<String>,
    density_kg_m3: Option<i32>,
    transfer: Option<(Uuid, Uuid)>,
    flight_id: Option<Uuid>,
    notes: Option<String>,
}

impl NewMovement {
    fn new(kind: MovementKind, at: DateTime<Utc>, litres: f64, notes: Option<String>) -> Self {
        Self {
            kind,
            at,
            litres,
            method: None,
            lot_number: None,
            supplier: None,
            density_kg_m3: None,
            transfer: None,
            flight_id: None,
            notes,
        }
    }
}

/// Records `m` on `tank` (of `product`) and audits it: the movement as stored.
async fn insert(
    conn: &mut PgConnection,
    ctx: &TenantCtx,
    tank: Uuid,
    product: FuelProduct,
    unit: FuelUnit,
    m: &NewMovement,
) -> Result<FuelMovement> {
    let row: MovementRow = sqlx::query_as(
        "insert into fbo_fuel_movements (id, tank_id, kind, at, quantity_l, method, lot_number,
             supplier, density_kg_m3, transfer_id, other_tank_id, flight_id, notes, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         returning id, tank_id, kind, at, quantity_l::float8 as quantity_l, method, lot_number,
             supplier, density_kg_m3, transfer_id, other_tank_id, flight_id, notes, recorded_by,
             created_at",
    )
    .bind(Uuid::now_v7())
    .bind(tank)
    .bind(wire(&m.kind))
    .bind(m.at)
    .bind(stored(m.litres))
    .bind(m.method.map(|x| wire(&x)))
    .bind(&m.lot_number)
    .bind(&m.supplier)
    .bind(m.density_kg_m3)
    .bind(m.transfer.map(|(t, _)| t))
    .bind(m.transfer.map(|(_, other)| other))
    .bind(m.flight_id)
    .bind(&m.notes)
    .bind(ctx.user_id.0)
    .fetch_one(&mut *conn)
    .await?;
    let moved = movement(row, unit, product);
    audit_movement(conn, ctx, &moved).await?;
    Ok(moved)
}

/// `at`, defaulting to now, refused more than 5 minutes ahead (every FBO record of something
/// that happened: movements, checks, fuel order and line task progress).
pub(super) fn when(at: Option<DateTime<Utc>>) -> Result<DateTime<Utc>> {
    let now = Utc::now();
    let at = at.unwrap_or(now);
    if at > now + CLOCK_SLACK {
        return Err(AppError::validation("at", "must not be in the future"));
    }
    Ok(at)
}

fn amount(q: f64, unit: FuelUnit) -> String {
    format!("{q} {}", wire(&unit))
}

/// Refuses what a tank cannot take or give: more than its free capacity in, more than it holds
/// out (each in the tenant's unit).
fn check_room(
    t: &TankRow,
    computed: f64,
    litres_in: f64,
    litres_out: f64,
    unit: FuelUnit,
) -> Result<()> {
    let q = |l: f64| from_litres(l, unit, t.product);
    if litres_in > 0.0 && stored(computed + litres_in) > t.capacity_l {
        return Err(AppError::validation(
            "quantity",
            format!(
                "is more than the tank's free capacity ({})",
                amount(q(t.capacity_l - computed).max(0.0), unit)
            ),
        ));
    }
    if litres_out > 0.0 && stored(computed - litres_out) < 0.0 {
        return Err(AppError::validation(
            "quantity",
            format!(
                "is more than the tank holds ({})",
                amount(q(computed).max(0.0), unit)
            ),
        ));
    }
    Ok(())
}

async fn audit_movement(conn: &mut PgConnection, ctx: &TenantCtx, m: &FuelMovement) -> Result<()> {
    audit::record(
        conn,
        ctx.into(),
        Change {
            action: &format!("fbo_fuel.{}", wire(&m.kind)),
            resource_type: "fbo_fuel_tank",
            resource_id: Some(m.tank_id.to_string()),
            before: None,
            after: audit::snapshot(m),
        },
    )
    .await?;
    Ok(())
}

/// Records `m` on the tank `id` (locked), checks it fits, and answers with the movement and
/// the tank after it.
async fn record(
    ctx: &TenantCtx,
    id: Uuid,
    m: impl FnOnce(&TankRow, FuelUnit) -> NewMovement,
) -> Result<MovementCreated> {
    let mut tx = ctx.begin().await?;
    let unit = unit(&mut tx).await?;
    let (movement, tank) = record_in(&mut tx, ctx, id, unit, m).await?;
    tx.commit().await?;
    Ok(MovementCreated::Created(Json(FuelMovementRecorded {
        movement,
        tank,
    })))
}

/// Fuel a fuel order dispensed into its flight.
pub(super) struct OrderDispense {
    pub order: Uuid,
    pub flight: Uuid,
    /// In the tenant's fuel unit.
    pub quantity: f64,
    pub at: DateTime<Utc>,
}

/// Records `d` from the tank or truck `tank` in the caller's transaction: the tank is locked,
/// must be active and hold it (`422` naming `quantity`). Returns the movement.
pub(super) async fn dispense_in(
    conn: &mut PgConnection,
    ctx: &TenantCtx,
    tank: Uuid,
    unit: FuelUnit,
    d: OrderDispense,
) -> Result<FuelMovement> {
    let (m, _) = record_in(conn, ctx, tank, unit, |t, unit| NewMovement {
        flight_id: Some(d.flight),
        ..NewMovement::new(
            MovementKind::Dispense,
            d.at,
            to_litres(d.quantity, unit, t.product),
            Some(format!("fuel order {}", d.order)),
        )
    })
    .await?;
    Ok(m)
}

/// Records `m` on the tank `id` (locked) in the caller's transaction, checks it fits, and
/// returns the movement and the tank after it.
async fn record_in(
    conn: &mut PgConnection,
    ctx: &TenantCtx,
    id: Uuid,
    unit: FuelUnit,
    m: impl FnOnce(&TankRow, FuelUnit) -> NewMovement,
) -> Result<(FuelMovement, FuelTank)> {
    let tx = conn;
    let t = tank_row(&mut *tx, id, true).await?;
    if !t.active {
        return Err(AppError::Conflict {
            code: "tank-inactive",
            detail: format!("{} is out of service", t.name),
            field: None,
        });
    }
    let new = m(&t, unit);
    let computed = computed_litres(&mut *tx, id).await?;
    match new.kind {
        MovementKind::Reading => {
            if stored(new.litres) > t.capacity_l {
                return Err(AppError::validation(
                    "quantity",
                    format!(
                        "is more than the tank's capacity ({})",
                        amount(from_litres(t.capacity_l, unit, t.product), unit)
                    ),
                ));
            }
        }
        MovementKind::Receipt | MovementKind::TransferIn => {
            check_room(&t, computed, new.litres, 0.0, unit)?;
        }
        MovementKind::Dispense | MovementKind::TransferOut => {
            check_room(&t, computed, 0.0, new.litres, unit)?;
        }
    }
    let moved = insert(&mut *tx, ctx, id, t.product, unit, &new).await?;
    let after = tank(&mut *tx, id, unit).await?;
    Ok((moved, after))
}

#[OpenApi(prefix_path = "/api/v1/fbo/fuel", tag = "super::Tag::FboFuel")]
impl FuelApi {
    /// The fuel farm's tanks and trucks with their inventory now (computed level, ullage,
    /// low-level alert, the last reading with its variance, the last quality check and whether
    /// today's is due), by airport and name. Filters: `airport`, `kind`, `product`, `low=true`
    /// (at or below the low level); inactive ones only with `include_inactive=true`. At most
    /// 500.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/tanks", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// An airport code as stored (`KTEB`).
        #[oai(validator(max_length = 10))]
        airport: Query<Option<String>>,
        kind: Query<Option<TankKind>>,
        product: Query<Option<FuelProduct>>,
        low: Query<Option<bool>>,
        include_inactive: Query<Option<bool>>,
    ) -> Result<Json<FuelTankList>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let unit = unit(&mut tx).await?;
        let rows: Vec<TankRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{TANK_SELECT} where ($1::text is null or airport_code = upper($1))
               and ($2::text is null or kind = $2) and ($3::text is null or product = $3)
               and ($4 or active)
             order by airport_code, name, id limit 500"
        )))
        .bind(&airport.0)
        .bind(kind.0.map(|k| wire(&k)))
        .bind(product.0.map(|p| wire(&p)))
        .bind(include_inactive.0.unwrap_or(false))
        .fetch_all(&mut *tx)
        .await?;
        let mut items = with_levels(&mut tx, rows, unit).await?;
        tx.end_read();
        if let Some(low) = low.0 {
            items.retain(|t| t.level.low == low);
        }
        Ok(Json(FuelTankList { items }))
    }

    /// Add a storage tank or a refueller truck at an airport, empty until its first reading
    /// or delivery. Quantities in the tenant's fuel unit; the name is unique per airport.
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_fuel_tank.created`.
    #[oai(path = "/tanks", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<FuelTankCreate>) -> Result<TankCreated> {
        let b = body.0;
        if b.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        if b.low_level.is_some_and(|l| l > b.capacity) {
            return Err(AppError::validation(
                "low_level",
                "must not be more than capacity",
            ));
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let unit = unit(&mut tx).await?;
        let airport = parking::airport_code(&mut tx, "airport_code", &b.airport_code).await?;
        let id = Uuid::now_v7();
        let litres = |q: f64| stored(to_litres(q, unit, b.product));
        sqlx::query(
            "insert into fbo_fuel_tanks (id, airport_code, name, kind, product, capacity_l,
                 low_level_l, notes)
             values ($1, $2, $3, $4, $5, $6::float8, $7::float8, $8)",
        )
        .bind(id)
        .bind(&airport)
        .bind(b.name.trim())
        .bind(wire(&b.kind))
        .bind(wire(&b.product))
        .bind(litres(b.capacity))
        .bind(litres(b.low_level.unwrap_or(0.0)).min(litres(b.capacity)))
        .bind(&b.notes)
        .execute(&mut *tx)
        .await?;
        let t = tank(&mut tx, id, unit).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "fbo_fuel_tank.created",
            "fbo_fuel_tank",
            id,
            &t,
        )
        .await?;
        tx.commit().await?;
        Ok(TankCreated::Created(Json(t)))
    }

    /// One tank or truck with its inventory now.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/tanks/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<FuelTank>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let unit = unit(&mut tx).await?;
        let t = tank(&mut tx, id.0, unit).await?;
        tx.end_read();
        Ok(Json(t))
    }

    /// Change a tank's name, capacity, low level, notes, or take it out of service
    /// (`active: false`: it takes no movements, `409 tank-inactive`) and back. A capacity
    /// below what it holds now is `422`. With `version`, a concurrent change answers
    /// `409 version-conflict`.
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_fuel_tank.updated` with before and after.
    #[oai(path = "/tanks/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelTankUpdate>,
    ) -> Result<Json<FuelTank>> {
        let b = body.0;
        if b.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let unit = unit(&mut tx).await?;
        let row = tank_row(&mut tx, id.0, true).await?;
        AppError::check_version("tank", b.version, row.version)?;
        let before = tank(&mut tx, id.0, unit).await?;
        let litres = |q: f64| stored(to_litres(q, unit, row.product));
        let capacity = b.capacity.map_or(row.capacity_l, litres);
        let low_level = b.low_level.map_or(row.low_level_l, litres);
        if low_level > capacity {
            return Err(AppError::validation(
                "low_level",
                "must not be more than capacity",
            ));
        }
        let computed = computed_litres(&mut tx, id.0).await?;
        if capacity < computed {
            return Err(AppError::validation(
                "capacity",
                format!(
                    "must not be less than the tank holds ({})",
                    amount(from_litres(computed, unit, row.product), unit)
                ),
            ));
        }
        let mut notes = row.notes.clone();
        merge(&mut notes, &b.notes);
        sqlx::query(
            "update fbo_fuel_tanks set name = $2, capacity_l = $3::float8, low_level_l = $4::float8,
                 active = $5, notes = $6, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(b.name.as_deref().map_or(row.name.as_str(), str::trim))
        .bind(capacity)
        .bind(low_level)
        .bind(b.active.unwrap_or(row.active))
        .bind(&notes)
        .execute(&mut *tx)
        .await?;
        let after = tank(&mut tx, id.0, unit).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "fbo_fuel_tank.updated",
            "fbo_fuel_tank",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// A tank's movements, newest first; `kind` filters.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/tanks/:id/movements", method = "get")]
    async fn movements(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        kind: Query<Option<MovementKind>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<FuelMovementPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let unit = unit(&mut tx).await?;
        let t = tank_row(&mut tx, id.0, false).await?;
        let rows: Vec<MovementRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{MOVEMENT_SELECT} where tank_id = $1 and ($2::text is null or kind = $2)
               and ($3::timestamptz is null or (at, id) < ($3, $4::uuid))
             order by at desc, id desc limit $5"
        )))
        .bind(id.0)
        .bind(kind.0.map(|k| wire(&k)))
        .bind(after.map(|(at, _)| at))
        .bind(after.map(|(_, id)| id))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<FuelMovement> = rows
            .into_iter()
            .map(|r| movement(r, unit, t.product))
            .collect();
        let (items, next_cursor) =
            page::finish_by_time(items, limit, |m: &FuelMovement| (m.at, m.id));
        Ok(Json(FuelMovementPage { items, next_cursor }))
    }

    /// Record the level measured (dip or gauge), at most the capacity. The answer's tank shows
    /// the reading's variance against the inventory computed just before it.
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_fuel.reading`.
    #[oai(path = "/tanks/:id/readings", method = "post")]
    async fn reading(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelReadingCreate>,
    ) -> Result<MovementCreated> {
        let b = body.0;
        let at = when(b.at)?;
        ctx.require(FBO_FUEL)?;
        record(&ctx, id.0, move |t, unit| NewMovement {
            method: Some(b.method),
            ..NewMovement::new(
                MovementKind::Reading,
                at,
                to_litres(b.quantity, unit, t.product),
                b.notes,
            )
        })
        .await
    }

    /// Record a delivery into the tank with its lot number (and supplier and density from the
    /// quality certificate); more than the tank's free capacity is `422`.
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_fuel.receipt`.
    #[oai(path = "/tanks/:id/receipts", method = "post")]
    async fn receipt(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelReceiptCreate>,
    ) -> Result<MovementCreated> {
        let b = body.0;
        if b.lot_number.trim().is_empty() {
            return Err(AppError::validation("lot_number", "must not be blank"));
        }
        let at = when(b.at)?;
        ctx.require(FBO_FUEL)?;
        record(&ctx, id.0, move |t, unit| NewMovement {
            lot_number: Some(b.lot_number.trim().to_owned()),
            supplier: b.supplier,
            density_kg_m3: b.density_kg_m3,
            ..NewMovement::new(
                MovementKind::Receipt,
                at,
                to_litres(b.quantity, unit, t.product),
                b.notes,
            )
        })
        .await
    }

    /// Record fuel dispensed from the tank or truck (into a visiting flight, if named); more
    /// than it holds is `422`. Fuel orders will record theirs on completion.
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_fuel.dispense`.
    #[oai(path = "/tanks/:id/dispenses", method = "post")]
    async fn dispense(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelDispenseCreate>,
    ) -> Result<MovementCreated> {
        let b = body.0;
        let at = when(b.at)?;
        ctx.require(FBO_FUEL)?;
        if let Some(f) = b.flight_id {
            let mut tx = ctx.begin().await?;
            let known: bool =
                sqlx::query_scalar("select exists (select 1 from fbo_flights where id = $1)")
                    .bind(f)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.end_read();
            if !known {
                return Err(AppError::validation(
                    "flight_id",
                    "names no visiting flight of this organisation",
                ));
            }
        }
        record(&ctx, id.0, move |t, unit| NewMovement {
            flight_id: b.flight_id,
            ..NewMovement::new(
                MovementKind::Dispense,
                at,
                to_litres(b.quantity, unit, t.product),
                b.notes,
            )
        })
        .await
    }

    /// Move fuel from this tank to another active one of the same product (a storage tank
    /// filling a truck): out of this one and into the other at once, both recorded with one
    /// `transfer_id`. More than this one holds or the other has room for is `422`.
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_fuel.transfer_out` and `fbo_fuel.transfer_in`.
    #[oai(path = "/tanks/:id/transfers", method = "post")]
    async fn transfer(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FuelTransferCreate>,
    ) -> Result<MovementCreated> {
        let b = body.0;
        let at = when(b.at)?;
        if b.to_tank_id == id.0 {
            return Err(AppError::validation(
                "to_tank_id",
                "must be another tank than this one",
            ));
        }
        ctx.require(FBO_FUEL)?;
        let mut tx = ctx.begin().await?;
        let unit = unit(&mut tx).await?;
        // Both rows locked in id order, so two opposite transfers never deadlock.
        let (first, second) = if id.0 < b.to_tank_id {
            (id.0, b.to_tank_id)
        } else {
            (b.to_tank_id, id.0)
        };
        let mut locked = Vec::with_capacity(2);
        for t in [first, second] {
            locked.push(match tank_row(&mut tx, t, true).await {
                Ok(row) => Some(row),
                Err(AppError::NotFound(_)) => None,
                Err(e) => return Err(e),
            });
        }
        let mut from = None;
        let mut to = None;
        for row in locked.into_iter().flatten() {
            if row.id == id.0 {
                from = Some(row);
            } else {
                to = Some(row);
            }
        }
        let from = from.ok_or(AppError::NotFound("tank"))?;
        if !from.active {
            return Err(AppError::Conflict {
                code: "tank-inactive",
                detail: format!("{} is out of service", from.name),
                field: None,
            });
        }
        let to = to.filter(|t| t.active).ok_or_else(|| {
            AppError::validation("to_tank_id", "names no active tank of this organisation")
        })?;
        if to.product != from.product {
            return Err(AppError::validation(
                "to_tank_id",
                format!("holds {}, not {}", wire(&to.product), wire(&from.product)),
            ));
        }
        let litres = to_litres(b.quantity, unit, from.product);
        check_room(
            &from,
            computed_litres(&mut tx, from.id).await?,
            0.0,
            litres,
            unit,
        )?;
        check_room(
            &to,
            computed_litres(&mut tx, to.id).await?,
            litres,
            0.0,
            unit,
        )
        .map_err(|_| {
            AppError::validation(
                "quantity",
                format!("is more than {}'s free capacity", to.name),
            )
        })?;
        let transfer = Uuid::now_v7();
        let mut moved = None;
        for (tank_id, other, kind) in [
            (from.id, to.id, MovementKind::TransferOut),
            (to.id, from.id, MovementKind::TransferIn),
        ] {
            let new = NewMovement {
                transfer: Some((transfer, other)),
                ..NewMovement::new(kind, at, litres, b.notes.clone())
            };
            let m = insert(&mut tx, &ctx, tank_id, from.product, unit, &new).await?;
            moved.get_or_insert(m);
        }
        let moved = moved.ok_or_else(|| AppError::Internal(anyhow::anyhow!("no transfer row")))?;
        let after = tank(&mut tx, from.id, unit).await?;
        tx.commit().await?;
        Ok(MovementCreated::Created(Json(FuelMovementRecorded {
            movement: moved,
            tank: after,
        })))
    }

    /// Record a quality check of the tank or truck (sump, water, visual, filter; pass or fail;
    /// a failed one says what was found in `notes`). The tank shows its last check and whether
    /// today's passing check is still due.
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_fuel.quality_check`.
    #[oai(path = "/tanks/:id/quality-checks", method = "post")]
    async fn check(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<QualityCheckCreate>,
    ) -> Result<CheckCreated> {
        let b = body.0;
        let at = when(b.at)?;
        if b.result == CheckResult::Fail && b.notes.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(AppError::validation(
                "notes",
                "is required for a failed check",
            ));
        }
        ctx.require(FBO_FUEL)?;
        let mut tx = ctx.begin().await?;
        tank_row(&mut tx, id.0, false).await?;
        let row: CheckRow = sqlx::query_as(
            "insert into fbo_fuel_quality_checks (id, tank_id, kind, result, at, notes,
                 recorded_by)
             values ($1, $2, $3, $4, $5, $6, $7)
             returning id, tank_id, kind, result, at, notes, recorded_by, created_at",
        )
        .bind(Uuid::now_v7())
        .bind(id.0)
        .bind(wire(&b.kind))
        .bind(wire(&b.result))
        .bind(at)
        .bind(&b.notes)
        .bind(ctx.user_id.0)
        .fetch_one(&mut *tx)
        .await?;
        let c = QualityCheck::from(row);
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "fbo_fuel.quality_check",
                resource_type: "fbo_fuel_tank",
                resource_id: Some(id.0.to_string()),
                before: None,
                after: audit::snapshot(&c),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(CheckCreated::Created(Json(c)))
    }

    /// A tank's quality checks, newest first.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/tanks/:id/quality-checks", method = "get")]
    async fn checks(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<QualityCheckPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        tank_row(&mut tx, id.0, false).await?;
        let rows: Vec<CheckRow> = sqlx::query_as(
            "select id, tank_id, kind, result, at, notes, recorded_by, created_at
               from fbo_fuel_quality_checks
              where tank_id = $1 and ($2::timestamptz is null or (at, id) < ($2, $3::uuid))
              order by at desc, id desc limit $4",
        )
        .bind(id.0)
        .bind(after.map(|(at, _)| at))
        .bind(after.map(|(_, id)| id))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<QualityCheck> = rows.into_iter().map(Into::into).collect();
        let (items, next_cursor) =
            page::finish_by_time(items, limit, |c: &QualityCheck| (c.at, c.id));
        Ok(Json(QualityCheckPage { items, next_cursor }))
    }
}

#[derive(sqlx::FromRow)]
struct CheckRow {
    id: Uuid,
    tank_id: Uuid,
    #[sqlx(try_from = "String")]
    kind: QualityCheckKind,
    #[sqlx(try_from = "String")]
    result: CheckResult,
    at: DateTime<Utc>,
    notes: Option<String>,
    recorded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl From<CheckRow> for QualityCheck {
    fn from(r: CheckRow) -> Self {
        Self {
            id: r.id,
            tank_id: r.tank_id,
            kind: r.kind,
            result: r.result,
            at: r.at,
            notes: r.notes,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    fn flow(t: &str, kind: MovementKind, litres: f64) -> Flow {
        Flow {
            at: at(t),
            kind,
            litres,
        }
    }

    #[test]
    fn inventory_is_the_last_reading_plus_in_minus_out_and_readings_show_their_variance() {
        use MovementKind::{Dispense, Reading, Receipt, TransferIn, TransferOut};
        assert_eq!(level(&[]), (0.0, None));
        // Deliveries before any reading count from empty; a first reading has no variance.
        let (c, last) = level(&[flow("2027-01-01T08:00:00Z", Reading, 10_000.0)]);
        assert_eq!(
            (c, last),
            (10_000.0, Some((at("2027-01-01T08:00:00Z"), 10_000.0, None)))
        );
        let flows = [
            flow("2027-01-01T08:00:00Z", Reading, 10_000.0),
            flow("2027-01-01T09:00:00Z", Receipt, 20_000.0),
            flow("2027-01-01T10:00:00Z", Dispense, 1_234.5),
            flow("2027-01-01T11:00:00Z", TransferOut, 4_000.0),
            flow("2027-01-01T12:00:00Z", TransferIn, 500.0),
            // Computed before it: 10,000 + 20,000 - 1,234.5 - 4,000 + 500 = 25,265.5.
            flow("2027-01-02T08:00:00Z", Reading, 25_200.0),
            flow("2027-01-02T09:00:00Z", Dispense, 200.0),
        ];
        let (c, last) = level(&flows);
        assert_eq!(c, 25_000.0);
        let (when, measured, expected) = last.expect("reading");
        assert_eq!(
            (when, measured, expected),
            (at("2027-01-02T08:00:00Z"), 25_200.0, Some(25_265.5))
        );
        // Receipts before a first reading: the reading's variance is against them.
        let (_, last) = level(&[
            flow("2027-01-01T07:00:00Z", Receipt, 5_000.0),
            flow("2027-01-01T08:00:00Z", Reading, 4_990.0),
        ]);
        assert_eq!(last.map(|l| l.2), Some(Some(5_000.0)));
    }

    #[test]
    fn units_convert_through_litres_and_product_density() {
        let jet = FuelProduct::JetA;
        assert_eq!(
            from_litres(to_litres(1_000.0, FuelUnit::Gal, jet), FuelUnit::Gal, jet),
            1_000.0
        );
        assert_eq!(from_litres(3_785.411_784, FuelUnit::Gal, jet), 1_000.0);
        // Jet A at 0.804 kg/l: 1,000 l is 804 kg, about 1,772.5 lb (6.7 lb per US gallon).
        assert_eq!(from_litres(1_000.0, FuelUnit::Kg, jet), 804.0);
        assert_eq!(from_litres(1_000.0, FuelUnit::Lb, jet), 1_772.5);
        assert_eq!(
            from_litres(3_785.411_784, FuelUnit::Lb, FuelProduct::Avgas100ll),
            6_017.0
        );
        assert_eq!(
            from_litres(to_litres(500.0, FuelUnit::Lb, jet), FuelUnit::Lb, jet),
            500.0
        );
    }
}
