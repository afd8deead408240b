//! `/api/v1/billing/*`: the tenant's own subscription, Checkout and the Customer Portal.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::auth::Auth;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::plans;
use crate::kernel::tags::CoreTags;
use crate::state::AppState;
use crate::tenancy::TenantStatus;

/// `404 billing-disabled`: billing is not configured on this installation.
pub fn disabled() -> AppError {
    AppError::status(
        StatusCode::NOT_FOUND,
        "billing-disabled",
        "billing is not enabled on this installation",
    )
}

/// The tenant's subscription as Flightline knows it (kept current by Stripe's webhooks).
#[derive(Object)]
pub struct Subscription {
    pub plan: String,
    /// The tenant's status: `active`, `past_due` (a payment failed; see `grace_until`) or
    /// `suspended`.
    pub status: TenantStatus,
    /// Stripe's subscription status (`trialing`, `active`, `past_due`, `canceled`, ...) or `none`.
    pub subscription_status: String,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// When a past-due tenant will be suspended unless a payment succeeds.
    pub grace_until: Option<DateTime<Utc>>,
    /// Whether the tenant is a Stripe customer yet (the portal needs one).
    pub has_customer: bool,
}

/// A tenant's `platform.billing` row as `GET /subscription` reads it.
#[derive(sqlx::FromRow)]
struct BillingRow {
    subscription_status: String,
    current_period_end: Option<DateTime<Utc>>,
    grace_until: Option<DateTime<Utc>>,
    has_customer: bool,
}

#[derive(Object)]
pub struct CheckoutRequest {
    /// A paid plan: `starter`, `professional` or `enterprise`.
    pub plan: String,
}

#[derive(Object)]
pub struct CheckoutResponse {
    /// Send the user here to subscribe; Stripe's webhook activates the plan afterwards.
    pub checkout_url: String,
}

#[derive(Object)]
pub struct PortalResponse {
    /// Stripe's Customer Portal: payment methods, invoices, plan changes, cancellation.
    pub portal_url: String,
}

fn stripe_failed(e: anyhow::Error) -> AppError {
    tracing::error!(error = %format!("{e:#}"), "a Stripe call failed");
    AppError::status(
        StatusCode::BAD_GATEWAY,
        "billing-unavailable",
        "the payment provider could not be reached; try again shortly",
    )
}

pub struct BillingApi;

#[OpenApi(prefix_path = "/api/v1/billing", tag = "CoreTags::Billing")]
impl BillingApi {
    /// The organisation's plan and subscription. Permission: `billing.manage`. Billing off:
    /// `404 billing-disabled`.
    #[oai(path = "/subscription", method = "get")]
    async fn subscription(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
    ) -> Result<Json<Subscription>> {
        let p = &auth.0;
        p.require(crate::kernel::manifest::BILLING_MANAGE)?;
        let row = sqlx::query_as::<_, BillingRow>(
            "select subscription_status, current_period_end, grace_until, customer_id is not null as has_customer
             from platform.billing where tenant_id = $1",
        )
        .bind(p.tenant.id)
        .fetch_optional(state.db.platform())
        .await?;
        Ok(Json(Subscription {
            plan: p.tenant.plan.clone(),
            status: p.tenant.status,
            subscription_status: row
                .as_ref()
                .map(|r| r.subscription_status.clone())
                .unwrap_or_else(|| "none".into()),
            trial_ends_at: p.tenant.trial_ends_at,
            current_period_end: row.as_ref().and_then(|r| r.current_period_end),
            grace_until: row.as_ref().and_then(|r| r.grace_until),
            has_customer: row.as_ref().is_some_and(|r| r.has_customer),
        }))
    }

    /// Start Stripe Checkout for a paid plan (with a trial if the organisation never had a
    /// subscription). Permission: `billing.manage`. Billing off: `404 billing-disabled`.
    #[oai(path = "/checkout", method = "post")]
    async fn checkout(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: JsonBody<CheckoutRequest>,
    ) -> Result<Json<CheckoutResponse>> {
        let p = &auth.0;
        p.require(crate::kernel::manifest::BILLING_MANAGE)?;
        if !plans::get(&body.plan).is_some_and(|plan| plan.paid) {
            return Err(AppError::validation(
                "plan",
                "must be a paid plan: starter, professional or enterprise",
            ));
        }
        let url = super::checkout_url(&state, p.tenant.id, &body.plan)
            .await
            .map_err(stripe_failed)?;
        Ok(Json(CheckoutResponse { checkout_url: url }))
    }

    /// Open Stripe's Customer Portal. Permission: `billing.manage`. Billing off:
    /// `404 billing-disabled`.
    #[oai(path = "/portal", method = "post")]
    async fn portal(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
    ) -> Result<Json<PortalResponse>> {
        let p = &auth.0;
        p.require(crate::kernel::manifest::BILLING_MANAGE)?;
        let url = super::portal_url(&state, p.tenant.id)
            .await
            .map_err(stripe_failed)?;
        Ok(Json(PortalResponse { portal_url: url }))
    }
}
