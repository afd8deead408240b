//! What changes the books: issuing (with its gapless number), voiding, crediting, and drawing a
//! customer's deposit down against their open invoices. Each runs in the caller's transaction,
//! holds the account's row lock (money movements of one account are serialised) and posts
//! balanced ledger transactions.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, NewLine, PricedLine};
use crate::domains::finance::dto::{CreditLineInput, Invoice, InvoiceKind, InvoiceStatus};
use crate::domains::finance::ledger::{self, Line, Refs};
use crate::domains::finance::money::{self, LineTax, Priced, Rate};
use crate::domains::settings::service as settings;
use crate::error::{AppError, Result};
use crate::kernel::units::wire;

fn conflict(code: &'static str, detail: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        detail: detail.into(),
        field: None,
    }
}

/// A booking's invoice issued locks the booking's flight (14 CFR 61.51 records are not changed
/// under an invoice; a credit note corrects the charge); voided, it unlocks it.
async fn lock_flight(conn: &mut PgConnection, inv: &Invoice, invoice: Option<Uuid>) -> Result<()> {
    if inv.source_type.as_deref() == Some("booking")
        && let Some(booking) = inv.source_id
    {
        crate::domains::flights::service::mark_invoiced(conn, booking.into(), invoice).await?;
    }
    Ok(())
}

/// Locks the account's row: every money movement of one account holds it.
pub async fn lock_account(conn: &mut PgConnection, account: Uuid) -> Result<()> {
    sqlx::query("select 1 from finance_accounts where id = $1 for update")
        .bind(account)
        .execute(conn)
        .await?;
    Ok(())
}

/// Today in the tenant's time zone.
pub async fn today(conn: &mut PgConnection) -> Result<NaiveDate> {
    let tz = settings::timezone(conn).await?;
    Ok(sqlx::query_scalar("select (now() at time zone $1)::date")
        .bind(&tz)
        .fetch_one(conn)
        .await?)
}

/// The next number of `year`: `<prefix><year>-<number>` from the `invoice_numbering` setting
/// (prefix default `INV-`, padding default 5; `next_number` is where a year with no invoice yet
/// starts, default 1). The year's row stays locked until the caller commits, so numbers are
/// gapless and unique however many issue at once; a rolled-back issue gives its number back.
pub async fn next_number(conn: &mut PgConnection, year: i32) -> Result<String> {
    let setting = settings::read(conn, "invoice_numbering").await?;
    let get = |k: &str| setting.as_ref().and_then(|s| s.get(k).cloned());
    let prefix = get("prefix")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "INV-".into());
    let start = get("next_number").and_then(|v| v.as_i64()).unwrap_or(1);
    let padding = get("padding").and_then(|v| v.as_u64()).unwrap_or(5).min(12) as usize;
    sqlx::query(
        "insert into invoice_sequences (year, next_number) values ($1, $2) on conflict do nothing",
    )
    .bind(year)
    .bind(start.max(1))
    .execute(&mut *conn)
    .await?;
    let n: i64 = sqlx::query_scalar(
        "update invoice_sequences set next_number = next_number + 1 where year = $1
         returning next_number - 1",
    )
    .bind(year)
    .fetch_one(conn)
    .await?;
    Ok(format!("{prefix}{year}-{n:0padding$}"))
}

/// The ledger lines an issued invoice posts: receivable of the total, revenue per category,
/// tax payable per rate.
fn issue_lines(inv: &Invoice) -> Vec<Line> {
    let mut lines = vec![Line::receivable(inv.account_id, inv.id, inv.total_minor)];
    for l in &inv.lines {
        lines.push(Line::revenue(&wire(&l.category), -l.net_minor));
        for t in &l.taxes {
            lines.push(Line::tax(t.tax_rate_id, -t.amount_minor));
        }
    }
    lines
}

/// Issues a draft invoice: its number, issue date (today, local) and due date (the draft's, or
/// today plus the account's payment terms), then the ledger, then the account's deposit drawn
/// down against it. `409 invoice-not-draft` unless a draft; `422` for an invoice without lines
/// or with a total that is not positive; `409 account-archived`.
pub async fn issue(conn: &mut PgConnection, actor: Option<Uuid>, id: Uuid) -> Result<Invoice> {
    let inv = repo::get(conn, id, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    lock_account(conn, inv.account_id).await?;
    let inv = repo::get(conn, id, true)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    if inv.status != InvoiceStatus::Draft || inv.kind != InvoiceKind::Invoice {
        return Err(conflict(
            "invoice-not-draft",
            "only a draft invoice can be issued",
        ));
    }
    if inv.lines.is_empty() || inv.total_minor <= 0 {
        return Err(AppError::validation(
            "lines",
            "an invoice needs lines with a positive total",
        ));
    }
    let (archived, terms): (bool, i32) = sqlx::query_as(
        "select archived_at is not null, payment_terms_days from finance_accounts where id = $1",
    )
    .bind(inv.account_id)
    .fetch_one(&mut *conn)
    .await?;
    if archived {
        return Err(conflict("account-archived", "the account is archived"));
    }
    let today = today(conn).await?;
    let due = inv
        .due_date
        .unwrap_or(today + chrono::Days::new(u64::try_from(terms).unwrap_or(0)));
    if due < today {
        return Err(AppError::validation(
            "due_date",
            "must not be before issue_date",
        ));
    }
    let number = next_number(conn, chrono::Datelike::year(&today)).await?;
    sqlx::query(
        "update invoices set status = 'issued', number = $2, issue_date = $3, due_date = $4,
             issued_at = now(), version = version + 1
         where id = $1",
    )
    .bind(id)
    .bind(&number)
    .bind(today)
    .bind(due)
    .execute(&mut *conn)
    .await?;
    ledger::post(
        conn,
        "invoice_issued",
        Refs {
            account: Some(inv.account_id),
            invoice: Some(id),
            ..Refs::default()
        },
        &format!("Invoice {number}"),
        actor,
        &inv.currency,
        issue_lines(&inv),
    )
    .await?;
    lock_flight(conn, &inv, Some(id)).await?;
    settle(conn, actor, inv.account_id, &inv.currency, Some(id)).await?;
    repo::get(conn, id, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}

/// Voids a draft, or an issued invoice nothing was paid or credited on (its ledger entry is
/// reversed by a new transaction; its number stays used). Otherwise `409 invoice-settled`:
/// correct it with a credit note.
pub async fn void(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    id: Uuid,
    reason: &str,
) -> Result<Invoice> {
    let inv = repo::get(conn, id, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    lock_account(conn, inv.account_id).await?;
    let inv = repo::get(conn, id, true)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    match (inv.kind, inv.status) {
        (_, InvoiceStatus::Void) => {
            return Err(conflict("invoice-void", "the invoice is void already"));
        }
        (InvoiceKind::CreditNote, _) => {
            return Err(conflict(
                "invoice-settled",
                "a credit note cannot be voided",
            ));
        }
        (_, InvoiceStatus::Draft) => {}
        (_, InvoiceStatus::Issued) if inv.paid_minor == 0 && inv.credited_minor == 0 => {
            let lines = issue_lines(&inv)
                .into_iter()
                .map(|mut l| {
                    l.amount_minor = -l.amount_minor;
                    l
                })
                .collect();
            ledger::post(
                conn,
                "invoice_voided",
                Refs {
                    account: Some(inv.account_id),
                    invoice: Some(id),
                    ..Refs::default()
                },
                &format!("Invoice {} voided", inv.number.as_deref().unwrap_or("")),
                actor,
                &inv.currency,
                lines,
            )
            .await?;
        }
        _ => {
            return Err(conflict(
                "invoice-settled",
                "money was received or credited on this invoice: issue a credit note instead",
            ));
        }
    }
    lock_flight(conn, &inv, None).await?;
    sqlx::query(
        "update invoices set status = 'void', voided_at = now(), void_reason = $2,
             version = version + 1 where id = $1",
    )
    .bind(id)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    repo::get(conn, id, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}

#[derive(sqlx::FromRow)]
struct Credited {
    credits_line_id: Uuid,
    quantity_milli: i64,
    amount_minor: i64,
    net_minor: i64,
    tax_minor: i64,
}

#[derive(sqlx::FromRow)]
struct CreditedTax {
    credits_line_id: Uuid,
    tax_rate_id: Uuid,
    amount_minor: i64,
}

/// Issues a credit note against an issued invoice: the lines (and quantities) named, or all
/// that is not credited yet. Its numbered document takes back revenue and tax; the credit
/// settles the invoice's open amount first and the rest goes to the customer's deposit (drawn
/// down against their other open invoices). Returns the credit note.
pub async fn credit(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    id: Uuid,
    reason: &str,
    wanted: Option<&[CreditLineInput]>,
) -> Result<Invoice> {
    let inv = repo::get(conn, id, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    lock_account(conn, inv.account_id).await?;
    let inv = repo::get(conn, id, true)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    if inv.kind != InvoiceKind::Invoice
        || matches!(inv.status, InvoiceStatus::Draft | InvoiceStatus::Void)
    {
        return Err(conflict(
            "invoice-not-issued",
            "only an issued invoice can be credited (a draft is edited or voided)",
        ));
    }
    let done: Vec<Credited> = sqlx::query_as(
        "select l.credits_line_id, sum(l.quantity_milli)::bigint as quantity_milli,
                sum(l.amount_minor)::bigint as amount_minor, sum(l.net_minor)::bigint as net_minor,
                sum(l.tax_minor)::bigint as tax_minor
         from invoice_lines l join invoices c on c.id = l.invoice_id
         where c.credited_invoice_id = $1 and c.status <> 'void' and l.credits_line_id is not null
         group by l.credits_line_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let done_tax: Vec<CreditedTax> = sqlx::query_as(
        "select l.credits_line_id, t.tax_rate_id, sum(t.amount_minor)::bigint as amount_minor
         from invoice_line_taxes t join invoice_lines l on l.id = t.line_id
         join invoices c on c.id = l.invoice_id
         where c.credited_invoice_id = $1 and c.status <> 'void'
         group by l.credits_line_id, t.tax_rate_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let requests: Vec<(usize, Uuid, Option<i64>)> = match wanted {
        Some(w) => w
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.line_id, Some(c.quantity_milli)))
            .collect(),
        None => inv
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.id, None))
            .collect(),
    };
    let mut lines: Vec<PricedLine> = Vec::new();
    for (i, line_id, quantity) in requests {
        let Some(l) = inv.lines.iter().find(|l| l.id == line_id) else {
            return Err(AppError::validation(
                format!("lines[{i}].line_id"),
                "names no line of this invoice",
            ));
        };
        if wanted.is_some()
            && lines
                .iter()
                .any(|p| p.line.credits_line_id == Some(line_id))
        {
            return Err(AppError::validation(
                format!("lines[{i}].line_id"),
                "appears more than once",
            ));
        }
        let rates: Vec<Rate> = l
            .taxes
            .iter()
            .map(|t| Rate {
                id: t.tax_rate_id,
                name: t.name.clone(),
                rate_ppm: t.rate_ppm,
                inclusive: t.inclusive,
            })
            .collect();
        let as_priced = |amount, net, tax, taxes: Vec<LineTax>| Priced {
            amount_minor: amount,
            net_minor: net,
            tax_minor: tax,
            taxes,
        };
        let original = as_priced(
            l.amount_minor,
            l.net_minor,
            l.tax_minor,
            rates
                .iter()
                .zip(&l.taxes)
                .map(|(r, t)| LineTax {
                    rate: r.clone(),
                    amount_minor: t.amount_minor,
                })
                .collect(),
        );
        let before = done.iter().find(|d| d.credits_line_id == line_id);
        let credited = as_priced(
            before.map_or(0, |d| d.amount_minor),
            before.map_or(0, |d| d.net_minor),
            before.map_or(0, |d| d.tax_minor),
            rates
                .iter()
                .map(|r| LineTax {
                    rate: r.clone(),
                    amount_minor: done_tax
                        .iter()
                        .find(|d| d.credits_line_id == line_id && d.tax_rate_id == r.id)
                        .map_or(0, |d| d.amount_minor),
                })
                .collect(),
        );
        let credited_q = before.map_or(0, |d| d.quantity_milli);
        let left = l.quantity_milli - credited_q;
        let q = quantity.unwrap_or(left);
        if q <= 0 && quantity.is_none() {
            continue;
        }
        if q > left {
            return Err(AppError::validation(
                format!("lines[{i}].quantity_milli"),
                format!("must not exceed the {left} not credited yet"),
            ));
        }
        let priced = money::credit_part(
            &original,
            l.unit_price_minor,
            l.quantity_milli,
            credited_q,
            &credited,
            q,
        )
        .map_err(|_| AppError::validation(format!("lines[{i}].quantity_milli"), "is too large"))?;
        lines.push(PricedLine {
            line: NewLine {
                description: l.description.clone(),
                category: l.category,
                unit: l.unit,
                quantity_milli: q,
                unit_price_minor: l.unit_price_minor,
                price_item_id: l.price_item_id,
                aircraft_id: l.aircraft_id.map(Into::into),
                instructor_id: l.instructor_id.map(Into::into),
                rates,
                credits_line_id: Some(l.id),
            },
            priced,
        });
    }
    let total: i64 = lines.iter().map(|l| l.priced.total_minor()).sum();
    if lines.is_empty() || total <= 0 {
        return Err(conflict(
            "nothing-to-credit",
            "nothing of this invoice is left to credit",
        ));
    }
    let note = repo::insert_draft(
        conn,
        &repo::Draft {
            kind: InvoiceKind::CreditNote,
            account: inv.account_id,
            currency: &inv.currency,
            credited: Some(id),
            source: None,
            due_date: None,
            notes: Some(reason),
            actor,
        },
    )
    .await?;
    repo::write_lines(conn, note, &lines).await?;
    let today = today(conn).await?;
    let number = next_number(conn, chrono::Datelike::year(&today)).await?;
    sqlx::query(
        "update invoices set status = 'issued', number = $2, issue_date = $3, due_date = $3,
             issued_at = now() where id = $1",
    )
    .bind(note)
    .bind(&number)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    let to_invoice = total.min(inv.due_minor.max(0));
    let mut ledger_lines = vec![
        Line::receivable(inv.account_id, id, -to_invoice),
        Line::deposit(inv.account_id, -(total - to_invoice)),
    ];
    for l in &lines {
        ledger_lines.push(Line::revenue(&wire(&l.line.category), l.priced.net_minor));
        for t in &l.priced.taxes {
            ledger_lines.push(Line::tax(t.rate.id, t.amount_minor));
        }
    }
    ledger::post(
        conn,
        "credit_note_issued",
        Refs {
            account: Some(inv.account_id),
            invoice: Some(note),
            ..Refs::default()
        },
        &format!(
            "Credit note {number} for invoice {}",
            inv.number.as_deref().unwrap_or("")
        ),
        actor,
        &inv.currency,
        ledger_lines,
    )
    .await?;
    refresh_status(conn, &[id]).await?;
    settle(conn, actor, inv.account_id, &inv.currency, None).await?;
    repo::get(conn, note, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}

/// Sets the status of issued invoices from their open amount in the ledger: nothing open is
/// `paid`, part open `partly_paid`, all open `issued`.
pub async fn refresh_status(conn: &mut PgConnection, ids: &[Uuid]) -> Result<()> {
    sqlx::query(
        "update invoices i set status = s.status, version = i.version + 1
         from (select i2.id,
                      case when coalesce(sum(l.amount_minor), 0) <= 0 then 'paid'
                           when sum(l.amount_minor) < i2.total_minor then 'partly_paid'
                           else 'issued' end as status
               from invoices i2 left join ledger_lines l on l.invoice_id = i2.id
               where i2.id = any($1) group by i2.id) s
         where i.id = s.id and i.kind = 'invoice' and i.status in ('issued', 'partly_paid', 'paid')
           and i.status <> s.status",
    )
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Open {
    id: Uuid,
    number: Option<String>,
    due_minor: i64,
}

/// Draws the account's deposit down against its open invoices: `first` before the others,
/// then by due date. One `deposit_applied` transaction; statuses follow.
pub async fn settle(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    account: Uuid,
    currency: &str,
    first: Option<Uuid>,
) -> Result<()> {
    let pos = ledger::position(conn, account).await?;
    if pos.deposit_minor <= 0 {
        return Ok(());
    }
    let open: Vec<Open> = sqlx::query_as(
        "select i.id, i.number, sum(l.amount_minor)::bigint as due_minor
         from invoices i join ledger_lines l on l.invoice_id = i.id
         where i.account_id = $1 and i.status in ('issued', 'partly_paid') and i.currency = $3
         group by i.id
         having sum(l.amount_minor) > 0
         order by i.id = $2 desc, i.due_date, i.issued_at, i.id",
    )
    .bind(account)
    .bind(first.unwrap_or(Uuid::nil()))
    .bind(currency)
    .fetch_all(&mut *conn)
    .await?;
    let mut left = pos.deposit_minor;
    let mut lines = Vec::new();
    let mut applied = 0i64;
    let mut ids = Vec::new();
    let mut numbers = Vec::new();
    for o in open {
        if left == 0 {
            break;
        }
        let a = left.min(o.due_minor);
        lines.push(Line::receivable(account, o.id, -a));
        applied += a;
        left -= a;
        ids.push(o.id);
        numbers.push(o.number.unwrap_or_default());
    }
    if applied == 0 {
        return Ok(());
    }
    lines.push(Line::deposit(account, applied));
    ledger::post(
        conn,
        "deposit_applied",
        Refs {
            account: Some(account),
            invoice: ids.first().copied().filter(|_| ids.len() == 1),
            ..Refs::default()
        },
        &format!("Deposit applied to {}", numbers.join(", ")),
        actor,
        currency,
        lines,
    )
    .await?;
    refresh_status(conn, &ids).await
}
