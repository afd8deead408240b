//! The export: its response (one `200` in two content types), the CSV lines, and the stream
//! that reads the filtered log in batches.

use poem::Body;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Binary;
use serde_json::Value;
use uuid::Uuid;

use super::dto::{AuditEntry, ExportFormat};
use super::repo::{Filter, fetch};
use crate::kernel::units::wire;
use crate::tenancy::TenantScope;

/// The export: one `200` response in two content types. Written out by hand because the
/// derive gives each variant its own `200` entry and the document kept only the last one.
pub(super) enum Export {
    Csv(Binary<Body>),
    Jsonl(Binary<Body>),
}

const CSV: &str = "text/csv; charset=utf-8";
const JSONL: &str = "application/x-ndjson";

impl poem::IntoResponse for Export {
    fn into_response(self) -> poem::Response {
        let (content_type, Binary(body)) = match self {
            Self::Csv(b) => (CSV, b),
            Self::Jsonl(b) => (JSONL, b),
        };
        poem::Response::builder()
            .content_type(content_type)
            .body(body)
    }
}

impl ApiResponse for Export {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses};
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The whole filtered log, oldest first, streamed: CSV or JSON lines \
                              as `format` asks.",
                status: Some(200),
                status_range: None,
                content: [CSV, JSONL]
                    .into_iter()
                    .map(|content_type| MetaMediaType {
                        content_type,
                        schema: <Binary<Body> as poem_openapi::payload::Payload>::schema_ref(),
                    })
                    .collect(),
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut poem_openapi::registry::Registry) {}
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

const CSV_HEADER: &str = "id,actor_id,actor_type,action,resource_type,resource_id,before,after,request_id,ip,user_agent,created_at\n";

fn csv_line(e: &AuditEntry) -> String {
    let json = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let fields = [
        e.id.to_string(),
        e.actor_id.map(|a| a.to_string()).unwrap_or_default(),
        wire(&e.actor_type),
        e.action.clone(),
        e.resource_type.clone(),
        opt(&e.resource_id),
        json(&e.before),
        json(&e.after),
        opt(&e.request_id),
        opt(&e.ip),
        opt(&e.user_agent),
        e.created_at.to_rfc3339(),
    ];
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Rows per round of the export; each round is its own short read transaction, so an export of
/// millions of rows holds neither a connection nor memory for long.
const EXPORT_BATCH: i64 = 1000;

pub(super) struct ExportState {
    pub(super) scope: TenantScope,
    pub(super) filter: Filter,
    pub(super) format: ExportFormat,
    pub(super) cursor: Option<Uuid>,
    pub(super) header_sent: bool,
    pub(super) done: bool,
}

pub(super) async fn next_chunk(
    mut st: ExportState,
) -> Option<(std::io::Result<Vec<u8>>, ExportState)> {
    if st.done {
        return None;
    }
    if !st.header_sent && st.format == ExportFormat::Csv {
        st.header_sent = true;
        return Some((Ok(CSV_HEADER.as_bytes().to_vec()), st));
    }
    let rows = async {
        let mut tx = st.scope.begin().await?;
        let rows = fetch(&mut tx, &st.filter, st.cursor, false, EXPORT_BATCH).await?;
        tx.end_read();
        Ok::<_, sqlx::Error>(rows)
    }
    .await;
    match rows {
        Err(e) => {
            tracing::error!(error = %e, "audit export failed midway");
            st.done = true;
            Some((Err(std::io::Error::other("export failed")), st))
        }
        Ok(rows) if rows.is_empty() => None,
        Ok(rows) => {
            st.done = (rows.len() as i64) < EXPORT_BATCH;
            st.cursor = rows.last().map(|r| r.id);
            let mut out = Vec::with_capacity(rows.len() * 256);
            for r in &rows {
                match st.format {
                    ExportFormat::Csv => out.extend_from_slice(csv_line(r).as_bytes()),
                    ExportFormat::Jsonl => {
                        out.extend_from_slice(
                            serde_json::to_string(r).unwrap_or_default().as_bytes(),
                        );
                        out.push(b'\n');
                    }
                }
            }
            Some((Ok(out), st))
        }
    }
}
