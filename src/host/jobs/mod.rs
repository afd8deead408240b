//! Background jobs: the platform job queue, and the per-tenant jobs the domains' manifests
//! declare (`Manifest::jobs`), each run for every serving tenant inside one `TenantTx` per
//! tenant (DESIGN §3).

pub mod queue;

use std::time::Duration;

use uuid::Uuid;

use crate::db::{Db, SchemaName, TenantTx};
use crate::kernel::manifest::{Catalog, TenantJob};

pub use queue::{JobQueue, enqueue};

/// One pass of `job` over every serving tenant (active, past due or suspended), one
/// `TenantTx` each; a tenant whose pass fails is logged and the others go on. Returns the sum
/// of what the passes report.
pub async fn run_for_every_tenant(db: &Db, job: &TenantJob) -> anyhow::Result<u64> {
    let tenants: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, schema_name from platform.tenants where status in ('active', 'past_due', 'suspended')",
    )
    .fetch_all(db.platform())
    .await?;
    let mut done = 0;
    for (id, schema) in tenants {
        let Some(schema) = SchemaName::parse(&schema) else {
            continue;
        };
        match run_for(db, id, &schema, job).await {
            Ok(n) => done += n,
            Err(e) => {
                tracing::warn!(tenant.id = %id, job = job.name, error = %e, "tenant job failed for a tenant")
            }
        }
    }
    Ok(done)
}

async fn run_for(
    db: &Db,
    tenant: Uuid,
    schema: &SchemaName,
    job: &TenantJob,
) -> Result<u64, sqlx::Error> {
    let mut tx = TenantTx::begin(db, tenant, schema).await?;
    let n = (job.run)(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(n)
}

/// Runs every per-tenant job the manifests declare (`Manifest::jobs`), each on its own period.
pub fn spawn_tenant_jobs(db: Db, catalog: &'static Catalog) -> Vec<tokio::task::JoinHandle<()>> {
    catalog
        .tenant_jobs()
        .map(|job| {
            let db = db.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(job.every_seconds)).await;
                    match run_for_every_tenant(&db, job).await {
                        Ok(n) if n > 0 => tracing::info!(job = job.name, done = n, "tenant job pass"),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(job = job.name, error = %format!("{e:#}"), "tenant job pass failed")
                        }
                    }
                }
            })
        })
        .collect()
}
