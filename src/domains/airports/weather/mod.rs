//! Weather: METAR and TAF for the airports someone asks about (the weather endpoints, other
//! domains through `airports::service::want_weather` for their upcoming trips), fetched in the
//! background from a configurable provider speaking the aviationweather.gov Data API's JSON
//! (`weather.provider_url`), stored once for every tenant in `reference.weather`, decoded into
//! flight categories (VFR, MVFR, IFR, LIFR) by our own parser. Without a provider nothing is
//! fetched and every answer says weather is unavailable: the product runs offline. See
//! docs/airports.md, "Weather".
//!
//! - [`conditions`]: wind, visibility, ceiling and the category they make (AIM 7-1-7);
//! - [`metar`], [`taf`]: the two reports decoded from their raw text;
//! - `provider`: the HTTP client and the JSON it reads;
//! - `wants`: which stations are wanted, until when;
//! - `refresh`: the shared job (`Manifest::shared_jobs`) that fetches and stores;
//! - `api`: the endpoints and [`weather_at`], what other domains call.

pub mod api;
pub mod conditions;
pub mod dto;
pub mod metar;
mod provider;
pub mod refresh;
pub mod taf;
mod time;
mod wants;

use chrono::{DateTime, Utc};

use crate::config::Settings;

pub use api::{WANTED_AFTER_REQUEST, weather_at};

/// Records that the weather of `stations` (ICAO location indicators, any case; anything else
/// is ignored) is wanted until `until`: the shared job fetches them every
/// `weather.refresh_seconds` until then (a station new to this process at once). Call it for
/// the airports of upcoming trips, with the trip's end, passing the service's settings
/// (`AppState::settings`). No database work: the next pass of the job records it (within a
/// minute). Without a provider configured it does nothing.
pub fn want_weather<S: AsRef<str>>(settings: &Settings, stations: &[S], until: DateTime<Utc>) {
    let codes: Vec<String> = stations
        .iter()
        .filter_map(|s| provider::station_code(s.as_ref()))
        .collect();
    wants::want(settings, codes.iter().map(String::as_str), until);
}
