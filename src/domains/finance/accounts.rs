//! `/api/v1/finance/accounts`: customer accounts with their position (summed from the ledger)
//! and their statements.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    Account, AccountCreate, AccountKind, AccountPage, AccountUpdate, Statement, StatementEntry,
};
use super::{FINANCE_MANAGE, FINANCE_READ, service};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::settings::service as settings;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::units::merge;
use crate::kernel::{UserId, page};

pub struct AccountsApi;

#[derive(ApiResponse)]
enum Created {
    /// The account as stored.
    #[oai(status = 201)]
    Created(Json<Account>),
}

#[derive(ApiResponse)]
enum CsvFile {
    /// The statement as CSV: date, kind, memo, invoice, amount, owed.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

macro_rules! account_select {
    ($where:literal) => {
        concat!(
            "select a.id, a.kind, a.name, a.email, a.user_id, a.currency, a.credit_limit_minor,
                    a.payment_terms_days, a.price_tier, a.notes, a.archived_at, a.version,
                    a.created_at, a.updated_at,
                    coalesce(p.receivable_minor, 0)::bigint as receivable_minor,
                    coalesce(p.deposit_minor, 0)::bigint as deposit_minor
             from finance_accounts a
             left join lateral (
                 select sum(amount_minor) filter (where ledger = 'receivables') as receivable_minor,
                        -sum(amount_minor) filter (where ledger = 'deposits') as deposit_minor
                 from ledger_lines where customer_account_id = a.id) p on true ",
            $where
        )
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    #[sqlx(try_from = "String")]
    kind: AccountKind,
    name: String,
    email: Option<String>,
    user_id: Option<Uuid>,
    currency: String,
    credit_limit_minor: i64,
    payment_terms_days: i32,
    price_tier: Option<String>,
    notes: Option<String>,
    archived_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    receivable_minor: i64,
    deposit_minor: i64,
}

impl From<Row> for Account {
    fn from(r: Row) -> Self {
        Account {
            id: r.id,
            kind: r.kind,
            name: r.name,
            email: r.email,
            user_id: r.user_id.map(UserId),
            currency: r.currency,
            credit_limit_minor: r.credit_limit_minor,
            payment_terms_days: r.payment_terms_days,
            price_tier: r.price_tier,
            notes: r.notes,
            archived_at: r.archived_at,
            receivable_minor: r.receivable_minor,
            deposit_minor: r.deposit_minor,
            balance_minor: r.deposit_minor - r.receivable_minor,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One account with its position; `lock` takes its row lock (every money movement of an
/// account holds it, so they are serialised per account).
pub async fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Account>> {
    if lock {
        sqlx::query("select 1 from finance_accounts where id = $1 for update")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let row: Option<Row> = sqlx::query_as(account_select!("where a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Account::from))
}

pub struct NewAccount<'a> {
    pub kind: AccountKind,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub user_id: Option<UserId>,
    pub currency: &'a str,
    pub credit_limit_minor: i64,
    pub payment_terms_days: i32,
    pub price_tier: Option<&'a str>,
    pub notes: Option<&'a str>,
}

pub async fn insert(conn: &mut PgConnection, a: &NewAccount<'_>) -> Result<Account> {
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into finance_accounts (id, kind, name, email, user_id, currency,
             credit_limit_minor, payment_terms_days, price_tier, notes)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(crate::kernel::units::wire(&a.kind))
    .bind(a.name)
    .bind(a.email)
    .bind(a.user_id)
    .bind(a.currency)
    .bind(a.credit_limit_minor)
    .bind(a.payment_terms_days)
    .bind(a.price_tier)
    .bind(a.notes)
    .execute(&mut *conn)
    .await;
    if let Err(sqlx::Error::Database(e)) = &inserted {
        match e.code().as_deref() {
            Some("23505") => {
                return Err(AppError::Conflict {
                    code: "conflict",
                    detail: "the user has an account already".into(),
                    field: Some("user_id".into()),
                });
            }
            Some("23503") => {
                return Err(AppError::validation(
                    "user_id",
                    "names no user of this organisation",
                ));
            }
            _ => {}
        }
    }
    inserted?;
    get(conn, id, false)
        .await?
        .ok_or(AppError::NotFound("account"))
}

/// The tenant's `currency` setting, USD when unset.
pub async fn tenant_currency(conn: &mut PgConnection) -> Result<String> {
    Ok(settings::read(conn, "currency")
        .await?
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "USD".into()))
}

fn blank(field: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() {
        return Err(AppError::validation(field, "must not be blank"));
    }
    Ok(())
}

#[OpenApi(
    prefix_path = "/api/v1/finance/accounts",
    tag = "super::Tag::FinanceAccounts"
)]
impl AccountsApi {
    /// List accounts, newest first: `q` searches the name and e-mail, archived accounts only
    /// with `archived=true`. Each carries its position from the ledger.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Part of the name or e-mail (case-insensitive).
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// `true`: archived accounts only; default the active ones.
        archived: Query<Option<bool>>,
        /// The account of this user.
        user_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<AccountPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(account_select!(
            "where a.id < $1 and (a.archived_at is not null) = $2
               and ($3::text is null or a.name ilike $3 or a.email ilike $3)
               and ($4::uuid is null or a.user_id = $4)
             order by a.id desc limit $5"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(archived.0.unwrap_or(false))
        .bind(q.0.as_deref().map(page::contains_pattern))
        .bind(user_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<Account> = rows.into_iter().map(Account::from).collect();
        let (items, next_cursor) = page::finish(items, limit, |a| a.id);
        Ok(Json(AccountPage { items, next_cursor }))
    }

    /// Open an account. `currency` defaults to the tenant's `currency` setting; a user has at
    /// most one account (`409`).
    ///
    /// Permission: `finance.manage`. Audited as `finance_account.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<AccountCreate>) -> Result<Created> {
        blank("name", &body.name)?;
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let currency = match &body.currency {
            Some(c) => c.clone(),
            None => tenant_currency(&mut tx).await?,
        };
        let account = insert(
            &mut tx,
            &NewAccount {
                kind: body.kind,
                name: body.name.trim(),
                email: body.email.as_deref().map(str::trim),
                user_id: body.user_id,
                currency: &currency,
                credit_limit_minor: body.credit_limit_minor.unwrap_or(0),
                payment_terms_days: body.payment_terms_days.unwrap_or(0),
                price_tier: body.price_tier.as_deref(),
                notes: body.notes.as_deref(),
            },
        )
        .await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "finance_account.created",
            "finance_account",
            account.id,
            &account,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(account)))
    }

    /// One account with its position. Permission: `finance.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Account>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let a = get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        tx.end_read();
        Ok(Json(a))
    }

    /// Update an account partially; `archived` archives or restores it (an archived account
    /// takes no new invoices). Its currency and user never change.
    ///
    /// Permission: `finance.manage`. Audited as `finance_account.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<AccountUpdate>,
    ) -> Result<Json<Account>> {
        if let Some(n) = &body.name {
            blank("name", n)?;
        }
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        AppError::check_version("account", body.version, before.version)?;
        let mut next = before.clone();
        if let Some(n) = &body.name {
            next.name = n.trim().to_owned();
        }
        merge(&mut next.email, &body.email);
        merge(&mut next.price_tier, &body.price_tier);
        merge(&mut next.notes, &body.notes);
        next.credit_limit_minor = body.credit_limit_minor.unwrap_or(next.credit_limit_minor);
        next.payment_terms_days = body.payment_terms_days.unwrap_or(next.payment_terms_days);
        sqlx::query(
            "update finance_accounts set name = $2, email = $3, price_tier = $4, notes = $5,
                 credit_limit_minor = $6, payment_terms_days = $7,
                 archived_at = case when $8::boolean is null then archived_at
                                    when $8 then coalesce(archived_at, now()) else null end,
                 version = version + 1
             where id = $1",
        )
        .bind(next.id)
        .bind(&next.name)
        .bind(&next.email)
        .bind(&next.price_tier)
        .bind(&next.notes)
        .bind(next.credit_limit_minor)
        .bind(next.payment_terms_days)
        .bind(body.archived)
        .execute(&mut *tx)
        .await?;
        let after = get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("account"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "finance_account.updated",
            "finance_account",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// The account's statement over `[from, to]`, local days of the tenant's time zone
    /// (default: the last 30 days to today): what was owed before, each transaction with what
    /// it changed and what was owed after it, and what is owed at the end. Every figure is a
    /// sum of the account's ledger lines.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/:id/statement", method = "get")]
    async fn statement(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<Statement>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let s = statement(&mut tx, id.0, from.0, to.0).await?;
        tx.end_read();
        Ok(Json(s))
    }

    /// The statement as CSV (same period rules as the JSON statement).
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/:id/statement.csv", method = "get")]
    async fn statement_csv(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<CsvFile> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let s = statement(&mut tx, id.0, from.0, to.0).await?;
        tx.end_read();
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err = |e: csv::Error| AppError::Internal(e.into());
        w.write_record([
            "at",
            "kind",
            "memo",
            "invoice_number",
            "amount_minor",
            "owed_minor",
            "currency",
        ])
        .map_err(csv_err)?;
        w.write_record([
            s.from.to_string(),
            "opening".into(),
            "Opening balance".into(),
            String::new(),
            String::new(),
            s.opening_owed_minor.to_string(),
            s.currency.clone(),
        ])
        .map_err(csv_err)?;
        for e in &s.entries {
            w.write_record([
                e.at.to_rfc3339(),
                e.kind.clone(),
                service::csv_safe(&e.memo),
                e.invoice_number.clone().unwrap_or_default(),
                e.amount_minor.to_string(),
                e.owed_minor.to_string(),
                s.currency.clone(),
            ])
            .map_err(csv_err)?;
        }
        let body = w
            .into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
        Ok(CsvFile::Ok(
            Binary(body),
            format!("attachment; filename=\"statement-{}-{}.csv\"", s.from, s.to),
        ))
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    transaction_id: Uuid,
    at: DateTime<Utc>,
    kind: String,
    memo: String,
    invoice_id: Option<Uuid>,
    invoice_number: Option<String>,
    payment_id: Option<Uuid>,
    amount_minor: i64,
    running_minor: i64,
}

/// The statement of an account: two statements (what was owed before `from`, and the
/// transactions of the period with a running sum).
pub async fn statement(
    conn: &mut PgConnection,
    id: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Statement> {
    let tz = settings::timezone(conn).await?;
    let (name, currency): (String, String) =
        sqlx::query_as("select name, currency from finance_accounts where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound("account"))?;
    let today: NaiveDate = sqlx::query_scalar("select (now() at time zone $1)::date")
        .bind(&tz)
        .fetch_one(&mut *conn)
        .await?;
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - chrono::Days::new(30));
    if from > to {
        return Err(AppError::validation("to", "must not be before from"));
    }
    let (opening,): (i64,) = sqlx::query_as(
        "select coalesce(sum(amount_minor), 0)::bigint from ledger_lines
         where customer_account_id = $1 and created_at < ($2::date::timestamp at time zone $3)",
    )
    .bind(id)
    .bind(from)
    .bind(&tz)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<EntryRow> = sqlx::query_as(
        "with e as (
             select l.transaction_id, min(l.created_at) as at, sum(l.amount_minor)::bigint as amount_minor
             from ledger_lines l
             where l.customer_account_id = $1
               and l.created_at >= ($2::date::timestamp at time zone $4)
               and l.created_at < (($3::date + 1)::timestamp at time zone $4)
             group by l.transaction_id)
         select e.transaction_id, e.at, t.kind, t.memo, t.invoice_id, i.number as invoice_number,
                t.payment_id, e.amount_minor,
                (sum(e.amount_minor) over (order by e.at, e.transaction_id))::bigint as running_minor
         from e join ledger_transactions t on t.id = e.transaction_id
         left join invoices i on i.id = t.invoice_id
         order by e.at, e.transaction_id",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(&tz)
    .fetch_all(&mut *conn)
    .await?;
    let entries: Vec<StatementEntry> = rows
        .into_iter()
        .map(|r| StatementEntry {
            transaction_id: r.transaction_id,
            at: r.at,
            kind: r.kind,
            memo: r.memo,
            invoice_id: r.invoice_id,
            invoice_number: r.invoice_number,
            payment_id: r.payment_id,
            amount_minor: r.amount_minor,
            owed_minor: opening + r.running_minor,
        })
        .collect();
    let closing = entries.last().map_or(opening, |e| e.owed_minor);
    Ok(Statement {
        account_id: id,
        account_name: name,
        currency,
        from,
        to,
        opening_owed_minor: opening,
        closing_owed_minor: closing,
        entries,
    })
}
