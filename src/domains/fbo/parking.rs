//! `/api/v1/fbo/parking-locations`: the parking spots, hangar places, tie-downs and terminal
//! gates of each airport the FBO serves. A location is never deleted: `DELETE` deactivates it
//! (`display_order` 0, as the FBO seed soft-deletes), so the flights that held it keep their
//! history; it comes back with `active: true`.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    ParkingKind, ParkingLocation, ParkingLocationCreate, ParkingLocationPage, ParkingLocationUpdate,
};
use super::{FBO_MANAGE, FBO_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::kernel::units::{merge, wire};

pub struct ParkingApi;

#[derive(ApiResponse)]
enum Created {
    /// The location as stored.
    #[oai(status = 201)]
    Created(Json<ParkingLocation>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    airport_code: String,
    location_code: String,
    name: String,
    #[sqlx(try_from = "String")]
    kind: ParkingKind,
    display_order: i32,
    active: bool,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ParkingLocation {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            airport_code: r.airport_code,
            location_code: r.location_code,
            name: r.name,
            kind: r.kind,
            display_order: r.display_order,
            active: r.active,
            notes: r.notes,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "select id, airport_code, location_code, name, kind, display_order, active,
        notes, version, created_at, updated_at from fbo_parking_locations";

pub(super) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<ParkingLocation> {
    let sql = if lock {
        format!("{SELECT} where id = $1 for update")
    } else {
        format!("{SELECT} where id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(Into::into)
        .ok_or(AppError::NotFound("parking location"))
}

/// The code of the airport or landing site `raw` names, as stored (`422` naming `field`).
pub(super) async fn airport_code(
    conn: &mut PgConnection,
    field: &str,
    raw: &str,
) -> Result<String> {
    airports::by_code(conn, raw)
        .await?
        .map(|a| a.code)
        .ok_or_else(|| AppError::validation(field, "names no airport or landing site"))
}

#[OpenApi(
    prefix_path = "/api/v1/fbo/parking-locations",
    tag = "super::Tag::FboParking"
)]
impl ParkingApi {
    /// Parking locations and gates in the order they were added (each carries its
    /// `display_order` for the ramp map); `airport` and `kind` filter, and inactive ones are
    /// left out unless `include_inactive=true`.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// An airport code as stored (`KTEB`).
        #[oai(validator(max_length = 10))]
        airport: Query<Option<String>>,
        kind: Query<Option<ParkingKind>>,
        include_inactive: Query<Option<bool>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ParkingLocationPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} where ($1::text is null or airport_code = upper($1))
               and ($2::text is null or kind = $2) and ($3 or active) and id > $4
             order by id limit $5"
        )))
        .bind(&airport.0)
        .bind(kind.0.map(|k| wire(&k)))
        .bind(include_inactive.0.unwrap_or(false))
        .bind(after.unwrap_or(Uuid::nil()))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<ParkingLocation> = rows.into_iter().map(Into::into).collect();
        let (items, next_cursor) = page::finish(items, limit, |l: &ParkingLocation| l.id);
        Ok(Json(ParkingLocationPage { items, next_cursor }))
    }

    /// Add a parking location or gate. Its code is unique per airport (`409 conflict`).
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_parking_location.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<ParkingLocationCreate>,
    ) -> Result<Created> {
        let b = body.0;
        if b.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let airport = airport_code(&mut tx, "airport_code", &b.airport_code).await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into fbo_parking_locations (id, airport_code, location_code, name, kind,
                 display_order, notes)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&airport)
        .bind(&b.location_code)
        .bind(b.name.trim())
        .bind(wire(&b.kind))
        .bind(b.display_order.unwrap_or(100))
        .bind(&b.notes)
        .execute(&mut *tx)
        .await?;
        let loc = load(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "fbo_parking_location.created",
            "fbo_parking_location",
            id,
            &loc,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(loc)))
    }

    /// One parking location or gate.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<ParkingLocation>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let loc = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(loc))
    }

    /// Change a location (its airport and code stay). `active: false` deactivates it like
    /// `DELETE`; `active: true` brings it back. With `version`, a concurrent change answers
    /// `409 version-conflict`.
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_parking_location.updated` with before and
    /// after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ParkingLocationUpdate>,
    ) -> Result<Json<ParkingLocation>> {
        let b = body.0;
        if b.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("parking location", b.version, before.version)?;
        let mut after = before.clone();
        if let Some(n) = &b.name {
            after.name = n.trim().to_owned();
        }
        if let Some(k) = b.kind {
            after.kind = k;
        }
        if let Some(o) = b.display_order {
            after.display_order = o;
        }
        if let Some(a) = b.active {
            after.active = a;
        }
        merge(&mut after.notes, &b.notes);
        after.display_order = match (after.active, after.display_order) {
            (false, _) => 0,
            (true, 0) => 100,
            (true, o) => o,
        };
        save(&mut tx, &after).await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "fbo_parking_location.updated",
            "fbo_parking_location",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Deactivate a location: it leaves the lists and takes no new flights, and keeps its
    /// history (`display_order` 0). A flight holding it now or later is `409 location-in-use`.
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_parking_location.deactivated`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        let holder: Option<String> = sqlx::query_scalar(
            "select f.tail_number from fbo_parking_assignments a
               join fbo_flights f on f.id = a.flight_id
              where a.location_id = $1 and (a.ends_at is null or a.ends_at > now())
              order by a.starts_at limit 1",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(tail) = holder {
            return Err(AppError::Conflict {
                code: "location-in-use",
                detail: format!(
                    "{} is held by {tail} now or later; move or release it first",
                    before.location_code
                ),
                field: None,
            });
        }
        let mut after = before.clone();
        after.active = false;
        after.display_order = 0;
        save(&mut tx, &after).await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "fbo_parking_location.deactivated",
            "fbo_parking_location",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}

async fn save(conn: &mut PgConnection, l: &ParkingLocation) -> Result<()> {
    sqlx::query(
        "update fbo_parking_locations set name = $2, kind = $3, display_order = $4, active = $5,
             notes = $6, version = version + 1
         where id = $1",
    )
    .bind(l.id)
    .bind(&l.name)
    .bind(wire(&l.kind))
    .bind(l.display_order)
    .bind(l.active)
    .bind(&l.notes)
    .execute(conn)
    .await?;
    Ok(())
}
