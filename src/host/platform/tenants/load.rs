//! Reading tenants for operators: the row, its view and its usage counted in the tenant's
//! schema.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::{PlatformTenant, Usage};
use crate::db::SchemaName;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::tenancy::{TenantKind, TenantStatus};

pub(super) const COLUMNS: &str = "id, slug, name, kind, status, status_reason, plan, schema_name, schema_version, created_at, trial_ends_at, limits, admin_email, last_migration_error";

/// A `platform.tenants` row as [`COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
pub(super) struct TenantRow {
    id: Uuid,
    slug: String,
    name: String,
    kind: String,
    status: String,
    status_reason: Option<String>,
    plan: String,
    schema_name: String,
    schema_version: i32,
    created_at: DateTime<Utc>,
    trial_ends_at: Option<DateTime<Utc>>,
    limits: serde_json::Value,
    admin_email: Option<String>,
    last_migration_error: Option<String>,
}

pub(super) fn tenant_row(row: &TenantRow) -> Result<PlatformTenant> {
    let limits = &row.limits;
    Ok(PlatformTenant {
        id: row.id,
        slug: row.slug.clone(),
        name: row.name.clone(),
        kind: TenantKind::parse(&row.kind)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown tenant kind")))?,
        status: TenantStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown tenant status")))?,
        status_reason: row.status_reason.clone(),
        plan: row.plan.clone(),
        schema_version: row.schema_version,
        created_at: row.created_at,
        trial_ends_at: row.trial_ends_at,
        users_count: None,
        usage: None,
        limits: limits
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n)))
                    .collect()
            })
            .unwrap_or_default(),
        admin_email: row.admin_email.clone(),
        last_migration_error: row.last_migration_error.clone(),
    })
}

/// Counts usage in each listed tenant's schema with one statement (a `UNION ALL` of one small
/// select per schema; schema names are server-made and quoted). Tenants without a schema
/// (provisioning, archived) are skipped.
pub(super) async fn add_usage(
    state: &AppState,
    rows: &[TenantRow],
    tenants: &mut [PlatformTenant],
) -> Result<()> {
    // Tables counted exist from these tenant migrations on (a tenant whose migration failed
    // may be behind).
    let (attachments_from, fleet_from) = (6, 7);
    let mut parts = Vec::new();
    for (row, t) in rows.iter().zip(tenants.iter()) {
        if matches!(
            t.status,
            TenantStatus::Provisioning | TenantStatus::Archived
        ) {
            continue;
        }
        let Some(schema) = SchemaName::parse(&row.schema_name) else {
            continue;
        };
        let s = schema.quoted();
        let files = if t.schema_version >= attachments_from {
            format!(
                "(select count(*) from {s}.attachments), (select coalesce(sum(size_bytes), 0)::bigint from {s}.attachments)"
            )
        } else {
            "0::bigint, 0::bigint".into()
        };
        let aircraft = if t.schema_version >= fleet_from {
            format!("(select count(*) from {s}.aircraft where status <> 'retired')")
        } else {
            "0::bigint".into()
        };
        parts.push(format!(
            "select '{}'::uuid as id, (select count(*) from {s}.users where is_active) as users, {aircraft}, {files}",
            t.id
        ));
    }
    if parts.is_empty() {
        return Ok(());
    }
    // Columns by position: id, users, aircraft, attachments, attachment bytes.
    let counted =
        sqlx::query_as::<_, (Uuid, i64, i64, i64, i64)>(AssertSqlSafe(parts.join(" union all ")))
            .fetch_all(state.db.platform())
            .await?;
    for (id, users, aircraft, attachments, attachment_bytes) in counted {
        if let Some(t) = tenants.iter_mut().find(|t| t.id == id) {
            let usage = Usage {
                users,
                aircraft,
                attachments,
                attachment_bytes,
            };
            t.users_count = Some(usage.users);
            t.usage = Some(usage);
        }
    }
    Ok(())
}

pub(super) async fn load(state: &AppState, id: Uuid) -> Result<PlatformTenant> {
    let row = sqlx::query_as::<_, TenantRow>(AssertSqlSafe(format!(
        "select {COLUMNS} from platform.tenants where id = $1"
    )))
    .bind(id)
    .fetch_optional(state.db.platform())
    .await?
    .ok_or(AppError::NotFound("tenant"))?;
    let mut t = [tenant_row(&row)?];
    add_usage(state, std::slice::from_ref(&row), &mut t).await?;
    let [t] = t;
    Ok(t)
}

pub(super) fn conflict(detail: impl Into<String>) -> AppError {
    AppError::Conflict {
        code: "conflict",
        detail: detail.into(),
        field: None,
    }
}
