//! Tenant schema versions: `POST /tenants/:id/migrate` and `GET /migrations`.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::{
    MigrationResult, MigrationResultPage, TenantVersion, TenantVersionPage, conflict, load,
};
use crate::db::{self, TenantFilter};
use crate::error::Result;
use crate::http::page;
use crate::platform::operators::{self, Change, PlatformAuth};
use crate::state::AppState;
use crate::tenancy::TenantStatus;

/// A tenant's schema version as `GET /migrations` reads it.
#[derive(sqlx::FromRow)]
struct VersionRow {
    id: Uuid,
    slug: String,
    status: String,
    schema_version: i32,
    last_migration_error: Option<String>,
}

pub(super) async fn migrate(
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
    let outcomes = crate::tenancy::migrate_tenants(
        &state.db,
        state.registry.catalog(),
        &db::tenant_migrations(),
        &TenantFilter::Ids(vec![t.id]),
        1,
    )
    .await?;
    // The sync told the replicas over PostgreSQL; over Redis, and here, it is said now.
    for o in outcomes.iter().filter(|o| o.catalog_changes > 0) {
        state
            .access
            .invalidate(crate::auth::access::Invalidation::Tenant(o.tenant_id));
    }
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

pub(super) async fn page(
    state: Data<&Arc<AppState>>,
    _auth: PlatformAuth,
    limit: Query<page::Limit>,
    cursor: Query<Option<String>>,
) -> Result<Json<TenantVersionPage>> {
    let limit = limit.0.get();
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
