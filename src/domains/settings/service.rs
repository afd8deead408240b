//! The settings domain's interface to other domains: typed reads of the tenant's settings.
//! Other domains import only this module.

pub use super::branding::logo;
pub use super::values::{read, timezone};
