//! Request and response objects of the FBO domain: parking locations and gates, visiting
//! flights, their parking and the arrivals and departures board (they are the OpenAPI schema:
//! every constraint the server enforces is declared).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::http::serde_json_payload::{instant, maybe_instant};

/// What a parking location is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ParkingKind {
    /// A spot on the ramp (apron).
    Ramp,
    /// A place in a hangar.
    Hangar,
    /// A tie-down spot.
    TieDown,
    /// A terminal gate.
    Gate,
}

/// A parking location or terminal gate at one of the airports the FBO serves.
#[derive(Object, Clone, Debug, serde::Serialize)]
#[oai(rename = "FboParkingLocation")]
pub struct ParkingLocation {
    pub id: Uuid,
    /// The airport (ICAO or the organisation's landing-site code).
    pub airport_code: String,
    /// Upper-case letters, digits and `-`, unique per airport (`A1`, `HANGAR-2`, `GATE-3`).
    pub location_code: String,
    pub name: String,
    pub kind: ParkingKind,
    /// Order on the board and the ramp map, from 1; `0` once deactivated (kept for history).
    pub display_order: i32,
    pub active: bool,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(rename = "FboParkingLocationCreate")]
pub struct ParkingLocationCreate {
    /// An airport or landing-site code (`422` when it names none).
    #[oai(validator(min_length = 2, max_length = 10))]
    pub airport_code: String,
    /// 1 to 16 upper-case letters, digits and `-`, starting with a letter or digit.
    #[oai(validator(pattern = "^[A-Z0-9][A-Z0-9-]{0,15}$"))]
    pub location_code: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    pub kind: ParkingKind,
    /// From 1 (default 100).
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub display_order: Option<i32>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
#[oai(rename = "FboParkingLocationUpdate")]
pub struct ParkingLocationUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    pub kind: Option<ParkingKind>,
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub display_order: Option<i32>,
    /// `true` brings a deactivated location back (at `display_order`, else 100).
    pub active: Option<bool>,
    #[oai(validator(max_length = 2000))]
    pub notes: MaybeUndefined<String>,
    /// The version read; a concurrent change answers `409 version-conflict`.
    pub version: Option<i32>,
}

#[derive(Object)]
#[oai(rename = "FboParkingLocationPage")]
pub struct ParkingLocationPage {
    pub items: Vec<ParkingLocation>,
    pub next_cursor: Option<String>,
}

/// Where a visiting flight is in its visit.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Expected,
    Arrived,
    /// Every service requested was done.
    Serviced,
    Departed,
    Cancelled,
}

/// A service a visiting flight asks for.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[oai(rename_all = "snake_case", rename = "VisitService")]
#[serde(rename_all = "snake_case")]
pub enum FboService {
    Fuel,
    Gpu,
    Lavatory,
    Catering,
    Hangar,
    CrewCar,
}

/// The spot a visiting flight holds (or held).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FlightParking {
    pub location_id: Uuid,
    pub location_code: String,
    pub kind: ParkingKind,
    /// Held from this instant.
    #[serde(serialize_with = "instant")]
    pub from: DateTime<Utc>,
    /// Held until this instant; `null` until the flight leaves (or the spot is released).
    #[serde(serialize_with = "maybe_instant")]
    pub to: Option<DateTime<Utc>>,
}

/// An aircraft visiting the FBO: expected, on the ground, or gone.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct VisitingFlight {
    pub id: Uuid,
    pub airport_code: String,
    /// The registration, upper case.
    pub tail_number: String,
    /// ICAO type designator.
    pub aircraft_type: Option<String>,
    /// Who operates the aircraft.
    pub operator_name: Option<String>,
    /// The customer billed (a contact with the role `customer`, through its finance account).
    pub customer_id: Option<Uuid>,
    #[serde(serialize_with = "maybe_instant")]
    pub eta: Option<DateTime<Utc>>,
    #[serde(serialize_with = "maybe_instant")]
    pub etd: Option<DateTime<Utc>>,
    #[serde(serialize_with = "maybe_instant")]
    pub arrived_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "maybe_instant")]
    pub departed_at: Option<DateTime<Utc>>,
    pub passengers: Option<i32>,
    pub services: Vec<FboService>,
    pub status: VisitStatus,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// The spot it holds now or will hold; `null` without one.
    pub parking: Option<FlightParking>,
    /// Its fuel orders at a glance, by requested time (`GET /api/v1/fbo/fuel-orders/{id}`
    /// has the rest).
    #[serde(skip)]
    pub fuel_orders: Vec<FuelOrderSummary>,
    /// Its line tasks at a glance, by scheduled time (`GET /api/v1/fbo/line-tasks/{id}` has the
    /// rest).
    #[serde(skip)]
    pub line_tasks: Vec<LineTaskSummary>,
    pub version: i32,
    #[serde(serialize_with = "instant")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "instant")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct VisitingFlightCreate {
    /// An airport or landing-site code the FBO serves (`422` when it names none).
    #[oai(validator(min_length = 2, max_length = 10))]
    pub airport_code: String,
    /// 2 to 10 letters, digits and `-` (stored upper case).
    #[oai(validator(pattern = "^[A-Za-z0-9][A-Za-z0-9-]{1,9}$"))]
    pub tail_number: String,
    /// ICAO type designator, 2 to 4 letters and digits (stored upper case).
    #[oai(validator(pattern = "^[A-Za-z0-9]{2,4}$"))]
    pub aircraft_type: Option<String>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub operator_name: Option<String>,
    /// A contact with the role `customer` (`422` otherwise).
    pub customer_id: Option<Uuid>,
    /// At least one of `eta` and `etd`; `etd` after `eta`.
    pub eta: Option<DateTime<Utc>>,
    pub etd: Option<DateTime<Utc>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999")))]
    pub passengers: Option<i32>,
    /// Each at most once.
    #[oai(default, validator(max_items = 6, unique_items))]
    pub services: Vec<FboService>,
    /// Up to 10 tags: lower-case letters, digits, `_` and `-`, at most 32 characters.
    #[oai(
        default,
        validator(max_items = 10, unique_items, pattern = "^[a-z0-9][a-z0-9_-]{0,31}$")
    )]
    pub tags: Vec<String>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

/// Fields to change; the airport and the status change otherwise (status: `POST .../status`).
#[derive(Object)]
pub struct VisitingFlightUpdate {
    #[oai(validator(pattern = "^[A-Za-z0-9][A-Za-z0-9-]{1,9}$"))]
    pub tail_number: Option<String>,
    #[oai(validator(pattern = "^[A-Za-z0-9]{2,4}$"))]
    pub aircraft_type: MaybeUndefined<String>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub operator_name: MaybeUndefined<String>,
    pub customer_id: MaybeUndefined<Uuid>,
    pub eta: MaybeUndefined<DateTime<Utc>>,
    pub etd: MaybeUndefined<DateTime<Utc>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999")))]
    pub passengers: MaybeUndefined<i32>,
    #[oai(validator(max_items = 6, unique_items))]
    pub services: Option<Vec<FboService>>,
    #[oai(validator(max_items = 10, unique_items, pattern = "^[a-z0-9][a-z0-9_-]{0,31}$"))]
    pub tags: Option<Vec<String>>,
    #[oai(validator(max_length = 2000))]
    pub notes: MaybeUndefined<String>,
    /// The version read; a concurrent change answers `409 version-conflict`.
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct VisitStatusChange {
    /// `arrived` (from expected), `serviced` (from arrived), `departed` (from arrived or
    /// serviced), `cancelled` (from expected, with a `reason`).
    pub status: VisitStatus,
    /// When it happened (arrivals and departures; default now), at most 5 minutes ahead.
    pub at: Option<DateTime<Utc>>,
    #[oai(validator(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
}

#[derive(Object)]
pub struct ParkingAssign {
    /// An active parking location or gate at the flight's airport.
    pub location_id: Uuid,
    /// From (default: arrival if arrived, else the ETA, else now).
    pub from: Option<DateTime<Utc>>,
    /// Until (default: the ETD; `null` holds the spot until departure).
    pub to: Option<DateTime<Utc>>,
}

#[derive(Object)]
pub struct VisitingFlightPage {
    pub items: Vec<VisitingFlight>,
    pub next_cursor: Option<String>,
}

// Served by serde straight to bytes (`crate::http::SerdeJson`, the `Serialize` below).
/// The arrivals and departures of one local day at one airport, each flight with its fuel
/// orders and line tasks.
#[derive(Object)]
pub struct FboBoard {
    pub airport_code: String,
    /// The local date shown.
    pub date: NaiveDate,
    /// The airport's IANA time zone, in which `date` is a day.
    pub time_zone: String,
    /// Flights due or landed that day, by ETA (arrival time once arrived).
    pub arrivals: Vec<Arc<VisitingFlight>>,
    /// Flights leaving that day, by ETD (departure time once departed).
    // A flight landing and leaving that day is one value shared by both halves, not a copy.
    pub departures: Vec<Arc<VisitingFlight>>,
}

/// A storage tank or a refueller truck (a truck holds its own inventory).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TankKind {
    Storage,
    Truck,
}

/// A fuel product (the one contacts' fuel prices use).
pub use crate::domains::contacts::service::FuelProduct;

/// The unit every quantity of the fuel farm is given and returned in: the tenant's
/// `units.fuel` setting (`gal`, US gallons, when unset).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case", rename = "FuelFarmUnit")]
#[serde(rename_all = "snake_case")]
pub enum FuelUnit {
    Gal,
    L,
    Lb,
    Kg,
}

/// What a fuel movement is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// The level measured.
    Reading,
    /// A delivery into the tank.
    Receipt,
    /// Fuel dispensed into an aircraft.
    Dispense,
    TransferIn,
    TransferOut,
}

/// How a level was measured.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ReadingMethod {
    /// A manual dip stick.
    Dip,
    /// The tank's gauge.
    Gauge,
}

/// A daily quality check's kind.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum QualityCheckKind {
    /// A sump drain sample.
    Sump,
    /// A water detection test.
    Water,
    /// Clear and bright, visually.
    Visual,
    /// Filter differential pressure.
    Filter,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Pass,
    Fail,
}

/// The last level reading and how far it was from the computed inventory.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LevelReading {
    pub at: DateTime<Utc>,
    pub measured: f64,
    /// The computed inventory just before the reading; `null` for a first reading.
    pub expected: Option<f64>,
    /// `measured - expected` (negative: less fuel than the records say); `null` for a first
    /// reading.
    pub variance: Option<f64>,
}

/// A tank's last quality check.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LastQualityCheck {
    pub at: DateTime<Utc>,
    pub kind: QualityCheckKind,
    pub result: CheckResult,
}

/// A tank's inventory now.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct TankLevel {
    /// The last reading plus receipts and transfers in, minus dispensing and transfers out
    /// since.
    pub computed: f64,
    /// Capacity minus the computed inventory.
    pub ullage: f64,
    /// The computed inventory is at or below the tank's low level.
    pub low: bool,
    pub last_reading: Option<LevelReading>,
    pub last_quality_check: Option<LastQualityCheck>,
    /// No passing quality check yet today (the airport's local day).
    pub quality_check_due: bool,
}

/// A storage tank or refueller truck of the fuel farm.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FuelTank {
    pub id: Uuid,
    pub airport_code: String,
    pub name: String,
    pub kind: TankKind,
    pub product: FuelProduct,
    /// The unit of `capacity`, `low_level` and `level`.
    pub unit: FuelUnit,
    pub capacity: f64,
    pub low_level: f64,
    pub active: bool,
    pub notes: Option<String>,
    pub level: TankLevel,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct FuelTankCreate {
    /// An airport or landing-site code (`422` when it names none).
    #[oai(validator(min_length = 2, max_length = 10))]
    pub airport_code: String,
    /// Unique per airport.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    pub kind: TankKind,
    pub product: FuelProduct,
    /// In the tenant's fuel unit, at least 1.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000000")))]
    pub capacity: f64,
    /// The low-level alert, in the tenant's fuel unit, at most the capacity (default 0).
    #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
    pub low_level: Option<f64>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

/// Fields to change (the airport, kind and product stay).
#[derive(Object)]
pub struct FuelTankUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// At least 1.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000000")))]
    pub capacity: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
    pub low_level: Option<f64>,
    pub active: Option<bool>,
    #[oai(validator(max_length = 2000))]
    pub notes: MaybeUndefined<String>,
    /// The version read; a concurrent change answers `409 version-conflict`.
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct FuelTankList {
    pub items: Vec<FuelTank>,
}

/// One movement of fuel in or out of a tank, or a level reading.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FuelMovement {
    pub id: Uuid,
    pub tank_id: Uuid,
    pub kind: MovementKind,
    pub at: DateTime<Utc>,
    /// In `unit`.
    pub quantity: f64,
    pub unit: FuelUnit,
    /// A reading's method.
    pub method: Option<ReadingMethod>,
    /// A delivery's lot (batch) number, supplier and density at 15 °C.
    pub lot_number: Option<String>,
    pub supplier: Option<String>,
    pub density_kg_m3: Option<i32>,
    /// A transfer's id (both halves share it) and the other tank.
    pub transfer_id: Option<Uuid>,
    pub other_tank_id: Option<Uuid>,
    /// The visiting flight fuel was dispensed into.
    pub flight_id: Option<Uuid>,
    pub notes: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct FuelMovementPage {
    pub items: Vec<FuelMovement>,
    pub next_cursor: Option<String>,
}

/// What a recorded movement left: the movement and the tank's inventory after it.
#[derive(Object)]
pub struct FuelMovementRecorded {
    pub movement: FuelMovement,
    pub tank: FuelTank,
}

#[derive(Object)]
pub struct FuelReadingCreate {
    /// The level measured, in the tenant's fuel unit, at most the capacity.
    #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
    pub quantity: f64,
    pub method: ReadingMethod,
    /// When (default now), at most 5 minutes ahead of the server's clock.
    pub at: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct FuelReceiptCreate {
    /// Delivered, in the tenant's fuel unit (at least 0.1); at most the tank's free capacity.
    #[oai(validator(minimum(value = "0.1"), maximum(value = "10000000")))]
    pub quantity: f64,
    /// The lot (batch) number on the delivery's quality certificate.
    #[oai(validator(min_length = 1, max_length = 50))]
    pub lot_number: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub supplier: Option<String>,
    /// Density at 15 °C from the delivery's certificate or the receipt test.
    #[oai(validator(minimum(value = "600"), maximum(value = "900")))]
    pub density_kg_m3: Option<i32>,
    pub at: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct FuelDispenseCreate {
    /// Dispensed, in the tenant's fuel unit (at least 0.1); at most what the tank holds.
    #[oai(validator(minimum(value = "0.1"), maximum(value = "10000000")))]
    pub quantity: f64,
    /// The visiting flight it went into.
    pub flight_id: Option<Uuid>,
    pub at: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct FuelTransferCreate {
    /// Another active tank or truck of the same product.
    pub to_tank_id: Uuid,
    /// Moved, in the tenant's fuel unit (at least 0.1); at most what this tank holds and what
    /// the other has room for.
    #[oai(validator(minimum(value = "0.1"), maximum(value = "10000000")))]
    pub quantity: f64,
    pub at: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

/// A daily quality check of a tank or truck.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct QualityCheck {
    pub id: Uuid,
    pub tank_id: Uuid,
    pub kind: QualityCheckKind,
    pub result: CheckResult,
    pub at: DateTime<Utc>,
    pub notes: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct QualityCheckCreate {
    pub kind: QualityCheckKind,
    pub result: CheckResult,
    /// When (default now), at most 5 minutes ahead of the server's clock.
    pub at: Option<DateTime<Utc>>,
    /// What was found; required for a failed check.
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct QualityCheckPage {
    pub items: Vec<QualityCheck>,
    pub next_cursor: Option<String>,
}

text_enum!(
    ParkingKind,
    VisitStatus,
    FboService,
    TankKind,
    MovementKind,
    ReadingMethod,
    QualityCheckKind,
    CheckResult,
);

/// Where a fuel order stands: `requested` → `assigned` (a fueler named) → `en_route` →
/// `fueling` → `completed`, or `cancelled` before completion.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FuelOrderStatus {
    Requested,
    Assigned,
    EnRoute,
    Fueling,
    Completed,
    Cancelled,
}

/// Why a completed fuel order has no invoice.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)]
pub enum Unbilled {
    /// The flight names no customer.
    NoCustomer,
    /// The customer has no finance account.
    NoAccount,
    /// No active fuel price for the product in the account's currency (docs/finance.md).
    NoPrice,
}

/// Fuel asked for a visiting flight, its fueler and truck, and its progress.
#[derive(Object, Clone, Debug, serde::Serialize)]
#[oai(rename = "FboFuelOrder")]
pub struct FuelOrder {
    pub id: Uuid,
    pub flight_id: Uuid,
    /// The flight's registration and airport, for the board.
    pub tail_number: String,
    pub airport_code: String,
    pub product: FuelProduct,
    /// Asked for, in `unit`; `null` for a top-off.
    pub quantity: Option<f64>,
    /// Fill the tanks.
    pub top_off: bool,
    /// The tenant's fuel unit, in which every quantity and meter reading is given.
    pub unit: FuelUnit,
    /// When the fuel is wanted.
    pub requested_for: DateTime<Utc>,
    pub status: FuelOrderStatus,
    /// The fueler assigned (`assign_fueler`).
    pub fueler_id: Option<Uuid>,
    pub fueler_name: Option<String>,
    /// The truck (or tank) it is dispensed from.
    pub truck_id: Option<Uuid>,
    /// The training findings the fueler was assigned over, where the rule only warns.
    pub assignment_warnings: Vec<String>,
    pub meter_start: Option<f64>,
    pub meter_stop: Option<f64>,
    /// Dispensed, in `unit`, once completed.
    pub delivered: Option<f64>,
    /// The fuel farm's dispense movement of the completion.
    pub movement_id: Option<Uuid>,
    /// The draft invoice with the fuel sale line (finance), once completed.
    pub invoice_id: Option<Uuid>,
    /// Why a completed order has no invoice.
    pub unbilled_reason: Option<Unbilled>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// When fueling began.
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct FuelOrderCreate {
    /// An open visiting flight (`409 flight-closed` once departed or cancelled).
    pub flight_id: Uuid,
    pub product: FuelProduct,
    /// In the tenant's fuel unit, at least 0.1; required unless `top_off`.
    #[oai(validator(minimum(value = "0.1"), maximum(value = "1000000")))]
    pub quantity: Option<f64>,
    /// Fill the tanks (then no `quantity`).
    #[oai(default)]
    pub top_off: bool,
    /// When the fuel is wanted; default the flight's ETA, or now once it has landed.
    pub requested_for: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct FuelOrderUpdate {
    /// A quantity instead of a top-off, or another quantity.
    #[oai(validator(minimum(value = "0.1"), maximum(value = "1000000")))]
    pub quantity: Option<f64>,
    /// `true` makes it a top-off (and clears `quantity`).
    pub top_off: Option<bool>,
    pub requested_for: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 2000))]
    pub notes: MaybeUndefined<String>,
    /// The version read; `409 version-conflict` when it changed since.
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct FuelerAssign {
    /// An active user whose roles grant `fbo.fuel`.
    pub fueler_id: Uuid,
    /// An active truck (or tank) of the order's product at the flight's airport.
    pub truck_id: Option<Uuid>,
}

/// A step of a fuel order's progress (`update_progress`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FuelProgressStep {
    EnRoute,
    Fueling,
    Completed,
}

#[derive(Object)]
pub struct FuelProgress {
    /// The next step: forward only, steps may be skipped.
    pub status: FuelProgressStep,
    /// When it happened; default now, at most 5 minutes ahead.
    pub at: Option<DateTime<Utc>>,
    /// The truck, if not the one assigned (an active one of the product at the airport).
    pub truck_id: Option<Uuid>,
    /// The truck's meter before fueling, in the fuel unit.
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000")))]
    pub meter_start: Option<f64>,
    /// The meter after (at least `meter_start`).
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000")))]
    pub meter_stop: Option<f64>,
    /// Dispensed, in the fuel unit (at least 0.1); on completion it is this, or the meter
    /// difference; both given must agree within 0.1.
    #[oai(validator(minimum(value = "0.1"), maximum(value = "1000000")))]
    pub quantity: Option<f64>,
}

#[derive(Object)]
pub struct FuelOrderCancel {
    #[oai(validator(min_length = 1, max_length = 500))]
    pub reason: String,
}

#[derive(Object)]
pub struct FuelOrderPage {
    pub items: Vec<FuelOrder>,
    pub next_cursor: Option<String>,
}

/// What changed, in an event of the live feed.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)]
pub enum FboEventKind {
    FuelOrderCreated,
    FuelOrderUpdated,
    FuelOrderAssigned,
    FuelOrderProgress,
    FuelOrderCompleted,
    FuelOrderCancelled,
}

/// One event of the FBO's live feed (`GET /api/v1/fbo/events`, SSE): its number (the SSE `id`,
/// which `Last-Event-ID` resumes after), what happened, and the fuel order as it is after it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FboEvent {
    pub id: i64,
    pub kind: FboEventKind,
    pub at: DateTime<Utc>,
    pub fuel_order: FuelOrder,
}

/// A kind of line staff training.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TrainingKind {
    /// Fuel handling and quality (14 CFR 139.321(e)).
    FuelSafety,
    /// Fire safety (14 CFR 139.321(e), NFPA 407).
    FireSafety,
    Marshalling,
    Towing,
}

/// A course a member of the line staff completed.
#[derive(Object, Clone, Debug, serde::Serialize)]
#[oai(rename = "FboTrainingRecord")]
pub struct TrainingRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: TrainingKind,
    pub completed_on: NaiveDate,
    /// The record's own expiry, if it has one.
    pub expires_on: Option<NaiveDate>,
    /// The last day it counts: its expiry, capped (fuel and fire safety) at the end of the
    /// 24th calendar month after completion (14 CFR 139.321(e)).
    pub valid_until: NaiveDate,
    /// Valid on the tenant's today.
    pub current: bool,
    pub provider: Option<String>,
    pub notes: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct TrainingRecordCreate {
    /// An active user of the organisation.
    pub user_id: Uuid,
    pub kind: TrainingKind,
    /// Not in the future (the tenant's today).
    pub completed_on: NaiveDate,
    /// On or after `completed_on`.
    pub expires_on: Option<NaiveDate>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub provider: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct TrainingRecordPage {
    pub items: Vec<TrainingRecord>,
    pub next_cursor: Option<String>,
}

/// A fueler: an active user whose roles grant `fbo.fuel`, and whether their training lets
/// fuel dispatch assign them today.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Fueler {
    pub user_id: Uuid,
    pub name: String,
    /// `met`, `expiring` (within 30 days) or `failed`.
    pub training: FuelerTrainingState,
    /// The last day the required training (fire safety and fuel handling) is current.
    pub valid_until: Option<NaiveDate>,
    pub detail: String,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FuelerTrainingState {
    Met,
    Expiring,
    Failed,
}

#[derive(Object)]
pub struct FuelerList {
    pub items: Vec<Fueler>,
}

/// The organisation's mode of an FBO rule.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename = "FboRuleMode", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FboRuleMode {
    /// A failure refuses (`409`).
    Block,
    /// A failure is reported on the order and kept; nothing is refused.
    Warn,
    /// Not checked.
    Off,
}

/// An FBO rule and its mode.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FboRule {
    /// `fueler_training`.
    pub rule: String,
    /// The regulation it applies.
    pub regulation: String,
    pub mode: FboRuleMode,
}

#[derive(Object)]
pub struct FboRuleList {
    pub items: Vec<FboRule>,
}

#[derive(Object)]
pub struct FboRuleSet {
    pub mode: FboRuleMode,
}

text_enum!(
    FuelOrderStatus,
    Unbilled,
    FboEventKind,
    TrainingKind,
    FboRuleMode,
);

/// A kind of ground equipment.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EquipmentKind {
    /// A tow tractor or towbarless tug.
    Tug,
    /// A ground power unit.
    Gpu,
    FuelTruck,
    LavatoryCart,
    WaterCart,
    AirStairs,
    Deicer,
    Other,
}

/// A piece of ground equipment at one of the FBO's airports.
#[derive(Object, Clone, Debug, serde::Serialize)]
#[oai(rename = "FboEquipment")]
pub struct Equipment {
    pub id: Uuid,
    pub airport_code: String,
    /// Unique per airport (`Tug 2`).
    pub name: String,
    pub kind: EquipmentKind,
    pub serial_number: Option<String>,
    pub in_service: bool,
    /// Why it is out of service.
    pub out_of_service_reason: Option<String>,
    /// The hour meter.
    pub hours: Option<f64>,
    /// Maintenance falls due on this day (the airport's local date) ...
    pub maintenance_due_on: Option<NaiveDate>,
    /// ... or at this hour-meter reading, whichever comes first.
    pub maintenance_due_hours: Option<f64>,
    /// Due now: the date reached (at the airport) or the hours.
    pub maintenance_due: bool,
    /// Due within 14 days or 10 hours.
    pub maintenance_due_soon: bool,
    /// In service and not due: line tasks may use it.
    pub available: bool,
    /// The task using it now, if any.
    pub in_use_by_task_id: Option<Uuid>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct EquipmentCreate {
    /// An airport or landing-site code (`422` when it names none).
    #[oai(validator(min_length = 2, max_length = 10))]
    pub airport_code: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    pub kind: EquipmentKind,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub serial_number: Option<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999")))]
    pub hours: Option<f64>,
    pub maintenance_due_on: Option<NaiveDate>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999")))]
    pub maintenance_due_hours: Option<f64>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct EquipmentUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub serial_number: MaybeUndefined<String>,
    /// `false` takes it out of service (with `out_of_service_reason`); `true` brings it back.
    pub in_service: Option<bool>,
    #[oai(validator(min_length = 1, max_length = 500))]
    pub out_of_service_reason: Option<String>,
    /// A new hour-meter reading: never below the current one.
    #[oai(validator(minimum(value = "0"), maximum(value = "999999")))]
    pub hours: Option<f64>,
    pub maintenance_due_on: MaybeUndefined<NaiveDate>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999")))]
    pub maintenance_due_hours: MaybeUndefined<f64>,
    #[oai(validator(max_length = 2000))]
    pub notes: MaybeUndefined<String>,
    /// The version read; `409 version-conflict` when it changed since.
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct EquipmentPage {
    pub items: Vec<Equipment>,
    pub next_cursor: Option<String>,
}

/// Maintenance done on a piece of equipment.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct EquipmentMaintenance {
    pub id: Uuid,
    pub equipment_id: Uuid,
    pub done_on: NaiveDate,
    /// The hour meter when it was done.
    pub hours: Option<f64>,
    pub description: String,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct EquipmentMaintenanceCreate {
    /// Not after the airport's today.
    pub done_on: NaiveDate,
    /// The hour meter then (becomes the equipment's reading if higher).
    #[oai(validator(minimum(value = "0"), maximum(value = "999999")))]
    pub hours: Option<f64>,
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub description: String,
    /// When it is next due (a day after `done_on`); without it the date due is cleared.
    pub next_due_on: Option<NaiveDate>,
    /// At what hour reading it is next due (above `hours`); without it the hours due are
    /// cleared.
    #[oai(validator(minimum(value = "0"), maximum(value = "999999")))]
    pub next_due_hours: Option<f64>,
}

#[derive(Object)]
pub struct EquipmentMaintenancePage {
    pub items: Vec<EquipmentMaintenance>,
}

/// What a line task is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LineTaskKind {
    /// Tow the aircraft (a tug).
    Tow,
    /// Ground power (a GPU).
    Gpu,
    /// Lavatory service (a lavatory cart).
    Lavatory,
    /// Potable water (a water cart).
    PotableWater,
    /// Into or out of a hangar (a tug).
    HangarMove,
}

/// Where a line task stands: `scheduled` → `in_progress` → `done`, or `cancelled`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LineTaskStatus {
    Scheduled,
    InProgress,
    Done,
    Cancelled,
}

/// A task of the line schedule: a service for a visiting flight, at a spot or gate, with the
/// equipment and the member of the line who does it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LineTask {
    pub id: Uuid,
    pub flight_id: Uuid,
    pub tail_number: String,
    pub airport_code: String,
    pub kind: LineTaskKind,
    pub scheduled_for: DateTime<Utc>,
    /// The spot or gate.
    pub location_id: Option<Uuid>,
    pub location_code: Option<String>,
    pub equipment_id: Option<Uuid>,
    pub equipment_name: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub status: LineTaskStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct LineTaskCreate {
    /// An open visiting flight.
    pub flight_id: Uuid,
    pub kind: LineTaskKind,
    /// Default now.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// An active spot or gate of the flight's airport.
    pub location_id: Option<Uuid>,
    /// Equipment of the flight's airport that suits the task (a tug for a tow or a hangar
    /// move, a GPU, a lavatory cart, a water cart), in service and not due for maintenance.
    pub equipment_id: Option<Uuid>,
    /// An active user whose roles grant `fbo.fuel` (the line).
    pub assignee_id: Option<Uuid>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct LineTaskUpdate {
    pub scheduled_for: Option<DateTime<Utc>>,
    pub location_id: MaybeUndefined<Uuid>,
    pub equipment_id: MaybeUndefined<Uuid>,
    pub assignee_id: MaybeUndefined<Uuid>,
    #[oai(validator(max_length = 2000))]
    pub notes: MaybeUndefined<String>,
    /// The version read; `409 version-conflict` when it changed since.
    pub version: Option<i32>,
}

/// A step of a line task.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LineTaskStep {
    InProgress,
    Done,
}

#[derive(Object)]
pub struct LineTaskProgress {
    pub status: LineTaskStep,
    /// When; default now, at most 5 minutes ahead, not before the start.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Object)]
pub struct LineTaskCancel {
    #[oai(validator(min_length = 1, max_length = 500))]
    pub reason: String,
}

#[derive(Object)]
pub struct LineTaskPage {
    pub items: Vec<LineTask>,
    pub next_cursor: Option<String>,
}

text_enum!(EquipmentKind, LineTaskKind, LineTaskStatus,);

/// A fuel order as the board shows it.
#[derive(Object, Clone, Debug, serde::Serialize)]
#[oai(rename = "FboFuelOrderSummary")]
pub struct FuelOrderSummary {
    pub id: Uuid,
    pub product: FuelProduct,
    /// Asked for, in `unit`; `null` for a top-off.
    pub quantity: Option<f64>,
    pub top_off: bool,
    pub unit: FuelUnit,
    #[serde(serialize_with = "instant")]
    pub requested_for: DateTime<Utc>,
    pub status: FuelOrderStatus,
    pub fueler_id: Option<Uuid>,
    pub fueler_name: Option<String>,
    pub truck_id: Option<Uuid>,
    /// Dispensed, in `unit`, once completed.
    pub delivered: Option<f64>,
    #[serde(serialize_with = "maybe_instant")]
    pub completed_at: Option<DateTime<Utc>>,
}

/// A line task as the board shows it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LineTaskSummary {
    pub id: Uuid,
    pub kind: LineTaskKind,
    #[serde(serialize_with = "instant")]
    pub scheduled_for: DateTime<Utc>,
    pub status: LineTaskStatus,
    pub location_code: Option<String>,
    pub equipment_id: Option<Uuid>,
    pub equipment_name: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
}

/// The board as its `ToJSON` writes it: each flight with its fuel orders and line tasks (which
/// a flight's own `serde::Serialize`, the audit snapshot, leaves out).
impl serde::Serialize for FboBoard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            #[serde(flatten)]
            flight: &'a VisitingFlight,
            fuel_orders: &'a [FuelOrderSummary],
            line_tasks: &'a [LineTaskSummary],
        }
        #[derive(serde::Serialize)]
        struct View<'a> {
            airport_code: &'a str,
            date: NaiveDate,
            time_zone: &'a str,
            arrivals: Vec<Entry<'a>>,
            departures: Vec<Entry<'a>>,
        }
        fn entry(f: &Arc<VisitingFlight>) -> Entry<'_> {
            Entry {
                flight: f,
                fuel_orders: &f.fuel_orders,
                line_tasks: &f.line_tasks,
            }
        }
        View {
            airport_code: &self.airport_code,
            date: self.date,
            time_zone: &self.time_zone,
            arrivals: self.arrivals.iter().map(entry).collect(),
            departures: self.departures.iter().map(entry).collect(),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    fn flight(id: u128, landed: bool) -> VisitingFlight {
        VisitingFlight {
            id: Uuid::from_u128(id),
            airport_code: "KTEB".into(),
            tail_number: "N100AA".into(),
            aircraft_type: Some("C25A".into()),
            operator_name: if landed {
                None
            } else {
                Some("Acme \"Jets\"".into())
            },
            customer_id: Some(Uuid::from_u128(7)),
            eta: Some(at("2026-12-07T14:00:00.123456789Z")),
            etd: Some(at("2026-12-07T18:00:00Z")),
            arrived_at: landed.then(|| at("2026-12-07T14:03:10Z")),
            departed_at: None,
            passengers: Some(4),
            services: vec![FboService::Fuel, FboService::CrewCar],
            status: if landed {
                VisitStatus::Arrived
            } else {
                VisitStatus::Expected
            },
            cancel_reason: None,
            tags: vec!["vip".into()],
            notes: Some("line 1\nline 2 é".into()),
            parking: landed.then(|| FlightParking {
                location_id: Uuid::from_u128(9),
                location_code: "A1".into(),
                kind: ParkingKind::Ramp,
                from: at("2026-12-07T14:05:00Z"),
                to: None,
            }),
            fuel_orders: vec![FuelOrderSummary {
                id: Uuid::from_u128(11),
                product: FuelProduct::Avgas100ll,
                quantity: Some(105.5),
                top_off: false,
                unit: FuelUnit::Gal,
                requested_for: at("2026-12-07T14:30:00Z"),
                status: FuelOrderStatus::EnRoute,
                fueler_id: Some(Uuid::from_u128(12)),
                fueler_name: Some("Sam".into()),
                truck_id: None,
                delivered: None,
                completed_at: Some(at("2026-12-07T15:00:00.5Z")),
            }],
            line_tasks: vec![LineTaskSummary {
                id: Uuid::from_u128(13),
                kind: LineTaskKind::PotableWater,
                scheduled_for: at("2026-12-07T15:00:00Z"),
                status: LineTaskStatus::InProgress,
                location_code: None,
                equipment_id: Some(Uuid::from_u128(14)),
                equipment_name: Some("Water cart".into()),
                assignee_id: None,
                assignee_name: None,
            }],
            version: 3,
            created_at: at("2026-12-06T09:00:00Z"),
            updated_at: at("2026-12-07T14:05:00.000001Z"),
        }
    }

    /// The board is written by serde (`SerdeJson`) and documented by its `Object`: the two
    /// must give the same JSON, field by field (instants, enums, nulls, escapes).
    #[test]
    fn the_board_serde_writes_is_what_its_schema_says() {
        let board = FboBoard {
            airport_code: "KTEB".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
            time_zone: "America/New_York".into(),
            arrivals: vec![Arc::new(flight(1, true)), Arc::new(flight(2, false))],
            departures: vec![Arc::new(flight(1, true))],
        };
        let by_serde = serde_json::to_value(&board).expect("serde");
        assert_eq!(by_serde, board.to_json().expect("to_json"));
        assert_eq!(
            by_serde["arrivals"][0]["fuel_orders"][0]["product"],
            "avgas_100ll"
        );
        assert_eq!(
            by_serde["arrivals"][0]["eta"],
            "2026-12-07T14:00:00.123456789+00:00"
        );
    }
}
