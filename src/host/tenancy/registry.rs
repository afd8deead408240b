//! [`TenantRegistry`]: tenants by slug or id, cached in process.
//!
//! Every change to `platform.tenants` fires `pg_notify('flightline_tenants', id)` from a trigger;
//! each replica LISTENs and drops that entry, so a suspension or plan change takes effect on all
//! replicas within a second. A TTL bounds staleness if a notification is ever missed, and the
//! whole cache is dropped whenever the listener reconnects.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Tenant, TenantKind, TenantStatus};
use crate::db::{Db, SchemaName};
use crate::kernel::Catalog;

pub const CHANNEL: &str = "flightline_tenants";

struct Entry {
    tenant: Arc<Tenant>,
    loaded: Instant,
}

#[derive(Default)]
struct Cache {
    by_id: HashMap<Uuid, Entry>,
    slug_to_id: HashMap<String, Uuid>,
}

pub struct TenantRegistry {
    db: Db,
    catalog: &'static Catalog,
    ttl: Duration,
    cache: RwLock<Cache>,
    /// Bumped (under the cache's write lock) by every invalidation; a lookup notes it before
    /// reading `platform.tenants` and caches its row only if it has not moved, so a suspension
    /// notified while a lookup is in flight is never overwritten by the older row.
    epoch: std::sync::atomic::AtomicU64,
}

macro_rules! select_tenant {
    ($where:literal) => {
        concat!(
            "select id, slug, name, kind, status, plan, schema_name, schema_version, trial_ends_at, created_at, flags, forced_flags, limits, status_reason
             from platform.tenants where ",
            $where
        )
    };
}

impl TenantRegistry {
    /// `catalog` is the domains' manifests (`crate::domains::CATALOG`), handed down so that
    /// tenancy can apply flags and seed roles without importing the domains.
    pub fn new(db: Db, ttl: Duration, catalog: &'static Catalog) -> Self {
        Self {
            db,
            catalog,
            ttl,
            cache: RwLock::new(Cache::default()),
            epoch: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The domains' manifests: flags, permissions, seeded roles.
    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    pub async fn by_id(&self, id: Uuid) -> Result<Option<Arc<Tenant>>, sqlx::Error> {
        if let Some(t) = self.cached(|c| Some(id).filter(|id| c.by_id.contains_key(id))) {
            return Ok(Some(t));
        }
        let seen = self.epoch();
        let row = sqlx::query_as::<_, TenantRow>(select_tenant!("id = $1"))
            .bind(id)
            .fetch_optional(self.db.platform())
            .await?;
        Ok(self.store(seen, row.and_then(TenantRow::into_tenant)))
    }

    pub async fn by_slug(&self, slug: &str) -> Result<Option<Arc<Tenant>>, sqlx::Error> {
        if let Some(t) = self.cached(|c| c.slug_to_id.get(slug).copied()) {
            return Ok(Some(t));
        }
        let seen = self.epoch();
        let row = sqlx::query_as::<_, TenantRow>(select_tenant!("slug = $1"))
            .bind(slug)
            .fetch_optional(self.db.platform())
            .await?;
        Ok(self.store(seen, row.and_then(TenantRow::into_tenant)))
    }

    fn cached(&self, key: impl FnOnce(&Cache) -> Option<Uuid>) -> Option<Arc<Tenant>> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        let id = key(&cache)?;
        let entry = cache.by_id.get(&id)?;
        (entry.loaded.elapsed() < self.ttl).then(|| entry.tenant.clone())
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Caches `tenant` (loaded after noting epoch `seen`) unless an invalidation came since;
    /// returns it either way.
    fn store(&self, seen: u64, tenant: Option<Tenant>) -> Option<Arc<Tenant>> {
        let tenant = Arc::new(tenant?);
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if self.epoch() != seen {
            return Some(tenant);
        }
        if let Some(old) = cache.by_id.get(&tenant.id) {
            let old_slug = old.tenant.slug.clone();
            cache.slug_to_id.remove(&old_slug);
        }
        cache.slug_to_id.insert(tenant.slug.clone(), tenant.id);
        cache.by_id.insert(
            tenant.id,
            Entry {
                tenant: tenant.clone(),
                loaded: Instant::now(),
            },
        );
        Some(tenant)
    }

    /// Drops one tenant from this replica's cache.
    pub fn invalidate(&self, id: Uuid) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if let Some(entry) = cache.by_id.remove(&id) {
            cache.slug_to_id.remove(&entry.tenant.slug);
        }
    }

    pub fn invalidate_all(&self) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        cache.by_id.clear();
        cache.slug_to_id.clear();
    }

    /// Listens for tenant changes from every replica (and the CLI) until the process ends.
    pub fn spawn_listener(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match this.db.listener().await {
                    Ok(mut listener) => {
                        if let Err(e) = listener.listen(CHANNEL).await {
                            tracing::warn!(error = %e, "tenant listener: LISTEN failed");
                        } else {
                            // Anything may have changed while we were not listening.
                            this.invalidate_all();
                            backoff = Duration::from_millis(200);
                            loop {
                                match listener.recv().await {
                                    Ok(n) => match n.payload().parse::<Uuid>() {
                                        Ok(id) => this.invalidate(id),
                                        Err(_) => this.invalidate_all(),
                                    },
                                    Err(e) => {
                                        tracing::warn!(error = %e, "tenant listener lost its connection");
                                        this.invalidate_all();
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "tenant listener cannot connect"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        })
    }
}

/// A `platform.tenants` row as [`select_tenant!`] reads it.
#[derive(sqlx::FromRow)]
struct TenantRow {
    id: Uuid,
    slug: String,
    name: String,
    kind: String,
    status: String,
    plan: String,
    schema_name: String,
    schema_version: i32,
    trial_ends_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    flags: serde_json::Value,
    forced_flags: serde_json::Value,
    limits: serde_json::Value,
    status_reason: Option<String>,
}

impl TenantRow {
    /// `None` for a row whose kind, status or schema name this build does not know.
    fn into_tenant(self) -> Option<Tenant> {
        let schema = SchemaName::parse(&self.schema_name);
        let Some(schema) = schema else {
            tracing::error!("tenant row with a malformed schema name ignored");
            return None;
        };
        Some(Tenant {
            id: self.id,
            slug: self.slug,
            name: self.name,
            kind: TenantKind::parse(&self.kind)?,
            status: TenantStatus::parse(&self.status)?,
            plan: self.plan,
            schema,
            schema_version: self.schema_version,
            trial_ends_at: self.trial_ends_at,
            created_at: self.created_at,
            flags: super::flags::parse(&self.flags),
            forced_flags: super::flags::parse(&self.forced_flags),
            limits: parse_limits(&self.limits),
            status_reason: self.status_reason,
        })
    }
}

/// `{"users": 25, ...}` with integer values; anything else is ignored.
fn parse_limits(value: &serde_json::Value) -> HashMap<String, i64> {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SchemaName;

    fn tenant() -> Tenant {
        let id = Uuid::now_v7();
        Tenant {
            id,
            slug: "race-school".into(),
            name: "Race School".into(),
            kind: TenantKind::FlightSchool,
            status: TenantStatus::Active,
            plan: "trial".into(),
            schema: SchemaName::for_tenant(id),
            schema_version: 1,
            trial_ends_at: None,
            created_at: chrono::Utc::now(),
            flags: HashMap::new(),
            forced_flags: HashMap::new(),
            limits: HashMap::new(),
            status_reason: None,
        }
    }

    /// The host's tests need no domain: a catalogue of the core manifest alone.
    static CORE_ONLY: crate::kernel::manifest::Catalog = crate::kernel::manifest::Catalog {
        manifests: &[&crate::kernel::manifest::CORE],
    };

    /// A lookup read the row, a suspension's notification arrived, then the lookup stored what
    /// it read: the old row must not be served until the TTL runs out.
    #[tokio::test]
    async fn an_invalidation_during_a_lookup_is_not_lost() {
        let registry =
            TenantRegistry::new(Db::for_unit_tests(), Duration::from_secs(60), &CORE_ONLY);
        let t = tenant();
        let seen = registry.epoch();
        registry.invalidate(t.id);
        assert!(registry.store(seen, Some(t.clone())).is_some());
        assert!(
            registry.cached(|_| Some(t.id)).is_none(),
            "the row read before the change was cached"
        );
        let seen = registry.epoch();
        registry.store(seen, Some(t.clone()));
        assert!(
            registry
                .cached(|c| c.slug_to_id.get("race-school").copied())
                .is_some()
        );
        let seen = registry.epoch();
        registry.invalidate_all();
        registry.store(seen, Some(t.clone()));
        assert!(registry.cached(|_| Some(t.id)).is_none());
    }
}
