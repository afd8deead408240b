//! `POST /login`: password login with lockout after repeated failures; a self-registered user
//! whose address is not verified yet is refused after the right password.

use std::sync::Arc;

use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::{LoginRequest, TokenPair, audit_system, issue_pair};
use crate::audit::Actor;
use crate::auth::RequestMeta;
use crate::auth::tokens;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::state::AppState;
use crate::tenancy::CurrentTenant;

/// The user a login names, read under lock.
#[derive(sqlx::FromRow)]
struct LoginRow {
    id: Uuid,
    email: String,
    password_hash: Option<String>,
    is_active: bool,
    locked_for: Option<i64>,
    /// Registered themselves (`POST /register`) and has not confirmed the address yet.
    unverified_registration: bool,
}

fn locked(retry_after: i64) -> AppError {
    AppError::Status {
        status: StatusCode::LOCKED,
        code: "account-locked",
        detail:
            "too many failed logins; try again later or ask an administrator to unlock the account"
                .into(),
        retry_after: Some(u64::try_from(retry_after.max(1)).unwrap_or(1)),
    }
}

pub(super) async fn login(
    state: Data<&Arc<AppState>>,
    tenant: Data<&CurrentTenant>,
    req: &Request,
    body: JsonBody<LoginRequest>,
) -> Result<Json<TokenPair>> {
    let meta = RequestMeta::from_request(req);
    let tenant = &tenant.0.0;
    let mut tx = tenant.begin(&state.db).await?;
    let row = sqlx::query_as::<_, LoginRow>(
        "select id, email, password_hash, is_active, failed_logins,
                extract(epoch from (locked_until - now()))::bigint as locked_for,
                self_registered_at is not null and email_verified_at is null
                    as unverified_registration
         from users where lower(email) = lower($1) for update",
    )
    .bind(body.email.trim())
    .fetch_optional(&mut *tx)
    .await?;
    let user_id: Option<Uuid> = row.as_ref().map(|r| r.id);
    let actor = Actor {
        id: user_id,
        kind: "user",
        meta: &meta,
    };
    if let Some(secs) = row.as_ref().and_then(|r| r.locked_for).filter(|s| *s > 0) {
        audit_system(&mut tx, actor, "auth.login_locked", "user", user_id).await?;
        tx.commit().await?;
        return Err(locked(secs));
    }
    let hash = row
        .as_ref()
        .filter(|r| r.is_active)
        .and_then(|r| r.password_hash.clone());
    let ok = state
        .passwords
        .verify(&body.password, hash.as_deref())
        .await?;
    let (Some(row), true) = (row, ok) else {
        if let Some(id) = user_id {
            // An expired lock starts a fresh count.
            sqlx::query(
                "update users set
                     failed_logins = case when locked_until is not null and locked_until <= now()
                                          then 1 else failed_logins + 1 end,
                     locked_until = case
                         when (case when locked_until is not null and locked_until <= now()
                                    then 1 else failed_logins + 1 end) >= $2
                         then now() + make_interval(mins => $3) else null end
                 where id = $1",
            )
            .bind(id)
            .bind(i32::try_from(state.settings.auth.max_failed_logins).unwrap_or(5))
            .bind(i32::try_from(state.settings.auth.lockout_minutes).unwrap_or(15))
            .execute(&mut *tx)
            .await?;
        }
        audit_system(&mut tx, actor, "auth.login_failed", "user", user_id).await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized("invalid e-mail or password"));
    };
    if row.unverified_registration {
        // Only after the right password, so the answer reveals nothing to anyone else.
        audit_system(&mut tx, actor, "auth.login_unverified", "user", user_id).await?;
        tx.commit().await?;
        return Err(AppError::status(
            StatusCode::FORBIDDEN,
            "email-unverified",
            "confirm your e-mail address with the link we sent before logging in \
             (POST /api/v1/auth/verify-email; ask for a new link by registering again)",
        ));
    }
    let LoginRow {
        id: user, email, ..
    } = row;
    sqlx::query("update users set last_login_at = now(), failed_logins = 0, locked_until = null where id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    let (session, refresh) = tokens::new_session(
        &mut tx,
        user,
        meta.ip.as_deref(),
        meta.user_agent.as_deref(),
        state.settings.auth.refresh_ttl_seconds,
    )
    .await?;
    audit_system(&mut tx, actor, "auth.login", "session", Some(session)).await?;
    tx.commit().await?;
    Ok(Json(
        issue_pair(&state, tenant, user, &email, session, refresh).await?,
    ))
}
