//! `POST /tenants`: an operator provisions a tenant.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::Json;

use super::{PlatformTenantCreate, TenantCreated, load};
use crate::error::{AppError, FieldError, Result};
use crate::http::JsonBody;
use crate::platform::onboarding;
use crate::platform::operators::{self, Change, PlatformAuth};
use crate::state::AppState;
use crate::tenancy::{self, NewTenant, ProvisionError};

pub(super) async fn create(
    state: Data<&Arc<AppState>>,
    auth: PlatformAuth,
    body: JsonBody<PlatformTenantCreate>,
) -> Result<TenantCreated> {
    let op = &auth.0;
    op.require_owner()?;
    let mut errors = onboarding::validate(
        &body.slug,
        &body.admin_email,
        &body.organization_name,
        &body.admin_name,
        &body.plan,
    );
    if let Some(Err(m)) = body
        .admin_password
        .as_deref()
        .map(crate::auth::password::check_policy)
    {
        errors.push(FieldError::new("admin_password", m));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = match &body.admin_password {
        Some(p) => Some(state.passwords.hash(p).await?),
        None => None,
    };
    let new = NewTenant {
        slug: body.slug.clone(),
        name: body.organization_name.trim().to_owned(),
        kind: body.kind,
        plan: body.plan.clone(),
        admin_email: body.admin_email.trim().to_owned(),
        admin_name: body.admin_name.trim().to_owned(),
        admin_password_hash: hash,
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
    onboarding::welcome(&state, &tenant, &new, body.admin_password.is_none()).await?;
    crate::billing::queue_customer(&state, tenant.id).await?;
    let view = load(&state, tenant.id).await?;
    operators::record(
        state.db.platform(),
        op.actor(),
        Change {
            action: "tenant.created",
            tenant_id: Some(tenant.id),
            resource_type: "tenant",
            resource_id: Some(tenant.id.to_string()),
            before: None,
            after: crate::audit::snapshot(&view),
        },
    )
    .await?;
    Ok(TenantCreated::Created(Json(view)))
}
