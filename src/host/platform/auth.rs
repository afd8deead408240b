//! `/api/v1/platform/auth/*` (login, logout, me) and `/api/v1/platform/operators` (owners manage
//! operators). Operator logins lock like tenant logins (`auth.max_failed_logins`).

use std::sync::Arc;

use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::operators::{
    self, Actor, Change, OPERATOR_COLUMNS, OperatorRole, OperatorRow, OperatorView, PlatformAuth,
};
use crate::auth::RequestMeta;
use crate::auth::password::Password;
use crate::auth::password::check_policy;
use crate::error::{AppError, FieldError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;

/// The operator a login names, read under lock.
#[derive(sqlx::FromRow)]
struct LoginRow {
    id: Uuid,
    email: String,
    role: String,
    password_hash: String,
    is_active: bool,
    locked_for: Option<i64>,
}

#[derive(Object)]
pub struct PlatformLogin {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 256))]
    pub password: String,
}

#[derive(Object)]
pub struct PlatformToken {
    /// Bearer token for `/api/v1/platform/**` (`aud: "platform"`); refused on tenant routes.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
}

#[derive(Object)]
pub struct OperatorCreate {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    pub password: Password,
    pub role: OperatorRole,
}

#[derive(Object)]
pub struct OperatorUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    pub role: Option<OperatorRole>,
    /// false: deactivated; its sessions end at once.
    pub is_active: Option<bool>,
}

#[derive(Object)]
pub struct OperatorPage {
    pub items: Vec<OperatorView>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum OperatorCreated {
    #[oai(status = 201)]
    Created(Json<OperatorView>),
}

pub struct PlatformAuthApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "CoreTags::Platform")]
impl PlatformAuthApi {
    /// Log in as a platform operator. No tenant. Wrong password, unknown e-mail and a
    /// deactivated operator answer the same `401`; after `auth.max_failed_logins` failures the
    /// account answers `423 account-locked` until the lock expires. Audited.
    #[oai(path = "/auth/login", method = "post")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: JsonBody<PlatformLogin>,
    ) -> Result<Json<PlatformToken>> {
        let meta = RequestMeta::from_request(req);
        let mut tx = state.db.platform().begin().await?;
        let row = sqlx::query_as::<_, LoginRow>(
            "select id, email, role, password_hash, is_active,
                    extract(epoch from (locked_until - now()))::bigint as locked_for
             from platform.operators where lower(email) = lower($1) for update",
        )
        .bind(body.email.trim())
        .fetch_optional(&mut *tx)
        .await?;
        let id: Option<Uuid> = row.as_ref().map(|r| r.id);
        let actor = Actor {
            operator_id: id,
            kind: "operator",
            meta: Some(&meta),
        };
        let change = |action| Change {
            action,
            tenant_id: None,
            resource_type: "operator",
            resource_id: id.map(|i| i.to_string()),
            before: None,
            after: None,
        };
        if let Some(secs) = row.as_ref().and_then(|r| r.locked_for).filter(|s| *s > 0) {
            operators::record(&mut *tx, actor, change("operator.login_locked")).await?;
            tx.commit().await?;
            return Err(AppError::Status {
                status: StatusCode::LOCKED,
                code: "account-locked",
                detail: "too many failed logins; try again later".into(),
                retry_after: Some(u64::try_from(secs.max(1)).unwrap_or(1)),
            });
        }
        let hash = row
            .as_ref()
            .filter(|r| r.is_active)
            .map(|r| r.password_hash.clone());
        let ok = state
            .passwords
            .verify(&body.password, hash.as_deref())
            .await?;
        let (Some(row), true) = (row, ok) else {
            if let Some(id) = id {
                sqlx::query(
                    "update platform.operators set
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
            operators::record(&mut *tx, actor, change("operator.login_failed")).await?;
            tx.commit().await?;
            return Err(AppError::Unauthorized("invalid e-mail or password"));
        };
        let LoginRow {
            id, email, role, ..
        } = row;
        sqlx::query("update platform.operators set last_login_at = now(), failed_logins = 0, locked_until = null where id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let session = Uuid::now_v7();
        let ttl = state.platform_jwt.access_ttl_seconds;
        sqlx::query(
            "insert into platform.operator_sessions (id, operator_id, expires_at)
             values ($1, $2, now() + make_interval(secs => $3))",
        )
        .bind(session)
        .bind(id)
        .bind(ttl as f64)
        .execute(&mut *tx)
        .await?;
        operators::record(&mut *tx, actor, change("operator.login")).await?;
        tx.commit().await?;
        Ok(Json(PlatformToken {
            access_token: state.platform_jwt.issue(id, &email, &role, session)?,
            token_type: "Bearer".into(),
            expires_in: ttl,
        }))
    }

    /// End this operator session: its token stops working at once. Audited.
    #[oai(path = "/auth/logout", method = "post")]
    async fn logout(&self, state: Data<&Arc<AppState>>, auth: PlatformAuth) -> Result<NoContent> {
        let op = &auth.0;
        let mut tx = state.db.platform().begin().await?;
        sqlx::query("update platform.operator_sessions set revoked_at = now() where id = $1")
            .bind(op.session_id)
            .execute(&mut *tx)
            .await?;
        operators::record(
            &mut *tx,
            op.actor(),
            Change {
                action: "operator.logout",
                tenant_id: None,
                resource_type: "operator_session",
                resource_id: Some(op.session_id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// The operator behind the token.
    #[oai(path = "/auth/me", method = "get")]
    async fn me(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
    ) -> Result<Json<OperatorView>> {
        let row = sqlx::query_as::<_, OperatorRow>(sqlx::AssertSqlSafe(format!(
            "select {OPERATOR_COLUMNS} from platform.operators where id = $1"
        )))
        .bind(auth.0.id)
        .fetch_one(state.db.platform())
        .await?;
        Ok(Json(row.into()))
    }

    /// List operators. Any operator.
    #[oai(path = "/operators", method = "get")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: PlatformAuth,
    ) -> Result<Json<OperatorPage>> {
        let rows = sqlx::query_as::<_, OperatorRow>(sqlx::AssertSqlSafe(format!(
            "select {OPERATOR_COLUMNS} from platform.operators order by created_at limit 200"
        )))
        .fetch_all(state.db.platform())
        .await?;
        Ok(Json(OperatorPage {
            items: rows.into_iter().map(OperatorView::from).collect(),
            next_cursor: None,
        }))
    }

    /// Add an operator. Owner only. Audited as `operator.created`.
    #[oai(path = "/operators", method = "post")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        body: JsonBody<OperatorCreate>,
    ) -> Result<OperatorCreated> {
        let op = &auth.0;
        op.require_owner()?;
        let mut errors = Vec::new();
        let email = body.email.trim();
        if !crate::kernel::email::is_email(email) {
            errors.push(FieldError::new("email", "must be an e-mail address"));
        }
        if let Err(m) = check_policy(&body.password) {
            errors.push(FieldError::new("password", m));
        }
        if body.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be blank"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let hash = state.passwords.hash(&body.password).await?;
        let mut tx = state.db.platform().begin().await?;
        let id = Uuid::now_v7();
        let row = sqlx::query_as::<_, OperatorRow>(sqlx::AssertSqlSafe(format!(
            "insert into platform.operators (id, email, name, password_hash, role) values ($1, $2, $3, $4, $5)
             returning {OPERATOR_COLUMNS}"
        )))
        .bind(id)
        .bind(email)
        .bind(body.name.trim())
        .bind(hash)
        .bind(body.role.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let view = OperatorView::from(row);
        operators::record(
            &mut *tx,
            op.actor(),
            Change {
                action: "operator.created",
                tenant_id: None,
                resource_type: "operator",
                resource_id: Some(id.to_string()),
                before: None,
                after: crate::audit::snapshot(&view),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(OperatorCreated::Created(Json(view)))
    }

    /// Change an operator's name, role or activity; deactivating ends its sessions. Owner
    /// only; an owner cannot demote or deactivate themself. Audited as `operator.updated`.
    #[oai(path = "/operators/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        id: Path<Uuid>,
        body: JsonBody<OperatorUpdate>,
    ) -> Result<Json<OperatorView>> {
        let op = &auth.0;
        op.require_owner()?;
        if id.0 == op.id
            && (body.is_active == Some(false) || body.role == Some(OperatorRole::Support))
        {
            return Err(AppError::Conflict {
                code: "conflict",
                detail: "an owner cannot demote or deactivate themself".into(),
                field: None,
            });
        }
        let mut tx = state.db.platform().begin().await?;
        let before = sqlx::query_as::<_, OperatorRow>(sqlx::AssertSqlSafe(format!(
            "select {OPERATOR_COLUMNS} from platform.operators where id = $1 for update"
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .map(OperatorView::from)
        .ok_or(AppError::NotFound("operator"))?;
        let row = sqlx::query_as::<_, OperatorRow>(sqlx::AssertSqlSafe(format!(
            "update platform.operators set name = coalesce($2, name), role = coalesce($3, role),
                 is_active = coalesce($4, is_active)
             where id = $1 returning {OPERATOR_COLUMNS}"
        )))
        .bind(id.0)
        .bind(body.name.as_deref().map(str::trim))
        .bind(body.role.map(OperatorRole::as_str))
        .bind(body.is_active)
        .fetch_one(&mut *tx)
        .await?;
        let after = OperatorView::from(row);
        if !after.is_active || after.role != before.role {
            // Tokens carry the role: end the sessions so the change applies at once.
            sqlx::query("update platform.operator_sessions set revoked_at = now() where operator_id = $1 and revoked_at is null")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        operators::record(
            &mut *tx,
            op.actor(),
            Change {
                action: "operator.updated",
                tenant_id: None,
                resource_type: "operator",
                resource_id: Some(id.0.to_string()),
                before: crate::audit::snapshot(&before),
                after: crate::audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
