//! `/api/v1/flights/logbook/entries`: a person's logbook. List (newest first), hand entry,
//! get, update and delete of unsigned hand-entered or imported entries, and the instructor's
//! signature. Every mutation writes its audit row (`logbook_entry.*`) in its transaction; who may
//! do what is `access.rs`.

pub mod access;
pub mod csv;
pub mod dto;
pub mod fields;
pub mod repo;
pub mod totals;

use chrono::{NaiveDate, NaiveTime};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use self::access::{ensure_person, may_edit, may_read, person_for};
use self::dto::{
    EntrySource, LogbookEntry, LogbookEntryCreate, LogbookEntryPage, LogbookEntrySign,
    LogbookEntryUpdate,
};
use self::fields::Fields;
use super::{FLIGHTS_MANAGE, FLIGHTS_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::fleet::service as fleet;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::units::wire;
use crate::kernel::{UserId, page};
use crate::tenancy::TenantTx;

pub struct LogbookApi;

#[derive(ApiResponse)]
enum EntryCreated {
    /// The entry as stored.
    #[oai(status = 201)]
    Created(Json<LogbookEntry>),
}

/// The cursor of a page ending with `e`: its (date, id).
fn cursor_of(e: &LogbookEntry) -> (chrono::DateTime<chrono::Utc>, Uuid) {
    (e.date.and_time(NaiveTime::MIN).and_utc(), e.id)
}

/// Fills what the aircraft knows (registration, type, category, class) into the fields `keep`
/// does not name as given; `422 aircraft_id` when the id names no aircraft here.
async fn fill_from_aircraft(tx: &mut TenantTx, f: &mut Fields, keep: [bool; 4]) -> Result<()> {
    let Some(id) = f.aircraft_id else {
        return Ok(());
    };
    let a = fleet::get_aircraft(tx, id, false).await?.ok_or_else(|| {
        AppError::validation("aircraft_id", "names no aircraft of this organisation")
    })?;
    if !keep[0] {
        f.registration = Some(a.registration);
    }
    if !keep[1] {
        f.type_code = a.type_designator;
    }
    if !keep[2] {
        f.category = Some(a.category);
    }
    if !keep[3] {
        f.class = a.class;
    }
    Ok(())
}

/// `422` naming every invalid field of `f` in `person`'s logbook.
fn check(f: &Fields, person: UserId) -> Result<()> {
    let mut v = Checks::new();
    f.check(&mut v);
    v.check(
        f.instructor_id != Some(person),
        "instructor_id",
        "must be someone other than the person whose logbook it is",
    );
    v.done()
}

#[OpenApi(
    prefix_path = "/api/v1/flights/logbook/entries",
    tag = "super::Tag::Flights"
)]
impl LogbookApi {
    /// A person's logbook, newest first (by date), with keyset pagination. `person_id`
    /// defaults to the caller; `from` and `to` bound the date (inclusive).
    ///
    /// Permission: `flights.read` for one's own logbook, `flights.manage` for another's.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        person_id: Query<Option<UserId>>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<LogbookEntryPage>> {
        let limit = limit.0.get();
        let after =
            page::decode_time_cursor(cursor.0.as_deref())?.map(|(at, id)| (at.date_naive(), id));
        let person = person_for(&ctx, person_id.0)?;
        let mut tx = ctx.begin().await?;
        ensure_person(&ctx, &mut tx, person).await?;
        let filter = repo::ListFilter {
            person,
            from: from.0,
            to: to.0,
        };
        let rows = repo::list(&mut tx, &filter, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish_by_time(rows, limit, cursor_of);
        Ok(Json(LogbookEntryPage { items, next_cursor }))
    }

    /// Enter a flight in a logbook by hand. `person_id` defaults to the caller; with
    /// `aircraft_id`, absent registration, type, category and class come from the aircraft.
    ///
    /// Permission: `flights.read` for one's own logbook, `flights.manage` for another's.
    /// Audited as `logbook_entry.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<LogbookEntryCreate>,
    ) -> Result<EntryCreated> {
        let person = person_for(&ctx, body.person_id)?;
        let mut f = Fields::from_create(&body);
        let mut tx = ctx.begin().await?;
        let keep = [
            f.registration.is_some(),
            f.type_code.is_some(),
            f.category.is_some(),
            f.class.is_some(),
        ];
        fill_from_aircraft(&mut tx, &mut f, keep).await?;
        check(&f, person)?;
        let entry = repo::insert(&mut tx, person, &f, EntrySource::Manual, None).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "logbook_entry.created",
            "logbook_entry",
            entry.id,
            &entry,
        )
        .await?;
        tx.commit().await?;
        Ok(EntryCreated::Created(Json(entry)))
    }

    /// Get one logbook entry.
    ///
    /// Permission: `flights.read` for an entry of one's own logbook, `flights.manage` for
    /// another's.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<LogbookEntry>> {
        ctx.require(FLIGHTS_READ)?;
        let mut tx = ctx.begin().await?;
        let entry = repo::get(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("logbook entry"))?;
        tx.end_read();
        may_read(&ctx, &entry)?;
        Ok(Json(entry))
    }

    /// Update an unsigned hand-entered or imported entry partially. With `version`, a
    /// concurrent change answers `409`; a signed entry (`entry-signed`) or one generated from a
    /// flight (`entry-from-flight`) answers `409`.
    ///
    /// Permission: `flights.read` for an entry of one's own logbook, `flights.manage` for
    /// another's. Audited as `logbook_entry.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LogbookEntryUpdate>,
    ) -> Result<Json<LogbookEntry>> {
        ctx.require(FLIGHTS_READ)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("logbook entry"))?;
        may_edit(&ctx, &before)?;
        AppError::check_version("logbook entry", body.version, before.version)?;
        let mut f = Fields::of_entry(&before);
        f.apply(&body);
        if matches!(body.aircraft_id, MaybeUndefined::Value(_)) {
            let given = |v: &MaybeUndefined<String>| !v.is_undefined();
            let keep = [
                given(&body.registration),
                given(&body.type_code),
                !body.category.is_undefined(),
                !body.class.is_undefined(),
            ];
            fill_from_aircraft(&mut tx, &mut f, keep).await?;
        }
        check(&f, before.person_id)?;
        let after = repo::update(&mut tx, before.id, &f).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "logbook_entry.updated",
            "logbook_entry",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete an unsigned hand-entered or imported entry (`409` for a signed one or one
    /// generated from a flight).
    ///
    /// Permission: `flights.read` for an entry of one's own logbook, `flights.manage` for
    /// another's. Audited as `logbook_entry.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(FLIGHTS_READ)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("logbook entry"))?;
        may_edit(&ctx, &before)?;
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "logbook_entries",
            "logbook_entry.deleted",
            "logbook_entry",
            before.id,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// Sign an entry of instruction received (14 CFR 61.51(h)(2)): only the entry's
    /// instructor may, or, when it names none, a caller with `flights.manage`, who becomes its
    /// instructor. Nobody signs their own logbook. A signed entry never changes again.
    ///
    /// Permission: `flights.read` (the entry's instructor) or `flights.manage` (an entry
    /// without an instructor). Audited as `logbook_entry.signed`.
    #[oai(path = "/:id/sign", method = "post")]
    async fn sign(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LogbookEntrySign>,
    ) -> Result<Json<LogbookEntry>> {
        ctx.require(FLIGHTS_READ)?;
        let certificate = body.certificate_number.trim();
        if certificate.is_empty() {
            return Err(AppError::validation(
                "certificate_number",
                "must not be blank",
            ));
        }
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("logbook entry"))?;
        if before.person_id == ctx.user_id {
            return Err(AppError::Forbidden(
                "nobody signs an entry of their own logbook".into(),
            ));
        }
        match before.instructor_id {
            Some(i) if i != ctx.user_id => {
                return Err(AppError::Forbidden(
                    "only the entry's instructor may sign it".into(),
                ));
            }
            None if !ctx.has(FLIGHTS_MANAGE) => {
                return Err(AppError::Forbidden(
                    "signing an entry without an instructor requires the `flights.manage` permission"
                        .into(),
                ));
            }
            _ => {}
        }
        if before.signed_at.is_some() {
            return Err(AppError::Conflict {
                code: "entry-signed",
                detail: "the entry is signed already".into(),
                field: None,
            });
        }
        AppError::check_version("logbook entry", body.version, before.version)?;
        if before.minutes.dual_received == 0 {
            return Err(AppError::Conflict {
                code: "not-dual-received",
                detail: format!(
                    "an instructor signs instruction received; this {} entry records none",
                    wire(&before.source)
                ),
                field: None,
            });
        }
        let after = repo::sign(&mut tx, before.id, ctx.user_id, certificate).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "logbook_entry.signed",
            "logbook_entry",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
