//! Platform operators: the people who run Flightline. They live in the `platform` schema and are
//! never tenant users; their tokens carry `aud: "platform"` and are refused on tenant routes (and
//! tenant tokens here). Two roles: `owner` (everything) and `support` (read-only). Every operator
//! action is written to `platform.audit_logs`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::{Enum, Object, SecurityScheme};
use uuid::Uuid;

use crate::auth::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    /// Everything, including operators and billing overrides.
    Owner,
    /// Read-only: lists, details, migrations, audit.
    Support,
}

impl OperatorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Support => "support",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "support" => Some(Self::Support),
            _ => None,
        }
    }
}

/// The authenticated operator of a platform route.
#[derive(Debug, Clone)]
pub struct Operator {
    pub id: Uuid,
    pub email: String,
    pub role: OperatorRole,
    pub session_id: Uuid,
    pub meta: RequestMeta,
}

impl Operator {
    /// `403 forbidden` for support operators: they may read, not change.
    pub fn require_owner(&self) -> Result<(), AppError> {
        if self.role == OperatorRole::Owner {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "support operators are read-only; this needs an owner".into(),
            ))
        }
    }

    pub fn actor(&self) -> Actor<'_> {
        Actor {
            operator_id: Some(self.id),
            kind: "operator",
            meta: Some(&self.meta),
        }
    }
}

/// `Authorization: Bearer <platform access token>` from `POST /api/v1/platform/auth/login`.
/// A tenant token, an expired or revoked one, or a deactivated operator: `401`.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "JWT (aud: platform)",
    checker = "check_platform_bearer"
)]
pub struct PlatformAuth(pub Operator);

async fn check_platform_bearer(req: &Request, bearer: Bearer) -> poem::Result<Operator> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let claims = state
        .platform_jwt
        .verify(&bearer.token)
        .ok_or(AppError::Unauthorized(
            "the platform token is invalid or expired",
        ))?;
    let (email, role) = sqlx::query_as::<_, (String, String)>(
        "select o.email, o.role from platform.operator_sessions s
         join platform.operators o on o.id = s.operator_id
         where s.id = $1 and o.id = $2 and s.revoked_at is null and s.expires_at > now() and o.is_active",
    )
    .bind(claims.sid)
    .bind(claims.sub)
    .fetch_optional(state.db.platform())
    .await
    .map_err(AppError::from)?
    .ok_or(AppError::Unauthorized("the session has ended"))?;
    let role = OperatorRole::parse(&role)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("operator with an unknown role")))?;
    tracing::Span::current().record("user.id", tracing::field::display(claims.sub));
    Ok(Operator {
        id: claims.sub,
        email,
        role,
        session_id: claims.sid,
        meta: RequestMeta::from_request(req),
    })
}

pub use crate::audit::platform::{Actor, Change, record};

/// An operator as the API shows it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct OperatorView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: OperatorRole,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub const OPERATOR_COLUMNS: &str = "id, email, name, role, is_active, last_login_at, created_at";

/// A `platform.operators` row as [`OPERATOR_COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
pub(super) struct OperatorRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    is_active: bool,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<OperatorRow> for OperatorView {
    fn from(row: OperatorRow) -> Self {
        OperatorView {
            id: row.id,
            email: row.email,
            name: row.name,
            role: OperatorRole::parse(&row.role).unwrap_or(OperatorRole::Support),
            is_active: row.is_active,
            last_login_at: row.last_login_at,
            created_at: row.created_at,
        }
    }
}

/// Creates the bootstrap operator (`platform.bootstrap_email` / `_password`, role owner) if no
/// operator has that e-mail yet. Run at start; a no-op when not configured.
pub async fn bootstrap(state: &AppState) -> anyhow::Result<()> {
    let (Some(email), Some(password)) = (
        state.settings.platform.bootstrap_email.as_deref(),
        state.settings.platform.bootstrap_password.as_ref(),
    ) else {
        return Ok(());
    };
    let exists: bool = sqlx::query_scalar(
        "select exists(select 1 from platform.operators where lower(email) = lower($1))",
    )
    .bind(email)
    .fetch_one(state.db.platform())
    .await?;
    if exists {
        return Ok(());
    }
    let hash = state
        .passwords
        .hash(secrecy::ExposeSecret::expose_secret(password))
        .await
        .map_err(|e| anyhow::anyhow!("hashing the bootstrap password: {e}"))?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into platform.operators (id, email, name, password_hash, role)
         values ($1, $2, 'Bootstrap operator', $3, 'owner')
         on conflict do nothing",
    )
    .bind(id)
    .bind(email)
    .bind(hash)
    .execute(state.db.platform())
    .await?
    .rows_affected();
    if inserted == 1 {
        record(
            state.db.platform(),
            Actor::system(),
            Change {
                action: "operator.bootstrapped",
                tenant_id: None,
                resource_type: "operator",
                resource_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({"email": email, "role": "owner"})),
            },
        )
        .await?;
        tracing::info!(operator.id = %id, "bootstrap platform operator created");
    }
    Ok(())
}
