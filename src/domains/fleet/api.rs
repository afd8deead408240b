//! `/api/v1/fleet/aircraft`: the fleet. Every aircraft response carries its airworthiness,
//! computed by `maintenance::airworthiness` on the tenant's local day.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::checks::{aircraft_type, check_fields, check_photo, normalize_registration};
use super::dto::{
    Aircraft, AircraftCreate, AircraftPage, AircraftUpdate, Category, EngineType, FleetStatus,
    merge, tenths, wire,
};
use super::repo::{self, AircraftFilter, NewReading};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::manifest::CountedLimit;
use crate::kernel::page;
use crate::tenancy::limits;
use crate::timezone::TenantClock;

/// Counts the aircraft a plan's limit applies to (retired ones do not count).
/// Aircraft not retired, per plan (`max_aircraft` of the public plan list).
pub const AIRCRAFT_LIMIT: CountedLimit = CountedLimit {
    key: "aircraft",
    count_sql: "select count(*) from aircraft where status <> 'retired'",
    per_plan: &[("trial", 5), ("starter", 5), ("professional", 25)],
};

pub struct AircraftApi;

#[derive(ApiResponse)]
enum AircraftCreated {
    /// The aircraft as stored.
    #[oai(status = 201)]
    Created(Json<Aircraft>),
}

/// Loads one aircraft with its airworthiness on the tenant's local day.
pub async fn load(
    conn: &mut PgConnection,
    id: crate::kernel::AircraftId,
    lock: bool,
) -> Result<Aircraft> {
    let a = repo::get_aircraft(conn, id, lock)
        .await?
        .ok_or(AppError::NotFound("aircraft"))?;
    let today = TenantClock::load(conn).await?.today();
    let mut list = repo::with_airworthiness(conn, vec![a], today).await?;
    list.pop().ok_or(AppError::NotFound("aircraft"))
}

#[OpenApi(prefix_path = "/api/v1/fleet/aircraft", tag = "super::Tag::Fleet")]
impl AircraftApi {
    /// List aircraft, newest first, each with its airworthiness. Filters: `status`,
    /// `aircraft_type_id`, `equipment` (a tag the aircraft has), `home_base`, `q` (part of the
    /// registration).
    ///
    /// Permission: `fleet.read`.
    #[oai(path = "/", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        status: Query<Option<FleetStatus>>,
        aircraft_type_id: Query<Option<Uuid>>,
        equipment: Query<Option<String>>,
        home_base: Query<Option<String>>,
        q: Query<Option<String>>,
    ) -> Result<Json<AircraftPage>> {
        ctx.require(super::FLEET_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let home_base = home_base.0.map(|h| h.trim().to_ascii_uppercase());
        let search =
            q.0.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_uppercase);
        let filter = AircraftFilter {
            status: status.0.as_ref().map(wire),
            aircraft_type_id: aircraft_type_id.0,
            equipment: equipment.0.as_deref(),
            home_base: home_base.as_deref(),
            search: search.as_deref(),
        };
        let rows = repo::list_aircraft(&mut tx, after, &filter, limit).await?;
        let (rows, next_cursor) = page::finish(rows, limit, |a| a.id);
        let today = TenantClock::load(&mut tx).await?.today();
        let items = repo::with_airworthiness(&mut tx, rows, today).await?;
        tx.end_read();
        Ok(Json(AircraftPage { items, next_cursor }))
    }

    /// Add an aircraft. Its initial meters are recorded as the first meter reading.
    ///
    /// Permission: `fleet.manage`. Audited as `aircraft.created`. A registration already in the
    /// fleet answers `409`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<AircraftCreate>,
    ) -> Result<AircraftCreated> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let mut c = Checks::new();
        let registration = normalize_registration(&body.registration);
        c.check(
            registration.is_some(),
            "registration",
            "must be 2 to 10 letters, digits or `-`",
        );
        let mut tx = p.begin().await?;
        limits::guard(&mut tx, &p.tenant, &AIRCRAFT_LIMIT).await?;
        let ty = match body.aircraft_type_id {
            Some(id) => Some(aircraft_type(&mut tx, id).await?),
            None => None,
        };
        let make = body
            .make
            .clone()
            .or_else(|| ty.as_ref().map(|t| t.manufacturer.clone()));
        let model = body
            .model
            .clone()
            .or_else(|| ty.as_ref().map(|t| t.model.clone()));
        c.check(
            make.is_some(),
            "make",
            "is required without aircraft_type_id",
        );
        c.check(
            model.is_some(),
            "model",
            "is required without aircraft_type_id",
        );
        let a = Aircraft {
            id: crate::kernel::AircraftId::new(),
            registration: registration.unwrap_or_default(),
            aircraft_type_id: body.aircraft_type_id,
            make: make.unwrap_or_default(),
            model: model.unwrap_or_default(),
            type_designator: body
                .type_designator
                .as_deref()
                .map(|d| d.trim().to_ascii_uppercase())
                .or_else(|| ty.as_ref().map(|t| t.designator.clone())),
            category: body
                .category
                .or_else(|| ty.as_ref().map(|t| t.category))
                .unwrap_or(Category::Airplane),
            class: body.class.or_else(|| ty.as_ref().and_then(|t| t.class)),
            engine_type: body
                .engine_type
                .or_else(|| ty.as_ref().map(|t| t.engine_type))
                .unwrap_or(EngineType::Piston),
            seats: body.seats.or_else(|| ty.as_ref().and_then(|t| t.seats)),
            cruise_speed_kts: body
                .cruise_speed_kts
                .or_else(|| ty.as_ref().and_then(|t| t.cruise_speed_kts)),
            wet_rate: body.wet_rate,
            dry_rate: body.dry_rate,
            currency: body.currency.clone().unwrap_or_else(|| "USD".into()),
            home_base: body
                .home_base
                .as_deref()
                .map(|h| h.trim().to_ascii_uppercase()),
            status: body.status.unwrap_or(FleetStatus::Active),
            hobbs: super::dto::hours(tenths(body.hobbs.unwrap_or(0.0))),
            tach: super::dto::hours(tenths(body.tach.unwrap_or(0.0))),
            equipment: body.equipment.clone().unwrap_or_default(),
            photo_attachment_id: body.photo_attachment_id,
            notes: body.notes.clone(),
            airworthiness: Default::default(),
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        check_fields(&mut c, &a);
        c.done()?;
        check_photo(&mut tx, a.photo_attachment_id).await?;
        repo::insert_aircraft(&mut tx, &a).await?;
        repo::record_reading(
            &mut tx,
            &NewReading {
                aircraft_id: a.id,
                hobbs_tenths: tenths(a.hobbs),
                tach_tenths: tenths(a.tach),
                source: "initial",
                booking_id: None,
                corrects_id: None,
                reason: None,
                recorded_by: Some(p.user_id),
            },
        )
        .await?;
        let created = load(&mut tx, a.id, false).await?;
        audit::created(
            &mut tx,
            p.into(),
            "aircraft.created",
            "aircraft",
            a.id,
            &created,
        )
        .await?;
        tx.commit().await?;
        Ok(AircraftCreated::Created(Json(created)))
    }

    /// Get an aircraft with its airworthiness. Permission: `fleet.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::AircraftId>,
    ) -> Result<Json<Aircraft>> {
        ctx.require(super::FLEET_READ)?;
        let mut tx = ctx.begin().await?;
        let a = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(a))
    }

    /// Update an aircraft partially (meters change through meter readings). With `version`, a
    /// concurrent change answers `409`.
    ///
    /// Permission: `fleet.manage`. Audited as `aircraft.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::AircraftId>,
        body: JsonBody<AircraftUpdate>,
    ) -> Result<Json<Aircraft>> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let mut c = Checks::new();
        let registration = body.registration.as_deref().map(normalize_registration);
        c.check(
            registration.as_ref().is_none_or(Option::is_some),
            "registration",
            "must be 2 to 10 letters, digits or `-`",
        );
        let mut tx = p.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("aircraft", body.version, before.version)?;
        let mut next = before.clone();
        if let Some(Some(r)) = registration {
            next.registration = r;
        }
        merge(&mut next.aircraft_type_id, &body.aircraft_type_id);
        if let Some(m) = &body.make {
            next.make = m.clone();
        }
        if let Some(m) = &body.model {
            next.model = m.clone();
        }
        merge(
            &mut next.type_designator,
            &body
                .type_designator
                .clone()
                .map_value(|d| d.trim().to_ascii_uppercase()),
        );
        if let Some(v) = body.category {
            next.category = v;
        }
        merge(&mut next.class, &body.class);
        if let Some(v) = body.engine_type {
            next.engine_type = v;
        }
        merge(&mut next.seats, &body.seats);
        merge(&mut next.cruise_speed_kts, &body.cruise_speed_kts);
        merge(&mut next.wet_rate, &body.wet_rate);
        merge(&mut next.dry_rate, &body.dry_rate);
        if let Some(v) = &body.currency {
            next.currency = v.clone();
        }
        merge(
            &mut next.home_base,
            &body
                .home_base
                .clone()
                .map_value(|h| h.trim().to_ascii_uppercase()),
        );
        if let Some(v) = body.status {
            next.status = v;
        }
        if let Some(v) = &body.equipment {
            next.equipment = v.clone();
        }
        merge(&mut next.photo_attachment_id, &body.photo_attachment_id);
        merge(&mut next.notes, &body.notes);
        check_fields(&mut c, &next);
        c.done()?;
        if before.status == FleetStatus::Retired && next.status != FleetStatus::Retired {
            limits::guard(&mut tx, &p.tenant, &AIRCRAFT_LIMIT).await?;
        }
        if let MaybeUndefined::Value(photo) = body.photo_attachment_id {
            check_photo(&mut tx, Some(photo)).await?;
        }
        repo::update_aircraft(&mut tx, &next).await?;
        let after = load(&mut tx, before.id, false).await?;
        audit::updated(
            &mut tx,
            p.into(),
            "aircraft.updated",
            "aircraft",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete an aircraft added by mistake. An aircraft with bookings or any maintenance record
    /// (inspections, squawks, MEL deferrals, log entries) answers `409 in-use`: its history is
    /// kept, retire it instead (`status: retired`). Its meter readings go with it.
    ///
    /// Permission: `fleet.manage`. Audited as `aircraft.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::AircraftId>,
    ) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = repo::get_aircraft(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("aircraft"))?;
        audit::delete_recorded(
            &mut tx,
            p.into(),
            "aircraft",
            "aircraft.deleted",
            "aircraft",
            before.id,
            &before,
        )
        .await
        .map_err(in_use)?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}

/// A delete refused by a foreign key (bookings or maintenance records still reference the row):
/// `409 in-use`.
pub fn in_use(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23503") => AppError::Conflict {
            code: "in-use",
            detail: "bookings or maintenance records refer to it; retire it instead".into(),
            field: None,
        },
        _ => e.into(),
    }
}
