//! Weather answers (the OpenAPI schema of `/api/v1/airports/{code}/weather` and
//! `/api/v1/airports/weather`).

use chrono::{DateTime, TimeZone, Utc};
use poem_openapi::{Enum, Object};

pub use super::conditions::{FlightCategory, VisibilityQualifier};
pub use super::taf::{TafChange, TafPeriod};

/// Whose reports a place's weather is: `own` (the airport's, by its ICAO code), `nearest` (a
/// landing site has none: those of the nearest airport with scheduled service within 50 nm),
/// `none` (no reporting station).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum StationSource {
    /// The airport's own (its ICAO code).
    Own,
    /// A landing site has none: those of the nearest airport with scheduled service (an IATA
    /// code) within 50 nm.
    Nearest,
    /// No reporting station: a landing site with no such airport within 50 nm, or an airport
    /// without an ICAO location indicator.
    None,
}

/// Why there is no weather to show: `not_configured` (no provider: the server runs offline),
/// `no_station` (the place has no reporting station), `pending` (asked for the first time,
/// fetched within seconds), `provider_unavailable` (the provider failed and nothing is
/// stored), `no_report` (the provider has no current METAR or TAF for the station).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// No provider is configured (`weather.provider_url`): the server runs offline.
    NotConfigured,
    /// The place has no reporting station (`station_source` is `none`).
    NoStation,
    /// Asked for the first time: the next fetch (in a few seconds) brings it.
    Pending,
    /// The provider could not be reached or failed, and nothing is stored yet.
    ProviderUnavailable,
    /// The provider answered but has no current METAR or TAF for the station.
    NoReport,
}

/// The latest observation (METAR or SPECI) as decoded.
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize)]
pub struct Metar {
    /// The report as issued.
    pub raw: String,
    pub observed_at: DateTime<Utc>,
    /// Observed more than 90 minutes ago: not the current conditions.
    pub stale: bool,
    /// `null` when the report leaves the ceiling or the visibility unknown.
    pub category: Option<FlightCategory>,
    /// Lowest broken or overcast layer, or vertical visibility, in feet above ground; `null`
    /// when there is none (or it is not known).
    pub ceiling_ft: Option<i32>,
    /// Prevailing visibility, statute miles to 0.01 (metres converted: 1 SM = 1,609.344 m).
    pub visibility_sm: Option<f64>,
    pub visibility_qualifier: Option<VisibilityQualifier>,
    /// True direction the wind blows from; `null` when variable or not reported.
    pub wind_direction_deg: Option<i32>,
    pub wind_speed_kt: Option<i32>,
    pub wind_gust_kt: Option<i32>,
    pub temperature_c: Option<i32>,
    pub dewpoint_c: Option<i32>,
    /// Altimeter setting (QNH), hectopascals to 0.1 (`A2992` converted).
    pub altimeter_hpa: Option<f64>,
}

/// The latest forecast (TAF) as decoded.
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize)]
pub struct Taf {
    /// The forecast as issued.
    pub raw: String,
    pub issued_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    /// The validity has ended.
    pub stale: bool,
    /// The worst category of any period (temporary and probable ones included); `null` when
    /// no period's is known.
    pub worst_category: Option<FlightCategory>,
    /// The base forecast and each change group, in the order written; they overlap (a
    /// temporary period lies inside its prevailing one).
    pub periods: Vec<TafPeriod>,
}

/// The weather at an airport or landing site.
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize)]
#[oai(example)]
pub struct StationWeather {
    /// The place asked for: its ICAO code, or a landing site's code.
    pub code: String,
    pub name: String,
    /// The reporting station whose reports these are.
    pub station: Option<String>,
    pub station_source: StationSource,
    /// From the place to the nearest station (`station_source` `nearest`), nautical miles.
    pub station_distance_nm: Option<f64>,
    /// A METAR or a TAF is shown.
    pub available: bool,
    /// Why not, when `available` is false.
    pub reason: Option<Unavailable>,
    /// The reason in words, or when the last refresh failed, how.
    pub detail: Option<String>,
    pub metar: Option<Metar>,
    pub taf: Option<Taf>,
    /// When the provider last answered for the station.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Something shown is out of date: the METAR is older than 90 minutes or the TAF's
    /// validity has ended.
    pub stale: bool,
    /// The last refresh failed at this time (the provider down): what is shown is the last
    /// good data.
    pub refresh_failed_at: Option<DateTime<Utc>>,
}

/// Weather at several places, in the order asked.
#[derive(Object)]
pub struct StationWeatherList {
    pub items: Vec<StationWeather>,
}

impl poem_openapi::types::Example for StationWeather {
    fn example() -> Self {
        let period = |change, from, to, category, ceiling_ft, visibility_sm| TafPeriod {
            change,
            probability: None,
            from,
            to,
            category: Some(category),
            ceiling_ft,
            visibility_sm: Some(visibility_sm),
            visibility_qualifier: Some(VisibilityQualifier::OrMore),
            wind_direction_deg: Some(310),
            wind_speed_kt: Some(12),
            wind_gust_kt: None,
        };
        let d = |d, h, m| {
            Utc.with_ymd_and_hms(2026, 12, d, h, m, 0)
                .single()
                .unwrap_or_default()
        };
        let (observed, issued, from, fm, to, fetched) = (
            d(7, 11, 51),
            d(7, 11, 20),
            d(7, 12, 0),
            d(7, 18, 0),
            d(8, 18, 0),
            d(7, 11, 56),
        );
        Self {
            code: "KJFK".into(),
            name: "John F Kennedy International Airport".into(),
            station: Some("KJFK".into()),
            station_source: StationSource::Own,
            station_distance_nm: None,
            available: true,
            reason: None,
            detail: None,
            metar: Some(Metar {
                raw: "METAR KJFK 071151Z 31012G22KT 10SM FEW050 BKN250 M02/M09 A3012".into(),
                observed_at: observed,
                stale: false,
                category: Some(FlightCategory::Vfr),
                ceiling_ft: Some(25_000),
                visibility_sm: Some(10.0),
                visibility_qualifier: Some(VisibilityQualifier::Exact),
                wind_direction_deg: Some(310),
                wind_speed_kt: Some(12),
                wind_gust_kt: Some(22),
                temperature_c: Some(-2),
                dewpoint_c: Some(-9),
                altimeter_hpa: Some(1020.0),
            }),
            taf: Some(Taf {
                raw: "TAF KJFK 071120Z 0712/0818 31012KT P6SM SCT050 FM071800 30010KT P6SM BKN025"
                    .into(),
                issued_at: issued,
                valid_from: from,
                valid_to: to,
                stale: false,
                worst_category: Some(FlightCategory::Mvfr),
                periods: vec![
                    period(TafChange::Base, from, fm, FlightCategory::Vfr, None, 6.0),
                    period(
                        TafChange::From,
                        fm,
                        to,
                        FlightCategory::Mvfr,
                        Some(2_500),
                        6.0,
                    ),
                ],
            }),
            fetched_at: Some(fetched),
            stale: false,
            refresh_failed_at: None,
        }
    }
}
