//! [`run`]: dumping an archived tenant's schema into object storage, then dropping it.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::pg::{pg_command, sha256_of};
use crate::db::SchemaName;
use crate::platform::operators::{self, Actor, Change};
use crate::state::AppState;
use crate::storage::{Area, ObjectKey};

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
