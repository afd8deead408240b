//! Airports: the world's airports shipped with the product as shared reference data
//! (`reference.airports`, loaded from `reference-data/airports`), the organisation's private landing
//! sites, search by code or name, great-circle distance, initial course and block time
//! between two of them, and the weather (METAR and TAF, fetched in the background into
//! `reference.weather`). See docs/airports.md.

mod api;
pub mod dto;
pub mod geo;
mod index;
pub mod reference;
mod sites;
pub mod weather;

/// What other domains and the benchmark call: search and lookup by code; the weather at
/// places and the stations wanted (for the airports of upcoming trips).
pub mod service {
    pub use super::api::{by_code, by_codes, search};
    pub use super::dto::Airport;
    pub use super::geo::{Point, distance_nm, flight_minutes};
    pub use super::weather::dto::{FlightCategory, StationWeather};
    pub use super::weather::{want_weather, weather_at};
}

use poem_openapi::Tags;

use crate::kernel::manifest::{ALL_KINDS, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, fbo, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// The world's airports, private landing sites, distances and block times.
    Airports,
}

pub type Apis = (api::AirportsApi, sites::SitesApi, weather::api::WeatherApi);

pub fn apis() -> Apis {
    (api::AirportsApi, sites::SitesApi, weather::api::WeatherApi)
}

pub const MANIFEST: Manifest = Manifest {
    name: "airports",
    prefixes: &["/api/v1/airports"],
    flags: &[Flag {
        key: "airports",
        description: "Airports: search, distances and block times, private landing sites, weather",
        prefix: "/api/v1/airports",
        on_for: ALL_KINDS,
    }],
    permissions: &[AIRPORTS_READ, AIRPORTS_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[reference::AIRPORTS],
    shared_jobs: &[weather::refresh::WEATHER_REFRESH],
};

/// Search airports and landing sites, distances and block times, weather.
pub const AIRPORTS_READ: Permission = Permission::new(
    "airports.read",
    "Search airports and landing sites, distances, block times and weather",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
        school::MECHANIC,
        charter::DISPATCHER,
        charter::PILOT,
        charter::MEDICAL_CREW,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
        fbo::FUELER,
        fbo::FRONT_DESK,
    ],
);
/// Manage the organisation's private landing sites.
pub const AIRPORTS_MANAGE: Permission = Permission::new(
    "airports.manage",
    "Manage the organisation's private landing sites",
    &[
        school::ORGANIZATION_ADMIN,
        charter::DISPATCHER,
        fbo::LINE_MANAGER,
    ],
);
