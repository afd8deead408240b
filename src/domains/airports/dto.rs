//! Request and response objects of airports, private landing sites and route estimates (they
//! are the OpenAPI schema: every constraint the server enforces is declared).

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

/// Where an airport comes from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AirportSource {
    /// The world's airports shipped with the product (docs/airports.md).
    Reference,
    /// One of the organisation's own landing sites.
    Private,
}

/// What a private landing site is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Airstrip,
    Heliport,
    HospitalHelipad,
    Seaplane,
    Other,
}

/// An airport or landing site.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Airport {
    /// The code to name it by: the ICAO code, or a private site's own code.
    pub code: String,
    pub icao: Option<String>,
    pub iata: Option<String>,
    /// The national location identifier (the FAA's LID in the United States).
    pub local_id: Option<String>,
    pub name: String,
    pub city: Option<String>,
    /// State, province or region.
    pub subdivision: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub elevation_ft: Option<i32>,
    /// IANA time zone.
    pub time_zone: String,
    /// Where known (the shipped dataset does not say).
    pub longest_runway_ft: Option<i32>,
    pub source: AirportSource,
    /// A private site's id and kind.
    pub site_id: Option<Uuid>,
    pub kind: Option<SiteKind>,
}

/// The best matches of a search, best first.
#[derive(Object)]
pub struct AirportList {
    pub items: Vec<Airport>,
}

/// Where the cruise speed of an estimate came from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CruiseSource {
    /// `cruise_kts` as asked.
    Request,
    /// The aircraft's own cruise speed.
    Aircraft,
    /// The aircraft's type's cruise speed.
    AircraftType,
}

/// Distance, course and block time between two airports.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct RouteEstimate {
    pub from: Airport,
    pub to: Airport,
    /// Great-circle distance, nautical miles, to 0.1.
    pub distance_nm: f64,
    /// Initial true course, degrees 0 to 359.9, to 0.1.
    pub initial_course_deg: f64,
    pub cruise_kts: i32,
    pub cruise_source: CruiseSource,
    /// The distance at cruise speed, rounded up to the minute (no wind).
    pub flight_minutes: i32,
    pub taxi_out_minutes: i32,
    pub taxi_in_minutes: i32,
    /// Taxi out + flight + taxi in.
    pub block_minutes: i32,
}

/// A private landing site of the organisation.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LandingSite {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: SiteKind,
    pub latitude: f64,
    pub longitude: f64,
    pub elevation_ft: Option<i32>,
    pub time_zone: String,
    pub country: Option<String>,
    pub notes: Option<String>,
    /// An inactive site is kept (trips name it) but no longer found by search.
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new landing site. Its code may not be an ICAO, IATA or local code of a reference airport.
#[derive(Object)]
pub struct SiteCreate {
    /// Upper-case letters, digits and `-`, 2 to 10 characters; unique in the organisation.
    #[oai(validator(pattern = r"^[A-Z0-9][A-Z0-9-]{1,9}$"))]
    pub code: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    pub kind: SiteKind,
    #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
    pub latitude: f64,
    #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
    pub longitude: f64,
    #[oai(validator(minimum(value = "-1500"), maximum(value = "30000")))]
    pub elevation_ft: Option<i32>,
    /// An IANA time zone known to the server (`Europe/Zurich`).
    #[oai(validator(min_length = 1, max_length = 64))]
    pub time_zone: String,
    #[oai(validator(pattern = r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

/// A partial update: absent fields stay, `null` clears the optional ones.
#[derive(Object)]
pub struct SiteUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    pub kind: Option<SiteKind>,
    #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
    pub latitude: Option<f64>,
    #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
    pub longitude: Option<f64>,
    #[oai(validator(minimum(value = "-1500"), maximum(value = "30000")))]
    pub elevation_ft: MaybeUndefined<i32>,
    #[oai(validator(min_length = 1, max_length = 64))]
    pub time_zone: Option<String>,
    #[oai(validator(pattern = r"^[A-Z]{2}$"))]
    pub country: MaybeUndefined<String>,
    #[oai(validator(max_length = 2000))]
    pub notes: MaybeUndefined<String>,
    pub active: Option<bool>,
    /// The version read; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// A page of landing sites, newest first.
#[derive(Object)]
pub struct SitePage {
    pub items: Vec<LandingSite>,
    pub next_cursor: Option<String>,
}

text_enum!(SiteKind);
