//! `/api/v1/maintenance/mel`: MEL deferrals. Category A runs for the interval of the MEL
//! remarks, B 3, C 10 and D 120 consecutive calendar days after the day of discovery (the
//! tenant's calendar, `due::mel_expires_on`); an open deferral past its last day grounds the
//! aircraft.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::due;
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::wire;
use crate::timezone::TenantClock;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum MelCategory {
    /// The interval the MEL remarks give (`remarks_days`).
    A,
    /// 3 calendar days.
    B,
    /// 10 calendar days.
    C,
    /// 120 calendar days.
    D,
}

/// Whether a deferral still stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MelStatus {
    Open,
    Cleared,
}

text_enum!(MelCategory, MelStatus);

/// An MEL deferral.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct MelDeferral {
    pub id: Uuid,
    pub aircraft_id: Uuid,
    pub squawk_id: Option<Uuid>,
    /// MEL item number, e.g. `34-11-01`.
    pub item: String,
    pub description: String,
    pub category: MelCategory,
    pub remarks_days: Option<i32>,
    pub discovered_on: NaiveDate,
    /// The last day the deferral is valid.
    pub expires_on: NaiveDate,
    /// Open and past `expires_on` (the aircraft is unairworthy).
    pub expired: bool,
    pub status: MelStatus,
    pub cleared_by: Option<Uuid>,
    pub cleared_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new deferral. With `squawk_id`, that squawk becomes `deferred` (no longer grounding while
/// the deferral is valid).
#[derive(Object)]
pub struct MelDeferralCreate {
    pub aircraft_id: Uuid,
    pub squawk_id: Option<Uuid>,
    #[oai(validator(min_length = 1, max_length = 50))]
    pub item: String,
    #[oai(validator(min_length = 1, max_length = 10000))]
    pub description: String,
    pub category: MelCategory,
    /// Required for category A: the interval of the MEL remarks in calendar days.
    #[oai(validator(minimum(value = "1"), maximum(value = "365")))]
    pub remarks_days: Option<i32>,
    /// Default: today in the organisation's time zone.
    pub discovered_on: Option<NaiveDate>,
}

#[derive(Object)]
pub struct MelDeferralPage {
    pub items: Vec<MelDeferral>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum MelCreated {
    #[oai(status = 201)]
    Created(Json<MelDeferral>),
}

const COLUMNS: &str =
    "id, aircraft_id, squawk_id, item, description, category, remarks_days, discovered_on,
     expires_on, status, cleared_by, cleared_at, created_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    aircraft_id: Uuid,
    squawk_id: Option<Uuid>,
    item: String,
    description: String,
    #[sqlx(try_from = "String")]
    category: MelCategory,
    remarks_days: Option<i32>,
    discovered_on: NaiveDate,
    expires_on: NaiveDate,
    #[sqlx(try_from = "String")]
    status: MelStatus,
    cleared_by: Option<Uuid>,
    cleared_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn deferral(row: Row, today: NaiveDate) -> MelDeferral {
    MelDeferral {
        id: row.id,
        aircraft_id: row.aircraft_id,
        squawk_id: row.squawk_id,
        item: row.item,
        description: row.description,
        category: row.category,
        remarks_days: row.remarks_days,
        discovered_on: row.discovered_on,
        expires_on: row.expires_on,
        expired: row.status == MelStatus::Open && due::mel_expired(row.expires_on, today),
        status: row.status,
        cleared_by: row.cleared_by,
        cleared_at: row.cleared_at,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn load(
    conn: &mut PgConnection,
    id: Uuid,
    today: NaiveDate,
    lock: bool,
) -> Result<MelDeferral> {
    let sql = format!(
        "select {COLUMNS} from mel_deferrals where id = $1{}",
        if lock { " for update" } else { "" }
    );
    let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound("MEL deferral"))?;
    Ok(deferral(row, today))
}

pub struct MelApi;

#[OpenApi(
    prefix_path = "/api/v1/maintenance/mel",
    tag = "super::Tag::Maintenance"
)]
impl MelApi {
    /// List MEL deferrals, newest first. Filters: `aircraft_id`, `open` (true: not cleared),
    /// `expired`.
    ///
    /// Permission: `maintenance.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        aircraft_id: Query<Option<Uuid>>,
        open: Query<Option<bool>>,
        expired: Query<Option<bool>>,
    ) -> Result<Json<MelDeferralPage>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let sql = format!(
            "select {COLUMNS} from mel_deferrals
              where ($1::uuid is null or id < $1) and ($2::uuid is null or aircraft_id = $2)
                and ($3::boolean is null or (status = 'open') = $3)
                and ($4::boolean is null or (status = 'open' and expires_on < $5) = $4)
              order by id desc limit $6"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(aircraft_id.0)
            .bind(open.0)
            .bind(expired.0)
            .bind(today)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let list = rows
            .into_iter()
            .map(|r| deferral(r, today))
            .collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(list, limit, |d| d.id);
        Ok(Json(MelDeferralPage { items, next_cursor }))
    }

    /// Defer an item under the MEL; the expiry follows from the category and the day of
    /// discovery.
    ///
    /// Permission: `maintenance.manage`. Audited as `mel_deferral.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<MelDeferralCreate>,
    ) -> Result<MelCreated> {
        let p = &ctx;
        p.require(super::MAINTENANCE_MANAGE)?;
        let category = wire(&body.category);
        let mut c = Checks::new();
        c.check(
            body.category != MelCategory::A || body.remarks_days.is_some(),
            "remarks_days",
            "is required for category A (the interval of the MEL remarks)",
        );
        c.check(
            body.category == MelCategory::A || body.remarks_days.is_none(),
            "remarks_days",
            "applies to category A only",
        );
        c.check(!body.item.trim().is_empty(), "item", "must not be blank");
        c.done()?;
        let mut tx = p.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let discovered = body.discovered_on.unwrap_or(today);
        if discovered > today {
            return Err(AppError::validation(
                "discovered_on",
                "must not be in the future",
            ));
        }
        let expires_on = due::mel_expires_on(
            &category,
            discovered,
            body.remarks_days.and_then(|d| u32::try_from(d).ok()),
        )
        .ok_or_else(|| AppError::validation("category", "has no interval"))?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into mel_deferrals (id, aircraft_id, squawk_id, item, description, category, remarks_days,
                 discovered_on, expires_on, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(body.aircraft_id)
        .bind(body.squawk_id)
        .bind(body.item.trim())
        .bind(body.description.trim())
        .bind(&category)
        .bind(body.remarks_days)
        .bind(discovered)
        .bind(expires_on)
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        // After the insert, so that an unknown aircraft or squawk is answered by the foreign keys
        // first; an error here rolls the insert back.
        if let Some(s) = body.squawk_id {
            let moved = sqlx::query(
                "update squawks set status = 'deferred', version = version + 1
                  where id = $1 and aircraft_id = $2 and status <> 'resolved'",
            )
            .bind(s)
            .bind(body.aircraft_id)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() != 1 {
                return Err(AppError::validation(
                    "squawk_id",
                    "names no open squawk of this aircraft",
                ));
            }
        }
        let d = load(&mut tx, id, today, false).await?;
        audit::created(
            &mut tx,
            p.into(),
            "mel_deferral.created",
            "mel_deferral",
            id,
            &d,
        )
        .await?;
        tx.commit().await?;
        Ok(MelCreated::Created(Json(d)))
    }

    /// Get an MEL deferral. Permission: `maintenance.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<MelDeferral>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let d = load(&mut tx, id.0, today, false).await?;
        tx.end_read();
        Ok(Json(d))
    }

    /// Clear a deferral (the item is repaired); its squawk is resolved with it. Clearing twice
    /// answers `409`.
    ///
    /// Permission: `maintenance.sign_off`. Audited as `mel_deferral.cleared`.
    #[oai(path = "/:id/clear", method = "post")]
    async fn clear(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<MelDeferral>> {
        let p = &ctx;
        p.require(super::MAINTENANCE_SIGN_OFF)?;
        let mut tx = p.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let before = load(&mut tx, id.0, today, true).await?;
        if before.status != MelStatus::Open {
            return Err(AppError::Conflict {
                code: "already-cleared",
                detail: "the deferral is already cleared".into(),
                field: None,
            });
        }
        sqlx::query(
            "update mel_deferrals set status = 'cleared', cleared_by = $2, cleared_at = now() where id = $1",
        )
        .bind(before.id)
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        if let Some(s) = before.squawk_id {
            sqlx::query(
                "update squawks set status = 'resolved', resolution = coalesce(resolution, $2),
                     resolved_by = $3, resolved_at = now(), version = version + 1
                  where id = $1 and status <> 'resolved'",
            )
            .bind(s)
            .bind(format!("MEL item {} cleared", before.item))
            .bind(p.user_id)
            .execute(&mut *tx)
            .await?;
        }
        let after = load(&mut tx, before.id, today, false).await?;
        audit::updated(
            &mut tx,
            p.into(),
            "mel_deferral.cleared",
            "mel_deferral",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
