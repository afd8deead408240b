//! The authenticated caller of a tenant route, extracted from `Authorization: Bearer`.

use std::sync::Arc;

use poem::Request;
use poem::http::header;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, current_request_id};
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, Tenant};

/// Who made the request and from where; written into audit rows.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn from_request(req: &Request) -> Self {
        Self {
            request_id: current_request_id(),
            ip: req
                .remote_addr()
                .as_socket_addr()
                .map(|a| a.ip().to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
        }
    }
}

/// A user of the resolved tenant, authenticated by an access token issued for that tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub email: String,
    pub tenant: Arc<Tenant>,
    pub meta: RequestMeta,
}

impl Principal {
    /// Opens a transaction in the principal's tenant.
    pub async fn begin(&self, state: &AppState) -> Result<TenantTx, AppError> {
        Ok(self.tenant.begin(&state.db).await?)
    }
}

/// Bearer access token (JWT) of a tenant user. A token issued for another tenant, a platform
/// token, an expired or tampered token: `401` with `WWW-Authenticate: Bearer`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_bearer")]
pub struct Auth(pub Principal);

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let CurrentTenant(tenant) = req
        .extensions()
        .get::<CurrentTenant>()
        .cloned()
        .ok_or_else(|| AppError::bad_request("tenant-required", "this route needs a tenant"))?;
    let claims = state
        .jwt
        .verify(&bearer.token)
        .ok_or(AppError::Unauthorized(
            "the access token is invalid or expired",
        ))?;
    if claims.tenant_id != tenant.id {
        return Err(AppError::Unauthorized("the access token belongs to another tenant").into());
    }
    tracing::Span::current().record("user.id", tracing::field::display(claims.sub));
    Ok(Principal {
        user_id: claims.sub,
        session_id: claims.sid,
        email: claims.email,
        tenant,
        meta: RequestMeta::from_request(req),
    })
}
