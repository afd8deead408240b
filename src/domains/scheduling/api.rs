//! `/api/v1/scheduling/bookings`: bookings, their dispatch, check-out, check-in and
//! cancellation. Callers without `scheduling.manage` see only the bookings they fly or teach
//! while the `own_bookings_only` rule is on (filtered in SQL).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{
    Booking, BookingCancel, BookingCreate, BookingKind, BookingPage, BookingStatus, BookingUpdate,
    CheckIn, CheckOut, CheckedIn,
};
use super::repo::{self, Filter};
use super::rules::Mode;
use super::service;
use crate::auth::{Principal, TenantCtx};
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::wire;
use crate::tenancy::TenantTx;

pub struct BookingsApi;

#[derive(ApiResponse)]
enum BookingCreated {
    /// The booking, with the warnings and overrides of the dispatch rules. A retry with the
    /// same `Idempotency-Key` and body returns the same booking.
    #[oai(status = 201)]
    Created(Json<Booking>),
}

/// The user whose bookings alone the caller may see, if restricted.
pub async fn owner_scope(
    tx: &mut TenantTx,
    p: &Principal,
) -> Result<Option<crate::kernel::UserId>> {
    if p.has(super::SCHEDULING_MANAGE) {
        return Ok(None);
    }
    Ok((repo::own_only_mode(tx).await? != Mode::Off).then_some(p.user_id))
}

#[OpenApi(
    prefix_path = "/api/v1/scheduling/bookings",
    tag = "super::Tag::Scheduling"
)]
impl BookingsApi {
    /// List bookings by start time. Filters: `from` / `to` (overlapping the period),
    /// `aircraft_id`, `instructor_id`, `simulator_id`, `pilot_id`, `status`, `kind`.
    ///
    /// Permission: `scheduling.read`; without `scheduling.manage` only the caller's own
    /// bookings (as pilot or instructor) while `own_bookings_only` is on.
    #[oai(path = "/", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        aircraft_id: Query<Option<Uuid>>,
        instructor_id: Query<Option<Uuid>>,
        simulator_id: Query<Option<Uuid>>,
        pilot_id: Query<Option<Uuid>>,
        status: Query<Option<BookingStatus>>,
        kind: Query<Option<BookingKind>>,
    ) -> Result<Json<BookingPage>> {
        let p = &ctx;
        p.require(super::SCHEDULING_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        let mut tx = p.begin().await?;
        let filter = Filter {
            from: from.0,
            to: to.0,
            aircraft_id: aircraft_id.0,
            instructor_id: instructor_id.0,
            simulator_id: simulator_id.0,
            pilot_id: pilot_id.0,
            status: status.0.as_ref().map(wire),
            kind: kind.0.as_ref().map(wire),
            owner: owner_scope(&mut tx, p).await?,
        };
        let rows = repo::list(&mut tx, after, &filter, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish_by_time(rows, limit, |b| (b.starts_at, b.id));
        Ok(Json(BookingPage { items, next_cursor }))
    }

    /// Book an aircraft, an instructor and/or a simulator. The dispatch rules run first: a
    /// blocking rule answers `409 dispatch-blocked` (one entry per rule in `errors`) unless the
    /// caller has `scheduling.override` and names it in `override_rules`. A resource already
    /// booked at an overlapping time answers `409 booking-conflict` naming that booking.
    /// `Idempotency-Key`: a retry with the same key and body returns the first booking; the
    /// same key with another body answers `422`.
    ///
    /// Permission: `scheduling.book` (for oneself; for others `scheduling.manage`, see the
    /// `own_bookings_only` rule). Audited as `booking.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<BookingCreate>,
    ) -> Result<BookingCreated> {
        ctx.require(super::SCHEDULING_BOOK)?;
        let b = service::create(&ctx, &body, idempotency_key.0.as_deref()).await?;
        Ok(BookingCreated::Created(Json(b)))
    }

    /// Get a booking. Permission: `scheduling.read` (own bookings only, as for the list).
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::BookingId>,
    ) -> Result<Json<Booking>> {
        let p = &ctx;
        p.require(super::SCHEDULING_READ)?;
        let mut tx = p.begin().await?;
        let owner = owner_scope(&mut tx, p).await?;
        let b = repo::get(&mut tx, id.0, owner, false)
            .await?
            .ok_or(AppError::NotFound("booking"))?;
        tx.end_read();
        Ok(Json(b))
    }

    /// Move or edit a scheduled booking (time, resources, pilot, text). The dispatch rules run
    /// again; a conflict answers `409 booking-conflict`; the freed slot notifies the waitlist.
    ///
    /// Permission: `scheduling.book` for one's own bookings, `scheduling.manage` for any.
    /// Audited as `booking.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::BookingId>,
        body: JsonBody<BookingUpdate>,
    ) -> Result<Json<Booking>> {
        ctx.require(super::SCHEDULING_BOOK)?;
        Ok(Json(service::update(&ctx, id.0, &body).await?))
    }

    /// Cancel a scheduled booking with a reason. Cancelling within the
    /// `booking_rules.cancellation_notice_hours` (default 24) before the start sets
    /// `late_cancellation`. Waiting users whose slot is now free are e-mailed.
    ///
    /// Permission: `scheduling.book` for one's own bookings, `scheduling.manage` for any.
    /// Audited as `booking.cancelled`.
    #[oai(path = "/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::BookingId>,
        body: JsonBody<BookingCancel>,
    ) -> Result<Json<Booking>> {
        ctx.require(super::SCHEDULING_BOOK)?;
        Ok(Json(service::cancel(&ctx, id.0, &body.reason).await?))
    }

    /// Check out: the check-out dispatch rules run (airworthiness again, maintenance due) and
    /// the meters out are recorded (default: the aircraft's current meters).
    ///
    /// Permission: `scheduling.book` for one's own bookings, `scheduling.manage` for any.
    /// Audited as `booking.checked_out`.
    #[oai(path = "/:id/check-out", method = "post")]
    async fn check_out(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::BookingId>,
        body: JsonBody<CheckOut>,
    ) -> Result<Json<Booking>> {
        ctx.require(super::SCHEDULING_BOOK)?;
        Ok(Json(super::checkin::check_out(&ctx, id.0, &body).await?))
    }

    /// Check in: meters in (required with an aircraft, not below the meters out) become the
    /// aircraft's meters; squawks found during the flight are reported against the aircraft.
    ///
    /// Permission: `scheduling.book` for one's own bookings, `scheduling.manage` for any.
    /// Audited as `booking.checked_in`, `aircraft.meters_recorded` and `squawk.created`.
    #[oai(path = "/:id/check-in", method = "post")]
    async fn check_in(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::BookingId>,
        body: JsonBody<CheckIn>,
    ) -> Result<Json<CheckedIn>> {
        ctx.require(super::SCHEDULING_BOOK)?;
        let (booking, squawk_ids) = super::checkin::check_in(&ctx, id.0, &body).await?;
        Ok(Json(CheckedIn {
            booking,
            squawk_ids,
        }))
    }
}
