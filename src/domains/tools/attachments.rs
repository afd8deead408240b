//! `/api/v1/tools/attachments`: files kept in object storage under the tenant's prefix, with
//! their metadata in the tenant's schema. Uploads are streamed to a spool file within the
//! size limit, typed from their bytes, then stored; downloads stream back with the stored type.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::{Data, Multipart};
use poem::{Body, FromRequest, Request, RequestBody};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json, ParsePayload, Payload, Response};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::files::{self, Refusal};
use crate::audit;
use crate::auth::Auth;
use crate::domains::settings::service as values;
use crate::error::{AppError, Result};
use crate::http::upload::{self, Spooled};
use crate::http::{JsonBody, NoContent, page};
use crate::state::AppState;
use crate::storage::{Area, ObjectKey};


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

#[derive(ApiResponse)]
enum AttachmentCreated {
    #[oai(status = 201)]
    Created(Json<Attachment>),
}

/// The upload body: `multipart/form-data` with a `file` part and optional text parts
/// `description`, `resource_type`, `resource_id`. Parsed while streaming, in the handler, after
/// the permission check.
pub struct AttachmentUpload {
    multipart: Multipart,
    declared_len: Option<u64>,
}

impl Payload for AttachmentUpload {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .parse::<mime::Mime>()
            .is_ok_and(|m| m.essence_str() == "multipart/form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        let text = |description| {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                description: Some(description),
                ..MetaSchema::new("string")
            }))
        };
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            required: vec!["file"],
            properties: vec![
                (
                    "file",
                    MetaSchemaRef::Inline(Box::new(MetaSchema {
                        description: Some(
                            "The file. Its part's Content-Type, if given, must agree with the content.",
                        ),
                        ..MetaSchema::new_with_format("string", "binary")
                    })),
                ),
                ("description", text("At most 2,000 characters.")),
                (
                    "resource_type",
                    text(
                        "`note`, `task`, `call`, `event`, `review`, `aircraft`, `squawk` or `maintenance_log`; with `resource_id`.",
                    ),
                ),
                (
                    "resource_id",
                    MetaSchemaRef::Inline(Box::new(MetaSchema {
                        description: Some(
                            "The id of the linked record in this tenant. An empty part, or `null`, is the same as none.",
                        ),
                        ..MetaSchema::new_with_format("string", "uuid")
                    })),
                ),
            ],
            ..MetaSchema::new("object")
        }))
    }

    fn register(_registry: &mut Registry) {}
}

impl ParsePayload for AttachmentUpload {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let declared_len = request
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let multipart = Multipart::from_request(request, body).await.map_err(|e| {
            AppError::bad_request(
                "malformed-multipart",
                format!("the upload is not valid multipart/form-data: {e}"),
            )
        })?;
        Ok(Self {
            multipart,
            declared_len,
        })
    }
}

poem_openapi::impl_apirequest_for_payload!(AttachmentUpload,);

/// Multipart framing allowed on top of the file itself before `Content-Length` alone refuses.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

const COLUMNS: &str = "id, file_name, content_type, size_bytes, sha256, description, resource_type, resource_id, uploaded_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
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

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Attachment>, sqlx::Error> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from attachments where id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
        .map(|r| r.map(Into::into))
}

/// A form part's text, or `None` for an empty part or `null`.
fn present(text: String) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t != "null").then_some(text)
}

/// `422` unless (`resource_type`, `resource_id`) names a record of this tenant.
async fn check_link(conn: &mut PgConnection, resource_type: &str, resource_id: Uuid) -> Result<()> {
    // The record kinds that take attachments come from the manifests (`attachments`), each
    // with the table that must hold the id.
    let owners = || crate::domains::CATALOG.attachment_owners();
    let Some(table) = owners()
        .find(|o| o.resource_type == resource_type)
        .map(|o| o.table)
    else {
        let known: Vec<&str> = owners().map(|o| o.resource_type).collect();
        return Err(AppError::validation(
            "resource_type",
            format!("must be one of: {}", known.join(", ")),
        ));
    };
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

/// The upload's parts once read.
#[derive(Default)]
struct Parts {
    file: Option<(Spooled, Option<String>, String)>,
    description: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
}

async fn read_parts(mut multipart: Multipart, state: &AppState, limit: u64) -> Result<Parts> {
    let mut parts = Parts::default();
    let spool_dir = state
        .storage
        .spool_dir()
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("creating the spool")))?;
    let malformed = |e: poem::error::ParseMultipartError| {
        AppError::bad_request(
            "malformed-multipart",
            format!("the upload could not be read: {e}"),
        )
    };
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" if parts.file.is_none() => {
                let declared = field.content_type().map(str::to_owned);
                let file_name = files::clean_file_name(field.file_name().unwrap_or_default());
                let spooled =
                    upload::spool(field.into_async_read(), spool_dir, limit, files::SNIFF_LEN)
                        .await?;
                parts.file = Some((spooled, declared, file_name));
            }
            "file" => return Err(AppError::validation("file", "send one file per upload")),
            "description" => {
                parts.description =
                    Some(upload::text_part(field.into_async_read(), "description", 2000).await?);
            }
            // An empty part, or the text `null`, is what form encoders send for a value left
            // out: the same as no part.
            "resource_type" => {
                parts.resource_type =
                    present(upload::text_part(field.into_async_read(), "resource_type", 40).await?);
            }
            "resource_id" => {
                parts.resource_id =
                    present(upload::text_part(field.into_async_read(), "resource_id", 36).await?);
            }
            other => {
                return Err(AppError::validation(
                    other,
                    "is not a part of this upload (file, description, resource_type, resource_id)",
                ));
            }
        }
    }
    Ok(parts)
}

/// The largest upload this tenant accepts: its `attachments.max_size_bytes` setting under the
/// server's ceiling.
async fn upload_limit(state: &AppState, auth: &Auth) -> Result<u64> {
    let ceiling = state.settings.storage.max_upload_bytes;
    let mut tx = auth.0.begin(state).await?;
    let setting = values::read(&mut tx, "attachments.max_size_bytes").await?;
    tx.end_read();
    Ok(setting
        .and_then(|v| v.as_u64())
        .map_or(ceiling, |n| n.min(ceiling)))
}

pub struct AttachmentsApi;

#[OpenApi(prefix_path = "/api/v1/tools/attachments", tag = "super::Tag::Tools")]
impl AttachmentsApi {
    /// List attachments, newest first. Filters: `resource_type` with `resource_id` (the files
    /// of one record), `uploaded_by`.
    ///
    /// Permission: `tools.attachments.read`.
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
        resource_type: Query<Option<String>>,
        resource_id: Query<Option<Uuid>>,
        uploaded_by: Query<Option<Uuid>>,
    ) -> Result<Json<AttachmentPage>> {
        auth.0.require(super::TOOLS_ATTACHMENTS_READ)?;
        let limit = page::limit(limit.0)?;
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        if let Some(kind) = resource_type.0.as_deref() {
            let owners = || crate::domains::CATALOG.attachment_owners();
            if !owners().any(|o| o.resource_type == kind) {
                let known: Vec<&str> = owners().map(|o| o.resource_type).collect();
                return Err(AppError::validation(
                    "resource_type",
                    format!("must be one of: {}", known.join(", ")),
                ));
            }
        }
        let mut tx = auth.0.begin(&state).await?;
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "select {COLUMNS} from attachments
             where ($1::uuid is null or id < $1)
               and ($2::text is null or resource_type = $2)
               and ($3::uuid is null or resource_id = $3)
               and ($4::uuid is null or uploaded_by = $4)
             order by id desc limit $5"
        )))
        .bind(after)
        .bind(&resource_type.0)
        .bind(resource_id.0)
        .bind(uploaded_by.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items = rows.into_iter().map(Attachment::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(items, limit, |a| a.id);
        Ok(Json(AttachmentPage { items, next_cursor }))
    }

    /// Upload a file (`multipart/form-data`: a `file` part, optional `description`,
    /// `resource_type` and `resource_id`). The size limit is the tenant's
    /// `attachments.max_size_bytes` setting under the server's `storage.max_upload_bytes`
    /// (`413 payload-too-large` above it). The type is judged from the content: PDF, PNG, JPEG,
    /// GIF, WebP, plain text, CSV, ZIP and office documents are accepted (`415
    /// unsupported-media-type` for anything else, HTML and SVG included); a part Content-Type
    /// that contradicts the content is `422`. The file name is kept without any path.
    ///
    /// Permission: `tools.attachments.write`. Audited as `attachment.uploaded`.
    #[oai(path = "/", method = "post")]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: AttachmentUpload,
    ) -> Result<AttachmentCreated> {
        let p = &auth.0;
        p.require(super::TOOLS_ATTACHMENTS_WRITE)?;
        let limit = upload_limit(&state, &auth).await?;
        if body
            .declared_len
            .is_some_and(|n| n > limit.saturating_add(FRAMING_ALLOWANCE))
        {
            return Err(upload::too_large(limit));
        }
        let parts = read_parts(body.multipart, &state, limit).await?;
        let Some((mut spooled, declared, file_name)) = parts.file else {
            return Err(AppError::validation("file", "is required"));
        };
        let content_type =
            files::judge(declared.as_deref(), &spooled.head).map_err(|r| match r {
                Refusal::NotAccepted => AppError::status(
                    poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    format!(
                        "this kind of file is not accepted; accepted types: {}",
                        files::ACCEPTED.join(", ")
                    ),
                ),
                Refusal::Mismatch { declared, actual } => AppError::validation(
                    "file",
                    format!("the content is {actual}, not the declared {declared}"),
                ),
            })?;
        let link = match (parts.resource_type, parts.resource_id) {
            (None, None) => None,
            (Some(t), Some(id)) => Some((
                t,
                Uuid::parse_str(id.trim())
                    .map_err(|_| AppError::validation("resource_id", "must be a UUID"))?,
            )),
            (Some(_), None) => {
                return Err(AppError::validation(
                    "resource_id",
                    "is required with resource_type",
                ));
            }
            (None, Some(_)) => {
                return Err(AppError::validation(
                    "resource_type",
                    "is required with resource_id",
                ));
            }
        };
        if let Some((t, id)) = &link {
            let mut tx = p.begin(&state).await?;
            check_link(&mut tx, t, *id).await?;
            tx.end_read();
        }

        let id = Uuid::now_v7();
        let key = ObjectKey::new(&p.tenant, Area::Attachments, id);
        let path = spooled
            .take_path()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("spooled upload has no file")))?;
        state
            .storage
            .put_file(&key, &path, &content_type)
            .await
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("storing an upload")))?;

        let stored = async {
            let mut tx = p.begin(&state).await?;
            sqlx::query(
                "insert into attachments (id, file_name, content_type, size_bytes, sha256, description, resource_type, resource_id, uploaded_by)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(&file_name)
            .bind(&content_type)
            .bind(i64::try_from(spooled.size).unwrap_or(i64::MAX))
            .bind(&spooled.sha256)
            .bind(parts.description.as_deref().filter(|d| !d.trim().is_empty()))
            .bind(link.as_ref().map(|(t, _)| t.as_str()))
            .bind(link.as_ref().map(|(_, id)| *id))
            .bind(p.user_id)
            .execute(&mut *tx)
            .await?;
            let a = load(&mut tx, id).await?.ok_or(AppError::NotFound("attachment"))?;
            audit::created(&mut tx, p.into(), "attachment.uploaded", "attachment", id, &a).await?;
            tx.commit().await?;
            Ok::<_, AppError>(a)
        }
        .await;
        match stored {
            Ok(a) => Ok(AttachmentCreated::Created(Json(a))),
            Err(e) => {
                // Nothing references the object: remove it so nothing is left behind.
                if let Err(del) = state.storage.delete(&key).await {
                    tracing::warn!(error = %del, "could not remove an orphaned upload");
                }
                Err(e)
            }
        }
    }

    /// An attachment's metadata. Permission: `tools.attachments.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Result<Json<Attachment>> {
        auth.0.require(super::TOOLS_ATTACHMENTS_READ)?;
        let mut tx = auth.0.begin(&state).await?;
        let a = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        tx.end_read();
        Ok(Json(a))
    }

    /// Download the file, with the content type judged at upload,
    /// `Content-Disposition: attachment` and `X-Content-Type-Options: nosniff`.
    ///
    /// Permission: `tools.attachments.read`.
    #[oai(path = "/:id/content", method = "get")]
    async fn content(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Result<Response<Binary<Body>>> {
        let p = &auth.0;
        p.require(super::TOOLS_ATTACHMENTS_READ)?;
        let mut tx = p.begin(&state).await?;
        let a = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        tx.end_read();
        let key = ObjectKey::new(&p.tenant, Area::Attachments, a.id);
        let (len, stream) = state
            .storage
            .open(&key)
            .await
            .map_err(|e| {
                AppError::Internal(anyhow::Error::new(e).context("reading an attachment"))
            })?
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("attachment {} has no stored object", a.id))
            })?;
        Ok(Response::new(Binary(Body::from_bytes_stream(stream)))
            .header("content-type", a.content_type.as_str())
            .header("content-length", len.to_string())
            .header(
                "content-disposition",
                files::content_disposition(&a.file_name),
            )
            .header("x-content-type-options", "nosniff")
            .header("content-security-policy", "sandbox; default-src 'none'")
            .header("cache-control", "private, no-store"))
    }

    /// Change the description or the link. Permission: `tools.attachments.write`. Audited as
    /// `attachment.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
        body: JsonBody<AttachmentUpdate>,
    ) -> Result<Json<Attachment>> {
        let p = &auth.0;
        p.require(super::TOOLS_ATTACHMENTS_WRITE)?;
        let mut tx = p.begin(&state).await?;
        let before = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        let (resource_type, resource_id) = match (&body.resource_type, &body.resource_id) {
            (MaybeUndefined::Undefined, MaybeUndefined::Undefined) => {
                (before.resource_type.clone(), before.resource_id)
            }
            (MaybeUndefined::Null, MaybeUndefined::Null) => (None, None),
            (MaybeUndefined::Value(t), MaybeUndefined::Value(rid)) => {
                check_link(&mut tx, t, *rid).await?;
                (Some(t.clone()), Some(*rid))
            }
            _ => {
                return Err(AppError::validation(
                    "resource_id",
                    "give resource_type and resource_id together (or null for both)",
                ));
            }
        };
        let description = match &body.description {
            MaybeUndefined::Undefined => before.description.clone(),
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(d) => Some(d.clone()),
        };
        sqlx::query(
            "update attachments set description = $2, resource_type = $3, resource_id = $4 where id = $1",
        )
        .bind(before.id)
        .bind(description)
        .bind(resource_type)
        .bind(resource_id)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "attachment.updated",
            "attachment",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete an attachment and its stored file. Permission: `tools.attachments.write`.
    /// Audited as `attachment.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = &auth.0;
        p.require(super::TOOLS_ATTACHMENTS_WRITE)?;
        let mut tx = p.begin(&state).await?;
        let before = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        audit::delete_recorded(
            &mut tx,
            p.into(),
            "attachments",
            "attachment.deleted",
            "attachment",
            before.id,
            &before,
        )
        .await?;
        tx.commit().await?;
        // After the commit: a failed removal leaves an unreferenced object, never a record
        // whose file is gone.
        let key = ObjectKey::new(&p.tenant, Area::Attachments, before.id);
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(error = %e, attachment = %before.id, "stored file not removed");
        }
        Ok(NoContent::NoContent)
    }
}
