//! `GET /api/v1/settings/audit-logs` and `GET /api/v1/settings/audit-logs/export`.

mod api;
mod dto;
mod export;
mod repo;

pub use api::AuditApi;
pub use dto::{ActorType, AuditEntry, AuditPage, ExportFormat};

// The domain's tag and permission, so that the handlers still name them `super::...`.
use super::{AUDIT_READ, Tag};
