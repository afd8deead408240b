//! `/api/v1/contacts/{id}/fbo`: what an FBO or ground handler offers (services, hours, posted
//! fuel prices and fees), one document replaced as a whole. Charter quotes price landing and
//! handling from these fees (`service::fees_at`).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    ContactRole, FboProfile, FboProfileWrite, FboService, Fee, FeeKind, FuelPrice, FuelPriceUnit,
    FuelProduct,
};
use super::{CONTACTS_MANAGE, CONTACTS_READ, api};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::units::wire;

pub struct FboApi;

#[derive(sqlx::FromRow)]
struct ProfileRow {
    services: Vec<String>,
    open_24h: bool,
    hours: Option<String>,
    frequency: Option<String>,
    currency: String,
    version: i32,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PriceRow {
    #[sqlx(try_from = "String")]
    product: FuelProduct,
    #[sqlx(try_from = "String")]
    unit: FuelPriceUnit,
    price_minor: i64,
    effective_on: NaiveDate,
}

#[derive(sqlx::FromRow)]
struct FeeRow {
    #[sqlx(try_from = "String")]
    kind: FeeKind,
    aircraft_type: String,
    amount_minor: i64,
}

/// The profile of contact `id`, if it has one.
pub(super) async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<FboProfile>> {
    let row: Option<ProfileRow> = sqlx::query_as(
        "select services, open_24h, hours, frequency, currency, version, updated_at
           from contact_fbo_profiles where contact_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let prices: Vec<PriceRow> = sqlx::query_as(
        "select product, unit, price_minor, effective_on from contact_fuel_prices
          where contact_id = $1 order by product",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let fees: Vec<FeeRow> = sqlx::query_as(
        "select kind, aircraft_type, amount_minor from contact_fees
          where contact_id = $1 order by kind, aircraft_type",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(FboProfile {
        contact_id: id,
        services: row
            .services
            .into_iter()
            .filter_map(|s| FboService::try_from(s).ok())
            .collect(),
        open_24h: row.open_24h,
        hours: row.hours,
        frequency: row.frequency,
        currency: Some(row.currency),
        fuel_prices: prices
            .into_iter()
            .map(|p| FuelPrice {
                product: p.product,
                unit: p.unit,
                price_minor: p.price_minor,
                effective_on: p.effective_on,
            })
            .collect(),
        fees: fees
            .into_iter()
            .map(|f| Fee {
                kind: f.kind,
                aircraft_type: (!f.aircraft_type.is_empty()).then_some(f.aircraft_type),
                amount_minor: f.amount_minor,
            })
            .collect(),
        version: row.version,
        updated_at: Some(row.updated_at),
    }))
}

/// One price per product, one fee per kind and aircraft type.
fn check_unique(b: &FboProfileWrite) -> Result<()> {
    let mut products = HashSet::new();
    for (i, p) in b.fuel_prices.iter().enumerate() {
        if !products.insert(wire(&p.product)) {
            return Err(AppError::validation(
                format!("fuel_prices[{i}].product"),
                "appears more than once",
            ));
        }
    }
    let mut fees = HashSet::new();
    for (i, f) in b.fees.iter().enumerate() {
        if !fees.insert((wire(&f.kind), f.aircraft_type.clone())) {
            return Err(AppError::validation(
                format!("fees[{i}]"),
                "appears more than once",
            ));
        }
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/contacts", tag = "super::Tag::Contacts")]
impl FboApi {
    /// The services, hours, fuel prices and fees of an FBO or ground handler. A contact without
    /// a profile answers an empty one (`version` 0, `currency` and `updated_at` `null`).
    ///
    /// Permission: `contacts.read`.
    #[oai(path = "/:id/fbo", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<FboProfile>> {
        ctx.require(CONTACTS_READ)?;
        let mut tx = ctx.begin().await?;
        api::load(&mut tx, id.0, false).await?;
        let profile = load(&mut tx, id.0).await?;
        tx.end_read();
        Ok(Json(profile.unwrap_or_else(|| FboProfile {
            contact_id: id.0,
            services: Vec::new(),
            open_24h: false,
            hours: None,
            frequency: None,
            currency: None,
            fuel_prices: Vec::new(),
            fees: Vec::new(),
            version: 0,
            updated_at: None,
        })))
    }

    /// Set the profile of a contact with the role `fbo` or `ground_handler` (`409 not-an-fbo`
    /// otherwise), replacing services, prices and fees as a whole. With `version` (of the
    /// profile read), a concurrent change answers `409`.
    ///
    /// Permission: `contacts.manage`. Audited as `contact.fbo_updated` with before and after.
    #[oai(path = "/:id/fbo", method = "put")]
    async fn put(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FboProfileWrite>,
    ) -> Result<Json<FboProfile>> {
        let b = body.0;
        check_unique(&b)?;
        ctx.require(CONTACTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let contact = api::load(&mut tx, id.0, true).await?;
        if !contact
            .roles
            .iter()
            .any(|r| matches!(r, ContactRole::Fbo | ContactRole::GroundHandler))
        {
            return Err(AppError::Conflict {
                code: "not-an-fbo",
                detail: "only a contact with the role fbo or ground_handler has an FBO profile"
                    .into(),
                field: None,
            });
        }
        let before = load(&mut tx, id.0).await?;
        if let Some(before) = &before {
            AppError::check_version("FBO profile", b.version, before.version)?;
        }
        let services: Vec<String> = b.services.iter().map(wire).collect();
        sqlx::query(
            "insert into contact_fbo_profiles (contact_id, services, open_24h, hours, frequency,
                 currency)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (contact_id) do update set services = excluded.services,
                 open_24h = excluded.open_24h, hours = excluded.hours,
                 frequency = excluded.frequency, currency = excluded.currency,
                 version = contact_fbo_profiles.version + 1",
        )
        .bind(id.0)
        .bind(&services)
        .bind(b.open_24h)
        .bind(&b.hours)
        .bind(&b.frequency)
        .bind(&b.currency)
        .execute(&mut *tx)
        .await?;
        sqlx::query("delete from contact_fuel_prices where contact_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from contact_fees where contact_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let products: Vec<String> = b.fuel_prices.iter().map(|p| wire(&p.product)).collect();
        let units: Vec<String> = b.fuel_prices.iter().map(|p| wire(&p.unit)).collect();
        let prices: Vec<i64> = b.fuel_prices.iter().map(|p| p.price_minor).collect();
        let dates: Vec<NaiveDate> = b.fuel_prices.iter().map(|p| p.effective_on).collect();
        sqlx::query(
            "insert into contact_fuel_prices (contact_id, product, unit, price_minor, effective_on)
             select $1, * from unnest($2::text[], $3::text[], $4::bigint[], $5::date[])",
        )
        .bind(id.0)
        .bind(&products)
        .bind(&units)
        .bind(&prices)
        .bind(&dates)
        .execute(&mut *tx)
        .await?;
        let kinds: Vec<String> = b.fees.iter().map(|f| wire(&f.kind)).collect();
        let types: Vec<String> = b
            .fees
            .iter()
            .map(|f| f.aircraft_type.clone().unwrap_or_default())
            .collect();
        let amounts: Vec<i64> = b.fees.iter().map(|f| f.amount_minor).collect();
        sqlx::query(
            "insert into contact_fees (contact_id, kind, aircraft_type, amount_minor)
             select $1, * from unnest($2::text[], $3::text[], $4::bigint[])",
        )
        .bind(id.0)
        .bind(&kinds)
        .bind(&types)
        .bind(&amounts)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("FBO profile"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "contact.fbo_updated",
            "contact",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
