//! `/api/v1/settings/branding`: the organisation's name and logo as its documents print them.
//! The logo (one PNG or JPEG, at most 512 KiB and 4096 pixels a side, decoded in full before it
//! is kept) is drawn at the top right of the documents the organisation issues (charter quotes,
//! itineraries, General Declarations, passenger manifests).

use chrono::{DateTime, Utc};
use poem::Body;
use poem::http::StatusCode;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::NoContent;
use crate::kernel::pdf::{PICTURE_MAX_SIDE, Picture};

/// The largest logo, in bytes.
pub const LOGO_MAX_BYTES: usize = 512 * 1024;

/// The logo as kept.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct BrandingLogo {
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i64,
    /// Hex SHA-256 of the file; also the logo's `ETag`.
    pub sha256: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

/// What the organisation's documents print at their head.
#[derive(Object)]
pub struct Branding {
    /// The organisation's display name.
    pub name: String,
    /// The logo; `null` when none was uploaded.
    pub logo: Option<BrandingLogo>,
}

/// A PNG or a JPEG, at most 512 KiB.
#[derive(ApiRequest)]
enum LogoUpload {
    #[oai(content_type = "image/png")]
    Png(Binary<Body>),
    #[oai(content_type = "image/jpeg")]
    Jpeg(Binary<Body>),
}

/// The logo file: one `200` in the logo's own type (`image/png` or `image/jpeg`), with its
/// `ETag`. Written out by hand because the derive gives each variant its own `200` entry.
struct LogoFile {
    content_type: &'static str,
    data: Vec<u8>,
    etag: String,
}

const IMAGE_TYPES: [&str; 2] = ["image/png", "image/jpeg"];

impl poem::IntoResponse for LogoFile {
    fn into_response(self) -> poem::Response {
        poem::Response::builder()
            .content_type(self.content_type)
            .header("ETag", self.etag)
            .header("Cache-Control", "private, no-cache")
            .body(self.data)
    }
}

impl ApiResponse for LogoFile {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses};
        let header = |name: &str, description: &str| MetaHeader {
            name: name.into(),
            description: Some(description.into()),
            required: true,
            deprecated: false,
            schema: <String as poem_openapi::types::Type>::schema_ref(),
        };
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The logo as uploaded, in its own type.",
                status: Some(200),
                status_range: None,
                content: IMAGE_TYPES
                    .into_iter()
                    .map(|content_type| MetaMediaType {
                        content_type,
                        schema: <Binary<Vec<u8>> as poem_openapi::payload::Payload>::schema_ref(),
                    })
                    .collect(),
                headers: vec![
                    header("ETag", "The file's SHA-256 in hex, quoted."),
                    header("Cache-Control", "`private, no-cache`."),
                ],
            }],
        }
    }

    fn register(_registry: &mut poem_openapi::registry::Registry) {}
}

#[derive(sqlx::FromRow)]
struct Row {
    content_type: String,
    width: i32,
    height: i32,
    size_bytes: i64,
    sha256: Vec<u8>,
    updated_by: Option<Uuid>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for BrandingLogo {
    fn from(r: Row) -> Self {
        Self {
            content_type: r.content_type,
            width: r.width,
            height: r.height,
            size_bytes: r.size_bytes,
            sha256: hex::encode(r.sha256),
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "select content_type, width, height, octet_length(data)::bigint as size_bytes,
        sha256, updated_by, updated_at from branding_logo";

async fn current(conn: &mut PgConnection) -> Result<Option<BrandingLogo>> {
    let row: Option<Row> = sqlx::query_as(SELECT).fetch_optional(conn).await?;
    Ok(row.map(Into::into))
}

/// The organisation's logo, ready to print; `None` without one. For other domains' documents.
pub async fn logo(conn: &mut PgConnection) -> Result<Option<Picture>> {
    let row: Option<(String, Vec<u8>)> =
        sqlx::query_as("select content_type, data from branding_logo")
            .fetch_optional(conn)
            .await?;
    // Checked when uploaded; a logo that no longer reads is left off rather than failing the
    // document.
    Ok(row.and_then(|(t, data)| Picture::new(t == "image/png", data).ok()))
}

pub struct BrandingApi;

#[OpenApi(
    prefix_path = "/api/v1/settings/branding",
    tag = "super::Tag::Settings"
)]
impl BrandingApi {
    /// The organisation's name and logo as its documents print them (`logo` is `null` without
    /// one).
    ///
    /// Any authenticated user of the organisation.
    #[oai(path = "/", method = "get")]
    async fn get(&self, ctx: TenantCtx) -> Result<Json<Branding>> {
        let mut tx = ctx.begin().await?;
        let logo = current(&mut tx).await?;
        tx.end_read();
        Ok(Json(Branding {
            name: ctx.tenant.name.clone(),
            logo,
        }))
    }

    /// The logo file as uploaded (`404` without one), with its SHA-256 as `ETag`.
    ///
    /// Any authenticated user of the organisation.
    #[oai(path = "/logo", method = "get")]
    async fn logo_file(&self, ctx: TenantCtx) -> Result<LogoFile> {
        let mut tx = ctx.begin().await?;
        let row: Option<(String, Vec<u8>, Vec<u8>)> =
            sqlx::query_as("select content_type, data, sha256 from branding_logo")
                .fetch_optional(&mut *tx)
                .await?;
        tx.end_read();
        let (content_type, data, sha256) = row.ok_or(AppError::NotFound("logo"))?;
        Ok(LogoFile {
            content_type: if content_type == IMAGE_TYPES[0] {
                IMAGE_TYPES[0]
            } else {
                IMAGE_TYPES[1]
            },
            data,
            etag: format!("\"{}\"", hex::encode(sha256)),
        })
    }

    /// Upload the logo, replacing any before it: the body is the file, `Content-Type`
    /// `image/png` or `image/jpeg`, at most 512 KiB (`413 payload-too-large` above) and 4096
    /// pixels on each side. The file must decode as the type it is sent as (`422` naming
    /// `body` otherwise). Documents generated from now on carry it; those generated before
    /// keep what they printed.
    ///
    /// Permission: `settings.manage`. Audited as `branding.logo_updated` with the type, size,
    /// pixel size and SHA-256 before and after.
    #[oai(path = "/logo", method = "put")]
    async fn put_logo(&self, ctx: TenantCtx, body: LogoUpload) -> Result<Json<BrandingLogo>> {
        ctx.require(super::SETTINGS_MANAGE)?;
        let (png, Binary(body)) = match body {
            LogoUpload::Png(b) => (true, b),
            LogoUpload::Jpeg(b) => (false, b),
        };
        let data = body
            .into_bytes_limit(LOGO_MAX_BYTES)
            .await
            .map_err(|_| {
                AppError::status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    format!("a logo is at most {LOGO_MAX_BYTES} bytes"),
                )
            })?
            .to_vec();
        if data.is_empty() {
            return Err(AppError::validation(
                "body",
                "is empty: send the image file",
            ));
        }
        let picture =
            Picture::new(png, data.clone()).map_err(|e| AppError::validation("body", e))?;
        let (width, height) = picture.size();
        debug_assert!(width <= PICTURE_MAX_SIDE && height <= PICTURE_MAX_SIDE);
        let content_type = IMAGE_TYPES[usize::from(!png)];
        let mut tx = ctx.begin().await?;
        let before = current(&mut tx).await?;
        let row: Row = sqlx::query_as(
            "insert into branding_logo (content_type, data, sha256, width, height, updated_by)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (singleton) do update set content_type = excluded.content_type,
                 data = excluded.data, sha256 = excluded.sha256, width = excluded.width,
                 height = excluded.height, updated_by = excluded.updated_by, updated_at = now()
             returning content_type, width, height, octet_length(data)::bigint as size_bytes,
                 sha256, updated_by, updated_at",
        )
        .bind(content_type)
        .bind(&data)
        .bind(Sha256::digest(&data).to_vec())
        .bind(i32::try_from(width).unwrap_or(i32::MAX))
        .bind(i32::try_from(height).unwrap_or(i32::MAX))
        .bind(ctx.user_id.0)
        .fetch_one(&mut *tx)
        .await?;
        let after = BrandingLogo::from(row);
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "branding.logo_updated",
                resource_type: "branding",
                resource_id: Some("logo".into()),
                before: before.as_ref().and_then(audit::snapshot),
                after: audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Remove the logo (`404` without one); documents generated from now on print the name
    /// alone.
    ///
    /// Permission: `settings.manage`. Audited as `branding.logo_deleted`.
    #[oai(path = "/logo", method = "delete")]
    async fn delete_logo(&self, ctx: TenantCtx) -> Result<NoContent> {
        ctx.require(super::SETTINGS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = current(&mut tx).await?.ok_or(AppError::NotFound("logo"))?;
        sqlx::query("delete from branding_logo")
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "branding.logo_deleted",
                resource_type: "branding",
                resource_id: Some("logo".into()),
                before: audit::snapshot(&before),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
