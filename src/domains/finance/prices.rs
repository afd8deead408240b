//! `/api/v1/finance/tax-rates` and `/api/v1/finance/prices`: the tenant's tax rates and its
//! price list. Neither is ever deleted (issued invoices point at them): deactivate instead.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    AppliesAt, Category, PriceItem, PriceItemCreate, PriceItemPage, PriceItemUpdate, TaxRate,
    TaxRateCreate, TaxRatePage, TaxRateUpdate, Unit,
};
use super::{FINANCE_MANAGE, FINANCE_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::contacts::service::FuelProduct;
use crate::error::{AppError, Checks, Result};
use crate::http::JsonBody;
use crate::kernel::units::{merge, wire};
use crate::kernel::{AircraftId, UserId, page};

pub struct PricesApi;

#[derive(ApiResponse)]
enum TaxCreated {
    /// The tax rate as stored.
    #[oai(status = 201)]
    Created(Json<TaxRate>),
}

#[derive(ApiResponse)]
enum PriceCreated {
    /// The price item as stored.
    #[oai(status = 201)]
    Created(Json<PriceItem>),
}

const TAX_COLUMNS: &str =
    "id, name, rate_ppm::bigint as rate_ppm, inclusive, active, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct TaxRow {
    id: Uuid,
    name: String,
    rate_ppm: i64,
    inclusive: bool,
    active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TaxRow> for TaxRate {
    fn from(r: TaxRow) -> Self {
        TaxRate {
            id: r.id,
            name: r.name,
            rate_ppm: r.rate_ppm,
            inclusive: r.inclusive,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

async fn tax_get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<TaxRate>> {
    let sql = format!(
        "select {TAX_COLUMNS} from tax_rates where id = $1{}",
        if lock { " for update" } else { "" }
    );
    let row: Option<TaxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(TaxRate::from))
}

const PRICE_COLUMNS: &str = "id, code, name, category, unit, unit_price_minor, currency, aircraft_id, \
     instructor_id, wet, fuel_product, price_tier, applies_at, tax_rate_ids, active, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct PriceRow {
    id: Uuid,
    code: String,
    name: String,
    #[sqlx(try_from = "String")]
    category: Category,
    #[sqlx(try_from = "String")]
    unit: Unit,
    unit_price_minor: i64,
    currency: String,
    aircraft_id: Option<Uuid>,
    instructor_id: Option<Uuid>,
    wet: Option<bool>,
    fuel_product: Option<String>,
    price_tier: Option<String>,
    applies_at: Option<String>,
    tax_rate_ids: Vec<Uuid>,
    active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PriceRow> for PriceItem {
    type Error = AppError;

    fn try_from(r: PriceRow) -> Result<Self> {
        Ok(PriceItem {
            id: r.id,
            code: r.code,
            name: r.name,
            category: r.category,
            unit: r.unit,
            unit_price_minor: r.unit_price_minor,
            currency: r.currency,
            aircraft_id: r.aircraft_id.map(AircraftId),
            instructor_id: r.instructor_id.map(UserId),
            wet: r.wet,
            fuel_product: r
                .fuel_product
                .map(FuelProduct::try_from)
                .transpose()
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            price_tier: r.price_tier,
            applies_at: r
                .applies_at
                .map(AppliesAt::try_from)
                .transpose()
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            tax_rate_ids: r.tax_rate_ids,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// One price item.
pub async fn price_get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<PriceItem>> {
    let sql = format!(
        "select {PRICE_COLUMNS} from price_items where id = $1{}",
        if lock { " for update" } else { "" }
    );
    let row: Option<PriceRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(PriceItem::try_from).transpose()
}

/// Every listed tax rate must exist (and be active, for new prices and lines).
pub async fn check_tax_rates(conn: &mut PgConnection, field: &str, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: i64 =
        sqlx::query_scalar("select count(*) from tax_rates where id = any($1) and active")
            .bind(ids)
            .fetch_one(conn)
            .await?;
    if found != ids.len() as i64 {
        return Err(AppError::validation(
            field,
            "names no active tax rate of this organisation",
        ));
    }
    Ok(())
}

/// The rules of a price item's fields together.
fn check_price(
    category: Category,
    unit_price_minor: i64,
    wet: Option<bool>,
    aircraft: bool,
) -> Result<()> {
    let mut c = Checks::new();
    check_price_fields(&mut c, category, unit_price_minor, wet, aircraft);
    c.done()
}

fn check_price_fields(
    c: &mut Checks,
    category: Category,
    unit_price_minor: i64,
    wet: Option<bool>,
    aircraft: bool,
) {
    c.check(
        (unit_price_minor < 0) == (category == Category::Discount),
        "unit_price_minor",
        "must be negative for a discount and not negative otherwise",
    );
    c.check(
        wet.is_none() || category == Category::Aircraft,
        "wet",
        "is only valid with category aircraft",
    );
    c.check(
        !aircraft
            || matches!(
                category,
                Category::Aircraft | Category::Fee | Category::Fuel | Category::Discount
            ),
        "aircraft_id",
        "is only valid with category aircraft, fee, fuel or discount",
    );
}

#[OpenApi(prefix_path = "/api/v1/finance", tag = "super::Tag::FinancePrices")]
impl PricesApi {
    /// List tax rates, newest first.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/tax-rates", method = "get")]
    async fn tax_list(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<TaxRatePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<TaxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select {TAX_COLUMNS} from tax_rates where id < $1 order by id desc limit $2"
        )))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<TaxRate> = rows.into_iter().map(TaxRate::from).collect();
        let (items, next_cursor) = page::finish(items, limit, |t| t.id);
        Ok(Json(TaxRatePage { items, next_cursor }))
    }

    /// Create a tax rate (`rate_ppm`: 7.5 % is 75000). Names are unique (`409`).
    ///
    /// Permission: `finance.manage`. Audited as `tax_rate.created`.
    #[oai(path = "/tax-rates", method = "post")]
    async fn tax_create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<TaxRateCreate>,
    ) -> Result<TaxCreated> {
        if body.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into tax_rates (id, name, rate_ppm, inclusive) values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(body.name.trim())
        .bind(body.rate_ppm as i32)
        .bind(body.inclusive.unwrap_or(false))
        .execute(&mut *tx)
        .await?;
        let t = tax_get(&mut tx, id, false)
            .await?
            .ok_or(AppError::NotFound("tax rate"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "tax_rate.created",
            "tax_rate",
            id,
            &t,
        )
        .await?;
        tx.commit().await?;
        Ok(TaxCreated::Created(Json(t)))
    }

    /// Update a tax rate. Lines already written keep the name and rate they were written with.
    ///
    /// Permission: `finance.manage`. Audited as `tax_rate.updated`.
    #[oai(path = "/tax-rates/:id", method = "patch")]
    async fn tax_update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TaxRateUpdate>,
    ) -> Result<Json<TaxRate>> {
        if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = tax_get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("tax rate"))?;
        AppError::check_version("tax rate", body.version, before.version)?;
        sqlx::query(
            "update tax_rates set name = $2, rate_ppm = $3, inclusive = $4, active = $5,
                 version = version + 1 where id = $1",
        )
        .bind(id.0)
        .bind(body.name.as_deref().map_or(before.name.as_str(), str::trim))
        .bind(body.rate_ppm.unwrap_or(before.rate_ppm) as i32)
        .bind(body.inclusive.unwrap_or(before.inclusive))
        .bind(body.active.unwrap_or(before.active))
        .execute(&mut *tx)
        .await?;
        let after = tax_get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("tax rate"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "tax_rate.updated",
            "tax_rate",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// The price list, newest first, filtered by `category`, `aircraft_id` and `active`.
    ///
    /// Permission: `finance.read`.
    #[oai(path = "/prices", method = "get")]
    async fn price_list(
        &self,
        ctx: TenantCtx,
        category: Query<Option<Category>>,
        aircraft_id: Query<Option<AircraftId>>,
        active: Query<Option<bool>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<PriceItemPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<PriceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select {PRICE_COLUMNS} from price_items
             where id < $1 and ($2::text is null or category = $2)
               and ($3::uuid is null or aircraft_id = $3) and ($4::boolean is null or active = $4)
             order by id desc limit $5"
        )))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(category.0.map(|c| wire(&c)))
        .bind(aircraft_id.0)
        .bind(active.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items = rows
            .into_iter()
            .map(PriceItem::try_from)
            .collect::<Result<Vec<_>>>()?;
        let (items, next_cursor) = page::finish(items, limit, |p| p.id);
        Ok(Json(PriceItemPage { items, next_cursor }))
    }

    /// Add a price item. `code` is unique (`409`); a discount's price is negative, any other
    /// not; `wet` only for aircraft rates; the tax rates must exist and be active.
    ///
    /// Permission: `finance.manage`. Audited as `price_item.created`.
    #[oai(path = "/prices", method = "post")]
    async fn price_create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<PriceItemCreate>,
    ) -> Result<PriceCreated> {
        if body.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        let mut c = Checks::new();
        check_price_fields(
            &mut c,
            body.category,
            body.unit_price_minor,
            body.wet,
            body.aircraft_id.is_some(),
        );
        c.check(
            body.fuel_product.is_none()
                || (body.category == Category::Fuel
                    && matches!(body.unit, Unit::Gallon | Unit::Liter)),
            "fuel_product",
            "is only valid with category fuel and unit gallon or liter",
        );
        c.done()?;
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let taxes = body.tax_rate_ids.clone().unwrap_or_default();
        check_tax_rates(&mut tx, "tax_rate_ids", &taxes).await?;
        let currency = match &body.currency {
            Some(c) => c.clone(),
            None => super::accounts::tenant_currency(&mut tx).await?,
        };
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into price_items (id, code, name, category, unit, unit_price_minor, currency,
                 aircraft_id, instructor_id, wet, price_tier, applies_at, tax_rate_ids,
                 fuel_product)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(id)
        .bind(&body.code)
        .bind(body.name.trim())
        .bind(wire(&body.category))
        .bind(wire(&body.unit))
        .bind(body.unit_price_minor)
        .bind(&currency)
        .bind(body.aircraft_id)
        .bind(body.instructor_id)
        .bind(body.wet)
        .bind(&body.price_tier)
        .bind(body.applies_at.map(|a| wire(&a)))
        .bind(&taxes)
        .bind(body.fuel_product.map(|p| wire(&p)))
        .execute(&mut *tx)
        .await?;
        let p = price_get(&mut tx, id, false)
            .await?
            .ok_or(AppError::NotFound("price item"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "price_item.created",
            "price_item",
            id,
            &p,
        )
        .await?;
        tx.commit().await?;
        Ok(PriceCreated::Created(Json(p)))
    }

    /// One price item. Permission: `finance.read`.
    #[oai(path = "/prices/:id", method = "get")]
    async fn price_get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<PriceItem>> {
        ctx.require(FINANCE_READ)?;
        let mut tx = ctx.begin().await?;
        let p = price_get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("price item"))?;
        tx.end_read();
        Ok(Json(p))
    }

    /// Update a price item partially (its code, category, unit, currency, aircraft and
    /// instructor stay). Lines already written keep their price.
    ///
    /// Permission: `finance.manage`. Audited as `price_item.updated`.
    #[oai(path = "/prices/:id", method = "patch")]
    async fn price_update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<PriceItemUpdate>,
    ) -> Result<Json<PriceItem>> {
        if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(FINANCE_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = price_get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("price item"))?;
        AppError::check_version("price item", body.version, before.version)?;
        let mut next = before.clone();
        if let Some(n) = &body.name {
            next.name = n.trim().to_owned();
        }
        next.unit_price_minor = body.unit_price_minor.unwrap_or(next.unit_price_minor);
        merge(&mut next.wet, &body.wet);
        merge(&mut next.price_tier, &body.price_tier);
        merge(&mut next.applies_at, &body.applies_at);
        if let Some(t) = &body.tax_rate_ids {
            check_tax_rates(&mut tx, "tax_rate_ids", t).await?;
            next.tax_rate_ids = t.clone();
        }
        next.active = body.active.unwrap_or(next.active);
        check_price(
            next.category,
            next.unit_price_minor,
            next.wet,
            next.aircraft_id.is_some(),
        )?;
        sqlx::query(
            "update price_items set name = $2, unit_price_minor = $3, wet = $4, price_tier = $5,
                 applies_at = $6, tax_rate_ids = $7, active = $8, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(&next.name)
        .bind(next.unit_price_minor)
        .bind(next.wet)
        .bind(&next.price_tier)
        .bind(next.applies_at.map(|a| wire(&a)))
        .bind(&next.tax_rate_ids)
        .bind(next.active)
        .execute(&mut *tx)
        .await?;
        let after = price_get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("price item"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "price_item.updated",
            "price_item",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
