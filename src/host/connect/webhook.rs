//! `POST /webhooks/stripe/connect`: events of the tenants' connected accounts.
//!
//! Verified like `/webhooks/stripe` (same scheme, its own secret:
//! `billing.stripe_connect_webhook_secret`). The event's `account` decides the tenant, through
//! `platform.stripe_connected_accounts`; an account that belongs to no tenant, or an object whose
//! `metadata.tenant_id` names another tenant than the account's, changes nothing (answered 200,
//! recorded as `unknown_tenant` / `ignored`). `account.updated` refreshes the account's flags.
//! The event is then handed to every domain's `payment_events` hook inside that tenant's
//! transaction. The event id is recorded in `platform.stripe_events` in a platform transaction
//! that commits only after the tenant's: a redelivered event is acknowledged and ignored, and a
//! failed hook leaves the event unrecorded (500, so Stripe delivers it again).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::OpenApi;
use poem_openapi::payload::{Binary, Json};
use serde_json::Value;
use uuid::Uuid;

use crate::billing::webhook::{Outcome, Received, SignatureError, verify};
use crate::db::{SchemaName, TenantTx};
use crate::error::{AppError, Result};
use crate::kernel::manifest::PaymentEvent;
use crate::kernel::tags::CoreTags;
use crate::state::AppState;

/// The largest event body accepted.
const MAX_BODY: usize = 512 * 1024;

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Applied => "applied",
        Outcome::Ignored => "ignored",
        Outcome::Stale => "stale",
        Outcome::UnknownTenant => "unknown_tenant",
        Outcome::Duplicate => "duplicate",
    }
}

pub struct ConnectWebhooksApi;

#[OpenApi(prefix_path = "/webhooks", tag = "CoreTags::Billing")]
impl ConnectWebhooksApi {
    /// Stripe's Connect webhook endpoint: events of the organisations' own Stripe accounts
    /// (card payments). The raw body must carry a valid `Stripe-Signature` under the Connect
    /// webhook secret (HMAC SHA-256, any of several `v1` signatures, timestamp within five
    /// minutes); otherwise `400 signature-invalid` and nothing changes. Each event id is
    /// applied once (a redelivery answers 200 and does nothing). The event's `account` decides
    /// the organisation; an account of no organisation, or an object whose
    /// `metadata.tenant_id` names another one, changes nothing and answers 200. Handles
    /// `account.updated` (the account's status), `checkout.session.completed` (a card payment
    /// recorded) and `charge.refunded` (refunds recorded). Card payments off (no Stripe key or
    /// no Connect webhook secret): `404 billing-disabled`.
    #[oai(path = "/stripe/connect", method = "post")]
    async fn stripe_connect(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Binary<Body>,
    ) -> Result<Json<Received>> {
        let connect = state
            .connect
            .as_ref()
            .ok_or_else(crate::billing::api::disabled)?;
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
            connect.webhook_secret(),
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
            stripe.account = str_at(&event, &["account"]).unwrap_or_default(),
            outcome = outcome_str(outcome),
            "stripe connect webhook"
        );
        Ok(Json(Received { received: true }))
    }
}

#[derive(sqlx::FromRow)]
struct Owner {
    tenant_id: Uuid,
    schema_name: String,
    status: String,
}

/// Applies one verified Connect event (public for tests).
pub async fn apply(state: &AppState, event: &Value) -> anyhow::Result<Outcome> {
    if state.connect.is_none() {
        anyhow::bail!("card payments are not configured");
    }
    let id = str_at(event, &["id"]).ok_or_else(|| anyhow::anyhow!("event without id"))?;
    let kind = str_at(event, &["type"]).unwrap_or_default().to_owned();
    let account = str_at(event, &["account"]).map(str::to_owned);
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

    let mut ptx = state.db.platform().begin().await?;
    let fresh = sqlx::query(
        "insert into platform.stripe_events (id, type, outcome, created_at, connect_account)
         values ($1, $2, 'pending', $3, $4)
         on conflict (id) do nothing",
    )
    .bind(id)
    .bind(&kind)
    .bind(created)
    .bind(&account)
    .execute(&mut *ptx)
    .await?
    .rows_affected();
    if fresh == 0 {
        return Ok(Outcome::Duplicate);
    }
    let finish = async |ptx: &mut sqlx::PgConnection, tenant: Option<Uuid>, o: Outcome| {
        sqlx::query("update platform.stripe_events set outcome = $2, tenant_id = $3 where id = $1")
            .bind(id)
            .bind(outcome_str(o))
            .bind(tenant)
            .execute(ptx)
            .await
            .map(|_| o)
    };

    let owner = match &account {
        Some(a) => {
            sqlx::query_as::<_, Owner>(
                "select t.id as tenant_id, t.schema_name, t.status
                 from platform.stripe_connected_accounts c
                 join platform.tenants t on t.id = c.tenant_id
                 where c.account_id = $1",
            )
            .bind(a)
            .fetch_optional(&mut *ptx)
            .await?
        }
        None => None,
    };
    let (Some(account), Some(owner)) = (account, owner) else {
        let o = finish(&mut ptx, None, Outcome::UnknownTenant).await?;
        ptx.commit().await?;
        return Ok(o);
    };
    let tenant = owner.tenant_id;
    // Metadata is ours (written when the session or payment was created); naming another
    // tenant than the account's means it was not: nothing changes.
    let claimed = str_at(&object, &["metadata", "tenant_id"]);
    if claimed.is_some_and(|c| Uuid::parse_str(c).ok() != Some(tenant)) {
        tracing::warn!(tenant.id = %tenant, stripe.event = id, "a connect event names another tenant than its account's");
        let o = finish(&mut ptx, Some(tenant), Outcome::Ignored).await?;
        ptx.commit().await?;
        return Ok(o);
    }
    let mut changed = false;
    if kind == "account.updated" && str_at(&object, &["id"]) == Some(account.as_str()) {
        let flag = |k: &str| object.get(k).and_then(Value::as_bool).unwrap_or(false);
        let rows = sqlx::query(
            "update platform.stripe_connected_accounts
             set charges_enabled = $2, details_submitted = $3
             where account_id = $1 and (charges_enabled, details_submitted) is distinct from ($2, $3)",
        )
        .bind(&account)
        .bind(flag("charges_enabled"))
        .bind(flag("details_submitted"))
        .execute(&mut *ptx)
        .await?
        .rows_affected();
        changed |= rows > 0;
    }
    let serving = matches!(owner.status.as_str(), "active" | "past_due" | "suspended");
    let schema = SchemaName::parse(&owner.schema_name);
    if let (true, Some(schema)) = (serving, schema) {
        let handlers: Vec<_> = state.registry.catalog().payment_event_handlers().collect();
        if !handlers.is_empty() {
            let ev = PaymentEvent {
                id: id.to_owned(),
                kind: kind.clone(),
                account: account.clone(),
                object,
            };
            let mut tx = TenantTx::begin(&state.db, tenant, &schema).await?;
            for h in handlers {
                changed |= (h.run)(&mut tx, tenant, &ev)
                    .await
                    .map_err(|e| e.context(format!("payment event handler `{}`", h.name)))?;
            }
            tx.commit().await?;
        }
    }
    let o = finish(
        &mut ptx,
        Some(tenant),
        if changed {
            Outcome::Applied
        } else {
            Outcome::Ignored
        },
    )
    .await?;
    ptx.commit().await?;
    Ok(o)
}
