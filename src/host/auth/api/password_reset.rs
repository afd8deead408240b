//! `POST /password-reset/request` and `/password-reset/confirm`: a reset e-mail, and setting
//! a new password with the token of a reset or invitation e-mail.

use std::sync::Arc;

use poem::Request;
use poem::web::Data;
use uuid::Uuid;

use super::{Accepted, ResetConfirm, ResetRequest, audit_system, token_invalid};
use crate::audit::Actor;
use crate::auth::RequestMeta;
use crate::auth::access::{self, Invalidation};
use crate::auth::password::check_policy;
use crate::auth::tokens::{self, Purpose};
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::mail::{self, Link, LinkKind};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;

pub(super) async fn request(
    state: Data<&Arc<AppState>>,
    tenant: Data<&CurrentTenant>,
    req: &Request,
    body: JsonBody<ResetRequest>,
) -> Result<Accepted> {
    let meta = RequestMeta::from_request(req);
    let tenant = &tenant.0.0;
    let mut tx = tenant.begin(&state.db).await?;
    let user: Option<(Uuid, String, String)> = sqlx::query_as(
        "select id, email, name from users where lower(email) = lower($1) and is_active",
    )
    .bind(body.email.trim())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, email, name)) = user {
        let token = tokens::issue_one_time(&mut tx, id, Purpose::PasswordReset).await?;
        let link = Link {
            kind: LinkKind::PasswordReset,
            public_url: &state.settings.server.public_url,
            tenant_slug: &tenant.slug,
            tenant_name: &tenant.name,
            token: &token,
        };
        mail::enqueue(&mut tx, &link.email(&email, &name)).await?;
        let actor = Actor {
            id: Some(id),
            kind: "user",
            meta: &meta,
        };
        audit_system(
            &mut tx,
            actor,
            "auth.password_reset_requested",
            "user",
            Some(id),
        )
        .await?;
    }
    tx.commit().await?;
    state.mail.nudge();
    Ok(Accepted::Accepted)
}

pub(super) async fn confirm(
    state: Data<&Arc<AppState>>,
    tenant: Data<&CurrentTenant>,
    req: &Request,
    body: JsonBody<ResetConfirm>,
) -> Result<NoContent> {
    if let Err(m) = check_policy(&body.new_password) {
        return Err(AppError::validation("new_password", m));
    }
    let meta = RequestMeta::from_request(req);
    let tenant = &tenant.0.0;
    let purposes = [Purpose::PasswordReset, Purpose::Invitation];
    // The token first: a made-up token costs one indexed read, never an argon2id hash.
    let mut tx = tenant.begin(&state.db).await?;
    if !tokens::is_live(&mut tx, &body.token, &purposes).await? {
        return Err(token_invalid());
    }
    tx.end_read();
    let hash = state.passwords.hash(&body.new_password).await?;
    let mut tx = tenant.begin(&state.db).await?;
    let (user, purpose) = tokens::spend_one_time(&mut tx, &body.token, &purposes)
        .await?
        .ok_or_else(token_invalid)?;
    sqlx::query(
        "update users set password_hash = $2, failed_logins = 0, locked_until = null,
             email_verified_at = case when $3 then coalesce(email_verified_at, now()) else email_verified_at end
         where id = $1",
    )
    .bind(user)
    .bind(hash)
    .bind(purpose == Purpose::Invitation)
    .execute(&mut *tx)
    .await?;
    tokens::revoke_sessions(&mut tx, user, None, "password_changed").await?;
    access::notify(&mut tx, Invalidation::Tenant(tenant.id)).await?;
    let actor = Actor {
        id: Some(user),
        kind: "user",
        meta: &meta,
    };
    audit_system(&mut tx, actor, "user.password_changed", "user", Some(user)).await?;
    tx.commit().await?;
    state.access.invalidate(Invalidation::Tenant(tenant.id));
    Ok(NoContent::NoContent)
}
