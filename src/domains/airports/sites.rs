//! `/api/v1/airports/sites`: the organisation's private landing sites (hospital helipads, farm
//! strips). A site's code is unique in the organisation and never an ICAO, IATA or local code
//! of a reference airport (a code names one place). Sites are kept: a site trips name is made
//! inactive rather than deleted, and deleting one is refused while anything names it.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{LandingSite, SiteCreate, SiteKind, SitePage, SiteUpdate};
use super::{AIRPORTS_MANAGE, AIRPORTS_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::kernel::units::{merge, wire};

pub struct SitesApi;

#[derive(ApiResponse)]
enum Created {
    /// The landing site as stored.
    #[oai(status = 201)]
    Created(Json<LandingSite>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    code: String,
    name: String,
    #[sqlx(try_from = "String")]
    kind: SiteKind,
    latitude: f64,
    longitude: f64,
    elevation_ft: Option<i32>,
    time_zone: String,
    country: Option<String>,
    notes: Option<String>,
    active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for LandingSite {
    fn from(r: Row) -> Self {
        LandingSite {
            id: r.id,
            code: r.code,
            name: r.name,
            kind: r.kind,
            latitude: r.latitude,
            longitude: r.longitude,
            elevation_ft: r.elevation_ft,
            time_zone: r.time_zone,
            country: r.country,
            notes: r.notes,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! site_select {
    () => {
        "select id, code, name, kind, latitude, longitude, elevation_ft, time_zone, country, \
         notes, active, version, created_at, updated_at from landing_sites"
    };
}

async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<LandingSite> {
    let sql = if lock {
        concat!(site_select!(), " where id = $1 for update")
    } else {
        concat!(site_select!(), " where id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.map(LandingSite::from)
        .ok_or(AppError::NotFound("landing site"))
}

/// A time zone PostgreSQL knows (local times are computed with it).
async fn check_time_zone(conn: &mut PgConnection, tz: &str) -> Result<()> {
    let known: bool =
        sqlx::query_scalar("select exists (select 1 from pg_timezone_names where name = $1)")
            .bind(tz)
            .fetch_one(conn)
            .await?;
    if !known {
        return Err(AppError::validation(
            "time_zone",
            "is not a time zone known to this server (IANA name such as \"Europe/Zurich\")",
        ));
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/airports/sites", tag = "super::Tag::Airports")]
impl SitesApi {
    /// The organisation's landing sites, newest first (inactive ones too).
    ///
    /// Permission: `airports.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<SitePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(AIRPORTS_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(
            site_select!(),
            " where id < $1 order by id desc limit $2"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(LandingSite::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |s: &LandingSite| s.id);
        Ok(Json(SitePage { items, next_cursor }))
    }

    /// Add a landing site. A code in use in the organisation, or one a reference airport
    /// already has (ICAO, IATA or local code), is `409`.
    ///
    /// Permission: `airports.manage`. Audited as `landing_site.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<SiteCreate>) -> Result<Created> {
        let b = body.0;
        if b.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(AIRPORTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        check_time_zone(&mut tx, &b.time_zone).await?;
        let taken: bool = sqlx::query_scalar(
            "select exists (select 1 from reference.airports
                             where icao = $1 or iata = $1 or local_id = $1)",
        )
        .bind(&b.code)
        .fetch_one(&mut *tx)
        .await?;
        if taken {
            return Err(AppError::Conflict {
                code: "code-taken",
                detail: format!("{} is the code of a reference airport", b.code),
                field: Some("code".into()),
            });
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into landing_sites (id, code, name, kind, latitude, longitude, elevation_ft,
                 time_zone, country, notes)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(&b.code)
        .bind(b.name.trim())
        .bind(wire(&b.kind))
        .bind(b.latitude)
        .bind(b.longitude)
        .bind(b.elevation_ft)
        .bind(&b.time_zone)
        .bind(&b.country)
        .bind(&b.notes)
        .execute(&mut *tx)
        .await?;
        let site = load(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "landing_site.created",
            "landing_site",
            id,
            &site,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(site)))
    }

    /// One landing site.
    ///
    /// Permission: `airports.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<LandingSite>> {
        ctx.require(AIRPORTS_READ)?;
        let mut tx = ctx.begin().await?;
        let site = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(site))
    }

    /// Change a landing site (its code stays); `active: false` keeps it but hides it from
    /// search. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `airports.manage`. Audited as `landing_site.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<SiteUpdate>,
    ) -> Result<Json<LandingSite>> {
        let b = body.0;
        if b.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(AIRPORTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("landing site", b.version, before.version)?;
        if let Some(tz) = &b.time_zone {
            check_time_zone(&mut tx, tz).await?;
        }
        let mut after = before.clone();
        if let Some(n) = &b.name {
            after.name = n.trim().to_owned();
        }
        if let Some(k) = b.kind {
            after.kind = k;
        }
        if let Some(v) = b.latitude {
            after.latitude = v;
        }
        if let Some(v) = b.longitude {
            after.longitude = v;
        }
        if let Some(v) = &b.time_zone {
            after.time_zone = v.clone();
        }
        if let Some(v) = b.active {
            after.active = v;
        }
        merge(&mut after.elevation_ft, &b.elevation_ft);
        merge(&mut after.country, &b.country);
        merge(&mut after.notes, &b.notes);
        sqlx::query(
            "update landing_sites set name = $2, kind = $3, latitude = $4, longitude = $5,
                 elevation_ft = $6, time_zone = $7, country = $8, notes = $9, active = $10,
                 version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(&after.name)
        .bind(wire(&after.kind))
        .bind(after.latitude)
        .bind(after.longitude)
        .bind(after.elevation_ft)
        .bind(&after.time_zone)
        .bind(&after.country)
        .bind(&after.notes)
        .bind(after.active)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "landing_site.updated",
            "landing_site",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a landing site (`409` while a record names it; make it inactive instead).
    ///
    /// Permission: `airports.manage`. Audited as `landing_site.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(AIRPORTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "landing_sites",
            "landing_site.deleted",
            "landing_site",
            id.0,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
