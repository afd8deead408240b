//! Maintenance: inspection programmes with their due computation (`due.rs`, pure), squawks,
//! MEL deferrals, the maintenance log with mechanic sign-off, and airworthiness
//! (`airworthiness.rs`), the one place that decides whether an aircraft may fly.

pub mod airworthiness;
pub mod dto;
pub mod due;
pub mod inspections;
pub mod logs;
pub mod mel;
pub mod service;
pub mod squawks;

use poem_openapi::Tags;

use crate::kernel::TenantKind::{CharterOperator, FlightSchool};
use crate::kernel::manifest::{AttachmentOwner, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Inspection programmes and what is due, squawks, MEL deferrals, the maintenance log.
    Maintenance,
}

/// The APIs of this domain, in the order the OpenAPI document lists them.
pub type Apis = (
    inspections::InspectionsApi,
    squawks::SquawksApi,
    mel::MelApi,
    logs::LogsApi,
);

pub fn apis() -> Apis {
    (
        inspections::InspectionsApi,
        squawks::SquawksApi,
        mel::MelApi,
        logs::LogsApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "maintenance",
    prefixes: &["/api/v1/maintenance"],
    flags: &[Flag {
        key: "maintenance",
        description: "Inspections, squawks, MEL, maintenance logs",
        prefix: "/api/v1/maintenance",
        on_for: &[FlightSchool, CharterOperator],
    }],
    permissions: &[MAINTENANCE_READ, MAINTENANCE_MANAGE, MAINTENANCE_SIGN_OFF],
    attachments: &[
        AttachmentOwner {
            resource_type: "squawk",
            table: "squawks",
        },
        AttachmentOwner {
            resource_type: "maintenance_log",
            table: "maintenance_logs",
        },
    ],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View inspections, squawks, MEL deferrals and logs.
pub const MAINTENANCE_READ: Permission = Permission::new(
    "maintenance.read",
    "View inspections, squawks, MEL deferrals and logs",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::MECHANIC,
        charter::DISPATCHER,
        charter::PILOT,
    ],
);
/// Record inspections, squawks and MEL deferrals.
pub const MAINTENANCE_MANAGE: Permission = Permission::new(
    "maintenance.manage",
    "Record inspections, squawks and MEL deferrals",
    &[school::MECHANIC],
);
/// Sign off maintenance work as a mechanic.
pub const MAINTENANCE_SIGN_OFF: Permission = Permission::new(
    "maintenance.sign_off",
    "Sign off maintenance work as a mechanic",
    &[school::MECHANIC],
);
