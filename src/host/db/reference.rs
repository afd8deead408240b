//! Shared reference data (`Manifest::reference`): each dataset a domain ships is loaded into the
//! `reference` schema when `reference.datasets` holds another version or none, in one
//! transaction under a global advisory lock (replicas starting together load it once; readers
//! see the old rows or the new, never a half-loaded table). Run after the platform migrations,
//! which create the tables.

use crate::kernel::Catalog;

use super::Db;

/// Loads every dataset of `catalog` whose stored version differs from the shipped one.
/// Returns the names loaded.
pub async fn load_reference(db: &Db, catalog: &Catalog) -> anyhow::Result<Vec<&'static str>> {
    let mut loaded = Vec::new();
    let mut tx = db.pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('flightline:reference-data', 0))")
        .execute(&mut *tx)
        .await?;
    for data in catalog.references() {
        let stored: Option<String> =
            sqlx::query_scalar("select version from reference.datasets where name = $1")
                .bind(data.name)
                .fetch_optional(&mut *tx)
                .await?;
        if stored.as_deref() == Some(data.version) {
            continue;
        }
        let rows = (data.load)(&mut tx)
            .await
            .map_err(|e| anyhow::anyhow!("loading reference data {}: {e}", data.name))?;
        sqlx::query(
            "insert into reference.datasets (name, version, rows) values ($1, $2, $3)
             on conflict (name) do update set version = excluded.version, rows = excluded.rows,
                 loaded_at = now()",
        )
        .bind(data.name)
        .bind(data.version)
        .bind(i32::try_from(rows).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
        tracing::info!(
            dataset = data.name,
            version = data.version,
            rows,
            "loaded reference data"
        );
        loaded.push(data.name);
    }
    tx.commit().await?;
    Ok(loaded)
}
