//! `/api/v1/fleet/simulators`: flight simulators and training devices (bookable).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    DeviceType, FleetStatus, Simulator, SimulatorCreate, SimulatorPage, SimulatorUpdate, merge,
    wire,
};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;

/// Simulators: the plain get.
const SIMULATOR: Record = Record {
    table: "simulators",
    kind: "simulator",
    noun: "simulator",
};

fn check_currency(c: &mut Checks, cur: &str) {
    c.check(
        cur.len() == 3 && cur.chars().all(|c| c.is_ascii_uppercase()),
        "currency",
        "must be an ISO 4217 code such as \"CHF\"",
    );
}

const SIM_COLUMNS: &str =
    "id, name, device_type, qualification, aircraft_type_id, hourly_rate, currency, status,
     notes, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    #[sqlx(try_from = "String")]
    device_type: DeviceType,
    qualification: Option<String>,
    aircraft_type_id: Option<Uuid>,
    hourly_rate: Option<i32>,
    currency: String,
    #[sqlx(try_from = "String")]
    status: FleetStatus,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Simulator {
    fn from(r: Row) -> Self {
        Simulator {
            id: r.id,
            name: r.name,
            device_type: r.device_type,
            qualification: r.qualification,
            aircraft_type_id: r.aircraft_type_id,
            hourly_rate: r.hourly_rate,
            currency: r.currency,
            status: r.status,
            notes: r.notes,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(crate) async fn load_simulator(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Simulator>, sqlx::Error> {
    let sql = format!("select {SIM_COLUMNS} from simulators where id = $1");
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Simulator::from))
}

async fn save_simulator(
    conn: &mut PgConnection,
    s: &Simulator,
    insert: bool,
) -> Result<(), sqlx::Error> {
    let sql = if insert {
        "insert into simulators (id, name, device_type, qualification, aircraft_type_id, hourly_rate, currency,
             status, notes) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    } else {
        "update simulators set name = $2, device_type = $3, qualification = $4, aircraft_type_id = $5,
             hourly_rate = $6, currency = $7, status = $8, notes = $9, version = version + 1 where id = $1"
    };
    sqlx::query(sql)
        .bind(s.id)
        .bind(&s.name)
        .bind(wire(&s.device_type))
        .bind(&s.qualification)
        .bind(s.aircraft_type_id)
        .bind(s.hourly_rate)
        .bind(&s.currency)
        .bind(wire(&s.status))
        .bind(&s.notes)
        .execute(conn)
        .await
        .map(|_| ())
}

pub struct SimulatorsApi;

#[derive(ApiResponse)]
enum SimulatorCreated {
    #[oai(status = 201)]
    Created(Json<Simulator>),
}

#[OpenApi(prefix_path = "/api/v1/fleet/simulators", tag = "super::Tag::Fleet")]
impl SimulatorsApi {
    /// List simulators and training devices, newest first. Filter: `status`.
    ///
    /// Permission: `fleet.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        status: Query<Option<FleetStatus>>,
    ) -> Result<Json<SimulatorPage>> {
        ctx.require(super::FLEET_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {SIM_COLUMNS} from simulators
              where ($1::uuid is null or id < $1) and ($2::text is null or status = $2)
              order by id desc limit $3"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(status.0.as_ref().map(wire))
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let sims = rows.into_iter().map(Simulator::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(sims, limit, |s| s.id);
        Ok(Json(SimulatorPage { items, next_cursor }))
    }

    /// Add a simulator. Names are unique (case-insensitive): a duplicate answers `409`.
    ///
    /// Permission: `fleet.manage`. Audited as `simulator.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<SimulatorCreate>,
    ) -> Result<SimulatorCreated> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let s = Simulator {
            id: Uuid::now_v7(),
            name: body.name.trim().to_owned(),
            device_type: body.device_type,
            qualification: body.qualification.clone(),
            aircraft_type_id: body.aircraft_type_id,
            hourly_rate: body.hourly_rate,
            currency: body.currency.clone().unwrap_or_else(|| "USD".into()),
            status: body.status.unwrap_or(FleetStatus::Active),
            notes: body.notes.clone(),
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let mut c = Checks::new();
        c.check(!s.name.is_empty(), "name", "must not be blank");
        check_currency(&mut c, &s.currency);
        c.done()?;
        let mut tx = p.begin().await?;
        save_simulator(&mut tx, &s, true).await?;
        let s = load_simulator(&mut tx, s.id)
            .await?
            .ok_or(AppError::NotFound("simulator"))?;
        audit::created(
            &mut tx,
            p.into(),
            "simulator.created",
            "simulator",
            s.id,
            &s,
        )
        .await?;
        tx.commit().await?;
        Ok(SimulatorCreated::Created(Json(s)))
    }

    /// Get a simulator. Permission: `fleet.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Simulator>> {
        SIMULATOR
            .get(&ctx, super::FLEET_READ, async |c| {
                load_simulator(c, id.0).await
            })
            .await
    }

    /// Update a simulator partially; with `version`, a concurrent change answers `409`.
    ///
    /// Permission: `fleet.manage`. Audited as `simulator.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<SimulatorUpdate>,
    ) -> Result<Json<Simulator>> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = load_simulator(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("simulator"))?;
        AppError::check_version("simulator", body.version, before.version)?;
        let mut s = before.clone();
        if let Some(v) = &body.name {
            s.name = v.trim().to_owned();
        }
        if let Some(v) = body.device_type {
            s.device_type = v;
        }
        merge(&mut s.qualification, &body.qualification);
        merge(&mut s.aircraft_type_id, &body.aircraft_type_id);
        merge(&mut s.hourly_rate, &body.hourly_rate);
        if let Some(v) = &body.currency {
            s.currency = v.clone();
        }
        if let Some(v) = body.status {
            s.status = v;
        }
        merge(&mut s.notes, &body.notes);
        let mut c = Checks::new();
        c.check(!s.name.is_empty(), "name", "must not be blank");
        check_currency(&mut c, &s.currency);
        c.done()?;
        save_simulator(&mut tx, &s, false).await?;
        let after = load_simulator(&mut tx, s.id)
            .await?
            .ok_or(AppError::NotFound("simulator"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "simulator.updated",
            "simulator",
            s.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a simulator; one with bookings answers `409 in-use`.
    ///
    /// Permission: `fleet.manage`. Audited as `simulator.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = load_simulator(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("simulator"))?;
        audit::delete_recorded(
            &mut tx,
            p.into(),
            "simulators",
            "simulator.deleted",
            "simulator",
            before.id,
            &before,
        )
        .await
        .map_err(super::api::in_use)?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
