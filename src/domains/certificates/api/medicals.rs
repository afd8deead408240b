//! `/api/v1/certificates/medicals`: medical certificates, their validity computed from the
//! class, the examination day and the age on it (14 CFR 61.23(d), Part-MED MED.A.045).

use chrono::{NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::{list_scope, may_see};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::certificates::dto::{
    Medical, MedicalAuthority, MedicalClass, MedicalCreate, MedicalPage, MedicalUpdate,
};
use crate::domains::certificates::{CERTIFICATES_MANAGE, CERTIFICATES_READ, repo};
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::units::merge;
use crate::kernel::{UserId, page};
use crate::record::Record;

const MEDICAL: Record = Record {
    table: "medical_certificates",
    kind: "medical_certificate",
    noun: "medical certificate",
};

pub struct MedicalsApi;

#[derive(ApiResponse)]
enum Created {
    /// The medical as stored, with its computed validity.
    #[oai(status = 201)]
    Created(Json<Medical>),
}

/// The rules a medical's fields must meet together.
fn check(m: &Medical) -> Result<()> {
    let faa = matches!(
        m.class,
        MedicalClass::First | MedicalClass::Second | MedicalClass::Third | MedicalClass::BasicMed
    );
    let mut c = Checks::new();
    c.check(
        faa == (m.authority == MedicalAuthority::Faa),
        "class",
        "is only valid with its own authority (FAA: first, second, third, basic_med; EASA: \
         class_1, class_2, lapl)",
    );
    c.check(
        (m.class == MedicalClass::BasicMed) == m.course_on.is_some(),
        "course_on",
        "is required for BasicMed (the medical education course) and only there",
    );
    c.check(
        m.date_of_birth < m.examined_on,
        "date_of_birth",
        "must be before examined_on",
    );
    // A day of slack for a time zone ahead of UTC.
    let tomorrow = Utc::now().date_naive().succ_opt().unwrap_or(NaiveDate::MAX);
    c.check(
        m.examined_on <= tomorrow,
        "examined_on",
        "must not be in the future",
    );
    c.check(
        m.course_on.is_none_or(|d| d <= tomorrow),
        "course_on",
        "must not be in the future",
    );
    c.done()
}

#[OpenApi(
    prefix_path = "/api/v1/certificates/medicals",
    tag = "crate::domains::certificates::Tag::Certificates"
)]
impl MedicalsApi {
    /// List medical certificates, newest first: one person's with `person_id`, else everyone's
    /// the caller may see (their own only, without `certificates.manage` or
    /// `certificates.endorse`; asking for another person's is `403`). Each carries its computed
    /// validity per kind of privileges.
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
    ) -> Result<Json<MedicalPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(CERTIFICATES_READ)?;
        let person = list_scope(&ctx, person_id.0)?;
        let mut tx = ctx.begin().await?;
        let rows = repo::medicals(&mut tx, person, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |m| m.id);
        Ok(Json(MedicalPage { items, next_cursor }))
    }

    /// Record a medical certificate. The answer carries its validity, computed.
    ///
    /// Permission: `certificates.manage`. Audited as `medical_certificate.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<MedicalCreate>) -> Result<Created> {
        ctx.require(CERTIFICATES_MANAGE)?;
        let body = body.0;
        let m = Medical {
            id: Uuid::now_v7(),
            person_id: body.person_id.unwrap_or(ctx.user_id),
            authority: body.authority,
            class: body.class,
            examined_on: body.examined_on,
            date_of_birth: body.date_of_birth,
            course_on: body.course_on,
            limitations: body.limitations,
            validity: Vec::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        check(&m)?;
        let mut tx = ctx.begin().await?;
        let stored = repo::insert_medical(&mut tx, &m, ctx.user_id).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "medical_certificate.created",
            "medical_certificate",
            stored.id,
            &stored,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(stored)))
    }

    /// Get one medical certificate with its computed validity.
    ///
    /// Permission: `certificates.read` (another person's: with `certificates.manage` or
    /// `certificates.endorse`, else `404`).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Medical>> {
        MEDICAL
            .get(&ctx, CERTIFICATES_READ, async |c| {
                Ok::<_, sqlx::Error>(
                    repo::medical(c, id.0, false)
                        .await?
                        .filter(|m| may_see(&ctx, m.person_id)),
                )
            })
            .await
    }

    /// Correct a medical certificate (examination day, date of birth, course, limitations); the
    /// validity is computed again. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `certificates.manage`. Audited as `medical_certificate.updated` with before
    /// and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<MedicalUpdate>,
    ) -> Result<Json<Medical>> {
        ctx.require(CERTIFICATES_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = repo::medical(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("medical certificate"))?;
        AppError::check_version("medical certificate", body.version, before.version)?;
        let mut next = before.clone();
        if let Some(d) = body.examined_on {
            next.examined_on = d;
        }
        if let Some(d) = body.date_of_birth {
            next.date_of_birth = d;
        }
        merge(&mut next.course_on, &body.course_on);
        merge(&mut next.limitations, &body.limitations);
        check(&next)?;
        let after = repo::update_medical(&mut tx, &next).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "medical_certificate.updated",
            "medical_certificate",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a medical certificate recorded in error.
    ///
    /// Permission: `certificates.manage`. Audited as `medical_certificate.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        MEDICAL
            .delete(&ctx, CERTIFICATES_MANAGE, id.0, async |c| {
                repo::medical(c, id.0, true).await
            })
            .await
    }
}
