//! The objects of `/api/v1/tools/attachments`: an attachment's metadata, its update, a page.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

/// An attachment's metadata.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Attachment {
    pub id: Uuid,
    /// The uploaded file's name without any path.
    pub file_name: String,
    /// Judged from the content at upload; the type the download is served with.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub description: Option<String>,
    /// What the file belongs to: `note`, `task`, `call`, `event`, `review`, `aircraft`, `squawk`
    /// or `maintenance_log` (with its id).
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Change the description or the link; absent fields are kept, `null` clears.
#[derive(Object)]
pub struct AttachmentUpdate {
    #[oai(validator(max_length = 2000))]
    pub description: MaybeUndefined<String>,
    /// Give both `resource_type` and `resource_id`, or `null` for both to unlink.
    pub resource_type: MaybeUndefined<String>,
    pub resource_id: MaybeUndefined<Uuid>,
}

#[derive(Object)]
pub struct AttachmentPage {
    pub items: Vec<Attachment>,
    pub next_cursor: Option<String>,
}
