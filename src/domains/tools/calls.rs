//! `/api/v1/tools/calls`: call logs of customer interactions.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;

/// Call logs: plain get and delete.
const CALL_LOG: Record = Record {
    table: "call_logs",
    kind: "call_log",
    noun: "call log",
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

text_enum!(Direction);

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// A logged call.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct CallLog {
    pub id: Uuid,
    pub contact_name: String,
    pub phone: Option<String>,
    pub direction: Direction,
    pub occurred_at: DateTime<Utc>,
    pub duration_seconds: Option<i32>,
    pub summary: Option<String>,
    pub logged_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct CallLogCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub contact_name: String,
    #[oai(validator(max_length = 50))]
    pub phone: Option<String>,
    pub direction: Direction,
    pub occurred_at: DateTime<Utc>,
    #[oai(validator(minimum(value = "0"), maximum(value = "86400")))]
    pub duration_seconds: Option<i32>,
    #[oai(validator(max_length = 10000))]
    pub summary: Option<String>,
}

/// A partial update; `null` clears an optional field.
#[derive(Object)]
pub struct CallLogUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub contact_name: Option<String>,
    #[oai(validator(max_length = 50))]
    pub phone: MaybeUndefined<String>,
    pub direction: Option<Direction>,
    pub occurred_at: Option<DateTime<Utc>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "86400")))]
    pub duration_seconds: MaybeUndefined<i32>,
    #[oai(validator(max_length = 10000))]
    pub summary: MaybeUndefined<String>,
}

#[derive(Object)]
pub struct CallLogPage {
    pub items: Vec<CallLog>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum CallCreated {
    #[oai(status = 201)]
    Created(Json<CallLog>),
}

const COLUMNS: &str = "id, contact_name, phone, direction, occurred_at, duration_seconds, summary, logged_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    contact_name: String,
    phone: Option<String>,
    #[sqlx(try_from = "String")]
    direction: Direction,
    occurred_at: DateTime<Utc>,
    duration_seconds: Option<i32>,
    summary: Option<String>,
    logged_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for CallLog {
    fn from(r: Row) -> Self {
        CallLog {
            id: r.id,
            contact_name: r.contact_name,
            phone: r.phone,
            direction: r.direction,
            occurred_at: r.occurred_at,
            duration_seconds: r.duration_seconds,
            summary: r.summary,
            logged_by: r.logged_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<CallLog>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from call_logs where id = $1");
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Into::into))
}

fn keep<T: Clone>(m: &MaybeUndefined<T>, old: &Option<T>) -> Option<T> {
    match m {
        MaybeUndefined::Value(v) => Some(v.clone()),
        MaybeUndefined::Null => None,
        MaybeUndefined::Undefined => old.clone(),
    }
}

pub struct CallsApi;

#[OpenApi(prefix_path = "/api/v1/tools/calls", tag = "super::Tag::Tools")]
impl CallsApi {
    /// List call logs, newest created first. Filters: `since` / `until` on `occurred_at`
    /// (inclusive / exclusive), `direction`.
    ///
    /// Permission: `tools.calls.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
        direction: Query<Option<Direction>>,
    ) -> Result<Json<CallLogPage>> {
        ctx.require(super::TOOLS_CALLS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        if let (Some(s), Some(u)) = (since.0, until.0)
            && s > u
        {
            return Err(AppError::validation("until", "must not be before since"));
        }
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {COLUMNS} from call_logs
             where ($1::uuid is null or id < $1) and ($2::timestamptz is null or occurred_at >= $2)
               and ($3::timestamptz is null or occurred_at < $3) and ($4::text is null or direction = $4)
             order by id desc limit $5"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(since.0)
            .bind(until.0)
            .bind(direction.0.map(direction_str))
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let calls = rows.into_iter().map(CallLog::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(calls, limit, |c| c.id);
        Ok(Json(CallLogPage { items, next_cursor }))
    }

    /// Log a call. Permission: `tools.calls.write`. Audited as `call_log.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<CallLogCreate>) -> Result<CallCreated> {
        let p = &ctx;
        p.require(super::TOOLS_CALLS_WRITE)?;
        if body.contact_name.trim().is_empty() {
            return Err(AppError::validation("contact_name", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into call_logs (id, contact_name, phone, direction, occurred_at, duration_seconds, summary, logged_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(body.contact_name.trim())
        .bind(&body.phone)
        .bind(direction_str(body.direction))
        .bind(body.occurred_at)
        .bind(body.duration_seconds)
        .bind(&body.summary)
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        let c = load(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("call log"))?;
        audit::created(&mut tx, p.into(), "call_log.created", "call_log", id, &c).await?;
        tx.commit().await?;
        Ok(CallCreated::Created(Json(c)))
    }

    /// Get a call log. Permission: `tools.calls.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<CallLog>> {
        CALL_LOG
            .get(&ctx, super::TOOLS_CALLS_READ, async |c| load(c, id.0).await)
            .await
    }

    /// Update a call log partially. Permission: `tools.calls.write`. Audited as
    /// `call_log.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<CallLogUpdate>,
    ) -> Result<Json<CallLog>> {
        let p = &ctx;
        p.require(super::TOOLS_CALLS_WRITE)?;
        if body
            .contact_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return Err(AppError::validation("contact_name", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let before = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("call log"))?;
        sqlx::query(
            "update call_logs set contact_name = $2, phone = $3, direction = $4, occurred_at = $5,
                 duration_seconds = $6, summary = $7
             where id = $1",
        )
        .bind(before.id)
        .bind(
            body.contact_name
                .as_deref()
                .map(str::trim)
                .unwrap_or(&before.contact_name),
        )
        .bind(keep(&body.phone, &before.phone))
        .bind(direction_str(body.direction.unwrap_or(before.direction)))
        .bind(body.occurred_at.unwrap_or(before.occurred_at))
        .bind(keep(&body.duration_seconds, &before.duration_seconds))
        .bind(keep(&body.summary, &before.summary))
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("call log"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "call_log.updated",
            "call_log",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a call log. Permission: `tools.calls.write`. Audited as `call_log.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        CALL_LOG
            .delete(&ctx, super::TOOLS_CALLS_WRITE, id.0, async |c| {
                load(c, id.0).await
            })
            .await
    }
}
