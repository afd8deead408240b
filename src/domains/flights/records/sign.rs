//! `POST /api/v1/flights/{id}/sign`, `POST /api/v1/flights/{id}/corrections` and
//! `GET /api/v1/flights/{id}/revisions`: a draft is locked and entered in the crew's logbooks;
//! a signed flight is corrected by keeping the version it replaces and regenerating its
//! entries. An entry an instructor already signed is never changed silently: the correction
//! answers `409 entries-signed` naming them (an instructor reviews the correction first; see
//! docs/flights.md).

use poem::http::StatusCode;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{Flight, FlightCorrection, FlightRevision, FlightSign, FlightStatus};
use super::fields::FlightFields;
use super::{aircraft_facts, check, draft_only, generate, may_see, repo};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::flights::logbook::dto::EntrySource;
use crate::domains::flights::logbook::repo as logbook;
use crate::domains::flights::{FLIGHTS_MANAGE, FLIGHTS_READ};
use crate::error::{AppError, FieldError, Result};
use crate::http::JsonBody;
use crate::tenancy::TenantTx;

pub struct FlightSigningApi;

/// Writes the logbook entries of `flight` as `f` describes it, each audited.
async fn enter(ctx: &TenantCtx, tx: &mut TenantTx, flight: Uuid, f: &FlightFields) -> Result<()> {
    let facts = aircraft_facts(tx, f.aircraft_id).await?;
    for (person, fields) in generate::entries(f, &facts) {
        let e = logbook::insert(tx, person, &fields, EntrySource::Flight, Some(flight)).await?;
        audit::created(
            tx,
            ctx.into(),
            "logbook_entry.created",
            "logbook_entry",
            e.id,
            &e,
        )
        .await?;
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/flights", tag = "super::super::Tag::Flights")]
impl FlightSigningApi {
    /// Sign a draft: the flight is locked and every crew member gets a logbook entry with the
    /// times their role logs (14 CFR 61.51; docs/flights.md). `409 flight-signed` when signed
    /// already, `409 no-flight-time` without out/in times or Hobbs meters.
    ///
    /// Permission: `flights.manage`. Audited as `flight.signed` and one `logbook_entry.created`
    /// per entry.
    #[oai(path = "/:id/sign", method = "post")]
    async fn sign(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FlightSign>,
    ) -> Result<Json<Flight>> {
        ctx.require(FLIGHTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        draft_only(&before)?;
        AppError::check_version("flight", body.version, before.version)?;
        let f = FlightFields::of_flight(&before);
        check(&f)?;
        if f.total_minutes() == 0 {
            return Err(AppError::Conflict {
                code: "no-flight-time",
                detail: "the flight has no flight time: give out and in times or the Hobbs meters"
                    .into(),
                field: None,
            });
        }
        repo::sign(&mut tx, before.id, ctx.user_id).await?;
        enter(&ctx, &mut tx, before.id, &f).await?;
        let after = repo::get(&mut tx, before.id, false)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "flight.signed",
            "flight",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Correct a signed flight: `changes` as in a PATCH and the `reason`. The version it
    /// replaces is kept (`GET .../revisions`), `revision` counts up, and the flight's logbook
    /// entries are generated anew. When an instructor signed one of them already, nothing
    /// changes: `409 entries-signed` names them. `409 flight-draft` for a draft (PATCH it);
    /// `409 flight-invoiced` while its booking's invoice stands.
    ///
    /// Permission: `flights.manage`. Audited as `flight.corrected`, with the entries
    /// replaced (`logbook_entry.deleted`, `logbook_entry.created`).
    #[oai(path = "/:id/corrections", method = "post")]
    async fn correct(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FlightCorrection>,
    ) -> Result<Json<Flight>> {
        ctx.require(FLIGHTS_MANAGE)?;
        let reason = body.reason.trim();
        if reason.is_empty() {
            return Err(AppError::validation("reason", "must not be blank"));
        }
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        super::not_invoiced(&before)?;
        if before.status == FlightStatus::Draft {
            return Err(AppError::Conflict {
                code: "flight-draft",
                detail: "the flight is a draft: change it with PATCH".into(),
                field: None,
            });
        }
        AppError::check_version("flight", body.changes.version, before.version)?;
        let mut f = FlightFields::of_flight(&before);
        f.apply(&body.changes);
        check(&f)?;
        let entries = logbook::by_flight(&mut tx, before.id).await?;
        let signed: Vec<FieldError> = entries
            .iter()
            .filter(|e| e.signed_at.is_some())
            .map(|e| {
                FieldError::new(
                    format!("logbook_entries.{}", e.id),
                    "signed by its instructor; it does not change silently",
                )
            })
            .collect();
        if !signed.is_empty() {
            return Err(AppError::Detailed {
                status: StatusCode::CONFLICT,
                code: "entries-signed",
                detail: format!(
                    "{} logbook entr{} of this flight {} signed by an instructor",
                    signed.len(),
                    if signed.len() == 1 { "y" } else { "ies" },
                    if signed.len() == 1 { "is" } else { "are" },
                ),
                errors: signed,
            });
        }
        repo::keep_revision(&mut tx, &before, reason, ctx.user_id).await?;
        repo::save(&mut tx, before.id, before.booking_id, &f, Some(ctx.user_id)).await?;
        for e in &entries {
            audit::delete_recorded(
                &mut tx,
                (&ctx).into(),
                "logbook_entries",
                "logbook_entry.deleted",
                "logbook_entry",
                e.id,
                e,
            )
            .await?;
        }
        enter(&ctx, &mut tx, before.id, &f).await?;
        let after = repo::get(&mut tx, before.id, false)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "flight.corrected",
            "flight",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// The superseded signed versions of a flight, newest first.
    ///
    /// Permission: `flights.read` (a flight one was on board) or `flights.manage`.
    #[oai(path = "/:id/revisions", method = "get")]
    async fn revisions(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Vec<FlightRevision>>> {
        ctx.require(FLIGHTS_READ)?;
        let mut tx = ctx.begin().await?;
        let f = repo::get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        may_see(&ctx, &f)?;
        let list = repo::revisions(&mut tx, f.id).await?;
        tx.end_read();
        Ok(Json(list))
    }
}
