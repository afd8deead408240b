//! Background jobs that run for every tenant: each enumerates the platform registry and works
//! inside one `TenantTx` per tenant (DESIGN §3).

pub mod queue;

use std::time::Duration;

use uuid::Uuid;

use crate::db::{Db, SchemaName, TenantTx};

pub use queue::{JobQueue, enqueue};

/// Rows deleted per tenant per pass, so one pass never holds a long transaction.
const RETENTION_BATCH: i64 = 10_000;

/// Applies each tenant's `audit.retention_days` setting: audit rows older than that are
/// deleted (in batches of 10,000 per tenant per pass). Tenants without the setting keep
/// everything. Returns the number of rows deleted.
pub async fn audit_retention(db: &Db) -> anyhow::Result<u64> {
    let tenants = sqlx::query_as::<_, (Uuid, String)>("select id, schema_name from platform.tenants where status in ('active', 'past_due', 'suspended')")
        .fetch_all(db.platform())
        .await?;
    let mut deleted = 0;
    for (id, schema_name) in tenants {
        let Some(schema) = SchemaName::parse(&schema_name) else {
            continue;
        };
        match retention_for(db, id, &schema).await {
            Ok(n) => deleted += n,
            Err(e) => {
                tracing::warn!(tenant.id = %id, error = %e, "audit retention failed for a tenant")
            }
        }
    }
    Ok(deleted)
}

async fn retention_for(db: &Db, tenant: Uuid, schema: &SchemaName) -> Result<u64, sqlx::Error> {
    let mut tx = TenantTx::begin(db, tenant, schema).await?;
    let days: Option<i64> = sqlx::query_scalar(
        "select (value #>> '{}')::bigint from settings where key = 'audit.retention_days'",
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    let Some(days) = days else {
        tx.end_read();
        return Ok(0);
    };
    let n = sqlx::query(
        "delete from audit_logs where id in (
             select id from audit_logs where created_at < now() - make_interval(days => $1::int) limit $2)",
    )
    .bind(days)
    .bind(RETENTION_BATCH)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// Runs [`audit_retention`] every hour.
pub fn spawn_audit_retention(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            match audit_retention(&db).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "audit retention applied"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "audit retention pass failed"),
            }
        }
    })
}
