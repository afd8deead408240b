//! An invoice as a document: its PDF (`GET /invoices/{id}/pdf`), and the e-mail with the
//! customer's secret link (`POST /invoices/{id}/send`) to a page and a PDF they open without an
//! account (`crate::links`, kind `inv`). Sending again replaces the link (the old one stops
//! working); the database keeps only the link's SHA-256 digest.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Invoice, InvoiceKind, InvoiceStatus};
use super::invoices::repo;
use super::pdf::{self, PdfInvoice, PdfLine, PdfTax, format_money, format_quantity};
use super::{FINANCE_MANAGE, FINANCE_READ};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::kernel::manifest::{
    LinkBody, LinkCharge, LinkKind, LinkPayment, LinkRequest, LinkReturn, LinkView,
};
use crate::mail::{self, Email, escape_html};
use crate::state::AppState;

/// The customer's secret link to an invoice.
pub const INVOICE_LINK: LinkKind = LinkKind {
    key: "inv",
    flag: super::FLAG,
    render: render_boxed,
    pay: Some(pay_boxed),
    accept: None,
};

fn render_boxed(
    conn: &mut PgConnection,
    req: LinkRequest,
) -> BoxFuture<'_, Result<Option<LinkBody>, sqlx::Error>> {
    Box::pin(render_link(conn, req))
}

fn pay_boxed(
    conn: &mut PgConnection,
    digest: Vec<u8>,
) -> BoxFuture<'_, Result<LinkPayment, sqlx::Error>> {
    Box::pin(pay_link(conn, digest))
}

/// The invoice behind a link digest (never a draft).
async fn linked(conn: &mut PgConnection, digest: &[u8]) -> Result<Option<Invoice>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "select id from invoices where public_token_hash = $1 and status <> 'draft'",
    )
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    match repo::get(conn, id, false).await {
        Ok(inv) => Ok(inv),
        Err(AppError::Db(e)) => Err(e),
        Err(e) => Err(sqlx::Error::Protocol(e.to_string())),
    }
}

/// What the customer's pay button charges: all that is due on the invoice, with the metadata
/// the payment events read back (the same as `stripe::invoice_checkout`).
async fn pay_link(conn: &mut PgConnection, digest: Vec<u8>) -> Result<LinkPayment, sqlx::Error> {
    let Some(inv) = linked(conn, &digest).await? else {
        return Ok(LinkPayment::NoLink);
    };
    if inv.kind != InvoiceKind::Invoice
        || !matches!(
            inv.status,
            InvoiceStatus::Issued | InvoiceStatus::PartlyPaid
        )
        || inv.due_minor <= 0
    {
        return Ok(LinkPayment::NothingDue);
    }
    Ok(LinkPayment::Charge(LinkCharge {
        kind: "invoice",
        metadata: vec![
            ("invoice_id", inv.id.to_string()),
            ("account_id", inv.account_id.to_string()),
        ],
        description: format!("Invoice {}", inv.number.as_deref().unwrap_or("")),
        amount_minor: inv.due_minor,
        currency: inv.currency.clone(),
        idempotency_key: format!("link-checkout:invoice:{}:{}", inv.id, inv.due_minor),
    }))
}

/// The PDF of an invoice or credit note.
pub fn pdf_of(inv: &Invoice, issuer: &str, email: Option<&str>) -> Vec<u8> {
    let lines: Vec<PdfLine<'_>> = inv
        .lines
        .iter()
        .map(|l| PdfLine {
            description: &l.description,
            quantity_milli: l.quantity_milli,
            unit_price_minor: l.unit_price_minor,
            amount_minor: l.amount_minor,
        })
        .collect();
    let taxes: Vec<PdfTax<'_>> = inv
        .taxes
        .iter()
        .map(|t| PdfTax {
            name: &t.name,
            rate_ppm: t.rate_ppm,
            inclusive: t.inclusive,
            amount_minor: t.amount_minor,
        })
        .collect();
    pdf::render(&PdfInvoice {
        title: if inv.kind == InvoiceKind::CreditNote {
            "Credit note"
        } else {
            "Invoice"
        },
        number: inv.number.as_deref(),
        issuer,
        customer_name: &inv.account_name,
        customer_email: email,
        issued_on: inv.issue_date,
        due_on: inv.due_date,
        currency: &inv.currency,
        lines: &lines,
        taxes: &taxes,
        subtotal_minor: inv.subtotal_minor,
        tax_minor: inv.tax_minor,
        total_minor: inv.total_minor,
        paid_minor: inv.paid_minor + inv.credited_minor,
        due_minor: inv.due_minor,
        notes: inv.notes.as_deref(),
        pay_url: None,
    })
}

fn file_name(inv: &Invoice) -> String {
    let n: String = inv
        .number
        .as_deref()
        .unwrap_or("draft")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{n}.pdf")
}

/// The customer's page: the invoice as an HTML table, every text escaped.
/// `token` is the link's own last path segment (relative links resolve against it); `payable`
/// shows the pay button while something is due; `returned` says how the customer came back from
/// Stripe Checkout (after a completed Checkout the button stays hidden until the webhook has
/// recorded the payment, so nobody pays twice while it is on its way).
fn page(
    inv: &Invoice,
    issuer: &str,
    token: &str,
    payable: bool,
    returned: Option<LinkReturn>,
) -> String {
    let money = |m: i64| escape_html(&format_money(m, &inv.currency));
    let mut rows = String::new();
    for l in &inv.lines {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            escape_html(&l.description),
            escape_html(&format_quantity(l.quantity_milli)),
            money(l.unit_price_minor),
            money(l.amount_minor)
        ));
    }
    let mut totals = format!(
        "<tr><td>Subtotal</td><td class=n>{}</td></tr>",
        money(inv.subtotal_minor)
    );
    for t in &inv.taxes {
        totals.push_str(&format!(
            "<tr><td>{}{}</td><td class=n>{}</td></tr>",
            escape_html(&t.name),
            if t.inclusive { " (incl.)" } else { "" },
            money(t.amount_minor)
        ));
    }
    totals.push_str(&format!(
        "<tr><th>Total</th><th class=n>{}</th></tr><tr><td>Paid</td><td class=n>{}</td></tr>\
         <tr><th>Amount due</th><th class=n>{}</th></tr>",
        money(inv.total_minor),
        money(inv.paid_minor + inv.credited_minor),
        money(inv.due_minor)
    ));
    let title = if inv.kind == InvoiceKind::CreditNote {
        "Credit note"
    } else {
        "Invoice"
    };
    let status = match (inv.status, returned) {
        (InvoiceStatus::Void, _) => "<p class=void>This invoice is void.</p>",
        (InvoiceStatus::Paid, _) => "<p>Paid in full. Thank you.</p>",
        (_, Some(LinkReturn::Paid)) => {
            "<p class=note>Thank you: your card payment is being confirmed. This page shows it \
             as paid once it is; reload it in a minute.</p>"
        }
        (_, Some(LinkReturn::Cancelled)) => {
            "<p class=note>The card payment was cancelled: nothing was charged.</p>"
        }
        _ => "",
    };
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{title} {number}</title><style>body{{font-family:sans-serif;max-width:48em;\
         margin:2em auto;padding:0 1em}}table{{border-collapse:collapse;width:100%}}\
         td,th{{padding:.3em;border-bottom:1px solid #ddd;text-align:left}}.n{{text-align:right}}\
         .void{{color:#b00;font-weight:bold}}.note{{background:#f4f4f4;padding:.5em}}</style></head><body>\
         <h1>{issuer}</h1><h2>{title} {number}</h2>{status}\
         <p>For {customer}. Issued {issued}, due {due}.</p>\
         <table><tr><th>Description</th><th class=n>Quantity</th><th class=n>Unit price</th>\
         <th class=n>Amount</th></tr>{rows}</table><table>{totals}</table>{notes}{pay}\
         <p><a href=\"{token}/pdf\">Download as PDF</a></p></body></html>",
        token = escape_html(token),
        pay = if payable
            && returned != Some(LinkReturn::Paid)
            && inv.kind == InvoiceKind::Invoice
            && matches!(
                inv.status,
                InvoiceStatus::Issued | InvoiceStatus::PartlyPaid
            )
            && inv.due_minor > 0
        {
            format!(
                "<form method=post action=\"{}/pay\"><button>Pay {} by card</button></form>",
                escape_html(token),
                money(inv.due_minor)
            )
        } else {
            String::new()
        },
        issuer = escape_html(issuer),
        number = escape_html(inv.number.as_deref().unwrap_or("")),
        customer = escape_html(&inv.account_name),
        issued = inv.issue_date.map(|d| d.to_string()).unwrap_or_default(),
        due = inv.due_date.map(|d| d.to_string()).unwrap_or_default(),
        notes = inv
            .notes
            .as_deref()
            .map(|n| format!("<p>{}</p>", escape_html(n)))
            .unwrap_or_default(),
    )
}

/// Renders the invoice whose link digest is `req.digest`; never a draft.
async fn render_link(
    conn: &mut PgConnection,
    req: LinkRequest,
) -> Result<Option<LinkBody>, sqlx::Error> {
    let Some(inv) = linked(conn, &req.digest).await? else {
        return Ok(None);
    };
    Ok(Some(match req.view {
        LinkView::Page => LinkBody {
            content_type: "text/html; charset=utf-8",
            body: page(&inv, &req.issuer, &req.token, req.payable, req.returned).into_bytes(),
            filename: None,
        },
        LinkView::Pdf => LinkBody {
            content_type: "application/pdf",
            body: pdf_of(&inv, &req.issuer, None),
            filename: Some(file_name(&inv)),
        },
    }))
}

#[derive(ApiResponse)]
enum PdfFile {
    /// The invoice or credit note as a PDF (a draft is marked DRAFT).
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// Where an invoice was sent.
#[derive(Object, Debug, serde::Serialize)]
pub struct InvoiceSent {
    pub invoice_id: Uuid,
    pub sent_to: String,
    /// The customer's secret link (page; add `/pdf` for the PDF). Sending again replaces it.
    pub url: String,
}

#[derive(ApiResponse)]
enum Sent {
    /// The e-mail is queued (sent when the transaction commits, retried on SMTP failure).
    #[oai(status = 202)]
    Accepted(Json<InvoiceSent>),
}

pub struct InvoiceDocumentsApi;

#[OpenApi(
    prefix_path = "/api/v1/finance/invoices",
    tag = "super::Tag::FinanceInvoices"
)]
impl InvoiceDocumentsApi {
    /// The invoice or credit note as a PDF (A4, the tenant's name, the customer, the lines with
    /// their taxes, what is paid and due).
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/:id/pdf", method = "get")]
    async fn pdf(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<PdfFile> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let inv = repo::get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("invoice"))?;
        let email: Option<String> =
            sqlx::query_scalar("select email from finance_accounts where id = $1")
                .bind(inv.account_id)
                .fetch_one(&mut *tx)
                .await?;
        tx.end_read();
        let body = pdf_of(&inv, &ctx.tenant.name, email.as_deref());
        Ok(PdfFile::Ok(
            Binary(body),
            format!("inline; filename=\"{}\"", file_name(&inv)),
        ))
    }

    /// E-mail an issued invoice or credit note to its account's address with a secret link
    /// where the customer sees it and downloads its PDF without an account. A new link
    /// replaces the previous one. `409 invoice-not-issued` for a draft, `409 no-email` when the
    /// account has no e-mail address.
    ///
    /// Permission: `finance.manage`. Audited as `invoice.sent`.
    #[oai(path = "/:id/send", method = "post")]
    async fn send(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<Sent> {
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let inv = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("invoice"))?;
        if inv.status == InvoiceStatus::Draft {
            return Err(AppError::Conflict {
                code: "invoice-not-issued",
                detail: "a draft is not sent: issue it first".into(),
                field: None,
            });
        }
        let email: Option<String> =
            sqlx::query_scalar("select email from finance_accounts where id = $1")
                .bind(inv.account_id)
                .fetch_one(&mut *tx)
                .await?;
        let Some(to) = email.filter(|e| e.contains('@')) else {
            return Err(AppError::Conflict {
                code: "no-email",
                detail: "the account has no e-mail address".into(),
                field: None,
            });
        };
        let (url, digest) = crate::links::issue(&state, ctx.tenant.id, &INVOICE_LINK);
        sqlx::query("update invoices set public_token_hash = $2 where id = $1")
            .bind(inv.id)
            .bind(&digest)
            .execute(&mut *tx)
            .await?;
        let org = &ctx.tenant.name;
        let number = inv.number.as_deref().unwrap_or("");
        let what = if inv.kind == InvoiceKind::CreditNote {
            "credit note"
        } else {
            "invoice"
        };
        let due = format_money(inv.due_minor, &inv.currency);
        mail::enqueue(
            &mut tx,
            &Email {
                to: to.clone(),
                subject: format!("{org}: {what} {number}"),
                text: format!(
                    "Hello {name},\n\n{org} sent you {what} {number}. Amount due: {due}.\n\n\
                     View it and download the PDF: {url}\n\n-- Flightline\n",
                    name = inv.account_name
                ),
                html: format!(
                    "<!doctype html><html><body style=\"font-family:sans-serif\">\
                     <p>Hello {name},</p><p>{org} sent you {what} {number}. Amount due: {due}.</p>\
                     <p><a href=\"{url}\">View it and download the PDF</a></p>\
                     <p>&mdash; Flightline</p></body></html>",
                    name = escape_html(&inv.account_name),
                    org = escape_html(org),
                    number = escape_html(number),
                    due = escape_html(&due),
                    url = escape_html(&url),
                ),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "invoice.sent",
                resource_type: "invoice",
                resource_id: Some(inv.id.to_string()),
                before: None,
                after: Some(serde_json::json!({"sent_to": to})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Sent::Accepted(Json(InvoiceSent {
            invoice_id: inv.id,
            sent_to: to,
            url,
        })))
    }
}
