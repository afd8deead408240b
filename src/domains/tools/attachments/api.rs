//! The handlers of `/api/v1/tools/attachments`: upload, list, metadata, download, update, delete.

use std::sync::Arc;

use poem::Body;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json, Response};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::super::files::{self, Refusal};
use super::dto::{Attachment, AttachmentPage, AttachmentUpdate};
use super::multipart::{AttachmentUpload, FRAMING_ALLOWANCE, read_parts, upload_limit};
use super::repo::{COLUMNS, Row, check_link, load, owner_table};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::upload;
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;
use crate::state::AppState;
use crate::storage::{Area, ObjectKey};

/// Attachments: the plain get.
const ATTACHMENT: Record = Record {
    table: "attachments",
    kind: "attachment",
    noun: "attachment",
};

#[derive(ApiResponse)]
enum AttachmentCreated {
    #[oai(status = 201)]
    Created(Json<Attachment>),
}

pub struct AttachmentsApi;

#[OpenApi(prefix_path = "/api/v1/tools/attachments", tag = "super::Tag::Tools")]
impl AttachmentsApi {
    /// List attachments, newest first. Filters: `resource_type` with `resource_id` (the files
    /// of one record), `uploaded_by`.
    ///
    /// Permission: `tools.attachments.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        resource_type: Query<Option<String>>,
        resource_id: Query<Option<Uuid>>,
        uploaded_by: Query<Option<Uuid>>,
    ) -> Result<Json<AttachmentPage>> {
        ctx.require(super::TOOLS_ATTACHMENTS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        if let Some(kind) = resource_type.0.as_deref() {
            owner_table(kind)?;
        }
        let mut tx = ctx.begin().await?;
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
        ctx: TenantCtx,
        body: AttachmentUpload,
    ) -> Result<AttachmentCreated> {
        let p = &ctx;
        p.require(super::TOOLS_ATTACHMENTS_WRITE)?;
        let limit = upload_limit(&state, &ctx).await?;
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
            let mut tx = p.begin().await?;
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
            let mut tx = p.begin().await?;
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
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Attachment>> {
        ATTACHMENT
            .get(&ctx, super::TOOLS_ATTACHMENTS_READ, async |c| {
                load(c, id.0).await
            })
            .await
    }

    /// Download the file, with the content type judged at upload,
    /// `Content-Disposition: attachment` and `X-Content-Type-Options: nosniff`.
    ///
    /// Permission: `tools.attachments.read`.
    #[oai(path = "/:id/content", method = "get")]
    async fn content(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<Response<Binary<Body>>> {
        let p = &ctx;
        p.require(super::TOOLS_ATTACHMENTS_READ)?;
        let mut tx = p.begin().await?;
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
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<AttachmentUpdate>,
    ) -> Result<Json<Attachment>> {
        let p = &ctx;
        p.require(super::TOOLS_ATTACHMENTS_WRITE)?;
        let mut tx = p.begin().await?;
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
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::TOOLS_ATTACHMENTS_WRITE)?;
        let mut tx = p.begin().await?;
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
