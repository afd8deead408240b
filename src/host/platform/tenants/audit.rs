//! `GET /audit-logs`: the platform audit log.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::{PlatformAuditEntry, PlatformAuditPage};
use crate::error::Result;
use crate::http::page;
use crate::platform::operators::PlatformAuth;
use crate::state::AppState;

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

pub(super) async fn page(
    state: Data<&Arc<AppState>>,
    _auth: PlatformAuth,
    limit: Query<page::Limit>,
    cursor: Query<Option<String>>,
    tenant_id: Query<Option<Uuid>>,
    operator_id: Query<Option<Uuid>>,
    action: Query<Option<String>>,
) -> Result<Json<PlatformAuditPage>> {
    let limit = limit.0.get();
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
