//! Stripe billing per tenant. Each tenant is a Stripe customer (created by a retried job with a
//! stable idempotency key); a paid plan is bought through Stripe Checkout with a trial; the
//! Customer Portal manages it; Stripe's webhooks (`webhook.rs`, signatures verified) drive the
//! tenant's status and plan. Without `billing.stripe_secret_key` billing is off: tenants start
//! active on their plan and billing routes answer `404 billing-disabled`.
//!
//! The async-stripe request builders make the calls (form encoding, idempotency keys, retries);
//! the responses are read into the few fields used here.
//!
//! The account is here; the customer in `customer`, Checkout and the Portal in `sessions`, the
//! suspension sweep in `sweep`, the gate that hides billing while it is off in `gate`.

pub mod api;
mod customer;
mod gate;
mod sessions;
mod sweep;
pub mod webhook;

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};

use crate::config::BillingSettings;

pub use customer::{
    CUSTOMER_JOB, CUSTOMER_JOB_KIND, customer_key, ensure_customer, queue_customer,
};
pub use gate::{BillingGate, BillingGateEndpoint, is_billing_path};
pub use sessions::{checkout_url, portal_url};
pub use sweep::{spawn_sweeper, sweep};

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
