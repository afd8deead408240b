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

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{Object, OpenApi};
use serde_json::Value;
use sha2::Sha256;
use uuid::Uuid;

use crate::audit::platform::{self as operators, Actor, Change};
use crate::error::{AppError, Result};
use crate::kernel::plans;
use crate::kernel::tags::CoreTags;
use crate::state::AppState;

/// How far a signature's timestamp may be from now.
pub const TOLERANCE_SECONDS: i64 = 300;
/// The largest event body accepted.
const MAX_BODY: usize = 512 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No `t=` or no `v1=` in the header.
    Malformed,
    /// `t` is more than five minutes from now.
    Stale,
    /// No `v1` matches.
    Mismatch,
}

/// Verifies `header` for `payload` under `secret` at `now` (unix seconds). Returns `t`.
pub fn verify(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<i64, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                if let Ok(bytes) = hex::decode(v) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    // verify_slice compares in constant time.
    if signatures
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok())
    {
        Ok(t)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A `Stripe-Signature` header for `payload` at `t` (what Stripe sends; used by tests and tools).
pub fn sign(secret: &str, payload: &[u8], t: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What an event says about the tenant's payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Checkout completed, an invoice paid, the subscription active or trialing.
    Paid,
    /// A payment failed: past due, with a grace period.
    PaymentFailed,
    /// The subscription ended (deleted, canceled, unpaid): suspended.
    Ended,
}

/// The tenant status a signal leads to from `status` (suspended for `reason`), or `None` when
/// it stays. A suspension by an operator is never lifted by payments; an archived tenant is
/// left alone.
pub fn transition(
    status: &str,
    reason: Option<&str>,
    signal: Signal,
) -> Option<(&'static str, Option<&'static str>)> {
    match (signal, status) {
        (Signal::Paid, "past_due") => Some(("active", None)),
        (Signal::Paid, "suspended") if matches!(reason, Some("billing" | "trial_ended")) => {
            Some(("active", None))
        }
        (Signal::PaymentFailed, "active") => Some(("past_due", None)),
        (Signal::Ended, "active" | "past_due") => Some(("suspended", Some("billing"))),
        _ => None,
    }
}

/// Acknowledgement of a webhook.
#[derive(Object)]
pub struct Received {
    pub received: bool,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

/// How the event was handled (`platform.stripe_events.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Ignored,
    Stale,
    UnknownTenant,
    Duplicate,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Ignored => "ignored",
            Self::Stale => "stale",
            Self::UnknownTenant => "unknown_tenant",
            Self::Duplicate => "duplicate",
        }
    }
}

/// A tenant's billing row and status, locked while an event is applied.
#[derive(sqlx::FromRow)]
struct Locked {
    last_event_at: Option<DateTime<Utc>>,
    subscription_id: Option<String>,
    status: String,
    status_reason: Option<String>,
    plan: String,
}

/// Applies one verified event. Public for tests of the state machine.
pub async fn apply(state: &AppState, event: &Value) -> anyhow::Result<Outcome> {
    let billing = state
        .billing
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("billing is not configured"))?;
    let id = str_at(event, &["id"]).ok_or_else(|| anyhow::anyhow!("event without id"))?;
    let kind = str_at(event, &["type"]).unwrap_or_default().to_owned();
    let created = event
        .get("created")
        .and_then(Value::as_i64)
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .unwrap_or_else(Utc::now);
    let object = event
        .get("data")
        .and_then(|d| d.get("object"))
        .cloned()
        .unwrap_or(Value::Null);

    let mut tx = state.db.platform().begin().await?;
    let fresh = sqlx::query(
        "insert into platform.stripe_events (id, type, outcome, created_at) values ($1, $2, 'pending', $3)
         on conflict (id) do nothing",
    )
    .bind(id)
    .bind(&kind)
    .bind(created)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if fresh == 0 {
        return Ok(Outcome::Duplicate);
    }

    // The tenant: our metadata, the Checkout reference, else the customer or subscription.
    let from_metadata = str_at(&object, &["metadata", "tenant_id"])
        .or_else(|| str_at(&object, &["client_reference_id"]))
        .or_else(|| str_at(&object, &["subscription_details", "metadata", "tenant_id"]))
        .and_then(|s| Uuid::parse_str(s).ok());
    let customer = str_at(&object, &["customer"]).map(str::to_owned);
    let subscription = match kind.as_str() {
        k if k.starts_with("customer.subscription.") => str_at(&object, &["id"]),
        _ => str_at(&object, &["subscription"]),
    }
    .map(str::to_owned);
    let tenant: Option<Uuid> = match from_metadata {
        Some(t) => sqlx::query_scalar("select id from platform.tenants where id = $1")
            .bind(t)
            .fetch_optional(&mut *tx)
            .await?,
        None => sqlx::query_scalar(
            "select tenant_id from platform.billing where customer_id = $1 or subscription_id = $2 limit 1",
        )
        .bind(&customer)
        .bind(&subscription)
        .fetch_optional(&mut *tx)
        .await?,
    };
    let Some(tenant) = tenant else {
        finish(&mut tx, id, None, Outcome::UnknownTenant).await?;
        tx.commit().await?;
        return Ok(Outcome::UnknownTenant);
    };

    sqlx::query("insert into platform.billing (tenant_id) values ($1) on conflict do nothing")
        .bind(tenant)
        .execute(&mut *tx)
        .await?;
    let b = sqlx::query_as::<_, Locked>(
        "select b.last_event_at, b.grace_until, b.subscription_id, t.status, t.status_reason, t.plan
         from platform.billing b join platform.tenants t on t.id = b.tenant_id
         where b.tenant_id = $1 for update of b, t",
    )
    .bind(tenant)
    .fetch_one(&mut *tx)
    .await?;
    let last: Option<DateTime<Utc>> = b.last_event_at;
    if last.is_some_and(|l| created < l) {
        finish(&mut tx, id, Some(tenant), Outcome::Stale).await?;
        tx.commit().await?;
        return Ok(Outcome::Stale);
    }
    let status: String = b.status;
    let reason: Option<String> = b.status_reason;
    let plan: String = b.plan;
    // Only the tenant's current subscription drives it: an event about another one (an old
    // subscription being cancelled after an upgrade, a stray second Checkout) changes nothing.
    // A completed Checkout is how a subscription becomes current, so it may name a new one.
    let current: Option<String> = b.subscription_id;
    if kind != "checkout.session.completed"
        && subscription.is_some()
        && current.is_some()
        && subscription != current
    {
        finish(&mut tx, id, Some(tenant), Outcome::Ignored).await?;
        tx.commit().await?;
        return Ok(Outcome::Ignored);
    }

    // What the event says: a payment signal, and maybe a plan and subscription state.
    let mut new_plan: Option<String> = None;
    let mut sub_status: Option<String> = None;
    let mut period_end: Option<DateTime<Utc>> = None;
    let signal = match kind.as_str() {
        "checkout.session.completed" => {
            new_plan = str_at(&object, &["metadata", "plan"]).map(str::to_owned);
            sub_status = Some("active".into());
            Some(Signal::Paid)
        }
        "invoice.paid" | "invoice.payment_succeeded" => {
            sub_status = Some("active".into());
            Some(Signal::Paid)
        }
        "invoice.payment_failed" => {
            sub_status = Some("past_due".into());
            Some(Signal::PaymentFailed)
        }
        "customer.subscription.created" | "customer.subscription.updated" => {
            let s = str_at(&object, &["status"]).unwrap_or_default().to_owned();
            let item = object
                .get("items")
                .and_then(|i| i.get("data"))
                .and_then(|d| d.get(0));
            new_plan = item
                .and_then(|i| str_at(i, &["price", "id"]))
                .and_then(|p| billing.plan_for_price(p))
                .map(str::to_owned);
            period_end = object
                .get("current_period_end")
                .or_else(|| item.and_then(|i| i.get("current_period_end")))
                .and_then(Value::as_i64)
                .and_then(|t| DateTime::from_timestamp(t, 0));
            // The plan follows the subscription's price only while it is paid for (or in its
            // trial): an `incomplete` upgrade whose payment has not gone through changes nothing.
            if !matches!(s.as_str(), "active" | "trialing") {
                new_plan = None;
            }
            let signal = match s.as_str() {
                "active" | "trialing" => Some(Signal::Paid),
                "past_due" => Some(Signal::PaymentFailed),
                "canceled" | "unpaid" | "incomplete_expired" => Some(Signal::Ended),
                _ => None,
            };
            sub_status = Some(s);
            signal
        }
        "customer.subscription.deleted" => {
            sub_status = Some("canceled".into());
            Some(Signal::Ended)
        }
        _ => None,
    };
    if signal.is_none() && new_plan.is_none() {
        sqlx::query("update platform.billing set last_event_at = $2 where tenant_id = $1")
            .bind(tenant)
            .bind(created)
            .execute(&mut *tx)
            .await?;
        finish(&mut tx, id, Some(tenant), Outcome::Ignored).await?;
        tx.commit().await?;
        return Ok(Outcome::Ignored);
    }
    let new_plan = new_plan.filter(|p| plans::get(p).is_some_and(|p| p.paid) && *p != plan);
    let grace = match signal {
        Some(Signal::PaymentFailed) => {
            Some(Utc::now() + Duration::days(i64::from(billing.grace_days)))
        }
        _ => None,
    };
    sqlx::query(
        "update platform.billing set
             customer_id = coalesce(customer_id, $2),
             subscription_id = coalesce($3, subscription_id),
             subscription_status = coalesce($4, subscription_status),
             price_id = coalesce($5, price_id),
             current_period_end = coalesce($6, current_period_end),
             grace_until = case when $7 then coalesce(grace_until, $8) when $9 then null else grace_until end,
             last_event_at = $10
         where tenant_id = $1",
    )
    .bind(tenant)
    .bind(&customer)
    .bind(&subscription)
    .bind(&sub_status)
    .bind(new_plan.as_deref().and_then(|p| billing.price_for(p)))
    .bind(period_end)
    .bind(signal == Some(Signal::PaymentFailed))
    .bind(grace)
    .bind(signal == Some(Signal::Paid))
    .bind(created)
    .execute(&mut *tx)
    .await?;
    let next = signal.and_then(|s| transition(&status, reason.as_deref(), s));
    if next.is_some() || new_plan.is_some() {
        let (next_status, next_reason) = match next {
            Some((s, r)) => (s.to_owned(), r.map(str::to_owned)),
            None => (status.clone(), reason.clone()),
        };
        sqlx::query(
            "update platform.tenants set status = $2, status_reason = $3, plan = $4 where id = $1",
        )
        .bind(tenant)
        .bind(&next_status)
        .bind(&next_reason)
        .bind(new_plan.as_deref().unwrap_or(&plan))
        .execute(&mut *tx)
        .await?;
        operators::record(
            &mut *tx,
            Actor::stripe(),
            Change {
                action: "billing.event_applied",
                tenant_id: Some(tenant),
                resource_type: "stripe_event",
                resource_id: Some(id.to_owned()),
                before: Some(serde_json::json!({"status": status, "plan": plan})),
                after: Some(serde_json::json!({
                    "status": next_status,
                    "plan": new_plan.as_deref().unwrap_or(&plan),
                    "event": kind,
                })),
            },
        )
        .await?;
    }
    finish(&mut tx, id, Some(tenant), Outcome::Applied).await?;
    tx.commit().await?;
    state.registry.invalidate(tenant);
    Ok(Outcome::Applied)
}

async fn finish(
    tx: &mut sqlx::PgConnection,
    id: &str,
    tenant: Option<Uuid>,
    outcome: Outcome,
) -> Result<(), sqlx::Error> {
    sqlx::query("update platform.stripe_events set outcome = $2, tenant_id = $3 where id = $1")
        .bind(id)
        .bind(outcome.as_str())
        .bind(tenant)
        .execute(tx)
        .await
        .map(|_| ())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn signatures_verify_like_stripe() {
        let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
        let now = 1_700_000_000;
        let header = sign(SECRET, body, now);
        assert_eq!(verify(SECRET, &header, body, now + 10), Ok(now));
        // Several v1 signatures (a secret roll): any match counts; v0 and unknown parts ignored.
        let other = sign("whsec_other", body, now);
        let rolled = format!(
            "t={now},v0=abc,{},{}",
            other.split(',').nth(1).unwrap_or_default(),
            header.split(',').nth(1).unwrap_or_default()
        );
        assert_eq!(verify(SECRET, &rolled, body, now), Ok(now));
        assert_eq!(
            verify(SECRET, &other, body, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &header, br#"{"id":"evt_2"}"#, now),
            Err(SignatureError::Mismatch),
            "a changed body"
        );
        assert_eq!(
            verify(SECRET, &header, body, now + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, &header, body, now - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, "v1=00", body, now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, &format!("t={now}"), body, now),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn every_status_transition() {
        use Signal::*;
        assert_eq!(transition("active", None, Paid), None);
        assert_eq!(transition("past_due", None, Paid), Some(("active", None)));
        assert_eq!(
            transition("suspended", Some("billing"), Paid),
            Some(("active", None))
        );
        assert_eq!(
            transition("suspended", Some("trial_ended"), Paid),
            Some(("active", None))
        );
        assert_eq!(transition("suspended", Some("operator"), Paid), None);
        assert_eq!(
            transition("active", None, PaymentFailed),
            Some(("past_due", None))
        );
        assert_eq!(transition("past_due", None, PaymentFailed), None);
        assert_eq!(
            transition("suspended", Some("billing"), PaymentFailed),
            None
        );
        assert_eq!(
            transition("active", None, Ended),
            Some(("suspended", Some("billing")))
        );
        assert_eq!(
            transition("past_due", None, Ended),
            Some(("suspended", Some("billing")))
        );
        assert_eq!(transition("suspended", Some("operator"), Ended), None);
        for s in [Paid, PaymentFailed, Ended] {
            assert_eq!(transition("archived", None, s), None);
            assert_eq!(transition("provisioning", None, s), None);
        }
    }
}
