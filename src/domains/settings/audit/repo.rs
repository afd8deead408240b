//! The SQL of the audit log: the filters, the row, and a page in either direction.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{ActorType, AuditEntry};
use crate::error::{AppError, Result};

/// The filters of API.md §6.
#[derive(Clone)]
pub(super) struct Filter {
    pub(super) actor_id: Option<Uuid>,
    pub(super) action: Option<String>,
    pub(super) resource_type: Option<String>,
    pub(super) resource_id: Option<String>,
    pub(super) since: Option<DateTime<Utc>>,
    pub(super) until: Option<DateTime<Utc>>,
}

impl Filter {
    pub(super) fn check(self) -> Result<Self> {
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
pub(super) async fn fetch(
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
