//! `/api/v1/finance/reports`: revenue by month and category (from the ledger, so credit notes
//! and voids are netted), utilisation and revenue per aircraft hour and instructor hours billed
//! (from issued invoice lines less credit notes), receivables ageing, and the trial balance.
//! Each report except the trial balance also comes as CSV (`.csv`).

use std::sync::LazyLock;

use chrono::NaiveDate;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::FINANCE_READ;
use super::invoices::today;
use super::ledger;
use crate::auth::TenantCtx;
use crate::domains::fleet::service as fleet;
use crate::domains::settings::service as settings;
use crate::error::{AppError, Result};
use crate::kernel::{AircraftId, UserId};

pub struct ReportsApi;

#[derive(ApiResponse)]
enum CsvFile {
    /// The report as CSV, one row per JSON row, amounts in minor units.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

fn csv(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> Result<CsvFile> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(header).map_err(err)?;
    for r in rows {
        w.write_record(r.iter().map(|c| super::service::csv_safe(c)))
            .map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    Ok(CsvFile::Ok(
        Binary(body),
        format!("attachment; filename=\"{name}.csv\""),
    ))
}

/// Revenue of one month and category.
#[derive(Object, Clone, Debug, sqlx::FromRow)]
pub struct RevenueRow {
    /// `YYYY-MM`, in the tenant's time zone.
    pub month: String,
    pub category: String,
    pub currency: String,
    /// Net of tax, credit notes and voids.
    pub net_minor: i64,
}

#[derive(Object)]
pub struct RevenueReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<RevenueRow>,
}

/// One aircraft's billed hours and revenue.
#[derive(Object, Clone, Debug, sqlx::FromRow)]
pub struct AircraftRow {
    pub aircraft_id: AircraftId,
    pub registration: Option<String>,
    pub currency: String,
    /// Hobbs, tach and block hours billed, in thousandths.
    pub hours_milli: i64,
    /// Net revenue of its lines (aircraft time, and fees and fuel charged to it).
    pub revenue_minor: i64,
    /// `revenue / hours`, rounded half away from zero; none without hours.
    pub revenue_per_hour_minor: Option<i64>,
}

#[derive(Object)]
pub struct AircraftReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<AircraftRow>,
}

/// One instructor's billed hours.
#[derive(Object, Clone, Debug, sqlx::FromRow)]
pub struct InstructorRow {
    pub instructor_id: UserId,
    pub name: Option<String>,
    pub currency: String,
    pub hours_milli: i64,
    pub revenue_minor: i64,
}

#[derive(Object)]
pub struct InstructorReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<InstructorRow>,
}

/// What one account owes, by how long it is past due.
#[derive(Object, Clone, Debug, sqlx::FromRow)]
pub struct AgeingRow {
    pub account_id: Uuid,
    pub account_name: String,
    pub currency: String,
    /// Not yet due.
    pub current_minor: i64,
    pub days_1_30_minor: i64,
    pub days_31_60_minor: i64,
    pub days_61_90_minor: i64,
    pub days_over_90_minor: i64,
    pub total_minor: i64,
}

#[derive(Object)]
pub struct AgeingReport {
    /// Today in the tenant's time zone.
    pub as_of: NaiveDate,
    /// Largest total first.
    pub rows: Vec<AgeingRow>,
}

#[derive(Object)]
pub struct LedgerBalance {
    /// `receivables`, `deposits`, `revenue`, `tax_payable`, `cash`, `bank`, `stripe_clearing`.
    pub ledger: String,
    pub currency: String,
    /// Debits minus credits.
    pub balance_minor: i64,
}

/// The books: every ledger's balance; they sum to zero per currency when the books balance.
#[derive(Object)]
pub struct TrialBalance {
    pub ledgers: Vec<LedgerBalance>,
    /// Every transaction sums to zero (always, unless the database was changed by hand).
    pub balanced: bool,
    pub unbalanced_transactions: i64,
}

/// The period `[from, to]`: default the twelve months to today (local).
async fn period(
    conn: &mut PgConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate, String)> {
    let tz = settings::timezone(conn).await?;
    let to = match to {
        Some(t) => t,
        None => today(conn).await?,
    };
    let from = from.unwrap_or_else(|| to - chrono::Months::new(12) + chrono::Days::new(1));
    if from > to {
        return Err(AppError::validation("to", "must not be before from"));
    }
    Ok((from, to, tz))
}

pub async fn revenue(
    conn: &mut PgConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<RevenueReport> {
    let (from, to, tz) = period(conn, from, to).await?;
    let rows: Vec<RevenueRow> = sqlx::query_as(
        "select to_char(l.created_at at time zone $3, 'YYYY-MM') as month, l.category, l.currency,
                (-sum(l.amount_minor))::bigint as net_minor
         from ledger_lines l
         where l.ledger = 'revenue'
           and l.created_at >= ($1::date::timestamp at time zone $3)
           and l.created_at < (($2::date + 1)::timestamp at time zone $3)
         group by 1, 2, 3 order by 1, 2, 3",
    )
    .bind(from)
    .bind(to)
    .bind(&tz)
    .fetch_all(conn)
    .await?;
    Ok(RevenueReport { from, to, rows })
}

static AIRCRAFT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "select l.aircraft_id, {reg} as registration, i.currency,
                sum(case when i.kind = 'credit_note' then -1 else 1 end
                    * case when l.unit in ('hobbs_hour', 'tach_hour', 'block_hour')
                           then l.quantity_milli else 0 end)::bigint as hours_milli,
                sum(case when i.kind = 'credit_note' then -l.net_minor else l.net_minor end)::bigint
                    as revenue_minor,
                null::bigint as revenue_per_hour_minor
         from invoice_lines l join invoices i on i.id = l.invoice_id
         where l.aircraft_id is not null and i.status in ('issued', 'partly_paid', 'paid')
           and i.issue_date between $1 and $2
         group by l.aircraft_id, i.currency order by 2, 1",
        reg = fleet::registration_sql("l.aircraft_id")
    )
});

async fn aircraft(
    conn: &mut PgConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<AircraftReport> {
    let (from, to, _) = period(conn, from, to).await?;
    let mut rows: Vec<AircraftRow> = sqlx::query_as(sqlx::AssertSqlSafe(AIRCRAFT_SQL.as_str()))
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await?;
    for r in &mut rows {
        r.revenue_per_hour_minor = (r.hours_milli > 0).then(|| {
            super::money::div_round(
                i128::from(r.revenue_minor) * super::money::MILLI,
                i128::from(r.hours_milli),
            ) as i64
        });
    }
    Ok(AircraftReport { from, to, rows })
}

async fn instructors(
    conn: &mut PgConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<InstructorReport> {
    let (from, to, _) = period(conn, from, to).await?;
    let rows: Vec<InstructorRow> = sqlx::query_as(
        "select l.instructor_id, (select name from users where id = l.instructor_id) as name,
                i.currency,
                sum(case when i.kind = 'credit_note' then -1 else 1 end
                    * case when l.unit in ('hour', 'hobbs_hour', 'tach_hour', 'block_hour')
                           then l.quantity_milli else 0 end)::bigint as hours_milli,
                sum(case when i.kind = 'credit_note' then -l.net_minor else l.net_minor end)::bigint
                    as revenue_minor
         from invoice_lines l join invoices i on i.id = l.invoice_id
         where l.instructor_id is not null and i.status in ('issued', 'partly_paid', 'paid')
           and i.issue_date between $1 and $2
         group by l.instructor_id, i.currency order by 2, 1",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(InstructorReport { from, to, rows })
}

async fn ageing(conn: &mut PgConnection) -> Result<AgeingReport> {
    let as_of = today(conn).await?;
    let rows: Vec<AgeingRow> = sqlx::query_as(
        "with open as (
             select i.account_id, i.currency, ($1::date - i.due_date) as late,
                    sum(l.amount_minor) as due
             from invoices i join ledger_lines l on l.invoice_id = i.id
             where i.kind = 'invoice' and i.status in ('issued', 'partly_paid')
             group by i.id having sum(l.amount_minor) > 0)
         select o.account_id, a.name as account_name, o.currency,
                coalesce(sum(o.due) filter (where o.late <= 0), 0)::bigint as current_minor,
                coalesce(sum(o.due) filter (where o.late between 1 and 30), 0)::bigint as days_1_30_minor,
                coalesce(sum(o.due) filter (where o.late between 31 and 60), 0)::bigint as days_31_60_minor,
                coalesce(sum(o.due) filter (where o.late between 61 and 90), 0)::bigint as days_61_90_minor,
                coalesce(sum(o.due) filter (where o.late > 90), 0)::bigint as days_over_90_minor,
                sum(o.due)::bigint as total_minor
         from open o join finance_accounts a on a.id = o.account_id
         group by o.account_id, a.name, o.currency
         order by total_minor desc, o.account_id",
    )
    .bind(as_of)
    .fetch_all(conn)
    .await?;
    Ok(AgeingReport { as_of, rows })
}

#[OpenApi(prefix_path = "/api/v1/finance", tag = "super::Tag::FinanceReports")]
impl ReportsApi {
    /// Revenue by month and category over `[from, to]` (local days; default the last twelve
    /// months), net of tax, credit notes and voids: the sums of the ledger's revenue lines.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/reports/revenue", method = "get")]
    async fn revenue(
        &self,
        ctx: TenantCtx,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<RevenueReport>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = revenue(&mut tx, from.0, to.0).await?;
        tx.end_read();
        Ok(Json(r))
    }

    /// The revenue report as CSV. Permission: `finance.read`.
    #[oai(path = "/reports/revenue.csv", method = "get")]
    async fn revenue_csv(
        &self,
        ctx: TenantCtx,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<CsvFile> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = revenue(&mut tx, from.0, to.0).await?;
        tx.end_read();
        csv(
            "revenue",
            &["month", "category", "currency", "net_minor"],
            r.rows
                .into_iter()
                .map(|r| vec![r.month, r.category, r.currency, r.net_minor.to_string()])
                .collect(),
        )
    }

    /// Utilisation and revenue per aircraft hour over `[from, to]` (by issue date): hours
    /// billed and net revenue of issued invoice lines naming the aircraft, less credit notes.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/reports/aircraft", method = "get")]
    async fn aircraft(
        &self,
        ctx: TenantCtx,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<AircraftReport>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = aircraft(&mut tx, from.0, to.0).await?;
        tx.end_read();
        Ok(Json(r))
    }

    /// The aircraft report as CSV. Permission: `finance.read`.
    #[oai(path = "/reports/aircraft.csv", method = "get")]
    async fn aircraft_csv(
        &self,
        ctx: TenantCtx,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<CsvFile> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = aircraft(&mut tx, from.0, to.0).await?;
        tx.end_read();
        csv(
            "aircraft",
            &[
                "aircraft_id",
                "registration",
                "currency",
                "hours_milli",
                "revenue_minor",
                "revenue_per_hour_minor",
            ],
            r.rows
                .into_iter()
                .map(|r| {
                    vec![
                        r.aircraft_id.0.to_string(),
                        r.registration.unwrap_or_default(),
                        r.currency,
                        r.hours_milli.to_string(),
                        r.revenue_minor.to_string(),
                        r.revenue_per_hour_minor
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
        )
    }

    /// Instructor hours billed over `[from, to]` (by issue date), less credit notes.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/reports/instructors", method = "get")]
    async fn instructors(
        &self,
        ctx: TenantCtx,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<InstructorReport>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = instructors(&mut tx, from.0, to.0).await?;
        tx.end_read();
        Ok(Json(r))
    }

    /// The instructor report as CSV. Permission: `finance.read`.
    #[oai(path = "/reports/instructors.csv", method = "get")]
    async fn instructors_csv(
        &self,
        ctx: TenantCtx,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<CsvFile> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = instructors(&mut tx, from.0, to.0).await?;
        tx.end_read();
        csv(
            "instructors",
            &[
                "instructor_id",
                "name",
                "currency",
                "hours_milli",
                "revenue_minor",
            ],
            r.rows
                .into_iter()
                .map(|r| {
                    vec![
                        r.instructor_id.0.to_string(),
                        r.name.unwrap_or_default(),
                        r.currency,
                        r.hours_milli.to_string(),
                        r.revenue_minor.to_string(),
                    ]
                })
                .collect(),
        )
    }

    /// Receivables ageing today: each account's open invoices by days past due (current,
    /// 1-30, 31-60, 61-90, over 90), largest total first.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/reports/ageing", method = "get")]
    async fn ageing(&self, ctx: TenantCtx) -> Result<Json<AgeingReport>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = ageing(&mut tx).await?;
        tx.end_read();
        Ok(Json(r))
    }

    /// The ageing report as CSV. Permission: `finance.read`.
    #[oai(path = "/reports/ageing.csv", method = "get")]
    async fn ageing_csv(&self, ctx: TenantCtx) -> Result<CsvFile> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let r = ageing(&mut tx).await?;
        tx.end_read();
        csv(
            "ageing",
            &[
                "account_id",
                "account_name",
                "currency",
                "current_minor",
                "days_1_30_minor",
                "days_31_60_minor",
                "days_61_90_minor",
                "days_over_90_minor",
                "total_minor",
            ],
            r.rows
                .into_iter()
                .map(|r| {
                    vec![
                        r.account_id.to_string(),
                        r.account_name,
                        r.currency,
                        r.current_minor.to_string(),
                        r.days_1_30_minor.to_string(),
                        r.days_31_60_minor.to_string(),
                        r.days_61_90_minor.to_string(),
                        r.days_over_90_minor.to_string(),
                        r.total_minor.to_string(),
                    ]
                })
                .collect(),
        )
    }

    /// The trial balance: every ledger's balance per currency and whether every transaction
    /// balances.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/ledger/trial-balance", method = "get")]
    async fn trial_balance(&self, ctx: TenantCtx) -> Result<Json<TrialBalance>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let (sums, unbalanced) = ledger::trial_balance(&mut tx).await?;
        tx.end_read();
        Ok(Json(TrialBalance {
            ledgers: sums
                .into_iter()
                .map(|s| LedgerBalance {
                    ledger: s.ledger,
                    currency: s.currency,
                    balance_minor: s.balance_minor,
                })
                .collect(),
            balanced: unbalanced == 0,
            unbalanced_transactions: unbalanced,
        }))
    }
}
