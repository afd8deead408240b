//! The handlers of `/api/v1/maintenance/inspections` and `/api/v1/maintenance/due`.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::super::dto::{
    DueFilter, Inspection, InspectionComplete, InspectionCompleted, InspectionCreate,
    InspectionPage, InspectionUpdate,
};
use super::super::due::{self, DueStatus};
use super::repo::{COLUMNS, Row, inspection, kind_name, load};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::kernel::units::{tenths, wire};
use crate::record::Record;
use crate::timezone::TenantClock;

#[derive(ApiResponse)]
enum InspectionCreated {
    #[oai(status = 201)]
    Created(Json<Inspection>),
}

/// Inspection items: the plain delete.
const INSPECTION: Record = Record {
    table: "inspection_items",
    kind: "inspection",
    noun: "inspection item",
};

pub struct InspectionsApi;

#[OpenApi(prefix_path = "/api/v1/maintenance", tag = "super::Tag::Maintenance")]
impl InspectionsApi {
    /// List inspection items, newest first, each with what is due. Filter: `aircraft_id`.
    ///
    /// Permission: `maintenance.read`.
    #[oai(path = "/inspections", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        aircraft_id: Query<Option<Uuid>>,
    ) -> Result<Json<InspectionPage>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let sql = format!(
            "select {COLUMNS} from inspection_items i join aircraft a on a.id = i.aircraft_id
              where ($1::uuid is null or i.id < $1) and ($2::uuid is null or i.aircraft_id = $2)
              order by i.id desc limit $3"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(aircraft_id.0)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let list = rows
            .into_iter()
            .map(|r| inspection(r, today))
            .collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(list, limit, |i| i.id);
        Ok(Json(InspectionPage { items, next_cursor }))
    }

    /// Upcoming and overdue inspections across the fleet: every item not `ok`, most urgent
    /// first (overdue, overrun, due soon; then by days and hours remaining). Filters:
    /// `aircraft_id`, `status`. The whole answer is one page (`next_cursor` is null).
    ///
    /// Permission: `maintenance.read`.
    #[oai(path = "/due", method = "get")]
    async fn due(
        &self,
        ctx: TenantCtx,
        aircraft_id: Query<Option<Uuid>>,
        status: Query<Option<DueFilter>>,
    ) -> Result<Json<InspectionPage>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let sql = format!(
            "select {COLUMNS} from inspection_items i join aircraft a on a.id = i.aircraft_id
              where a.status <> 'retired' and ($1::uuid is null or i.aircraft_id = $1)"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(aircraft_id.0)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let wanted = status.0.as_ref().map(wire);
        let wanted = wanted.as_deref();
        let mut items = rows
            .into_iter()
            .map(|r| inspection(r, today))
            .filter(|i| i.status != DueStatus::Ok)
            .filter(|i| wanted.is_none_or(|w| w == i.status.as_str()))
            .collect::<Vec<_>>();
        let rank = |s: &DueStatus| match s {
            DueStatus::Overdue => 0,
            DueStatus::Overrun => 1,
            _ => 2,
        };
        items.sort_by(|a, b| {
            rank(&a.status)
                .cmp(&rank(&b.status))
                .then(
                    a.days_remaining
                        .unwrap_or(i64::MAX)
                        .cmp(&b.days_remaining.unwrap_or(i64::MAX)),
                )
                .then(
                    a.hours_remaining
                        .unwrap_or(f64::MAX)
                        .total_cmp(&b.hours_remaining.unwrap_or(f64::MAX)),
                )
        });
        Ok(Json(InspectionPage {
            items,
            next_cursor: None,
        }))
    }

    /// Add an inspection item to an aircraft's programme.
    ///
    /// Permission: `maintenance.manage`. Audited as `inspection.created`.
    #[oai(path = "/inspections", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<InspectionCreate>,
    ) -> Result<InspectionCreated> {
        let p = &ctx;
        p.require(super::MAINTENANCE_MANAGE)?;
        let kind = wire(&body.kind);
        let (months, tenths_default, days, overrun) = due::defaults(&kind);
        let months = body.interval_months.or(months.map(|m| m as i32));
        let interval_tenths = body.interval_hours.map(tenths).or(tenths_default);
        let days = body.interval_days.or(days.map(|d| d as i32));
        let mut c = Checks::new();
        c.check(
            months.is_some() || interval_tenths.is_some() || days.is_some(),
            "interval_months",
            "a custom item needs interval_months, interval_hours or interval_days",
        );
        c.check(
            body.name.as_deref().is_none_or(|n| !n.trim().is_empty()),
            "name",
            "must not be blank",
        );
        c.done()?;
        let mut tx = p.begin().await?;
        let last_done_tenths = body.last_done_hours.map(tenths);
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into inspection_items (id, aircraft_id, kind, name, interval_months, interval_tenths,
                 interval_days, meter, overrun_tenths, last_done_on, last_done_tenths, basis_tenths, notes)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)",
        )
        .bind(id)
        .bind(body.aircraft_id)
        .bind(&kind)
        .bind(body.name.as_deref().map(str::trim).unwrap_or(kind_name(body.kind)))
        .bind(months)
        .bind(interval_tenths)
        .bind(days)
        .bind(body.meter.as_ref().map(wire).unwrap_or_else(|| "tach".into()))
        .bind(body.overrun_hours.map(tenths).unwrap_or(overrun))
        .bind(body.last_done_on)
        .bind(last_done_tenths)
        .bind(&body.notes)
        .execute(&mut *tx)
        .await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let item = load(&mut tx, id, today, false).await?;
        audit::created(
            &mut tx,
            p.into(),
            "inspection.created",
            "inspection",
            id,
            &item,
        )
        .await?;
        tx.commit().await?;
        Ok(InspectionCreated::Created(Json(item)))
    }

    /// Get an inspection item with what is due. Permission: `maintenance.read`.
    #[oai(path = "/inspections/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Inspection>> {
        ctx.require(super::MAINTENANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let item = load(&mut tx, id.0, today, false).await?;
        tx.end_read();
        Ok(Json(item))
    }

    /// Change an item's intervals, meter or notes (completions go through `complete`).
    ///
    /// Permission: `maintenance.manage`. Audited as `inspection.updated`.
    #[oai(path = "/inspections/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<InspectionUpdate>,
    ) -> Result<Json<Inspection>> {
        let p = &ctx;
        p.require(super::MAINTENANCE_MANAGE)?;
        let mut tx = p.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let before = load(&mut tx, id.0, today, true).await?;
        AppError::check_version("inspection", body.version, before.version)?;
        let pick = |v: &MaybeUndefined<i32>, old: Option<i32>| match v {
            MaybeUndefined::Value(x) => Some(*x),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => old,
        };
        let months = pick(&body.interval_months, before.interval_months);
        let days = pick(&body.interval_days, before.interval_days);
        let interval_tenths = match &body.interval_hours {
            MaybeUndefined::Value(h) => Some(tenths(*h)),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.interval_hours.map(tenths),
        };
        let mut c = Checks::new();
        c.check(
            months.is_some() || interval_tenths.is_some() || days.is_some(),
            "interval_months",
            "an item needs interval_months, interval_hours or interval_days",
        );
        c.check(
            body.name.as_deref().is_none_or(|n| !n.trim().is_empty()),
            "name",
            "must not be blank",
        );
        c.done()?;
        let notes = match &body.notes {
            MaybeUndefined::Value(n) => Some(n.clone()),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.notes.clone(),
        };
        sqlx::query(
            "update inspection_items set name = $2, interval_months = $3, interval_tenths = $4,
                 interval_days = $5, meter = $6, overrun_tenths = $7, notes = $8, version = version + 1
             where id = $1",
        )
        .bind(before.id)
        .bind(body.name.as_deref().map(str::trim).unwrap_or(&before.name))
        .bind(months)
        .bind(interval_tenths)
        .bind(days)
        .bind(wire(&body.meter.unwrap_or(before.meter)))
        .bind(body.overrun_hours.map(tenths).unwrap_or(tenths(before.overrun_hours)))
        .bind(notes)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, before.id, today, false).await?;
        audit::updated(
            &mut tx,
            p.into(),
            "inspection.updated",
            "inspection",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Remove an item from the programme. Permission: `maintenance.manage`. Audited as
    /// `inspection.deleted`.
    #[oai(path = "/inspections/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        INSPECTION
            .delete(&ctx, super::MAINTENANCE_MANAGE, id.0, async |c| {
                let today = TenantClock::load(c).await?.today();
                load(c, id.0, today, true).await.map(Some)
            })
            .await
    }

    /// Record a completed inspection: a signed maintenance log entry, and the next interval.
    /// Hours done within the permitted overrun count against the next interval.
    ///
    /// Permission: `maintenance.sign_off`. Audited as `inspection.completed` (and
    /// `maintenance_log.created` for the entry).
    #[oai(path = "/inspections/:id/complete", method = "post")]
    async fn complete(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<InspectionComplete>,
    ) -> Result<Json<InspectionCompleted>> {
        super::complete::complete(&ctx, id.0, &body).await.map(Json)
    }
}
