//! Archiving and restoring tenants. Archive: the tenant stops serving at once (`archived`, 404 on
//! every replica within a second), then its schema is dumped with `pg_dump --format=custom
//! --schema=<schema>`, stored through the storage interface under
//! `tenants/<id>/archives/<archive id>`, recorded in `platform.tenant_archives`, and dropped.
//! Restore: the dump is fetched, checked against its SHA-256, loaded with `pg_restore
//! --single-transaction`, migrated to the current version, and the tenant is active again.
//!
//! Marking a tenant archived and the job are here; the dump in `dump`, the restore in
//! `restore`, the `pg_dump` / `pg_restore` plumbing in `pg`.

use uuid::Uuid;

use super::operators::{self, Actor, Change};
use crate::db::Db;
use crate::state::AppState;

mod dump;
mod pg;
mod restore;

pub use dump::run;
pub use restore::restore;

/// The job kind that finishes an archive in the background.
pub const JOB: &str = "archive";

/// The queued archive job (`crate::jobs::queue`).
pub const JOB_KIND: crate::jobs::queue::JobKind = crate::jobs::queue::JobKind {
    kind: JOB,
    run: run_job,
};

fn run_job<'a>(
    state: &'a AppState,
    tenant: Uuid,
    _key: &'a str,
) -> futures_util::future::BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(run(state, tenant))
}

/// Marks the tenant archived (it stops serving everywhere) and, with `queue`, queues the
/// dump-and-drop job, in one transaction with the audit row (the command line runs [`run`]
/// itself instead). `Ok(false)` when the tenant does not exist or cannot be archived now (still
/// provisioning, already archived).
pub async fn begin(
    state: &AppState,
    tenant_id: Uuid,
    actor: Actor<'_>,
    queue: bool,
) -> anyhow::Result<bool> {
    let mut tx = state.db.platform().begin().await?;
    let Some(before) = sqlx::query_scalar::<_, String>(
        "select status from platform.tenants where id = $1 and status not in ('provisioning', 'archived') for update",
    )
    .bind(tenant_id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(false);
    };
    sqlx::query(
        "update platform.tenants
         set status = 'archived', status_reason = null,
             archived_from_status = status, archived_from_reason = status_reason
         where id = $1",
    )
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?;
    if queue {
        crate::jobs::enqueue(
            &mut *tx,
            Some(tenant_id),
            JOB,
            &format!("archive:{tenant_id}:{}", Uuid::now_v7()),
        )
        .await?;
    }
    operators::record(
        &mut *tx,
        actor,
        Change {
            action: "tenant.archived",
            tenant_id: Some(tenant_id),
            resource_type: "tenant",
            resource_id: Some(tenant_id.to_string()),
            before: Some(serde_json::json!({"status": before})),
            after: Some(serde_json::json!({"status": "archived"})),
        },
    )
    .await?;
    tx.commit().await?;
    state.registry.invalidate(tenant_id);
    state.jobs.nudge();
    Ok(true)
}

/// The archive of `tenant_id` as the platform API reports it.
pub async fn latest(
    db: &Db,
    tenant_id: Uuid,
) -> Result<Option<(Uuid, i64, chrono::DateTime<chrono::Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "select id, size_bytes, created_at from platform.tenant_archives where tenant_id = $1
         order by created_at desc limit 1",
    )
    .bind(tenant_id)
    .fetch_optional(db.platform())
    .await
}
