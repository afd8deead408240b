//! The upload body (`multipart/form-data`): its OpenAPI schema, reading its parts while
//! streaming the file to a spool, and the size limit it is read under.

use poem::web::Multipart;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};

use super::super::files;
use crate::auth::TenantCtx;
use crate::domains::settings::service as values;
use crate::error::{AppError, Result};
use crate::http::upload::{self, Spooled};
use crate::state::AppState;

/// The upload body: `multipart/form-data` with a `file` part and optional text parts
/// `description`, `resource_type`, `resource_id`. Parsed while streaming, in the handler, after
/// the permission check.
pub struct AttachmentUpload {
    pub(super) multipart: Multipart,
    pub(super) declared_len: Option<u64>,
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
pub(super) const FRAMING_ALLOWANCE: u64 = 64 * 1024;

/// The upload's parts once read.
#[derive(Default)]
pub(super) struct Parts {
    pub(super) file: Option<(Spooled, Option<String>, String)>,
    pub(super) description: Option<String>,
    pub(super) resource_type: Option<String>,
    pub(super) resource_id: Option<String>,
}

pub(super) async fn read_parts(
    mut multipart: Multipart,
    state: &AppState,
    limit: u64,
) -> Result<Parts> {
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
pub(super) async fn upload_limit(state: &AppState, ctx: &TenantCtx) -> Result<u64> {
    let ceiling = state.settings.storage.max_upload_bytes;
    let mut tx = ctx.begin().await?;
    let setting = values::read(&mut tx, "attachments.max_size_bytes").await?;
    tx.end_read();
    Ok(setting
        .and_then(|v| v.as_u64())
        .map_or(ceiling, |n| n.min(ceiling)))
}

/// A form part's text, or `None` for an empty part or `null`.
fn present(text: String) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t != "null").then_some(text)
}
