//! `/api/v1/charter/quotes`: a customer's request (legs, passengers) priced for an aircraft
//! into a quote version (`pricing::price` over the facts loaded here). Changing the request
//! makes a new version; every version is kept as priced.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    Quote, QuoteAcceptance, QuotePage, QuotePricing, QuoteRequest, QuoteStatus, QuoteVersion,
    QuoteVersionList,
};
use super::pricing::{self, Asked, Priced, Rate, Stop};
use super::{CHARTER_QUOTE, CHARTER_READ, rates};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::airports::service::{self as airports, Point};
use crate::domains::contacts::service::{self as contacts, FeeKind};
use crate::domains::finance::service as finance;
use crate::domains::fleet::service as fleet;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::wire;

pub struct QuotesApi;

#[derive(ApiResponse)]
enum Created {
    /// The quote with its first version's price.
    #[oai(status = 201)]
    Created(Json<Quote>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    number: String,
    customer_id: Uuid,
    aircraft_id: Uuid,
    #[sqlx(try_from = "String")]
    status: QuoteStatus,
    current_version: i32,
    valid_until: Option<NaiveDate>,
    currency: String,
    total_minor: i64,
    notes: Option<String>,
    request: serde_json::Value,
    pricing: serde_json::Value,
    sent_at: Option<DateTime<Utc>>,
    sent_to: Option<String>,
    accepted_at: Option<DateTime<Utc>>,
    accepted_from: Option<String>,
    accepted_name: Option<String>,
    accepted_version: Option<i32>,
    trip_id: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A stored version: number, request, pricing, total, author, when.
type VersionRow = (
    i32,
    serde_json::Value,
    serde_json::Value,
    i64,
    Option<Uuid>,
    DateTime<Utc>,
);

fn stored<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| AppError::Internal(anyhow::anyhow!("stored quote: {e}")))
}

impl TryFrom<Row> for Quote {
    type Error = AppError;

    fn try_from(r: Row) -> Result<Self> {
        Ok(Quote {
            id: r.id,
            number: r.number,
            customer_id: r.customer_id,
            aircraft_id: r.aircraft_id,
            status: r.status,
            current_version: r.current_version,
            valid_until: r.valid_until,
            currency: r.currency,
            total_minor: r.total_minor,
            notes: r.notes,
            request: stored(r.request)?,
            pricing: stored(r.pricing)?,
            sent_at: r.sent_at,
            sent_to: r.sent_to,
            acceptance: match (r.accepted_at, r.accepted_name, r.accepted_version) {
                (Some(accepted_at), Some(accepted_name), Some(accepted_version)) => {
                    Some(QuoteAcceptance {
                        accepted_at,
                        accepted_from: r.accepted_from,
                        accepted_name,
                        accepted_version,
                        trip_id: r.trip_id,
                    })
                }
                _ => None,
            },
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! quote_select {
    () => {
        "select q.id, q.number, q.customer_id, q.aircraft_id, q.status, q.current_version, \
         q.valid_until, q.currency, q.total_minor, q.notes, v.request, v.pricing, q.sent_at, \
         q.sent_to, q.accepted_at, q.accepted_from, q.accepted_name, q.accepted_version, \
         (select t.id from charter_trips t where t.quote_id = q.id) as trip_id, q.version, \
         q.created_at, q.updated_at \
         from charter_quotes q \
         join charter_quote_versions v on v.quote_id = q.id and v.version = q.current_version"
    };
}

pub(super) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Quote> {
    let sql = if lock {
        concat!(quote_select!(), " where q.id = $1 for update of q")
    } else {
        concat!(quote_select!(), " where q.id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.ok_or(AppError::NotFound("quote"))?.try_into()
}

/// A stop by code from the airports found, without fees yet.
fn place(found: &HashMap<String, airports::Airport>, field: String, code: &str) -> Result<Stop> {
    let airport = found
        .get(&code.trim().to_uppercase())
        .ok_or_else(|| AppError::validation(field, "names no airport or landing site"))?;
    Ok(Stop {
        code: airport.code.clone(),
        point: Point {
            latitude: airport.latitude,
            longitude: airport.longitude,
        },
        tz: airport.time_zone.parse::<Tz>().unwrap_or(Tz::UTC),
        landing_minor: None,
        handling_minor: None,
    })
}

/// Sets a stop's landing and handling fees from its FBO's; `Err(field)` when the FBO asked
/// for has no profile. An FBO charging in another currency than the rate's is left out, with
/// a warning.
fn charge(
    stop: &mut Stop,
    fees: contacts::StopFees,
    currency: &str,
    warnings: &mut Vec<String>,
) -> std::result::Result<(), ()> {
    match fees {
        contacts::StopFees::NoFbo => {}
        contacts::StopFees::NoProfile => return Err(()),
        contacts::StopFees::Fees { currency: c, .. } if c != currency => warnings.push(format!(
            "the FBO at {} charges in {c}, the rate is in {currency}: its fees are left out",
            stop.code
        )),
        contacts::StopFees::Fees { fees, .. } => {
            for (kind, amount) in fees {
                match kind {
                    FeeKind::Landing => stop.landing_minor = Some(amount),
                    FeeKind::Handling => stop.handling_minor = Some(amount),
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// Prices `req` in the caller's transaction: loads the aircraft, its type's rate, the customer,
/// the stops and their fees, and prices them (`pricing::price`). For the API and the benchmark.
/// Six statements whatever the number of legs: the customer, the aircraft, the rate, every
/// airport, every stop's fees, the taxes.
pub async fn price(conn: &mut PgConnection, req: &QuoteRequest) -> Result<Priced> {
    contacts::contact(conn, req.customer_id)
        .await?
        .filter(|c| c.is_customer && c.active)
        .ok_or_else(|| {
            AppError::validation(
                "customer_id",
                "names no active customer of this organisation",
            )
        })?;
    let aircraft = fleet::aircraft_facts(conn, req.aircraft_id)
        .await?
        .ok_or_else(|| {
            AppError::validation("aircraft_id", "names no aircraft of this organisation")
        })?;
    let no_rate = || AppError::Conflict {
        code: "no-charter-rate",
        detail: format!(
            "{}'s aircraft type has no charter rate (PUT /api/v1/charter/rates/{{aircraft_type_id}})",
            aircraft.registration
        ),
        field: Some("aircraft_id".into()),
    };
    let type_id = aircraft.aircraft_type_id.ok_or_else(no_rate)?;
    let rate = rates::load(conn, type_id).await?.ok_or_else(no_rate)?;
    let cruise = aircraft.cruise_speed_kts.ok_or_else(|| {
        AppError::validation(
            "aircraft_id",
            "the aircraft and its type have no cruise speed",
        )
    })?;
    let designator = aircraft.type_designator.clone().unwrap_or_default();
    let mut codes: Vec<&str> = req
        .legs
        .iter()
        .flat_map(|l| [l.from.as_str(), l.to.as_str()])
        .collect();
    codes.extend(aircraft.home_base.as_deref());
    let found = airports::by_codes(conn, &codes).await?;
    let mut asked = Vec::with_capacity(req.legs.len());
    for (i, leg) in req.legs.iter().enumerate() {
        let from = place(&found, format!("legs[{i}].from"), &leg.from)?;
        let to = place(&found, format!("legs[{i}].to"), &leg.to)?;
        if from.code == to.code {
            return Err(AppError::validation(
                format!("legs[{i}].to"),
                "must be another airport than from",
            ));
        }
        asked.push(Asked {
            from,
            to,
            departs_at: leg.departs_at,
            passengers: leg.passengers,
            catering: leg.catering,
        });
    }
    let mut warnings = Vec::new();
    let mut base = match aircraft.home_base.as_deref() {
        Some(code) => Some(place(&found, "aircraft_id".into(), code).map_err(|_| {
            AppError::validation("aircraft_id", "the aircraft's home base names no airport")
        })?),
        None => {
            warnings.push(format!(
                "{} has no home base: no positioning priced",
                aircraft.registration
            ));
            None
        }
    };
    // Each leg's departure at the first FBO there, its arrival at the one asked for (else the
    // first there), and the base: their fees in one statement, in that order.
    let mut stops: Vec<(&str, Option<Uuid>)> = asked
        .iter()
        .zip(&req.legs)
        .flat_map(|(a, l)| [(a.from.code.as_str(), None), (a.to.code.as_str(), l.fbo_id)])
        .collect();
    stops.extend(base.as_ref().map(|b| (b.code.as_str(), None)));
    let mut fees = contacts::stop_fees(
        conn,
        &stops,
        &designator,
        &[FeeKind::Landing, FeeKind::Handling],
    )
    .await?
    .into_iter();
    for (i, a) in asked.iter_mut().enumerate() {
        let (Some(from), Some(to)) = (fees.next(), fees.next()) else {
            break;
        };
        // The departure's fees are the leg before's arrival's: warned about there.
        charge(&mut a.from, from, &rate.currency, &mut Vec::new()).ok();
        charge(&mut a.to, to, &rate.currency, &mut warnings).map_err(|()| {
            AppError::validation(
                format!("legs[{i}].fbo_id"),
                "names no FBO or handler with a profile of this organisation",
            )
        })?;
    }
    if let (Some(b), Some(f)) = (base.as_mut(), fees.next()) {
        charge(b, f, &rate.currency, &mut warnings).ok();
    }
    if let Some(seats) = aircraft.seats
        && let Some((i, _)) = req
            .legs
            .iter()
            .enumerate()
            .find(|(_, l)| l.passengers > seats)
    {
        return Err(AppError::validation(
            format!("legs[{i}].passengers"),
            format!(
                "is more than the {seats} seats of {}",
                aircraft.registration
            ),
        ));
    }
    let taxes = finance::tax_rates(conn, &rate.tax_rate_ids)
        .await?
        .into_iter()
        .map(|(_, name, ppm, inclusive)| (name, ppm, inclusive))
        .collect();
    let rate = Rate {
        currency: rate.currency,
        hourly_minor: rate.hourly_minor,
        positioning_hourly_minor: rate.positioning_hourly_minor,
        daily_minimum_minutes: rate.daily_minimum_minutes,
        crew_overnight_minor: rate.crew_overnight_minor,
        catering_per_passenger_minor: rate.catering_per_passenger_minor,
        taxi_out_minutes: rate.taxi_out_minutes,
        taxi_in_minutes: rate.taxi_in_minutes,
        turnaround_minutes: rate.turnaround_minutes,
        margin_ppm: i64::from(rate.margin_ppm),
        taxes,
    };
    let mut priced = pricing::price(&rate, cruise, base.as_ref(), &asked);
    // Each leg leaves after the one before it (positioning included) arrived; the error
    // names the asked leg at or after the one that leaves too early.
    let asked_at: Vec<Option<usize>> = priced
        .legs
        .iter()
        .scan(0usize, |n, l| {
            Some((!l.positioning).then(|| {
                *n += 1;
                *n - 1
            }))
        })
        .collect();
    for k in 1..priced.legs.len() {
        if priced.legs[k].departs_at < priced.legs[k - 1].arrives_at {
            let named = asked_at[k..]
                .iter()
                .flatten()
                .next()
                .copied()
                .unwrap_or(req.legs.len() - 1);
            return Err(AppError::validation(
                format!("legs[{named}].departs_at"),
                format!(
                    "must not be before the aircraft arrives from the leg before ({})",
                    priced.legs[k - 1].arrives_at.format("%Y-%m-%dT%H:%MZ")
                ),
            ));
        }
    }
    warnings.append(&mut priced.warnings);
    let mut seen = std::collections::HashSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    priced.warnings = warnings;
    Ok(priced)
}

fn pricing_json(p: &Priced) -> Result<serde_json::Value> {
    serde_json::to_value(p).map_err(|e| AppError::Internal(e.into()))
}

fn request_json(r: &QuoteRequest) -> Result<serde_json::Value> {
    serde_json::to_value(r).map_err(|e| AppError::Internal(e.into()))
}

#[OpenApi(
    prefix_path = "/api/v1/charter/quotes",
    tag = "super::Tag::CharterQuotes"
)]
impl QuotesApi {
    /// Quotes, newest first, narrowed by status or customer.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only quotes in this status.
        status: Query<Option<QuoteStatus>>,
        /// Only this customer's quotes.
        customer_id: Query<Option<Uuid>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<QuotePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(
            quote_select!(),
            " where q.id < $1 and ($2::text is null or q.status = $2)
                and ($3::uuid is null or q.customer_id = $3)
              order by q.id desc limit $4"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(status.0.as_ref().map(wire))
        .bind(customer_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows
            .into_iter()
            .map(Quote::try_from)
            .collect::<Result<Vec<_>>>()?;
        let (items, next_cursor) = page::finish(rows, limit, |q: &Quote| q.id);
        Ok(Json(QuotePage { items, next_cursor }))
    }

    /// Price a request into a new quote (a draft, version 1). The aircraft's type needs a
    /// charter rate (`409 no-charter-rate`); every code must name an airport or landing site;
    /// the customer is a contact with the role `customer`; legs are in departure order, each
    /// leaving after the one before arrives. Positioning from the aircraft's home base and
    /// back is added and priced (docs/charter.md).
    ///
    /// Permission: `charter.quote`. Audited as `charter_quote.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<QuoteRequest>) -> Result<Created> {
        let req = body.0;
        ctx.require(CHARTER_QUOTE)?;
        let mut tx = ctx.begin().await?;
        let priced = price(&mut tx, &req).await?;
        let year = Utc::now().year();
        let n: i32 = sqlx::query_scalar(
            "insert into charter_quote_sequences (year, next_number) values ($1, 2)
             on conflict (year) do update set next_number = charter_quote_sequences.next_number + 1
             returning next_number - 1",
        )
        .bind(year)
        .fetch_one(&mut *tx)
        .await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into charter_quotes (id, number, customer_id, aircraft_id, valid_until,
                 currency, total_minor, notes, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(format!("Q-{year}-{n:04}"))
        .bind(req.customer_id)
        .bind(req.aircraft_id)
        .bind(req.valid_until)
        .bind(&priced.currency)
        .bind(priced.total_minor)
        .bind(&req.notes)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "insert into charter_quote_versions (quote_id, version, request, pricing,
                 total_minor, created_by)
             values ($1, 1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(request_json(&req)?)
        .bind(pricing_json(&priced)?)
        .bind(priced.total_minor)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await?;
        let quote = load(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "charter_quote.created",
            "charter_quote",
            id,
            &quote,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(quote)))
    }

    /// One quote with its current version.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Quote>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let quote = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(quote))
    }

    /// Every version of a quote, newest first, each as it was priced.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/:id/versions", method = "get")]
    async fn versions(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<QuoteVersionList>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        load(&mut tx, id.0, false).await?;
        let rows: Vec<VersionRow> = sqlx::query_as(
            "select version, request, pricing, total_minor, created_by, created_at
                   from charter_quote_versions where quote_id = $1 order by version desc",
        )
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items = rows
            .into_iter()
            .map(
                |(version, request, pricing, total_minor, created_by, created_at)| {
                    Ok(QuoteVersion {
                        version,
                        request: stored(request)?,
                        pricing: stored::<QuotePricing>(pricing)?,
                        total_minor,
                        created_by,
                        created_at,
                    })
                },
            )
            .collect::<Result<Vec<_>>>()?;
        Ok(Json(QuoteVersionList { items }))
    }

    /// Re-price a changed request as the quote's next version (a draft again). A quote that
    /// was accepted, declined or expired is `409 quote-closed`. The customer stays; with
    /// `version` (of the quote read), a concurrent change answers `409`.
    ///
    /// Permission: `charter.quote`. Audited as `charter_quote.revised` with before and after.
    #[oai(path = "/:id/versions", method = "post")]
    async fn revise(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// The quote's `version` read; a concurrent change answers `409`.
        version: Query<Option<i32>>,
        body: JsonBody<QuoteRequest>,
    ) -> Result<Json<Quote>> {
        let req = body.0;
        ctx.require(CHARTER_QUOTE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("quote", version.0, before.version)?;
        if !matches!(before.status, QuoteStatus::Draft | QuoteStatus::Sent) {
            return Err(AppError::Conflict {
                code: "quote-closed",
                detail: format!("quote {} is {}", before.number, wire(&before.status)),
                field: None,
            });
        }
        if req.customer_id != before.customer_id {
            return Err(AppError::validation(
                "customer_id",
                "a quote's customer stays: make a new quote for another customer",
            ));
        }
        let priced = price(&mut tx, &req).await?;
        let next = before.current_version + 1;
        sqlx::query(
            "insert into charter_quote_versions (quote_id, version, request, pricing,
                 total_minor, created_by)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(next)
        .bind(request_json(&req)?)
        .bind(pricing_json(&priced)?)
        .bind(priced.total_minor)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "update charter_quotes set current_version = $2, status = 'draft', aircraft_id = $3,
                 valid_until = $4, currency = $5, total_minor = $6, notes = $7,
                 version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(next)
        .bind(req.aircraft_id)
        .bind(req.valid_until)
        .bind(&priced.currency)
        .bind(priced.total_minor)
        .bind(&req.notes)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "charter_quote.revised",
            "charter_quote",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
