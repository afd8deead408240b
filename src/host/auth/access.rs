//! [`AccessCache`]: what a session or API key may do, cached in process so a request's
//! authentication costs a JWT check and a hash-map lookup (O(1)), not a database round trip.
//!
//! Entries are loaded from the tenant schema on a miss and dropped when anything that affects
//! them changes: a session revoked (logout, refresh-token reuse, password change), a user
//! deactivated or deleted, roles or role assignments changed, an API key revoked. The change is
//! committed together with `pg_notify('flightline_access', ...)`; every replica LISTENs and drops
//! the affected entries within milliseconds; the replica that made the change drops them at once.
//! A TTL bounds staleness if a notification were ever lost.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Db, TenantTx};
use crate::tenancy::Tenant;

pub const CHANNEL: &str = "flightline_access";

/// The Redis channel used instead of LISTEN/NOTIFY when `REDIS_URL` is configured.
pub const REDIS_CHANNEL: &str = "flightline:access";

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

/// An API key and its user, as [`AccessCache::load_key`] reads them.
#[derive(sqlx::FromRow)]
struct KeyRow {
    id: Uuid,
    secret_hash: Vec<u8>,
    key_permissions: Option<Vec<String>>,
    user_id: Uuid,
    email: String,
    permissions: Vec<String>,
}

struct Entry {
    value: Cached,
    loaded: Instant,
}

/// What a notification asks to drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// Everything cached for a tenant (roles or users changed).
    Tenant(Uuid),
    /// One session.
    Session(Uuid, Uuid),
}

impl Invalidation {
    pub fn payload(self) -> String {
        match self {
            Self::Tenant(t) => format!("t:{t}"),
            Self::Session(t, s) => format!("s:{t}:{s}"),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        match (parts.next()?, parts.next(), parts.next()) {
            ("t", Some(t), None) => Some(Self::Tenant(t.parse().ok()?)),
            ("s", Some(t), Some(s)) => Some(Self::Session(t.parse().ok()?, s.parse().ok()?)),
            _ => None,
        }
    }
}

/// Sends the invalidation with the transaction: replicas hear it only if it commits.
pub async fn notify(tx: &mut TenantTx, what: Invalidation) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(what.payload())
        .execute(&mut **tx)
        .await
        .map(|_| ())
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
    /// When each API key's `last_used_at` was last written (at most once a minute per key).
    touched: RwLock<HashMap<Uuid, Instant>>,
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// Constant-time comparison of two digests.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AccessCache {
    pub fn new(db: Db, ttl: Duration, redis: Option<Redis>) -> Self {
        Self {
            db,
            redis,
            ttl,
            entries: RwLock::new(HashMap::new()),
            epoch: std::sync::atomic::AtomicU64::new(0),
            touched: RwLock::new(HashMap::new()),
        }
    }

    /// Records that an API key was used, in the background and at most once a minute per key.
    pub fn touch_key(&self, db: &Db, tenant: &Arc<Tenant>, key_id: Uuid) {
        {
            let mut touched = self.touched.write().unwrap_or_else(|p| p.into_inner());
            if touched
                .get(&key_id)
                .is_some_and(|t| t.elapsed() < Duration::from_secs(60))
            {
                return;
            }
            if touched.len() > 100_000 {
                touched.clear();
            }
            touched.insert(key_id, Instant::now());
        }
        let (db, tenant) = (db.clone(), Arc::clone(tenant));
        tokio::spawn(async move {
            let result = async {
                let mut tx = tenant.begin(&db).await?;
                sqlx::query("update api_keys set last_used_at = now() where id = $1")
                    .bind(key_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not record API key use");
            }
        });
    }

    fn get(&self, key: &Key) -> Option<Cached> {
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
        if self.epoch() != seen {
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

    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        entries.clear();
    }

    /// The rights of a live session of an active user; `None` when it has ended.
    pub async fn session(
        &self,
        tenant: &Tenant,
        session_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<Access>, sqlx::Error> {
        let key = (tenant.id, session_id.to_string());
        match self.get(&key) {
            Some(Cached::Session(a)) if a.user_id == user_id => return Ok(Some(a)),
            Some(Cached::Denied) => return Ok(None),
            _ => {}
        }
        let seen = self.epoch();
        let mut tx = tenant.begin(&self.db).await?;
        let row = sqlx::query_as::<_, (String, Vec<String>)>(
            "select u.email,
                    array(select distinct p from user_roles ur join roles r on r.id = ur.role_id,
                          unnest(r.permissions) p where ur.user_id = u.id) as permissions
             from sessions s join users u on u.id = s.user_id
             where s.id = $1 and s.user_id = $2 and s.revoked_at is null and s.expires_at > now()
               and u.is_active",
        )
        .bind(session_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.end_read();
        let value = match row {
            Some((email, permissions)) => Cached::Session(Access {
                user_id,
                email,
                permissions: Arc::new(permissions.into_iter().collect()),
            }),
            None => Cached::Denied,
        };
        self.put(seen, key, value.clone());
        Ok(match value {
            Cached::Session(a) => Some(a),
            _ => None,
        })
    }

    /// The rights of an API key `flk_<prefix>_<secret>`: its own permissions intersected with
    /// its user's current ones. `None` for an unknown, revoked, expired or mistyped key.
    pub async fn api_key(
        &self,
        tenant: &Tenant,
        prefix: &str,
        secret: &str,
    ) -> Result<Option<(Uuid, Access)>, sqlx::Error> {
        let key = (tenant.id, format!("key:{prefix}"));
        let presented = sha256(secret.as_bytes());
        let cached = match self.get(&key) {
            Some(c) => c,
            None => {
                let seen = self.epoch();
                let loaded = self.load_key(tenant, prefix).await?;
                self.put(seen, key, loaded.clone());
                loaded
            }
        };
        Ok(match cached {
            Cached::ApiKey {
                secret_hash,
                key_id,
                access,
            } if same(&secret_hash, &presented) => Some((key_id, access)),
            _ => None,
        })
    }

    async fn load_key(&self, tenant: &Tenant, prefix: &str) -> Result<Cached, sqlx::Error> {
        let mut tx = tenant.begin(&self.db).await?;
        let row = sqlx::query_as::<_, KeyRow>(
            "select k.id, k.secret_hash, k.permissions as key_permissions, u.id as user_id, u.email,
                    array(select distinct p from user_roles ur join roles r on r.id = ur.role_id,
                          unnest(r.permissions) p where ur.user_id = u.id) as permissions
             from api_keys k join users u on u.id = k.user_id
             where k.prefix = $1 and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
               and u.is_active",
        )
        .bind(prefix)
        .fetch_optional(&mut *tx)
        .await?;
        tx.end_read();
        let Some(row) = row else {
            return Ok(Cached::Denied);
        };
        let mut permissions: HashSet<String> = row.permissions.into_iter().collect();
        if let Some(only) = row.key_permissions {
            let only: HashSet<String> = only.into_iter().collect();
            permissions.retain(|p| only.contains(p));
        }
        Ok(Cached::ApiKey {
            secret_hash: row.secret_hash,
            key_id: row.id,
            access: Access {
                user_id: row.user_id,
                email: row.email,
                permissions: Arc::new(permissions),
            },
        })
    }

    /// Applies invalidations from every replica until the process ends: from Redis pub/sub when
    /// Redis is configured, else from PostgreSQL LISTEN.
    pub fn spawn_listener(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        if let Some(redis) = self.redis.clone() {
            return self.spawn_redis_listener(redis);
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match this.db.listener().await {
                    Ok(mut listener) => {
                        if listener.listen(CHANNEL).await.is_ok() {
                            this.clear();
                            backoff = Duration::from_millis(200);
                            while let Ok(n) = listener.recv().await {
                                match Invalidation::parse(n.payload()) {
                                    Some(what) => this.invalidate_local(what),
                                    None => this.clear(),
                                }
                            }
                            tracing::warn!("access listener lost its connection");
                            this.clear();
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "access listener cannot connect"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        })
    }

    fn spawn_redis_listener(self: &Arc<Self>, redis: Redis) -> tokio::task::JoinHandle<()> {
        use futures_util::StreamExt;
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match redis.client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(REDIS_CHANNEL).await.is_ok() {
                            this.clear();
                            backoff = Duration::from_millis(200);
                            let mut messages = pubsub.on_message();
                            while let Some(msg) = messages.next().await {
                                match msg
                                    .get_payload::<String>()
                                    .ok()
                                    .as_deref()
                                    .and_then(Invalidation::parse)
                                {
                                    Some(what) => this.invalidate_local(what),
                                    None => this.clear(),
                                }
                            }
                            tracing::warn!("access listener lost its Redis connection");
                            this.clear();
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "access listener cannot connect to Redis"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        })
    }
}

/// A Redis deployment: a pool for commands and a client for pub/sub connections.
#[derive(Clone)]
pub struct Redis {
    pub pool: deadpool_redis::Pool,
    client: deadpool_redis::redis::Client,
}

impl Redis {
    pub fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = deadpool_redis::Config::from_url(url)
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .map_err(|e| anyhow::anyhow!("redis.url: {e}"))?;
        let client = deadpool_redis::redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("redis.url: {e}"))?;
        Ok(Self { pool, client })
    }

    /// `PING`, for readiness.
    pub async fn ping(&self) -> bool {
        let Ok(mut conn) = self.pool.get().await else {
            return false;
        };
        deadpool_redis::redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
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
}
