//! `/api/v1/platform/tenants`, `/api/v1/platform/migrations`, `/api/v1/platform/audit-logs`:
//! tenant administration by platform operators. Reads need any operator; changes need an
//! owner. Every change writes a platform audit row in its transaction.
//!
//! The operations are declared here; the longer ones run in `create`, `migrations` and `audit`,
//! the reads shared by all in `load`, the types in `dto`.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::operators::{self, Change, PlatformAuth};
use super::{archive, plans};
use crate::error::{AppError, Result};
use crate::http::{JsonBody, page};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;
use crate::tenancy::{TenantKind, TenantStatus};

mod audit;
mod create;
mod dto;
mod load;
mod migrations;

use dto::{ArchiveAccepted, TenantCreated};
pub use dto::{
    LimitsPatch, MigrationResult, MigrationResultPage, PlatformAuditEntry, PlatformAuditPage,
    PlatformTenant, PlatformTenantCreate, PlatformTenantPage, PlatformTenantUpdate, Restored,
    TenantVersion, TenantVersionPage, Usage,
};
use load::{COLUMNS, TenantRow, add_usage, conflict, load, tenant_row};

/// Suspends or resumes in one transaction with the audit row.
async fn set_status(
    state: &AppState,
    op: &operators::Operator,
    id: Uuid,
    suspend: bool,
) -> Result<PlatformTenant> {
    let before = load(state, id).await?;
    let allowed = if suspend {
        matches!(before.status, TenantStatus::Active | TenantStatus::PastDue)
    } else {
        before.status == TenantStatus::Suspended
    };
    if !allowed {
        return Err(conflict(format!(
            "a {} tenant cannot be {}",
            before.status.as_str(),
            if suspend { "suspended" } else { "resumed" }
        )));
    }
    let mut tx = state.db.platform().begin().await?;
    let (status, reason) = if suspend {
        ("suspended", Some("operator"))
    } else {
        ("active", None)
    };
    sqlx::query("update platform.tenants set status = $2, status_reason = $3 where id = $1")
        .bind(id)
        .bind(status)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    operators::record(
        &mut *tx,
        op.actor(),
        Change {
            action: if suspend { "tenant.suspended" } else { "tenant.resumed" },
            tenant_id: Some(id),
            resource_type: "tenant",
            resource_id: Some(id.to_string()),
            before: Some(serde_json::json!({"status": before.status.as_str(), "reason": before.status_reason})),
            after: Some(serde_json::json!({"status": status, "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    state.registry.invalidate(id);
    load(state, id).await
}

pub struct PlatformTenantsApi;

#[OpenApi(prefix_path = "/api/v1/platform", tag = "CoreTags::Platform")]
impl PlatformTenantsApi {
    /// List tenants, newest first, with status, plan, kind, schema version and usage. Filters:
    /// `status`, `plan`, `kind`, `q` (slug, name or admin e-mail contains). Any operator.
    #[oai(path = "/tenants", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: PlatformAuth,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        status: Query<Option<TenantStatus>>,
        plan: Query<Option<String>>,
        kind: Query<Option<TenantKind>>,
        q: Query<Option<String>>,
    ) -> Result<Json<PlatformTenantPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let pattern = q.0.as_deref().map(page::contains_pattern);
        let rows = sqlx::query_as::<_, TenantRow>(AssertSqlSafe(format!(
            "select {COLUMNS} from platform.tenants
             where ($1::uuid is null or id < $1) and ($2::text is null or status = $2)
               and ($3::text is null or plan = $3) and ($4::text is null or kind = $4)
               and ($5::text is null or slug ilike $5 or name ilike $5 or admin_email ilike $5)
             order by id desc limit $6"
        )))
        .bind(after)
        .bind(status.0.map(TenantStatus::as_str))
        .bind(&plan.0)
        .bind(kind.0.map(TenantKind::as_str))
        .bind(pattern)
        .bind(limit + 1)
        .fetch_all(state.db.platform())
        .await?;
        let mut tenants = rows.iter().map(tenant_row).collect::<Result<Vec<_>>>()?;
        let shown = tenants.len().min(usize::try_from(limit).unwrap_or(0));
        add_usage(&state, &rows[..shown], &mut tenants[..shown]).await?;
        let (items, next_cursor) = page::finish(tenants, limit, |t| t.id);
        Ok(Json(PlatformTenantPage { items, next_cursor }))
    }

    /// Provision a tenant (as signup does). Without `admin_password` the admin receives an
    /// invitation e-mail with a set-password link. Owner only. Duplicate slug → `409`. Audited
    /// as `tenant.created`.
    #[oai(path = "/tenants", method = "post")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        body: JsonBody<PlatformTenantCreate>,
    ) -> Result<TenantCreated> {
        create::create(state, auth, body).await
    }

    /// One tenant with its usage. Any operator.
    #[oai(path = "/tenants/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: PlatformAuth,
        id: Path<Uuid>,
    ) -> Result<Json<PlatformTenant>> {
        Ok(Json(load(&state, id.0).await?))
    }

    /// Rename, change plan (flags and limits follow at once, on every replica within a second)
    /// or set this tenant's own limits. Owner only. Audited as `tenant.updated`.
    #[oai(path = "/tenants/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        id: Path<Uuid>,
        body: JsonBody<PlatformTenantUpdate>,
    ) -> Result<Json<PlatformTenant>> {
        let op = &auth.0;
        op.require_owner()?;
        if body.plan.as_deref().is_some_and(|p| !plans::is_known(p)) {
            return Err(AppError::validation(
                "plan",
                format!("must be one of: {}", plans::PLANS.join(", ")),
            ));
        }
        if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        let before = load(&state, id.0).await?;
        if before.status == TenantStatus::Archived {
            return Err(conflict(
                "an archived tenant cannot be changed; restore it first",
            ));
        }
        let mut limits = before.limits.clone();
        if let Some(l) = &body.limits {
            for (key, v) in [("users", &l.users), ("aircraft", &l.aircraft)] {
                match v {
                    MaybeUndefined::Value(n) => {
                        limits.insert(key.into(), *n);
                    }
                    MaybeUndefined::Null => {
                        limits.remove(key);
                    }
                    MaybeUndefined::Undefined => {}
                }
            }
        }
        let mut tx = state.db.platform().begin().await?;
        sqlx::query("update platform.tenants set name = coalesce($2, name), plan = coalesce($3, plan), limits = $4 where id = $1")
            .bind(id.0)
            .bind(body.name.as_deref().map(str::trim))
            .bind(&body.plan)
            .bind(serde_json::to_value(&limits).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        operators::record(
            &mut *tx,
            op.actor(),
            Change {
                action: "tenant.updated",
                tenant_id: Some(id.0),
                resource_type: "tenant",
                resource_id: Some(id.0.to_string()),
                before: Some(serde_json::json!({"name": before.name, "plan": before.plan, "limits": before.limits})),
                after: Some(serde_json::json!({
                    "name": body.name.as_deref().map(str::trim).unwrap_or(&before.name),
                    "plan": body.plan.as_deref().unwrap_or(&before.plan),
                    "limits": limits,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        state.registry.invalidate(id.0);
        Ok(Json(load(&state, id.0).await?))
    }

    /// Archive a tenant: it answers `404` everywhere at once; its schema is dumped to object
    /// storage and dropped in the background (`202`). The slug stays taken;
    /// `POST .../restore` or `flightline tenants restore` brings it back. Owner only. Audited
    /// as `tenant.archived`.
    #[oai(path = "/tenants/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        id: Path<Uuid>,
    ) -> Result<ArchiveAccepted> {
        let op = &auth.0;
        op.require_owner()?;
        let t = load(&state, id.0).await?;
        if !archive::begin(&state, t.id, op.actor(), true).await? {
            return Err(conflict(format!(
                "a {} tenant cannot be archived",
                t.status.as_str()
            )));
        }
        Ok(ArchiveAccepted::Accepted)
    }

    /// Restore an archived tenant from its newest archive, migrate it to the current version
    /// and give it back the status it had when it was archived (a suspended tenant stays
    /// suspended, with its reason). Owner only. `409` unless archived with a stored archive. Audited as
    /// `tenant.restored`.
    #[oai(path = "/tenants/:id/restore", method = "post")]
    async fn restore(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Restored>> {
        let op = &auth.0;
        op.require_owner()?;
        let t = load(&state, id.0).await?;
        if t.status != TenantStatus::Archived {
            return Err(conflict("only an archived tenant can be restored"));
        }
        let archive_id = archive::restore(&state, t.id, None, op.actor())
            .await
            .map_err(|e| conflict(format!("{e:#}")))?;
        Ok(Json(Restored {
            archive_id,
            tenant: load(&state, t.id).await?,
        }))
    }

    /// Suspend a tenant: `403 tenant-suspended` on every replica within a second. Owner only.
    /// Audited as `tenant.suspended`.
    #[oai(path = "/tenants/:id/suspend", method = "post")]
    async fn suspend(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        id: Path<Uuid>,
    ) -> Result<Json<PlatformTenant>> {
        auth.0.require_owner()?;
        Ok(Json(set_status(&state, &auth.0, id.0, true).await?))
    }

    /// Resume a suspended tenant. Owner only. Audited as `tenant.resumed`.
    #[oai(path = "/tenants/:id/resume", method = "post")]
    async fn resume(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        id: Path<Uuid>,
    ) -> Result<Json<PlatformTenant>> {
        auth.0.require_owner()?;
        Ok(Json(set_status(&state, &auth.0, id.0, false).await?))
    }

    /// Apply pending tenant migrations to this tenant. Owner only. Audited as
    /// `tenant.migrated`.
    #[oai(path = "/tenants/:id/migrate", method = "post")]
    async fn migrate(
        &self,
        state: Data<&Arc<AppState>>,
        auth: PlatformAuth,
        id: Path<Uuid>,
    ) -> Result<Json<MigrationResultPage>> {
        migrations::migrate(state, auth, id).await
    }

    /// The schema version of every tenant against the latest migration, behind and failed
    /// first. Filter `state`: `current`, `behind`, `failed`. Any operator.
    #[oai(path = "/migrations", method = "get")]
    async fn migrations(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: PlatformAuth,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<TenantVersionPage>> {
        migrations::page(state, _auth, limit, cursor).await
    }

    /// The platform audit log, newest first: operator actions, Stripe events applied, system
    /// jobs. Filters: `tenant_id`, `operator_id`, `action`. Any operator.
    #[oai(path = "/audit-logs", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn audit(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: PlatformAuth,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        tenant_id: Query<Option<Uuid>>,
        operator_id: Query<Option<Uuid>>,
        action: Query<Option<String>>,
    ) -> Result<Json<PlatformAuditPage>> {
        audit::page(state, _auth, limit, cursor, tenant_id, operator_id, action).await
    }
}
