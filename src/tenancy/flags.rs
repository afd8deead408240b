//! Feature flags: one per operational domain and tools module. Each has a default per tenant
//! kind and plan; a tenant admin may switch it (`flags`), a platform operator may force it
//! (`forced_flags`, a plan limit). Both live on `platform.tenants`, so the registry cache carries
//! them and a change reaches every replica through the same NOTIFY as any tenant change.
//!
//! One mechanism enforces them: [`flag_for_path`] maps a request path to its flag and the
//! tenant resolver answers `404 feature-disabled` for a disabled one; no handler checks flags.

use std::collections::HashMap;

use serde_json::Value;

use super::{Tenant, TenantKind};
use crate::db::TenantTx;

/// (key, description, path prefix).
pub const FLAGS: &[(&str, &str, &str)] = &[
    ("tools.notes", "Notes", "/api/v1/tools/notes"),
    ("tools.tasks", "Tasks", "/api/v1/tools/tasks"),
    ("tools.calls", "Call logs", "/api/v1/tools/calls"),
    (
        "tools.attachments",
        "Attachments",
        "/api/v1/tools/attachments",
    ),
    ("tools.events", "Calendar events", "/api/v1/tools/events"),
    ("tools.reviews", "Customer reviews", "/api/v1/tools/reviews"),
    ("fleet", "Aircraft, simulators and meters", "/api/v1/fleet"),
    (
        "maintenance",
        "Inspections, squawks, MEL, maintenance logs",
        "/api/v1/maintenance",
    ),
    (
        "scheduling",
        "Bookings, availability and dispatch",
        "/api/v1/scheduling",
    ),
    ("flights", "Flights and logbooks", "/api/v1/flights"),
    (
        "training",
        "Courses, lessons, enrolment and progress",
        "/api/v1/training",
    ),
    ("theory", "Theory courses and exams", "/api/v1/theory"),
    (
        "certificates",
        "Licences, ratings and medicals",
        "/api/v1/certificates",
    ),
    (
        "finance",
        "Accounts, invoices and payments",
        "/api/v1/finance",
    ),
    ("documents", "Documents", "/api/v1/documents"),
    ("reports", "Reports", "/api/v1/reports"),
    (
        "notifications",
        "Notification rules and templates",
        "/api/v1/notifications",
    ),
    (
        "charter",
        "Charter quotes, trips, crew, passengers, patients",
        "/api/v1/charter",
    ),
    (
        "fbo",
        "FBO fuel, equipment, line service and parking",
        "/api/v1/fbo",
    ),
];

pub fn is_known(key: &str) -> bool {
    FLAGS.iter().any(|(k, _, _)| *k == key)
}

/// The flag guarding `path`, if any (the longest matching prefix, at a segment boundary).
pub fn flag_for_path(path: &str) -> Option<&'static str> {
    FLAGS
        .iter()
        .filter(|(_, _, prefix)| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .max_by_key(|(_, _, prefix)| prefix.len())
        .map(|(k, _, _)| *k)
}

/// The default of `key` for a tenant of `kind` on `plan`.
pub fn default_for(key: &str, kind: TenantKind, plan: &str) -> bool {
    use TenantKind::*;
    let by_kind = match key {
        "charter" => kind == CharterOperator,
        "fbo" => kind == Fbo,
        "fleet" | "maintenance" | "scheduling" | "flights" => kind != Fbo,
        "theory" => kind == FlightSchool,
        _ => true,
    };
    by_kind && !crate::platform::plans::excludes(plan, key)
}

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
pub fn effective(tenant: &Tenant, key: &str) -> (bool, Source) {
    if let Some(v) = tenant.forced_flags.get(key) {
        return (*v, Source::Platform);
    }
    if crate::platform::plans::excludes(&tenant.plan, key) {
        return (false, Source::Platform);
    }
    if let Some(v) = tenant.flags.get(key) {
        return (*v, Source::Tenant);
    }
    (default_for(key, tenant.kind, &tenant.plan), Source::Default)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_flags() {
        assert_eq!(flag_for_path("/api/v1/tools/notes"), Some("tools.notes"));
        assert_eq!(
            flag_for_path("/api/v1/tools/notes/abc"),
            Some("tools.notes")
        );
        assert_eq!(flag_for_path("/api/v1/tools/notesx"), None);
        assert_eq!(flag_for_path("/api/v1/fleet/aircraft"), Some("fleet"));
        assert_eq!(flag_for_path("/api/v1/users"), None);
        assert_eq!(flag_for_path("/api/v1/settings/feature-flags"), None);
    }

    #[test]
    fn defaults_follow_kind_and_plan() {
        assert!(!default_for("charter", TenantKind::FlightSchool, "trial"));
        assert!(default_for("charter", TenantKind::CharterOperator, "trial"));
        assert!(!default_for("theory", TenantKind::CharterOperator, "trial"));
        assert!(!default_for("fleet", TenantKind::Fbo, "trial"));
        assert!(!default_for("reports", TenantKind::FlightSchool, "starter"));
        assert!(default_for("tools.notes", TenantKind::Fbo, "starter"));
    }
}
