//! Provisioning: a tenant is created in two steps so a crash can never leave a half-made tenant
//! serving requests.
//!
//! 1. *Reserve*: one short transaction inserts the tenant row with status `provisioning` (the
//!    slug is now taken; requests answer `503 tenant-provisioning`) and what step 2 needs.
//! 2. *Complete*: one transaction claims a warm schema by renaming it (or creates one and runs
//!    every tenant migration when the warm pool is empty), seeds the roles of the tenant kind
//!    (through the catalogue sync, which also records what the tenant was offered) and the
//!    admin user, and flips the status to `active`. DDL is transactional in PostgreSQL, so
//!    this step either happens entirely or not at all.
//!
//! A crash between or during the steps leaves only the reserved row; [`finish_stuck`] (run at
//! start-up and periodically) completes it, or deletes it when it cannot be completed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

use super::{Tenant, TenantKind, TenantRegistry};
use crate::db::{Db, SchemaName, apply_tenant_migrations, create_tenant_schema, tenant_migrations};
use crate::kernel::Catalog;

/// What a new tenant needs. The admin's password arrives already hashed (argon2id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub kind: TenantKind,
    pub plan: String,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_password_hash: Option<String>,
    pub trial_ends_at: Option<DateTime<Utc>>,
}

/// Where a test makes provisioning fail, to prove nothing half-made serves requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the reservation committed, before the schema exists (a crash between the steps).
    AfterReserve,
    /// Inside the completing transaction, after the schema was created and migrated.
    AfterSchema,
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("slug is already taken")]
    SlugTaken,
    #[error("injected failure at {0:?}")]
    Injected(FailPoint),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A provisioned tenant, and whether its schema came from the warm pool.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub tenant: Tenant,
    pub from_warm_pool: bool,
}

/// Creates a tenant, atomically from the point of view of every request. Returns it active.
pub async fn provision(
    db: &Db,
    registry: &TenantRegistry,
    new: &NewTenant,
    fail: Option<FailPoint>,
) -> Result<Provisioned, ProvisionError> {
    let id = Uuid::now_v7();
    let schema = SchemaName::for_tenant(id);
    let reserved = sqlx::query(
        "insert into platform.tenants (id, slug, name, kind, status, plan, schema_name, trial_ends_at, provisioning, admin_email)
         values ($1, $2, $3, $4, 'provisioning', $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&new.slug)
    .bind(&new.name)
    .bind(new.kind.as_str())
    .bind(&new.plan)
    .bind(schema.as_str())
    .bind(new.trial_ends_at)
    .bind(sqlx::types::Json(new))
    .bind(&new.admin_email)
    .execute(db.platform())
    .await;
    if let Err(sqlx::Error::Database(e)) = &reserved
        && e.code().as_deref() == Some("23505")
    {
        return Err(ProvisionError::SlugTaken);
    }
    reserved?;
    if fail == Some(FailPoint::AfterReserve) {
        return Err(ProvisionError::Injected(FailPoint::AfterReserve));
    }
    let from_warm_pool = match complete(db, registry.catalog(), id, fail).await {
        Ok(warm) => warm,
        Err(e) => {
            let _ =
                sqlx::query("update platform.tenants set provisioning_error = $2 where id = $1")
                    .bind(id)
                    .bind(e.to_string())
                    .execute(db.platform())
                    .await;
            return Err(e);
        }
    };
    registry.invalidate(id);
    let tenant = registry
        .by_id(id)
        .await?
        .map(|t| (*t).clone())
        .ok_or(ProvisionError::Db(sqlx::Error::RowNotFound))?;
    Ok(Provisioned {
        tenant,
        from_warm_pool,
    })
}

/// Step 2. Idempotent: a tenant already active is left alone. Returns whether a warm schema
/// was claimed.
async fn complete(
    db: &Db,
    catalog: &Catalog,
    id: Uuid,
    fail: Option<FailPoint>,
) -> Result<bool, ProvisionError> {
    let mut tx = db.platform().begin().await?;
    let Some((schema_name, new)) = sqlx::query_as::<_, (String, sqlx::types::Json<NewTenant>)>(
        "select schema_name, provisioning from platform.tenants
         where id = $1 and status = 'provisioning' for update",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(false);
    };
    let schema = SchemaName::parse(&schema_name).ok_or(sqlx::Error::RowNotFound)?;
    let migrations = tenant_migrations();
    let latest = migrations.len() as i32;

    let warm: Option<String> = sqlx::query_scalar(
        "delete from platform.warm_schemas where schema_name = (
             select schema_name from platform.warm_schemas where schema_version = $1
             order by created_at for update skip locked limit 1)
         returning schema_name",
    )
    .bind(latest)
    .fetch_optional(&mut *tx)
    .await?;
    match warm.as_deref().and_then(SchemaName::parse) {
        Some(warm) => {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "ALTER SCHEMA {} RENAME TO {}",
                warm.quoted(),
                schema.quoted()
            )))
            .execute(&mut *tx)
            .await?;
        }
        None => {
            create_tenant_schema(&mut tx, &schema, &migrations).await?;
        }
    }
    // Brings a claimed warm schema up to date (normally a no-op), and sets the search_path.
    let (_, version) = apply_tenant_migrations(&mut tx, &schema, &migrations).await?;
    if fail == Some(FailPoint::AfterSchema) {
        return Err(ProvisionError::Injected(FailPoint::AfterSchema));
    }
    seed(&mut tx, catalog, id, &new).await?;
    sqlx::query(
        "update platform.tenants
         set status = 'active', schema_version = $2, catalog_digest = $3, provisioning = null,
             provisioning_error = null
         where id = $1",
    )
    .bind(id)
    .bind(version)
    .bind(super::catalog_sync::digest(catalog, new.kind))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %id, warm = warm.is_some(), "tenant provisioned");
    Ok(warm.is_some())
}

/// Seeds the roles of the tenant kind and the admin user (search_path is the new schema).
async fn seed(
    conn: &mut PgConnection,
    catalog: &Catalog,
    tenant: Uuid,
    new: &NewTenant,
) -> Result<(), sqlx::Error> {
    super::catalog_sync::sync(&mut *conn, catalog, new.kind, tenant).await?;
    let admin_role: Option<Uuid> =
        sqlx::query_scalar("select id from roles where name = 'admin' and is_system")
            .fetch_optional(&mut *conn)
            .await?;
    let user_id = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, name, password_hash, is_active) values ($1, $2, $3, $4, true)",
    )
    .bind(user_id)
    .bind(&new.admin_email)
    .bind(&new.admin_name)
    .bind(&new.admin_password_hash)
    .execute(&mut *conn)
    .await?;
    if let Some(role_id) = admin_role {
        sqlx::query("insert into user_roles (user_id, role_id) values ($1, $2)")
            .bind(user_id)
            .bind(role_id)
            .execute(&mut *conn)
            .await?;
    }
    crate::audit::record(
        &mut *conn,
        crate::audit::Actor::system(),
        crate::audit::Change {
            action: "tenant.provisioned",
            resource_type: "tenant",
            resource_id: None,
            before: None,
            after: Some(json!({"slug": new.slug, "kind": new.kind.as_str(), "plan": new.plan, "admin_user_id": user_id})),
        },
    )
    .await
}

/// Completes tenants left in `provisioning` for longer than `older_than_seconds` (a crash
/// midway), or deletes them when they cannot be completed; `only` restricts it to one tenant.
/// Returns (completed, removed).
pub async fn finish_stuck(
    db: &Db,
    catalog: &Catalog,
    older_than_seconds: i64,
    only: Option<Uuid>,
) -> anyhow::Result<(usize, usize)> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select id from platform.tenants
         where status = 'provisioning' and updated_at < now() - make_interval(secs => $1)
           and ($2::uuid is null or id = $2)",
    )
    .bind(older_than_seconds as f64)
    .bind(only)
    .fetch_all(db.platform())
    .await?;
    let (mut completed, mut removed) = (0, 0);
    for id in ids {
        match complete(db, catalog, id, None).await {
            Ok(_) => completed += 1,
            Err(e) => {
                tracing::warn!(tenant.id = %id, error = %e, "cannot complete provisioning; removing the reservation");
                // Nothing of the tenant exists outside this row: step 2 rolled back whole.
                sqlx::query(
                    "delete from platform.tenants where id = $1 and status = 'provisioning'",
                )
                .bind(id)
                .execute(db.platform())
                .await?;
                removed += 1;
            }
        }
    }
    Ok((completed, removed))
}
