//! Tenant administration from the command line (`flightline tenants ...`, API.md §5): the
//! platform SQL behind `list`, `update`, `suspend`/`resume` and `force-flag`. Each change writes
//! its operator audit row (actor `cli`) in the same transaction. `crate::cli` parses and prints.

use crate::db::Db;
use crate::kernel::manifest::Catalog;
use crate::platform::operators::{self, Actor, Change};
use crate::tenancy::TenantStatus;

/// One line of `flightline tenants list`.
pub struct TenantLine {
    pub slug: String,
    pub id: uuid::Uuid,
    pub kind: String,
    pub status: String,
    pub plan: String,
    pub schema_version: i32,
}

/// Every tenant, by slug.
pub async fn list(db: &Db) -> anyhow::Result<Vec<TenantLine>> {
    let rows: Vec<(String, uuid::Uuid, String, String, String, i32)> = sqlx::query_as(
        "select slug, id, kind, status, plan, schema_version from platform.tenants order by slug",
    )
    .fetch_all(db.platform())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(slug, id, kind, status, plan, schema_version)| TenantLine {
                slug,
                id,
                kind,
                status,
                plan,
                schema_version,
            },
        )
        .collect())
}

/// The id of the tenant with `slug`.
pub async fn tenant_id(db: &Db, slug: &str) -> anyhow::Result<uuid::Uuid> {
    sqlx::query_scalar("select id from platform.tenants where slug = $1")
        .bind(slug)
        .fetch_optional(db.platform())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant {slug}"))
}

/// Renames a tenant and/or changes its plan (an archived one is left alone).
pub async fn update(
    db: &Db,
    slug: &str,
    name: Option<&str>,
    plan: Option<&str>,
) -> anyhow::Result<()> {
    let id = tenant_id(db, slug).await?;
    let mut tx = db.platform().begin().await?;
    sqlx::query("update platform.tenants set name = coalesce($2, name), plan = coalesce($3, plan) where id = $1 and status <> 'archived'")
        .bind(id)
        .bind(name)
        .bind(plan)
        .execute(&mut *tx)
        .await?;
    operators::record(
        &mut *tx,
        Actor::cli(),
        Change {
            action: "tenant.updated",
            tenant_id: Some(id),
            resource_type: "tenant",
            resource_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({"name": name, "plan": plan})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Forces (`on`, `off`) or clears (`clear`) a feature flag of a tenant: a plan limit its admins
/// cannot change. `catalog` says which flags exist.
pub async fn force_flag(
    db: &Db,
    catalog: &Catalog,
    slug: &str,
    key: &str,
    value: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(catalog.flag(key).is_some(), "unknown flag {key}");
    let sql = match value {
        "on" | "off" => {
            "update platform.tenants set forced_flags = forced_flags || jsonb_build_object($2::text, $3::boolean) where slug = $1"
        }
        "clear" => {
            "update platform.tenants set forced_flags = forced_flags - $2::text where slug = $1 and $3::boolean is not null"
        }
        _ => anyhow::bail!("the value must be on, off or clear"),
    };
    let n = sqlx::query(sql)
        .bind(slug)
        .bind(key)
        .bind(value == "on")
        .execute(db.platform())
        .await?
        .rows_affected();
    anyhow::ensure!(n == 1, "no tenant {slug}");
    Ok(())
}

/// Suspends (by an operator) or resumes a tenant.
pub async fn set_status(db: &Db, slug: &str, status: TenantStatus) -> anyhow::Result<()> {
    let from = if status == TenantStatus::Active {
        vec!["suspended", "past_due"]
    } else {
        vec!["active", "past_due"]
    };
    let reason = (status == TenantStatus::Suspended).then_some("operator");
    let mut tx = db.platform().begin().await?;
    let id: Option<uuid::Uuid> = sqlx::query_scalar(
        "update platform.tenants set status = $2, status_reason = $4 where slug = $1 and status = any($3) returning id",
    )
    .bind(slug)
    .bind(status.as_str())
    .bind(&from)
    .bind(reason)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| {
        anyhow::anyhow!(
            "no tenant {slug} in a state that can become {}",
            status.as_str()
        )
    })?;
    operators::record(
        &mut *tx,
        Actor::cli(),
        Change {
            action: if status == TenantStatus::Suspended {
                "tenant.suspended"
            } else {
                "tenant.resumed"
            },
            tenant_id: Some(id),
            resource_type: "tenant",
            resource_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({"status": status.as_str(), "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
