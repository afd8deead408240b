//! Request and response objects of charter rates and quotes (they are the OpenAPI schema).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

/// The rate of an aircraft type, in minor units of `currency`.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct CharterRate {
    pub aircraft_type_id: Uuid,
    pub currency: String,
    /// Per block hour with passengers.
    pub hourly_minor: i64,
    /// Per block hour positioning (empty legs to the first departure and back to base).
    pub positioning_hourly_minor: i64,
    /// Each day from the first departure to the last arrival bills at least this many
    /// block minutes (at `hourly_minor`).
    pub daily_minimum_minutes: i32,
    /// Per night away.
    pub crew_overnight_minor: i64,
    pub catering_per_passenger_minor: i64,
    pub taxi_out_minutes: i32,
    pub taxi_in_minutes: i32,
    /// Ground time between a positioning leg and the next departure.
    pub turnaround_minutes: i32,
    /// Added to the costs, parts per million (150000 = 15 %).
    pub margin_ppm: i32,
    /// Finance tax rates applied to the subtotal, in order.
    pub tax_rate_ids: Vec<Uuid>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// A rate, replacing what was there.
#[derive(Object)]
pub struct CharterRateWrite {
    #[oai(validator(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000")))]
    pub hourly_minor: i64,
    /// Default: `hourly_minor`.
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000")))]
    pub positioning_hourly_minor: Option<i64>,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "1440")))]
    pub daily_minimum_minutes: i32,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "100000000")))]
    pub crew_overnight_minor: i64,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "10000000")))]
    pub catering_per_passenger_minor: i64,
    /// Default 10.
    #[oai(validator(minimum(value = "0"), maximum(value = "120")))]
    pub taxi_out_minutes: Option<i32>,
    /// Default 5.
    #[oai(validator(minimum(value = "0"), maximum(value = "120")))]
    pub taxi_in_minutes: Option<i32>,
    /// Default 60.
    #[oai(validator(minimum(value = "0"), maximum(value = "1440")))]
    pub turnaround_minutes: Option<i32>,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "10000000")))]
    pub margin_ppm: i32,
    /// Active tax rates of finance.
    #[oai(default, validator(max_items = 10, unique_items))]
    pub tax_rate_ids: Vec<Uuid>,
    /// The version read (absent when creating); a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// Every rate.
#[derive(Object)]
pub struct CharterRateList {
    pub items: Vec<CharterRate>,
}

/// Where a quote is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    Draft,
    Sent,
    Accepted,
    Declined,
    Expired,
}

/// A leg the customer asks for.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuoteLegRequest {
    /// An airport or landing site code.
    #[oai(validator(min_length = 2, max_length = 10))]
    pub from: String,
    #[oai(validator(min_length = 2, max_length = 10))]
    pub to: String,
    /// Departure (off block), an instant; answered in the departure airport's local time too.
    pub departs_at: DateTime<Utc>,
    #[oai(validator(minimum(value = "0"), maximum(value = "100")))]
    pub passengers: i32,
    #[oai(default)]
    pub catering: bool,
    /// The FBO or handler at the arrival whose fees to price (a contact with a profile);
    /// default the first one there.
    pub fbo_id: Option<Uuid>,
}

/// What the customer asks for.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuoteRequest {
    /// A contact with the role `customer`.
    pub customer_id: Uuid,
    /// An aircraft of the fleet whose type has a charter rate.
    pub aircraft_id: Uuid,
    /// In departure order.
    #[oai(validator(min_items = 1, max_items = 20))]
    pub legs: Vec<QuoteLegRequest>,
    pub valid_until: Option<NaiveDate>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

/// A leg as priced.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuoteLeg {
    pub from: String,
    pub to: String,
    /// An empty leg: positioning from base, or back to it.
    pub positioning: bool,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    /// Local wall-clock time at the departure airport (`2026-12-24T09:00`).
    pub departs_local: String,
    /// Local wall-clock time at the arrival airport.
    pub arrives_local: String,
    /// Great-circle, nautical miles.
    pub distance_nm: f64,
    /// Taxi out + flight at cruise speed + taxi in.
    pub block_minutes: i32,
    pub passengers: i32,
}

/// One line of a price.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuoteLine {
    /// `flight`, `positioning`, `daily_minimum`, `crew_overnight`, `landing`, `handling`,
    /// `catering`, `margin` or `tax`.
    pub kind: String,
    pub description: String,
    pub amount_minor: i64,
}

/// The price of a quote version.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuotePricing {
    pub currency: String,
    pub legs: Vec<QuoteLeg>,
    pub lines: Vec<QuoteLine>,
    pub subtotal_minor: i64,
    /// Taxes, added and included.
    pub tax_minor: i64,
    pub total_minor: i64,
    /// What the price could not include (a stop without known fees).
    pub warnings: Vec<String>,
}

/// A quote with its current version's price.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Quote {
    pub id: Uuid,
    /// `Q-2026-0001`.
    pub number: String,
    pub customer_id: Uuid,
    pub aircraft_id: Uuid,
    pub status: QuoteStatus,
    pub current_version: i32,
    pub valid_until: Option<NaiveDate>,
    pub currency: String,
    pub total_minor: i64,
    pub notes: Option<String>,
    pub request: QuoteRequest,
    pub pricing: QuotePricing,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of quotes, newest first.
#[derive(Object)]
pub struct QuotePage {
    pub items: Vec<Quote>,
    pub next_cursor: Option<String>,
}

/// One version of a quote.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct QuoteVersion {
    pub version: i32,
    pub request: QuoteRequest,
    pub pricing: QuotePricing,
    pub total_minor: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Every version of a quote, newest first.
#[derive(Object)]
pub struct QuoteVersionList {
    pub items: Vec<QuoteVersion>,
}

text_enum!(QuoteStatus);
