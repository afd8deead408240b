//! `GET /api/v1/airports/{code}/weather` and `GET /api/v1/airports/weather?codes=`: the
//! stored METAR and TAF of the places asked for, read from `reference.weather` inside the
//! request's transaction. Asking registers the stations as wanted for the next
//! [`WANTED_AFTER_REQUEST`]; the fetching is the shared job's ([`super::refresh`]), never the
//! request's.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use sqlx::PgConnection;
use sqlx::types::Json as Jsonb;

use super::dto::{
    FlightCategory, Metar, StationSource, StationWeather, StationWeatherList, Taf, TafPeriod,
    Unavailable,
};
use super::metar::MetarFields;
use super::provider::station_code;
use super::wants;
use crate::auth::TenantCtx;
use crate::config::Settings;
use crate::domains::airports::AIRPORTS_READ;
use crate::domains::airports::api::by_code;
use crate::domains::airports::dto::{Airport, AirportSource};
use crate::domains::airports::geo::Point;
use crate::domains::airports::index::Index;
use crate::error::{AppError, Result};
use crate::state::AppState;

pub struct WeatherApi;

/// A station asked about over the API stays wanted (fetched every refresh) this long.
pub const WANTED_AFTER_REQUEST: Duration = Duration::hours(6);
/// A METAR older than this is not the current weather (routine reports are hourly).
const METAR_STALE: Duration = Duration::minutes(90);
/// How far a landing site looks for the nearest airport with scheduled service.
const NEAREST_WITHIN_NM: f64 = 50.0;
/// Places in one multi-station request.
const MAX_CODES: usize = 20;

#[derive(sqlx::FromRow)]
struct Row {
    station: String,
    fetched_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
    failure: Option<String>,
    metar_raw: Option<String>,
    metar_observed_at: Option<DateTime<Utc>>,
    metar: Option<Jsonb<MetarFields>>,
    taf_raw: Option<String>,
    taf_issued_at: Option<DateTime<Utc>>,
    taf_valid_from: Option<DateTime<Utc>>,
    taf_valid_to: Option<DateTime<Utc>>,
    taf_category: Option<String>,
    taf_periods: Option<Jsonb<Vec<TafPeriod>>>,
}

/// The reporting station of `place`: an airport's own ICAO code, or for a landing site the
/// nearest airport with scheduled service within [`NEAREST_WITHIN_NM`].
fn station_of(place: &Airport) -> (Option<String>, StationSource, Option<f64>) {
    if place.source == AirportSource::Reference {
        return match place.icao.as_deref().and_then(station_code) {
            Some(s) => (Some(s), StationSource::Own, None),
            None => (None, StationSource::None, None),
        };
    }
    let at = Point {
        latitude: place.latitude,
        longitude: place.longitude,
    };
    match Index::get().nearest_with_iata(at, NEAREST_WITHIN_NM) {
        Some((a, d)) => match a.icao.as_deref().and_then(station_code) {
            Some(s) => (
                Some(s),
                StationSource::Nearest,
                Some((d * 10.0).round() / 10.0),
            ),
            None => (None, StationSource::None, None),
        },
        None => (None, StationSource::None, None),
    }
}

/// The weather at `places` (airports and landing sites as `by_code` finds them), in order,
/// from what `reference.weather` holds; their stations are recorded as wanted until `until`.
/// With no provider configured every answer is `not_configured`.
pub async fn weather_at(
    conn: &mut PgConnection,
    settings: &Settings,
    places: &[Airport],
    until: DateTime<Utc>,
) -> Result<Vec<StationWeather>> {
    let stations: Vec<_> = places.iter().map(station_of).collect();
    let configured = settings.weather.provider_url.is_some();
    let mut rows: HashMap<String, Row> = HashMap::new();
    if configured {
        let codes: Vec<String> = stations.iter().filter_map(|s| s.0.clone()).collect();
        wants::want(settings, codes.iter().map(String::as_str), until);
        let found: Vec<Row> = sqlx::query_as(
            "select station, fetched_at, failed_at, failure, metar_raw, metar_observed_at, metar,
                    taf_raw, taf_issued_at, taf_valid_from, taf_valid_to, taf_category, taf_periods
               from reference.weather where station = any($1)",
        )
        .bind(&codes)
        .fetch_all(conn)
        .await?;
        rows.extend(found.into_iter().map(|r| (r.station.clone(), r)));
    }
    let now = Utc::now();
    Ok(places
        .iter()
        .zip(stations)
        .map(|(place, (station, source, distance))| {
            let row = station.as_deref().and_then(|s| rows.get(s));
            let mut w = StationWeather {
                code: place.code.clone(),
                name: place.name.clone(),
                station,
                station_source: source,
                station_distance_nm: distance,
                available: false,
                reason: None,
                detail: None,
                metar: None,
                taf: None,
                fetched_at: None,
                stale: false,
                refresh_failed_at: None,
            };
            answer(
                &mut w,
                place.source == AirportSource::Private,
                configured,
                row,
                now,
            );
            w
        })
        .collect())
}

/// Fills in what `row` holds, or why there is nothing.
fn answer(
    w: &mut StationWeather,
    site: bool,
    configured: bool,
    row: Option<&Row>,
    now: DateTime<Utc>,
) {
    let unavailable = |w: &mut StationWeather, reason: Unavailable, detail: String| {
        w.reason = Some(reason);
        w.detail = Some(detail);
    };
    if !configured {
        return unavailable(
            w,
            Unavailable::NotConfigured,
            "no weather provider is configured on this server".into(),
        );
    }
    if w.station.is_none() {
        let detail = if site {
            "a landing site reports no weather, and no airport with scheduled service lies \
             within 50 nm"
        } else {
            "the airport has no ICAO location indicator to ask a weather provider about"
        };
        return unavailable(w, Unavailable::NoStation, detail.into());
    }
    let Some(row) = row.filter(|r| r.fetched_at.is_some() || r.failed_at.is_some()) else {
        return unavailable(
            w,
            Unavailable::Pending,
            "asked for the first time: the next fetch brings it".into(),
        );
    };
    w.fetched_at = row.fetched_at;
    let failed = row
        .failed_at
        .filter(|f| row.fetched_at.is_none_or(|ok| *f > ok));
    w.metar = metar(row, now);
    w.taf = taf(row, now);
    w.available = w.metar.is_some() || w.taf.is_some();
    w.stale = w.metar.as_ref().is_some_and(|m| m.stale) || w.taf.as_ref().is_some_and(|t| t.stale);
    if let Some(at) = failed {
        w.refresh_failed_at = Some(at);
        w.detail = Some(format!(
            "the last refresh failed ({}): {}",
            at.format("%Y-%m-%dT%H:%MZ"),
            row.failure
                .as_deref()
                .unwrap_or("the weather provider failed")
        ));
    }
    if !w.available {
        if failed.is_some() {
            w.reason = Some(Unavailable::ProviderUnavailable);
        } else {
            unavailable(
                w,
                Unavailable::NoReport,
                "the provider has no current METAR or TAF for the station".into(),
            );
        }
    }
}

fn metar(row: &Row, now: DateTime<Utc>) -> Option<Metar> {
    let raw = row.metar_raw.clone()?;
    let observed_at = row.metar_observed_at?;
    let f = row.metar.as_ref().map(|j| j.0.clone()).unwrap_or_default();
    Some(Metar {
        raw,
        observed_at,
        stale: now - observed_at > METAR_STALE,
        category: f.category,
        ceiling_ft: f.ceiling_ft,
        visibility_sm: f.visibility_sm,
        visibility_qualifier: f.visibility_qualifier,
        wind_direction_deg: f.wind_direction_deg,
        wind_speed_kt: f.wind_speed_kt,
        wind_gust_kt: f.wind_gust_kt,
        temperature_c: f.temperature_c,
        dewpoint_c: f.dewpoint_c,
        altimeter_hpa: f.altimeter_hpa,
    })
}

fn taf(row: &Row, now: DateTime<Utc>) -> Option<Taf> {
    let raw = row.taf_raw.clone()?;
    let valid_to = row.taf_valid_to?;
    Some(Taf {
        raw,
        issued_at: row.taf_issued_at?,
        valid_from: row.taf_valid_from?,
        valid_to,
        stale: valid_to <= now,
        worst_category: row
            .taf_category
            .clone()
            .and_then(|c| FlightCategory::try_from(c).ok()),
        periods: row
            .taf_periods
            .as_ref()
            .map(|p| p.0.clone())
            .unwrap_or_default(),
    })
}

/// The example of `code` in the document.
fn example_code() -> String {
    "KJFK".into()
}

/// The example of `codes` in the document.
fn example_codes() -> String {
    "KJFK,LHR,LSZH".into()
}

#[OpenApi(
    prefix_path = "/api/v1/airports",
    tag = "crate::domains::airports::Tag::Airports"
)]
impl WeatherApi {
    /// The weather at several airports or landing sites: for each, in the order asked, the
    /// latest METAR and TAF as stored with their flight categories (VFR, MVFR, IFR, LIFR; AIM
    /// 7-1-7), when the provider last answered, and whether it is stale. Nothing is fetched
    /// while the request waits: a station asked for the first time answers `available: false`
    /// with `reason: pending`, and the background refresh brings it within seconds (then every
    /// `weather.refresh_seconds` for six hours after the last request). Without a configured
    /// provider every place answers `reason: not_configured`. A landing site shows the nearest
    /// airport with scheduled service within 50 nm (`station_source: nearest`). A code naming
    /// no airport or landing site is `422`.
    ///
    /// Permission: `airports.read`.
    #[oai(path = "/weather", method = "get")]
    async fn many(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        /// 1 to 20 codes separated by commas (ICAO, IATA, local, or a landing site's code):
        /// `KJFK,EGLL,XHUZ`.
        #[oai(
            validator(pattern = r"^[A-Za-z0-9-]{1,10}(,[A-Za-z0-9-]{1,10}){0,19}$"),
            example = "example_codes"
        )]
        codes: Query<String>,
    ) -> Result<Json<StationWeatherList>> {
        ctx.require(AIRPORTS_READ)?;
        let asked: Vec<String> = codes.0.split(',').map(str::to_uppercase).collect();
        let mut tx = ctx.begin().await?;
        let mut places: Vec<Airport> = Vec::with_capacity(asked.len());
        for code in asked.iter().take(MAX_CODES) {
            match by_code(&mut tx, code).await? {
                // Each place once (`LHR` and `EGLL` are one).
                Some(a) if places.iter().any(|p| p.code == a.code) => {}
                Some(a) => places.push(a),
                None => {
                    return Err(AppError::validation(
                        "codes",
                        format!("names no airport or landing site: {code}"),
                    ));
                }
            }
        }
        let items = weather_at(
            &mut tx,
            &state.settings,
            &places,
            Utc::now() + WANTED_AFTER_REQUEST,
        )
        .await?;
        tx.end_read();
        Ok(Json(StationWeatherList { items }))
    }

    /// The weather at one airport or landing site (by ICAO, IATA, local or site code): the
    /// latest METAR and TAF as stored, decoded, with flight categories; see
    /// `GET /api/v1/airports/weather` for what `available`, `reason`, `stale` and
    /// `refresh_failed_at` say. An unknown code is `404`.
    ///
    /// Permission: `airports.read`.
    #[oai(path = "/:code/weather", method = "get")]
    async fn one(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        /// The code.
        #[oai(validator(min_length = 1, max_length = 10), example = "example_code")]
        code: Path<String>,
    ) -> Result<Json<StationWeather>> {
        ctx.require(AIRPORTS_READ)?;
        let mut tx = ctx.begin().await?;
        let place = by_code(&mut tx, &code.0)
            .await?
            .ok_or(AppError::NotFound("airport"))?;
        let mut items = weather_at(
            &mut tx,
            &state.settings,
            std::slice::from_ref(&place),
            Utc::now() + WANTED_AFTER_REQUEST,
        )
        .await?;
        tx.end_read();
        items
            .pop()
            .map(Json)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no weather answer")))
    }
}
