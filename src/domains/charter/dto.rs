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
    /// When it was last e-mailed to the customer, and to which address.
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_to: Option<String>,
    /// How the customer accepted it online (null until then).
    pub acceptance: Option<QuoteAcceptance>,
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

/// What the quote's e-mail did.
#[derive(Object)]
pub struct QuoteSent {
    pub quote_id: Uuid,
    pub sent_to: String,
    /// The customer's secret link (page with the accept form; add `/pdf` for the PDF).
    /// Sending again replaces it.
    pub url: String,
}

/// How the customer accepted a quote online.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct QuoteAcceptance {
    pub accepted_at: DateTime<Utc>,
    /// The client's address the acceptance came from.
    pub accepted_from: Option<String>,
    /// The name the customer typed.
    pub accepted_name: String,
    /// The quote version accepted.
    pub accepted_version: i32,
    /// The trip the acceptance made.
    pub trip_id: Option<Uuid>,
}

/// Where a trip is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TripStatus {
    /// Tentative: holds no aircraft.
    Quoted,
    /// Confirmed: holds its aircraft.
    Scheduled,
    /// Released by dispatch after the release checks.
    Released,
    EnRoute,
    Completed,
    Cancelled,
}

/// One leg of a trip.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct TripLeg {
    /// 1, 2, ... in departure order.
    pub seq: i32,
    pub aircraft_id: Uuid,
    pub from: String,
    pub to: String,
    /// An empty leg (positioning from base or back to it).
    pub positioning: bool,
    /// ETD, UTC.
    pub departs_at: DateTime<Utc>,
    /// ETA, UTC.
    pub arrives_at: DateTime<Utc>,
    /// ETD, local wall-clock time at the departure airport (`2026-12-24T09:00`).
    pub departs_local: String,
    /// ETA, local wall-clock time at the arrival airport.
    pub arrives_local: String,
    pub from_time_zone: String,
    pub to_time_zone: String,
    /// The FBO or handler at the departure (a contact).
    pub from_fbo_id: Option<Uuid>,
    /// The FBO or handler at the arrival.
    pub to_fbo_id: Option<Uuid>,
    pub passengers: i32,
    /// Fuel to take on before the leg, kilograms.
    pub fuel_uplift_kg: Option<i32>,
    pub notes: Option<String>,
}

/// One check run when a trip is released.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ReleaseCheck {
    /// `airworthiness` or a crew rule (`faa.135.267.b`, ...).
    pub rule: String,
    /// `pass`, `warn` or `block`.
    pub outcome: String,
    pub message: String,
}

/// A trip with its legs.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Trip {
    pub id: Uuid,
    /// `T-2026-0001`.
    pub number: String,
    /// The accepted quote it was made from.
    pub quote_id: Option<Uuid>,
    /// The customer (a contact).
    pub customer_id: Option<Uuid>,
    pub status: TripStatus,
    /// The first departure.
    pub starts_at: DateTime<Utc>,
    /// The last arrival.
    pub ends_at: DateTime<Utc>,
    pub legs: Vec<TripLeg>,
    /// Who flies which leg as what.
    pub crew: Vec<CrewAssignment>,
    pub notes: Option<String>,
    /// What the release checks said when it was released (empty before).
    pub release_checks: Vec<ReleaseCheck>,
    pub released_at: Option<DateTime<Utc>>,
    pub released_by: Option<Uuid>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    /// Its draft or issued invoice in finance, once invoiced.
    pub invoice_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of trips, by first departure.
#[derive(Object)]
pub struct TripPage {
    pub items: Vec<Trip>,
    pub next_cursor: Option<String>,
}

/// A leg to fly.
#[derive(Object, Clone, Debug)]
pub struct TripLegWrite {
    /// An aircraft of the fleet.
    pub aircraft_id: Uuid,
    /// An airport or landing site code.
    #[oai(validator(min_length = 2, max_length = 10))]
    pub from: String,
    #[oai(validator(min_length = 2, max_length = 10))]
    pub to: String,
    /// ETD, an instant.
    pub departs_at: DateTime<Utc>,
    /// ETA; default the block time at the aircraft's cruise speed plus 15 minutes of taxi.
    pub arrives_at: Option<DateTime<Utc>>,
    #[oai(default)]
    pub positioning: bool,
    pub from_fbo_id: Option<Uuid>,
    pub to_fbo_id: Option<Uuid>,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "100")))]
    pub passengers: i32,
    #[oai(validator(minimum(value = "0"), maximum(value = "500000")))]
    pub fuel_uplift_kg: Option<i32>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

/// A trip made by hand (a trip from a quote is made by accepting it).
#[derive(Object)]
pub struct TripCreate {
    /// A contact with the role `customer`.
    pub customer_id: Option<Uuid>,
    /// `scheduled` (default; holds the aircraft) or `quoted` (tentative).
    pub status: Option<TripStatus>,
    /// In departure order.
    #[oai(validator(min_items = 1, max_items = 20))]
    pub legs: Vec<TripLegWrite>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

/// A trip's legs, replacing all of them.
#[derive(Object)]
pub struct TripLegsWrite {
    #[oai(validator(min_items = 1, max_items = 20))]
    pub legs: Vec<TripLegWrite>,
    /// The trip's `version` read; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// Move a trip on: `scheduled`, `released` (runs the release checks), `en_route`,
/// `completed` or `cancelled` (with a reason).
#[derive(Object)]
pub struct TripStatusChange {
    pub status: TripStatus,
    /// Why, for a cancellation (required then).
    #[oai(validator(max_length = 2000))]
    pub reason: Option<String>,
    /// The trip's `version` read; a concurrent change answers `409`.
    pub version: Option<i32>,
}

text_enum!(TripStatus);

/// What a crew member does.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[oai(rename = "CharterCrewRole", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CrewRole {
    Pilot,
    FlightNurse,
    Paramedic,
    Physician,
    FlightAttendant,
}

/// A crew member: a user of the organisation with crew roles.
#[derive(Object, Clone, Debug, serde::Serialize)]
#[oai(rename = "CharterCrewMember")]
pub struct CrewMember {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The user's name.
    pub name: String,
    pub roles: Vec<CrewRole>,
    /// Airport or landing-site code.
    pub home_base: Option<String>,
    pub active: bool,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new crew member.
#[derive(Object)]
pub struct CrewMemberCreate {
    /// A user of the organisation (one crew member each).
    pub user_id: Uuid,
    #[oai(validator(min_items = 1, max_items = 5, unique_items))]
    pub roles: Vec<CrewRole>,
    #[oai(validator(pattern = r"^[A-Z0-9][A-Z0-9-]{1,9}$"))]
    pub home_base: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

/// Changes to a crew member; what is left out stays.
#[derive(Object)]
pub struct CrewMemberUpdate {
    #[oai(validator(min_items = 1, max_items = 5, unique_items))]
    pub roles: Option<Vec<CrewRole>>,
    #[oai(validator(pattern = r"^[A-Z0-9][A-Z0-9-]{1,9}$"))]
    pub home_base: poem_openapi::types::MaybeUndefined<String>,
    pub active: Option<bool>,
    #[oai(validator(max_length = 2000))]
    pub notes: poem_openapi::types::MaybeUndefined<String>,
    /// The `version` read; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// Crew members by name.
#[derive(Object)]
pub struct CrewMemberPage {
    pub items: Vec<CrewMember>,
    pub next_cursor: Option<String>,
}

/// What a crew member is on a leg.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AssignmentRole {
    /// Pilot in command (a crew member with the role `pilot`).
    Pic,
    /// Second in command (`pilot`).
    Sic,
    /// Medical crew (`flight_nurse`, `paramedic` or `physician`).
    Medical,
    /// `flight_attendant`.
    FlightAttendant,
}

/// A crew member on a leg.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct CrewAssignment {
    pub seq: i32,
    pub crew_member_id: Uuid,
    pub role: AssignmentRole,
    /// The crew member's name.
    pub name: String,
}

/// A crew member on some legs of a trip.
#[derive(Object, Clone, Debug)]
pub struct CrewAssignmentWrite {
    pub crew_member_id: Uuid,
    pub role: AssignmentRole,
    /// The legs (`seq`); default every leg.
    #[oai(validator(max_items = 20, unique_items))]
    pub legs: Option<Vec<i32>>,
}

/// A trip's crew, replacing its assignments.
#[derive(Object)]
pub struct TripCrewWrite {
    #[oai(validator(max_items = 60))]
    pub assignments: Vec<CrewAssignmentWrite>,
    /// The trip's `version` read; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// The crew as assigned, with what the crew rules said (warnings included).
#[derive(Object)]
pub struct TripCrew {
    pub trip_id: Uuid,
    pub assignments: Vec<CrewAssignment>,
    pub checks: Vec<ReleaseCheck>,
    /// The trip's version after the change.
    pub version: i32,
}

/// The organisation's mode of a crew rule.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename = "CrewRuleMode", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RuleMode {
    /// A failure refuses the assignment or the release (`409`).
    Block,
    /// A failure is reported and kept, nothing is refused.
    Warn,
    /// Not checked.
    Off,
}

/// A crew rule and its mode.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct CrewRule {
    /// `faa.135.267.b`, ..., or `qualification`.
    pub rule: String,
    /// The regulation it applies.
    pub regulation: String,
    pub mode: RuleMode,
}

/// Every crew rule.
#[derive(Object)]
pub struct CrewRuleList {
    pub items: Vec<CrewRule>,
}

/// A crew rule's new mode.
#[derive(Object)]
pub struct CrewRulePut {
    pub mode: RuleMode,
}

/// A crew member's record under 14 CFR 135.267 (pilots): every rule over their assigned flying.
#[derive(Object)]
pub struct CrewLegality {
    pub crew_member_id: Uuid,
    /// `met` or `failed`.
    pub state: String,
    pub findings: Vec<ReleaseCheck>,
}

text_enum!(CrewRole, AssignmentRole, RuleMode);

/// A passenger of a trip.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Passenger {
    pub id: Uuid,
    pub trip_id: Uuid,
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    /// ISO 3166-1 alpha-2.
    pub nationality: Option<String>,
    pub passport_number: Option<String>,
    pub passport_expiry: Option<NaiveDate>,
    pub weight_kg: Option<i32>,
    /// The legs (`seq`) they fly.
    pub legs: Vec<i32>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A passenger, replacing what was there. An international leg (airports in two countries)
/// needs `nationality`, `passport_number` and a `passport_expiry` not before the leg's date.
#[derive(Object)]
pub struct PassengerWrite {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    #[oai(validator(pattern = r"^[A-Z]{2}$"))]
    pub nationality: Option<String>,
    #[oai(validator(min_length = 1, max_length = 30))]
    pub passport_number: Option<String>,
    pub passport_expiry: Option<NaiveDate>,
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub weight_kg: Option<i32>,
    /// The legs (`seq`); default every leg that is not positioning.
    #[oai(validator(min_items = 1, max_items = 20, unique_items))]
    pub legs: Option<Vec<i32>>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
    /// The `version` read, when replacing; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// A trip's passenger manifest.
#[derive(Object)]
pub struct PassengerList {
    pub items: Vec<Passenger>,
}

/// How a patient moves.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Mobility {
    Ambulatory,
    Wheelchair,
    Stretcher,
}

/// A patient's record: health data, readable only with `medical.read`, sealed at rest.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PatientRecord {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub weight_kg: Option<i32>,
    #[oai(validator(max_length = 2000))]
    pub diagnosis: Option<String>,
    pub mobility: Mobility,
    /// Oxygen flow needed, litres per minute (0: none).
    #[oai(default, validator(minimum(value = "0"), maximum(value = "60")))]
    pub oxygen_lpm: i32,
    /// Isolation precautions needed.
    #[oai(default)]
    pub isolation: bool,
    #[oai(validator(max_length = 200))]
    pub attending_physician: Option<String>,
    #[oai(validator(max_length = 200))]
    pub receiving_facility: Option<String>,
    /// What the medical crew must bring or be (neonatal team, ventilator, ...).
    #[oai(validator(max_length = 2000))]
    pub medical_crew_needs: Option<String>,
}

/// A patient of a trip.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Patient {
    pub id: Uuid,
    pub trip_id: Uuid,
    /// The legs (`seq`) the patient flies.
    pub legs: Vec<i32>,
    pub record: PatientRecord,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A patient, replacing what was there.
#[derive(Object)]
pub struct PatientWrite {
    /// The legs (`seq`); default every leg that is not positioning.
    #[oai(validator(min_items = 1, max_items = 20, unique_items))]
    pub legs: Option<Vec<i32>>,
    pub record: PatientRecord,
    /// The `version` read, when replacing; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// A trip's patients.
#[derive(Object)]
pub struct PatientList {
    pub items: Vec<Patient>,
}

/// One access to a logged record (a patient's record, a trip document).
#[derive(Object, sqlx::FromRow)]
#[oai(rename = "CharterAccessEntry")]
pub struct AccessEntry {
    pub user_id: Option<Uuid>,
    /// Patients: `created`, `read`, `listed`, `updated`; documents: `generated`,
    /// `downloaded`.
    pub action: String,
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
}

/// Who accessed a record, when and from where, newest first.
#[derive(Object)]
#[oai(rename = "CharterAccessLog")]
pub struct AccessLog {
    pub items: Vec<AccessEntry>,
}

/// What a trip document is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename = "TripDocumentKind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// The accepted quote (a trip made from a quote).
    Quote,
    /// Legs in local and UTC time, FBOs, crew, weather.
    Itinerary,
    /// The General Declaration of each leg (ICAO Annex 9, Appendix 1).
    GeneralDeclaration,
    /// The passengers of each leg with their travel documents.
    PassengerManifest,
}

/// A generated trip document (one version of one kind).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct TripDocument {
    pub id: Uuid,
    pub trip_id: Uuid,
    pub kind: DocumentKind,
    /// 1, 2, ... per trip and kind.
    pub version: i32,
    /// SHA-256 of the PDF, hex.
    pub sha256: String,
    pub size_bytes: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Generate a document of the trip as it is now.
#[derive(Object)]
pub struct TripDocumentCreate {
    pub kind: DocumentKind,
}

/// A trip's documents, newest first.
#[derive(Object)]
pub struct TripDocumentList {
    pub items: Vec<TripDocument>,
}

text_enum!(DocumentKind);

/// What invoicing a trip made.
#[derive(Object)]
pub struct TripInvoiced {
    pub trip_id: Uuid,
    /// The draft invoice in finance (`/api/v1/finance/invoices/{id}`), for finance staff to
    /// review and issue.
    pub invoice_id: Uuid,
}
