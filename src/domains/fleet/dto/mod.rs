//! Request and response objects of the fleet domain. Meter values are hours with one decimal
//! (stored in tenths); money is in minor units of `currency`.

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::domains::maintenance::service::airworthiness::Airworthiness;

pub use crate::kernel::units::{hours, merge, tenths, wire};

mod meters;
mod simulators;

pub use meters::{MeterReading, MeterReadingCreate, MeterReadingPage, MeterSource};
pub use simulators::{DeviceType, Simulator, SimulatorCreate, SimulatorPage, SimulatorUpdate};

text_enum!(
    Category,
    AircraftClass,
    EngineType,
    FleetStatus,
    DeviceType,
    MeterSource
);

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Airplane,
    Rotorcraft,
    Glider,
    LighterThanAir,
    PoweredLift,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AircraftClass {
    SingleEngineLand,
    MultiEngineLand,
    SingleEngineSea,
    MultiEngineSea,
    Helicopter,
    Gyroplane,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EngineType {
    Piston,
    Turboprop,
    Turbojet,
    Turbofan,
    Turboshaft,
    Electric,
    None,
}

/// `active` (bookable), `inactive` (temporarily out of the fleet), `retired`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FleetStatus {
    Active,
    Inactive,
    Retired,
}

/// An aircraft type of the tenant's catalogue.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AircraftType {
    pub id: Uuid,
    /// ICAO type designator, e.g. `C172`.
    pub designator: String,
    pub manufacturer: String,
    pub model: String,
    pub category: Category,
    pub class: Option<AircraftClass>,
    pub engine_type: EngineType,
    pub engine_count: i32,
    pub seats: Option<i32>,
    pub cruise_speed_kts: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(example)]
pub struct AircraftTypeCreate {
    /// ICAO type designator: 2 to 4 capital letters or digits.
    #[oai(validator(min_length = 2, max_length = 4))]
    pub designator: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub manufacturer: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub model: String,
    pub category: Category,
    pub class: Option<AircraftClass>,
    pub engine_type: EngineType,
    /// Default 1.
    #[oai(validator(minimum(value = "0"), maximum(value = "8")))]
    pub engine_count: Option<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "900")))]
    pub seats: Option<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "700")))]
    pub cruise_speed_kts: Option<i32>,
}

impl poem_openapi::types::Example for AircraftTypeCreate {
    fn example() -> Self {
        Self {
            designator: "C172".into(),
            manufacturer: "Cessna".into(),
            model: "172S Skyhawk SP".into(),
            category: Category::Airplane,
            class: Some(AircraftClass::SingleEngineLand),
            engine_type: EngineType::Piston,
            engine_count: Some(1),
            seats: Some(4),
            cruise_speed_kts: Some(124),
        }
    }
}

/// A partial update of an aircraft type; `null` clears an optional field.
#[derive(Object)]
pub struct AircraftTypeUpdate {
    #[oai(validator(min_length = 2, max_length = 4))]
    pub designator: Option<String>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub manufacturer: Option<String>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub model: Option<String>,
    pub category: Option<Category>,
    pub class: MaybeUndefined<AircraftClass>,
    pub engine_type: Option<EngineType>,
    #[oai(validator(minimum(value = "0"), maximum(value = "8")))]
    pub engine_count: Option<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "900")))]
    pub seats: MaybeUndefined<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "700")))]
    pub cruise_speed_kts: MaybeUndefined<i32>,
}

#[derive(Object)]
pub struct AircraftTypePage {
    pub items: Vec<AircraftType>,
    pub next_cursor: Option<String>,
}

/// An aircraft of the fleet, with its current meters and airworthiness.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Aircraft {
    pub id: crate::kernel::AircraftId,
    /// Upper case, unique in the organisation, e.g. `HB-KFA`.
    pub registration: String,
    pub aircraft_type_id: Option<Uuid>,
    pub make: String,
    pub model: String,
    pub type_designator: Option<String>,
    pub category: Category,
    pub class: Option<AircraftClass>,
    pub engine_type: EngineType,
    pub seats: Option<i32>,
    pub cruise_speed_kts: Option<i32>,
    /// Hourly rate with fuel, in minor units of `currency`.
    pub wet_rate: Option<i32>,
    /// Hourly rate without fuel, in minor units of `currency`.
    pub dry_rate: Option<i32>,
    pub currency: String,
    /// ICAO location indicator, e.g. `LSZH`.
    pub home_base: Option<String>,
    pub status: FleetStatus,
    /// Hobbs meter, hours.
    pub hobbs: f64,
    /// Tach meter, hours.
    pub tach: f64,
    /// Equipment tags, e.g. `ifr`, `g1000`, `autopilot`.
    pub equipment: Vec<String>,
    /// The photo: an attachment id of the tools module.
    pub photo_attachment_id: Option<Uuid>,
    pub notes: Option<String>,
    /// Computed now: overdue inspections, open grounding squawks, expired MEL deferrals.
    pub airworthiness: Airworthiness,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new aircraft. With `aircraft_type_id`, absent make, model, designator, category, class,
/// engine type, seats and cruise speed are taken from the type.
#[derive(Object)]
#[oai(example)]
pub struct AircraftCreate {
    /// 2 to 10 letters, digits or `-`; stored upper case.
    #[oai(validator(min_length = 2, max_length = 10))]
    pub registration: String,
    pub aircraft_type_id: Option<Uuid>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub make: Option<String>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub model: Option<String>,
    #[oai(validator(min_length = 2, max_length = 4))]
    pub type_designator: Option<String>,
    pub category: Option<Category>,
    pub class: Option<AircraftClass>,
    pub engine_type: Option<EngineType>,
    #[oai(validator(minimum(value = "1"), maximum(value = "900")))]
    pub seats: Option<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "700")))]
    pub cruise_speed_kts: Option<i32>,
    #[oai(validator(minimum(value = "0")))]
    pub wet_rate: Option<i32>,
    #[oai(validator(minimum(value = "0")))]
    pub dry_rate: Option<i32>,
    /// ISO 4217; default `USD`.
    #[oai(validator(min_length = 3, max_length = 3))]
    pub currency: Option<String>,
    #[oai(validator(min_length = 3, max_length = 4))]
    pub home_base: Option<String>,
    /// Default `active`.
    pub status: Option<FleetStatus>,
    /// Initial Hobbs hours (default 0), recorded as the first meter reading.
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach: Option<f64>,
    #[oai(validator(max_items = 50))]
    pub equipment: Option<Vec<String>>,
    pub photo_attachment_id: Option<Uuid>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

impl poem_openapi::types::Example for AircraftCreate {
    fn example() -> Self {
        Self {
            registration: "HB-KFA".into(),
            aircraft_type_id: None,
            make: Some("Cessna".into()),
            model: Some("172S".into()),
            type_designator: Some("C172".into()),
            category: Some(Category::Airplane),
            class: Some(AircraftClass::SingleEngineLand),
            engine_type: Some(EngineType::Piston),
            seats: Some(4),
            cruise_speed_kts: Some(124),
            wet_rate: Some(26_500),
            dry_rate: Some(19_000),
            currency: Some("CHF".into()),
            home_base: Some("LSZH".into()),
            status: None,
            hobbs: Some(4_211.3),
            tach: Some(3_560.8),
            equipment: Some(vec!["ifr".into(), "g1000".into(), "autopilot".into()]),
            photo_attachment_id: None,
            notes: None,
        }
    }
}

/// A partial update; `null` clears an optional field. Meters change through meter readings.
#[derive(Object)]
pub struct AircraftUpdate {
    #[oai(validator(min_length = 2, max_length = 10))]
    pub registration: Option<String>,
    pub aircraft_type_id: MaybeUndefined<Uuid>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub make: Option<String>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub model: Option<String>,
    #[oai(validator(min_length = 2, max_length = 4))]
    pub type_designator: MaybeUndefined<String>,
    pub category: Option<Category>,
    pub class: MaybeUndefined<AircraftClass>,
    pub engine_type: Option<EngineType>,
    #[oai(validator(minimum(value = "1"), maximum(value = "900")))]
    pub seats: MaybeUndefined<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "700")))]
    pub cruise_speed_kts: MaybeUndefined<i32>,
    #[oai(validator(minimum(value = "0")))]
    pub wet_rate: MaybeUndefined<i32>,
    #[oai(validator(minimum(value = "0")))]
    pub dry_rate: MaybeUndefined<i32>,
    #[oai(validator(min_length = 3, max_length = 3))]
    pub currency: Option<String>,
    #[oai(validator(min_length = 3, max_length = 4))]
    pub home_base: MaybeUndefined<String>,
    pub status: Option<FleetStatus>,
    #[oai(validator(max_items = 50))]
    pub equipment: Option<Vec<String>>,
    pub photo_attachment_id: MaybeUndefined<Uuid>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    /// When given, the update applies only to this version (else `409`).
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct AircraftPage {
    pub items: Vec<Aircraft>,
    pub next_cursor: Option<String>,
}
