//! `/api/v1/finance/payments`: money received by hand (cash, cheque, bank transfer) and its
//! refunds. A payment goes to the customer's deposit and is drawn down against their open
//! invoices at once (the one it names first, then by due date); what is left stays as prepaid
//! credit for the next invoice. A refund pays back from the deposit first and reopens the most
//! recently paid invoices for the rest. Card payments are recorded from Stripe's webhook
//! (`stripe_events`); refunding one refunds it on the organisation's Stripe account too.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Payment, PaymentCreate, PaymentMethod, PaymentPage, Refund, RefundCreate};
use super::invoices::{lock_account, refresh_status, settle, today};
use super::ledger::{self, Line, Refs};
use super::{FINANCE_MANAGE, FINANCE_READ, service};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::wire;
use crate::state::AppState;

pub struct PaymentsApi;

#[derive(ApiResponse)]
enum Created {
    /// The payment as recorded (or, for a retried `Idempotency-Key`, the first one).
    #[oai(status = 201)]
    Created(Json<Payment>),
}

#[derive(ApiResponse)]
enum RefundCreated {
    /// The refund as recorded.
    #[oai(status = 201)]
    Created(Json<Refund>),
}

/// The money ledger a payment method lands in.
fn money_ledger(m: PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::Cash => "cash",
        PaymentMethod::Card => "stripe_clearing",
        PaymentMethod::Cheque | PaymentMethod::BankTransfer | PaymentMethod::Other => "bank",
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    account_id: Uuid,
    #[sqlx(try_from = "String")]
    method: PaymentMethod,
    amount_minor: i64,
    currency: String,
    received_on: NaiveDate,
    reference: Option<String>,
    notes: Option<String>,
    invoice_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RefundRow {
    id: Uuid,
    payment_id: Uuid,
    amount_minor: i64,
    reason: Option<String>,
    created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, account_id, method, amount_minor, currency, received_on, reference, notes, invoice_id, created_at";

async fn with_refunds(conn: &mut PgConnection, rows: Vec<Row>) -> Result<Vec<Payment>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let refunds: Vec<RefundRow> = sqlx::query_as(
        "select id, payment_id, amount_minor, reason, created_at from refunds
         where payment_id = any($1) order by id",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let refunds: Vec<Refund> = refunds
                .iter()
                .filter(|f| f.payment_id == r.id)
                .map(|f| Refund {
                    id: f.id,
                    payment_id: f.payment_id,
                    amount_minor: f.amount_minor,
                    reason: f.reason.clone(),
                    created_at: f.created_at,
                })
                .collect();
            Payment {
                refunded_minor: refunds.iter().map(|f| f.amount_minor).sum(),
                refunds,
                id: r.id,
                account_id: r.account_id,
                method: r.method,
                amount_minor: r.amount_minor,
                currency: r.currency,
                received_on: r.received_on,
                reference: r.reference,
                notes: r.notes,
                invoice_id: r.invoice_id,
                created_at: r.created_at,
            }
        })
        .collect())
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Payment>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from payments where id = $1"
    )))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(with_refunds(conn, rows).await?.pop())
}

/// What a payment records.
pub struct NewPayment<'a> {
    pub account: Uuid,
    pub method: PaymentMethod,
    pub amount_minor: i64,
    pub currency: Option<&'a str>,
    pub received_on: Option<NaiveDate>,
    pub reference: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub invoice: Option<Uuid>,
    pub stripe_checkout_session_id: Option<&'a str>,
    pub stripe_payment_intent_id: Option<&'a str>,
}

/// Records a payment in the caller's transaction: the money ledger debited, the customer's
/// deposit credited, then drawn down against their open invoices (`invoice` first).
pub async fn record(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    p: &NewPayment<'_>,
) -> Result<Uuid> {
    lock_account(conn, p.account).await?;
    let currency: String =
        sqlx::query_scalar("select currency from finance_accounts where id = $1")
            .bind(p.account)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| {
                AppError::validation("account_id", "names no account of this organisation")
            })?;
    if p.currency.is_some_and(|c| c != currency) {
        return Err(AppError::validation(
            "currency",
            format!("must be the account's currency, {currency}"),
        ));
    }
    if let Some(inv) = p.invoice {
        let ok: bool = sqlx::query_scalar(
            "select exists(select 1 from invoices where id = $1 and account_id = $2 and kind = 'invoice')",
        )
        .bind(inv)
        .bind(p.account)
        .fetch_one(&mut *conn)
        .await?;
        if !ok {
            return Err(AppError::validation(
                "invoice_id",
                "names no invoice of this account",
            ));
        }
    }
    let received_on = match p.received_on {
        Some(d) => d,
        None => today(conn).await?,
    };
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into payments (id, account_id, method, amount_minor, currency, received_on,
             reference, notes, invoice_id, stripe_checkout_session_id, stripe_payment_intent_id,
             created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id)
    .bind(p.account)
    .bind(wire(&p.method))
    .bind(p.amount_minor)
    .bind(&currency)
    .bind(received_on)
    .bind(p.reference)
    .bind(p.notes)
    .bind(p.invoice)
    .bind(p.stripe_checkout_session_id)
    .bind(p.stripe_payment_intent_id)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    ledger::post(
        conn,
        "payment_received",
        Refs {
            account: Some(p.account),
            payment: Some(id),
            ..Refs::default()
        },
        &format!("Payment received ({})", wire(&p.method).replace('_', " ")),
        actor,
        &currency,
        vec![
            Line::money(money_ledger(p.method), p.amount_minor),
            Line::deposit(p.account, -p.amount_minor),
        ],
    )
    .await?;
    settle(conn, actor, p.account, &currency, p.invoice).await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Paid {
    id: Uuid,
    paid_minor: i64,
}

/// Refunds part of a payment: `amount` at most what is not refunded yet. The customer's deposit
/// pays it first; for the rest, the most recently issued paid invoices are reopened (one
/// `deposit_unapplied` transaction). Then `refund_paid` takes the money out of the payment's
/// money ledger.
pub async fn refund(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    payment: &Payment,
    amount: i64,
    reason: Option<&str>,
    stripe_refund_id: Option<&str>,
) -> Result<Uuid> {
    lock_account(conn, payment.account_id).await?;
    let refunded: i64 = sqlx::query_scalar(
        "select coalesce(sum(amount_minor), 0)::bigint from refunds where payment_id = $1",
    )
    .bind(payment.id)
    .fetch_one(&mut *conn)
    .await?;
    if amount > payment.amount_minor - refunded {
        return Err(AppError::validation(
            "amount_minor",
            format!(
                "must not exceed the {} not refunded yet",
                payment.amount_minor - refunded
            ),
        ));
    }
    let account = payment.account_id;
    let pos = ledger::position(conn, account).await?;
    let mut need = amount - pos.deposit_minor.max(0);
    if need > 0 {
        let paid: Vec<Paid> = sqlx::query_as(
            "select i.id, coalesce(-sum(l.amount_minor) filter (
                        where t.kind in ('deposit_applied', 'deposit_unapplied')), 0)::bigint as paid_minor
             from invoices i join ledger_lines l on l.invoice_id = i.id
             join ledger_transactions t on t.id = l.transaction_id
             where i.account_id = $1 and i.kind = 'invoice' and i.status in ('partly_paid', 'paid')
             group by i.id
             order by max(i.issued_at) desc, i.id desc",
        )
        .bind(account)
        .fetch_all(&mut *conn)
        .await?;
        let mut lines = Vec::new();
        let mut ids = Vec::new();
        let mut reopened = 0;
        for p in paid.into_iter().filter(|p| p.paid_minor > 0) {
            if need == 0 {
                break;
            }
            let a = need.min(p.paid_minor);
            lines.push(Line::receivable(account, p.id, a));
            ids.push(p.id);
            reopened += a;
            need -= a;
        }
        if need > 0 {
            return Err(AppError::Conflict {
                code: "refund-exceeds-balance",
                detail: "the account holds less than the refund: nothing was refunded".into(),
                field: None,
            });
        }
        lines.push(Line::deposit(account, -reopened));
        ledger::post(
            conn,
            "deposit_unapplied",
            Refs {
                account: Some(account),
                payment: Some(payment.id),
                ..Refs::default()
            },
            "Invoices reopened by a refund",
            actor,
            &payment.currency,
            lines,
        )
        .await?;
        refresh_status(conn, &ids).await?;
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into refunds (id, payment_id, amount_minor, reason, stripe_refund_id, created_by)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(payment.id)
    .bind(amount)
    .bind(reason)
    .bind(stripe_refund_id)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    ledger::post(
        conn,
        "refund_paid",
        Refs {
            account: Some(account),
            payment: Some(payment.id),
            refund: Some(id),
            ..Refs::default()
        },
        "Refund paid",
        actor,
        &payment.currency,
        vec![
            Line::deposit(account, amount),
            Line::money(money_ledger(payment.method), -amount),
        ],
    )
    .await?;
    Ok(id)
}

#[OpenApi(
    prefix_path = "/api/v1/finance/payments",
    tag = "super::Tag::FinancePayments"
)]
impl PaymentsApi {
    /// List payments, newest first, with their refunds; one account's with `account_id`.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        account_id: Query<Option<Uuid>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<PaymentPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select {COLUMNS} from payments where id < $1 and ($2::uuid is null or account_id = $2)
             order by id desc limit $3"
        )))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(account_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        let items = with_refunds(&mut tx, rows).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(items, limit, |p| p.id);
        Ok(Json(PaymentPage { items, next_cursor }))
    }

    /// Record money received by hand (`cash`, `cheque`, `bank_transfer`, `other`; cards pay
    /// through Stripe). It is drawn down against the account's open invoices at once,
    /// `invoice_id` first; the rest is prepaid credit (an overpayment is never lost).
    /// `Idempotency-Key`: a retry with the same key and body returns the first payment, with
    /// another body `422`.
    ///
    /// Permission: `finance.manage`. Audited as `payment.recorded`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<PaymentCreate>,
        /// Makes a retried request safe: the first result is returned again.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Created> {
        if body.method == PaymentMethod::Card {
            return Err(AppError::validation(
                "method",
                "is only for stripe checkout; record cash, cheque, bank_transfer or other by hand",
            ));
        }
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let key = idempotency_key.0.as_deref();
        let hash = service::body_hash(&*body);
        if let Some(first) = service::replay(&mut tx, ctx.user_id, key, &hash).await? {
            let p = get(&mut tx, first)
                .await?
                .ok_or(AppError::NotFound("payment"))?;
            tx.end_read();
            return Ok(Created::Created(Json(p)));
        }
        let id = record(
            &mut tx,
            Some(ctx.user_id.into()),
            &NewPayment {
                account: body.account_id,
                method: body.method,
                amount_minor: body.amount_minor,
                currency: body.currency.as_deref(),
                received_on: body.received_on,
                reference: body.reference.as_deref(),
                notes: body.notes.as_deref(),
                invoice: body.invoice_id,
                stripe_checkout_session_id: None,
                stripe_payment_intent_id: None,
            },
        )
        .await?;
        service::remember(&mut tx, ctx.user_id, key, &hash, id).await?;
        let p = get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("payment"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "payment.recorded",
            "payment",
            id,
            &p,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(p)))
    }

    /// One payment with its refunds. Permission: `finance.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Payment>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let p = get(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("payment"))?;
        tx.end_read();
        Ok(Json(p))
    }

    /// Refund part or all of a payment (at most what is not refunded yet). The customer's
    /// prepaid credit pays it first; the rest reopens their most recently paid invoices.
    /// `409 refund-exceeds-balance` when the account holds less than the refund. A card
    /// payment is refunded on the organisation's own Stripe account in the same step (the
    /// refund carries Stripe's id; if Stripe refuses or cannot be reached nothing is recorded:
    /// `503 stripe-unavailable`; card payments off: `404 billing-disabled`).
    ///
    /// Permission: `finance.manage`. Audited as `payment.refunded`.
    #[oai(path = "/:id/refunds", method = "post")]
    async fn refund(
        &self,
        ctx: TenantCtx,
        state: Data<&Arc<AppState>>,
        id: Path<Uuid>,
        body: JsonBody<RefundCreate>,
    ) -> Result<RefundCreated> {
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let payment = get(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("payment"))?;
        let card = if payment.method == PaymentMethod::Card {
            let connect = super::stripe::connect(&state)?;
            let intent: Option<String> =
                sqlx::query_scalar("select stripe_payment_intent_id from payments where id = $1")
                    .bind(payment.id)
                    .fetch_one(&mut *tx)
                    .await?;
            let intent = intent.ok_or_else(|| AppError::Conflict {
                code: "refund-through-stripe",
                detail: "this card payment names no Stripe payment: refund it in Stripe".into(),
                field: None,
            })?;
            Some((connect, intent))
        } else {
            None
        };
        // Recorded first (every check of the books made, the account locked), then refunded
        // at Stripe under the refund's own id as idempotency key: a refusal rolls it all back.
        let refund_id = refund(
            &mut tx,
            Some(ctx.user_id.into()),
            &payment,
            body.amount_minor,
            body.reason.as_deref(),
            None,
        )
        .await?;
        if let Some((connect, intent)) = card {
            let tenant = ctx.tenant.id;
            let stripe_id = connect
                .refund(
                    tenant,
                    &intent,
                    body.amount_minor,
                    &[
                        ("payment_id", payment.id.to_string()),
                        ("refund_id", refund_id.to_string()),
                    ],
                    &format!("connect-refund:{tenant}:{refund_id}"),
                )
                .await
                .map_err(super::stripe::connect_error)?;
            sqlx::query("update refunds set stripe_refund_id = $2 where id = $1")
                .bind(refund_id)
                .bind(&stripe_id)
                .execute(&mut *tx)
                .await?;
        }
        let after = get(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("payment"))?;
        let r = after
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .cloned()
            .ok_or(AppError::NotFound("refund"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "payment.refunded",
            "payment",
            id.0,
            &payment,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(RefundCreated::Created(Json(r)))
    }
}
