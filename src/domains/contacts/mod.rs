//! Contacts: the organisation's customers, vendors, FBOs, ground handlers, caterers, ambulance
//! services and hospitals (people and organisations, a customer linked to its finance account),
//! what an FBO or handler offers (services, hours, fuel prices, fees), and each contact's
//! communication history. Charter quotes price landing and handling from FBO fees. See
//! docs/contacts.md.

mod api;
mod communications;
pub mod dto;
mod profiles;
pub mod service;

use poem_openapi::Tags;

use crate::kernel::manifest::{ALL_KINDS, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, fbo, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Customers, vendors, FBOs, handlers, caterers, ambulance services and hospitals; FBO
    /// services, fuel prices and fees; communication history.
    Contacts,
}

pub type Apis = (
    api::ContactsApi,
    profiles::FboApi,
    communications::CommunicationsApi,
);

pub fn apis() -> Apis {
    (
        api::ContactsApi,
        profiles::FboApi,
        communications::CommunicationsApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "contacts",
    prefixes: &["/api/v1/contacts"],
    flags: &[Flag {
        key: "contacts",
        description: "Contacts: customers, vendors, FBOs and handlers, communication history",
        prefix: "/api/v1/contacts",
        on_for: ALL_KINDS,
    }],
    permissions: &[CONTACTS_READ, CONTACTS_LOG, CONTACTS_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View contacts, FBO profiles and communication history.
pub const CONTACTS_READ: Permission = Permission::new(
    "contacts.read",
    "View contacts, FBO profiles and communication history",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::DISPATCHER,
        charter::PILOT,
        charter::MEDICAL_CREW,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
        fbo::FRONT_DESK,
    ],
);
/// Log calls, e-mails, meetings and notes with contacts.
pub const CONTACTS_LOG: Permission = Permission::new(
    "contacts.log",
    "Log calls, e-mails, meetings and notes with contacts",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::DISPATCHER,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
        fbo::FRONT_DESK,
    ],
);
/// Create, edit and delete contacts and FBO profiles.
pub const CONTACTS_MANAGE: Permission = Permission::new(
    "contacts.manage",
    "Create, edit and delete contacts and FBO profiles",
    &[
        school::ORGANIZATION_ADMIN,
        charter::DISPATCHER,
        charter::SALES,
        fbo::LINE_MANAGER,
        fbo::FRONT_DESK,
    ],
);
