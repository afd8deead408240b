//! `POST /api/v1/signup` and `GET /api/v1/public/slugs/{slug}` (API.md §3).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::auth::password::Password;
use crate::auth::password::check_policy;
use crate::error::{AppError, FieldError, Result};
use crate::http::JsonBody;
use crate::kernel::tags::CoreTags;
use crate::platform::{onboarding, plans};
use crate::state::AppState;
use crate::tenancy::{
    self, NewTenant, ProvisionError, Tenant, TenantKind, TenantStatus, is_valid_slug,
};

/// A new organisation and its first administrator.
#[derive(Object)]
#[oai(example)]
pub struct SignupRequest {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub organization_name: String,
    /// `^[a-z][a-z0-9-]{2,39}$`, not reserved; becomes `<slug>.<base_domain>`.
    #[oai(validator(min_length = 3, max_length = 40))]
    pub slug: String,
    pub kind: TenantKind,
    #[oai(validator(min_length = 3, max_length = 254))]
    pub admin_email: String,
    pub admin_password: Password,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub admin_name: String,
    /// One of `trial`, `starter`, `professional`, `enterprise`.
    pub plan: String,
}

impl poem_openapi::types::Example for SignupRequest {
    fn example() -> Self {
        SignupRequest {
            organization_name: "Alpine Flight Academy".into(),
            slug: "alpine-flight".into(),
            kind: TenantKind::FlightSchool,
            admin_email: "chief@alpine-flight.example".into(),
            admin_password: "correct horse battery staple".into(),
            admin_name: "Chief Instructor".into(),
            plan: "trial".into(),
        }
    }
}

/// A tenant as its signup sees it.
#[derive(Object)]
pub struct TenantSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: TenantKind,
    pub status: TenantStatus,
    pub plan: String,
    pub trial_ends_at: Option<DateTime<Utc>>,
}

impl From<&Tenant> for TenantSummary {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
            kind: t.kind,
            status: t.status,
            plan: t.plan.clone(),
            trial_ends_at: t.trial_ends_at,
        }
    }
}

#[derive(Object)]
pub struct SignupResponse {
    pub tenant: TenantSummary,
    /// Stripe Checkout for a paid plan; null while billing is disabled.
    pub checkout_url: Option<String>,
}

#[derive(ApiResponse)]
pub enum SignupCreated {
    /// The tenant exists and is active; log in at `/api/v1/auth/login` with its slug.
    #[oai(status = 201)]
    Created(Json<SignupResponse>),
}

#[derive(Object)]
pub struct SlugAvailability {
    pub available: bool,
    /// `invalid`, `reserved` or `taken` when not available.
    pub reason: Option<String>,
}

pub struct SignupApi;

pub fn validate_signup(body: &SignupRequest) -> Result<()> {
    let mut errors = onboarding::validate(
        &body.slug,
        &body.admin_email,
        &body.organization_name,
        &body.admin_name,
        &body.plan,
    );
    if let Err(m) = check_policy(&body.admin_password) {
        errors.push(FieldError::new("admin_password", m));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "CoreTags::Signup")]
impl SignupApi {
    /// Sign up an organisation: creates the tenant, its schema, the roles of its kind and its
    /// admin user, atomically, then queues the admin's verification and welcome e-mails. Public;
    /// no tenant, no authentication. Duplicate slug → `409`. Every organisation starts with a
    /// 14-day trial; with billing on, a paid plan returns a Stripe Checkout `checkout_url` (null
    /// otherwise). Abuse limits: `rate_limit.signups_per_hour` per client IP and
    /// `platform.max_pending_signups_per_email` unconfirmed signups per e-mail within a day
    /// (`429`).
    #[oai(path = "/signup", method = "post")]
    async fn signup(
        &self,
        state: Data<&Arc<AppState>>,
        body: JsonBody<SignupRequest>,
    ) -> Result<SignupCreated> {
        validate_signup(&body)?;
        onboarding::check_pending(&state, &body.admin_email).await?;
        let hash = state.passwords.hash(&body.admin_password).await?;
        let new = NewTenant {
            slug: body.slug.clone(),
            name: body.organization_name.trim().to_owned(),
            kind: body.kind,
            plan: body.plan.clone(),
            admin_email: body.admin_email.trim().to_owned(),
            admin_name: body.admin_name.trim().to_owned(),
            admin_password_hash: Some(hash),
            trial_ends_at: onboarding::trial_end(&body.plan),
        };
        let tenant = tenancy::provision(&state.db, &state.registry, &new, None)
            .await
            .map(|p| p.tenant)
            .map_err(|e| match e {
                ProvisionError::SlugTaken => AppError::Conflict {
                    code: "conflict",
                    detail: "this slug is already taken".into(),
                    field: Some("slug".into()),
                },
                other => AppError::Internal(other.into()),
            })?;
        state.warm.nudge();
        onboarding::welcome(&state, &tenant, &new, false).await?;
        crate::billing::queue_customer(&state, tenant.id).await?;
        let paid = plans::get(&body.plan).is_some_and(|p| p.paid);
        let checkout_url = if paid && state.billing.is_some() {
            // The tenant exists whatever Stripe answers; a failed Checkout can be retried with
            // POST /api/v1/billing/checkout.
            match crate::billing::checkout_url(&state, tenant.id, &body.plan).await {
                Ok(url) => Some(url),
                Err(e) => {
                    tracing::error!(tenant.id = %tenant.id, error = %format!("{e:#}"), "checkout at signup failed");
                    None
                }
            }
        } else {
            None
        };
        Ok(SignupCreated::Created(Json(SignupResponse {
            tenant: TenantSummary::from(&tenant),
            checkout_url,
        })))
    }

    /// Whether a slug can be signed up for. Public.
    #[oai(path = "/public/slugs/:slug", method = "get")]
    async fn slug_available(
        &self,
        state: Data<&Arc<AppState>>,
        slug: Path<String>,
    ) -> Result<Json<SlugAvailability>> {
        let reason = if tenancy::RESERVED_LABELS.contains(&slug.as_str()) {
            Some("reserved")
        } else if !is_valid_slug(&slug) {
            Some("invalid")
        } else if state.registry.by_slug(&slug).await?.is_some() {
            Some("taken")
        } else {
            None
        };
        Ok(Json(SlugAvailability {
            available: reason.is_none(),
            reason: reason.map(str::to_owned),
        }))
    }
}
