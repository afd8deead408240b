//! The database layer: the pool (private to this module), [`TenantTx`], and the migration runner.
//!
//! Domain code never sees the pool. It receives a [`TenantTx`], which only this module can open,
//! and whose search_path is transaction-local (DESIGN §3). Platform code reaches the pool
//! through [`Db::platform`] and writes schema-qualified SQL only; `tests/api/architecture.rs`
//! fails the build's tests if a domain module mentions it.

mod migrate;
mod tenant_tx;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

pub(crate) use migrate::apply_tenant_migrations;
pub use migrate::{
    EmbeddedMigration, Migration, MigrationOutcome, MigrationStatus, TenantFilter,
    latest_tenant_version, migrate_platform, migrate_tenants, tenant_migrations,
};
pub use tenant_tx::{SchemaName, TenantTx};

use crate::config::Settings;

/// The schema every connection's default search_path names. It stays empty, so unscoped SQL
/// fails closed ("relation does not exist").
pub const EMPTY_SCHEMA: &str = "fl_none";

/// Handle to the database. Cloning is cheap.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    url: std::sync::Arc<str>,
}

impl Db {
    /// Connects lazily (the first query opens a connection), so the service starts and reports
    /// "not ready" while PostgreSQL is down instead of refusing to start.
    pub fn connect_lazy(settings: &Settings) -> anyhow::Result<Self> {
        Self::connect_with(settings, settings.database.max_connections)
    }

    pub fn connect_with(settings: &Settings, max_connections: u32) -> anyhow::Result<Self> {
        let options: PgConnectOptions = settings
            .database_url()
            .parse()
            .map_err(|e| anyhow::anyhow!("database.url is not a valid PostgreSQL URL: {e}"))?;
        let options = options
            .application_name("flightline")
            // Fail closed: without a TenantTx, unqualified names resolve nowhere.
            .options([("search_path", EMPTY_SCHEMA)]);
        let db = &settings.database;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(db.min_connections.min(max_connections))
            .acquire_timeout(Duration::from_secs(db.acquire_timeout_seconds))
            .max_lifetime(Some(Duration::from_secs(db.max_lifetime_seconds)))
            .idle_timeout(Some(Duration::from_secs(db.idle_timeout_seconds)))
            .after_release(|conn, _meta| {
                Box::pin(async move {
                    // A TenantTx's search_path dies with its transaction. A connection that comes
                    // back still inside one (a rollback queued by a dropped transaction) is
                    // flushed; if it is somehow still in a transaction after that, it is closed
                    // rather than handed to another tenant. The common case costs nothing.
                    if conn.is_in_transaction() {
                        conn.ping().await?;
                        if conn.is_in_transaction() {
                            tracing::warn!("connection released inside a transaction; closing it");
                            return Ok(false);
                        }
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        Ok(Self {
            pool,
            url: settings.database_url().into(),
        })
    }

    /// The pool, for platform code (schema-qualified SQL only). Never for domains.
    pub(crate) fn platform(&self) -> &PgPool {
        &self.pool
    }

    /// A dedicated connection for LISTEN (never one of the pool's, which it would hold forever).
    pub(crate) async fn listener(&self) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
        sqlx::postgres::PgListener::connect(&self.url).await
    }

    /// `SELECT 1`, for readiness.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Pool gauges for /metrics: (open connections, idle connections, max).
    pub fn pool_stats(&self) -> (u32, usize, u32) {
        (
            self.pool.size(),
            self.pool.num_idle(),
            self.pool.options().get_max_connections(),
        )
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// For tests and tools that must prove isolation: a raw connection with the application's
    /// default (fail-closed) session state.
    #[doc(hidden)]
    pub async fn raw_connection(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error> {
        self.pool.acquire().await
    }
}
