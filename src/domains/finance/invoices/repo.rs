//! SQL of invoices: reading one with its lines, taxes and settlement; resolving requested lines
//! against the price list; writing a draft's lines and totals.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domains::finance::dto::{
    Category, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineInput, LineTax, TaxTotal, Unit,
};
use crate::domains::finance::money::{self, Priced, Rate};
use crate::domains::finance::prices::price_get;
use crate::error::{AppError, Result};
use crate::kernel::units::wire;
use crate::kernel::{AircraftId, UserId};

macro_rules! header_select {
    ($where:literal) => {
        concat!(
            "select i.id, i.kind, i.number, i.status, i.account_id, a.name as account_name,
                    i.credited_invoice_id, i.currency, i.subtotal_minor, i.tax_minor, i.total_minor,
                    coalesce(s.due_minor, 0)::bigint as due_minor,
                    coalesce(s.paid_minor, 0)::bigint as paid_minor,
                    coalesce(s.credited_minor, 0)::bigint as credited_minor,
                    i.source_type, i.source_id, i.issue_date, i.due_date, i.issued_at, i.voided_at,
                    i.void_reason, i.notes, i.version, i.created_at, i.updated_at
             from invoices i join finance_accounts a on a.id = i.account_id
             left join lateral (
                 select sum(l.amount_minor) as due_minor,
                        -sum(l.amount_minor) filter (
                            where t.kind in ('deposit_applied', 'deposit_unapplied')) as paid_minor,
                        -sum(l.amount_minor) filter (where t.kind = 'credit_note_issued')
                            as credited_minor
                 from ledger_lines l join ledger_transactions t on t.id = l.transaction_id
                 where l.invoice_id = i.id) s on true ",
            $where
        )
    };
}

#[derive(sqlx::FromRow)]
struct Header {
    id: Uuid,
    #[sqlx(try_from = "String")]
    kind: InvoiceKind,
    number: Option<String>,
    #[sqlx(try_from = "String")]
    status: InvoiceStatus,
    account_id: Uuid,
    account_name: String,
    credited_invoice_id: Option<Uuid>,
    currency: String,
    subtotal_minor: i64,
    tax_minor: i64,
    total_minor: i64,
    due_minor: i64,
    paid_minor: i64,
    credited_minor: i64,
    source_type: Option<String>,
    source_id: Option<Uuid>,
    issue_date: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    issued_at: Option<DateTime<Utc>>,
    voided_at: Option<DateTime<Utc>>,
    void_reason: Option<String>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Header> for Invoice {
    fn from(h: Header) -> Self {
        Invoice {
            id: h.id,
            kind: h.kind,
            number: h.number,
            status: h.status,
            account_id: h.account_id,
            account_name: h.account_name,
            credited_invoice_id: h.credited_invoice_id,
            currency: h.currency,
            subtotal_minor: h.subtotal_minor,
            tax_minor: h.tax_minor,
            total_minor: h.total_minor,
            due_minor: h.due_minor,
            paid_minor: h.paid_minor,
            credited_minor: h.credited_minor,
            source_type: h.source_type,
            source_id: h.source_id,
            issue_date: h.issue_date,
            due_date: h.due_date,
            issued_at: h.issued_at,
            voided_at: h.voided_at,
            void_reason: h.void_reason,
            notes: h.notes,
            lines: Vec::new(),
            taxes: Vec::new(),
            version: h.version,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: Uuid,
    line_no: i32,
    description: String,
    #[sqlx(try_from = "String")]
    category: Category,
    #[sqlx(try_from = "String")]
    unit: Unit,
    quantity_milli: i64,
    unit_price_minor: i64,
    amount_minor: i64,
    net_minor: i64,
    tax_minor: i64,
    price_item_id: Option<Uuid>,
    aircraft_id: Option<Uuid>,
    instructor_id: Option<Uuid>,
    credits_line_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct TaxRow {
    line_id: Uuid,
    tax_rate_id: Uuid,
    name: String,
    rate_ppm: i64,
    inclusive: bool,
    amount_minor: i64,
}

/// One invoice with its lines and taxes; `lock` takes its row lock first.
pub async fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Invoice>> {
    if lock {
        sqlx::query("select 1 from invoices where id = $1 for update")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let Some(h): Option<Header> = sqlx::query_as(header_select!("where i.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut inv = Invoice::from(h);
    let lines: Vec<LineRow> = sqlx::query_as(
        "select id, line_no, description, category, unit, quantity_milli, unit_price_minor,
                amount_minor, net_minor, tax_minor, price_item_id, aircraft_id, instructor_id,
                credits_line_id
         from invoice_lines where invoice_id = $1 order by line_no",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let taxes: Vec<TaxRow> = sqlx::query_as(
        "select t.line_id, t.tax_rate_id, t.name, t.rate_ppm::bigint as rate_ppm, t.inclusive,
                t.amount_minor
         from invoice_line_taxes t join invoice_lines l on l.id = t.line_id
         where l.invoice_id = $1 order by l.line_no, t.name",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_line: HashMap<Uuid, Vec<LineTax>> = HashMap::new();
    for t in taxes {
        match inv
            .taxes
            .iter_mut()
            .find(|s| s.tax_rate_id == t.tax_rate_id)
        {
            Some(s) => s.amount_minor += t.amount_minor,
            None => inv.taxes.push(TaxTotal {
                tax_rate_id: t.tax_rate_id,
                name: t.name.clone(),
                rate_ppm: t.rate_ppm,
                inclusive: t.inclusive,
                amount_minor: t.amount_minor,
            }),
        }
        by_line.entry(t.line_id).or_default().push(LineTax {
            tax_rate_id: t.tax_rate_id,
            name: t.name,
            rate_ppm: t.rate_ppm,
            inclusive: t.inclusive,
            amount_minor: t.amount_minor,
        });
    }
    inv.lines = lines
        .into_iter()
        .map(|l| InvoiceLine {
            taxes: by_line.remove(&l.id).unwrap_or_default(),
            id: l.id,
            line_no: l.line_no,
            description: l.description,
            category: l.category,
            unit: l.unit,
            quantity_milli: l.quantity_milli,
            unit_price_minor: l.unit_price_minor,
            amount_minor: l.amount_minor,
            net_minor: l.net_minor,
            tax_minor: l.tax_minor,
            total_minor: l.net_minor + l.tax_minor,
            price_item_id: l.price_item_id,
            aircraft_id: l.aircraft_id.map(AircraftId),
            instructor_id: l.instructor_id.map(UserId),
            credits_line_id: l.credits_line_id,
        })
        .collect();
    Ok(Some(inv))
}

/// Filters of the invoice list.
pub struct Filter {
    pub account_id: Option<Uuid>,
    pub status: Option<InvoiceStatus>,
    pub kind: Option<InvoiceKind>,
    pub source_type: Option<String>,
    pub source_id: Option<Uuid>,
}

/// Newest first, `limit + 1` rows, without lines.
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Invoice>> {
    let rows: Vec<Header> = sqlx::query_as(header_select!(
        "where i.id < $1 and ($2::uuid is null or i.account_id = $2)
           and ($3::text is null or i.status = $3) and ($4::text is null or i.kind = $4)
           and ($5::text is null or i.source_type = $5) and ($6::uuid is null or i.source_id = $6)
         order by i.id desc limit $7"
    ))
    .bind(after.unwrap_or(Uuid::max()))
    .bind(f.account_id)
    .bind(f.status.map(|s| wire(&s)))
    .bind(f.kind.map(|k| wire(&k)))
    .bind(&f.source_type)
    .bind(f.source_id)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Invoice::from).collect())
}

/// A line ready to price and write.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub description: String,
    pub category: Category,
    pub unit: Unit,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub price_item_id: Option<Uuid>,
    pub aircraft_id: Option<Uuid>,
    pub instructor_id: Option<Uuid>,
    pub rates: Vec<Rate>,
    pub credits_line_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct RateRow {
    id: Uuid,
    name: String,
    rate_ppm: i64,
    inclusive: bool,
}

/// The active tax rates `ids`, in that order; `422` on `field` when one is missing.
pub async fn rates(conn: &mut PgConnection, field: &str, ids: &[Uuid]) -> Result<Vec<Rate>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<RateRow> = sqlx::query_as(
        "select id, name, rate_ppm::bigint as rate_ppm, inclusive from tax_rates
         where id = any($1) and active",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    ids.iter()
        .map(|id| {
            rows.iter()
                .find(|r| r.id == *id)
                .map(|r| Rate {
                    id: r.id,
                    name: r.name.clone(),
                    rate_ppm: r.rate_ppm,
                    inclusive: r.inclusive,
                })
                .ok_or_else(|| {
                    AppError::validation(field, "names no active tax rate of this organisation")
                })
        })
        .collect()
}

/// Turns requested lines into lines to write: a price item's fields are the defaults (it must
/// be active and in the invoice's currency); without one, description, category, unit and
/// price are required. A discount's price is negative, any other line's not.
pub async fn resolve(
    conn: &mut PgConnection,
    currency: &str,
    inputs: &[LineInput],
) -> Result<Vec<NewLine>> {
    let mut out = Vec::with_capacity(inputs.len());
    for (i, l) in inputs.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let item = match l.price_item_id {
            Some(id) => {
                let p = price_get(conn, id, false)
                    .await?
                    .filter(|p| p.active)
                    .ok_or_else(|| {
                        AppError::validation(
                            at("price_item_id"),
                            "names no active price item of this organisation",
                        )
                    })?;
                if p.currency != currency {
                    return Err(AppError::validation(
                        at("price_item_id"),
                        format!("is priced in {}, the invoice in {currency}", p.currency),
                    ));
                }
                Some(p)
            }
            None => None,
        };
        let description = l
            .description
            .as_deref()
            .map(str::trim)
            .or(item.as_ref().map(|p| p.name.as_str()))
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                AppError::validation(at("description"), "is required without a price item")
            })?;
        let category = l
            .category
            .or(item.as_ref().map(|p| p.category))
            .ok_or_else(|| {
                AppError::validation(at("category"), "is required without a price item")
            })?;
        let unit = l
            .unit
            .or(item.as_ref().map(|p| p.unit))
            .ok_or_else(|| AppError::validation(at("unit"), "is required without a price item"))?;
        let unit_price_minor = l
            .unit_price_minor
            .or(item.as_ref().map(|p| p.unit_price_minor))
            .ok_or_else(|| {
                AppError::validation(at("unit_price_minor"), "is required without a price item")
            })?;
        if (unit_price_minor < 0) != (category == Category::Discount) {
            return Err(AppError::validation(
                at("unit_price_minor"),
                "must be negative for a discount and not negative otherwise",
            ));
        }
        let rate_ids = l
            .tax_rate_ids
            .clone()
            .or(item.as_ref().map(|p| p.tax_rate_ids.clone()))
            .unwrap_or_default();
        let rates = rates(conn, &at("tax_rate_ids"), &rate_ids).await?;
        out.push(NewLine {
            description: description.to_owned(),
            category,
            unit,
            quantity_milli: l.quantity_milli,
            unit_price_minor,
            price_item_id: item.as_ref().map(|p| p.id),
            aircraft_id: l
                .aircraft_id
                .or(item.as_ref().and_then(|p| p.aircraft_id))
                .map(Uuid::from),
            instructor_id: l
                .instructor_id
                .or(item.as_ref().and_then(|p| p.instructor_id))
                .map(Uuid::from),
            rates,
            credits_line_id: None,
        });
    }
    Ok(out)
}

/// A line and its priced amounts.
pub struct PricedLine {
    pub line: NewLine,
    pub priced: Priced,
}

/// Prices lines; `422` on the line whose amount is beyond what the ledger holds.
pub fn price_all(lines: Vec<NewLine>) -> Result<Vec<PricedLine>> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let priced = money::price(line.quantity_milli, line.unit_price_minor, &line.rates)
                .map_err(|_| {
                    AppError::validation(
                        format!("lines[{i}].quantity_milli"),
                        "makes too large an amount",
                    )
                })?;
            Ok(PricedLine { line, priced })
        })
        .collect()
}

/// Replaces a draft's lines with `lines` and sets its totals from them.
pub async fn write_lines(
    conn: &mut PgConnection,
    invoice: Uuid,
    lines: &[PricedLine],
) -> Result<()> {
    sqlx::query("delete from invoice_lines where invoice_id = $1")
        .bind(invoice)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<Uuid> = lines.iter().map(|_| Uuid::now_v7()).collect();
    let no: Vec<i32> = (1..=lines.len() as i32).collect();
    sqlx::query(
        "insert into invoice_lines (id, invoice_id, line_no, description, category, unit,
             quantity_milli, unit_price_minor, amount_minor, net_minor, tax_minor, price_item_id,
             aircraft_id, instructor_id, credits_line_id)
         select l.id, $1, l.no, l.description, l.category, l.unit, l.quantity, l.price, l.amount,
                l.net, l.tax, l.item, l.aircraft, l.instructor, l.credits
         from unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                     $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::uuid[],
                     $13::uuid[], $14::uuid[], $15::uuid[])
              as l(id, no, description, category, unit, quantity, price, amount, net, tax, item,
                   aircraft, instructor, credits)",
    )
    .bind(invoice)
    .bind(&ids)
    .bind(&no)
    .bind(
        lines
            .iter()
            .map(|l| l.line.description.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        lines
            .iter()
            .map(|l| wire(&l.line.category))
            .collect::<Vec<_>>(),
    )
    .bind(lines.iter().map(|l| wire(&l.line.unit)).collect::<Vec<_>>())
    .bind(
        lines
            .iter()
            .map(|l| l.line.quantity_milli)
            .collect::<Vec<_>>(),
    )
    .bind(
        lines
            .iter()
            .map(|l| l.line.unit_price_minor)
            .collect::<Vec<_>>(),
    )
    .bind(
        lines
            .iter()
            .map(|l| l.priced.amount_minor)
            .collect::<Vec<_>>(),
    )
    .bind(lines.iter().map(|l| l.priced.net_minor).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.priced.tax_minor).collect::<Vec<_>>())
    .bind(
        lines
            .iter()
            .map(|l| l.line.price_item_id)
            .collect::<Vec<_>>(),
    )
    .bind(lines.iter().map(|l| l.line.aircraft_id).collect::<Vec<_>>())
    .bind(
        lines
            .iter()
            .map(|l| l.line.instructor_id)
            .collect::<Vec<_>>(),
    )
    .bind(
        lines
            .iter()
            .map(|l| l.line.credits_line_id)
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    let mut t_line = Vec::new();
    let mut t_rate = Vec::new();
    let mut t_name = Vec::new();
    let mut t_ppm = Vec::new();
    let mut t_incl = Vec::new();
    let mut t_amount = Vec::new();
    for (id, l) in ids.iter().zip(lines) {
        for t in &l.priced.taxes {
            t_line.push(*id);
            t_rate.push(t.rate.id);
            t_name.push(t.rate.name.clone());
            t_ppm.push(t.rate.rate_ppm as i32);
            t_incl.push(t.rate.inclusive);
            t_amount.push(t.amount_minor);
        }
    }
    if !t_line.is_empty() {
        sqlx::query(
            "insert into invoice_line_taxes (line_id, tax_rate_id, name, rate_ppm, inclusive, amount_minor)
             select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::boolean[],
                                  $6::bigint[])",
        )
        .bind(&t_line)
        .bind(&t_rate)
        .bind(&t_name)
        .bind(&t_ppm)
        .bind(&t_incl)
        .bind(&t_amount)
        .execute(&mut *conn)
        .await?;
    }
    let subtotal: i64 = lines.iter().map(|l| l.priced.net_minor).sum();
    let tax: i64 = lines.iter().map(|l| l.priced.tax_minor).sum();
    sqlx::query(
        "update invoices set subtotal_minor = $2, tax_minor = $3, total_minor = $2 + $3 where id = $1",
    )
    .bind(invoice)
    .bind(subtotal)
    .bind(tax)
    .execute(conn)
    .await?;
    Ok(())
}

/// A draft to insert (no lines yet). `source` names what it charges for; a second live
/// invoice for one source is `409 conflict`.
pub struct Draft<'a> {
    pub kind: InvoiceKind,
    pub account: Uuid,
    pub currency: &'a str,
    pub credited: Option<Uuid>,
    pub source: Option<(&'a str, Uuid)>,
    pub due_date: Option<NaiveDate>,
    pub notes: Option<&'a str>,
    pub actor: Option<Uuid>,
}

/// Inserts a draft and returns its id.
pub async fn insert_draft(conn: &mut PgConnection, d: &Draft<'_>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into invoices (id, kind, account_id, currency, credited_invoice_id, source_type,
             source_id, due_date, notes, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(wire(&d.kind))
    .bind(d.account)
    .bind(d.currency)
    .bind(d.credited)
    .bind(d.source.map(|s| s.0))
    .bind(d.source.map(|s| s.1))
    .bind(d.due_date)
    .bind(d.notes)
    .bind(d.actor)
    .execute(conn)
    .await?;
    Ok(id)
}
