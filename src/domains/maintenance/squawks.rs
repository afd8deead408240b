//! `/api/v1/maintenance/squawks`: defects reported on an aircraft. An open grounding squawk
//! makes the aircraft unairworthy; the response then lists the upcoming bookings it affects,
//! for the scheduler to move or cancel (`/api/v1/scheduling/bookings/{id}`).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::kernel::{AircraftId, BookingId, UserId};

use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::wire;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The aircraft may not fly while the squawk is open.
    Grounding,
    NonGrounding,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SquawkStatus {
    Open,
    InProgress,
    /// Carried under an MEL deferral.
    Deferred,
    Resolved,
}

text_enum!(Severity, SquawkStatus);

/// A squawk.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Squawk {
    pub id: Uuid,
    pub aircraft_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub status: SquawkStatus,
    pub reported_by: Option<Uuid>,
    /// The booking at whose check-in it was reported.
    pub booking_id: Option<Uuid>,
    pub resolution: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// While the squawk grounds the aircraft: its bookings not yet flown, by start time.
    pub affected_booking_ids: Vec<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct SquawkCreate {
    pub aircraft_id: Uuid,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    pub severity: Severity,
}

/// A partial update. Moving to `resolved` needs a `resolution`.
#[derive(Object)]
pub struct SquawkUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    pub severity: Option<Severity>,
    pub status: Option<SquawkStatus>,
    #[oai(validator(max_length = 10000))]
    pub resolution: Option<String>,
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct SquawkPage {
    pub items: Vec<Squawk>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum SquawkCreated {
    #[oai(status = 201)]
    Created(Json<Squawk>),
}

const COLUMNS: &str = "s.id, s.aircraft_id, s.title, s.description, s.severity, s.status, s.reported_by, s.booking_id,
     s.resolution, s.resolved_by, s.resolved_at, s.version, s.created_at, s.updated_at,
     case when s.severity = 'grounding' and s.status in ('open', 'in_progress') then
         array(select b.id from bookings b where b.aircraft_id = s.aircraft_id and b.status = 'scheduled'
                  and b.ends_at > now() order by b.starts_at)
     else '{}'::uuid[] end as affected";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    aircraft_id: Uuid,
    title: String,
    description: Option<String>,
    #[sqlx(try_from = "String")]
    severity: Severity,
    #[sqlx(try_from = "String")]
    status: SquawkStatus,
    reported_by: Option<Uuid>,
    booking_id: Option<Uuid>,
    resolution: Option<String>,
    resolved_by: Option<Uuid>,
    resolved_at: Option<DateTime<Utc>>,
    affected: Vec<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Squawk {
    fn from(r: Row) -> Self {
        Squawk {
            id: r.id,
            aircraft_id: r.aircraft_id,
            title: r.title,
            description: r.description,
            severity: r.severity,
            status: r.status,
            reported_by: r.reported_by,
            booking_id: r.booking_id,
            resolution: r.resolution,
            resolved_by: r.resolved_by,
            resolved_at: r.resolved_at,
            affected_booking_ids: r.affected,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Squawk> {
    let sql = format!(
        "select {COLUMNS} from squawks s where s.id = $1{}",
        if lock { " for update of s" } else { "" }
    );
    let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound("squawk"))?;
    Ok(Squawk::from(row))
}

/// A squawk to report (from this API or from a booking's check-in).
pub struct NewSquawk<'a> {
    pub aircraft_id: AircraftId,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub severity: &'a str,
    pub reported_by: UserId,
    pub booking_id: Option<BookingId>,
}

/// Inserts a squawk and returns it; the caller audits.
pub async fn insert(conn: &mut PgConnection, n: &NewSquawk<'_>) -> Result<Squawk> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into squawks (id, aircraft_id, title, description, severity, reported_by, booking_id)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(n.aircraft_id)
    .bind(n.title)
    .bind(n.description)
    .bind(n.severity)
    .bind(n.reported_by)
    .bind(n.booking_id)
    .execute(&mut *conn)
    .await?;
    load(conn, id, false).await
}

pub struct SquawksApi;

#[OpenApi(
    prefix_path = "/api/v1/maintenance/squawks",
    tag = "super::Tag::Maintenance"
)]
impl SquawksApi {
    /// List squawks, newest first. Filters: `aircraft_id`, `status`, `severity`, `open` (not
    /// resolved).
    ///
    /// Permission: `maintenance.read`.
    #[oai(path = "/", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        aircraft_id: Query<Option<Uuid>>,
        status: Query<Option<SquawkStatus>>,
        severity: Query<Option<Severity>>,
        open: Query<Option<bool>>,
    ) -> Result<Json<SquawkPage>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {COLUMNS} from squawks s
              where ($1::uuid is null or s.id < $1) and ($2::uuid is null or s.aircraft_id = $2)
                and ($3::text is null or s.status = $3) and ($4::text is null or s.severity = $4)
                and ($5::boolean is null or (s.status <> 'resolved') = $5)
              order by s.id desc limit $6"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(aircraft_id.0)
            .bind(status.0.as_ref().map(wire))
            .bind(severity.0.as_ref().map(wire))
            .bind(open.0)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let list = rows.into_iter().map(Squawk::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(list, limit, |s| s.id);
        Ok(Json(SquawkPage { items, next_cursor }))
    }

    /// Report a squawk. A grounding squawk makes the aircraft unairworthy at once; the answer
    /// lists the bookings it affects.
    ///
    /// Permission: `maintenance.manage` (pilots report squawks at check-in). Audited as
    /// `squawk.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<SquawkCreate>) -> Result<SquawkCreated> {
        let p = &ctx;
        p.require(super::MAINTENANCE_MANAGE)?;
        if body.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let s = insert(
            &mut tx,
            &NewSquawk {
                aircraft_id: body.aircraft_id.into(),
                title: body.title.trim(),
                description: body.description.as_deref(),
                severity: &wire(&body.severity),
                reported_by: p.user_id,
                booking_id: None,
            },
        )
        .await?;
        audit::created(&mut tx, p.into(), "squawk.created", "squawk", s.id, &s).await?;
        tx.commit().await?;
        Ok(SquawkCreated::Created(Json(s)))
    }

    /// Get a squawk. Permission: `maintenance.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Squawk>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let s = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(s))
    }

    /// Update a squawk: work on it, change its severity, resolve it (with a `resolution`).
    ///
    /// Permission: `maintenance.manage`. Audited as `squawk.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<SquawkUpdate>,
    ) -> Result<Json<Squawk>> {
        let p = &ctx;
        p.require(super::MAINTENANCE_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("squawk", body.version, before.version)?;
        let status = body.status.unwrap_or(before.status);
        let resolution = body
            .resolution
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .or(before.resolution.clone());
        let mut c = Checks::new();
        c.check(
            status != SquawkStatus::Resolved || resolution.is_some(),
            "resolution",
            "is required to resolve a squawk",
        );
        c.check(
            body.title.as_deref().is_none_or(|t| !t.trim().is_empty()),
            "title",
            "must not be blank",
        );
        c.done()?;
        let description = match &body.description {
            MaybeUndefined::Value(d) => Some(d.clone()),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.description.clone(),
        };
        sqlx::query(
            "update squawks set title = $2, description = $3, severity = $4, status = $5, resolution = $6,
                 resolved_by = case when $5 = 'resolved' then coalesce(resolved_by, $7) end,
                 resolved_at = case when $5 = 'resolved' then coalesce(resolved_at, now()) end,
                 version = version + 1
             where id = $1",
        )
        .bind(before.id)
        .bind(body.title.as_deref().map(str::trim).unwrap_or(&before.title))
        .bind(description)
        .bind(wire(&body.severity.unwrap_or(before.severity)))
        .bind(wire(&status))
        .bind(resolution)
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, before.id, false).await?;
        audit::updated(
            &mut tx,
            p.into(),
            "squawk.updated",
            "squawk",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
