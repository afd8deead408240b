//! Stripe Connect: card payments into each tenant's own Stripe account. A tenant gets one
//! Express connected account of the platform (created once, with a stable idempotency key),
//! finishes Stripe's onboarding through an account link, and its customers then pay in Stripe
//! Checkout sessions created *on* that account (`Stripe-Account` header): the money is the
//! tenant's, never the platform's. Refunds go through the same account.
//!
//! This is the narrow interface a domain uses (through `AppState::connect`): it never sees the
//! pool, the platform table mapping connected accounts to tenants
//! (`platform.stripe_connected_accounts`) or the platform's Stripe client; every call takes the
//! caller's tenant id, so one tenant can only reach its own account. Events of the connected
//! accounts arrive at `/webhooks/stripe/connect` ([`webhook`]) and are handed to the domains'
//! `payment_events` hooks in the tenant's transaction.
//!
//! Present when billing is on (`billing.stripe_secret_key`) and
//! `billing.stripe_connect_webhook_secret` is set; otherwise card payments answer
//! `404 billing-disabled`.

pub mod webhook;

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use stripe::{AccountId, Client, ClientBuilder, IdempotencyKey, RequestStrategy};
use stripe_client_core::{RequestBuilder, StripeMethod};
use uuid::Uuid;

use crate::audit::platform::{self as operators, Actor, Change};
use crate::config::Settings;
use crate::db::Db;

/// The platform's Stripe account acting for its tenants' connected accounts.
pub struct Connect {
    client: Client,
    webhook_secret: SecretString,
    db: Db,
    public_url: String,
}

/// A tenant's connected account as last read from Stripe.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectedAccount {
    pub account_id: String,
    /// Stripe lets the account take card payments.
    pub charges_enabled: bool,
    /// The tenant has submitted Stripe's onboarding form.
    pub details_submitted: bool,
}

/// What a Checkout Session on a tenant's connected account charges for.
pub struct CheckoutRequest<'a> {
    /// `invoice` or `top_up`: written into the session's metadata as `kind`.
    pub kind: &'a str,
    /// Further metadata (`invoice_id`, `account_id`), copied to the session and its payment.
    pub metadata: &'a [(&'a str, String)],
    /// The one line's name on Stripe's page.
    pub description: &'a str,
    pub amount_minor: i64,
    /// ISO 4217, any case.
    pub currency: &'a str,
    /// Where Stripe sends the payer back, under `server.public_url` (`/pay/success`, a
    /// public link's page, ...); Checkout's `session_id` is appended to the success path.
    pub success_path: &'a str,
    pub cancel_path: &'a str,
    /// Stable for one intent to pay, so a retry gets the same session back.
    pub idempotency_key: &'a str,
}

/// A Checkout Session created on a connected account.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// Why a Connect call did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The tenant has no connected account yet.
    #[error("the organisation has no Stripe account yet")]
    NoAccount,
    /// The connected account cannot take card payments (onboarding not finished).
    #[error("the organisation's Stripe account cannot take card payments yet")]
    NotEnabled,
    /// Stripe or the database failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ConnectError {
    fn from(e: sqlx::Error) -> Self {
        Self::Failed(e.into())
    }
}

#[derive(miniserde::Deserialize)]
struct Created {
    id: String,
    url: Option<String>,
}

/// An account link has a URL and no id.
#[derive(miniserde::Deserialize)]
struct Link {
    url: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct AccountRead {
    id: String,
    charges_enabled: Option<bool>,
    details_submitted: Option<bool>,
}

/// One form-encoded Stripe call.
struct Call {
    method: StripeMethod,
    path: String,
    form: Option<Value>,
}

impl Call {
    fn post(path: impl Into<String>, form: Value) -> Self {
        Self {
            method: StripeMethod::Post,
            path: path.into(),
            form: Some(form),
        }
    }
}

fn key(k: &str) -> anyhow::Result<RequestStrategy> {
    Ok(RequestStrategy::Idempotent(
        IdempotencyKey::new(k).map_err(|e| anyhow::anyhow!("idempotency key: {e:?}"))?,
    ))
}

/// Stripe's form encoding of nested metadata: `metadata[k]=v`.
fn metadata(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

impl Connect {
    /// `None` unless billing is on and the Connect webhook secret is set.
    pub(in crate::host) fn from_settings(s: &Settings, db: Db) -> anyhow::Result<Option<Self>> {
        let b = &s.billing;
        let (Some(key), Some(secret)) = (&b.stripe_secret_key, &b.stripe_connect_webhook_secret)
        else {
            return Ok(None);
        };
        let mut builder = ClientBuilder::new(key.expose_secret())
            .app_info("flightline", Some(env!("CARGO_PKG_VERSION").into()), None)
            .timeout(std::time::Duration::from_secs(20));
        if let Some(base) = &b.stripe_api_base {
            builder = builder.url(base.trim_end_matches('/').to_owned() + "/");
        }
        Ok(Some(Self {
            client: builder
                .build()
                .map_err(|e| anyhow::anyhow!("stripe client: {e}"))?,
            webhook_secret: secret.clone(),
            db,
            public_url: s.server.public_url.clone(),
        }))
    }

    pub(in crate::host) fn webhook_secret(&self) -> &str {
        self.webhook_secret.expose_secret()
    }

    async fn send<T: miniserde::Deserialize>(
        &self,
        call: Call,
        on_behalf_of: Option<&str>,
        strategy: RequestStrategy,
    ) -> anyhow::Result<T> {
        let mut request = RequestBuilder::new(call.method, call.path);
        if let Some(form) = &call.form {
            request = request.form(form);
        }
        let mut request = request.customize::<T>().request_strategy(strategy);
        if let Some(account) = on_behalf_of {
            request = request.account_id(AccountId::from(account));
        }
        request
            .send(&self.client)
            .await
            .map_err(|e| anyhow::anyhow!("stripe: {e}"))
    }

    /// The tenant's connected account as last known, without calling Stripe.
    pub async fn account(&self, tenant: Uuid) -> anyhow::Result<Option<ConnectedAccount>> {
        Ok(sqlx::query_as::<_, ConnectedAccount>(
            "select account_id, charges_enabled, details_submitted
             from platform.stripe_connected_accounts where tenant_id = $1",
        )
        .bind(tenant)
        .fetch_optional(self.db.platform())
        .await?)
    }

    /// The tenant's connected account, created on first use: an Express account with the
    /// tenant's id in its metadata, under the idempotency key `connect-account:<tenant>`, so two
    /// requests racing (or a retry after a timeout) make one account.
    pub async fn ensure_account(&self, tenant: Uuid) -> anyhow::Result<ConnectedAccount> {
        if let Some(a) = self.account(tenant).await? {
            return Ok(a);
        }
        let created: AccountRead = self
            .send(
                Call::post(
                    "/accounts",
                    json!({
                        "type": "express",
                        "metadata": metadata([("tenant_id".to_owned(), tenant.to_string())]),
                        "capabilities": {
                            "card_payments": {"requested": "true"},
                            "transfers": {"requested": "true"},
                        },
                    }),
                ),
                None,
                key(&format!("connect-account:{tenant}"))?,
            )
            .await?;
        let mut tx = self.db.platform().begin().await?;
        sqlx::query(
            "insert into platform.stripe_connected_accounts
                 (account_id, tenant_id, charges_enabled, details_submitted)
             values ($1, $2, $3, $4) on conflict do nothing",
        )
        .bind(&created.id)
        .bind(tenant)
        .bind(created.charges_enabled.unwrap_or(false))
        .bind(created.details_submitted.unwrap_or(false))
        .execute(&mut *tx)
        .await?;
        operators::record(
            &mut *tx,
            Actor::system(),
            Change {
                action: "connect.account_created",
                tenant_id: Some(tenant),
                resource_type: "stripe_account",
                resource_id: Some(created.id.clone()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        self.account(tenant)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the connected account was not recorded"))
    }

    /// A one-time link to Stripe's onboarding of the tenant's account; Stripe sends the user
    /// back to `<public_url>/finance/stripe/return` (or `/refresh` when the link expired).
    pub async fn onboarding_link(&self, tenant: Uuid) -> anyhow::Result<String> {
        let account = self.ensure_account(tenant).await?;
        let base = &self.public_url;
        // Links are single-use: each request is a new link, its key unique to the request.
        let link: Link = self
            .send(
                Call::post(
                    "/account_links",
                    json!({
                        "account": account.account_id,
                        "type": "account_onboarding",
                        "refresh_url": format!("{base}/finance/stripe/refresh"),
                        "return_url": format!("{base}/finance/stripe/return"),
                    }),
                ),
                None,
                key(&format!("connect-link:{tenant}:{}", Uuid::now_v7()))?,
            )
            .await?;
        link.url
            .ok_or_else(|| anyhow::anyhow!("Stripe returned an account link without a URL"))
    }

    /// Reads the tenant's account from Stripe and records its flags. `None` without an
    /// account.
    pub async fn refresh(&self, tenant: Uuid) -> anyhow::Result<Option<ConnectedAccount>> {
        let Some(known) = self.account(tenant).await? else {
            return Ok(None);
        };
        let read: AccountRead = self
            .send(
                Call {
                    method: StripeMethod::Get,
                    path: format!("/accounts/{}", known.account_id),
                    form: None,
                },
                None,
                RequestStrategy::Retry(2),
            )
            .await?;
        if read.id != known.account_id {
            anyhow::bail!("Stripe answered for another account");
        }
        self.record_flags(
            &known.account_id,
            read.charges_enabled.unwrap_or(false),
            read.details_submitted.unwrap_or(false),
        )
        .await?;
        self.account(tenant).await
    }

    pub(in crate::host) async fn record_flags(
        &self,
        account: &str,
        charges_enabled: bool,
        details_submitted: bool,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "update platform.stripe_connected_accounts
             set charges_enabled = $2, details_submitted = $3
             where account_id = $1 and (charges_enabled, details_submitted) is distinct from ($2, $3)",
        )
        .bind(account)
        .bind(charges_enabled)
        .bind(details_submitted)
        .execute(self.db.platform())
        .await
        .map(|_| ())
    }

    /// The tenant's account, when it can take card payments.
    async fn enabled_account(&self, tenant: Uuid) -> Result<ConnectedAccount, ConnectError> {
        let account = self.account(tenant).await?.ok_or(ConnectError::NoAccount)?;
        if !account.charges_enabled {
            return Err(ConnectError::NotEnabled);
        }
        Ok(account)
    }

    /// A Checkout Session (mode `payment`, one line) on the tenant's connected account. Its
    /// metadata (and its payment's) names the tenant, the kind and `r.metadata`, so the
    /// completed session's event can be checked against the account it came from.
    pub async fn checkout(
        &self,
        tenant: Uuid,
        r: &CheckoutRequest<'_>,
    ) -> Result<CheckoutSession, ConnectError> {
        let account = self.enabled_account(tenant).await?;
        let mut meta: BTreeMap<String, String> = BTreeMap::new();
        meta.insert("tenant_id".into(), tenant.to_string());
        meta.insert("kind".into(), r.kind.to_owned());
        for (k, v) in r.metadata {
            meta.insert((*k).to_owned(), v.clone());
        }
        let meta = metadata(meta);
        let base = &self.public_url;
        let session: Created = self
            .send(
                Call::post(
                    "/checkout/sessions",
                    json!({
                        "mode": "payment",
                        "line_items": [{
                            "quantity": 1,
                            "price_data": {
                                "currency": r.currency.to_ascii_lowercase(),
                                "unit_amount": r.amount_minor,
                                "product_data": {"name": r.description},
                            },
                        }],
                        "metadata": meta,
                        "payment_intent_data": {"metadata": meta},
                        "success_url": format!(
                            "{base}{}{}session_id={{CHECKOUT_SESSION_ID}}",
                            r.success_path,
                            if r.success_path.contains('?') { '&' } else { '?' }
                        ),
                        "cancel_url": format!("{base}{}", r.cancel_path),
                    }),
                ),
                Some(&account.account_id),
                key(r.idempotency_key)?,
            )
            .await?;
        Ok(CheckoutSession {
            url: session.url.ok_or_else(|| {
                anyhow::anyhow!("Stripe returned a checkout session without a URL")
            })?,
            id: session.id,
        })
    }

    /// Refunds `amount_minor` of a payment intent on the tenant's connected account; returns
    /// Stripe's refund id. `idempotency_key` is the refund's own id, so a retry refunds once.
    pub async fn refund(
        &self,
        tenant: Uuid,
        payment_intent: &str,
        amount_minor: i64,
        refund_metadata: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<String, ConnectError> {
        let account = self.account(tenant).await?.ok_or(ConnectError::NoAccount)?;
        let mut meta: BTreeMap<String, String> = BTreeMap::new();
        meta.insert("tenant_id".into(), tenant.to_string());
        for (k, v) in refund_metadata {
            meta.insert((*k).to_owned(), v.clone());
        }
        let refund: Created = self
            .send(
                Call::post(
                    "/refunds",
                    json!({
                        "payment_intent": payment_intent,
                        "amount": amount_minor,
                        "reason": "requested_by_customer",
                        "metadata": metadata(meta),
                    }),
                ),
                Some(&account.account_id),
                key(idempotency_key)?,
            )
            .await?;
        Ok(refund.id)
    }
}
