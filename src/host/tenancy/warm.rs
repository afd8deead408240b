//! The warm pool: a few schemas already migrated to the latest version, so signup renames one
//! instead of running every migration on the request path (DESIGN §3).

use std::sync::Arc;
use std::time::Duration;

use sqlx::AssertSqlSafe;
use tokio::sync::Notify;

use crate::db::{Db, SchemaName, create_tenant_schema, latest_tenant_version, tenant_migrations};

#[derive(Clone)]
pub struct WarmPool {
    db: Db,
    target: u32,
    wake: Arc<Notify>,
}

impl WarmPool {
    pub fn new(db: Db, target: u32) -> Self {
        Self {
            db,
            target,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Asks the filler to top the pool up (after a claim).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Creates warm schemas until `target` are ready. Safe with several replicas: creation is
    /// serialised by an advisory lock and the count is re-read under it.
    pub async fn fill(&self) -> anyhow::Result<u32> {
        let mut created = 0;
        while self.create_one_if_needed().await? {
            created += 1;
        }
        Ok(created)
    }

    async fn create_one_if_needed(&self) -> anyhow::Result<bool> {
        let latest = latest_tenant_version();
        let mut tx = self.db.platform().begin().await?;
        sqlx::query("select pg_advisory_xact_lock(hashtextextended('flightline:warm-pool', 0))")
            .execute(&mut *tx)
            .await?;
        let ready: i64 = sqlx::query_scalar(
            "select count(*) from platform.warm_schemas where schema_version = $1",
        )
        .bind(latest)
        .fetch_one(&mut *tx)
        .await?;
        if ready >= i64::from(self.target) {
            return Ok(false);
        }
        let schema = SchemaName::new_warm();
        let (_, version) = create_tenant_schema(&mut tx, &schema, &tenant_migrations()).await?;
        sqlx::query(
            "insert into platform.warm_schemas (schema_name, schema_version) values ($1, $2)",
        )
        .bind(schema.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Keeps the pool full in the background.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if self.target == 0 {
                return;
            }
            loop {
                if let Err(e) = self.fill().await {
                    tracing::warn!(error = %format!("{e:#}"), "warm pool fill failed");
                }
                let _ = tokio::time::timeout(Duration::from_secs(30), self.wake.notified()).await;
            }
        })
    }
}

/// Drops warm schemas older than the latest migration (after a deploy); the filler replaces
/// them. Returns how many were dropped.
pub async fn drop_stale_warm_schemas(db: &Db) -> anyhow::Result<usize> {
    let mut tx = db.platform().begin().await?;
    let stale: Vec<String> = sqlx::query_scalar(
        "delete from platform.warm_schemas where schema_version < $1 returning schema_name",
    )
    .bind(latest_tenant_version())
    .fetch_all(&mut *tx)
    .await?;
    for name in &stale {
        if let Some(schema) = SchemaName::parse(name) {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                schema.quoted()
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(stale.len())
}
