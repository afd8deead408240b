//! Settings, feature flags and the audit log (`/api/v1/settings/*`). The audit log is written
//! by every domain through `crate::audit`; this module reads and exports it.

pub mod api;
pub mod audit;
pub mod flags;
pub mod values;
