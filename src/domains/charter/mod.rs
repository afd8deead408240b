//! Charter and air-ambulance operations: rates per aircraft type and quotes priced from them
//! (block time from the airports domain, positioning from the aircraft's base, daily minimums,
//! crew overnights, FBO fees from contacts, margin and finance's taxes), with versions. See
//! docs/charter.md.

mod dto;
pub mod pricing;
mod quotes;
mod rates;

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
    /// Charter quotes: requests priced into versions.
    CharterQuotes,
}

pub type Apis = (rates::RatesApi, quotes::QuotesApi);

pub fn apis() -> Apis {
    (rates::RatesApi, quotes::QuotesApi)
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
    feeds: &[],
    links: &[],
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
