//! Feature flags: declared by the domains' manifests (key, route prefix, default per tenant
//! kind; `crate::kernel::manifest::Flag`). A tenant admin may switch one (`flags`), a platform
//! operator may force it (`forced_flags`, a plan limit). Both live on `platform.tenants`, so the
//! registry cache carries them and a change reaches every replica through the same NOTIFY as any
//! tenant change.
//!
//! One mechanism enforces them: `Catalog::flag_for_path` maps a request path to its flag and
//! the tenant resolver answers `404 feature-disabled` for a disabled one; no handler checks flags.

use std::collections::HashMap;

use serde_json::Value;

use super::Tenant;
use crate::db::TenantTx;
use crate::kernel::Catalog;

/// Where a flag's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    Tenant,
    Platform,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Tenant => "tenant",
            Self::Platform => "platform",
        }
    }
}

/// The effective value of `key` for `tenant`, and where it comes from: a value a platform
/// operator forced, then the tenant's plan leaving the module out (a plan limit, shown as
/// `platform`), then the tenant's own choice, then the default.
pub fn effective(catalog: &Catalog, tenant: &Tenant, key: &str) -> (bool, Source) {
    if let Some(v) = tenant.forced_flags.get(key) {
        return (*v, Source::Platform);
    }
    if crate::kernel::plans::excludes(&tenant.plan, key) {
        return (false, Source::Platform);
    }
    if let Some(v) = tenant.flags.get(key) {
        return (*v, Source::Tenant);
    }
    (
        catalog.flag_default(key, tenant.kind, &tenant.plan),
        Source::Default,
    )
}

/// Parses a `{key: bool}` JSON object, ignoring anything else.
pub fn parse(value: &Value) -> HashMap<String, bool> {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_bool().map(|b| (k.clone(), b)))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets (or with `None` clears) the tenant's own value of `key`, in the caller's transaction
/// (so it commits with the audit row); the NOTIFY trigger tells every replica.
pub async fn set_tenant_flag(
    tx: &mut TenantTx,
    key: &str,
    enabled: Option<bool>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    match enabled {
        Some(v) => sqlx::query("update platform.tenants set flags = flags || jsonb_build_object($2::text, $3::boolean) where id = $1")
            .bind(tenant)
            .bind(key)
            .bind(v)
            .execute(&mut **tx)
            .await
            .map(|_| ()),
        None => sqlx::query("update platform.tenants set flags = flags - $2::text where id = $1")
            .bind(tenant)
            .bind(key)
            .execute(&mut **tx)
            .await
            .map(|_| ()),
    }
}
