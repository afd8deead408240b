//! iCal feeds of bookings, through the shared secret-URL mechanism of `crate::calendar`:
//! `/api/v1/scheduling/feeds/me` (the bookings a user flies or teaches) and
//! `/api/v1/scheduling/feeds/aircraft/{id}` (every booking of an aircraft, as busy time with no
//! names: the URL may travel further than the schedule's permissions). Both cover 30 days back
//! to one year ahead, cancelled bookings left out.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::TenantCtx;
use crate::calendar::{self, Feed, FeedKind, IssuedFeed, ical};
use crate::error::{AppError, Result};
use crate::http::NoContent;
use crate::state::AppState;
use futures_util::future::BoxFuture;

const WINDOW: &str = "b.status <> 'cancelled' and b.ends_at > now() - interval '30 days'
     and b.starts_at < now() + interval '1 year'";

/// The columns every booking event of a feed reads (`#[sqlx(flatten)]` into each feed's row).
#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    home_base: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn event(row: EventRow, summary: String, description: Option<String>) -> ical::Event {
    ical::Event {
        uid: format!("{}@flightline", row.id),
        when: ical::When::Timed {
            start: row.starts_at,
            end: row.ends_at,
        },
        summary,
        description,
        location: row.home_base,
        created: row.created_at,
        last_modified: row.updated_at,
        sequence: row.version - 1,
    }
}

#[derive(sqlx::FromRow)]
struct UserBookingRow {
    #[sqlx(flatten)]
    event: EventRow,
    kind: String,
    title: Option<String>,
    registration: Option<String>,
    instructor: Option<String>,
    pilot: Option<String>,
    simulator: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AircraftBookingRow {
    #[sqlx(flatten)]
    event: EventRow,
    kind: String,
    registration: String,
}

/// The bookings `user` flies or teaches, at most 5,000.
/// [`FeedKind::render`] of `bookings`: the bookings the user flies or teaches.
pub fn render_user_bookings<'c>(
    conn: &'c mut PgConnection,
    user: Uuid,
    _subject: Option<Uuid>,
) -> BoxFuture<'c, Result<Option<Vec<ical::Event>>, sqlx::Error>> {
    Box::pin(async move { user_bookings(conn, user).await.map(Some) })
}

/// [`FeedKind::render`] of `aircraft_bookings`: every booking of the aircraft (the subject).
pub fn render_aircraft_bookings<'c>(
    conn: &'c mut PgConnection,
    _user: Uuid,
    subject: Option<Uuid>,
) -> BoxFuture<'c, Result<Option<Vec<ical::Event>>, sqlx::Error>> {
    Box::pin(async move {
        match subject {
            Some(aircraft) => aircraft_bookings(conn, aircraft).await.map(Some),
            None => Ok(None),
        }
    })
}

pub async fn user_bookings(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<ical::Event>, sqlx::Error> {
    let sql = format!(
        "select b.id, b.kind, b.title, b.starts_at, b.ends_at, b.version, b.created_at, b.updated_at,
                a.registration, a.home_base, i.name as instructor, p.name as pilot, s.name as simulator
           from bookings b
           left join aircraft a on a.id = b.aircraft_id
           left join users i on i.id = b.instructor_id
           left join users p on p.id = b.pilot_id
           left join simulators s on s.id = b.simulator_id
          where (b.pilot_id = $1 or b.instructor_id = $1) and {WINDOW}
          order by b.starts_at, b.id limit 5000"
    );
    let rows = sqlx::query_as::<_, UserBookingRow>(sqlx::AssertSqlSafe(sql))
        .bind(user)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let kind = r.kind;
            let what: Vec<&str> = [&r.registration, &r.simulator]
                .into_iter()
                .filter_map(Option::as_deref)
                .collect();
            let summary = match r.title {
                Some(t) => t,
                None if what.is_empty() => kind.clone(),
                None => format!("{kind}: {}", what.join(", ")),
            };
            let mut lines = vec![format!("Booking type: {kind}")];
            for (label, value) in [
                ("Aircraft", &r.registration),
                ("Simulator", &r.simulator),
                ("Instructor", &r.instructor),
                ("Pilot", &r.pilot),
            ] {
                if let Some(v) = value {
                    lines.push(format!("{label}: {v}"));
                }
            }
            event(r.event, summary, Some(lines.join("\n")))
        })
        .collect())
}

/// Every booking of `aircraft`, without names, at most 5,000.
pub async fn aircraft_bookings(
    conn: &mut PgConnection,
    aircraft: Uuid,
) -> Result<Vec<ical::Event>, sqlx::Error> {
    let sql = format!(
        "select b.id, b.kind, b.starts_at, b.ends_at, b.version, b.created_at, b.updated_at, a.registration, a.home_base
           from bookings b join aircraft a on a.id = b.aircraft_id
          where b.aircraft_id = $1 and {WINDOW}
          order by b.starts_at, b.id limit 5000"
    );
    let rows = sqlx::query_as::<_, AircraftBookingRow>(sqlx::AssertSqlSafe(sql))
        .bind(aircraft)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let reg = r.registration;
            let summary = if r.kind == "maintenance" {
                format!("{reg}: maintenance")
            } else {
                format!("{reg}: booked")
            };
            event(r.event, summary, None)
        })
        .collect())
}

#[derive(ApiResponse)]
enum FeedIssued {
    /// The feed with its secret URL (shown only now).
    #[oai(status = 201)]
    Created(Json<IssuedFeed>),
}

/// Kept: an unknown aircraft in the path answers `404` (API.md), and a feed's subject has no
/// foreign key to say so.
async fn aircraft_exists(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    let exists: bool = sqlx::query_scalar("select exists(select 1 from aircraft where id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await?;
    if exists {
        Ok(())
    } else {
        Err(AppError::NotFound("aircraft"))
    }
}

/// The aircraft a feed is about exists (checked before the feed is issued or shown).
async fn subject_exists(p: &TenantCtx, subject: Option<Uuid>) -> Result<()> {
    if let Some(a) = subject {
        let mut tx = p.begin().await?;
        aircraft_exists(&mut tx, a).await?;
        tx.end_read();
    }
    Ok(())
}

async fn issue(
    state: &AppState,
    p: &TenantCtx,
    kind: &FeedKind,
    subject: Option<Uuid>,
) -> Result<IssuedFeed> {
    subject_exists(p, subject).await?;
    calendar::issue_mine(state, p, kind, subject).await
}

async fn status(p: &TenantCtx, kind: &FeedKind, subject: Option<Uuid>) -> Result<Feed> {
    subject_exists(p, subject).await?;
    calendar::mine(p, kind, subject).await
}

async fn revoke(p: &TenantCtx, kind: &FeedKind, subject: Option<Uuid>) -> Result<()> {
    calendar::revoke_mine(p, kind, subject).await
}

pub struct FeedsApi;

#[OpenApi(
    prefix_path = "/api/v1/scheduling/feeds",
    tag = "super::Tag::Scheduling"
)]
impl FeedsApi {
    /// The caller's live bookings feed, if any (the URL is shown only when issued).
    ///
    /// Permission: `scheduling.read`.
    #[oai(path = "/me", method = "get")]
    async fn me_status(&self, ctx: TenantCtx) -> Result<Json<Feed>> {
        ctx.require(super::SCHEDULING_READ)?;
        Ok(Json(status(&ctx, &super::BOOKINGS_FEED, None).await?))
    }

    /// Issue the caller's secret iCal feed of the bookings they fly or teach (RFC 5545). A
    /// previous URL stops working.
    ///
    /// Permission: `scheduling.read`. Audited as `calendar_feed.issued`.
    #[oai(path = "/me", method = "post")]
    async fn me_issue(&self, state: Data<&Arc<AppState>>, ctx: TenantCtx) -> Result<FeedIssued> {
        ctx.require(super::SCHEDULING_READ)?;
        Ok(FeedIssued::Created(Json(
            issue(&state, &ctx, &super::BOOKINGS_FEED, None).await?,
        )))
    }

    /// Revoke the caller's bookings feed: its URL answers `404` from now on.
    ///
    /// Permission: `scheduling.read`. Audited as `calendar_feed.revoked`.
    #[oai(path = "/me", method = "delete")]
    async fn me_revoke(&self, ctx: TenantCtx) -> Result<NoContent> {
        ctx.require(super::SCHEDULING_READ)?;
        revoke(&ctx, &super::BOOKINGS_FEED, None).await?;
        Ok(NoContent::NoContent)
    }

    /// The caller's live feed of an aircraft's bookings, if any.
    ///
    /// Permission: `scheduling.read`.
    #[oai(path = "/aircraft/:id", method = "get")]
    async fn aircraft_status(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Feed>> {
        ctx.require(super::SCHEDULING_READ)?;
        Ok(Json(
            status(&ctx, &super::AIRCRAFT_BOOKINGS_FEED, Some(id.0)).await?,
        ))
    }

    /// Issue a secret iCal feed of one aircraft's bookings (busy time, no names). Each user
    /// holds at most one live feed per aircraft; a previous URL stops working.
    ///
    /// Permission: `scheduling.read`. Audited as `calendar_feed.issued`.
    #[oai(path = "/aircraft/:id", method = "post")]
    async fn aircraft_issue(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<FeedIssued> {
        ctx.require(super::SCHEDULING_READ)?;
        Ok(FeedIssued::Created(Json(
            issue(&state, &ctx, &super::AIRCRAFT_BOOKINGS_FEED, Some(id.0)).await?,
        )))
    }

    /// Revoke the caller's feed of an aircraft.
    ///
    /// Permission: `scheduling.read`. Audited as `calendar_feed.revoked`.
    #[oai(path = "/aircraft/:id", method = "delete")]
    async fn aircraft_revoke(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(super::SCHEDULING_READ)?;
        revoke(&ctx, &super::AIRCRAFT_BOOKINGS_FEED, Some(id.0)).await?;
        Ok(NoContent::NoContent)
    }
}
