//! Request and response objects of flight records (they become the OpenAPI schema).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::domains::flights::logbook::dto::Approach;
use crate::kernel::{AircraftId, BookingId, UserId};

text_enum!(CrewRole, FlightStatus, FuelUnit);

/// What a crew member did on the flight; it decides the times of their logbook entry.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CrewRole {
    Pic,
    Sic,
    Student,
    Instructor,
    SafetyPilot,
}

/// `draft` while it may change; `signed` once locked and entered in the crew's logbooks.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FlightStatus {
    Draft,
    Signed,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FuelUnit {
    UsGallon,
    Liter,
    Pound,
    Kilogram,
}

/// A person on board and their role.
#[derive(Object, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CrewMember {
    pub person_id: UserId,
    pub role: CrewRole,
}

/// Fuel taken on before or during the flight.
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize)]
pub struct FuelUplift {
    /// One decimal.
    #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
    pub quantity: f64,
    pub unit: FuelUnit,
}

/// The flight's conditions in whole minutes (the logbook columns every pilot on board shares).
#[derive(Object, Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlightMinutes {
    #[oai(default, validator(minimum(value = "0"), maximum(value = "10000")))]
    pub night: i32,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "10000")))]
    pub cross_country: i32,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "10000")))]
    pub actual_instrument: i32,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "10000")))]
    pub simulated_instrument: i32,
}

/// A flight as recorded.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Flight {
    pub id: Uuid,
    /// The booking it was flown under (set for a draft made at check-in).
    pub booking_id: Option<BookingId>,
    pub aircraft_id: AircraftId,
    /// The local date of the flight.
    pub date: NaiveDate,
    pub departure: Option<String>,
    pub destination: Option<String>,
    pub stops: Vec<String>,
    /// Block out (first moves under its own power), takeoff, landing, block in; UTC.
    pub out_at: Option<DateTime<Utc>>,
    pub off_at: Option<DateTime<Utc>>,
    pub on_at: Option<DateTime<Utc>>,
    pub in_at: Option<DateTime<Utc>>,
    /// Hours, one decimal.
    pub hobbs_out: Option<f64>,
    pub hobbs_in: Option<f64>,
    pub tach_out: Option<f64>,
    pub tach_in: Option<f64>,
    /// Flight time in minutes as the logbook counts it: the Hobbs difference, else block out
    /// to in, else takeoff to landing, else 0.
    pub total_minutes: i32,
    pub day_landings: i32,
    pub day_full_stop_landings: i32,
    pub night_full_stop_landings: i32,
    pub approaches: Vec<Approach>,
    pub holds: i32,
    pub intercept_track: bool,
    pub minutes: FlightMinutes,
    pub fuel_uplift: Option<FuelUplift>,
    pub remarks: Option<String>,
    pub crew: Vec<CrewMember>,
    pub status: FlightStatus,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<UserId>,
    /// Incremented by every change; send it back to detect concurrent edits.
    pub version: i32,
    /// How many corrections the signed flight has had.
    pub revision: i32,
    /// When its booking's invoice was issued: from then on the flight does not change (a
    /// credit note corrects what was billed); voiding the invoice unlocks it.
    pub invoiced_at: Option<DateTime<Utc>>,
    /// That invoice (`/api/v1/finance/invoices/{id}`).
    pub invoice_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A flight entered directly (a draft). Identifiers are stored upper case.
#[derive(Object)]
pub struct FlightCreate {
    pub aircraft_id: AircraftId,
    pub date: NaiveDate,
    #[oai(validator(min_length = 2, max_length = 7))]
    pub departure: Option<String>,
    #[oai(validator(min_length = 2, max_length = 7))]
    pub destination: Option<String>,
    #[oai(validator(max_items = 20))]
    pub stops: Option<Vec<String>>,
    pub out_at: Option<DateTime<Utc>>,
    pub off_at: Option<DateTime<Utc>>,
    pub on_at: Option<DateTime<Utc>>,
    pub in_at: Option<DateTime<Utc>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs_out: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs_in: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach_out: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach_in: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub day_landings: Option<i32>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub day_full_stop_landings: Option<i32>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub night_full_stop_landings: Option<i32>,
    #[oai(validator(max_items = 20))]
    pub approaches: Option<Vec<Approach>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub holds: Option<i32>,
    pub intercept_track: Option<bool>,
    #[oai(default)]
    pub minutes: FlightMinutes,
    pub fuel_uplift: Option<FuelUplift>,
    #[oai(validator(max_length = 10000))]
    pub remarks: Option<String>,
    /// Everyone on board who logs the flight: at most one PIC and one instructor.
    #[oai(validator(min_items = 1, max_items = 6))]
    pub crew: Vec<CrewMember>,
}

/// A partial change: absent fields stay, `null` clears an optional one, `crew` and
/// `approaches` replace the lists.
#[derive(Object)]
pub struct FlightUpdate {
    pub aircraft_id: Option<AircraftId>,
    pub date: Option<NaiveDate>,
    #[oai(validator(min_length = 2, max_length = 7))]
    pub departure: MaybeUndefined<String>,
    #[oai(validator(min_length = 2, max_length = 7))]
    pub destination: MaybeUndefined<String>,
    #[oai(validator(max_items = 20))]
    pub stops: Option<Vec<String>>,
    pub out_at: MaybeUndefined<DateTime<Utc>>,
    pub off_at: MaybeUndefined<DateTime<Utc>>,
    pub on_at: MaybeUndefined<DateTime<Utc>>,
    pub in_at: MaybeUndefined<DateTime<Utc>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs_out: MaybeUndefined<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs_in: MaybeUndefined<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach_out: MaybeUndefined<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach_in: MaybeUndefined<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub day_landings: Option<i32>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub day_full_stop_landings: Option<i32>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub night_full_stop_landings: Option<i32>,
    #[oai(validator(max_items = 20))]
    pub approaches: Option<Vec<Approach>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub holds: Option<i32>,
    pub intercept_track: Option<bool>,
    pub minutes: Option<FlightMinutes>,
    pub fuel_uplift: MaybeUndefined<FuelUplift>,
    #[oai(validator(max_length = 10000))]
    pub remarks: MaybeUndefined<String>,
    #[oai(validator(min_items = 1, max_items = 6))]
    pub crew: Option<Vec<CrewMember>>,
    /// When given, the change applies only if the flight still has this version (else `409`).
    pub version: Option<i32>,
}

/// Locks a draft and enters it in the crew's logbooks.
#[derive(Object)]
pub struct FlightSign {
    /// When given, the signature applies only if the flight still has this version.
    pub version: Option<i32>,
}

/// A correction of a signed flight: the changed fields and why.
#[derive(Object)]
pub struct FlightCorrection {
    #[oai(validator(min_length = 1, max_length = 2000, pattern = "\\S"))]
    pub reason: String,
    pub changes: FlightUpdate,
}

/// A superseded signed version of a flight.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FlightRevision {
    pub id: Uuid,
    /// The revision number the flight had in this version (0: as first signed).
    pub revision: i32,
    /// The flight as it was.
    pub snapshot: serde_json::Value,
    pub reason: String,
    pub revised_by: Option<UserId>,
    pub revised_at: DateTime<Utc>,
}

/// A page of flights, newest first (by date).
#[derive(Object)]
pub struct FlightPage {
    pub items: Vec<Flight>,
    pub next_cursor: Option<String>,
}
