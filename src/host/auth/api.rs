//! `/api/v1/auth/*` (API.md §3): login with lockout, refresh with rotation and reuse detection,
//! logout, the current user, password reset, e-mail verification.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::RoleRef;
use super::access::{self, Invalidation};
use super::password::check_policy;
use super::tokens::{self, Purpose};
use super::{Auth, RequestMeta};
use crate::audit::{self, Actor, Change};
use crate::auth::password::Password;
use crate::db::TenantTx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::tags::CoreTags;
use crate::mail::{self, Link, LinkKind};
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, Tenant, TenantKind};

/// Credentials of a tenant user.
#[derive(Object)]
#[oai(example)]
pub struct LoginRequest {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 256))]
    pub password: String,
}

impl poem_openapi::types::Example for LoginRequest {
    fn example() -> Self {
        LoginRequest {
            email: "chief@alpine-flight.example".into(),
            password: "correct horse battery staple".into(),
        }
    }
}

/// An access token (JWT, bound to tenant and session) and an opaque refresh token.
#[derive(Object)]
pub struct TokenPair {
    pub access_token: String,
    /// Single use: `POST /api/v1/auth/refresh` spends it and returns a new pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Object)]
pub struct RefreshRequest {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub refresh_token: String,
}

#[derive(Object)]
pub struct ResetRequest {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
}

#[derive(Object)]
pub struct ResetConfirm {
    /// The token from the reset or invitation e-mail.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub token: String,
    pub new_password: Password,
}

#[derive(Object)]
pub struct VerifyEmail {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub token: String,
}

#[derive(Object)]
pub struct TenantRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: TenantKind,
}

/// The current user with roles and effective permissions.
#[derive(Object)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub is_active: bool,
    pub email_verified: bool,
    pub roles: Vec<RoleRef>,
    /// What this request's credential may do: the union of the user's roles, narrowed to the
    /// API key's own permissions when called with a key. Sorted.
    pub permissions: Vec<String>,
    pub tenant: TenantRef,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The user a login names, read under lock.
#[derive(sqlx::FromRow)]
struct LoginRow {
    id: Uuid,
    email: String,
    password_hash: Option<String>,
    is_active: bool,
    locked_for: Option<i64>,
}

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

/// The current user as `GET /me` reads it.
#[derive(sqlx::FromRow)]
struct MeRow {
    id: Uuid,
    email: String,
    name: String,
    is_active: bool,
    email_verified_at: Option<DateTime<Utc>>,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
enum Accepted {
    /// Accepted; if the address belongs to an account, a message is on its way.
    #[oai(status = 202)]
    Accepted,
}

pub struct AuthApi;

fn token_invalid() -> AppError {
    AppError::bad_request("token-invalid", "the token is unknown, spent or expired")
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

async fn issue_pair(
    state: &AppState,
    tenant: &Tenant,
    user: Uuid,
    email: &str,
    session: Uuid,
    refresh: String,
) -> Result<TokenPair> {
    Ok(TokenPair {
        access_token: state.jwt.issue(user, tenant.id, email, session)?,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: state.jwt.access_ttl_seconds,
    })
}

async fn audit_system(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    action: &str,
    resource_type: &str,
    id: Option<Uuid>,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            resource_type,
            resource_id: id.map(|i| i.to_string()),
            before: None,
            after: None,
        },
    )
    .await?;
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/auth", tag = "CoreTags::Auth")]
impl AuthApi {
    /// Log in with e-mail and password.
    ///
    /// Tenant-scoped; no authentication. A wrong password, an unknown e-mail and a deactivated
    /// user all answer the same `401` after the same work. After `auth.max_failed_logins` wrong
    /// passwords the account answers `423 account-locked` with `Retry-After` (even to the right
    /// password) for 15 minutes or until an administrator unlocks it.
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
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
                    extract(epoch from (locked_until - now()))::bigint as locked_for
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

    /// Exchange a refresh token for a new pair.
    ///
    /// Tenant-scoped; no authentication. The presented token is spent (rotation). Presenting a
    /// spent token again is treated as theft: the whole session is revoked, its access tokens
    /// included, and the answer is `401`.
    #[oai(path = "/refresh", method = "post")]
    async fn refresh(
        &self,
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

    /// End the current session: its access and refresh tokens stop working at once, on every
    /// replica. Requires an access token (API keys are revoked under `/users/me/api-keys`).
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<NoContent> {
        let p = &auth.0;
        let session = p.session_id().ok_or_else(|| {
            AppError::bad_request(
                "bad-request",
                "API keys have no session; revoke the key instead",
            )
        })?;
        let mut tx = p.begin(&state).await?;
        tokens::revoke_sessions(&mut tx, p.user_id, Some(session), "logout").await?;
        access::notify(&mut tx, Invalidation::Session(p.tenant.id, session)).await?;
        audit_system(&mut tx, p.into(), "auth.logout", "session", Some(session)).await?;
        tx.commit().await?;
        state
            .access
            .invalidate(Invalidation::Session(p.tenant.id, session));
        Ok(NoContent::NoContent)
    }

    /// The current user, with roles and effective permissions. Any authenticated user.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<Json<Me>> {
        let p = &auth.0;
        let mut tx = p.begin(&state).await?;
        let row = sqlx::query_as::<_, MeRow>(
            "select id, email, name, is_active, email_verified_at, last_login_at, created_at from users where id = $1",
        )
        .bind(p.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::Unauthorized("the user no longer exists"))?;
        let roles = sqlx::query_as::<_, (Uuid, String)>(
            "select r.id, r.name from roles r join user_roles ur on ur.role_id = r.id where ur.user_id = $1 order by r.name",
        )
        .bind(p.user_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let mut permissions: Vec<String> = p.permissions.iter().cloned().collect();
        permissions.sort();
        Ok(Json(Me {
            id: row.id,
            email: row.email,
            name: row.name,
            is_active: row.is_active,
            email_verified: row.email_verified_at.is_some(),
            roles: roles
                .into_iter()
                .map(|(id, name)| RoleRef { id, name })
                .collect(),
            permissions,
            tenant: TenantRef {
                id: p.tenant.id,
                slug: p.tenant.slug.clone(),
                name: p.tenant.name.clone(),
                kind: p.tenant.kind,
            },
            last_login_at: row.last_login_at,
            created_at: row.created_at,
        }))
    }

    /// Ask for a password-reset e-mail. Always `202`, whether or not the address has an
    /// account, so the answer reveals nothing. Tenant-scoped; no authentication.
    #[oai(path = "/password-reset/request", method = "post")]
    async fn reset_request(
        &self,
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

    /// Set a new password with the token of a reset or invitation e-mail. Spends the token,
    /// ends every session of the user, and (for an invitation) marks the address verified.
    /// `400 token-invalid` for an unknown, spent or expired token. Tenant-scoped; no
    /// authentication.
    #[oai(path = "/password-reset/confirm", method = "post")]
    async fn reset_confirm(
        &self,
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

    /// Confirm an e-mail address with the token of a verification e-mail. `400 token-invalid`
    /// for an unknown, spent or expired token. Tenant-scoped; no authentication.
    #[oai(path = "/verify-email", method = "post")]
    async fn verify_email(
        &self,
        state: Data<&Arc<AppState>>,
        tenant: Data<&CurrentTenant>,
        req: &Request,
        body: JsonBody<VerifyEmail>,
    ) -> Result<NoContent> {
        let meta = RequestMeta::from_request(req);
        let mut tx = tenant.0.0.begin(&state.db).await?;
        let (user, _) = tokens::spend_one_time(&mut tx, &body.token, &[Purpose::EmailVerify])
            .await?
            .ok_or_else(token_invalid)?;
        sqlx::query("update users set email_verified_at = now() where id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        // The organisation's first administrator confirming: the signup is no longer pending.
        sqlx::query(
            "update platform.tenants set admin_verified_at = coalesce(admin_verified_at, now())
             where id = $1 and lower(admin_email) = (select lower(email) from users where id = $2)",
        )
        .bind(tenant.0.0.id)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        let actor = Actor {
            id: Some(user),
            kind: "user",
            meta: &meta,
        };
        audit_system(&mut tx, actor, "user.email_verified", "user", Some(user)).await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// Send (again) a verification e-mail to the current user's address. Any authenticated
    /// user; `202`.
    #[oai(path = "/verify-email/request", method = "post")]
    async fn verify_request(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<Accepted> {
        let p = &auth.0;
        let mut tx = p.begin(&state).await?;
        let (email, name, verified): (String, String, Option<DateTime<Utc>>) =
            sqlx::query_as("select email, name, email_verified_at from users where id = $1")
                .bind(p.user_id)
                .fetch_one(&mut *tx)
                .await?;
        if verified.is_none() {
            send_verification(&state, &mut tx, &p.tenant, p.user_id, &email, &name).await?;
        }
        tx.commit().await?;
        state.mail.nudge();
        Ok(Accepted::Accepted)
    }
}

/// Queues a verification e-mail for `user` in `tx`.
pub async fn send_verification(
    state: &AppState,
    tx: &mut TenantTx,
    tenant: &Tenant,
    user: Uuid,
    email: &str,
    name: &str,
) -> Result<()> {
    let token = tokens::issue_one_time(tx, user, Purpose::EmailVerify).await?;
    let link = Link {
        kind: LinkKind::VerifyEmail,
        public_url: &state.settings.server.public_url,
        tenant_slug: &tenant.slug,
        tenant_name: &tenant.name,
        token: &token,
    };
    mail::enqueue(tx, &link.email(email, name)).await?;
    Ok(())
}
