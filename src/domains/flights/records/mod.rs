//! `/api/v1/flights`: flight records. A draft is entered directly or made at a booking's
//! check-in (`service::draft_from_booking`), changes freely, and is signed (`sign.rs`), which
//! locks it and enters it in every crew member's logbook (`generate.rs`); a signed flight
//! changes only by a correction, which keeps the version it replaces. `flights.manage` records
//! and sees every flight; `flights.read` sees the flights one was on board.

pub mod dto;
pub mod fields;
pub mod generate;
pub mod repo;
pub mod sign;

use chrono::{NaiveDate, NaiveTime};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use self::dto::{Flight, FlightCreate, FlightPage, FlightStatus, FlightUpdate};
use self::fields::FlightFields;
use self::generate::AircraftFacts;
use super::{FLIGHTS_MANAGE, FLIGHTS_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::fleet::service as fleet;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::{AircraftId, UserId, page};
use crate::tenancy::TenantTx;

pub struct FlightsApi;

#[derive(ApiResponse)]
enum FlightCreated {
    /// The draft as stored.
    #[oai(status = 201)]
    Created(Json<Flight>),
}

/// `403` unless the caller manages flights or was on board `f`.
pub fn may_see(ctx: &TenantCtx, f: &Flight) -> Result<()> {
    ctx.require(FLIGHTS_READ)?;
    if ctx.has(FLIGHTS_MANAGE) || f.crew.iter().any(|c| c.person_id == ctx.user_id) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "a flight one was not on board requires the `flights.manage` permission".into(),
        ))
    }
}

/// `409 flight-invoiced` while the flight's booking is invoiced: nothing changes it then.
pub fn not_invoiced(f: &Flight) -> Result<()> {
    if f.invoiced_at.is_some() {
        return Err(AppError::Conflict {
            code: "flight-invoiced",
            detail: "the flight is invoiced; correct what was billed with a credit note, or void \
                     the invoice first"
                .into(),
            field: None,
        });
    }
    Ok(())
}

/// `409 flight-signed` for a signed flight (only corrections change it); `409
/// flight-invoiced` for an invoiced one.
pub fn draft_only(f: &Flight) -> Result<()> {
    not_invoiced(f)?;
    if f.status == FlightStatus::Signed {
        return Err(AppError::Conflict {
            code: "flight-signed",
            detail: "the flight is signed; change it with POST /api/v1/flights/{id}/corrections"
                .into(),
            field: None,
        });
    }
    Ok(())
}

/// The aircraft's registration, type, category and class (`422 aircraft_id` when it names no
/// aircraft here).
pub async fn aircraft_facts(tx: &mut TenantTx, id: AircraftId) -> Result<AircraftFacts> {
    let a = fleet::get_aircraft(tx, id, false).await?.ok_or_else(|| {
        AppError::validation("aircraft_id", "names no aircraft of this organisation")
    })?;
    Ok(AircraftFacts {
        registration: Some(a.registration),
        type_code: a.type_designator,
        category: Some(a.category),
        class: a.class,
    })
}

/// `422` naming every invalid field.
pub fn check(f: &FlightFields) -> Result<()> {
    let mut v = Checks::new();
    f.check(&mut v);
    v.done()
}

#[OpenApi(prefix_path = "/api/v1/flights", tag = "super::Tag::Flights")]
impl FlightsApi {
    /// Flights, newest first (by date), with keyset pagination. Filters: `aircraft_id`,
    /// `person_id` (on board), `from` and `to` (dates, inclusive). Without `flights.manage`,
    /// only the caller's own flights (`person_id` is the caller).
    ///
    /// Permission: `flights.read` (one's own flights) or `flights.manage` (every flight).
    #[oai(path = "/", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented query filter"
    )]
    async fn list(
        &self,
        ctx: TenantCtx,
        aircraft_id: Query<Option<AircraftId>>,
        person_id: Query<Option<UserId>>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<FlightPage>> {
        let limit = limit.0.get();
        let after =
            page::decode_time_cursor(cursor.0.as_deref())?.map(|(at, id)| (at.date_naive(), id));
        ctx.require(FLIGHTS_READ)?;
        let person = if ctx.has(FLIGHTS_MANAGE) {
            person_id.0
        } else if person_id.0.is_none_or(|p| p == ctx.user_id) {
            Some(ctx.user_id)
        } else {
            return Err(AppError::Forbidden(
                "another person's flights require the `flights.manage` permission".into(),
            ));
        };
        let mut tx = ctx.begin().await?;
        let filter = repo::ListFilter {
            aircraft_id: aircraft_id.0,
            person_id: person,
            from: from.0,
            to: to.0,
        };
        let rows = repo::list(&mut tx, &filter, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish_by_time(rows, limit, |f: &Flight| {
            (f.date.and_time(NaiveTime::MIN).and_utc(), f.id)
        });
        Ok(Json(FlightPage { items, next_cursor }))
    }

    /// Record a flight directly, as a draft.
    ///
    /// Permission: `flights.manage`. Audited as `flight.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<FlightCreate>) -> Result<FlightCreated> {
        ctx.require(FLIGHTS_MANAGE)?;
        let f = FlightFields::from_create(&body);
        check(&f)?;
        let mut tx = ctx.begin().await?;
        aircraft_facts(&mut tx, f.aircraft_id).await?;
        let flight = repo::save(&mut tx, Uuid::now_v7(), None, &f, Some(ctx.user_id)).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "flight.created",
            "flight",
            flight.id,
            &flight,
        )
        .await?;
        tx.commit().await?;
        Ok(FlightCreated::Created(Json(flight)))
    }

    /// Get one flight with its crew.
    ///
    /// Permission: `flights.read` (a flight one was on board) or `flights.manage`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Flight>> {
        ctx.require(FLIGHTS_READ)?;
        let mut tx = ctx.begin().await?;
        let f = repo::get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        tx.end_read();
        may_see(&ctx, &f)?;
        Ok(Json(f))
    }

    /// Change a draft partially (`409 flight-signed` once signed). With `version`, a
    /// concurrent change answers `409`.
    ///
    /// Permission: `flights.manage`. Audited as `flight.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<FlightUpdate>,
    ) -> Result<Json<Flight>> {
        ctx.require(FLIGHTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        draft_only(&before)?;
        AppError::check_version("flight", body.version, before.version)?;
        let mut f = FlightFields::of_flight(&before);
        f.apply(&body);
        check(&f)?;
        if f.aircraft_id != before.aircraft_id {
            aircraft_facts(&mut tx, f.aircraft_id).await?;
        }
        let after =
            repo::save(&mut tx, before.id, before.booking_id, &f, Some(ctx.user_id)).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "flight.updated",
            "flight",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a draft (`409 flight-signed` once signed).
    ///
    /// Permission: `flights.manage`. Audited as `flight.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(FLIGHTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("flight"))?;
        draft_only(&before)?;
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "flights",
            "flight.deleted",
            "flight",
            before.id,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
