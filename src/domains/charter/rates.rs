//! `/api/v1/charter/rates`: the charter rate of each aircraft type, set as a whole.

use chrono::{DateTime, Utc};
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{CharterRate, CharterRateList, CharterRateWrite};
use super::{CHARTER_QUOTE, CHARTER_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::finance::service as finance;
use crate::domains::fleet::service as fleet;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};

pub struct RatesApi;

#[derive(sqlx::FromRow)]
struct Row {
    aircraft_type_id: Uuid,
    currency: String,
    hourly_minor: i64,
    positioning_hourly_minor: i64,
    daily_minimum_minutes: i32,
    crew_overnight_minor: i64,
    catering_per_passenger_minor: i64,
    taxi_out_minutes: i32,
    taxi_in_minutes: i32,
    turnaround_minutes: i32,
    margin_ppm: i32,
    tax_rate_ids: Vec<Uuid>,
    version: i32,
    updated_at: DateTime<Utc>,
}

impl From<Row> for CharterRate {
    fn from(r: Row) -> Self {
        CharterRate {
            aircraft_type_id: r.aircraft_type_id,
            currency: r.currency,
            hourly_minor: r.hourly_minor,
            positioning_hourly_minor: r.positioning_hourly_minor,
            daily_minimum_minutes: r.daily_minimum_minutes,
            crew_overnight_minor: r.crew_overnight_minor,
            catering_per_passenger_minor: r.catering_per_passenger_minor,
            taxi_out_minutes: r.taxi_out_minutes,
            taxi_in_minutes: r.taxi_in_minutes,
            turnaround_minutes: r.turnaround_minutes,
            margin_ppm: r.margin_ppm,
            tax_rate_ids: r.tax_rate_ids,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! rate_select {
    () => {
        "select aircraft_type_id, currency, hourly_minor, positioning_hourly_minor, \
         daily_minimum_minutes, crew_overnight_minor, catering_per_passenger_minor, \
         taxi_out_minutes, taxi_in_minutes, turnaround_minutes, margin_ppm, tax_rate_ids, \
         version, updated_at from charter_rates"
    };
}

/// The rate of aircraft type `id`, if set.
pub(super) async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<CharterRate>> {
    let row: Option<Row> = sqlx::query_as(concat!(rate_select!(), " where aircraft_type_id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(CharterRate::from))
}

#[OpenApi(
    prefix_path = "/api/v1/charter/rates",
    tag = "super::Tag::CharterRates"
)]
impl RatesApi {
    /// Every aircraft type's charter rate.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/", method = "get")]
    async fn list(&self, ctx: TenantCtx) -> Result<Json<CharterRateList>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(rate_select!(), " order by aircraft_type_id"))
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        Ok(Json(CharterRateList {
            items: rows.into_iter().map(CharterRate::from).collect(),
        }))
    }

    /// One aircraft type's rate (`404` while none is set).
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/:aircraft_type_id", method = "get")]
    async fn get(&self, ctx: TenantCtx, aircraft_type_id: Path<Uuid>) -> Result<Json<CharterRate>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let rate = load(&mut tx, aircraft_type_id.0).await?;
        tx.end_read();
        rate.map(Json).ok_or(AppError::NotFound("charter rate"))
    }

    /// Set an aircraft type's rate, replacing what was there. Quotes already priced keep
    /// their prices; new versions use the new rate. With `version`, a concurrent change
    /// answers `409`.
    ///
    /// Permission: `charter.quote`. Audited as `charter_rate.set` with before and after.
    #[oai(path = "/:aircraft_type_id", method = "put")]
    async fn put(
        &self,
        ctx: TenantCtx,
        aircraft_type_id: Path<Uuid>,
        body: JsonBody<CharterRateWrite>,
    ) -> Result<Json<CharterRate>> {
        let b = body.0;
        ctx.require(CHARTER_QUOTE)?;
        let mut tx = ctx.begin().await?;
        if !fleet::aircraft_type_exists(&mut tx, aircraft_type_id.0).await? {
            return Err(AppError::NotFound("aircraft type"));
        }
        let before = load(&mut tx, aircraft_type_id.0).await?;
        if let Some(before) = &before {
            AppError::check_version("charter rate", b.version, before.version)?;
        }
        let found = finance::tax_rates(&mut tx, &b.tax_rate_ids).await?;
        if found.len() != b.tax_rate_ids.len() {
            return Err(AppError::validation(
                "tax_rate_ids",
                "names no active tax rate of this organisation",
            ));
        }
        sqlx::query(
            "insert into charter_rates (aircraft_type_id, currency, hourly_minor,
                 positioning_hourly_minor, daily_minimum_minutes, crew_overnight_minor,
                 catering_per_passenger_minor, taxi_out_minutes, taxi_in_minutes,
                 turnaround_minutes, margin_ppm, tax_rate_ids)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             on conflict (aircraft_type_id) do update set currency = excluded.currency,
                 hourly_minor = excluded.hourly_minor,
                 positioning_hourly_minor = excluded.positioning_hourly_minor,
                 daily_minimum_minutes = excluded.daily_minimum_minutes,
                 crew_overnight_minor = excluded.crew_overnight_minor,
                 catering_per_passenger_minor = excluded.catering_per_passenger_minor,
                 taxi_out_minutes = excluded.taxi_out_minutes,
                 taxi_in_minutes = excluded.taxi_in_minutes,
                 turnaround_minutes = excluded.turnaround_minutes,
                 margin_ppm = excluded.margin_ppm, tax_rate_ids = excluded.tax_rate_ids,
                 version = charter_rates.version + 1",
        )
        .bind(aircraft_type_id.0)
        .bind(&b.currency)
        .bind(b.hourly_minor)
        .bind(b.positioning_hourly_minor.unwrap_or(b.hourly_minor))
        .bind(b.daily_minimum_minutes)
        .bind(b.crew_overnight_minor)
        .bind(b.catering_per_passenger_minor)
        .bind(b.taxi_out_minutes.unwrap_or(10))
        .bind(b.taxi_in_minutes.unwrap_or(5))
        .bind(b.turnaround_minutes.unwrap_or(60))
        .bind(b.margin_ppm)
        .bind(&b.tax_rate_ids)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, aircraft_type_id.0)
            .await?
            .ok_or(AppError::NotFound("charter rate"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "charter_rate.set",
            "charter_rate",
            aircraft_type_id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Remove an aircraft type's rate: its aircraft can no longer be quoted (quotes made
    /// stay as priced).
    ///
    /// Permission: `charter.quote`. Audited as `charter_rate.deleted`.
    #[oai(path = "/:aircraft_type_id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, aircraft_type_id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(CHARTER_QUOTE)?;
        let mut tx = ctx.begin().await?;
        let before = sqlx::query_as::<_, Row>(concat!(
            rate_select!(),
            " where aircraft_type_id = $1 for update"
        ))
        .bind(aircraft_type_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .map(CharterRate::from)
        .ok_or(AppError::NotFound("charter rate"))?;
        sqlx::query("delete from charter_rates where aircraft_type_id = $1")
            .bind(aircraft_type_id.0)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit::Change {
                action: "charter_rate.deleted",
                resource_type: "charter_rate",
                resource_id: Some(aircraft_type_id.0.to_string()),
                before: audit::snapshot(&before),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
