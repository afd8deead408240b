//! `POST /api/v1/auth/login` and `GET /api/v1/auth/me` (API.md §3), and the permission guard
//! every tenant endpoint calls first.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;

use super::{Auth, Principal, RequestMeta};
use crate::api::ApiTags;
use crate::audit::{self, Actor, Change};
use crate::db::TenantTx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, TenantKind};

/// Checks, inside the request's transaction, that the principal's user is active, its session
/// is live, and one of its roles grants `permission`. `401` or `403` otherwise.
pub async fn require(
    tx: &mut TenantTx,
    principal: &Principal,
    permission: &'static str,
) -> Result<()> {
    let row = sqlx::query(
        "select
             coalesce((select is_active from users where id = $1), false) as active,
             exists(select 1 from sessions
                    where id = $2 and user_id = $1 and revoked_at is null and expires_at > now()) as live,
             exists(select 1 from user_roles ur join roles r on r.id = ur.role_id
                    where ur.user_id = $1 and $3 = any(r.permissions)) as allowed",
    )
    .bind(principal.user_id)
    .bind(principal.session_id)
    .bind(permission)
    .fetch_one(&mut **tx)
    .await?;
    if !row.get::<bool, _>("active") || !row.get::<bool, _>("live") {
        return Err(AppError::Unauthorized("the session has ended"));
    }
    if !row.get::<bool, _>("allowed") {
        return Err(AppError::Forbidden(format!(
            "requires the `{permission}` permission"
        )));
    }
    Ok(())
}

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
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Object)]
pub struct RoleRef {
    pub id: Uuid,
    pub name: String,
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
    /// Union of the permissions of all roles, sorted.
    pub permissions: Vec<String>,
    pub tenant: TenantRef,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub struct AuthApi;

fn new_refresh_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = Sha256::digest(token.as_bytes()).to_vec();
    (token, hash)
}

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in with e-mail and password.
    ///
    /// Tenant-scoped (X-Tenant-ID or subdomain); no authentication. A wrong password, an
    /// unknown e-mail and a deactivated user all answer the same `401`, after the same work.
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
        let user = sqlx::query(
            "select id, email, password_hash, is_active from users where lower(email) = lower($1)",
        )
        .bind(body.email.trim())
        .fetch_optional(&mut *tx)
        .await?;
        let (user_id, email, hash) = match &user {
            Some(row) if row.get::<bool, _>("is_active") => (
                Some(row.get::<Uuid, _>("id")),
                row.get::<String, _>("email"),
                row.get::<Option<String>, _>("password_hash"),
            ),
            Some(row) => (Some(row.get::<Uuid, _>("id")), String::new(), None),
            None => (None, String::new(), None),
        };
        let ok = state
            .passwords
            .verify(&body.password, hash.as_deref())
            .await;
        let actor = Actor {
            id: user_id,
            kind: "user",
            meta: &meta,
        };
        let Some(user_id) = user_id.filter(|_| ok) else {
            audit::record(
                &mut tx,
                actor,
                Change {
                    action: "auth.login_failed",
                    resource_type: "user",
                    resource_id: user_id.map(|u| u.to_string()),
                    before: None,
                    after: None,
                },
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::Unauthorized("invalid e-mail or password"));
        };
        let session_id = Uuid::now_v7();
        let (refresh_token, refresh_hash) = new_refresh_token();
        let refresh_ttl = i64::try_from(state.settings.auth.refresh_ttl_seconds).unwrap_or(86_400);
        sqlx::query(
            "insert into sessions (id, user_id, refresh_token_hash, ip, user_agent, expires_at)
             values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(refresh_hash)
        .bind(&meta.ip)
        .bind(&meta.user_agent)
        .bind(refresh_ttl as f64)
        .execute(&mut *tx)
        .await?;
        sqlx::query("update users set last_login_at = now(), failed_logins = 0 where id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "auth.login",
                resource_type: "session",
                resource_id: Some(session_id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        let access_token = state.jwt.issue(user_id, tenant.id, &email, session_id)?;
        Ok(Json(TokenPair {
            access_token,
            refresh_token,
            token_type: "Bearer".into(),
            expires_in: state.jwt.access_ttl_seconds,
        }))
    }

    /// The current user, with roles and effective permissions.
    ///
    /// Requires a valid access token of this tenant; no permission beyond that.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<Json<Me>> {
        let p = &auth.0;
        let mut tx = p.begin(&state).await?;
        let row = sqlx::query(
            "select u.id, u.email, u.name, u.is_active, u.email_verified_at, u.last_login_at, u.created_at
             from users u
             join sessions s on s.user_id = u.id and s.id = $2 and s.revoked_at is null and s.expires_at > now()
             where u.id = $1 and u.is_active",
        )
        .bind(p.user_id)
        .bind(p.session_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::Unauthorized("the session has ended"))?;
        let roles = sqlx::query(
            "select r.id, r.name, r.permissions from roles r
             join user_roles ur on ur.role_id = r.id where ur.user_id = $1 order by r.name",
        )
        .bind(p.user_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut permissions: Vec<String> = roles
            .iter()
            .flat_map(|r| r.get::<Vec<String>, _>("permissions"))
            .collect();
        permissions.sort();
        permissions.dedup();
        Ok(Json(Me {
            id: row.get("id"),
            email: row.get("email"),
            name: row.get("name"),
            is_active: row.get("is_active"),
            email_verified: row
                .get::<Option<DateTime<Utc>>, _>("email_verified_at")
                .is_some(),
            roles: roles
                .iter()
                .map(|r| RoleRef {
                    id: r.get("id"),
                    name: r.get("name"),
                })
                .collect(),
            permissions,
            tenant: TenantRef {
                id: p.tenant.id,
                slug: p.tenant.slug.clone(),
                name: p.tenant.name.clone(),
                kind: p.tenant.kind,
            },
            last_login_at: row.get("last_login_at"),
            created_at: row.get("created_at"),
        }))
    }
}
