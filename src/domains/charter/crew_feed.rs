//! Crew calendars: `/api/v1/charter/crew/feeds/me` issues the caller a secret iCal feed
//! (`crate::calendar`, RFC 5545) of the legs they are assigned on trips that are not cancelled,
//! 30 days back to a year ahead: one event per leg, block off to block on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::CHARTER_READ;
use crate::auth::TenantCtx;
use crate::calendar::{self, Feed, FeedKind, IssuedFeed, ical};
use crate::error::Result;
use crate::http::NoContent;
use crate::state::AppState;

/// The crew member's legs.
pub const CREW_FEED: FeedKind = FeedKind {
    key: "charter_crew",
    flag: "charter",
    permission: "charter.read",
    render: render_boxed,
};

fn render_boxed<'c>(
    conn: &'c mut PgConnection,
    user: Uuid,
    _subject: Option<Uuid>,
) -> BoxFuture<'c, std::result::Result<Option<Vec<ical::Event>>, sqlx::Error>> {
    Box::pin(async move { legs_of(conn, user).await.map(Some) })
}

#[derive(sqlx::FromRow)]
struct Row {
    trip_id: Uuid,
    number: String,
    seq: i32,
    role: String,
    from_code: String,
    to_code: String,
    departs_at: DateTime<Utc>,
    arrives_at: DateTime<Utc>,
    positioning: bool,
    registration: String,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The legs `user` is assigned, at most 5,000.
pub async fn legs_of(
    conn: &mut PgConnection,
    user: Uuid,
) -> std::result::Result<Vec<ical::Event>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "select t.id as trip_id, t.number, l.seq, a.role, l.from_code, l.to_code, l.departs_at,
                l.arrives_at, l.positioning, ac.registration, t.version, t.created_at,
                t.updated_at
           from charter_crew_assignments a
           join charter_crew_members m on m.id = a.crew_member_id
           join charter_trip_legs l on l.trip_id = a.trip_id and l.seq = a.seq
           join charter_trips t on t.id = a.trip_id
           join aircraft ac on ac.id = l.aircraft_id
          where m.user_id = $1 and t.status <> 'cancelled'
            and l.arrives_at > now() - interval '30 days'
            and l.departs_at < now() + interval '1 year'
          order by l.departs_at, t.id, l.seq limit 5000",
    )
    .bind(user)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ical::Event {
            uid: format!("{}-{}@flightline", r.trip_id, r.seq),
            when: ical::When::Timed {
                start: r.departs_at,
                end: r.arrives_at,
            },
            summary: format!(
                "{} {}-{} ({}){}",
                r.number,
                r.from_code,
                r.to_code,
                r.role.to_uppercase(),
                if r.positioning { ", positioning" } else { "" }
            ),
            description: Some(format!(
                "Trip {}, leg {}\nAircraft: {}\nRole: {}",
                r.number, r.seq, r.registration, r.role
            )),
            location: Some(r.from_code),
            created: r.created_at,
            last_modified: r.updated_at,
            sequence: r.version - 1,
        })
        .collect())
}

#[derive(ApiResponse)]
enum FeedIssued {
    /// The feed with its secret URL (shown only now).
    #[oai(status = 201)]
    Created(Json<IssuedFeed>),
}

pub struct CrewFeedApi;

#[OpenApi(
    prefix_path = "/api/v1/charter/crew/feeds",
    tag = "super::Tag::CharterCrew"
)]
impl CrewFeedApi {
    /// The caller's live crew calendar feed, if any (the URL is shown only when issued).
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/me", method = "get")]
    async fn status(&self, ctx: TenantCtx) -> Result<Json<Feed>> {
        ctx.require(CHARTER_READ)?;
        Ok(Json(calendar::mine(&ctx, &CREW_FEED, None).await?))
    }

    /// Issue the caller's secret iCal feed of the trip legs they are assigned (RFC 5545, for
    /// calendar applications): one event per leg, block off to block on, 30 days back to a
    /// year ahead. A previous URL stops working; the URL stops when the caller loses
    /// `charter.read` or the module is switched off.
    ///
    /// Permission: `charter.read`. Audited as `calendar_feed.issued`.
    #[oai(path = "/me", method = "post")]
    async fn issue(&self, state: Data<&Arc<AppState>>, ctx: TenantCtx) -> Result<FeedIssued> {
        ctx.require(CHARTER_READ)?;
        Ok(FeedIssued::Created(Json(
            calendar::issue_mine(&state, &ctx, &CREW_FEED, None).await?,
        )))
    }

    /// Revoke the caller's crew feed: its URL answers `404` from now on.
    ///
    /// Permission: `charter.read`. Audited as `calendar_feed.revoked`.
    #[oai(path = "/me", method = "delete")]
    async fn revoke(&self, ctx: TenantCtx) -> Result<NoContent> {
        ctx.require(CHARTER_READ)?;
        calendar::revoke_mine(&ctx, &CREW_FEED, None).await?;
        Ok(NoContent::NoContent)
    }
}
