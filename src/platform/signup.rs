//! `POST /api/v1/signup` and `GET /api/v1/public/slugs/{slug}` (API.md §3).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::api::ApiTags;
use crate::auth::password::check_policy;
use crate::error::{AppError, FieldError, Result};
use crate::http::JsonBody;
use crate::platform::plans;
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
    /// At least 10 characters.
    #[oai(validator(max_length = 256))]
    pub admin_password: String,
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
    let mut errors = Vec::new();
    if !is_valid_slug(&body.slug) {
        let reserved = tenancy::RESERVED_LABELS.contains(&body.slug.as_str());
        errors.push(FieldError::new(
            "slug",
            if reserved {
                "is reserved"
            } else {
                "must match ^[a-z][a-z0-9-]{2,39}$"
            },
        ));
    }
    let email = body.admin_email.trim();
    if !email.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !email.contains(char::is_whitespace)
    }) {
        errors.push(FieldError::new("admin_email", "must be an e-mail address"));
    }
    if let Err(m) = check_policy(&body.admin_password) {
        errors.push(FieldError::new("admin_password", m));
    }
    if body.organization_name.trim().is_empty() {
        errors.push(FieldError::new("organization_name", "must not be blank"));
    }
    if body.admin_name.trim().is_empty() {
        errors.push(FieldError::new("admin_name", "must not be blank"));
    }
    if !plans::is_known(&body.plan) {
        errors.push(FieldError::new(
            "plan",
            format!("must be one of: {}", plans::PLANS.join(", ")),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Signup")]
impl SignupApi {
    /// Sign up an organisation: creates the tenant, its schema, the roles of its kind and its
    /// admin user, atomically. Public; no tenant, no authentication. Duplicate slug → `409`.
    #[oai(path = "/signup", method = "post")]
    async fn signup(
        &self,
        state: Data<&Arc<AppState>>,
        body: JsonBody<SignupRequest>,
    ) -> Result<SignupCreated> {
        validate_signup(&body)?;
        let hash = state.passwords.hash(&body.admin_password).await?;
        let new = NewTenant {
            slug: body.slug.clone(),
            name: body.organization_name.trim().to_owned(),
            kind: body.kind,
            plan: body.plan.clone(),
            admin_email: body.admin_email.trim().to_owned(),
            admin_name: body.admin_name.trim().to_owned(),
            admin_password_hash: Some(hash),
            trial_ends_at: None,
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
        Ok(SignupCreated::Created(Json(SignupResponse {
            tenant: TenantSummary::from(&tenant),
            checkout_url: None,
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
