//! Fleet: aircraft (with their airworthiness, computed by the maintenance domain), aircraft
//! types, simulators, and the meter readings history with audited corrections.

pub mod api;
mod checks;
pub mod dto;
pub mod meters;
mod repo;
pub mod service;
pub mod simulators;
pub mod types;

use poem_openapi::Tags;

use crate::kernel::TenantKind::{CharterOperator, FlightSchool};
use crate::kernel::manifest::{AttachmentOwner, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Aircraft (with airworthiness), aircraft types, simulators, meter readings.
    Fleet,
}

/// The APIs of this domain, in the order the OpenAPI document lists them.
pub type Apis = (
    api::AircraftApi,
    meters::MetersApi,
    types::AircraftTypesApi,
    simulators::SimulatorsApi,
);

pub fn apis() -> Apis {
    (
        api::AircraftApi,
        meters::MetersApi,
        types::AircraftTypesApi,
        simulators::SimulatorsApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "fleet",
    prefixes: &["/api/v1/fleet"],
    flags: &[Flag {
        key: "fleet",
        description: "Aircraft, simulators and meters",
        prefix: "/api/v1/fleet",
        on_for: &[FlightSchool, CharterOperator],
    }],
    permissions: &[FLEET_READ, FLEET_MANAGE],
    attachments: &[AttachmentOwner {
        resource_type: "aircraft",
        table: "aircraft",
    }],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[api::AIRCRAFT_LIMIT],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View aircraft, simulators and meters.
pub const FLEET_READ: Permission = Permission::new(
    "fleet.read",
    "View aircraft, simulators and meters",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
        school::MECHANIC,
        charter::DISPATCHER,
        charter::PILOT,
        charter::SALES,
    ],
);
/// Add and edit aircraft, simulators and meter corrections.
pub const FLEET_MANAGE: Permission = Permission::new(
    "fleet.manage",
    "Add and edit aircraft, simulators and meter corrections",
    &[school::ORGANIZATION_ADMIN, school::MECHANIC],
);
