//! Charter and air-ambulance operations: rates per aircraft type and quotes priced from them
//! (block time from the airports domain, positioning from the aircraft's base, daily minimums,
//! crew overnights, FBO fees from contacts, margin and finance's taxes), with versions; quotes
//! e-mailed to the customer and accepted online, which makes a trip; trips with their legs,
//! holding their aircraft in the availability constraint shared with bookings, and released
//! after the release checks. See docs/charter.md.

mod acceptance;
mod access_log;
mod crew;
mod crew_checks;
mod crew_feed;
mod documents;
mod dto;
mod invoicing;
mod passengers;
mod patients;
pub mod pricing;
mod print;
mod quotes;
mod rates;
mod trips;

/// What the benchmark and other domains call: pricing a request in a tenant transaction.
pub mod service {
    pub use super::dto::{QuoteLegRequest, QuoteRequest};
    pub use super::quotes::price;
}

use poem_openapi::Tags;

use crate::kernel::TenantKind::CharterOperator;
use crate::kernel::manifest::{Flag, Manifest, Permission};
use crate::kernel::roles::charter;

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Charter rates per aircraft type.
    CharterRates,
    /// Charter quotes: requests priced into versions, sent to the customer, accepted online.
    CharterQuotes,
    /// Charter trips: legs, status, release.
    CharterTrips,
    /// Charter crew: crew members, their 135.267 record, crew rules, trip crews.
    CharterCrew,
}

pub type Apis = (
    rates::RatesApi,
    quotes::QuotesApi,
    acceptance::QuoteSendApi,
    trips::TripsApi,
    crew::CrewApi,
    passengers::PassengersApi,
    patients::PatientsApi,
    documents::DocumentsApi,
    crew_feed::CrewFeedApi,
);

pub fn apis() -> Apis {
    (
        rates::RatesApi,
        quotes::QuotesApi,
        acceptance::QuoteSendApi,
        trips::TripsApi,
        crew::CrewApi,
        passengers::PassengersApi,
        patients::PatientsApi,
        documents::DocumentsApi,
        crew_feed::CrewFeedApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "charter",
    prefixes: &["/api/v1/charter"],
    flags: &[Flag {
        key: "charter",
        description: "Charter quotes, trips, crew, passengers, patients",
        prefix: "/api/v1/charter",
        on_for: &[CharterOperator],
    }],
    permissions: &[
        CHARTER_READ,
        CHARTER_MANAGE,
        CHARTER_QUOTE,
        MEDICAL_READ,
        MEDICAL_MANAGE,
    ],
    attachments: &[],
    feeds: &[crew_feed::CREW_FEED],
    links: &[acceptance::QUOTE_LINK],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View charter trips, quotes, crew and passengers.
pub const CHARTER_READ: Permission = Permission::new(
    "charter.read",
    "View charter trips, quotes, crew and passengers",
    &[
        charter::DISPATCHER,
        charter::PILOT,
        charter::MEDICAL_CREW,
        charter::SALES,
        charter::FINANCE,
    ],
);
/// Manage charter trips, crew and passengers.
pub const CHARTER_MANAGE: Permission = Permission::new(
    "charter.manage",
    "Manage charter trips, crew and passengers",
    &[charter::DISPATCHER],
);
/// Prepare and send charter quotes.
pub const CHARTER_QUOTE: Permission = Permission::new(
    "charter.quote",
    "Prepare and send charter quotes",
    &[charter::SALES],
);
/// View patient records of air-ambulance trips.
pub const MEDICAL_READ: Permission = Permission::new(
    "medical.read",
    "View patient records of air-ambulance trips",
    &[charter::MEDICAL_CREW],
);
/// Record patient data of air-ambulance trips.
pub const MEDICAL_MANAGE: Permission = Permission::new(
    "medical.manage",
    "Record patient data of air-ambulance trips",
    &[charter::MEDICAL_CREW],
);
