//! The SQL of attachments: the row and its columns, and the check that a link names a record.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::Attachment;
use crate::error::{AppError, Result};

pub(super) const COLUMNS: &str = "id, file_name, content_type, size_bytes, sha256, description, resource_type, resource_id, uploaded_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: Uuid,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    description: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<Uuid>,
    uploaded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Attachment {
    fn from(r: Row) -> Self {
        Attachment {
            id: r.id,
            file_name: r.file_name,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            description: r.description,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            uploaded_by: r.uploaded_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(super) async fn load(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Attachment>, sqlx::Error> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from attachments where id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
    .map(|r| r.map(Into::into))
}

/// `422` unless (`resource_type`, `resource_id`) names a record of this tenant.
/// The table that holds records of `resource_type`: the record kinds that take attachments
/// come from the manifests (`attachments`). Any other kind is `422` naming the known ones.
pub(super) fn owner_table(resource_type: &str) -> Result<&'static str> {
    let owners = || crate::domains::CATALOG.attachment_owners();
    owners()
        .find(|o| o.resource_type == resource_type)
        .map(|o| o.table)
        .ok_or_else(|| {
            let known: Vec<&str> = owners().map(|o| o.resource_type).collect();
            AppError::validation(
                "resource_type",
                format!("must be one of: {}", known.join(", ")),
            )
        })
}

pub(super) async fn check_link(
    conn: &mut PgConnection,
    resource_type: &str,
    resource_id: Uuid,
) -> Result<()> {
    let table = owner_table(resource_type)?;
    // `table` is a literal of a manifest. Kept: an attachment's owner is any domain's row, so
    // no foreign key can check it.
    let exists: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select exists(select 1 from {table} where id = $1)"
    )))
    .bind(resource_id)
    .fetch_one(conn)
    .await?;
    if exists {
        Ok(())
    } else {
        Err(AppError::validation(
            "resource_id",
            format!("no {resource_type} with this id"),
        ))
    }
}
