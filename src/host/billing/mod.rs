//! Stripe billing per tenant. Each tenant is a Stripe customer (created by a retried job with a
//! stable idempotency key); a paid plan is bought through Stripe Checkout with a trial; the
//! Customer Portal manages it; Stripe's webhooks (`webhook.rs`, signatures verified) drive the
//! tenant's status and plan. Without `billing.stripe_secret_key` billing is off: tenants start
//! active on their plan and billing routes answer `404 billing-disabled`.
//!
//! The async-stripe request builders make the calls (form encoding, idempotency keys, retries);
//! the responses are read into the few fields used here.

pub mod api;
pub mod webhook;

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use uuid::Uuid;

use crate::audit::platform::{self as operators, Actor, Change};
use crate::config::BillingSettings;
use crate::state::AppState;

/// The job kind that creates a tenant's Stripe customer.
pub const CUSTOMER_JOB: &str = "stripe_customer";

/// The queued Stripe-customer job (`crate::jobs::queue`).
pub const CUSTOMER_JOB_KIND: crate::jobs::queue::JobKind = crate::jobs::queue::JobKind {
    kind: CUSTOMER_JOB,
    run: run_customer_job,
};

fn run_customer_job<'a>(
    state: &'a AppState,
    tenant: Uuid,
    key: &'a str,
) -> futures_util::future::BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move { ensure_customer(state, tenant, key).await.map(|_| ()) })
}

/// The configured Stripe account.
pub struct Billing {
    client: Client,
    webhook_secret: SecretString,
    /// plan -> Stripe price id.
    prices: HashMap<String, String>,
    pub grace_days: u32,
}

/// The fields of Stripe objects Flightline reads.
#[derive(miniserde::Deserialize)]
struct Created {
    id: String,
    url: Option<String>,
}

impl Billing {
    /// `None` when billing is not configured.
    pub fn from_settings(s: &BillingSettings) -> anyhow::Result<Option<Self>> {
        let Some(key) = &s.stripe_secret_key else {
            return Ok(None);
        };
        let mut builder = ClientBuilder::new(key.expose_secret())
            .app_info("flightline", Some(env!("CARGO_PKG_VERSION").into()), None)
            .timeout(std::time::Duration::from_secs(20));
        if let Some(base) = &s.stripe_api_base {
            builder = builder.url(base.trim_end_matches('/').to_owned() + "/");
        }
        Ok(Some(Self {
            client: builder
                .build()
                .map_err(|e| anyhow::anyhow!("stripe client: {e}"))?,
            webhook_secret: s
                .stripe_webhook_secret
                .clone()
                .ok_or_else(|| anyhow::anyhow!("billing.stripe_webhook_secret is required"))?,
            prices: s.prices.clone(),
            grace_days: s.grace_days,
        }))
    }

    pub fn price_for(&self, plan: &str) -> Option<&str> {
        self.prices.get(plan).map(String::as_str)
    }

    /// The plan a Stripe price belongs to.
    pub fn plan_for_price(&self, price: &str) -> Option<&str> {
        self.prices
            .iter()
            .find(|(_, p)| p.as_str() == price)
            .map(|(plan, _)| plan.as_str())
    }

    pub fn webhook_secret(&self) -> &str {
        self.webhook_secret.expose_secret()
    }

    async fn send(
        &self,
        request: impl StripeRequest,
        strategy: RequestStrategy,
    ) -> anyhow::Result<Created> {
        request
            .build()
            .customize::<Created>()
            .request_strategy(strategy)
            .send(&self.client)
            .await
            .map_err(|e| anyhow::anyhow!("stripe: {e}"))
    }
}

fn idempotent(key: &str) -> anyhow::Result<RequestStrategy> {
    Ok(RequestStrategy::Idempotent(
        IdempotencyKey::new(key).map_err(|e| anyhow::anyhow!("idempotency key: {e:?}"))?,
    ))
}

/// The tenant's Stripe customer id, creating the customer if it has none. `idempotency_key` is
/// stable per tenant (`customer:<tenant id>`), so the job and a signup racing it, or a retry after
/// a timeout, make one customer.
pub async fn ensure_customer(
    state: &AppState,
    tenant_id: Uuid,
    idempotency_key: &str,
) -> anyhow::Result<String> {
    let billing = state
        .billing
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("billing is not configured"))?;
    if let Some(id) = sqlx::query_scalar::<_, Option<String>>(
        "select customer_id from platform.billing where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(state.db.platform())
    .await?
    .flatten()
    {
        return Ok(id);
    }
    let (slug, name, admin_email) = sqlx::query_as::<_, (String, String, Option<String>)>(
        "select slug, name, admin_email from platform.tenants where id = $1",
    )
    .bind(tenant_id)
    .fetch_one(state.db.platform())
    .await?;
    let mut metadata = HashMap::new();
    metadata.insert("tenant_id".to_owned(), tenant_id.to_string());
    metadata.insert("slug".to_owned(), slug);
    let mut request = stripe_core::customer::CreateCustomer::new()
        .name(name)
        .metadata(metadata);
    if let Some(email) = admin_email {
        request = request.email(email);
    }
    let customer = billing.send(request, idempotent(idempotency_key)?).await?;
    // The job and a request may both get here for one tenant (Stripe answered both with the
    // same customer, thanks to the idempotency key): any unique conflict means it is recorded.
    let mut tx = state.db.platform().begin().await?;
    sqlx::query(
        "insert into platform.billing (tenant_id, customer_id) values ($1, $2) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(&customer.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update platform.billing set customer_id = $2 where tenant_id = $1 and customer_id is null",
    )
    .bind(tenant_id)
    .bind(&customer.id)
    .execute(&mut *tx)
    .await?;
    operators::record(
        &mut *tx,
        Actor::system(),
        Change {
            action: "billing.customer_created",
            tenant_id: Some(tenant_id),
            resource_type: "stripe_customer",
            resource_id: Some(customer.id.clone()),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(customer.id)
}

/// The idempotency key of a tenant's customer creation.
pub fn customer_key(tenant_id: Uuid) -> String {
    format!("customer:{tenant_id}")
}

/// Queues the creation of the tenant's Stripe customer (billing on only).
pub async fn queue_customer(state: &AppState, tenant_id: Uuid) -> Result<(), sqlx::Error> {
    if state.billing.is_none() {
        return Ok(());
    }
    crate::jobs::enqueue(
        state.db.platform(),
        Some(tenant_id),
        CUSTOMER_JOB,
        &customer_key(tenant_id),
    )
    .await?;
    state.jobs.nudge();
    Ok(())
}

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

/// Suspends tenants whose grace period after a failed payment ran out, and tenants on a paid
/// plan whose trial ended without a subscription. Returns how many were suspended.
pub async fn sweep(state: &AppState) -> anyhow::Result<u64> {
    if state.billing.is_none() {
        return Ok(0);
    }
    let mut tx = state.db.platform().begin().await?;
    let rows = sqlx::query_as::<_, (Uuid, String)>(
        "update platform.tenants t set status = 'suspended', status_reason = x.reason
         from (
             select t.id, 'billing' as reason from platform.tenants t
             join platform.billing b on b.tenant_id = t.id
             where t.status = 'past_due' and b.grace_until < now()
             union all
             select t.id, 'trial_ended' from platform.tenants t
             left join platform.billing b on b.tenant_id = t.id
             where t.status = 'active' and t.plan = any($1) and t.trial_ends_at < now()
               and coalesce(b.subscription_status, 'none') in ('none', 'incomplete', 'incomplete_expired', 'canceled')
         ) x
         where t.id = x.id
         returning t.id, x.reason",
    )
    .bind(
        crate::kernel::plans::CATALOGUE
            .iter()
            .filter(|p| p.paid)
            .map(|p| p.key)
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, reason) in &rows {
        let id = *id;
        operators::record(
            &mut *tx,
            Actor::system(),
            Change {
                action: "tenant.suspended",
                tenant_id: Some(id),
                resource_type: "tenant",
                resource_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({"status": "suspended", "reason": reason})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    for (id, _) in &rows {
        state.registry.invalidate(*id);
    }
    Ok(rows.len() as u64)
}

/// While billing is off, every billing route (`/api/v1/billing/**`, `/webhooks/stripe`)
/// answers `404 billing-disabled` before anything else looks at the request.
#[derive(Clone, Copy)]
pub struct BillingGate {
    enabled: bool,
}

impl BillingGate {
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }
}

/// Whether `path` is a billing route.
pub fn is_billing_path(path: &str) -> bool {
    ["/api/v1/billing", "/webhooks/stripe"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl<E: poem::Endpoint> poem::Middleware<E> for BillingGate {
    type Output = BillingGateEndpoint<E>;
    fn transform(&self, inner: E) -> Self::Output {
        BillingGateEndpoint { inner, gate: *self }
    }
}

pub struct BillingGateEndpoint<E> {
    inner: E,
    gate: BillingGate,
}

impl<E: poem::Endpoint> poem::Endpoint for BillingGateEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: poem::Request) -> poem::Result<Self::Output> {
        // Without credentials a tenant billing route answers the operation's own `401`; the
        // webhook (no credentials of ours) answers `billing-disabled` as before.
        let path = req.uri().path();
        let unauthenticated_api = path.starts_with("/api/")
            && !req
                .headers()
                .contains_key(poem::http::header::AUTHORIZATION);
        if !self.gate.enabled && is_billing_path(path) && !unauthenticated_api {
            return Err(api::disabled().into());
        }
        self.inner.call(req).await
    }
}

/// Runs [`sweep`] every minute.
pub fn spawn_sweeper(state: std::sync::Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %format!("{e:#}"), "billing sweep failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_paths() {
        assert!(is_billing_path("/api/v1/billing/checkout"));
        assert!(is_billing_path("/webhooks/stripe"));
        assert!(!is_billing_path("/api/v1/billingx"));
        assert!(!is_billing_path("/api/v1/tools/notes"));
    }
}
