//! The handlers of `/api/v1/tools/events`: events and the caller's calendar feed.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{Event, EventCreate, EventPage, EventUpdate};
use super::repo::{Row, SELECT, check_attendees, load, set_attendees, write_timing};
use super::timing::timing;
use crate::audit;
use crate::auth::TenantCtx;
use crate::calendar::{self, Feed, IssuedFeed};
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;
use crate::state::AppState;

/// Events: plain get and delete.
const EVENT: Record = Record {
    table: "events",
    kind: "event",
    noun: "event",
};

#[derive(ApiResponse)]
enum EventCreated {
    #[oai(status = 201)]
    Created(Json<Event>),
}

#[derive(ApiResponse)]
enum FeedIssued {
    #[oai(status = 201)]
    Created(Json<IssuedFeed>),
}

pub struct EventsApi;

#[OpenApi(prefix_path = "/api/v1/tools/events", tag = "super::Tag::Tools")]
impl EventsApi {
    /// List events by start time. Filters: `from` and `to` (events overlapping that range),
    /// `attendee_id` (events the user organises or attends), `organizer_id`.
    ///
    /// Permission: `tools.events.read`.
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
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        attendee_id: Query<Option<Uuid>>,
        organizer_id: Query<Option<Uuid>>,
    ) -> Result<Json<EventPage>> {
        ctx.require(super::TOOLS_EVENTS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        if let (Some(f), Some(t)) = (from.0, to.0)
            && t <= f
        {
            return Err(AppError::validation("to", "must be after from"));
        }
        let mut tx = ctx.begin().await?;
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "{SELECT}
             where ($1::timestamptz is null or (e.starts_at, e.id) > ($1, $2))
               and ($3::timestamptz is null or e.ends_at > $3)
               and ($4::timestamptz is null or e.starts_at < $4)
               and ($5::uuid is null or e.organizer_id = $5
                    or exists(select 1 from event_attendees a where a.event_id = e.id and a.user_id = $5))
               and ($6::uuid is null or e.organizer_id = $6)
             order by e.starts_at, e.id limit $7"
        )))
        .bind(after.map(|(t, _)| t))
        .bind(after.map(|(_, id)| id))
        .bind(from.0)
        .bind(to.0)
        .bind(attendee_id.0)
        .bind(organizer_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items = rows.into_iter().map(Event::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish_by_time(items, limit, |e| (e.starts_at, e.id));
        Ok(Json(EventPage { items, next_cursor }))
    }

    /// Create an event; the caller is its organizer. All-day days are placed in the tenant's
    /// `timezone` setting (UTC when unset).
    ///
    /// Permission: `tools.events.write`. Audited as `event.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<EventCreate>) -> Result<EventCreated> {
        let p = &ctx;
        p.require(super::TOOLS_EVENTS_WRITE)?;
        if body.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let t = timing(
            body.all_day.unwrap_or(false),
            body.starts_at,
            body.ends_at,
            body.start_date,
            body.end_date,
        )?;
        let mut tx = p.begin().await?;
        let attendees =
            check_attendees(&mut tx, body.attendee_ids.as_deref().unwrap_or_default()).await?;
        let id = Uuid::now_v7();
        // Placeholder instants satisfy the constraints until write_timing sets the real ones.
        let now = Utc::now();
        sqlx::query(
            "insert into events (id, title, description, location, starts_at, ends_at, organizer_id)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(body.title.trim())
        .bind(&body.description)
        .bind(&body.location)
        .bind(now)
        .bind(now + Duration::seconds(1))
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        write_timing(&mut tx, id, t).await?;
        set_attendees(&mut tx, id, &attendees).await?;
        let e = load(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("event"))?;
        audit::created(&mut tx, p.into(), "event.created", "event", id, &e).await?;
        tx.commit().await?;
        Ok(EventCreated::Created(Json(e)))
    }

    /// The caller's calendar feed, if one is live (its URL is shown only when issued).
    ///
    /// Permission: `tools.events.read`.
    #[oai(path = "/feed", method = "get")]
    async fn feed_status(&self, ctx: TenantCtx) -> Result<Json<Feed>> {
        ctx.require(super::TOOLS_EVENTS_READ)?;
        Ok(Json(calendar::mine(&ctx, &super::EVENTS_FEED, None).await?))
    }

    /// Issue the caller's secret iCal feed URL of the events they organise or attend
    /// (RFC 5545, for calendar applications). A previous feed URL stops working.
    ///
    /// Permission: `tools.events.read`. Audited as `calendar_feed.issued`.
    #[oai(path = "/feed", method = "post")]
    async fn feed_issue(&self, state: Data<&Arc<AppState>>, ctx: TenantCtx) -> Result<FeedIssued> {
        ctx.require(super::TOOLS_EVENTS_READ)?;
        Ok(FeedIssued::Created(Json(
            calendar::issue_mine(&state, &ctx, &super::EVENTS_FEED, None).await?,
        )))
    }

    /// Revoke the caller's feed URL: it answers `404` from now on.
    ///
    /// Permission: `tools.events.read`. Audited as `calendar_feed.revoked`.
    #[oai(path = "/feed", method = "delete")]
    async fn feed_revoke(&self, ctx: TenantCtx) -> Result<NoContent> {
        ctx.require(super::TOOLS_EVENTS_READ)?;
        calendar::revoke_mine(&ctx, &super::EVENTS_FEED, None).await?;
        Ok(NoContent::NoContent)
    }

    /// Get an event. Permission: `tools.events.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Event>> {
        EVENT
            .get(&ctx, super::TOOLS_EVENTS_READ, async |c| {
                load(c, id.0).await
            })
            .await
    }

    /// Update an event. Permission: `tools.events.write`. Audited as `event.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<EventUpdate>,
    ) -> Result<Json<Event>> {
        let p = &ctx;
        p.require(super::TOOLS_EVENTS_WRITE)?;
        if body.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let before = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "{SELECT} where e.id = $1 for update of e"
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map(|r| r.map(Event::from))?
        .ok_or(AppError::NotFound("event"))?;
        AppError::check_version("event", body.version, before.version)?;
        let all_day = body.all_day.unwrap_or(before.all_day);
        let kind_kept = all_day == before.all_day;
        let t = if all_day {
            let start = body.start_date.or(before.start_date.filter(|_| kind_kept));
            let end = body.end_date.or(before
                .end_date
                .filter(|_| kind_kept && body.start_date.is_none()));
            timing(true, body.starts_at, body.ends_at, start, end)?
        } else {
            let start = body
                .starts_at
                .or(Some(before.starts_at).filter(|_| kind_kept));
            let end = body.ends_at.or(Some(before.ends_at).filter(|_| kind_kept));
            timing(false, start, end, body.start_date, body.end_date)?
        };
        let attendees = match &body.attendee_ids {
            Some(ids) => Some(check_attendees(&mut tx, ids).await?),
            None => None,
        };
        let pick = |new: &MaybeUndefined<String>, old: &Option<String>| match new {
            MaybeUndefined::Undefined => old.clone(),
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(v) => Some(v.clone()),
        };
        sqlx::query(
            "update events set title = $2, description = $3, location = $4, version = version + 1 where id = $1",
        )
        .bind(before.id)
        .bind(body.title.as_deref().map(str::trim).unwrap_or(&before.title))
        .bind(pick(&body.description, &before.description))
        .bind(pick(&body.location, &before.location))
        .execute(&mut *tx)
        .await?;
        write_timing(&mut tx, before.id, t).await?;
        if let Some(ids) = &attendees {
            set_attendees(&mut tx, before.id, ids).await?;
        }
        let after = load(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("event"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "event.updated",
            "event",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete an event. Permission: `tools.events.write`. Audited as `event.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        EVENT
            .delete(&ctx, super::TOOLS_EVENTS_WRITE, id.0, async |c| {
                load(c, id.0).await
            })
            .await
    }
}
