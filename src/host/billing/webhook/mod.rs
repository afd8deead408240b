//! `POST /webhooks/stripe`: Stripe's events, verified and applied once each.
//!
//! Verification (Stripe's scheme): the `Stripe-Signature` header carries `t=<unix time>` and one
//! or more `v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several during a secret roll); the event
//! is accepted when any `v1` matches under the webhook secret (compared in constant time) and
//! `t` is within five minutes of now. Anything else is `400 signature-invalid` and changes
//! nothing.
//!
//! Application: the event id is recorded first (`platform.stripe_events`), so a redelivered
//! event is acknowledged and ignored; the tenant's billing row is locked and an event older than
//! the newest one applied changes nothing (Stripe does not promise order); the transition, the
//! event record and the platform audit row commit together.
mod apply;
mod signature;

use std::sync::Arc;

use chrono::Utc;
use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::OpenApi;
use poem_openapi::payload::{Binary, Json};
use serde_json::Value;

use crate::error::{AppError, Result};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;

use apply::str_at;
pub use apply::{Outcome, Received, Signal, apply, transition};
pub use signature::{SignatureError, TOLERANCE_SECONDS, sign, verify};

/// The largest event body accepted.
const MAX_BODY: usize = 512 * 1024;

pub struct WebhooksApi;

#[OpenApi(prefix_path = "/webhooks", tag = "CoreTags::Billing")]
impl WebhooksApi {
    /// Stripe's webhook endpoint. The raw body must carry a valid `Stripe-Signature` (HMAC
    /// SHA-256 under the webhook secret, any of several `v1` signatures, timestamp within five
    /// minutes); otherwise `400 signature-invalid` and nothing changes. Each event id is applied
    /// once (a redelivery answers 200 and does nothing); an event older than the newest applied
    /// for the tenant changes nothing. Handles `checkout.session.completed`, `invoice.paid`,
    /// `invoice.payment_failed` (past due, then suspended after `billing.grace_days`),
    /// `customer.subscription.created|updated` (plan and status) and
    /// `customer.subscription.deleted` (suspended). Billing off: `404 billing-disabled`.
    #[oai(path = "/stripe", method = "post")]
    async fn stripe(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Binary<Body>,
    ) -> Result<Json<Received>> {
        let billing = state.billing.as_ref().ok_or_else(super::api::disabled)?;
        let invalid = |detail: &str| AppError::bad_request("signature-invalid", detail.to_owned());
        let header = req
            .headers()
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| invalid("the Stripe-Signature header is missing"))?
            .to_owned();
        let payload = body.0.into_bytes_limit(MAX_BODY).await.map_err(|_| {
            AppError::status(
                poem::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "the event is too large",
            )
        })?;
        verify(
            billing.webhook_secret(),
            &header,
            &payload,
            Utc::now().timestamp(),
        )
        .map_err(|e| match e {
            SignatureError::Malformed => invalid("the Stripe-Signature header is malformed"),
            SignatureError::Stale => invalid("the signature's timestamp is too old"),
            SignatureError::Mismatch => invalid("no signature matches"),
        })?;
        let event: Value = serde_json::from_slice(&payload)
            .map_err(|_| AppError::bad_request("malformed-json", "the event is not JSON"))?;
        let outcome = apply(&state, &event).await?;
        tracing::info!(
            stripe.event = str_at(&event, &["id"]).unwrap_or_default(),
            stripe.type_ = str_at(&event, &["type"]).unwrap_or_default(),
            outcome = outcome.as_str(),
            "stripe webhook"
        );
        Ok(Json(Received { received: true }))
    }
}
