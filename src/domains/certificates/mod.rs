//! Certificates: what a person holds (pilot certificates and their ratings, medical
//! certificates, instructor endorsements and the school's aircraft checkouts) and the compliance
//! answers computed from it with the logbook (`GET /api/v1/compliance/...`).
//!
//! Validity is never typed in: a medical's duration, an endorsement's window and a currency come
//! from `crate::compliance` over the facts stored here and the logbook of the flights domain
//! (`flights::service::currency_entries`). Scheduling's dispatch rules ask through
//! [`service`]. See docs/certificates.md and docs/compliance.md.

pub mod api;
mod compliance;
pub mod dto;
mod facts;
pub mod reminders;
mod repo;
pub mod service;

use poem_openapi::Tags;

use crate::kernel::manifest::{ALL_KINDS, AttachmentOwner, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, fbo, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Pilot certificates and ratings, medical certificates, endorsements and checkouts.
    Certificates,
    /// May this person act in this role in this aircraft at this time; what lapses soon.
    Compliance,
}

pub type Apis = (
    api::PilotCertificatesApi,
    (
        api::MedicalsApi,
        (api::EndorsementsApi, compliance::ComplianceApi),
    ),
);

pub fn apis() -> Apis {
    (
        api::PilotCertificatesApi,
        (
            api::MedicalsApi,
            (api::EndorsementsApi, compliance::ComplianceApi),
        ),
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "certificates",
    prefixes: &["/api/v1/certificates", "/api/v1/compliance"],
    flags: &[Flag {
        key: "certificates",
        description: "Licences, ratings and medicals",
        prefix: "/api/v1/certificates",
        on_for: ALL_KINDS,
    }],
    permissions: &[CERTIFICATES_READ, CERTIFICATES_MANAGE, CERTIFICATES_ENDORSE],
    attachments: &[
        AttachmentOwner {
            resource_type: "pilot_certificate",
            table: "pilot_certificates",
        },
        AttachmentOwner {
            resource_type: "medical_certificate",
            table: "medical_certificates",
        },
        AttachmentOwner {
            resource_type: "endorsement",
            table: "endorsements",
        },
    ],
    feeds: &[],
    links: &[],
    jobs: &[reminders::COMPLIANCE_REMINDERS],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View licences, ratings and medicals: everyone's with `certificates.manage` or
/// `certificates.endorse`, otherwise one's own.
pub const CERTIFICATES_READ: Permission = Permission::new(
    "certificates.read",
    "View licences, ratings and medicals",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        charter::DISPATCHER,
        charter::PILOT,
        fbo::LINE_MANAGER,
    ],
);
/// Record licences, ratings and medicals.
pub const CERTIFICATES_MANAGE: Permission = Permission::new(
    "certificates.manage",
    "Record licences, ratings and medicals",
    &[school::ORGANIZATION_ADMIN, fbo::LINE_MANAGER],
);
/// Give and revoke instructor endorsements and checkouts.
pub const CERTIFICATES_ENDORSE: Permission = Permission::new(
    "certificates.endorse",
    "Give instructor endorsements and aircraft checkouts",
    &[school::ORGANIZATION_ADMIN, school::INSTRUCTOR],
);
