//! Stripe-hosted pages for a tenant: a Checkout session to buy a plan, a Customer Portal
//! session to manage it.

use std::collections::HashMap;

use stripe::RequestStrategy;
use uuid::Uuid;

use super::{customer_key, ensure_customer};
use crate::state::AppState;

/// A Checkout session for `plan` (a subscription with a trial unless the tenant had one);
/// returns its URL.
pub async fn checkout_url(state: &AppState, tenant_id: Uuid, plan: &str) -> anyhow::Result<String> {
    use stripe_checkout::checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionSubscriptionData,
    };
    let billing = state
        .billing
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("billing is not configured"))?;
    let price = billing
        .price_for(plan)
        .ok_or_else(|| anyhow::anyhow!("no Stripe price for plan {plan}"))?
        .to_owned();
    let customer = ensure_customer(state, tenant_id, &customer_key(tenant_id)).await?;
    let had_subscription: bool = sqlx::query_scalar(
        "select coalesce((select subscription_id is not null from platform.billing where tenant_id = $1), false)",
    )
    .bind(tenant_id)
    .fetch_one(state.db.platform())
    .await?;
    let mut metadata = HashMap::new();
    metadata.insert("tenant_id".to_owned(), tenant_id.to_string());
    metadata.insert("plan".to_owned(), plan.to_owned());
    let mut line = CreateCheckoutSessionLineItems::new();
    line.price = Some(price);
    line.quantity = Some(1);
    let mut subscription = CreateCheckoutSessionSubscriptionData::new();
    subscription.metadata = Some(metadata.clone());
    if !had_subscription {
        subscription.trial_period_days = Some(crate::kernel::plans::TRIAL_DAYS as u32);
    }
    let base = &state.settings.server.public_url;
    let request = CreateCheckoutSession::new()
        .mode(stripe_checkout::CheckoutSessionMode::Subscription)
        .customer(customer)
        .client_reference_id(tenant_id.to_string())
        .line_items(vec![line])
        .subscription_data(subscription)
        .metadata(metadata)
        .success_url(format!(
            "{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}"
        ))
        .cancel_url(format!("{base}/billing/cancelled"));
    let session = billing
        .send(request, RequestStrategy::ExponentialBackoff(3))
        .await?;
    session
        .url
        .ok_or_else(|| anyhow::anyhow!("Stripe returned a checkout session without a URL"))
}

/// A Customer Portal session URL for the tenant.
pub async fn portal_url(state: &AppState, tenant_id: Uuid) -> anyhow::Result<String> {
    let billing = state
        .billing
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("billing is not configured"))?;
    let customer = ensure_customer(state, tenant_id, &customer_key(tenant_id)).await?;
    let request = stripe_billing::billing_portal_session::CreateBillingPortalSession::new()
        .customer(customer)
        .return_url(format!(
            "{}/settings/billing",
            state.settings.server.public_url
        ));
    let session = billing
        .send(request, RequestStrategy::ExponentialBackoff(3))
        .await?;
    session
        .url
        .ok_or_else(|| anyhow::anyhow!("Stripe returned a portal session without a URL"))
}
