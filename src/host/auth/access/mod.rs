//! [`AccessCache`]: what a session or API key may do, cached in process so a request's
//! authentication costs a JWT check and a hash-map lookup (O(1)), not a database round trip.
//!
//! Entries are loaded from the tenant schema on a miss and dropped when anything that affects
//! them changes: a session revoked (logout, refresh-token reuse, password change), a user
//! deactivated or deleted, roles or role assignments changed, an API key revoked. The change is
//! committed together with `pg_notify('flightline_access', ...)`; every replica LISTENs and drops
//! the affected entries within milliseconds; the replica that made the change drops them at once.
//! A TTL bounds staleness if a notification were ever lost, and while a replica's listener is
//! not connected (PostgreSQL or Redis gone) it caches nothing at all: every request reads the
//! database, so a revocation made on another replica in the meantime is never missed.
//!
//! The cache itself is here; loading on a miss is in `load`, the notification in `invalidation`,
//! the listeners in `listen`, the Redis connection in `redis`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::db::Db;

mod invalidation;
mod listen;
mod load;
mod redis;

pub use invalidation::{CHANNEL, Invalidation, REDIS_CHANNEL, notify};
pub use redis::Redis;

/// The effective rights of one credential.
#[derive(Debug, Clone)]
pub struct Access {
    pub user_id: Uuid,
    pub email: String,
    pub permissions: Arc<HashSet<String>>,
}

#[derive(Clone)]
enum Cached {
    Session(Access),
    ApiKey {
        secret_hash: Vec<u8>,
        key_id: Uuid,
        access: Access,
    },
    Denied,
}

struct Entry {
    value: Cached,
    loaded: Instant,
}

/// Key of a cache entry: (tenant, session id or API key prefix).
type Key = (Uuid, String);

pub struct AccessCache {
    db: Db,
    /// When configured, invalidations also travel over Redis pub/sub, and replicas listen there
    /// instead of on PostgreSQL (for deployments where a LISTEN connection is not available).
    redis: Option<Redis>,
    ttl: Duration,
    entries: RwLock<HashMap<Key, Entry>>,
    /// Bumped (under the `entries` write lock) by every invalidation. A loader notes it before
    /// reading the database and stores its result only if it has not moved: an invalidation
    /// that arrives while an entry is being loaded is never lost to a late store of old data.
    epoch: std::sync::atomic::AtomicU64,
    /// Whether this replica's listener hears invalidations now; the cache serves and stores
    /// entries only then.
    listening: std::sync::atomic::AtomicBool,
    /// When each API key's `last_used_at` was last written (at most once a minute per key).
    touched: RwLock<HashMap<Uuid, Instant>>,
}

impl AccessCache {
    pub fn new(db: Db, ttl: Duration, redis: Option<Redis>) -> Self {
        Self {
            db,
            redis,
            ttl,
            entries: RwLock::new(HashMap::new()),
            epoch: std::sync::atomic::AtomicU64::new(0),
            listening: std::sync::atomic::AtomicBool::new(false),
            touched: RwLock::new(HashMap::new()),
        }
    }

    fn get(&self, key: &Key) -> Option<Cached> {
        if !self.listening() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let e = entries.get(key)?;
        (e.loaded.elapsed() < self.ttl).then(|| e.value.clone())
    }

    /// The invalidation epoch, to note before loading an entry.
    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Stores `value` unless an invalidation happened since `seen` (then the next request
    /// loads afresh).
    fn put(&self, seen: u64, key: Key, value: Cached) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.epoch() != seen || !self.listening() {
            return;
        }
        // Bounded: a full sweep of expired entries when the map grows large.
        if entries.len() > 100_000 {
            let ttl = self.ttl;
            entries.retain(|_, e| e.loaded.elapsed() < ttl);
        }
        entries.insert(
            key,
            Entry {
                value,
                loaded: Instant::now(),
            },
        );
    }

    /// Drops the affected entries here and tells the other replicas over Redis when configured
    /// (over PostgreSQL they heard it from the committed `notify`).
    pub fn invalidate(&self, what: Invalidation) {
        self.invalidate_local(what);
        if let Some(redis) = &self.redis {
            let pool = redis.pool.clone();
            tokio::spawn(async move {
                let sent = async {
                    let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    deadpool_redis::redis::cmd("PUBLISH")
                        .arg(REDIS_CHANNEL)
                        .arg(what.payload())
                        .query_async::<i64>(&mut conn)
                        .await
                        .map_err(anyhow::Error::from)
                }
                .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "could not publish an access invalidation to Redis");
                }
            });
        }
    }

    fn invalidate_local(&self, what: Invalidation) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        match what {
            Invalidation::Tenant(t) => entries.retain(|(tenant, _), _| *tenant != t),
            Invalidation::Session(t, s) => {
                entries.remove(&(t, s.to_string()));
            }
        }
    }

    /// Whether this replica's listener hears invalidations now (and the cache is in use).
    pub fn listening(&self) -> bool {
        self.listening.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The listener connected (`true`: entries may be cached from now on) or lost its
    /// connection (`false`: nothing is served from the cache until it is back). Either way
    /// everything cached so far goes, and a load begun before is not stored.
    fn set_listening(&self, on: bool) {
        self.listening
            .store(on, std::sync::atomic::Ordering::Release);
        self.clear();
    }

    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::load::same;
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let (t, s) = (Uuid::new_v4(), Uuid::new_v4());
        for what in [Invalidation::Tenant(t), Invalidation::Session(t, s)] {
            assert_eq!(Invalidation::parse(&what.payload()), Some(what));
        }
        assert_eq!(Invalidation::parse("junk"), None);
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"ab", b"abc"));
    }

    /// A load that began before an invalidation must not store its (older) result after it.
    #[tokio::test]
    async fn an_invalidation_during_a_load_is_not_lost() {
        let cache = AccessCache::new(Db::for_unit_tests(), Duration::from_secs(60), None);
        cache.set_listening(true);
        let tenant = Uuid::new_v4();
        let key: Key = (tenant, "session".into());
        let seen = cache.epoch();
        // ... the session is revoked and its notification arrives while the load reads ...
        cache.invalidate_local(Invalidation::Session(tenant, Uuid::new_v4()));
        cache.put(seen, key.clone(), Cached::Denied);
        assert!(cache.get(&key).is_none(), "a stale entry was cached");
        // A load no invalidation overlapped is cached.
        let seen = cache.epoch();
        cache.put(seen, key.clone(), Cached::Denied);
        assert!(cache.get(&key).is_some());
        let seen = cache.epoch();
        cache.clear();
        cache.put(seen, key.clone(), Cached::Denied);
        assert!(cache.get(&key).is_none());
    }

    /// While the listener is deaf nothing is cached or served from the cache, and what was
    /// cached before is gone.
    #[tokio::test]
    async fn nothing_is_cached_while_the_listener_is_disconnected() {
        let cache = AccessCache::new(Db::for_unit_tests(), Duration::from_secs(60), None);
        let key: Key = (Uuid::new_v4(), "session".into());
        cache.put(cache.epoch(), key.clone(), Cached::Denied);
        assert!(
            cache.get(&key).is_none(),
            "cached before the listener connected"
        );
        cache.set_listening(true);
        cache.put(cache.epoch(), key.clone(), Cached::Denied);
        assert!(cache.get(&key).is_some());
        cache.set_listening(false);
        assert!(
            cache.get(&key).is_none(),
            "served while the listener is deaf"
        );
        cache.put(cache.epoch(), key.clone(), Cached::Denied);
        cache.set_listening(true);
        assert!(cache.get(&key).is_none(), "an entry outlived the outage");
    }
}
