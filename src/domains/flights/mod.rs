//! Flights and the pilot logbook (issue 14). The logbook (`logbook/`) holds one entry per
//! person and flight with the times and counts of 14 CFR 61.51, entered by hand, generated
//! when a flight is signed, or imported; its totals and the facts the currency rules read
//! ([`service::currency_entries`]) come from it. docs/flights.md describes the model and who
//! may do what.
//!
//! Visibility: `flights.manage` sees and records everyone's logbook; a caller with only
//! `flights.read` (a student) sees and keeps only their own, and never changes a signed entry.
//!
//! This domain uses fleet (an aircraft's registration, type, category and class) through its
//! service; scheduling and certificates use this one, never the other way round.

pub mod logbook;
pub mod records;
pub mod service;

use poem_openapi::Tags;

use crate::kernel::TenantKind::{CharterOperator, FlightSchool};
use crate::kernel::manifest::{Flag, Manifest, Permission};
use crate::kernel::roles::{charter, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Flights and the pilot logbook: entries with the times of 14 CFR 61.51, totals,
    /// instructor signatures.
    Flights,
}

/// The APIs of this domain, in the order the OpenAPI document lists them.
pub type Apis = (
    records::FlightsApi,
    records::sign::FlightSigningApi,
    logbook::LogbookApi,
    logbook::totals::TotalsApi,
    logbook::csv::LogbookCsvApi,
);

pub fn apis() -> Apis {
    (
        records::FlightsApi,
        records::sign::FlightSigningApi,
        logbook::LogbookApi,
        logbook::totals::TotalsApi,
        logbook::csv::LogbookCsvApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "flights",
    prefixes: &["/api/v1/flights"],
    flags: &[Flag {
        key: "flights",
        description: "Flights and logbooks",
        prefix: "/api/v1/flights",
        on_for: &[FlightSchool, CharterOperator],
    }],
    permissions: &[FLIGHTS_READ, FLIGHTS_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View flights and logbooks.
pub const FLIGHTS_READ: Permission = Permission::new(
    "flights.read",
    "View flights and logbooks",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::TRAINER,
        charter::DISPATCHER,
        charter::PILOT,
    ],
);
/// Record and edit flights.
pub const FLIGHTS_MANAGE: Permission = Permission::new(
    "flights.manage",
    "Record and edit flights",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        charter::DISPATCHER,
        charter::PILOT,
    ],
);
