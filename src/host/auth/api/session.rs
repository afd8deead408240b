//! `POST /refresh` and `POST /logout`: rotating a session's refresh token (a reused token
//! revokes the session) and ending a session.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::{RefreshRequest, TokenPair, audit_system, issue_pair};
use crate::audit::Actor;
use crate::auth::access::{self, Invalidation};
use crate::auth::tokens;
use crate::auth::{Auth, RequestMeta};
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;

/// A presented refresh token with its session and user, read under lock.
#[derive(sqlx::FromRow)]
struct RefreshRow {
    spent_at: Option<DateTime<Utc>>,
    session_id: Uuid,
    user_id: Uuid,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    email: String,
    is_active: bool,
}

pub(super) async fn refresh(
    state: Data<&Arc<AppState>>,
    tenant: Data<&CurrentTenant>,
    req: &Request,
    body: JsonBody<RefreshRequest>,
) -> Result<Json<TokenPair>> {
    let meta = RequestMeta::from_request(req);
    let tenant = &tenant.0.0;
    let mut tx = tenant.begin(&state.db).await?;
    let row = sqlx::query_as::<_, RefreshRow>(
        "select rt.spent_at, s.id as session_id, s.user_id, s.revoked_at, s.expires_at, u.email, u.is_active
         from refresh_tokens rt join sessions s on s.id = rt.session_id join users u on u.id = s.user_id
         where rt.token_hash = $1 for update of rt, s",
    )
    .bind(tokens::digest(&body.refresh_token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::Unauthorized("the refresh token is invalid"))?;
    let session: Uuid = row.session_id;
    let user: Uuid = row.user_id;
    let actor = Actor {
        id: Some(user),
        kind: "user",
        meta: &meta,
    };
    let spent: Option<DateTime<Utc>> = row.spent_at;
    if spent.is_some() {
        tokens::revoke_sessions(&mut tx, user, Some(session), "refresh_token_reuse").await?;
        access::notify(&mut tx, Invalidation::Session(tenant.id, session)).await?;
        audit_system(
            &mut tx,
            actor,
            "auth.refresh_reuse_detected",
            "session",
            Some(session),
        )
        .await?;
        tx.commit().await?;
        state
            .access
            .invalidate(Invalidation::Session(tenant.id, session));
        return Err(AppError::Unauthorized(
            "the refresh token was already used; the session is revoked",
        ));
    }
    if !tokens::live(row.revoked_at, row.expires_at) || !row.is_active {
        return Err(AppError::Unauthorized("the session has ended"));
    }
    let (refresh, hash) = tokens::new_token();
    sqlx::query("update refresh_tokens set spent_at = now() where token_hash = $1")
        .bind(tokens::digest(&body.refresh_token))
        .execute(&mut *tx)
        .await?;
    sqlx::query("insert into refresh_tokens (token_hash, session_id) values ($1, $2)")
        .bind(&hash)
        .bind(session)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "update sessions set refresh_token_hash = $2, expires_at = now() + make_interval(secs => $3) where id = $1",
    )
    .bind(session)
    .bind(&hash)
    .bind(state.settings.auth.refresh_ttl_seconds as f64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let email: String = row.email;
    Ok(Json(
        issue_pair(&state, tenant, user, &email, session, refresh).await?,
    ))
}

pub(super) async fn logout(state: Data<&Arc<AppState>>, auth: Auth) -> Result<NoContent> {
    let p = &auth.0;
    let session = p.session_id().ok_or_else(|| {
        AppError::bad_request(
            "bad-request",
            "API keys have no session; revoke the key instead",
        )
    })?;
    let mut tx = p.begin(&state).await?;
    tokens::revoke_sessions(&mut tx, p.user_id.into(), Some(session), "logout").await?;
    access::notify(&mut tx, Invalidation::Session(p.tenant.id, session)).await?;
    audit_system(&mut tx, p.into(), "auth.logout", "session", Some(session)).await?;
    tx.commit().await?;
    state
        .access
        .invalidate(Invalidation::Session(p.tenant.id, session));
    Ok(NoContent::NoContent)
}
