//! Applying a verified event: recorded once, ordered by `created`, the tenant's status moved by
//! [`transition`] in one transaction with the audit row.

use chrono::{DateTime, Duration, Utc};
use poem_openapi::Object;
use serde_json::Value;
use uuid::Uuid;

use crate::audit::platform::{self as operators, Actor, Change};
use crate::error::Result;
use crate::kernel::plans;
use crate::state::AppState;

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

pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
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
    pub(super) fn as_str(self) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;

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
