//! Archiving and restoring tenants. Archive: the tenant stops serving at once (`archived`, 404 on
//! every replica within a second), then its schema is dumped with `pg_dump --format=custom
//! --schema=<schema>`, stored through the storage interface under
//! `tenants/<id>/archives/<archive id>`, recorded in `platform.tenant_archives`, and dropped.
//! Restore: the dump is fetched, checked against its SHA-256, loaded with `pg_restore
//! --single-transaction`, migrated to the current version, and the tenant is active again.

use std::path::Path;

use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use super::operators::{self, Actor, Change};
use crate::db::{self, Db, SchemaName, TenantFilter};
use crate::state::AppState;
use crate::storage::{Area, ObjectKey};

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

/// A PostgreSQL URL without its password, and the password (passed to pg_dump / pg_restore in
/// `PGPASSWORD`, so it never shows in a process list).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decode(password)),
        ),
        None => (url.to_owned(), None),
    }
}

/// `%XX` escapes of a URL component decoded (the password as the server knows it).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pg_command(program: &str, state: &AppState) -> (tokio::process::Command, String) {
    let url = state
        .settings
        .database
        .direct_url()
        .unwrap_or(state.settings.database_url())
        .to_owned();
    let (url, password) = split_password(&url);
    let mut cmd = tokio::process::Command::new(program);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.kill_on_drop(true);
    (cmd, url)
}

async fn sha256_of(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        len += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), len))
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

/// Dumps, stores and drops the schema of an archived tenant. Idempotent: a tenant whose schema
/// is already gone is done.
pub async fn run(state: &AppState, tenant_id: Uuid) -> anyhow::Result<()> {
    let (schema_name, schema_version, status) = sqlx::query_as::<_, (String, i32, String)>(
        "select schema_name, schema_version, status from platform.tenants where id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(state.db.platform())
    .await?
    .ok_or_else(|| anyhow::anyhow!("tenant {tenant_id} is gone"))?;
    anyhow::ensure!(
        status == "archived",
        "tenant {tenant_id} is {status}, not archived"
    );
    let schema =
        SchemaName::parse(&schema_name).ok_or_else(|| anyhow::anyhow!("malformed schema name"))?;
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_namespace where nspname = $1)")
            .bind(schema.as_str())
            .fetch_one(state.db.platform())
            .await?;
    if !exists {
        return Ok(());
    }
    let dir = state.storage.spool_dir().await?;
    let file = dir.join(format!("archive-{}.dump", Uuid::new_v4().simple()));
    let (mut cmd, url) = pg_command("pg_dump", state);
    let out = cmd
        .arg("--format=custom")
        .arg(format!("--schema={}", schema.as_str()))
        .arg("--no-owner")
        .arg("--file")
        .arg(&file)
        .arg(&url)
        .output()
        .await?;
    if !out.status.success() {
        let _ = tokio::fs::remove_file(&file).await;
        anyhow::bail!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let (sha256, size) = sha256_of(&file).await?;
    let archive_id = Uuid::now_v7();
    let key = ObjectKey::for_tenant_id(tenant_id, Area::Archives, archive_id);
    state
        .storage
        .put_file(&key, &file, "application/octet-stream")
        .await?;
    let mut tx = state.db.platform().begin().await?;
    sqlx::query(
        "insert into platform.tenant_archives (id, tenant_id, object_key, size_bytes, sha256, schema_version)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(archive_id)
    .bind(tenant_id)
    .bind(key.as_str())
    .bind(i64::try_from(size).unwrap_or(i64::MAX))
    .bind(&sha256)
    .bind(schema_version)
    .execute(&mut *tx)
    .await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP SCHEMA {} CASCADE",
        schema.quoted()
    )))
    .execute(&mut *tx)
    .await?;
    operators::record(
        &mut *tx,
        Actor::system(),
        Change {
            action: "tenant.archive_stored",
            tenant_id: Some(tenant_id),
            resource_type: "tenant_archive",
            resource_id: Some(archive_id.to_string()),
            before: None,
            after: Some(serde_json::json!({"object_key": key.as_str(), "size_bytes": size, "sha256": sha256})),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant_id, archive.id = %archive_id, bytes = size, "tenant archived");
    Ok(())
}

/// Brings an archived tenant back from its newest archive (or `archive_id`): fetched, checked,
/// restored in one transaction, migrated to the current version, active.
pub async fn restore(
    state: &AppState,
    tenant_id: Uuid,
    archive_id: Option<Uuid>,
    actor: Actor<'_>,
) -> anyhow::Result<Uuid> {
    let (archive, expected, status) = sqlx::query_as::<_, (Uuid, String, String)>(
        "select a.id, a.sha256, t.status from platform.tenant_archives a
         join platform.tenants t on t.id = a.tenant_id
         where a.tenant_id = $1 and ($2::uuid is null or a.id = $2)
         order by a.created_at desc limit 1",
    )
    .bind(tenant_id)
    .bind(archive_id)
    .fetch_optional(state.db.platform())
    .await?
    .ok_or_else(|| anyhow::anyhow!("no archive of this tenant"))?;
    anyhow::ensure!(
        status == "archived",
        "the tenant is {status}; only an archived tenant can be restored"
    );
    let key = ObjectKey::for_tenant_id(tenant_id, Area::Archives, archive);
    let (_, mut stream) = state
        .storage
        .open(&key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the archive object {} is missing", key.as_str()))?;
    let dir = state.storage.spool_dir().await?;
    let file = dir.join(format!("restore-{}.dump", Uuid::new_v4().simple()));
    let result = async {
        let mut out = tokio::fs::File::create(&file).await?;
        use futures_util::StreamExt;
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk?).await?;
        }
        out.flush().await?;
        let (sha256, _) = sha256_of(&file).await?;
        anyhow::ensure!(
            sha256 == expected,
            "the archive does not match its checksum"
        );
        let (mut cmd, url) = pg_command("pg_restore", state);
        let res = cmd
            .arg("--exit-on-error")
            .arg("--single-transaction")
            .arg("--no-owner")
            .arg("--dbname")
            .arg(&url)
            .arg(&file)
            .output()
            .await?;
        anyhow::ensure!(
            res.status.success(),
            "pg_restore failed: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        Ok(())
    }
    .await;
    let _ = tokio::fs::remove_file(&file).await;
    result?;
    let schema: String =
        sqlx::query_scalar("select schema_name from platform.tenants where id = $1")
            .bind(tenant_id)
            .fetch_one(state.db.platform())
            .await?;
    let schema =
        SchemaName::parse(&schema).ok_or_else(|| anyhow::anyhow!("malformed schema name"))?;
    let version: i32 = sqlx::query_scalar(AssertSqlSafe(format!(
        "select coalesce(max(version), 0) from {}.schema_migrations",
        schema.quoted()
    )))
    .fetch_one(state.db.platform())
    .await?;
    let mut tx = state.db.platform().begin().await?;
    // Back to the status it had when archived (`active` for archives made before that was
    // recorded).
    sqlx::query(
        "update platform.tenants
         set status = coalesce(archived_from_status, 'active'),
             status_reason = case when archived_from_status is null then null else archived_from_reason end,
             archived_from_status = null, archived_from_reason = null,
             schema_version = $2
         where id = $1",
    )
        .bind(tenant_id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update platform.tenant_archives set restored_at = now() where id = $1")
        .bind(archive)
        .execute(&mut *tx)
        .await?;
    operators::record(
        &mut *tx,
        actor,
        Change {
            action: "tenant.restored",
            tenant_id: Some(tenant_id),
            resource_type: "tenant_archive",
            resource_id: Some(archive.to_string()),
            before: Some(serde_json::json!({"status": "archived"})),
            after: Some(serde_json::json!({"status": "active", "schema_version": version})),
        },
    )
    .await?;
    tx.commit().await?;
    state.registry.invalidate(tenant_id);
    let outcomes = db::migrate_tenants(
        &state.db,
        &db::tenant_migrations(),
        &TenantFilter::Ids(vec![tenant_id]),
        1,
    )
    .await?;
    if let Some(err) = outcomes.iter().find_map(|o| o.error.clone()) {
        anyhow::bail!("restored, but migrating to the current version failed: {err}");
    }
    Ok(archive)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            split_password("postgres://app:s3cr%40t@db:5432/flightline"),
            (
                "postgres://app@db:5432/flightline".into(),
                Some("s3cr@t".into())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".into(), None)
        );
    }
}
