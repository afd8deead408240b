//! Calendar feeds: secret, revocable iCal URLs that calendar applications subscribe to
//! without logging in (they cannot send headers, so the URL carries everything).
//!
//! A feed URL is `<public_url>/api/v1/public/calendars/flc_<tenant id>_<secret>.ics`. The
//! tenant id only routes the lookup; the secret (256 random bits) is the credential and is
//! stored as a SHA-256 digest in the tenant's `calendar_feeds`. Issuing a new feed of the same
//! kind revokes the previous one; a revoked, unknown or malformed URL answers `404`, as does a
//! feed whose module the tenant switched off, whose owner is deactivated or no longer holds the
//! permission to read it. A domain that offers feeds declares each [`FeedKind`] (key, flag,
//! permission, renderer) in its manifest; this module never names a domain.

pub use crate::kernel::ical;
pub use crate::kernel::manifest::FeedKind;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{PlainText, Response};
use poem_openapi::{Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::auth::{TenantCtx, tokens};
use crate::error::{AppError, Result};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;
use crate::tenancy::{TenantStatus, flags};

const PREFIX: &str = "flc_";

/// A feed as its owner sees it (the URL only once, when issued).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Feed {
    pub id: Uuid,
    /// `events`, `bookings` or `aircraft_bookings`.
    pub kind: String,
    /// What the feed is about beyond its owner (the aircraft of `aircraft_bookings`).
    pub subject_id: Option<Uuid>,
    /// When a calendar application last fetched it.
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Issues a feed of `kind` for `user` in the caller's transaction, revoking the live one.
/// Returns the feed with its URL.
pub async fn issue(
    conn: &mut PgConnection,
    state: &AppState,
    tenant_id: Uuid,
    user: crate::kernel::UserId,
    kind: &FeedKind,
) -> Result<IssuedFeed, sqlx::Error> {
    issue_for(conn, state, tenant_id, user, kind, None).await
}

/// [`issue`] for a feed about `subject` (an aircraft): one live feed per user, kind and subject.
pub async fn issue_for(
    conn: &mut PgConnection,
    state: &AppState,
    tenant_id: Uuid,
    user: crate::kernel::UserId,
    kind: &FeedKind,
    subject: Option<Uuid>,
) -> Result<IssuedFeed, sqlx::Error> {
    revoke_for(conn, user, kind, subject).await?;
    let (secret, hash) = tokens::new_token();
    let id = Uuid::now_v7();
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "insert into calendar_feeds (id, user_id, kind, subject_id, token_hash) values ($1, $2, $3, $4, $5)
         returning created_at",
    )
    .bind(id)
    .bind(user)
    .bind(kind.key)
    .bind(subject)
    .bind(hash)
    .fetch_one(&mut *conn)
    .await?;
    Ok(IssuedFeed {
        id,
        kind: kind.key.into(),
        subject_id: subject,
        url: format!(
            "{}/api/v1/public/calendars/{PREFIX}{}_{secret}.ics",
            state.settings.server.public_url,
            tenant_id.simple()
        ),
        created_at,
    })
}

/// The caller's live feed of `kind` (about `subject`), without its URL; `404` when none.
pub async fn mine(ctx: &TenantCtx, kind: &FeedKind, subject: Option<Uuid>) -> Result<Feed> {
    let mut tx = ctx.begin().await?;
    let f = live_for(&mut tx, ctx.user_id, kind, subject)
        .await?
        .ok_or(AppError::NotFound("calendar feed"))?;
    tx.end_read();
    Ok(f)
}

/// Issues the caller a feed of `kind` (about `subject`, which the domain checked), revoking
/// their live one, audited as `calendar_feed.issued`: the feed with its URL (shown only now).
pub async fn issue_mine(
    state: &AppState,
    ctx: &TenantCtx,
    kind: &FeedKind,
    subject: Option<Uuid>,
) -> Result<IssuedFeed> {
    let mut tx = ctx.begin().await?;
    let issued = issue_for(&mut tx, state, ctx.tenant.id, ctx.user_id, kind, subject).await?;
    audit::record(
        &mut tx,
        ctx.into(),
        Change {
            action: "calendar_feed.issued",
            resource_type: "calendar_feed",
            resource_id: Some(issued.id.to_string()),
            before: None,
            after: Some(serde_json::json!({
                "kind": issued.kind, "user_id": ctx.user_id, "subject_id": subject})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// Revokes the caller's live feed of `kind` (about `subject`), audited as
/// `calendar_feed.revoked`; `404` when none.
pub async fn revoke_mine(ctx: &TenantCtx, kind: &FeedKind, subject: Option<Uuid>) -> Result<()> {
    let mut tx = ctx.begin().await?;
    let id = revoke_for(&mut tx, ctx.user_id, kind, subject)
        .await?
        .ok_or(AppError::NotFound("calendar feed"))?;
    audit::record(
        &mut tx,
        ctx.into(),
        Change {
            action: "calendar_feed.revoked",
            resource_type: "calendar_feed",
            resource_id: Some(id.to_string()),
            before: Some(serde_json::json!({
                "kind": kind.key, "user_id": ctx.user_id, "subject_id": subject})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes `user`'s live feed of `kind`; returns its id if there was one.
pub async fn revoke(
    conn: &mut PgConnection,
    user: crate::kernel::UserId,
    kind: &FeedKind,
) -> Result<Option<Uuid>, sqlx::Error> {
    revoke_for(conn, user, kind, None).await
}

/// [`revoke`] for a feed about `subject`.
pub async fn revoke_for(
    conn: &mut PgConnection,
    user: crate::kernel::UserId,
    kind: &FeedKind,
    subject: Option<Uuid>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update calendar_feeds set revoked_at = now()
         where user_id = $1 and kind = $2 and subject_id is not distinct from $3 and revoked_at is null
         returning id",
    )
    .bind(user)
    .bind(kind.key)
    .bind(subject)
    .fetch_optional(conn)
    .await
}

/// `user`'s live feed of `kind`, without its URL.
pub async fn live(
    conn: &mut PgConnection,
    user: crate::kernel::UserId,
    kind: &FeedKind,
) -> Result<Option<Feed>, sqlx::Error> {
    live_for(conn, user, kind, None).await
}

/// [`live`] for a feed about `subject`.
pub async fn live_for(
    conn: &mut PgConnection,
    user: crate::kernel::UserId,
    kind: &FeedKind,
    subject: Option<Uuid>,
) -> Result<Option<Feed>, sqlx::Error> {
    let row = sqlx::query_as::<_, FeedRow>(
        "select id, kind, subject_id, last_used_at, created_at from calendar_feeds
         where user_id = $1 and kind = $2 and subject_id is not distinct from $3 and revoked_at is null",
    )
    .bind(user)
    .bind(kind.key)
    .bind(subject)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Feed::from))
}

/// A `calendar_feeds` row as [`live_for`] reads it.
#[derive(sqlx::FromRow)]
struct FeedRow {
    id: Uuid,
    kind: String,
    subject_id: Option<Uuid>,
    last_used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<FeedRow> for Feed {
    fn from(r: FeedRow) -> Self {
        Feed {
            id: r.id,
            kind: r.kind,
            subject_id: r.subject_id,
            last_used_at: r.last_used_at,
            created_at: r.created_at,
        }
    }
}

/// A feed just issued, with its URL.
#[derive(Object, Debug)]
pub struct IssuedFeed {
    pub id: Uuid,
    pub kind: String,
    pub subject_id: Option<Uuid>,
    /// Subscribe to this URL in a calendar application. Keep it secret: anyone holding it sees
    /// the feed. Shown only now; issue a new feed to get a new URL (the old one stops working).
    pub url: String,
    pub created_at: DateTime<Utc>,
}

fn not_found() -> AppError {
    AppError::NotFound("calendar feed")
}

/// Splits `flc_<32 hex>_<secret>[.ics]` into the tenant id and the secret.
fn parse_token(raw: &str) -> Option<(Uuid, &str)> {
    let rest = raw
        .strip_suffix(".ics")
        .unwrap_or(raw)
        .strip_prefix(PREFIX)?;
    let (tenant, secret) = rest.split_at_checked(32)?;
    let secret = secret.strip_prefix('_')?;
    if secret.len() != 43
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some((Uuid::try_parse(tenant).ok()?, secret))
}

pub struct CalendarFeedApi;

#[OpenApi(prefix_path = "/api/v1/public/calendars", tag = "CoreTags::Calendars")]
impl CalendarFeedApi {
    /// A calendar feed (`text/calendar`, RFC 5545) for calendar applications. No header or
    /// login: the secret URL is the credential (issue one with `POST
    /// /api/v1/tools/events/feed`). Revoked, unknown or malformed URLs, a feed of a module the
    /// tenant switched off, a feed of a deactivated user and a feed whose owner no longer holds
    /// the permission to read it (`tools.events.read`, `scheduling.read`) answer `404`.
    #[oai(path = "/:token", method = "get")]
    async fn feed(
        &self,
        state: Data<&Arc<AppState>>,
        token: Path<String>,
    ) -> Result<Response<PlainText<String>>> {
        let (tenant_id, secret) = parse_token(&token.0).ok_or_else(not_found)?;
        let tenant = state
            .registry
            .by_id(tenant_id)
            .await?
            .ok_or_else(not_found)?;
        if !matches!(tenant.status, TenantStatus::Active | TenantStatus::PastDue) {
            return Err(not_found());
        }
        tracing::Span::current().record("tenant.id", tracing::field::display(tenant.id));
        let catalog = state.registry.catalog();
        let mut tx = tenant.begin(&state.db).await?;
        let (user, kind, subject) = sqlx::query_as::<_, (Uuid, String, Option<Uuid>)>(
            "update calendar_feeds f set last_used_at = now()
             from users u
             where f.token_hash = $1 and f.revoked_at is null and u.id = f.user_id and u.is_active
               and exists(select 1 from user_roles ur join roles r on r.id = ur.role_id
                          where ur.user_id = u.id
                            and r.permissions @> array[(select k.permission
                                from unnest($2::text[], $3::text[]) as k(kind, permission)
                                where k.kind = f.kind)])
             returning f.user_id, f.kind, f.subject_id",
        )
        .bind(tokens::digest(secret))
        .bind(catalog.feeds().map(|f| f.key).collect::<Vec<_>>())
        .bind(catalog.feeds().map(|f| f.permission).collect::<Vec<_>>())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(not_found)?;
        let kind = catalog.feed(&kind).ok_or_else(not_found)?;
        if !flags::effective(catalog, &tenant, kind.flag).0 {
            return Err(not_found());
        }
        let events = (kind.render)(&mut tx, user, subject)
            .await?
            .ok_or_else(not_found)?;
        tx.commit().await?;
        let body = ical::calendar(&tenant.name, &events);
        Ok(Response::new(PlainText(body))
            .header("content-type", "text/calendar; charset=utf-8")
            .header("cache-control", "private, max-age=300")
            .header("x-content-type-options", "nosniff"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_strictly() {
        let t = Uuid::new_v4();
        let secret = "a".repeat(43);
        let raw = format!("flc_{}_{secret}.ics", t.simple());
        assert_eq!(parse_token(&raw), Some((t, secret.as_str())));
        assert_eq!(
            parse_token(&raw.replace(".ics", "")),
            Some((t, secret.as_str()))
        );
        for bad in [
            "",
            "flc_",
            &format!("flc_{}_{}", t.simple(), "a".repeat(42)),
            &format!("flx_{}_{secret}", t.simple()),
            &format!("flc_{}{secret}", t.simple()),
            &format!("flc_{}_{}", t.simple(), "../".repeat(15)),
            "flc_é",
        ] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }
}
