//! `/api/v1/finance/invoices`: drafts written by hand or by another module, issued with a
//! gapless number, voided, credited; and their PDF.

mod post;
pub mod repo;

pub use post::{issue, lock_account, refresh_status, settle, today};

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{
    CreditNoteCreate, Invoice, InvoiceCreate, InvoiceKind, InvoicePage, InvoiceStatus,
    InvoiceUpdate, InvoiceVoid,
};
use super::{FINANCE_MANAGE, FINANCE_READ, accounts, service};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;

pub struct InvoicesApi;

#[derive(ApiResponse)]
enum Created {
    /// The draft as stored (or, for a retried `Idempotency-Key`, the first one).
    #[oai(status = 201)]
    Created(Json<Invoice>),
}

#[derive(ApiResponse)]
enum CreditCreated {
    /// The credit note, issued and numbered.
    #[oai(status = 201)]
    Created(Json<Invoice>),
}

/// Loads an invoice or answers `404`.
async fn load(conn: &mut sqlx::PgConnection, id: Uuid, lock: bool) -> Result<Invoice> {
    repo::get(conn, id, lock)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}

#[OpenApi(
    prefix_path = "/api/v1/finance/invoices",
    tag = "super::Tag::FinanceInvoices"
)]
impl InvoicesApi {
    /// List invoices and credit notes, newest first, without their lines; filtered by account,
    /// status, kind and source.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: TenantCtx,
        account_id: Query<Option<Uuid>>,
        status: Query<Option<InvoiceStatus>>,
        kind: Query<Option<InvoiceKind>>,
        /// What another module charged for: `booking`, ...
        #[oai(validator(pattern = "^[a-z][a-z_]{0,39}$"))]
        source_type: Query<Option<String>>,
        source_id: Query<Option<Uuid>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<InvoicePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let rows = repo::list(
            &mut tx,
            &repo::Filter {
                account_id: account_id.0,
                status: status.0,
                kind: kind.0,
                source_type: source_type.0,
                source_id: source_id.0,
            },
            after,
            limit,
        )
        .await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |i| i.id);
        Ok(Json(InvoicePage { items, next_cursor }))
    }

    /// Write a draft invoice for an account: lines from the price list (`price_item_id`) or
    /// written out. Nothing is owed until it is issued. `Idempotency-Key`: a retry with the
    /// same key and body returns the first draft, with another body `422`.
    ///
    /// Permission: `finance.manage`. Audited as `invoice.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<InvoiceCreate>,
        /// Makes a retried request safe: the first result is returned again.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Created> {
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let key = idempotency_key.0.as_deref();
        let hash = service::body_hash(&*body);
        if let Some(first) = service::replay(&mut tx, ctx.user_id, key, &hash).await? {
            let inv = load(&mut tx, first, false).await?;
            tx.end_read();
            return Ok(Created::Created(Json(inv)));
        }
        let account = accounts::get(&mut tx, body.account_id, true)
            .await?
            .ok_or_else(|| {
                AppError::validation("account_id", "names no account of this organisation")
            })?;
        if account.archived_at.is_some() {
            return Err(AppError::validation(
                "account_id",
                "names no open account of this organisation",
            ));
        }
        let lines = repo::resolve(&mut tx, &account.currency, &body.lines).await?;
        let priced = repo::price_all(lines)?;
        let id = repo::insert_draft(
            &mut tx,
            &repo::Draft {
                kind: InvoiceKind::Invoice,
                account: account.id,
                currency: &account.currency,
                credited: None,
                source: None,
                due_date: body.due_date,
                notes: body.notes.as_deref(),
                actor: Some(ctx.user_id.into()),
            },
        )
        .await?;
        repo::write_lines(&mut tx, id, &priced).await?;
        service::remember(&mut tx, ctx.user_id, key, &hash, id).await?;
        let inv = load(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "invoice.created",
            "invoice",
            id,
            &inv,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(inv)))
    }

    /// One invoice or credit note with its lines, taxes and what the ledger says is paid,
    /// credited and due.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Invoice>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let inv = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(inv))
    }

    /// Change a draft: its lines (all replaced), due date, notes. An issued invoice never
    /// changes (`409 invoice-issued`): correct it with a credit note.
    ///
    /// Permission: `finance.manage`. Audited as `invoice.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<InvoiceUpdate>,
    ) -> Result<Json<Invoice>> {
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        if before.status != InvoiceStatus::Draft {
            return Err(AppError::Conflict {
                code: "invoice-issued",
                detail: "an issued invoice never changes: issue a credit note".into(),
                field: None,
            });
        }
        AppError::check_version("invoice", body.version, before.version)?;
        if let Some(lines) = &body.lines {
            let lines = repo::resolve(&mut tx, &before.currency, lines).await?;
            let priced = repo::price_all(lines)?;
            repo::write_lines(&mut tx, id.0, &priced).await?;
        }
        let mut due = before.due_date;
        crate::kernel::units::merge(&mut due, &body.due_date);
        let mut notes = before.notes.clone();
        crate::kernel::units::merge(&mut notes, &body.notes);
        sqlx::query(
            "update invoices set due_date = $2, notes = $3, version = version + 1 where id = $1",
        )
        .bind(id.0)
        .bind(due)
        .bind(notes)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "invoice.updated",
            "invoice",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a draft (an issued invoice is voided or credited, never deleted: `409`).
    ///
    /// Permission: `finance.manage`. Audited as `invoice.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        if before.status != InvoiceStatus::Draft {
            return Err(AppError::Conflict {
                code: "invoice-issued",
                detail: "an issued invoice is voided or credited, never deleted".into(),
                field: None,
            });
        }
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "invoices",
            "invoice.deleted",
            "invoice",
            id.0,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// Issue a draft: it gets the next number of the year (gapless under concurrency), its
    /// issue date and due date, and is posted to the ledger (receivable, revenue per category,
    /// tax per rate); the customer's deposit is drawn down against it at once.
    ///
    /// Permission: `finance.manage`. Audited as `invoice.issued`.
    #[oai(path = "/:id/issue", method = "post")]
    async fn issue(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Invoice>> {
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, false).await?;
        let after = post::issue(&mut tx, Some(ctx.user_id.into()), id.0).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "invoice.issued",
            "invoice",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Void a draft, or an issued invoice nothing was paid or credited on (the ledger entry is
    /// reversed; the number stays used). Otherwise `409 invoice-settled`: issue a credit note.
    ///
    /// Permission: `finance.manage`. Audited as `invoice.voided`.
    #[oai(path = "/:id/void", method = "post")]
    async fn void(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<InvoiceVoid>,
    ) -> Result<Json<Invoice>> {
        if body.reason.trim().is_empty() {
            return Err(AppError::validation("reason", "must not be blank"));
        }
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, false).await?;
        let after = post::void(&mut tx, Some(ctx.user_id.into()), id.0, body.reason.trim()).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "invoice.voided",
            "invoice",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Credit an issued invoice: the lines and quantities named, or everything not credited
    /// yet. The credit note is numbered in the invoices' sequence; it settles the invoice's open
    /// amount first and puts the rest in the customer's deposit. `409 nothing-to-credit` when
    /// all is credited already.
    ///
    /// Permission: `finance.manage`. Audited as `invoice.credited`.
    #[oai(path = "/:id/credit-notes", method = "post")]
    async fn credit(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<CreditNoteCreate>,
    ) -> Result<CreditCreated> {
        if body.reason.trim().is_empty() {
            return Err(AppError::validation("reason", "must not be blank"));
        }
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        load(&mut tx, id.0, false).await?;
        let note = post::credit(
            &mut tx,
            Some(ctx.user_id.into()),
            id.0,
            body.reason.trim(),
            body.lines.as_deref(),
        )
        .await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "invoice.credited",
            "invoice",
            note.id,
            &note,
        )
        .await?;
        tx.commit().await?;
        Ok(CreditCreated::Created(Json(note)))
    }
}
