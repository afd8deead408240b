//! Tenants: the registry (cached), resolution of the tenant of a request, provisioning, the
//! warm pool of ready schemas, and the sync of the catalogue's roles into existing tenants.

pub mod catalog_sync;
pub mod flags;
pub mod limits;
mod provision;
mod registry;
mod resolve;
mod warm;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::Enum;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{Db, SchemaName};

pub use catalog_sync::migrate_tenants;
pub use provision::{FailPoint, NewTenant, ProvisionError, Provisioned, finish_stuck, provision};
pub use registry::TenantRegistry;
pub use resolve::{TenantResolver, is_tenant_scoped};
pub use warm::{WarmPool, drop_stale_warm_schemas};

/// Labels that are never tenant slugs (API.md §2).
pub const RESERVED_LABELS: &[&str] = &[
    "app", "www", "api", "admin", "platform", "public", "docs", "status", "mail", "static",
];

/// `^[a-z][a-z0-9-]{2,39}$` and not reserved.
pub fn is_valid_slug(slug: &str) -> bool {
    let b = slug.as_bytes();
    (3..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !RESERVED_LABELS.contains(&slug)
}

/// The tenant transaction, the one way domains reach tenant tables (DESIGN §3).
pub use crate::db::{TenantRead, TenantTx};
pub use crate::kernel::TenantKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum TenantStatus {
    Provisioning,
    Active,
    PastDue,
    Suspended,
    Archived,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Suspended => "suspended",
            Self::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "provisioning" => Some(Self::Provisioning),
            "active" => Some(Self::Active),
            "past_due" => Some(Self::PastDue),
            "suspended" => Some(Self::Suspended),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }
}

/// A tenant as the registry knows it.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: TenantKind,
    pub status: TenantStatus,
    pub plan: String,
    pub schema: SchemaName,
    pub schema_version: i32,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Feature flags the tenant's admins switched (`flags::effective` combines them).
    pub flags: std::collections::HashMap<String, bool>,
    /// Feature flags a platform operator forced.
    pub forced_flags: std::collections::HashMap<String, bool>,
    /// Counted limits a platform operator set over the plan's (`limits::limit_for`).
    pub limits: std::collections::HashMap<String, i64>,
    /// Why the tenant is suspended: `operator`, `billing` or `trial_ended`.
    pub status_reason: Option<String>,
}

impl Tenant {
    /// Opens a transaction in this tenant's schema.
    pub async fn begin(&self, db: &Db) -> Result<TenantTx, sqlx::Error> {
        TenantTx::begin(db, self.id, &self.schema).await
    }

    /// A one-statement read in this tenant's schema (one round trip).
    pub fn read<'a>(&'a self, db: &'a Db) -> TenantRead<'a> {
        TenantRead::new(db, self.id, &self.schema)
    }
}

/// Opens transactions in one tenant and nothing else: what a domain may keep beyond the
/// request's own transaction (a streamed export reads in batches), without reaching the pool.
#[derive(Clone)]
pub struct TenantScope {
    db: Db,
    tenant: Arc<Tenant>,
}

impl TenantScope {
    pub fn new(db: Db, tenant: Arc<Tenant>) -> Self {
        Self { db, tenant }
    }

    pub async fn begin(&self) -> Result<TenantTx, sqlx::Error> {
        self.tenant.begin(&self.db).await
    }
}

/// The tenant a request resolved to, placed in the request's extensions by [`TenantResolver`].
#[derive(Debug, Clone)]
pub struct CurrentTenant(pub Arc<Tenant>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in [
            "abc",
            "alpine-flight",
            "a12",
            &format!("a{}", "b".repeat(39)),
        ] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in [
            "ab",
            "1abc",
            "Abc",
            "ab_c",
            "api",
            "www",
            "platform",
            "",
            "a b c",
            "ünï",
            &format!("a{}", "b".repeat(40)),
            "'; drop schema public;--",
            "pg_catalog",
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }
}
