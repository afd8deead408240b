//! FBO operations: the parking locations and terminal gates of each airport the FBO serves,
//! visiting flights (expected → arrived → serviced → departed, or cancelled) with the services
//! they ask for and tags, the spot each holds (never two aircraft on one spot at once: a
//! database constraint), the arrivals and departures board of a day, and the fuel farm (tanks
//! and trucks, readings, deliveries, dispensing, transfers, quality checks, computed inventory
//! and variance). See docs/fbo.md. Fuel dispatch, fuelers' training, ground equipment and line
//! service are the next parts of issue 19.

mod dto;
mod flights;
mod fuel;
mod parking;

use poem_openapi::Tags;

use crate::kernel::TenantKind::Fbo;
use crate::kernel::manifest::{Flag, Manifest, Permission};
use crate::kernel::roles::fbo;

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Visiting flights, their parking and the arrivals and departures board.
    FboFlights,
    /// Parking locations and terminal gates per airport.
    FboParking,
    /// The fuel farm: tanks and trucks, their inventory, deliveries, readings, quality checks.
    FboFuel,
}

pub type Apis = (parking::ParkingApi, flights::FlightsApi, fuel::FuelApi);

pub fn apis() -> Apis {
    (parking::ParkingApi, flights::FlightsApi, fuel::FuelApi)
}

pub const MANIFEST: Manifest = Manifest {
    name: "fbo",
    prefixes: &["/api/v1/fbo"],
    flags: &[Flag {
        key: "fbo",
        description: "FBO fuel, equipment, line service and parking",
        prefix: "/api/v1/fbo",
        on_for: &[Fbo],
    }],
    permissions: &[FBO_READ, FBO_FUEL, FBO_MANAGE, FBO_FLIGHTS],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View FBO operations: fuel, parking, line service.
pub const FBO_READ: Permission = Permission::new(
    "fbo.read",
    "View FBO operations: fuel, parking, line service",
    &[fbo::LINE_MANAGER, fbo::FUELER, fbo::FRONT_DESK],
);
/// Dispatch fuel and record tank readings.
pub const FBO_FUEL: Permission = Permission::new(
    "fbo.fuel",
    "Dispatch fuel and record tank readings",
    &[fbo::LINE_MANAGER, fbo::FUELER],
);
/// Manage FBO equipment, prices and line service.
pub const FBO_MANAGE: Permission = Permission::new(
    "fbo.manage",
    "Manage FBO equipment, prices and line service",
    &[fbo::LINE_MANAGER],
);
/// Record visiting flights, their status and their parking.
pub const FBO_FLIGHTS: Permission = Permission::new(
    "fbo.flights",
    "Record visiting flights, their status and their parking",
    &[fbo::LINE_MANAGER, fbo::FRONT_DESK],
);
