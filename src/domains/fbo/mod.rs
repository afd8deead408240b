//! FBO operations: the parking locations and terminal gates of each airport the FBO serves,
//! visiting flights (expected → arrived → serviced → departed, or cancelled) with the services
//! they ask for and tags, the spot each holds (never two aircraft on one spot at once: a
//! database constraint), the arrivals and departures board of a day, and the fuel farm (tanks
//! and trucks, readings, deliveries, dispensing, transfers, quality checks, computed inventory
//! and variance), fuel dispatch (orders, `assign_fueler` checked against the fueler's training
//! by the compliance engine, `update_progress`, completion dispensing from the truck and billing
//! the customer) with its live feed over Server-Sent Events, and the line staff's training. See
//! docs/fbo.md. And ground equipment with its maintenance due, and the line schedule.

mod dto;
mod equipment;
mod flights;
mod fuel;
mod line;
mod orders;
mod parking;
mod training;

use poem_openapi::Tags;

use crate::kernel::TenantKind::Fbo;
use crate::kernel::manifest::{Flag, Manifest, Permission, TenantJob};
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
    /// Fuel dispatch: fuel orders for visiting flights, their fueler and progress, and the
    /// live feed of the board (Server-Sent Events).
    FboFuelOrders,
    /// Line staff: their training records, who may fuel, and the FBO's rules.
    FboLineStaff,
    /// Ground equipment and the line schedule (tows, ground power, lavatory, water, hangar
    /// moves).
    FboLine,
}

pub type Apis = (
    parking::ParkingApi,
    flights::FlightsApi,
    fuel::FuelApi,
    orders::OrdersApi,
    training::TrainingApi,
    equipment::EquipmentApi,
    line::LineApi,
);

pub fn apis() -> Apis {
    (
        parking::ParkingApi,
        flights::FlightsApi,
        fuel::FuelApi,
        orders::OrdersApi,
        training::TrainingApi,
        equipment::EquipmentApi,
        line::LineApi,
    )
}

/// Forgets the live feed's events older than a day (a client that reconnects later reloads
/// the board), a bounded batch per pass.
pub const EVENT_RETENTION: TenantJob = TenantJob {
    name: "fbo_event_retention",
    every_seconds: 3600,
    run: prune_events,
};

fn prune_events(
    conn: &mut sqlx::PgConnection,
    _tenant: uuid::Uuid,
) -> futures_util::future::BoxFuture<'_, Result<u64, sqlx::Error>> {
    Box::pin(async move {
        Ok(sqlx::query(
            "delete from fbo_events where id in (select id from fbo_events
                where at < now() - make_interval(hours => $1) order by id limit 10000)",
        )
        .bind(orders::EVENT_RETENTION_HOURS)
        .execute(conn)
        .await?
        .rows_affected())
    })
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
    jobs: &[EVENT_RETENTION],
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
