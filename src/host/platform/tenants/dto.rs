//! The tenant administration API's request and response types.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object};
use uuid::Uuid;

use crate::auth::password::Password;
use crate::tenancy::{TenantKind, TenantStatus};

/// What a tenant uses, counted in its schema when listed.
#[derive(Object, Clone, Debug, Default, serde::Serialize)]
pub struct Usage {
    /// Active users (the plan's user limit counts these).
    pub users: i64,
    /// Aircraft in the fleet, retired ones excluded (the plan's aircraft limit counts these).
    pub aircraft: i64,
    /// Stored attachments and their bytes.
    pub attachments: i64,
    pub attachment_bytes: i64,
}

/// A tenant as operators see it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct PlatformTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: TenantKind,
    pub status: TenantStatus,
    /// Why it is suspended: `operator`, `billing` or `trial_ended`.
    pub status_reason: Option<String>,
    pub plan: String,
    pub schema_version: i32,
    pub created_at: DateTime<Utc>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Active users (null while provisioning or archived).
    pub users_count: Option<i64>,
    pub usage: Option<Usage>,
    /// Limits set for this tenant over its plan's (`users`, `aircraft`).
    pub limits: HashMap<String, i64>,
    pub admin_email: Option<String>,
    pub last_migration_error: Option<String>,
}

/// A new tenant: the signup body; without `admin_password` the admin is invited by e-mail.
#[derive(Object)]
pub struct PlatformTenantCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub organization_name: String,
    #[oai(validator(min_length = 3, max_length = 40))]
    pub slug: String,
    pub kind: TenantKind,
    #[oai(validator(min_length = 3, max_length = 254))]
    pub admin_email: String,
    /// Omit to send the admin an invitation instead.
    pub admin_password: Option<Password>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub admin_name: String,
    pub plan: String,
}

/// Counted limits for one tenant; `null` removes the override (the plan's applies again).
#[derive(Object, Debug)]
pub struct LimitsPatch {
    #[oai(validator(minimum(value = "0")))]
    pub users: MaybeUndefined<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub aircraft: MaybeUndefined<i64>,
}

#[derive(Object)]
pub struct PlatformTenantUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// Flags and limits follow the plan at once.
    pub plan: Option<String>,
    pub limits: Option<LimitsPatch>,
}

#[derive(Object)]
pub struct PlatformTenantPage {
    pub items: Vec<PlatformTenant>,
    pub next_cursor: Option<String>,
}

#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct MigrationResult {
    pub tenant_id: Uuid,
    pub slug: String,
    pub from_version: i32,
    pub to_version: i32,
    /// `migrated`, `current` or `failed`.
    pub status: String,
    pub error: Option<String>,
}

#[derive(Object)]
pub struct MigrationResultPage {
    pub items: Vec<MigrationResult>,
    pub next_cursor: Option<String>,
}

/// A tenant's schema version against the latest.
#[derive(Object)]
pub struct TenantVersion {
    pub tenant_id: Uuid,
    pub slug: String,
    pub status: TenantStatus,
    pub schema_version: i32,
    pub latest_version: i32,
    /// `current`, `behind` or `failed` (the last migration attempt failed).
    pub state: String,
    pub last_migration_error: Option<String>,
}

#[derive(Object)]
pub struct TenantVersionPage {
    pub items: Vec<TenantVersion>,
    pub next_cursor: Option<String>,
}

#[derive(Object, Clone, Debug)]
pub struct PlatformAuditEntry {
    pub id: Uuid,
    pub operator_id: Option<Uuid>,
    /// `operator`, `stripe` or `system`.
    pub actor_type: String,
    pub action: String,
    pub tenant_id: Option<Uuid>,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct PlatformAuditPage {
    pub items: Vec<PlatformAuditEntry>,
    pub next_cursor: Option<String>,
}

/// The result of a restore.
#[derive(Object)]
pub struct Restored {
    pub archive_id: Uuid,
    pub tenant: PlatformTenant,
}

#[derive(ApiResponse)]
pub(super) enum TenantCreated {
    #[oai(status = 201)]
    Created(Json<PlatformTenant>),
}

#[derive(ApiResponse)]
pub(super) enum ArchiveAccepted {
    /// The tenant is archived (404 everywhere); its schema is dumped and dropped in the
    /// background.
    #[oai(status = 202)]
    Accepted,
}
