//! The database layer: the pool (private to this module), [`TenantTx`], and the migration runner.
//!
//! Domain code never sees the pool. It receives a [`TenantTx`], which only this module can open,
//! and whose search_path is transaction-local (DESIGN §3). Platform code reaches the pool
//! through [`Db::platform`] and writes schema-qualified SQL only; `tests/api/architecture.rs`
//! fails the build's tests if a domain module mentions it.

mod migrate;
mod reference;
mod tenant_tx;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

pub use migrate::{
    EmbeddedMigration, Migration, MigrationOutcome, MigrationStatus, StepOutcome,
    TENANT_MIGRATIONS_PREAMBLE, TenantFilter, TenantStep, latest_tenant_version, migrate_platform,
    migrate_tenants, tenant_migrations,
};
pub(in crate::host) use migrate::{apply_tenant_migrations, create_tenant_schema};
pub use reference::load_reference;
pub use tenant_tx::{SchemaName, TENANT_SCHEMA, TenantRead, TenantTx};

use crate::config::Settings;

/// The schema every connection's default search_path names. It stays empty, so unscoped SQL
/// fails closed ("relation does not exist").
pub const EMPTY_SCHEMA: &str = "fl_none";

/// Entries of each connection's statement cache kept for the statements every tenant shares
/// (about 280 distinct ones in the code, the hot ones far fewer); per-tenant statements
/// (of [`TenantRead`]s) only fill the rest.
const SHARED_STATEMENT_RESERVE: usize = 128;

/// A pooled connection idle at least this long is pinged before it is handed out; one back from
/// a request more recently was proven alive by the ping on its release.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Handle to the database. Cloning is cheap.
#[derive(Clone)]
pub struct Db {
    /// Tenant transactions (and migrations). Behind PgBouncer when `database.pgbouncer`.
    /// The first of `shards`.
    pool: PgPool,
    /// Tenant-affine pools (DESIGN §3): a tenant's transactions go to the pool its id hashes to,
    /// so each server backend sees a fraction of the tenants (fewer re-plans on a search_path
    /// change, a catalogue cache a fraction of the size). `database.tenant_shards` of them.
    shards: std::sync::Arc<[PgPool]>,
    /// Platform SQL. The same pool, except behind PgBouncer: then a small pool on
    /// `database.direct_url`, because platform SQL runs outside explicit transactions and
    /// PgBouncer (transaction mode, before 1.21) may send a statement's Parse and its Bind to
    /// different server connections (docs/operations.md).
    platform: PgPool,
    /// LISTEN needs a session of its own: never through PgBouncer in transaction mode.
    listen_url: std::sync::Arc<str>,
    /// `database.statement_cache_capacity` (0 behind PgBouncer).
    statement_cache_capacity: usize,
    /// [`TenantRead`]s without a transaction: `database.one_round_trip_reads`, never behind
    /// PgBouncer.
    one_round_trip_reads: bool,
}

impl Db {
    /// A pool over the test configuration that connects on first use (unit tests of caches
    /// that never reach the database).
    #[cfg(test)]
    pub(in crate::host) fn for_unit_tests() -> Self {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
        let settings = Settings::load_from(
            &dir,
            crate::config::Environment::Test,
            figment::Figment::new(),
        )
        .expect("test settings");
        Self::connect_lazy(&settings).expect("lazy pool")
    }

    /// Connects lazily (the first query opens a connection), so the service starts and reports
    /// "not ready" while PostgreSQL is down instead of refusing to start.
    pub fn connect_lazy(settings: &Settings) -> anyhow::Result<Self> {
        Self::connect_with(settings, settings.database.max_connections)
    }

    pub fn connect_with(settings: &Settings, max_connections: u32) -> anyhow::Result<Self> {
        let db = &settings.database;
        let options = connect_options(settings.database_url(), "database.url")?;
        let direct_url = db.direct_url().unwrap_or(settings.database_url());
        let (pool, platform, shards) = if db.pgbouncer {
            // PgBouncer in transaction mode hands each transaction to any server connection:
            // - no `options` startup parameter (PgBouncer 1.18 refuses unknown ones): the
            //   fail-closed search_path is the role's default instead
            //   (`ALTER ROLE ... SET search_path = fl_none`, docs/operations.md);
            // - no `extra_float_digits` startup parameter, for the same reason;
            // - no statement cache: a cached statement would be bound on another server.
            //   sqlx still names each statement, so PgBouncer must reset server connections
            //   after every transaction (`server_reset_query_always = 1`).
            let options = options.extra_float_digits(None).statement_cache_capacity(0);
            let pool = pool_options(settings, max_connections).connect_lazy_with(options);
            // PgBouncer picks the server connection itself: affinity means nothing here.
            let shards: Vec<PgPool> = vec![pool.clone()];
            let direct = connect_options(direct_url, "database.direct_url")?;
            let platform = pool_options(settings, max_connections.div_ceil(4).max(2))
                .connect_lazy_with(fail_closed(direct));
            (pool, platform, shards)
        } else {
            let options =
                fail_closed(options).statement_cache_capacity(db.statement_cache_capacity);
            let n = db.tenant_shards.clamp(1, max_connections.max(1));
            let shards: Vec<PgPool> = (0..n)
                .map(|i| {
                    // The remainder goes to the first shard, which platform SQL shares.
                    let size = max_connections / n + u32::from(i == 0) * (max_connections % n);
                    pool_options(settings, size.max(1)).connect_lazy_with(options.clone())
                })
                .collect();
            // Platform SQL (registry, outbox, provisioning) gets a small pool of its own, so
            // tenant load cannot starve it nor the other way round.
            let platform =
                pool_options(settings, (max_connections / 4).max(2)).connect_lazy_with(options);
            (shards[0].clone(), platform, shards)
        };
        Ok(Self {
            pool,
            shards: shards.into(),
            platform,
            listen_url: direct_url.into(),
            statement_cache_capacity: if db.pgbouncer {
                0
            } else {
                db.statement_cache_capacity
            },
            one_round_trip_reads: db.one_round_trip_reads && !db.pgbouncer,
        })
    }

    /// The pool, for platform code (schema-qualified SQL only). Never for domains.
    pub(in crate::host) fn platform(&self) -> &PgPool {
        &self.platform
    }

    /// A dedicated connection for LISTEN (never one of the pool's, which it would hold forever).
    pub(in crate::host) async fn listener(
        &self,
    ) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
        sqlx::postgres::PgListener::connect(&self.listen_url).await
    }

    /// `SELECT 1`, for readiness. A simple-protocol query: behind PgBouncer a prepared one
    /// outside a transaction would be parsed and executed on different server connections.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql("select 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Pool gauges for /metrics: (open connections, idle connections, max), over all shards.
    pub fn pool_stats(&self) -> (u32, usize, u32) {
        self.shards.iter().fold((0, 0, 0), |(size, idle, max), p| {
            (
                size + p.size(),
                idle + p.num_idle(),
                max + p.options().get_max_connections(),
            )
        })
    }

    pub async fn close(&self) {
        for p in self.shards.iter() {
            p.close().await;
        }
        self.platform.close().await;
    }

    /// A connection for `tenant`'s transaction: an idle one of its home shard, or a new one
    /// there while it has room; else an idle one (or a new one) of another shard, so affinity
    /// never makes a request wait while connections are free; else the next one at home.
    /// The flag says whether the connection is of the tenant's home shard.
    pub(in crate::host) async fn tenant_connection(
        &self,
        tenant: uuid::Uuid,
    ) -> Result<(sqlx::pool::PoolConnection<sqlx::Postgres>, bool), sqlx::Error> {
        let n = self.shards.len();
        if n == 1 {
            return Ok((self.shards[0].acquire().await?, true));
        }
        let home = (tenant.as_u128() % n as u128) as usize;
        let shard = |k: usize| &self.shards[(home + k) % n];
        let has_room = |p: &PgPool| p.size() < p.options().get_max_connections();
        if let Some(conn) = shard(0).try_acquire() {
            return Ok((conn, true));
        }
        if has_room(shard(0)) {
            return Ok((shard(0).acquire().await?, true));
        }
        if let Some(conn) = (1..n).find_map(|k| shard(k).try_acquire()) {
            return Ok((conn, false));
        }
        if let Some(k) = (1..n).find(|k| has_room(shard(*k))) {
            return Ok((shard(k).acquire().await?, false));
        }
        Ok((shard(0).acquire().await?, true))
    }

    /// Whether a connection may cache one more per-tenant statement (a [`TenantRead`]'s):
    /// only at the tenant's home shard (so a connection holds the plans of its shard's tenants
    /// only) and while its statement cache has room beyond the reserve for shared statements.
    pub(in crate::host) fn own_plan_room(&self, cached: usize) -> bool {
        cached + SHARED_STATEMENT_RESERVE < self.statement_cache_capacity
    }

    /// Whether a [`TenantRead`] runs without a transaction (one round trip).
    pub(in crate::host) fn one_round_trip_reads(&self) -> bool {
        self.one_round_trip_reads
    }

    /// For the integration tests that must prove isolation (feature `test-support`): a raw
    /// connection with the application's default (fail-closed) session state.
    #[cfg(feature = "test-support")]
    pub async fn raw_connection(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error> {
        self.pool.acquire().await
    }
}

fn connect_options(url: &str, key: &str) -> anyhow::Result<PgConnectOptions> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|e| anyhow::anyhow!("{key} is not a valid PostgreSQL URL: {e}"))?;
    Ok(options.application_name("flightline"))
}

/// Fail closed: without a TenantTx, unqualified names resolve nowhere.
fn fail_closed(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("search_path", EMPTY_SCHEMA)])
}

fn pool_options(settings: &Settings, max_connections: u32) -> PgPoolOptions {
    let db = &settings.database;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(db.min_connections.min(max_connections))
        .acquire_timeout(Duration::from_secs(db.acquire_timeout_seconds))
        .max_lifetime(Some(Duration::from_secs(db.max_lifetime_seconds)))
        .idle_timeout(Some(Duration::from_secs(db.idle_timeout_seconds)))
        // sqlx's own liveness test pings every connection it hands out: one more round trip
        // per request. The pool already pings each connection as it comes back (the ping that
        // carries a read's ROLLBACK), so `before_acquire` pings only a connection that has sat
        // idle long enough for the server or the network to have dropped it.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                // A TenantTx's search_path dies with its transaction, and a transaction dropped
                // without commit has its ROLLBACK flushed by the pool's ping on release. So a
                // connection handed out is never inside a transaction; assert it at no cost
                // (the status comes from the last ReadyForQuery) and close one that is, rather
                // than give it to another tenant.
                if conn.is_in_transaction() {
                    tracing::error!("pooled connection still inside a transaction; closing it");
                    return Ok(false);
                }
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    // An error closes this connection; the pool then tries the next or opens one.
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
