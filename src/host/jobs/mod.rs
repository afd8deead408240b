//! Background jobs: the platform job queue, the per-tenant jobs the domains' manifests declare
//! (`Manifest::jobs`), each run for every serving tenant inside one `TenantTx` per tenant
//! (DESIGN §3), and the jobs over data all tenants share (`Manifest::shared_jobs`), run outside
//! any tenant with short transactions of their own.

pub mod queue;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::config::Settings;
use crate::db::{Db, SchemaName, TenantTx};
use crate::kernel::manifest::{Catalog, SharedDb, SharedJob, SharedJobCtx, SharedTx, TenantJob};

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

/// The [`SharedDb`] the host lends shared jobs: transactions on the platform pool, whose
/// connections' search path names the empty schema (every statement names its schema).
struct SharedPool(Db);

impl SharedDb for SharedPool {
    fn begin(&self) -> BoxFuture<'_, Result<SharedTx, sqlx::Error>> {
        Box::pin(self.0.platform().begin())
    }
}

/// One pass of `job` (what the loop of [`spawn_shared_jobs`] runs; the tests call it too).
pub async fn run_shared(
    db: &Db,
    settings: &Settings,
    job: &SharedJob,
) -> anyhow::Result<crate::kernel::manifest::SharedPass> {
    let shared = SharedPool(db.clone());
    let ctx = SharedJobCtx {
        db: &shared,
        settings,
    };
    (job.run)(&ctx).await
}

/// Runs every job over shared data the manifests declare (`Manifest::shared_jobs`): one loop
/// each, the first pass at once, the next after the wait the pass asks for (after a failure,
/// the job's `retry`), or as soon as the job's `wake` is notified.
pub fn spawn_shared_jobs(
    db: Db,
    settings: Arc<Settings>,
    catalog: &'static Catalog,
) -> Vec<tokio::task::JoinHandle<()>> {
    catalog
        .shared_jobs()
        .map(|job| {
            let db = db.clone();
            let settings = settings.clone();
            tokio::spawn(async move {
                loop {
                    let wait = match run_shared(&db, &settings, job).await {
                        Ok(pass) => {
                            if pass.done > 0 {
                                tracing::info!(job = job.name, done = pass.done, "shared job pass");
                            }
                            pass.next
                        }
                        Err(e) => {
                            tracing::warn!(job = job.name, error = %format!("{e:#}"), "shared job pass failed");
                            job.retry
                        }
                    };
                    if wait.is_zero() {
                        tokio::task::yield_now().await;
                        continue;
                    }
                    let _ = tokio::time::timeout(wait, job.wake.notified()).await;
                }
            })
        })
        .collect()
}
