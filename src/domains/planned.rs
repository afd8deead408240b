//! Domains the product is specified with but that are not built yet: their feature flags and
//! permissions exist already (tenants switch the flags, roles hold the permissions), so they are
//! declared here. When a domain is built, its manifest and constants move into its own folder
//! (`scripts/new-domain`), unchanged, and its entry here is deleted.

use crate::kernel::manifest::{ALL_KINDS, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, fbo, school};

pub const DOCUMENTS: Manifest = Manifest {
    name: "documents",
    prefixes: &["/api/v1/documents"],
    flags: &[Flag {
        key: "documents",
        description: "Documents",
        prefix: "/api/v1/documents",
        on_for: ALL_KINDS,
    }],
    permissions: &[DOCUMENTS_READ, DOCUMENTS_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View documents.
pub const DOCUMENTS_READ: Permission = Permission::new(
    "documents.read",
    "View documents",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::PILOT,
        charter::MEDICAL_CREW,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
    ],
);
/// Upload and manage documents.
pub const DOCUMENTS_MANAGE: Permission = Permission::new(
    "documents.manage",
    "Upload and manage documents",
    &[school::ORGANIZATION_ADMIN],
);

pub const REPORTS: Manifest = Manifest {
    name: "reports",
    prefixes: &["/api/v1/reports"],
    flags: &[Flag {
        key: "reports",
        description: "Reports",
        prefix: "/api/v1/reports",
        on_for: ALL_KINDS,
    }],
    permissions: &[REPORTS_READ],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// Run reports.
pub const REPORTS_READ: Permission = Permission::new(
    "reports.read",
    "Run reports",
    &[
        school::ORGANIZATION_ADMIN,
        charter::FINANCE,
        fbo::LINE_MANAGER,
    ],
);

pub const NOTIFICATIONS: Manifest = Manifest {
    name: "notifications",
    prefixes: &["/api/v1/notifications"],
    flags: &[Flag {
        key: "notifications",
        description: "Notification rules and templates",
        prefix: "/api/v1/notifications",
        on_for: ALL_KINDS,
    }],
    permissions: &[NOTIFICATIONS_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// Manage notification templates and rules.
pub const NOTIFICATIONS_MANAGE: Permission = Permission::new(
    "notifications.manage",
    "Manage notification templates and rules",
    &[],
);
