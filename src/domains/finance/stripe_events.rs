//! What finance does with the events of the organisation's own Stripe account (the host hands
//! them over once each, verified, inside the tenant's transaction: `MANIFEST.payment_events`).
//!
//! - `checkout.session.completed` (and `checkout.session.async_payment_succeeded`) with
//!   `payment_status` `paid`: a card payment recorded (Dr stripe_clearing, Cr deposits, then
//!   drawn down against the invoice the session was for, then by due date). Exactly once: a
//!   payment per Checkout Session (`payments.stripe_checkout_session_id` is unique).
//! - `charge.refunded`: each refund of the charge not recorded yet (by Stripe's refund id),
//!   then whatever `amount_refunded` says beyond what is recorded (a refund made in Stripe's
//!   dashboard whose id the event does not list). Refunds made through Flightline are recorded
//!   when they are made, so their events change nothing.
//!
//! Anything else (and a session that is not ours or not paid) changes nothing.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::PaymentMethod;
use super::invoices::lock_account;
use super::payments::{self, NewPayment};
use crate::audit::{self, Actor, Change, RequestMeta};
use crate::error::AppError;
use crate::kernel::manifest::{PaymentEvent, PaymentEventHandler};

/// The finance domain's handler of connected-account events.
pub const PAYMENT_EVENTS: PaymentEventHandler = PaymentEventHandler {
    name: "finance.card_payments",
    run,
};

fn run<'c>(
    conn: &'c mut PgConnection,
    _tenant: Uuid,
    event: &'c PaymentEvent,
) -> futures_util::future::BoxFuture<'c, anyhow::Result<bool>> {
    Box::pin(apply(conn, event))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

fn uuid_at(v: &Value, path: &[&str]) -> Option<Uuid> {
    str_at(v, path).and_then(|s| Uuid::parse_str(s).ok())
}

/// Audit rows of what Stripe's events did: actor type `system` (no user acted), the Stripe event
/// id as request id.
async fn audited(
    conn: &mut PgConnection,
    event: &PaymentEvent,
    action: &str,
    resource_type: &str,
    id: Uuid,
    after: Option<Value>,
) -> Result<(), sqlx::Error> {
    let meta = RequestMeta {
        request_id: Some(event.id.clone()),
        ip: None,
        user_agent: None,
    };
    audit::record(
        conn,
        Actor {
            id: None,
            kind: "system",
            meta: &meta,
        },
        Change {
            action,
            resource_type,
            resource_id: Some(id.to_string()),
            before: None,
            after,
        },
    )
    .await
}

async fn apply(conn: &mut PgConnection, event: &PaymentEvent) -> anyhow::Result<bool> {
    // A savepoint, so that what the books refuse is undone to the last statement while the
    // host still records the event as handled.
    sqlx::query("savepoint finance_payment_event")
        .execute(&mut *conn)
        .await?;
    let r = match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            session_paid(conn, event).await
        }
        "charge.refunded" => charge_refunded(conn, event).await,
        _ => Ok(false),
    };
    match r {
        Ok(changed) => {
            sqlx::query("release savepoint finance_payment_event")
                .execute(&mut *conn)
                .await?;
            Ok(changed)
        }
        // The books refuse it (another currency, more than the account holds): Stripe's word
        // cannot be applied as it stands, and retrying would never succeed. Undone and logged
        // for the organisation's staff to reconcile.
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            sqlx::query("rollback to savepoint finance_payment_event")
                .execute(&mut *conn)
                .await?;
            tracing::error!(stripe.event = %event.id, error = %e, ?e, "a Stripe event could not be applied to the books");
            Ok(false)
        }
        Err(e) => Err(anyhow::Error::from(e)),
    }
}

async fn session_paid(conn: &mut PgConnection, event: &PaymentEvent) -> Result<bool, AppError> {
    let s = &event.object;
    if str_at(s, &["payment_status"]) != Some("paid") || str_at(s, &["mode"]) != Some("payment") {
        return Ok(false);
    }
    let (Some(session), Some(account)) =
        (str_at(s, &["id"]), uuid_at(s, &["metadata", "account_id"]))
    else {
        return Ok(false);
    };
    let kind = str_at(s, &["metadata", "kind"]);
    if !matches!(kind, Some("invoice" | "top_up")) {
        return Ok(false);
    }
    let amount = s.get("amount_total").and_then(Value::as_i64).unwrap_or(0);
    if amount <= 0 {
        return Ok(false);
    }
    let known: bool =
        sqlx::query_scalar("select exists(select 1 from finance_accounts where id = $1)")
            .bind(account)
            .fetch_one(&mut *conn)
            .await?;
    if !known {
        tracing::warn!(stripe.event = %event.id, "a paid Checkout Session names no account of the tenant");
        return Ok(false);
    }
    // Serialised per account, then checked: a second delivery of the same session (under
    // another event id) finds the payment.
    lock_account(conn, account).await?;
    let recorded: bool = sqlx::query_scalar(
        "select exists(select 1 from payments where stripe_checkout_session_id = $1)",
    )
    .bind(session)
    .fetch_one(&mut *conn)
    .await?;
    if recorded {
        return Ok(false);
    }
    let invoice =
        match (kind, uuid_at(s, &["metadata", "invoice_id"])) {
            (Some("invoice"), Some(inv)) => sqlx::query_scalar::<_, Uuid>(
                "select id from invoices where id = $1 and account_id = $2 and kind = 'invoice'",
            )
            .bind(inv)
            .bind(account)
            .fetch_optional(&mut *conn)
            .await?,
            _ => None,
        };
    let currency = str_at(s, &["currency"]).map(str::to_ascii_uppercase);
    let intent = str_at(s, &["payment_intent"]);
    let id = payments::record(
        conn,
        None,
        &NewPayment {
            account,
            method: PaymentMethod::Card,
            amount_minor: amount,
            currency: currency.as_deref(),
            received_on: None,
            reference: intent,
            notes: None,
            invoice,
            stripe_checkout_session_id: Some(session),
            stripe_payment_intent_id: intent,
        },
    )
    .await?;
    let p = payments::get(conn, id).await?;
    audited(
        conn,
        event,
        "payment.recorded",
        "payment",
        id,
        p.as_ref().and_then(audit::snapshot),
    )
    .await?;
    Ok(true)
}

async fn charge_refunded(conn: &mut PgConnection, event: &PaymentEvent) -> Result<bool, AppError> {
    let c = &event.object;
    let Some(intent) = str_at(c, &["payment_intent"]) else {
        return Ok(false);
    };
    let Some(payment_id) = sqlx::query_scalar::<_, Uuid>(
        "select id from payments where stripe_payment_intent_id = $1",
    )
    .bind(intent)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(false);
    };
    let Some(payment) = payments::get(conn, payment_id).await? else {
        return Ok(false);
    };
    // Waits for a refund being made through Flightline on this account to commit with its
    // Stripe id, so it is found below rather than recorded twice.
    lock_account(conn, payment.account_id).await?;
    let mut changed = false;
    let listed = c
        .get("refunds")
        .and_then(|r| r.get("data"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for r in &listed {
        let (Some(rid), Some(amount)) =
            (str_at(r, &["id"]), r.get("amount").and_then(Value::as_i64))
        else {
            continue;
        };
        if !matches!(str_at(r, &["status"]), None | Some("succeeded" | "pending")) || amount <= 0 {
            continue;
        }
        let seen: bool =
            sqlx::query_scalar("select exists(select 1 from refunds where stripe_refund_id = $1)")
                .bind(rid)
                .fetch_one(&mut *conn)
                .await?;
        if seen {
            continue;
        }
        let current = payments::get(conn, payment_id)
            .await?
            .ok_or(AppError::NotFound("payment"))?;
        let id = payments::refund(
            conn,
            None,
            &current,
            amount,
            Some("Refunded in Stripe"),
            Some(rid),
        )
        .await?;
        audited(
            conn,
            event,
            "payment.refunded",
            "payment",
            payment_id,
            Some(serde_json::json!({"refund_id": id, "amount_minor": amount})),
        )
        .await?;
        changed = true;
    }
    // What Stripe says is refunded beyond what the books hold (a refund the event does not
    // list): recorded without an id; a replay finds nothing left to record.
    let total = c
        .get("amount_refunded")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let recorded: i64 = sqlx::query_scalar(
        "select coalesce(sum(amount_minor), 0)::bigint from refunds where payment_id = $1",
    )
    .bind(payment_id)
    .fetch_one(&mut *conn)
    .await?;
    let rest = total.min(payment.amount_minor) - recorded;
    if rest > 0 {
        let current = payments::get(conn, payment_id)
            .await?
            .ok_or(AppError::NotFound("payment"))?;
        let id =
            payments::refund(conn, None, &current, rest, Some("Refunded in Stripe"), None).await?;
        audited(
            conn,
            event,
            "payment.refunded",
            "payment",
            payment_id,
            Some(serde_json::json!({"refund_id": id, "amount_minor": rest})),
        )
        .await?;
        changed = true;
    }
    Ok(changed)
}
