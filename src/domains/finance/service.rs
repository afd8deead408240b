//! The finance domain's interface to other domains: "charge this customer these lines for this
//! source" ([`charge`], and [`draft_for_booking`] at check-in), and a customer's standing for
//! dispatch ([`standing`]). Everything runs in the caller's transaction.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

pub use super::FLAG;
/// For benchmarks and other modules: a customer's statement, the revenue report, issuing.
pub use super::accounts::statement;
use super::accounts::{self, NewAccount};
use super::dto::{AccountKind, AppliesAt, Category, InvoiceKind, Unit};
pub use super::invoices::issue;
use super::invoices::repo::{self, NewLine};
use super::money;
/// `(123456, "USD")` → `1,234.56 USD`: amounts as every document of the product prints them.
pub use super::pdf::format_money;
pub use super::reports::revenue as revenue_report;
use crate::audit::{self, Actor};
use crate::error::{AppError, Result};
use crate::kernel::units::wire;
use crate::kernel::{AircraftId, BookingId, UserId};
use crate::tenancy::TenantTx;

/// The digest of a request body, for `Idempotency-Key`.
pub fn body_hash<T: serde::Serialize>(body: &T) -> Vec<u8> {
    Sha256::digest(serde_json::to_vec(body).unwrap_or_default()).to_vec()
}

/// With an `Idempotency-Key`: waits for any request with the same key, then returns what the
/// first one made (`422` when it came with another body).
pub async fn replay(
    conn: &mut PgConnection,
    user: UserId,
    key: Option<&str>,
    hash: &[u8],
) -> Result<Option<Uuid>> {
    let Some(key) = key else {
        return Ok(None);
    };
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 1))")
        .bind(user)
        .bind(key)
        .execute(&mut *conn)
        .await?;
    let first: Option<(Uuid, Vec<u8>)> = sqlx::query_as(
        "select resource_id, body_hash from finance_idempotency where user_id = $1 and key = $2",
    )
    .bind(user)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    match first {
        Some((_, stored)) if stored != hash => Err(AppError::validation(
            "Idempotency-Key",
            "was used before with another body",
        )),
        Some((id, _)) => Ok(Some(id)),
        None => Ok(None),
    }
}

/// Remembers what a request with an `Idempotency-Key` made.
pub async fn remember(
    conn: &mut PgConnection,
    user: UserId,
    key: Option<&str>,
    hash: &[u8],
    id: Uuid,
) -> Result<()> {
    if let Some(key) = key {
        sqlx::query(
            "insert into finance_idempotency (user_id, key, body_hash, resource_id)
             values ($1, $2, $3, $4)",
        )
        .bind(user)
        .bind(key)
        .bind(hash)
        .bind(id)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// A CSV cell that a spreadsheet will not run as a formula.
pub fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The account that bills `user`, opened (as a person, in the tenant's currency, with the
/// user's name and e-mail) when they have none.
pub async fn account_for_user(conn: &mut TenantTx, actor: Actor<'_>, user: UserId) -> Result<Uuid> {
    if let Some(id) =
        sqlx::query_scalar::<_, Uuid>("select id from finance_accounts where user_id = $1")
            .bind(user)
            .fetch_optional(&mut **conn)
            .await?
    {
        return Ok(id);
    }
    let (name, email): (String, String) =
        sqlx::query_as("select name, email from users where id = $1")
            .bind(user)
            .fetch_optional(&mut **conn)
            .await?
            .ok_or(AppError::NotFound("user"))?;
    let currency = accounts::tenant_currency(conn).await?;
    let a = accounts::insert(
        conn,
        &NewAccount {
            kind: AccountKind::Person,
            name: &name,
            email: Some(&email),
            user_id: Some(user),
            currency: &currency,
            credit_limit_minor: 0,
            payment_terms_days: 0,
            price_tier: None,
            notes: None,
        },
    )
    .await?;
    audit::created(
        conn,
        actor,
        "finance_account.created",
        "finance_account",
        a.id,
        &a,
    )
    .await?;
    Ok(a.id)
}

/// One line of a charge.
#[derive(Debug, Clone)]
pub struct ChargeLine {
    pub description: String,
    pub category: &'static str,
    pub unit: &'static str,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub price_item_id: Option<Uuid>,
    pub aircraft_id: Option<AircraftId>,
    pub instructor_id: Option<UserId>,
    pub tax_rate_ids: Vec<Uuid>,
}

/// Charges `account` these `lines` for `source` (`("booking", id)`, `("trip", id)`, ...): a
/// draft invoice, audited as `invoice.created`, that finance staff review and issue. Idempotent
/// on the source: a second charge for a source with a live invoice returns that invoice.
pub async fn charge(
    conn: &mut TenantTx,
    actor: Actor<'_>,
    account: Uuid,
    source: (&str, Uuid),
    lines: &[ChargeLine],
) -> Result<Uuid> {
    if let Some(id) = sqlx::query_scalar::<_, Uuid>(
        "select id from invoices where source_type = $1 and source_id = $2 and kind = 'invoice'
           and status <> 'void'",
    )
    .bind(source.0)
    .bind(source.1)
    .fetch_optional(&mut **conn)
    .await?
    {
        return Ok(id);
    }
    let currency: String =
        sqlx::query_scalar("select currency from finance_accounts where id = $1")
            .bind(account)
            .fetch_optional(&mut **conn)
            .await?
            .ok_or(AppError::NotFound("account"))?;
    let mut new = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let field = format!("lines[{i}].tax_rate_ids");
        new.push(NewLine {
            description: l.description.chars().take(500).collect(),
            category: Category::try_from(l.category.to_owned())
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            unit: Unit::try_from(l.unit.to_owned())
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            quantity_milli: l.quantity_milli,
            unit_price_minor: l.unit_price_minor,
            price_item_id: l.price_item_id,
            aircraft_id: l.aircraft_id.map(Uuid::from),
            instructor_id: l.instructor_id.map(Uuid::from),
            rates: repo::rates(conn, &field, &l.tax_rate_ids).await?,
            credits_line_id: None,
        });
    }
    let priced = repo::price_all(new)?;
    let id = repo::insert_draft(
        conn,
        &repo::Draft {
            kind: InvoiceKind::Invoice,
            account,
            currency: &currency,
            credited: None,
            source: Some(source),
            due_date: None,
            notes: None,
            actor: actor.id,
        },
    )
    .await?;
    repo::write_lines(conn, id, &priced).await?;
    let inv = repo::get(conn, id, false)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    audit::created(conn, actor, "invoice.created", "invoice", id, &inv).await?;
    Ok(id)
}

/// Litres in a US gallon (fuel prices per `gallon` are per US gallon).
const LITRES_PER_US_GALLON: f64 = 3.785_411_784;

/// Why a fuel sale was not invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbilled {
    /// No active `fuel` price per gallon or litre for the product in the account's currency
    /// (neither at its tier nor untiered).
    NoPrice,
}

/// Charges `account` for `litres` of `product` (a fuel product's wire name, `jet_a`) sold for
/// `source`: one `fuel` line priced from the price list, the account's `price_tier` first,
/// then the untiered price, per gallon or litre as the price is set. A draft invoice like
/// [`charge`]'s; `Err(Unbilled)` (inside `Ok`) when no price applies.
pub async fn fuel_sale(
    conn: &mut TenantTx,
    actor: Actor<'_>,
    account: Uuid,
    source: (&str, Uuid),
    product: &str,
    litres: f64,
    description: &str,
) -> Result<std::result::Result<Uuid, Unbilled>> {
    let found: Option<(String, Option<String>)> =
        sqlx::query_as("select currency, price_tier from finance_accounts where id = $1")
            .bind(account)
            .fetch_optional(&mut **conn)
            .await?;
    let (currency, tier) = found.ok_or(AppError::NotFound("account"))?;
    let price: Option<(Uuid, String, i64, Vec<Uuid>)> = sqlx::query_as(
        "select id, unit, unit_price_minor, tax_rate_ids from price_items
          where active and category = 'fuel' and fuel_product = $1 and currency = $2
            and (price_tier is null or price_tier = $3)
          order by price_tier is null, id limit 1",
    )
    .bind(product)
    .bind(&currency)
    .bind(&tier)
    .fetch_optional(&mut **conn)
    .await?;
    let Some((price_id, unit, unit_price_minor, tax_rate_ids)) = price else {
        return Ok(Err(Unbilled::NoPrice));
    };
    let quantity = if unit == "gallon" {
        litres / LITRES_PER_US_GALLON
    } else {
        litres
    };
    let line = ChargeLine {
        description: description.to_owned(),
        category: "fuel",
        unit: static_unit(&unit),
        quantity_milli: (quantity * 1000.0).round() as i64,
        unit_price_minor,
        price_item_id: Some(price_id),
        aircraft_id: None,
        instructor_id: None,
        tax_rate_ids,
    };
    charge(conn, actor, account, source, &[line]).await.map(Ok)
}

/// What a checked-in booking flew, for its invoice.
#[derive(Debug, Clone)]
pub struct BookingFlown {
    pub booking_id: BookingId,
    pub aircraft_id: AircraftId,
    /// The customer: the renter or student.
    pub pilot_id: UserId,
    pub instructor_id: Option<UserId>,
    pub hobbs_tenths: Option<i64>,
    pub tach_tenths: Option<i64>,
    /// Check-out to check-in, in minutes.
    pub block_minutes: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct PriceRow {
    id: Uuid,
    name: String,
    category: String,
    unit: String,
    unit_price_minor: i64,
    instructor_id: Option<Uuid>,
    price_tier: Option<String>,
    aircraft_id: Option<Uuid>,
    applies_at: Option<String>,
    tax_rate_ids: Vec<Uuid>,
}

fn quantity(unit: &str, f: &BookingFlown) -> Option<i64> {
    match unit {
        "hobbs_hour" => f.hobbs_tenths.map(money::tenths_to_milli),
        "tach_hour" => f.tach_tenths.map(money::tenths_to_milli),
        "block_hour" | "hour" => f.block_minutes.map(|m| m * 1000 / 60),
        "each" => Some(1000),
        _ => None,
    }
    .filter(|q| *q > 0)
}

/// Drafts the invoice of a checked-in booking from the price list, in the check-in's
/// transaction (the customer's account is opened if they have none): the aircraft's rate (the
/// customer's tier first, then untiered; hobbs, tach or block hours from the meters), the
/// instructor's rate (theirs, else the default instructor rate; hobbs hours, else block hours)
/// and every active item that applies at check-in (`applies_at = check_in`, for any aircraft or
/// this one). Nothing is drafted when no price applies. Returns the draft's id.
pub async fn draft_for_booking(
    conn: &mut TenantTx,
    actor: Actor<'_>,
    f: &BookingFlown,
) -> Result<Option<Uuid>> {
    let account = account_for_user(conn, actor.clone(), f.pilot_id).await?;
    let (currency, tier): (String, Option<String>) =
        sqlx::query_as("select currency, price_tier from finance_accounts where id = $1")
            .bind(account)
            .fetch_one(&mut **conn)
            .await?;
    let prices: Vec<PriceRow> = sqlx::query_as(
        "select id, name, category, unit, unit_price_minor, instructor_id, price_tier, aircraft_id,
                applies_at, tax_rate_ids
         from price_items
         where active and currency = $1 and (price_tier is null or price_tier = $2)
           and ((category = 'aircraft' and aircraft_id = $3)
                or (category = 'instructor' and $4::uuid is not null
                    and (instructor_id is null or instructor_id = $4))
                or (applies_at = 'check_in' and (aircraft_id is null or aircraft_id = $3)))
         order by price_tier is null, id",
    )
    .bind(&currency)
    .bind(&tier)
    .bind(f.aircraft_id)
    .bind(f.instructor_id)
    .fetch_all(&mut **conn)
    .await?;
    let mut lines = Vec::new();
    let line = |p: &PriceRow, q: i64| ChargeLine {
        description: p.name.clone(),
        category: static_category(&p.category),
        unit: static_unit(&p.unit),
        quantity_milli: q,
        unit_price_minor: p.unit_price_minor,
        price_item_id: Some(p.id),
        aircraft_id: p.aircraft_id.map(AircraftId),
        instructor_id: if p.category == "instructor" {
            f.instructor_id
        } else {
            None
        },
        tax_rate_ids: p.tax_rate_ids.clone(),
    };
    // The aircraft's rate: the tiered one first (ordering), the first that has a quantity.
    if let Some((p, q)) = prices
        .iter()
        .filter(|p| p.category == "aircraft" && p.applies_at.is_none())
        .find_map(|p| quantity(&p.unit, f).map(|q| (p, q)))
    {
        lines.push(line(p, q));
    }
    // The instructor's own rate before the default one; tiered before untiered.
    let mut instructor: Vec<&PriceRow> = prices
        .iter()
        .filter(|p| p.category == "instructor" && p.applies_at.is_none())
        .collect();
    instructor.sort_by_key(|p| (p.instructor_id.is_none(), p.price_tier.is_none()));
    if let Some((p, q)) = instructor.into_iter().find_map(|p| {
        let q = if p.unit == "hour" {
            f.hobbs_tenths
                .map(money::tenths_to_milli)
                .filter(|q| *q > 0)
                .or(quantity("hour", f))
        } else {
            quantity(&p.unit, f)
        };
        q.map(|q| (p, q))
    }) {
        lines.push(line(p, q));
    }
    for p in prices
        .iter()
        .filter(|p| p.applies_at.as_deref() == Some(wire(&AppliesAt::CheckIn).as_str()))
    {
        if let Some(q) = quantity(&p.unit, f) {
            lines.push(line(p, q));
        }
    }
    if lines.is_empty() {
        return Ok(None);
    }
    charge(
        conn,
        actor,
        account,
        ("booking", f.booking_id.into()),
        &lines,
    )
    .await
    .map(Some)
}

fn static_category(c: &str) -> &'static str {
    [
        "aircraft",
        "instructor",
        "simulator",
        "fee",
        "fuel",
        "charter",
        "handling",
        "membership",
        "discount",
    ]
    .into_iter()
    .find(|k| *k == c)
    .unwrap_or("other")
}

fn static_unit(u: &str) -> &'static str {
    [
        "hobbs_hour",
        "tach_hour",
        "block_hour",
        "hour",
        "gallon",
        "liter",
        "day",
    ]
    .into_iter()
    .find(|k| *k == u)
    .unwrap_or("each")
}

/// A customer's standing, for dispatch: their balance against their credit limit and how many
/// days their oldest unpaid invoice is past due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Standing {
    /// Deposit minus open invoices (negative: owed).
    pub balance_minor: i64,
    pub credit_limit_minor: i64,
    /// Days the oldest open invoice is past its due date (local days); none when nothing is
    /// overdue.
    pub overdue_days: Option<i32>,
    /// The `finance.overdue_grace_days` setting (default 0).
    pub grace_days: i64,
}

/// The standing of `user`'s account; `None` when they have no account.
pub async fn standing(
    conn: &mut PgConnection,
    user: UserId,
    today: NaiveDate,
) -> Result<Option<Standing>> {
    Ok(sqlx::query_as(
        "select (coalesce(-sum(l.amount_minor) filter (where l.ledger = 'deposits'), 0)
                 - coalesce(sum(l.amount_minor) filter (where l.ledger = 'receivables'), 0))::bigint
                    as balance_minor,
                a.credit_limit_minor,
                (select ($2::date - min(i.due_date))::int from invoices i
                  where i.account_id = a.id and i.status in ('issued', 'partly_paid')
                    and i.due_date < $2) as overdue_days,
                coalesce((select (value #>> '{}')::bigint from settings
                           where key = 'finance.overdue_grace_days'
                             and jsonb_typeof(value) = 'number'), 0)::bigint as grace_days
         from finance_accounts a left join ledger_lines l on l.customer_account_id = a.id
         where a.user_id = $1
         group by a.id",
    )
    .bind(user)
    .bind(today)
    .fetch_optional(conn)
    .await?)
}

/// The active tax rates among `ids`: (id, name, rate in ppm, inclusive), in the order asked.
pub async fn tax_rates(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String, i64, bool)>> {
    let rows: Vec<(Uuid, String, i32, bool)> = sqlx::query_as(
        "select t.id, t.name, t.rate_ppm, t.inclusive
           from unnest($1::uuid[]) with ordinality as w(id, n)
           join tax_rates t on t.id = w.id and t.active order by w.n",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, ppm, inclusive)| (id, name, i64::from(ppm), inclusive))
        .collect())
}
