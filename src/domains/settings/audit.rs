//! `GET /api/v1/settings/audit-logs` and `GET /api/v1/settings/audit-logs/export`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream;
use poem::Body;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{AppError, Result};
use crate::http::page;
use crate::kernel::units::wire;
use crate::state::AppState;
use crate::tenancy::TenantScope;

/// Who made an audited change.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ActorType {
    User,
    ApiKey,
    /// A platform operator.
    Platform,
    System,
}

text_enum!(ActorType);

/// One audited change.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_type: ActorType,
    /// e.g. `note.updated`, `user.roles_changed`, `auth.login_failed`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values with a header row; `before`/`after` as JSON text.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// The export: one `200` response in two content types. Written out by hand because the
/// derive gives each variant its own `200` entry and the document kept only the last one.
enum Export {
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

/// The filters of API.md §6.
#[derive(Clone)]
struct Filter {
    actor_id: Option<Uuid>,
    action: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl Filter {
    fn check(self) -> Result<Self> {
        if let (Some(s), Some(u)) = (self.since, self.until)
            && s > u
        {
            return Err(AppError::validation("until", "must not be before since"));
        }
        for (field, v) in [
            ("action", &self.action),
            ("resource_type", &self.resource_type),
            ("resource_id", &self.resource_id),
        ] {
            if v.as_ref().is_some_and(|v| v.chars().count() > 200) {
                return Err(AppError::validation(
                    field,
                    "must be at most 200 characters",
                ));
            }
        }
        Ok(self)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    actor_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    actor_type: ActorType,
    action: String,
    resource_type: String,
    resource_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
    request_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        AuditEntry {
            id: r.id,
            actor_id: r.actor_id,
            actor_type: r.actor_type,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            ip: r.ip,
            user_agent: r.user_agent,
            created_at: r.created_at,
        }
    }
}

/// A page in either direction: newest first before `cursor`, or oldest first after it.
async fn fetch(
    conn: &mut PgConnection,
    f: &Filter,
    cursor: Option<Uuid>,
    newest_first: bool,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let sql = if newest_first {
        "select id, actor_id, actor_type, action, resource_type, resource_id, before, after, request_id, ip, user_agent, created_at
         from audit_logs
         where ($1::uuid is null or id < $1) and ($2::uuid is null or actor_id = $2) and ($3::text is null or action = $3)
           and ($4::text is null or resource_type = $4) and ($5::text is null or resource_id = $5)
           and ($6::timestamptz is null or created_at >= $6) and ($7::timestamptz is null or created_at < $7)
         order by id desc limit $8"
    } else {
        "select id, actor_id, actor_type, action, resource_type, resource_id, before, after, request_id, ip, user_agent, created_at
         from audit_logs
         where ($1::uuid is null or id > $1) and ($2::uuid is null or actor_id = $2) and ($3::text is null or action = $3)
           and ($4::text is null or resource_type = $4) and ($5::text is null or resource_id = $5)
           and ($6::timestamptz is null or created_at >= $6) and ($7::timestamptz is null or created_at < $7)
         order by id limit $8"
    };
    let rows = sqlx::query_as::<_, Row>(sql)
        .bind(cursor)
        .bind(f.actor_id)
        .bind(&f.action)
        .bind(&f.resource_type)
        .bind(&f.resource_id)
        .bind(f.since)
        .bind(f.until)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
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

struct ExportState {
    scope: TenantScope,
    filter: Filter,
    format: ExportFormat,
    cursor: Option<Uuid>,
    header_sent: bool,
    done: bool,
}

async fn next_chunk(mut st: ExportState) -> Option<(std::io::Result<Vec<u8>>, ExportState)> {
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

pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1/settings/audit-logs", tag = "super::Tag::Settings")]
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
        state: Data<&Arc<AppState>>,
        auth: Auth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
        actor_id: Query<Option<Uuid>>,
        action: Query<Option<String>>,
        resource_type: Query<Option<String>>,
        resource_id: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
    ) -> Result<Json<AuditPage>> {
        auth.0.require(super::AUDIT_READ)?;
        let limit = page::limit(limit.0)?;
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
        let mut tx = auth.0.begin(&state).await?;
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
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// `csv` or `jsonl`.
        format: Query<ExportFormat>,
        actor_id: Query<Option<Uuid>>,
        action: Query<Option<String>>,
        resource_type: Query<Option<String>>,
        resource_id: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
    ) -> Result<Export> {
        auth.0.require(super::AUDIT_READ)?;
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
            scope: auth.0.scope(&state),
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
