//! Audit retention, a per-tenant job of this domain's manifest: each tenant's
//! `audit.retention_days` setting, applied hourly. Audit rows older than that are deleted, at
//! most 10,000 per tenant per pass so a pass never holds a long transaction; a tenant without
//! the setting keeps everything.

use futures_util::future::BoxFuture;
use sqlx::PgConnection;

use crate::kernel::manifest::TenantJob;

/// Rows deleted per tenant per pass.
const BATCH: i64 = 10_000;

pub const AUDIT_RETENTION: TenantJob = TenantJob {
    name: "audit_retention",
    every_seconds: 3600,
    run,
};

fn run(conn: &mut PgConnection, _tenant: uuid::Uuid) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
    Box::pin(apply(conn))
}

async fn apply(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let days: Option<i64> = sqlx::query_scalar(
        "select (value #>> '{}')::bigint from settings where key = 'audit.retention_days'",
    )
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    let Some(days) = days else {
        return Ok(0);
    };
    Ok(sqlx::query(
        "delete from audit_logs where id in (
             select id from audit_logs where created_at < now() - make_interval(days => $1::int) limit $2)",
    )
    .bind(days)
    .bind(BATCH)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}
