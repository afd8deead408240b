//! Settings, feature flags and the audit log (`/api/v1/settings/*`). The audit log is written
//! by every domain through `crate::audit`; this module reads and exports it.

pub mod api;
pub mod audit;
pub mod branding;
pub mod flags;
pub mod retention;
pub mod service;
pub mod values;

use poem_openapi::Tags;

use crate::kernel::manifest::{Manifest, Permission};
use crate::kernel::roles::school;

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Settings, feature flags and the audit log.
    Settings,
}

/// The APIs of this domain, in the order the OpenAPI document lists them.
pub type Apis = (
    audit::AuditApi,
    flags::FlagsApi,
    branding::BrandingApi,
    api::SettingsApi,
);

pub fn apis() -> Apis {
    (
        audit::AuditApi,
        flags::FlagsApi,
        branding::BrandingApi,
        api::SettingsApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "settings",
    prefixes: &["/api/v1/settings"],
    flags: &[],
    permissions: &[SETTINGS_READ, SETTINGS_MANAGE, AUDIT_READ],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[retention::AUDIT_RETENTION],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// Read tenant settings and feature flags.
pub const SETTINGS_READ: Permission = Permission::new(
    "settings.read",
    "Read tenant settings and feature flags",
    &[school::ORGANIZATION_ADMIN],
);
/// Change tenant settings and feature flags.
pub const SETTINGS_MANAGE: Permission = Permission::new(
    "settings.manage",
    "Change tenant settings and feature flags",
    &[],
);
/// Read and export the audit log.
pub const AUDIT_READ: Permission = Permission::new(
    "audit.read",
    "Read and export the audit log",
    &[school::ORGANIZATION_ADMIN],
);
