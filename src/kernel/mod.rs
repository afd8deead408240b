//! The kernel: what every domain may use, and that imports nothing above it (nothing from
//! `api`, `state`, `tenancy`, `auth`, `platform`, `billing` or any domain). Keeping it at the
//! bottom of the import graph is what lets a domain be a self-contained plug-in: a domain
//! declares itself with a [`Manifest`] built from these types, and the layers above build the
//! OpenAPI service, the flag registry, the permission catalogue and the seeded roles from
//! `crate::domains::ALL`.

pub mod email;
pub mod ical;
pub mod ids;
pub mod kind;
pub mod manifest;
pub mod net;
pub mod page;
pub mod pdf;
pub mod plans;
pub mod registration;
pub mod roles;
pub mod tags;
pub mod units;

pub use ids::{AircraftId, BookingId, UserId};
pub use kind::TenantKind;
pub use manifest::{Catalog, FeedKind, Flag, Manifest, Permission, SeedRole};
pub use roles::Role;
