//! What the current user owns: `/api/v1/users/me/sessions` and `/api/v1/users/me/api-keys`.
//! Reachable by every authenticated user; nobody sees or revokes another user's.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use rand::RngCore;
use uuid::Uuid;

use super::dto::{ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPage, Session, SessionPage};
use crate::audit::{self, Change};
use crate::auth::access::{self, Invalidation};
use crate::auth::{API_KEY_PREFIX, TenantCtx, tokens};
use crate::error::{AppError, FieldError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::state::AppState;

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: Uuid,
    name: String,
    prefix: String,
    permissions: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        ApiKey {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            permissions: r.permissions,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            created_at: r.created_at,
        }
    }
}

pub struct MeApi;

#[derive(ApiResponse)]
enum KeyCreated {
    /// The key; `key` is shown only here.
    #[oai(status = 201)]
    Created(Json<ApiKeyCreated>),
}

/// At most this many live API keys per user.
const MAX_KEYS: i64 = 50;

#[OpenApi(prefix_path = "/api/v1/users/me", tag = "super::Tag::Users")]
impl MeApi {
    /// The current user's live sessions, newest first. Any authenticated user (own data).
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<SessionPage>> {
        let p = &ctx;
        let limit = limit.0.get();
        let before = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = p.begin().await?;
        let rows = sqlx::query_as::<_, SessionRow>(
            "select id, ip, user_agent, created_at, expires_at from sessions
             where user_id = $1 and revoked_at is null and expires_at > now() and ($2::uuid is null or id < $2)
             order by id desc limit $3",
        )
        .bind(p.user_id)
        .bind(before)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let current = p.session_id();
        let sessions = rows
            .into_iter()
            .map(|r| Session {
                id: r.id,
                ip: r.ip,
                user_agent: r.user_agent,
                current: Some(r.id) == current,
                created_at: r.created_at,
                expires_at: r.expires_at,
            })
            .collect();
        let (items, next_cursor) = page::finish(sessions, limit, |s| s.id);
        Ok(Json(SessionPage { items, next_cursor }))
    }

    /// Revoke one of the current user's sessions (another device, or this one). Its tokens stop
    /// working at once. Any authenticated user (own data); another user's session id → `404`.
    #[oai(path = "/sessions/:id", method = "delete")]
    async fn revoke_session(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = &ctx;
        let mut tx = p.begin().await?;
        let revoked =
            tokens::revoke_sessions(&mut tx, p.user_id.into(), Some(id.0), "revoked_by_user")
                .await?;
        if revoked.is_empty() {
            return Err(AppError::NotFound("session"));
        }
        access::notify(&mut tx, Invalidation::Session(p.tenant.id, id.0)).await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "session.revoked",
                resource_type: "session",
                resource_id: Some(id.0.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        state
            .access
            .invalidate(Invalidation::Session(p.tenant.id, id.0));
        Ok(NoContent::NoContent)
    }

    /// The current user's live API keys. Any authenticated user (own data).
    #[oai(path = "/api-keys", method = "get")]
    async fn keys(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<ApiKeyPage>> {
        let p = &ctx;
        let limit = limit.0.get();
        let before = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = p.begin().await?;
        let rows = sqlx::query_as::<_, ApiKeyRow>(
            "select id, name, prefix, expires_at, last_used_at, created_at,
                    coalesce(permissions, array(select distinct p from user_roles ur
                        join roles r on r.id = ur.role_id, unnest(r.permissions) p
                        where ur.user_id = api_keys.user_id order by p)) as permissions
             from api_keys
             where user_id = $1 and revoked_at is null and ($2::uuid is null or id < $2)
             order by id desc limit $3",
        )
        .bind(p.user_id)
        .bind(before)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let keys = rows.into_iter().map(ApiKey::from).collect();
        let (items, next_cursor) = page::finish(keys, limit, |k| k.id);
        Ok(Json(ApiKeyPage { items, next_cursor }))
    }

    /// Create an API key for the current user: `flk_<prefix>_<secret>`, accepted as
    /// `Authorization: Bearer` wherever an access token is. Only a hash is stored: the key is
    /// shown once. `permissions` must be a subset of the caller's; omitted, the key gets the
    /// caller's permissions as they are now (an API key creating a key passes on at most its
    /// own). The key's list is fixed at creation and always shown; at each use it is also cut to
    /// what the owner still holds. `expires_at` must be in the future (default: never).
    ///
    /// Any authenticated user (own data). Audited as `api_key.created`.
    #[oai(path = "/api-keys", method = "post")]
    async fn create_key(&self, ctx: TenantCtx, body: JsonBody<ApiKeyCreate>) -> Result<KeyCreated> {
        let p = &ctx;
        let mut errors = Vec::new();
        if body.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be blank"));
        }
        if let Some(perms) = &body.permissions {
            for (i, perm) in perms.iter().enumerate() {
                if !crate::domains::CATALOG.is_permission(perm) {
                    errors.push(FieldError::new(
                        format!("permissions[{i}]"),
                        format!("`{perm}` is not a permission"),
                    ));
                } else if !p.holds(perm) {
                    errors.push(FieldError::new(
                        format!("permissions[{i}]"),
                        format!("you do not hold `{perm}`"),
                    ));
                }
            }
        }
        if body.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
            errors.push(FieldError::new("expires_at", "must be in the future"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut permissions: Vec<String> = match &body.permissions {
            Some(v) => v.clone(),
            None => p.permissions.iter().cloned().collect(),
        };
        permissions.sort();
        permissions.dedup();
        let mut tx = p.begin().await?;
        let live: i64 = sqlx::query_scalar(
            "select count(*) from api_keys where user_id = $1 and revoked_at is null",
        )
        .bind(p.user_id)
        .fetch_one(&mut *tx)
        .await?;
        if live >= MAX_KEYS {
            return Err(AppError::Conflict {
                code: "limit-reached",
                detail: format!("at most {MAX_KEYS} API keys per user"),
                field: None,
            });
        }
        let mut raw = [0u8; 6];
        rand::rng().fill_bytes(&mut raw);
        let prefix: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let (secret, _) = tokens::new_token();
        let secret = secret.replace('_', "x");
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into api_keys (id, user_id, name, prefix, secret_hash, permissions, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(p.user_id)
        .bind(body.name.trim())
        .bind(&prefix)
        .bind(tokens::digest(&secret))
        .bind(&permissions)
        .bind(body.expires_at)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "api_key.created",
                resource_type: "api_key",
                resource_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({"name": body.name.trim(), "prefix": prefix, "permissions": permissions, "expires_at": body.expires_at})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(KeyCreated::Created(Json(ApiKeyCreated {
            id,
            name: body.name.trim().to_owned(),
            key: format!("{API_KEY_PREFIX}{prefix}_{secret}"),
            prefix,
            permissions,
            expires_at: body.expires_at,
        })))
    }

    /// Revoke one of the current user's API keys; it stops working at once on every replica.
    /// Any authenticated user (own data); another user's key id → `404`. Audited as
    /// `api_key.revoked`.
    #[oai(path = "/api-keys/:id", method = "delete")]
    async fn revoke_key(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = &ctx;
        let mut tx = p.begin().await?;
        let revoked: Option<String> = sqlx::query_scalar(
            "update api_keys set revoked_at = now() where id = $1 and user_id = $2 and revoked_at is null returning prefix",
        )
        .bind(id.0)
        .bind(p.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        revoked.ok_or(AppError::NotFound("api key"))?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "api_key.revoked",
                resource_type: "api_key",
                resource_id: Some(id.0.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        access::notify(&mut tx, Invalidation::Tenant(p.tenant.id)).await?;
        tx.commit().await?;
        state.access.invalidate(Invalidation::Tenant(p.tenant.id));
        Ok(NoContent::NoContent)
    }
}
