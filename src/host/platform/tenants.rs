//! `/api/v1/platform/tenants`, `/api/v1/platform/migrations`, `/api/v1/platform/audit-logs`:
//! tenant administration by platform operators. Reads need any operator; changes need an
//! owner. Every change writes a platform audit row in its transaction.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::operators::{self, Change, PlatformAuth};
use super::{archive, onboarding, plans};
use crate::auth::password::Password;
use crate::db::{self, SchemaName, TenantFilter};
use crate::error::{AppError, FieldError, Result};
use crate::http::{JsonBody, page};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;
use crate::tenancy::{self, NewTenant, ProvisionError, TenantKind, TenantStatus};

/// What a tenant uses, counted in its schema when listed.
#[derive(Object, Clone, Debug, Default, serde::Serialize)]
pub struct Usage {
    /// Active users (the plan's user limit counts these).
    pub users: i64,
    /// Aircraft in the fleet, retired ones excluded (the plan's aircraft limit counts these).
    pub aircraft: i64,
    /// Stored attachments and their bytes.
    pub attachments: i64,
    pub attachment_bytes: i64,
}

/// A tenant as operators see it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct PlatformTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: TenantKind,
    pub status: TenantStatus,
    /// Why it is suspended: `operator`, `billing` or `trial_ended`.
    pub status_reason: Option<String>,
    pub plan: String,
    pub schema_version: i32,
    pub created_at: DateTime<Utc>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Active users (null while provisioning or archived).
    pub users_count: Option<i64>,
    pub usage: Option<Usage>,
    /// Limits set for this tenant over its plan's (`users`, `aircraft`).
    pub limits: HashMap<String, i64>,
    pub admin_email: Option<String>,
    pub last_migration_error: Option<String>,
}

/// A new tenant: the signup body; without `admin_password` the admin is invited by e-mail.
#[derive(Object)]
pub struct PlatformTenantCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub organization_name: String,
    #[oai(validator(min_length = 3, max_length = 40))]
    pub slug: String,
    pub kind: TenantKind,
    #[oai(validator(min_length = 3, max_length = 254))]
    pub admin_email: String,
    /// Omit to send the admin an invitation instead.
    pub admin_password: Option<Password>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub admin_name: String,
    pub plan: String,
}

/// Counted limits for one tenant; `null` removes the override (the plan's applies again).
#[derive(Object, Debug)]
pub struct LimitsPatch {
    #[oai(validator(minimum(value = "0")))]
    pub users: MaybeUndefined<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub aircraft: MaybeUndefined<i64>,
}

#[derive(Object)]
pub struct PlatformTenantUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// Flags and limits follow the plan at once.
    pub plan: Option<String>,
    pub limits: Option<LimitsPatch>,
}

#[derive(Object)]
pub struct PlatformTenantPage {
    pub items: Vec<PlatformTenant>,
    pub next_cursor: Option<String>,
}

#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct MigrationResult {
    pub tenant_id: Uuid,
    pub slug: String,
    pub from_version: i32,
    pub to_version: i32,
    /// `migrated`, `current` or `failed`.
    pub status: String,
    pub error: Option<String>,
}

#[derive(Object)]
pub struct MigrationResultPage {
    pub items: Vec<MigrationResult>,
    pub next_cursor: Option<String>,
}

/// A tenant's schema version against the latest.
#[derive(Object)]
pub struct TenantVersion {
    pub tenant_id: Uuid,
    pub slug: String,
    pub status: TenantStatus,
    pub schema_version: i32,
    pub latest_version: i32,
    /// `current`, `behind` or `failed` (the last migration attempt failed).
    pub state: String,
    pub last_migration_error: Option<String>,
}

#[derive(Object)]
pub struct TenantVersionPage {
    pub items: Vec<TenantVersion>,
    pub next_cursor: Option<String>,
}

#[derive(Object, Clone, Debug)]
pub struct PlatformAuditEntry {
    pub id: Uuid,
    pub operator_id: Option<Uuid>,
    /// `operator`, `stripe` or `system`.
    pub actor_type: String,
    pub action: String,
    pub tenant_id: Option<Uuid>,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct PlatformAuditPage {
    pub items: Vec<PlatformAuditEntry>,
    pub next_cursor: Option<String>,
}

/// The result of a restore.
#[derive(Object)]
pub struct Restored {
    pub archive_id: Uuid,
    pub tenant: PlatformTenant,
}

#[derive(ApiResponse)]
enum TenantCreated {
    #[oai(status = 201)]
    Created(Json<PlatformTenant>),
}

#[derive(ApiResponse)]
enum ArchiveAccepted {
    /// The tenant is archived (404 everywhere); its schema is dumped and dropped in the
    /// background.
    #[oai(status = 202)]
    Accepted,
}

const COLUMNS: &str = "id, slug, name, kind, status, status_reason, plan, schema_name, schema_version, created_at, trial_ends_at, limits, admin_email, last_migration_error";

/// A `platform.tenants` row as [`COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct TenantRow {
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

fn tenant_row(row: &TenantRow) -> Result<PlatformTenant> {
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
async fn add_usage(
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

async fn load(state: &AppState, id: Uuid) -> Result<PlatformTenant> {
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

fn conflict(detail: impl Into<String>) -> AppError {
    AppError::Conflict {
        code: "conflict",
        detail: detail.into(),
        field: None,
    }
}

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

/// A tenant's schema version as `GET /migrations` reads it.
#[derive(sqlx::FromRow)]
struct VersionRow {
    id: Uuid,
    slug: String,
    status: String,
    schema_version: i32,
    last_migration_error: Option<String>,
}

/// A `platform.audit_logs` row as `GET /audit-logs` reads it.
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    operator_id: Option<Uuid>,
    actor_type: String,
    action: String,
    tenant_id: Option<Uuid>,
    resource_type: String,
    resource_id: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    request_id: Option<String>,
    ip: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<AuditRow> for PlatformAuditEntry {
    fn from(r: AuditRow) -> Self {
        PlatformAuditEntry {
            id: r.id,
            operator_id: r.operator_id,
            actor_type: r.actor_type,
            action: r.action,
            tenant_id: r.tenant_id,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            ip: r.ip,
            created_at: r.created_at,
        }
    }
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
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
        status: Query<Option<TenantStatus>>,
        plan: Query<Option<String>>,
        kind: Query<Option<TenantKind>>,
        q: Query<Option<String>>,
    ) -> Result<Json<PlatformTenantPage>> {
        let limit = page::limit(limit.0)?;
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
        let op = &auth.0;
        op.require_owner()?;
        let mut errors = onboarding::validate(
            &body.slug,
            &body.admin_email,
            &body.organization_name,
            &body.admin_name,
            &body.plan,
        );
        if let Some(Err(m)) = body
            .admin_password
            .as_deref()
            .map(crate::auth::password::check_policy)
        {
            errors.push(FieldError::new("admin_password", m));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let hash = match &body.admin_password {
            Some(p) => Some(state.passwords.hash(p).await?),
            None => None,
        };
        let new = NewTenant {
            slug: body.slug.clone(),
            name: body.organization_name.trim().to_owned(),
            kind: body.kind,
            plan: body.plan.clone(),
            admin_email: body.admin_email.trim().to_owned(),
            admin_name: body.admin_name.trim().to_owned(),
            admin_password_hash: hash,
            trial_ends_at: onboarding::trial_end(&body.plan),
        };
        let tenant = tenancy::provision(&state.db, &state.registry, &new, None)
            .await
            .map(|p| p.tenant)
            .map_err(|e| match e {
                ProvisionError::SlugTaken => AppError::Conflict {
                    code: "conflict",
                    detail: "this slug is already taken".into(),
                    field: Some("slug".into()),
                },
                other => AppError::Internal(other.into()),
            })?;
        state.warm.nudge();
        onboarding::welcome(&state, &tenant, &new, body.admin_password.is_none()).await?;
        crate::billing::queue_customer(&state, tenant.id).await?;
        let view = load(&state, tenant.id).await?;
        operators::record(
            state.db.platform(),
            op.actor(),
            Change {
                action: "tenant.created",
                tenant_id: Some(tenant.id),
                resource_type: "tenant",
                resource_id: Some(tenant.id.to_string()),
                before: None,
                after: crate::audit::snapshot(&view),
            },
        )
        .await?;
        Ok(TenantCreated::Created(Json(view)))
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
        let op = &auth.0;
        op.require_owner()?;
        let t = load(&state, id.0).await?;
        if matches!(
            t.status,
            TenantStatus::Provisioning | TenantStatus::Archived
        ) {
            return Err(conflict(format!(
                "a {} tenant has no schema to migrate",
                t.status.as_str()
            )));
        }
        let outcomes = db::migrate_tenants(
            &state.db,
            &db::tenant_migrations(),
            &TenantFilter::Ids(vec![t.id]),
            1,
        )
        .await?;
        let items: Vec<MigrationResult> = outcomes
            .into_iter()
            .map(|o| MigrationResult {
                tenant_id: o.tenant_id,
                slug: o.slug,
                from_version: o.from_version,
                to_version: o.to_version,
                status: serde_json::to_value(o.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                error: o.error,
            })
            .collect();
        operators::record(
            state.db.platform(),
            op.actor(),
            Change {
                action: "tenant.migrated",
                tenant_id: Some(t.id),
                resource_type: "tenant",
                resource_id: Some(t.id.to_string()),
                before: Some(serde_json::json!({"schema_version": t.schema_version})),
                after: crate::audit::snapshot(&items),
            },
        )
        .await?;
        state.registry.invalidate(t.id);
        Ok(Json(MigrationResultPage {
            items,
            next_cursor: None,
        }))
    }

    /// The schema version of every tenant against the latest migration, behind and failed
    /// first. Filter `state`: `current`, `behind`, `failed`. Any operator.
    #[oai(path = "/migrations", method = "get")]
    async fn migrations(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: PlatformAuth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<TenantVersionPage>> {
        let limit = page::limit(limit.0)?;
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let latest = db::latest_tenant_version();
        let rows = sqlx::query_as::<_, VersionRow>(
            "select id, slug, status, schema_version, last_migration_error from platform.tenants
             where status not in ('provisioning', 'archived') and ($1::uuid is null or id > $1)
             order by id limit $2",
        )
        .bind(after)
        .bind(limit + 1)
        .fetch_all(state.db.platform())
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let version: i32 = r.schema_version;
                let error: Option<String> = r.last_migration_error;
                TenantVersion {
                    tenant_id: r.id,
                    slug: r.slug,
                    status: TenantStatus::parse(&r.status).unwrap_or(TenantStatus::Active),
                    schema_version: version,
                    latest_version: latest,
                    state: if error.is_some() {
                        "failed"
                    } else if version < latest {
                        "behind"
                    } else {
                        "current"
                    }
                    .into(),
                    last_migration_error: error,
                }
            })
            .collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(items, limit, |t| t.tenant_id);
        Ok(Json(TenantVersionPage { items, next_cursor }))
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
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
        tenant_id: Query<Option<Uuid>>,
        operator_id: Query<Option<Uuid>>,
        action: Query<Option<String>>,
    ) -> Result<Json<PlatformAuditPage>> {
        let limit = page::limit(limit.0)?;
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let rows = sqlx::query_as::<_, AuditRow>(
            "select id, operator_id, actor_type, action, tenant_id, resource_type, resource_id, before, after, request_id, ip, created_at
             from platform.audit_logs
             where ($1::uuid is null or id < $1) and ($2::uuid is null or tenant_id = $2)
               and ($3::uuid is null or operator_id = $3) and ($4::text is null or action = $4)
             order by id desc limit $5",
        )
        .bind(after)
        .bind(tenant_id.0)
        .bind(operator_id.0)
        .bind(&action.0)
        .bind(limit + 1)
        .fetch_all(state.db.platform())
        .await?;
        let items = rows
            .into_iter()
            .map(PlatformAuditEntry::from)
            .collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(items, limit, |e| e.id);
        Ok(Json(PlatformAuditPage { items, next_cursor }))
    }
}
