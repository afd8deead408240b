//! `/api/v1/maintenance/inspections` and `/api/v1/maintenance/due`: the inspection programme
//! of each aircraft, what is due from the last completion and the current meters, and the
//! completion (a signed maintenance log entry) that starts the next interval.

mod api;
mod complete;
mod repo;

pub use api::InspectionsApi;

// The domain's tag and permissions, so that the handlers still name them `super::...`.
use super::{MAINTENANCE_MANAGE, MAINTENANCE_READ, MAINTENANCE_SIGN_OFF, Tag};
