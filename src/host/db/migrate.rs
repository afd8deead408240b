//! Our own migration runner (DESIGN §3): platform migrations under one global lock, then tenant
//! migrations with bounded parallelism, one transaction and one advisory lock per tenant, each
//! followed in that transaction by a [`TenantStep`] (the catalogue sync of
//! `crate::tenancy::catalog_sync`: system roles and permissions declared since the tenant was
//! provisioned; handed in, so this runner depends on nothing above it). Tenants already current
//! (schema and step digest) are skipped without touching their schema; a failing tenant is
//! rolled back to its old version and reported while the others proceed.
//!
//! Migrations are keyed by their file name (`0001_core`, `202612061430_flights`; see
//! `build.rs` for the naming scheme): a schema gets every embedded migration it has not applied,
//! in name order, so a migration that lands after another with a later name is still applied;
//! one whose text changed after it was applied stops the run for that schema. A schema's version
//! is the number of migrations it has applied.

use futures_util::future::BoxFuture;
use futures_util::{StreamExt, stream};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

use super::{Db, SchemaName};
use crate::kernel::TenantKind;

/// What a [`TenantStep`] did in one tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// How many things it changed (reported per tenant).
    pub changes: usize,
    /// Whether the tenant is now fully up to date with the step; when not, no digest is
    /// stored and the next run looks at the tenant again.
    pub complete: bool,
}

/// Work done in each tenant's migration transaction after its migrations (search_path set,
/// the tenant's lock held): the catalogue sync. Its [`digest`](Self::digest) is stored per
/// tenant (`platform.tenants.catalog_digest`), and a tenant whose schema is current and whose
/// digest matches is skipped.
pub trait TenantStep: Sync {
    /// A fingerprint of what the step gives a tenant of `kind`.
    fn digest(&self, kind: TenantKind) -> String;
    /// Runs the step for tenant `tenant` of `kind` in `conn`'s transaction.
    fn run<'c>(
        &'c self,
        conn: &'c mut PgConnection,
        kind: TenantKind,
        tenant: Uuid,
    ) -> BoxFuture<'c, Result<StepOutcome, sqlx::Error>>;
}

/// A migration compiled into the binary by `build.rs`.
pub struct EmbeddedMigration {
    pub version: i32,
    pub key: &'static str,
    pub name: &'static str,
    pub sql: &'static str,
}

mod embedded {
    use super::EmbeddedMigration;
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// One migration, applied once, in order, inside a transaction.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Its position in the list (1-based): a schema that applied it and all before is at this
    /// version.
    pub version: i32,
    /// The file stem, which identifies it once applied (`0010_api_key_permissions`).
    pub key: String,
    pub name: String,
    pub sql: String,
}

impl Migration {
    /// A migration at position `version`, keyed `NNNN_name` (tests and benchmarks add some).
    pub fn new(version: i32, name: impl Into<String>, sql: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            version,
            key: format!("{version:04}_{name}"),
            name,
            sql: sql.into(),
        }
    }

    fn checksum(&self) -> Vec<u8> {
        Sha256::digest(self.sql.as_bytes()).to_vec()
    }
}

fn from_embedded(list: &[EmbeddedMigration]) -> Vec<Migration> {
    list.iter()
        .map(|m| Migration {
            version: m.version,
            key: m.key.to_owned(),
            name: m.name.to_owned(),
            sql: m.sql.to_owned(),
        })
        .collect()
}

/// The tenant migrations this binary carries.
pub fn tenant_migrations() -> Vec<Migration> {
    from_embedded(embedded::TENANT)
}

/// The version a current tenant schema has.
pub fn latest_tenant_version() -> i32 {
    embedded::TENANT.len() as i32
}

/// Applies pending platform migrations under a transaction-scoped global advisory lock, so
/// several replicas starting at once apply each migration exactly once. Returns the version.
pub async fn migrate_platform(db: &Db) -> anyhow::Result<i32> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('flightline:platform-migrations', 0))",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::raw_sql(
        "create schema if not exists platform;
         create table if not exists platform.schema_migrations (
             version integer primary key,
             name text not null,
             checksum bytea not null,
             applied_at timestamptz not null default now());
         alter table platform.schema_migrations add column if not exists key text unique;
         update platform.schema_migrations set key = lpad(version::text, 4, '0') || '_' || name
         where key is null",
    )
    .execute(&mut *tx)
    .await?;
    let applied: Vec<(String, Vec<u8>)> =
        sqlx::query_as("select key, checksum from platform.schema_migrations order by version")
            .fetch_all(&mut *tx)
            .await?;
    let migrations = from_embedded(embedded::PLATFORM);
    for m in &migrations {
        if let Some((_, sum)) = applied.iter().find(|(k, _)| *k == m.key) {
            anyhow::ensure!(
                *sum == m.checksum(),
                "platform migration {} was changed after it was applied; migrations are never edited",
                m.key
            );
            continue;
        }
        sqlx::raw_sql(AssertSqlSafe(m.sql.clone()))
            .execute(&mut *tx)
            .await
            .map_err(|e| anyhow::anyhow!("platform migration {}: {e}", m.key))?;
        sqlx::query(
            "insert into platform.schema_migrations (version, key, name, checksum)
             select coalesce(max(version), 0) + 1, $1, $2, $3 from platform.schema_migrations",
        )
        .bind(&m.key)
        .bind(&m.name)
        .bind(m.checksum())
        .execute(&mut *tx)
        .await?;
        tracing::info!(migration = %m.key, "applied platform migration");
    }
    tx.commit().await?;
    Ok(migrations.len() as i32)
}

/// Applies the pending `migrations` inside `schema`: every one whose key the schema has not
/// recorded, in list order; a recorded one whose checksum differs is an error (nothing is
/// applied). The caller owns the transaction (and the lock); this sets the search_path
/// transaction-locally. Returns (from, to) versions: the number applied before and after.
/// What runs in a tenant schema before its migrations, in the same transaction:
/// - Citus (the scale-out path, docs/operations.md §7) refuses triggers on distributed tables
///   unless `citus.enable_unsafe_triggers` is on. A tenant's triggers only touch tables of its
///   own schema, which Citus keeps on one node, the case the setting's warning does not concern.
///   On plain PostgreSQL it is an inert placeholder setting.
/// - The ledger of applied migrations; its `key` column came later, so older schemas get it
///   here. The constraint is named because Citus refuses an unnamed one in `ADD COLUMN`; the
///   name is the one PostgreSQL gave it before.
///
/// `tests/api/citus.rs` checks it with the migrations.
pub const TENANT_MIGRATIONS_PREAMBLE: &str = "SET LOCAL citus.enable_unsafe_triggers = on;
     create table if not exists schema_migrations (
         version integer primary key,
         name text not null,
         checksum bytea not null,
         applied_at timestamptz not null default now());
     alter table schema_migrations
         add column if not exists key text constraint schema_migrations_key_key unique;
     update schema_migrations set key = lpad(version::text, 4, '0') || '_' || name
     where key is null";

/// Creates a tenant schema and applies `migrations` to it, in the caller's transaction.
///
/// Under Citus (docs/operations.md §7) the schema is made a plain one
/// (`citus.enable_schema_based_sharding` off for this transaction) and distributed once migrated
/// (`citus_schema_distribute`). The migrations that landed before Citus became the scale-out
/// path then run on plain tables, as they did for every tenant that existed; a migration applied
/// to an existing tenant later runs on its distributed schema and must keep to Citus's rules
/// (`tests/api/citus.rs`). On plain PostgreSQL the setting is an inert placeholder and nothing is
/// distributed. The schema name is server-made (`SchemaName`), so it can be spliced in.
pub(in crate::host) async fn create_tenant_schema(
    conn: &mut PgConnection,
    schema: &SchemaName,
    migrations: &[Migration],
) -> Result<(i32, i32), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(format!(
        "SET LOCAL citus.enable_schema_based_sharding = off; CREATE SCHEMA {}",
        schema.quoted()
    )))
    .execute(&mut *conn)
    .await?;
    let versions = apply_tenant_migrations(conn, schema, migrations).await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DO $$ BEGIN
             IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
                 PERFORM citus_schema_distribute('{}'::regnamespace);
             END IF;
         END $$",
        schema.quoted()
    )))
    .execute(&mut *conn)
    .await?;
    Ok(versions)
}

pub(in crate::host) async fn apply_tenant_migrations(
    conn: &mut PgConnection,
    schema: &SchemaName,
    migrations: &[Migration],
) -> Result<(i32, i32), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(format!(
        "SET LOCAL search_path TO {}, public; {TENANT_MIGRATIONS_PREAMBLE}",
        schema.quoted()
    )))
    .execute(&mut *conn)
    .await?;
    let applied: Vec<(String, Vec<u8>)> =
        sqlx::query_as("select key, checksum from schema_migrations")
            .fetch_all(&mut *conn)
            .await?;
    let from = applied.len() as i32;
    let mut to = from;
    for m in migrations {
        if let Some((_, sum)) = applied.iter().find(|(k, _)| *k == m.key) {
            if *sum != m.checksum() {
                return Err(sqlx::Error::Protocol(format!(
                    "tenant migration {} was changed after it was applied; migrations are never edited",
                    m.key
                )));
            }
            continue;
        }
        sqlx::raw_sql(AssertSqlSafe(m.sql.clone()))
            .execute(&mut *conn)
            .await?;
        to += 1;
        sqlx::query(
            "insert into schema_migrations (version, key, name, checksum) values ($1, $2, $3, $4)",
        )
        .bind(to)
        .bind(&m.key)
        .bind(&m.name)
        .bind(m.checksum())
        .execute(&mut *conn)
        .await?;
    }
    Ok((from, to))
}

/// Which tenants a migration run covers.
#[derive(Debug, Clone)]
pub enum TenantFilter {
    All,
    Ids(Vec<Uuid>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrationStatus {
    Migrated,
    Current,
    Failed,
}

/// The result for one tenant (API.md §6: `{tenant_id, slug, from_version, to_version, status,
/// error}`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationOutcome {
    pub tenant_id: Uuid,
    pub slug: String,
    pub from_version: i32,
    pub to_version: i32,
    pub status: MigrationStatus,
    pub error: Option<String>,
    /// What the [`TenantStep`] changed: system roles the catalogue sync created or gave new
    /// permissions to (each audited as `role.synced` in the tenant). The status stays
    /// `current` when only these changed.
    pub catalog_changes: usize,
}

/// Migrates every tenant matching `filter` to the last of `migrations` and runs `step` in it,
/// `concurrency` at a time (`crate::tenancy::migrate_tenants` passes the catalogue sync).
/// Tenants still provisioning (their provisioning transaction applies migrations and the
/// catalogue itself) and archived tenants are not touched; a tenant at the latest version whose
/// step digest matches is skipped.
pub async fn migrate_tenants(
    db: &Db,
    step: &dyn TenantStep,
    migrations: &[Migration],
    filter: &TenantFilter,
    concurrency: usize,
) -> anyhow::Result<Vec<MigrationOutcome>> {
    let latest = migrations.len() as i32;
    let ids: Option<Vec<Uuid>> = match filter {
        TenantFilter::All => None,
        TenantFilter::Ids(ids) => Some(ids.clone()),
    };
    let rows = sqlx::query_as::<_, (Uuid, String, String, i32, String, Option<String>)>(
        "select id, slug, schema_name, schema_version, kind, catalog_digest from platform.tenants
         where status not in ('provisioning', 'archived') and ($1::uuid[] is null or id = any($1))
         order by created_at, id",
    )
    .bind(ids)
    // Platform SQL outside a transaction: the direct pool, never PgBouncer (see `Db::platform`).
    .fetch_all(&db.platform)
    .await?;
    let digests: Vec<(TenantKind, String)> = TenantKind::ALL
        .iter()
        .map(|k| (*k, step.digest(*k)))
        .collect();
    let digests = &digests;
    let outcomes = stream::iter(rows)
        .map(|(id, slug, schema_name, version, kind, digest)| async move {
            let kind = TenantKind::parse(&kind);
            let current = digests
                .iter()
                .find(|(k, _)| Some(*k) == kind)
                .map(|(_, d)| d);
            if version >= latest && digest.is_some() && digest.as_ref() == current {
                return MigrationOutcome {
                    tenant_id: id,
                    slug,
                    from_version: version,
                    to_version: version,
                    status: MigrationStatus::Current,
                    error: None,
                    catalog_changes: 0,
                };
            }
            let schema = SchemaName::parse(&schema_name);
            match migrate_one(db, step, id, schema, kind, migrations).await {
                Ok((from, to, catalog_changes)) => MigrationOutcome {
                    tenant_id: id,
                    slug,
                    from_version: from,
                    to_version: to,
                    status: if from == to {
                        MigrationStatus::Current
                    } else {
                        MigrationStatus::Migrated
                    },
                    error: None,
                    catalog_changes,
                },
                Err(err) => {
                    let message = format!("{err:#}");
                    tracing::error!(tenant.id = %id, error = %message, "tenant migration failed");
                    let _ = sqlx::query(
                        "update platform.tenants set last_migration_error = $2 where id = $1",
                    )
                    .bind(id)
                    .bind(&message)
                    .execute(&db.platform)
                    .await;
                    MigrationOutcome {
                        tenant_id: id,
                        slug,
                        from_version: version,
                        to_version: version,
                        status: MigrationStatus::Failed,
                        error: Some(message),
                        catalog_changes: 0,
                    }
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    Ok(outcomes)
}

/// One tenant: its pending migrations, then the step, in one transaction under the tenant's
/// lock. Returns (from, to, the step's changes).
async fn migrate_one(
    db: &Db,
    step: &dyn TenantStep,
    id: Uuid,
    schema: Option<SchemaName>,
    kind: Option<TenantKind>,
    migrations: &[Migration],
) -> anyhow::Result<(i32, i32, usize)> {
    let schema =
        schema.ok_or_else(|| anyhow::anyhow!("tenant {id} has a malformed schema name"))?;
    let kind = kind.ok_or_else(|| anyhow::anyhow!("tenant {id} has an unknown kind"))?;
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('flightline:tenant:' || $1::text, 0))",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let (from, to) = apply_tenant_migrations(&mut tx, &schema, migrations).await?;
    let done = step.run(&mut tx, kind, id).await?;
    sqlx::query(
        "update platform.tenants
         set schema_version = $2, catalog_digest = $3, last_migration_error = null
         where id = $1",
    )
    .bind(id)
    .bind(to)
    // Without a digest the next run looks again (a system role it could not create yet).
    .bind(done.complete.then(|| step.digest(kind)))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((from, to, done.changes))
}
