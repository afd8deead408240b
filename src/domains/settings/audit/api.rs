//! The handlers of `GET /api/v1/settings/audit-logs` and `GET /api/v1/settings/audit-logs/export`.

use chrono::{DateTime, Utc};
use futures_util::stream;
use poem::Body;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use uuid::Uuid;

use super::dto::{AuditPage, ExportFormat};
use super::export::{Export, ExportState, next_chunk};
use super::repo::{Filter, fetch};
use crate::auth::TenantCtx;
use crate::error::Result;
use crate::kernel::page;

pub struct AuditApi;

#[OpenApi(
    prefix_path = "/api/v1/settings/audit-logs",
    tag = "super::Tag::Settings"
)]
impl AuditApi {
    /// The audit log, newest first, with keyset pagination.
    ///
    /// Permission: `audit.read`. Filters: `actor_id`, `action`, `resource_type`,
    /// `resource_id`, `since` (inclusive), `until` (exclusive).
    #[oai(path = "/", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        actor_id: Query<Option<Uuid>>,
        action: Query<Option<String>>,
        resource_type: Query<Option<String>>,
        resource_id: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
    ) -> Result<Json<AuditPage>> {
        ctx.require(super::AUDIT_READ)?;
        let limit = limit.0.get();
        let before = page::decode_id_cursor(cursor.0.as_deref())?;
        let filter = Filter {
            actor_id: actor_id.0,
            action: action.0,
            resource_type: resource_type.0,
            resource_id: resource_id.0,
            since: since.0,
            until: until.0,
        }
        .check()?;
        let mut tx = ctx.begin().await?;
        let rows = fetch(&mut tx, &filter, before, true, limit + 1).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |e| e.id);
        Ok(Json(AuditPage { items, next_cursor }))
    }

    /// Export the filtered audit log as CSV or JSON lines, oldest first, streamed in constant
    /// memory (batches of 1,000 rows, each read in its own short transaction).
    ///
    /// Permission: `audit.read`. Same filters as the list.
    #[oai(path = "/export", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn export(
        &self,
        ctx: TenantCtx,
        /// `csv` or `jsonl`.
        format: Query<ExportFormat>,
        actor_id: Query<Option<Uuid>>,
        action: Query<Option<String>>,
        resource_type: Query<Option<String>>,
        resource_id: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
    ) -> Result<Export> {
        ctx.require(super::AUDIT_READ)?;
        let filter = Filter {
            actor_id: actor_id.0,
            action: action.0,
            resource_type: resource_type.0,
            resource_id: resource_id.0,
            since: since.0,
            until: until.0,
        }
        .check()?;
        let start = ExportState {
            scope: ctx.scope(),
            filter,
            format: format.0,
            cursor: None,
            header_sent: false,
            done: false,
        };
        let body = Body::from_bytes_stream(stream::unfold(start, next_chunk));
        Ok(match format.0 {
            ExportFormat::Csv => Export::Csv(Binary(body)),
            ExportFormat::Jsonl => Export::Jsonl(Binary(body)),
        })
    }
}
