//! The authenticated caller of a tenant route, extracted from `Authorization: Bearer`.

use std::collections::HashSet;
use std::sync::Arc;

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::AppError;
pub use crate::http::RequestMeta;
use crate::kernel::Permission;
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, Tenant};

impl<'a> From<&'a Principal> for crate::audit::Actor<'a> {
    fn from(p: &'a Principal) -> Self {
        Self {
            id: Some(p.user_id.into()),
            kind: "user",
            meta: &p.meta,
        }
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An access token of a login session.
    Session(Uuid),
    /// An API key (`flk_...`).
    ApiKey(Uuid),
}

/// A user of the resolved tenant, authenticated by an access token issued for that tenant or by
/// one of the user's API keys.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: crate::kernel::UserId,
    pub credential: Credential,
    pub email: String,
    pub permissions: Arc<HashSet<String>>,
    pub tenant: Arc<Tenant>,
    pub meta: RequestMeta,
}

impl Principal {
    /// Opens a transaction in the principal's tenant. Host only: a domain handler opens its
    /// transaction through its [`super::TenantCtx`].
    pub(in crate::host) async fn begin(&self, state: &AppState) -> Result<TenantTx, AppError> {
        Ok(self.tenant.begin(&state.db).await?)
    }

    /// `403 forbidden` unless one of the caller's roles (or its API key) grants `permission`.
    /// Takes a [`Permission`] constant of a manifest, never a string: a handler cannot name a
    /// permission the catalogue does not declare.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "requires the `{}` permission",
                permission.name
            )))
        }
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(permission.name)
    }

    /// Whether the caller holds the permission named `name` (for names that arrive in a
    /// request, such as a role's permissions; handlers check their own with [`Self::require`]).
    pub fn holds(&self, name: &str) -> bool {
        self.permissions.contains(name)
    }

    /// The session behind the request, if it came with an access token.
    pub fn session_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::Session(s) => Some(s),
            Credential::ApiKey(_) => None,
        }
    }
}

/// `Authorization: Bearer <access token>` (a JWT from `/api/v1/auth/login`) or
/// `Authorization: Bearer flk_<prefix>_<secret>` (an API key). A token issued for another
/// tenant, a platform token, an expired, revoked or tampered token: `401` with
/// `WWW-Authenticate: Bearer`.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "JWT or flk_ API key",
    checker = "check_bearer"
)]
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
    let meta = RequestMeta::from_request(req);
    if let Some(rest) = bearer.token.strip_prefix(API_KEY_PREFIX) {
        let (prefix, secret) = rest
            .split_once('_')
            .ok_or(AppError::Unauthorized("the API key is malformed"))?;
        let (key_id, access) = state
            .access
            .api_key(&tenant, prefix, secret)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::Unauthorized(
                "the API key is invalid, revoked or expired",
            ))?;
        state.access.touch_key(&state.db, &tenant, key_id);
        tracing::Span::current().record("user.id", tracing::field::display(access.user_id));
        return Ok(Principal {
            user_id: access.user_id.into(),
            credential: Credential::ApiKey(key_id),
            email: access.email,
            permissions: access.permissions,
            tenant,
            meta,
        });
    }
    let claims = state
        .jwt
        .verify(&bearer.token)
        .ok_or(AppError::Unauthorized(
            "the access token is invalid or expired",
        ))?;
    if claims.tenant_id != tenant.id {
        return Err(AppError::Unauthorized("the access token belongs to another tenant").into());
    }
    let access = state
        .access
        .session(&tenant, claims.sid, claims.sub)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::Unauthorized("the session has ended"))?;
    tracing::Span::current().record("user.id", tracing::field::display(claims.sub));
    Ok(Principal {
        user_id: claims.sub.into(),
        credential: Credential::Session(claims.sid),
        email: access.email,
        permissions: access.permissions,
        tenant,
        meta,
    })
}

/// API keys look like `flk_<prefix>_<secret>`.
pub const API_KEY_PREFIX: &str = "flk_";
