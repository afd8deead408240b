//! `/api/v1/certificates/pilot-certificates`: a person's licences and their ratings.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::{check_ratings, list_scope, may_see};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::certificates::dto::{
    PilotCertificate, PilotCertificateCreate, PilotCertificatePage, PilotCertificateUpdate,
};
use crate::domains::certificates::{CERTIFICATES_MANAGE, CERTIFICATES_READ, repo};
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::units::merge;
use crate::kernel::{UserId, page};
use crate::record::Record;

const CERTIFICATE: Record = Record {
    table: "pilot_certificates",
    kind: "pilot_certificate",
    noun: "pilot certificate",
};

pub struct PilotCertificatesApi;

#[derive(ApiResponse)]
enum Created {
    /// The certificate as stored.
    #[oai(status = 201)]
    Created(Json<PilotCertificate>),
}

fn check_dates(c: &PilotCertificate) -> Result<()> {
    if c.expires_on.is_some_and(|e| e < c.issued_on) {
        return Err(AppError::validation(
            "expires_on",
            "must not be before issued_on",
        ));
    }
    check_ratings(&c.ratings)
}

#[OpenApi(
    prefix_path = "/api/v1/certificates/pilot-certificates",
    tag = "crate::domains::certificates::Tag::Certificates"
)]
impl PilotCertificatesApi {
    /// List pilot certificates, newest first: one person's with `person_id`, else everyone's
    /// the caller may see (their own only, without `certificates.manage` or
    /// `certificates.endorse`; asking for another person's is `403`).
    ///
    /// Permission: `certificates.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// The holder.
        person_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<PilotCertificatePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(CERTIFICATES_READ)?;
        let person = list_scope(&ctx, person_id.0)?;
        let mut tx = ctx.begin().await?;
        let rows = repo::certificates(&mut tx, person, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |c| c.id);
        Ok(Json(PilotCertificatePage { items, next_cursor }))
    }

    /// Record a pilot certificate (a person's own or anyone's).
    ///
    /// Permission: `certificates.manage`. Audited as `pilot_certificate.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<PilotCertificateCreate>,
    ) -> Result<Created> {
        ctx.require(CERTIFICATES_MANAGE)?;
        let body = body.0;
        let c = PilotCertificate {
            id: Uuid::now_v7(),
            person_id: body.person_id.unwrap_or(ctx.user_id),
            authority: body.authority,
            kind: body.kind,
            number: body.number,
            issued_on: body.issued_on,
            expires_on: body.expires_on,
            ratings: body.ratings.unwrap_or_default(),
            limitations: body.limitations,
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        check_dates(&c)?;
        let mut tx = ctx.begin().await?;
        let stored = repo::insert_certificate(&mut tx, &c, ctx.user_id).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "pilot_certificate.created",
            "pilot_certificate",
            stored.id,
            &stored,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(stored)))
    }

    /// Get one pilot certificate.
    ///
    /// Permission: `certificates.read` (another person's: with `certificates.manage` or
    /// `certificates.endorse`, else `404`).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<PilotCertificate>> {
        CERTIFICATE
            .get(&ctx, CERTIFICATES_READ, async |c| {
                Ok::<_, sqlx::Error>(
                    repo::certificate(c, id.0, false)
                        .await?
                        .filter(|x| may_see(&ctx, x.person_id)),
                )
            })
            .await
    }

    /// Correct a pilot certificate: number, dates, ratings, limitations. With `version`, a
    /// concurrent change answers `409`.
    ///
    /// Permission: `certificates.manage`. Audited as `pilot_certificate.updated` with before and
    /// after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<PilotCertificateUpdate>,
    ) -> Result<Json<PilotCertificate>> {
        ctx.require(CERTIFICATES_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = repo::certificate(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("pilot certificate"))?;
        AppError::check_version("pilot certificate", body.version, before.version)?;
        let mut next = before.clone();
        merge(&mut next.number, &body.number);
        if let Some(d) = body.issued_on {
            next.issued_on = d;
        }
        merge(&mut next.expires_on, &body.expires_on);
        if let Some(r) = &body.ratings {
            next.ratings = r.clone();
        }
        merge(&mut next.limitations, &body.limitations);
        check_dates(&next)?;
        let after = repo::update_certificate(&mut tx, &next).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "pilot_certificate.updated",
            "pilot_certificate",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a pilot certificate recorded in error.
    ///
    /// Permission: `certificates.manage`. Audited as `pilot_certificate.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        CERTIFICATE
            .delete(&ctx, CERTIFICATES_MANAGE, id.0, async |c| {
                repo::certificate(c, id.0, true).await
            })
            .await
    }
}
