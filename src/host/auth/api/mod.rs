//! `/api/v1/auth/*` (API.md §3): login with lockout, refresh with rotation and reuse detection,
//! logout, the current user, password reset, e-mail verification, self-registration.
//!
//! The operations are declared here; they run in `login`, `session` (refresh, logout), `me`,
//! `password_reset`, `verify` and `register`, the bodies are in `dto`, and the helpers they
//! share below.

use std::sync::Arc;

use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::auth::Auth;
use crate::db::TenantTx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, Tenant};

mod dto;
mod login;
mod me;
mod password_reset;
mod register;
mod session;
mod verify;

pub use dto::{
    LoginRequest, Me, RefreshRequest, RegisterRequest, ResetConfirm, ResetRequest, TenantRef,
    TokenPair, VerifyEmail,
};
pub use verify::send_verification;

#[derive(ApiResponse)]
enum Accepted {
    /// Accepted; if the address belongs to an account, a message is on its way.
    #[oai(status = 202)]
    Accepted,
}

/// The one answer of `POST /register` that is not an error.
#[derive(ApiResponse)]
pub enum Registered {
    /// Accepted. A new account waits for its address to be confirmed: the verification e-mail
    /// is on its way. An address that already has an account gets an e-mail saying so instead
    /// (with a password-reset link), and no second account is made; the answer is the same.
    #[oai(status = 202)]
    Accepted,
}

pub struct AuthApi;

fn token_invalid() -> AppError {
    AppError::bad_request("token-invalid", "the token is unknown, spent or expired")
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
    /// password) for 15 minutes or until an administrator unlocks it. A user who registered
    /// themselves (`POST /register`) and has not confirmed their address yet gets
    /// `403 email-unverified`, only once the password was right.
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        tenant: Data<&CurrentTenant>,
        req: &Request,
        body: JsonBody<LoginRequest>,
    ) -> Result<Json<TokenPair>> {
        login::login(state, tenant, req, body).await
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
        session::refresh(state, tenant, req, body).await
    }

    /// End the current session: its access and refresh tokens stop working at once, on every
    /// replica. Requires an access token (API keys are revoked under `/users/me/api-keys`).
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<NoContent> {
        session::logout(state, auth).await
    }

    /// The current user, with roles and effective permissions. Any authenticated user.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<Json<Me>> {
        me::me(state, auth).await
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
        password_reset::request(state, tenant, req, body).await
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
        password_reset::confirm(state, tenant, req, body).await
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
        verify::verify_email(state, tenant, req, body).await
    }

    /// Register oneself in the organisation, where it allows it. Tenant-scoped; no
    /// authentication; rate limited like login, and per client address like signup
    /// (`rate_limit.signups_per_hour`).
    ///
    /// The tenant setting `auth.self_registration` decides: unset or `"off"` (the default)
    /// answers `403 registration-closed` and creates nothing; `"open"` takes any address;
    /// `{"domains": [...]}` takes addresses in those domains only (case-insensitive), others
    /// are `422` on `email`. The new user gets the role named by `auth.self_registration_role`
    /// (default `student`; `409 registration-role-missing` when the organisation has no such
    /// role, and nothing is created) and an unverified address: a verification e-mail links to
    /// `<public_url>/verify-email?tenant=<slug>&token=<token>` (`POST /verify-email`), and until
    /// then login answers `403 email-unverified`.
    ///
    /// Always `202`, whether or not the address already has an account, so the answer reveals
    /// nothing: an existing account is e-mailed that someone tried to register with its
    /// address (with a password-reset link), an unconfirmed registration gets a fresh
    /// verification link, a deactivated account nothing. `422` for an address, name or
    /// password (10-256 characters) that break the rules of every user; `403
    /// plan-limit-reached` when the plan's users are used up. Audited as `user.registered`
    /// (or `auth.registration_existing`).
    #[oai(path = "/register", method = "post")]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        tenant: Data<&CurrentTenant>,
        req: &Request,
        body: JsonBody<RegisterRequest>,
    ) -> Result<Registered> {
        register::register(state, tenant, req, body).await
    }

    /// Send (again) a verification e-mail to the current user's address. Any authenticated
    /// user; `202`.
    #[oai(path = "/verify-email/request", method = "post")]
    async fn verify_request(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<Accepted> {
        verify::request(state, auth).await
    }
}
