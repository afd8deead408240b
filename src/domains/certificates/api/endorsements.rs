//! `/api/v1/certificates/endorsements`: instructor endorsements (AC 61-65) and the school's
//! aircraft checkouts. Given by the caller as the instructor, never edited; a wrong one is
//! revoked with a reason and stays on record.

use chrono::Utc;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::{list_scope, may_see};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::certificates::dto::{
    Endorsement, EndorsementCreate, EndorsementKind, EndorsementPage, EndorsementRevoke,
};
use crate::domains::certificates::{
    CERTIFICATES_ENDORSE, CERTIFICATES_MANAGE, CERTIFICATES_READ, repo,
};
use crate::error::{AppError, Checks, Result};
use crate::http::JsonBody;
use crate::kernel::{UserId, page};
use crate::record::Record;
use crate::timezone::TenantClock;

const ENDORSEMENT: Record = Record {
    table: "endorsements",
    kind: "endorsement",
    noun: "endorsement",
};

pub struct EndorsementsApi;

#[derive(ApiResponse)]
enum Created {
    /// The endorsement as given.
    #[oai(status = 201)]
    Created(Json<Endorsement>),
}

/// Kinds that name the make and model they are for.
fn names_a_type(kind: EndorsementKind) -> bool {
    matches!(
        kind,
        EndorsementKind::PreSoloFlight
            | EndorsementKind::Solo
            | EndorsementKind::SoloCrossCountry
            | EndorsementKind::SoloNight
            | EndorsementKind::Checkout
    )
}

#[OpenApi(
    prefix_path = "/api/v1/certificates/endorsements",
    tag = "crate::domains::certificates::Tag::Certificates"
)]
impl EndorsementsApi {
    /// List endorsements, newest first: one person's with `person_id`, else everyone's the
    /// caller may see (their own only, without `certificates.manage` or `certificates.endorse`;
    /// asking for another person's is `403`). Revoked ones only with `include_revoked=true`.
    ///
    /// Permission: `certificates.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// The person endorsed.
        person_id: Query<Option<UserId>>,
        /// Include revoked endorsements (default false).
        include_revoked: Query<Option<bool>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<EndorsementPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(CERTIFICATES_READ)?;
        let person = list_scope(&ctx, person_id.0)?;
        let mut tx = ctx.begin().await?;
        let rows = repo::endorsements(
            &mut tx,
            person,
            include_revoked.0.unwrap_or(false),
            after,
            limit,
        )
        .await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |e| e.id);
        Ok(Json(EndorsementPage { items, next_cursor }))
    }

    /// Give an endorsement as the instructor (the caller; their name is recorded with the
    /// certificate number they sign with). Nobody endorses themselves. `type_code` is required
    /// for kinds that name a make and model; `recency_days` for a checkout, and only there.
    /// `given_on` defaults to today in the organisation's time zone and is never in the future.
    ///
    /// Permission: `certificates.endorse`. Audited as `endorsement.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<EndorsementCreate>) -> Result<Created> {
        ctx.require(CERTIFICATES_ENDORSE)?;
        let body = body.0;
        if body.person_id == ctx.user_id {
            return Err(AppError::Forbidden(
                "an instructor cannot endorse themselves".into(),
            ));
        }
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let given_on = body.given_on.unwrap_or(today);
        let mut c = Checks::new();
        c.check(
            !names_a_type(body.kind) || body.type_code.is_some(),
            "type_code",
            "is required for this kind (the make and model it names)",
        );
        c.check(
            (body.kind == EndorsementKind::Checkout) == body.recency_days.is_some(),
            "recency_days",
            "is required for a checkout and only there",
        );
        c.check(given_on <= today, "given_on", "must not be in the future");
        c.check(
            body.instructor_certificate_expires_on
                .is_none_or(|e| e >= given_on),
            "instructor_certificate_expires_on",
            "must not be before given_on",
        );
        c.done()?;
        let e = Endorsement {
            id: Uuid::now_v7(),
            person_id: body.person_id,
            kind: body.kind,
            type_code: body.type_code,
            given_on,
            recency_days: body.recency_days,
            valid_until: None,
            instructor_id: Some(ctx.user_id),
            instructor_name: String::new(),
            instructor_certificate_number: body.instructor_certificate_number,
            instructor_certificate_expires_on: body.instructor_certificate_expires_on,
            text: body.text,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            created_at: Utc::now(),
        };
        let stored = repo::insert_endorsement(&mut tx, &e).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "endorsement.created",
            "endorsement",
            stored.id,
            &stored,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(stored)))
    }

    /// Get one endorsement.
    ///
    /// Permission: `certificates.read` (another person's: with `certificates.manage` or
    /// `certificates.endorse`, else `404`).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Endorsement>> {
        ENDORSEMENT
            .get(&ctx, CERTIFICATES_READ, async |c| {
                Ok::<_, sqlx::Error>(
                    repo::endorsement(c, id.0, false)
                        .await?
                        .filter(|e| may_see(&ctx, e.person_id)),
                )
            })
            .await
    }

    /// Revoke an endorsement, with the reason; it stays on record (listed with
    /// `include_revoked=true`) and no longer counts. Only the instructor who gave it or a
    /// caller with `certificates.manage`; revoking twice is `409`.
    ///
    /// Permission: `certificates.endorse` or `certificates.manage`. Audited as
    /// `endorsement.revoked` with before and after.
    #[oai(path = "/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<EndorsementRevoke>,
    ) -> Result<Json<Endorsement>> {
        let manages = ctx.has(CERTIFICATES_MANAGE);
        if !manages {
            ctx.require(CERTIFICATES_ENDORSE)?;
        }
        let mut tx = ctx.begin().await?;
        let before = repo::endorsement(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("endorsement"))?;
        if !manages && before.instructor_id != Some(ctx.user_id) {
            return Err(AppError::Forbidden(
                "only the instructor who gave it, or certificates.manage, may revoke an \
                 endorsement"
                    .into(),
            ));
        }
        if before.revoked_at.is_some() {
            return Err(AppError::Conflict {
                code: "already-revoked",
                detail: "the endorsement is revoked already".into(),
                field: None,
            });
        }
        let after = repo::revoke_endorsement(&mut tx, before.id, ctx.user_id, &body.reason).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "endorsement.revoked",
            "endorsement",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
