//! Request and response objects of contacts, FBO profiles and communications (they are the
//! OpenAPI schema: every constraint the server enforces is declared).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

/// A person or an organisation.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Person,
    Organization,
}

/// What a contact is to the organisation (a contact may be several).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Buys flights (charter customers, their bookers).
    Customer,
    Vendor,
    /// A fixed-base operator at an airport: fuel, handling, hangar.
    Fbo,
    GroundHandler,
    Caterer,
    AmbulanceService,
    Hospital,
    Broker,
    Other,
}

/// A contact: a customer, vendor, FBO, handler, caterer, ambulance service or hospital.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Contact {
    pub id: Uuid,
    pub kind: ContactKind,
    pub name: String,
    pub roles: Vec<ContactRole>,
    /// A person's organisation (a contact of kind `organization`).
    pub organization_id: Option<Uuid>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Where it works (an FBO, handler or caterer): an ICAO code or a landing-site code.
    pub airport_code: Option<String>,
    /// The customer's finance account (invoices, statements).
    pub finance_account_id: Option<Uuid>,
    pub notes: Option<String>,
    /// An inactive contact is kept with its history but left out of lists by default.
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new contact.
#[derive(Object)]
pub struct ContactCreate {
    pub kind: ContactKind,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    #[oai(default, validator(max_items = 9, unique_items))]
    pub roles: Vec<ContactRole>,
    /// A contact of kind `organization` (only a person belongs to one).
    pub organization_id: Option<Uuid>,
    #[oai(validator(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub email: Option<String>,
    #[oai(validator(max_length = 40, pattern = r"^\+?[0-9 ()./-]{3,40}$"))]
    pub phone: Option<String>,
    #[oai(validator(max_length = 1000))]
    pub address: Option<String>,
    #[oai(validator(pattern = r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    /// An airport the service knows (ICAO, IATA or local code, or a landing site); stored as
    /// its code (`KTEB`).
    #[oai(validator(min_length = 2, max_length = 10))]
    pub airport_code: Option<String>,
    /// A finance account of this organisation.
    pub finance_account_id: Option<Uuid>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

/// A partial update: absent fields stay, `null` clears the optional ones.
#[derive(Object)]
pub struct ContactUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[oai(validator(max_items = 9, unique_items))]
    pub roles: Option<Vec<ContactRole>>,
    pub organization_id: MaybeUndefined<Uuid>,
    #[oai(validator(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub email: MaybeUndefined<String>,
    #[oai(validator(max_length = 40, pattern = r"^\+?[0-9 ()./-]{3,40}$"))]
    pub phone: MaybeUndefined<String>,
    #[oai(validator(max_length = 1000))]
    pub address: MaybeUndefined<String>,
    #[oai(validator(pattern = r"^[A-Z]{2}$"))]
    pub country: MaybeUndefined<String>,
    #[oai(validator(min_length = 2, max_length = 10))]
    pub airport_code: MaybeUndefined<String>,
    pub finance_account_id: MaybeUndefined<Uuid>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    pub active: Option<bool>,
    /// The version read; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// A page of contacts, newest first.
#[derive(Object)]
pub struct ContactPage {
    pub items: Vec<Contact>,
    pub next_cursor: Option<String>,
}

/// A service an FBO or handler offers.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FboService {
    FuelJetA,
    #[oai(rename = "fuel_100ll")]
    #[serde(rename = "fuel_100ll")]
    Fuel100ll,
    FuelSaf,
    Gpu,
    Lavatory,
    PotableWater,
    Catering,
    Hangar,
    CrewCar,
    Customs,
    DeIcing,
    Oxygen,
    CrewLounge,
    PassengerLounge,
}

/// A fuel product.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FuelProduct {
    JetA,
    #[oai(rename = "avgas_100ll")]
    #[serde(rename = "avgas_100ll")]
    Avgas100ll,
    Saf,
    Mogas,
}

/// The unit a fuel price is per.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FuelPriceUnit {
    /// US gallon.
    Usg,
    /// Litre.
    L,
}

/// A kind of fee an FBO or handler charges.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    Landing,
    Handling,
    /// Per night on the ramp or in the hangar.
    ParkingNight,
    Ramp,
    CateringDelivery,
    AfterHoursCallout,
}

/// A posted fuel price.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FuelPrice {
    pub product: FuelProduct,
    pub unit: FuelPriceUnit,
    /// Per unit, in minor units of the profile's currency (cents).
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000")))]
    pub price_minor: i64,
    pub effective_on: NaiveDate,
}

/// A fee, in minor units of the profile's currency.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Fee {
    pub kind: FeeKind,
    /// For one aircraft type (ICAO designator, `C25A`), which wins over the general fee of
    /// the same kind; absent or `null` for every type.
    #[oai(validator(pattern = r"^[A-Z][A-Z0-9]{1,3}$"))]
    pub aircraft_type: Option<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "10000000000")))]
    pub amount_minor: i64,
}

/// What an FBO or ground handler offers: services, hours, fuel prices and fees.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FboProfile {
    pub contact_id: Uuid,
    pub services: Vec<FboService>,
    pub open_24h: bool,
    /// Opening hours as people write them.
    pub hours: Option<String>,
    /// UNICOM or handling frequency.
    pub frequency: Option<String>,
    /// ISO 4217 currency of its prices and fees; `null` until a profile is set.
    pub currency: Option<String>,
    pub fuel_prices: Vec<FuelPrice>,
    pub fees: Vec<Fee>,
    /// 0 until a profile is set.
    pub version: i32,
    /// `null` until a profile is set.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The whole profile, replacing what was there.
#[derive(Object)]
pub struct FboProfileWrite {
    #[oai(default, validator(max_items = 14, unique_items))]
    pub services: Vec<FboService>,
    #[oai(default)]
    pub open_24h: bool,
    #[oai(validator(max_length = 500))]
    pub hours: Option<String>,
    #[oai(validator(max_length = 20))]
    pub frequency: Option<String>,
    #[oai(validator(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
    /// At most one price per product.
    #[oai(default, validator(max_items = 4))]
    pub fuel_prices: Vec<FuelPrice>,
    /// At most one fee per kind and aircraft type.
    #[oai(default, validator(max_items = 200))]
    pub fees: Vec<Fee>,
    /// The version read (absent when creating); a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// A kind of communication.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CommunicationKind {
    Call,
    Email,
    Meeting,
    Note,
}

/// Who started it.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CommunicationDirection {
    Inbound,
    Outbound,
}

/// One entry of a contact's communication history.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Communication {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub kind: CommunicationKind,
    /// For calls, e-mails and meetings; `null` for notes.
    pub direction: Option<CommunicationDirection>,
    pub occurred_at: DateTime<Utc>,
    pub subject: String,
    pub body: Option<String>,
    pub duration_minutes: Option<i32>,
    /// Who recorded it (`null` once that user is gone).
    pub author_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A new entry of the communication history.
#[derive(Object)]
pub struct CommunicationCreate {
    pub kind: CommunicationKind,
    pub direction: Option<CommunicationDirection>,
    /// When it happened (default: now); not more than a day ahead.
    pub occurred_at: Option<DateTime<Utc>>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub subject: String,
    #[oai(validator(max_length = 20000))]
    pub body: Option<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1440")))]
    pub duration_minutes: Option<i32>,
}

/// A page of the communication history, newest first.
#[derive(Object)]
pub struct CommunicationPage {
    pub items: Vec<Communication>,
    pub next_cursor: Option<String>,
}

text_enum!(
    ContactKind,
    ContactRole,
    FboService,
    FuelProduct,
    FuelPriceUnit,
    FeeKind,
    CommunicationKind,
    CommunicationDirection
);
