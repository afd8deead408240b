//! [`restore`]: bringing an archived tenant back from an archive.

use sqlx::AssertSqlSafe;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::pg::{pg_command, sha256_of};
use crate::db::{self, SchemaName, TenantFilter};
use crate::platform::operators::{self, Actor, Change};
use crate::state::AppState;
use crate::storage::{Area, ObjectKey};

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
    let outcomes = crate::tenancy::migrate_tenants(
        &state.db,
        state.registry.catalog(),
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
