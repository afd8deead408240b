//! The double-entry ledger: every money movement is one transaction whose lines sum to zero
//! (debits positive, credits negative), written in the caller's database transaction. Nothing
//! here updates or deletes a ledger row (triggers refuse it); balances are sums of lines.
//!
//! Ledgers: `receivables` (a customer's invoices, per invoice), `deposits` (a customer's prepaid
//! money, a liability: credit is negative), `revenue` (per category), `tax_payable` (per tax
//! rate), and the money ledgers `cash`, `bank`, `stripe_clearing`.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::{AppError, Result};

/// One line of a transaction.
#[derive(Debug, Clone)]
pub struct Line {
    pub ledger: &'static str,
    pub category: Option<String>,
    pub tax_rate_id: Option<Uuid>,
    pub customer: Option<Uuid>,
    pub invoice: Option<Uuid>,
    pub amount_minor: i64,
}

impl Line {
    pub fn receivable(customer: Uuid, invoice: Uuid, amount_minor: i64) -> Self {
        Self::plain("receivables", amount_minor).customer(customer, Some(invoice))
    }

    pub fn deposit(customer: Uuid, amount_minor: i64) -> Self {
        Self::plain("deposits", amount_minor).customer(customer, None)
    }

    pub fn revenue(category: &str, amount_minor: i64) -> Self {
        Self {
            category: Some(category.to_owned()),
            ..Self::plain("revenue", amount_minor)
        }
    }

    pub fn tax(rate: Uuid, amount_minor: i64) -> Self {
        Self {
            tax_rate_id: Some(rate),
            ..Self::plain("tax_payable", amount_minor)
        }
    }

    /// `cash`, `bank` or `stripe_clearing`.
    pub fn money(ledger: &'static str, amount_minor: i64) -> Self {
        Self::plain(ledger, amount_minor)
    }

    fn plain(ledger: &'static str, amount_minor: i64) -> Self {
        Self {
            ledger,
            category: None,
            tax_rate_id: None,
            customer: None,
            invoice: None,
            amount_minor,
        }
    }

    fn customer(mut self, customer: Uuid, invoice: Option<Uuid>) -> Self {
        self.customer = Some(customer);
        self.invoice = invoice;
        self
    }
}

/// What a transaction is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Refs {
    pub account: Option<Uuid>,
    pub invoice: Option<Uuid>,
    pub payment: Option<Uuid>,
    pub refund: Option<Uuid>,
}

/// Writes one balanced transaction (lines of zero are left out; lines on the same ledger,
/// category, tax rate, customer and invoice are summed). Returns its id, or `None` when nothing
/// is left to write.
pub async fn post(
    conn: &mut PgConnection,
    kind: &str,
    refs: Refs,
    memo: &str,
    actor: Option<Uuid>,
    currency: &str,
    lines: Vec<Line>,
) -> Result<Option<Uuid>> {
    let mut merged: Vec<Line> = Vec::with_capacity(lines.len());
    for l in lines {
        match merged.iter_mut().find(|m| {
            m.ledger == l.ledger
                && m.category == l.category
                && m.tax_rate_id == l.tax_rate_id
                && m.customer == l.customer
                && m.invoice == l.invoice
        }) {
            Some(m) => m.amount_minor += l.amount_minor,
            None => merged.push(l),
        }
    }
    merged.retain(|l| l.amount_minor != 0);
    if merged.is_empty() {
        return Ok(None);
    }
    let sum: i128 = merged.iter().map(|l| i128::from(l.amount_minor)).sum();
    if sum != 0 {
        return Err(AppError::Internal(anyhow::anyhow!(
            "unbalanced ledger transaction {kind}: {sum}"
        )));
    }
    let id = Uuid::now_v7();
    let memo: String = memo.chars().take(500).collect();
    sqlx::query(
        "with t as (
             insert into ledger_transactions
                 (id, kind, account_id, invoice_id, payment_id, refund_id, memo, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8) returning id)
         insert into ledger_lines
             (transaction_id, ledger, category, tax_rate_id, customer_account_id, invoice_id,
              amount_minor, currency)
         select (select id from t), l.ledger, l.category, l.tax_rate_id, l.customer, l.invoice,
                l.amount, $9
         from unnest($10::text[], $11::text[], $12::uuid[], $13::uuid[], $14::uuid[],
                     $15::bigint[]) as l(ledger, category, tax_rate_id, customer, invoice, amount)",
    )
    .bind(id)
    .bind(kind)
    .bind(refs.account)
    .bind(refs.invoice)
    .bind(refs.payment)
    .bind(refs.refund)
    .bind(&memo)
    .bind(actor)
    .bind(currency)
    .bind(merged.iter().map(|l| l.ledger).collect::<Vec<_>>())
    .bind(
        merged
            .iter()
            .map(|l| l.category.clone())
            .collect::<Vec<_>>(),
    )
    .bind(merged.iter().map(|l| l.tax_rate_id).collect::<Vec<_>>())
    .bind(merged.iter().map(|l| l.customer).collect::<Vec<_>>())
    .bind(merged.iter().map(|l| l.invoice).collect::<Vec<_>>())
    .bind(merged.iter().map(|l| l.amount_minor).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(Some(id))
}

/// A customer's position: what they owe on invoices and what they have prepaid.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Position {
    /// Open invoices (receivables), ≥ 0.
    pub receivable_minor: i64,
    /// Prepaid money not yet drawn down (deposits), ≥ 0.
    pub deposit_minor: i64,
}

impl Position {
    /// Deposit minus receivables: positive is the customer's credit, negative what they owe.
    pub fn balance_minor(&self) -> i64 {
        self.deposit_minor - self.receivable_minor
    }
}

/// The sums of a customer's receivables and deposits lines.
pub async fn position(conn: &mut PgConnection, account: Uuid) -> Result<Position> {
    Ok(sqlx::query_as(
        "select coalesce(sum(amount_minor) filter (where ledger = 'receivables'), 0)::bigint
                    as receivable_minor,
                coalesce(-sum(amount_minor) filter (where ledger = 'deposits'), 0)::bigint
                    as deposit_minor
         from ledger_lines where customer_account_id = $1",
    )
    .bind(account)
    .fetch_one(conn)
    .await?)
}

/// What the ledger says about invoices: the receivable still open, what deposits (payments)
/// settled and what credit notes took off.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Settlement {
    pub invoice_id: Uuid,
    pub due_minor: i64,
    pub paid_minor: i64,
    pub credited_minor: i64,
}

pub async fn settlements(conn: &mut PgConnection, invoices: &[Uuid]) -> Result<Vec<Settlement>> {
    Ok(sqlx::query_as(
        "select l.invoice_id,
                sum(l.amount_minor)::bigint as due_minor,
                coalesce(-sum(l.amount_minor) filter (
                    where t.kind in ('deposit_applied', 'deposit_unapplied')), 0)::bigint
                    as paid_minor,
                coalesce(-sum(l.amount_minor) filter (where t.kind = 'credit_note_issued'), 0)::bigint
                    as credited_minor
         from ledger_lines l join ledger_transactions t on t.id = l.transaction_id
         where l.invoice_id = any($1)
         group by l.invoice_id",
    )
    .bind(invoices)
    .fetch_all(conn)
    .await?)
}

/// The books of the tenant, per ledger and currency, and whether every transaction balances.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerSum {
    pub ledger: String,
    pub currency: String,
    pub balance_minor: i64,
}

pub async fn trial_balance(conn: &mut PgConnection) -> Result<(Vec<LedgerSum>, i64)> {
    let sums: Vec<LedgerSum> = sqlx::query_as(
        "select ledger, currency, sum(amount_minor)::bigint as balance_minor
         from ledger_lines group by ledger, currency order by currency, ledger",
    )
    .fetch_all(&mut *conn)
    .await?;
    let unbalanced: i64 = sqlx::query_scalar(
        "select count(*) from (
             select 1 from ledger_lines group by transaction_id, currency
             having sum(amount_minor) <> 0) u",
    )
    .fetch_one(conn)
    .await?;
    Ok((sums, unbalanced))
}
