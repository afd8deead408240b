//! Card payments through the organisation's own Stripe account (Stripe Connect): its status
//! and onboarding, a Checkout page for what is due on an invoice, and one for a deposit top-up.
//! The money lands when Stripe's webhook says the session is paid ([`super::stripe_events`]);
//! nothing here records a payment. The host's `crate::connect` makes the Stripe calls, always
//! on the caller's own tenant's account.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{InvoiceKind, InvoiceStatus};
use super::{FINANCE_MANAGE, FINANCE_READ, accounts, invoices};
use crate::audit;
use crate::auth::TenantCtx;
use crate::connect::{CheckoutRequest, Connect, ConnectError, ConnectedAccount};
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::state::AppState;

/// Stripe's largest amount of one Checkout line (eight digits of minor units).
const MAX_CHECKOUT_MINOR: i64 = 99_999_999;

/// Where the organisation's Stripe account stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename = "StripeAccountStatus", rename_all = "snake_case")]
pub enum AccountStatus {
    /// No Stripe account yet: start onboarding.
    None,
    /// The account exists; Stripe does not let it take card payments yet (onboarding not
    /// finished, or Stripe needs more details).
    Onboarding,
    /// Takes card payments.
    Enabled,
}

/// The organisation's own Stripe account (Stripe Connect).
#[derive(Object, Debug)]
pub struct StripeAccount {
    pub status: AccountStatus,
    /// Stripe's account id (`acct_...`); null before onboarding starts.
    pub account_id: Option<String>,
    /// Stripe lets the account take card payments.
    pub charges_enabled: bool,
    /// The onboarding form has been submitted to Stripe.
    pub details_submitted: bool,
}

impl From<Option<ConnectedAccount>> for StripeAccount {
    fn from(a: Option<ConnectedAccount>) -> Self {
        match a {
            None => Self {
                status: AccountStatus::None,
                account_id: None,
                charges_enabled: false,
                details_submitted: false,
            },
            Some(a) => Self {
                status: if a.charges_enabled {
                    AccountStatus::Enabled
                } else {
                    AccountStatus::Onboarding
                },
                account_id: Some(a.account_id),
                charges_enabled: a.charges_enabled,
                details_submitted: a.details_submitted,
            },
        }
    }
}

/// A link to Stripe's onboarding of the organisation's account.
#[derive(Object, Debug)]
pub struct StripeOnboarding {
    /// Send the user here (a one-time link; ask again when it expired).
    pub onboarding_url: String,
    pub account: StripeAccount,
}

/// What to charge on an invoice's Checkout page.
#[derive(Object, Debug)]
pub struct InvoiceCheckoutCreate {
    /// Part of what is due (at most all of it); absent: all that is due.
    #[oai(validator(minimum(value = "1"), maximum(value = "99999999")))]
    pub amount_minor: Option<i64>,
}

/// A deposit top-up by card.
#[derive(Object, Debug)]
pub struct TopUpCreate {
    /// The amount to add to the account's prepaid credit, in its currency.
    #[oai(validator(minimum(value = "1"), maximum(value = "99999999")))]
    pub amount_minor: i64,
}

/// A Stripe Checkout page on the organisation's own account.
#[derive(Object, Debug, Clone, serde::Serialize)]
pub struct CheckoutLink {
    /// Send the payer here; the payment is recorded when Stripe confirms it.
    pub checkout_url: String,
    /// Stripe's Checkout Session id (`cs_...`).
    pub session_id: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// `404 billing-disabled`: no Stripe on this installation (or no Connect webhook secret).
fn disabled() -> AppError {
    AppError::status(
        StatusCode::NOT_FOUND,
        "billing-disabled",
        "card payments are not enabled on this installation",
    )
}

/// The host's Connect client, or `404 billing-disabled`.
pub(super) fn connect(state: &AppState) -> Result<&Connect> {
    state.connect.as_ref().ok_or_else(disabled)
}

/// A failed Stripe call: `503 stripe-unavailable` (the cause is logged, never shown).
pub(super) fn unavailable(e: anyhow::Error) -> AppError {
    tracing::error!(error = %format!("{e:#}"), "a Stripe Connect call failed");
    AppError::Status {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "stripe-unavailable",
        detail: "Stripe could not be reached; try again shortly".into(),
        retry_after: Some(5),
    }
}

pub(super) fn connect_error(e: ConnectError) -> AppError {
    match e {
        ConnectError::NoAccount | ConnectError::NotEnabled => AppError::Conflict {
            code: "stripe-account-not-enabled",
            detail: format!("{e}: finish Stripe onboarding first"),
            field: None,
        },
        ConnectError::Failed(e) => unavailable(e),
    }
}

/// A Checkout page for `amount_minor` (default: all that is due) of issued invoice `invoice`,
/// on `tenant`'s own Stripe account. `409 nothing-due` when nothing is open on it (a draft, a
/// void or a paid invoice, a credit note), `422` when `amount_minor` is more than is due,
/// `409 stripe-account-not-enabled` before onboarding is finished, `404` for an unknown
/// invoice. Asking twice for the same amount of the same open balance gives the same page
/// (the idempotency key is the invoice, the amount and what is due).
///
/// `conn` is a transaction in `tenant`'s schema. The public invoice page calls this too.
pub async fn invoice_checkout(
    connect: &Connect,
    conn: &mut PgConnection,
    tenant: Uuid,
    invoice: Uuid,
    amount_minor: Option<i64>,
) -> Result<CheckoutLink> {
    let inv = invoices::repo::get(conn, invoice, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    let open = inv.kind == InvoiceKind::Invoice
        && matches!(
            inv.status,
            InvoiceStatus::Issued | InvoiceStatus::PartlyPaid
        )
        && inv.due_minor > 0;
    if !open {
        return Err(AppError::Conflict {
            code: "nothing-due",
            detail: "nothing is due on this invoice".into(),
            field: None,
        });
    }
    let amount = amount_minor.unwrap_or(inv.due_minor);
    if amount > inv.due_minor {
        return Err(AppError::validation(
            "amount_minor",
            format!("must not exceed the {} due", inv.due_minor),
        ));
    }
    if amount > MAX_CHECKOUT_MINOR {
        return Err(AppError::validation(
            "amount_minor",
            format!("is more than one card payment takes ({MAX_CHECKOUT_MINOR}): pay in parts"),
        ));
    }
    let number = inv.number.clone().unwrap_or_default();
    let session = connect
        .checkout(
            tenant,
            &CheckoutRequest {
                kind: "invoice",
                metadata: &[
                    ("invoice_id", inv.id.to_string()),
                    ("account_id", inv.account_id.to_string()),
                ],
                description: &format!("Invoice {number}"),
                amount_minor: amount,
                currency: &inv.currency,
                success_path: "/pay/success",
                cancel_path: "/pay/cancelled",
                idempotency_key: &format!(
                    "connect-checkout:{tenant}:invoice:{}:{amount}:{}",
                    inv.id, inv.due_minor
                ),
            },
        )
        .await
        .map_err(connect_error)?;
    Ok(CheckoutLink {
        checkout_url: session.url,
        session_id: session.id,
        amount_minor: amount,
        currency: inv.currency,
    })
}

pub struct StripeApi;

#[OpenApi(prefix_path = "/api/v1/finance", tag = "super::Tag::FinanceStripe")]
impl StripeApi {
    /// The organisation's own Stripe account for card payments: `none` (onboarding not
    /// started), `onboarding` (Stripe does not let it take card payments yet) or `enabled`.
    /// While not enabled, the account is read from Stripe afresh (the last known state is
    /// shown when Stripe cannot be reached). Card payments off: `404 billing-disabled`.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/stripe", method = "get")]
    async fn status(
        &self,
        ctx: TenantCtx,
        state: Data<&Arc<AppState>>,
    ) -> Result<Json<StripeAccount>> {
        ctx.require(FINANCE_READ)?;
        let connect = connect(&state)?;
        let known = connect.account(ctx.tenant.id).await.map_err(unavailable)?;
        let account = match known {
            Some(a) if !a.charges_enabled => match connect.refresh(ctx.tenant.id).await {
                Ok(fresh) => fresh,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "reading the Stripe account failed");
                    Some(a)
                }
            },
            other => other,
        };
        Ok(Json(account.into()))
    }

    /// Start (or continue) Stripe's onboarding: the organisation's Stripe account is created
    /// the first time (once, however often this is called) and a one-time onboarding link
    /// returned. Card payments off: `404 billing-disabled`; Stripe unreachable:
    /// `503 stripe-unavailable`.
    ///
    /// Permission: `finance.manage`. Audited as `finance.stripe_onboarding`.
    #[oai(path = "/stripe/onboarding", method = "post")]
    async fn onboarding(
        &self,
        ctx: TenantCtx,
        state: Data<&Arc<AppState>>,
    ) -> Result<Json<StripeOnboarding>> {
        ctx.require(FINANCE_MANAGE)?;
        let connect = connect(&state)?;
        let url = connect
            .onboarding_link(ctx.tenant.id)
            .await
            .map_err(unavailable)?;
        let account: StripeAccount = connect
            .account(ctx.tenant.id)
            .await
            .map_err(unavailable)?
            .into();
        let mut tx = ctx.begin().await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "finance.stripe_onboarding",
            "stripe_account",
            account.account_id.as_deref().unwrap_or_default(),
            &serde_json::json!({"account_id": account.account_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(StripeOnboarding {
            onboarding_url: url,
            account,
        }))
    }

    /// A Stripe Checkout page on the organisation's own account for what is due on an issued
    /// invoice, or part of it (`amount_minor`). The payment is recorded when Stripe's webhook
    /// confirms it, drawn down against this invoice first. `409 nothing-due` when nothing is
    /// due; `409 stripe-account-not-enabled` before onboarding is finished; `422` for more
    /// than is due; card payments off: `404 billing-disabled`; Stripe unreachable:
    /// `503 stripe-unavailable`.
    ///
    /// Permission: `finance.manage`. Audited as `invoice.checkout_created`.
    #[oai(path = "/invoices/:id/checkout", method = "post")]
    async fn invoice_checkout(
        &self,
        ctx: TenantCtx,
        state: Data<&Arc<AppState>>,
        id: Path<Uuid>,
        body: JsonBody<InvoiceCheckoutCreate>,
    ) -> Result<Json<CheckoutLink>> {
        ctx.require(FINANCE_MANAGE)?;
        let connect = connect(&state)?;
        let mut tx = ctx.begin().await?;
        let link =
            invoice_checkout(connect, &mut tx, ctx.tenant.id, id.0, body.amount_minor).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "invoice.checkout_created",
            "invoice",
            id.0,
            &link,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(link))
    }

    /// A Stripe Checkout page on the organisation's own account to add `amount_minor` to an
    /// account's prepaid credit (a deposit top-up). When Stripe confirms the payment, it is
    /// recorded and drawn down against the account's open invoices like any payment; the rest
    /// stays as credit. `Idempotency-Key`: a retry with the same key and amount gets the same
    /// page; the same key with another amount is `422`. `409 stripe-account-not-enabled` before onboarding is finished; `422` for an
    /// archived account; card payments off: `404 billing-disabled`; Stripe unreachable:
    /// `503 stripe-unavailable`.
    ///
    /// Permission: `finance.manage`. Audited as `account.top_up_created`.
    #[oai(path = "/accounts/:id/top-up", method = "post")]
    async fn top_up(
        &self,
        ctx: TenantCtx,
        state: Data<&Arc<AppState>>,
        id: Path<Uuid>,
        body: JsonBody<TopUpCreate>,
        /// Makes a retried request safe: the same Checkout page is returned.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Json<CheckoutLink>> {
        ctx.require(FINANCE_MANAGE)?;
        let connect = connect(&state)?;
        let mut tx = ctx.begin().await?;
        let account = accounts::get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        if account.archived_at.is_some() {
            return Err(AppError::validation("id", "the account is archived"));
        }
        // API.md: a retry with the same key and body returns the first result (Stripe's own
        // idempotency key below gives back the same session), with another body `422`.
        let hash = super::service::body_hash(&(account.id, body.amount_minor));
        let first =
            super::service::replay(&mut tx, ctx.user_id, idempotency_key.0.as_deref(), &hash)
                .await?;
        let tenant = ctx.tenant.id;
        let key = match &idempotency_key.0 {
            // Hashed: the client's key may hold any characters and be up to 200 long.
            Some(k) => format!(
                "connect-topup:{tenant}:{}:{}:{}",
                account.id,
                body.amount_minor,
                hex::encode(super::service::body_hash(k))
            ),
            None => format!("connect-topup:{tenant}:{}", Uuid::now_v7()),
        };
        let session = connect
            .checkout(
                tenant,
                &CheckoutRequest {
                    kind: "top_up",
                    metadata: &[("account_id", account.id.to_string())],
                    description: &format!("Account credit: {}", account.name),
                    amount_minor: body.amount_minor,
                    currency: &account.currency,
                    success_path: "/pay/success",
                    cancel_path: "/pay/cancelled",
                    idempotency_key: &key,
                },
            )
            .await
            .map_err(connect_error)?;
        let link = CheckoutLink {
            checkout_url: session.url,
            session_id: session.id,
            amount_minor: body.amount_minor,
            currency: account.currency,
        };
        if first.is_none() {
            super::service::remember(
                &mut tx,
                ctx.user_id,
                idempotency_key.0.as_deref(),
                &hash,
                account.id,
            )
            .await?;
        }
        audit::created(
            &mut tx,
            (&ctx).into(),
            "account.top_up_created",
            "finance_account",
            account.id,
            &link,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(link))
    }
}
