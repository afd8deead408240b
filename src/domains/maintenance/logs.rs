//! `/api/v1/maintenance/logs`: the maintenance log. An entry records work done; a mechanic
//! (`maintenance.sign_off`) signs it off, after which it never changes.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::{hours, tenths};

/// A maintenance log entry.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct MaintenanceLog {
    pub id: Uuid,
    pub aircraft_id: Uuid,
    pub performed_on: NaiveDate,
    pub hobbs: Option<f64>,
    pub tach: Option<f64>,
    pub work_done: String,
    pub inspection_item_id: Option<Uuid>,
    pub squawk_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    /// The mechanic who signed it off; null while unsigned.
    pub signed_off_by: Option<Uuid>,
    pub signed_off_at: Option<DateTime<Utc>>,
    pub certificate_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct MaintenanceLogCreate {
    pub aircraft_id: Uuid,
    pub performed_on: NaiveDate,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach: Option<f64>,
    #[oai(validator(min_length = 1, max_length = 20000))]
    pub work_done: String,
    /// The squawk the work addresses (of the same aircraft).
    pub squawk_id: Option<Uuid>,
}

#[derive(Object)]
pub struct SignOff {
    #[oai(validator(max_length = 50))]
    pub certificate_number: Option<String>,
}

#[derive(Object)]
pub struct MaintenanceLogPage {
    pub items: Vec<MaintenanceLog>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum LogCreated {
    #[oai(status = 201)]
    Created(Json<MaintenanceLog>),
}

const COLUMNS: &str = "id, aircraft_id, performed_on, hobbs_tenths, tach_tenths, work_done, inspection_item_id,
     squawk_id, created_by, signed_off_by, signed_off_at, certificate_number, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    aircraft_id: Uuid,
    performed_on: NaiveDate,
    hobbs_tenths: Option<i64>,
    tach_tenths: Option<i64>,
    work_done: String,
    inspection_item_id: Option<Uuid>,
    squawk_id: Option<Uuid>,
    created_by: Option<Uuid>,
    signed_off_by: Option<Uuid>,
    signed_off_at: Option<DateTime<Utc>>,
    certificate_number: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for MaintenanceLog {
    fn from(r: Row) -> Self {
        MaintenanceLog {
            id: r.id,
            aircraft_id: r.aircraft_id,
            performed_on: r.performed_on,
            hobbs: r.hobbs_tenths.map(hours),
            tach: r.tach_tenths.map(hours),
            work_done: r.work_done,
            inspection_item_id: r.inspection_item_id,
            squawk_id: r.squawk_id,
            created_by: r.created_by,
            signed_off_by: r.signed_off_by,
            signed_off_at: r.signed_off_at,
            certificate_number: r.certificate_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<MaintenanceLog> {
    let sql = format!(
        "select {COLUMNS} from maintenance_logs where id = $1{}",
        if lock { " for update" } else { "" }
    );
    let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound("maintenance log entry"))?;
    Ok(MaintenanceLog::from(row))
}

/// A new entry; `signed_off: Some(certificate)` signs it off by `created_by` at once.
pub struct NewLog<'a> {
    pub aircraft_id: Uuid,
    pub performed_on: NaiveDate,
    pub hobbs_tenths: Option<i64>,
    pub tach_tenths: Option<i64>,
    pub work_done: &'a str,
    pub inspection_item_id: Option<Uuid>,
    pub squawk_id: Option<Uuid>,
    pub created_by: Uuid,
    pub signed_off: Option<Option<&'a str>>,
}

pub async fn insert(conn: &mut PgConnection, n: &NewLog<'_>) -> Result<MaintenanceLog> {
    let sql = format!(
        "insert into maintenance_logs (id, aircraft_id, performed_on, hobbs_tenths, tach_tenths, work_done,
             inspection_item_id, squawk_id, created_by, signed_off_by, signed_off_at, certificate_number)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $10 then $9 end, case when $10 then now() end, $11)
         returning {COLUMNS}"
    );
    let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::now_v7())
        .bind(n.aircraft_id)
        .bind(n.performed_on)
        .bind(n.hobbs_tenths)
        .bind(n.tach_tenths)
        .bind(n.work_done)
        .bind(n.inspection_item_id)
        .bind(n.squawk_id)
        .bind(n.created_by)
        .bind(n.signed_off.is_some())
        .bind(n.signed_off.flatten())
        .fetch_one(conn)
        .await?;
    Ok(MaintenanceLog::from(row))
}

pub struct LogsApi;

#[OpenApi(
    prefix_path = "/api/v1/maintenance/logs",
    tag = "super::Tag::Maintenance"
)]
impl LogsApi {
    /// The maintenance log, newest first. Filters: `aircraft_id`, `signed` (signed off or not).
    ///
    /// Permission: `maintenance.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        aircraft_id: Query<Option<Uuid>>,
        signed: Query<Option<bool>>,
    ) -> Result<Json<MaintenanceLogPage>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {COLUMNS} from maintenance_logs
              where ($1::uuid is null or id < $1) and ($2::uuid is null or aircraft_id = $2)
                and ($3::boolean is null or (signed_off_at is not null) = $3)
              order by id desc limit $4"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(aircraft_id.0)
            .bind(signed.0)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let logs = rows
            .into_iter()
            .map(MaintenanceLog::from)
            .collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(logs, limit, |l| l.id);
        Ok(Json(MaintenanceLogPage { items, next_cursor }))
    }

    /// Record work done (unsigned until a mechanic signs it off).
    ///
    /// Permission: `maintenance.manage`. Audited as `maintenance_log.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<MaintenanceLogCreate>,
    ) -> Result<LogCreated> {
        let p = &ctx;
        p.require(super::MAINTENANCE_MANAGE)?;
        if body.work_done.trim().is_empty() {
            return Err(AppError::validation("work_done", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let entry = insert(
            &mut tx,
            &NewLog {
                aircraft_id: body.aircraft_id,
                performed_on: body.performed_on,
                hobbs_tenths: body.hobbs.map(tenths),
                tach_tenths: body.tach.map(tenths),
                work_done: body.work_done.trim(),
                inspection_item_id: None,
                squawk_id: body.squawk_id,
                created_by: p.user_id.into(),
                signed_off: None,
            },
        )
        .await?;
        // Not an existence check (the foreign keys answer an unknown aircraft or squawk): a
        // squawk of another aircraft is valid to the database. After the insert, so that an
        // unknown aircraft is named first; an error rolls the insert back.
        if let Some(s) = body.squawk_id {
            let same: bool = sqlx::query_scalar(
                "select exists(select 1 from squawks where id = $1 and aircraft_id = $2)",
            )
            .bind(s)
            .bind(body.aircraft_id)
            .fetch_one(&mut *tx)
            .await?;
            if !same {
                return Err(AppError::validation(
                    "squawk_id",
                    "names no squawk of this aircraft",
                ));
            }
        }
        audit::created(
            &mut tx,
            p.into(),
            "maintenance_log.created",
            "maintenance_log",
            entry.id,
            &entry,
        )
        .await?;
        tx.commit().await?;
        Ok(LogCreated::Created(Json(entry)))
    }

    /// Get a log entry. Permission: `maintenance.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<MaintenanceLog>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let entry = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(entry))
    }

    /// Sign off a log entry as the calling mechanic. Signing twice answers `409`.
    ///
    /// Permission: `maintenance.sign_off`. Audited as `maintenance_log.signed_off`.
    #[oai(path = "/:id/sign-off", method = "post")]
    async fn sign_off(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<SignOff>,
    ) -> Result<Json<MaintenanceLog>> {
        let p = &ctx;
        p.require(super::MAINTENANCE_SIGN_OFF)?;
        let mut tx = p.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        if before.signed_off_at.is_some() {
            return Err(AppError::Conflict {
                code: "already-signed",
                detail: "the entry is already signed off".into(),
                field: None,
            });
        }
        sqlx::query(
            "update maintenance_logs set signed_off_by = $2, signed_off_at = now(), certificate_number = $3
              where id = $1",
        )
        .bind(before.id)
        .bind(p.user_id)
        .bind(&body.certificate_number)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, before.id, false).await?;
        audit::updated(
            &mut tx,
            p.into(),
            "maintenance_log.signed_off",
            "maintenance_log",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
