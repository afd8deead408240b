//! `/api/v1/fleet/aircraft-types`: the organisation's catalogue of aircraft types; an
//! aircraft of a type copies what it leaves out.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    AircraftType, AircraftTypeCreate, AircraftTypePage, AircraftTypeUpdate, Category, EngineType,
    merge, wire,
};
use super::repo::ClassColumn;
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;

/// Aircraft types: plain get and delete.
const AIRCRAFT_TYPE: Record = Record {
    table: "aircraft_types",
    kind: "aircraft_type",
    noun: "aircraft type",
};

const TYPE_COLUMNS: &str =
    "id, designator, manufacturer, model, category, class, engine_type, engine_count, seats,
     cruise_speed_kts, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    designator: String,
    manufacturer: String,
    model: String,
    #[sqlx(try_from = "String")]
    category: Category,
    #[sqlx(try_from = "Option<String>")]
    class: ClassColumn,
    #[sqlx(try_from = "String")]
    engine_type: EngineType,
    engine_count: i32,
    seats: Option<i32>,
    cruise_speed_kts: Option<i32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for AircraftType {
    fn from(r: Row) -> Self {
        AircraftType {
            id: r.id,
            designator: r.designator,
            manufacturer: r.manufacturer,
            model: r.model,
            category: r.category,
            class: r.class.0,
            engine_type: r.engine_type,
            engine_count: r.engine_count,
            seats: r.seats,
            cruise_speed_kts: r.cruise_speed_kts,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(crate) async fn load_type(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<AircraftType>, sqlx::Error> {
    let sql = format!("select {TYPE_COLUMNS} from aircraft_types where id = $1");
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(AircraftType::from))
}

async fn save_type(
    conn: &mut PgConnection,
    t: &AircraftType,
    insert: bool,
) -> Result<(), sqlx::Error> {
    let sql = if insert {
        "insert into aircraft_types (id, designator, manufacturer, model, category, class, engine_type,
             engine_count, seats, cruise_speed_kts) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    } else {
        "update aircraft_types set designator = $2, manufacturer = $3, model = $4, category = $5, class = $6,
             engine_type = $7, engine_count = $8, seats = $9, cruise_speed_kts = $10 where id = $1"
    };
    sqlx::query(sql)
        .bind(t.id)
        .bind(&t.designator)
        .bind(&t.manufacturer)
        .bind(&t.model)
        .bind(wire(&t.category))
        .bind(t.class.as_ref().map(wire))
        .bind(wire(&t.engine_type))
        .bind(t.engine_count)
        .bind(t.seats)
        .bind(t.cruise_speed_kts)
        .execute(conn)
        .await
        .map(|_| ())
}

fn check_designator(c: &mut Checks, d: &str) {
    c.check(
        (2..=4).contains(&d.len())
            && d.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "designator",
        "must be 2 to 4 capital letters or digits (ICAO type designator)",
    );
}

pub struct AircraftTypesApi;

#[derive(ApiResponse)]
enum TypeCreated {
    #[oai(status = 201)]
    Created(Json<AircraftType>),
}

#[OpenApi(
    prefix_path = "/api/v1/fleet/aircraft-types",
    tag = "super::Tag::Fleet"
)]
impl AircraftTypesApi {
    /// List aircraft types, newest first. Filter: `designator`.
    ///
    /// Permission: `fleet.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        designator: Query<Option<String>>,
    ) -> Result<Json<AircraftTypePage>> {
        ctx.require(super::FLEET_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {TYPE_COLUMNS} from aircraft_types
              where ($1::uuid is null or id < $1) and ($2::text is null or designator = $2)
              order by id desc limit $3"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(designator.0.map(|d| d.trim().to_ascii_uppercase()))
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let types = rows.into_iter().map(AircraftType::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(types, limit, |t| t.id);
        Ok(Json(AircraftTypePage { items, next_cursor }))
    }

    /// Add an aircraft type. The same designator and model twice answers `409`.
    ///
    /// Permission: `fleet.manage`. Audited as `aircraft_type.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<AircraftTypeCreate>,
    ) -> Result<TypeCreated> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let t = AircraftType {
            id: Uuid::now_v7(),
            designator: body.designator.trim().to_ascii_uppercase(),
            manufacturer: body.manufacturer.trim().to_owned(),
            model: body.model.trim().to_owned(),
            category: body.category,
            class: body.class,
            engine_type: body.engine_type,
            engine_count: body.engine_count.unwrap_or(1),
            seats: body.seats,
            cruise_speed_kts: body.cruise_speed_kts,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let mut c = Checks::new();
        check_designator(&mut c, &t.designator);
        c.check(
            !t.manufacturer.is_empty(),
            "manufacturer",
            "must not be blank",
        );
        c.check(!t.model.is_empty(), "model", "must not be blank");
        c.done()?;
        let mut tx = p.begin().await?;
        save_type(&mut tx, &t, true).await?;
        let t = load_type(&mut tx, t.id)
            .await?
            .ok_or(AppError::NotFound("aircraft type"))?;
        audit::created(
            &mut tx,
            p.into(),
            "aircraft_type.created",
            "aircraft_type",
            t.id,
            &t,
        )
        .await?;
        tx.commit().await?;
        Ok(TypeCreated::Created(Json(t)))
    }

    /// Get an aircraft type. Permission: `fleet.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<AircraftType>> {
        AIRCRAFT_TYPE
            .get(&ctx, super::FLEET_READ, async |c| load_type(c, id.0).await)
            .await
    }

    /// Update an aircraft type partially. Aircraft keep the values they copied at creation.
    ///
    /// Permission: `fleet.manage`. Audited as `aircraft_type.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<AircraftTypeUpdate>,
    ) -> Result<Json<AircraftType>> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = load_type(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("aircraft type"))?;
        let mut t = before.clone();
        if let Some(d) = &body.designator {
            t.designator = d.trim().to_ascii_uppercase();
        }
        if let Some(v) = &body.manufacturer {
            t.manufacturer = v.trim().to_owned();
        }
        if let Some(v) = &body.model {
            t.model = v.trim().to_owned();
        }
        if let Some(v) = body.category {
            t.category = v;
        }
        merge(&mut t.class, &body.class);
        if let Some(v) = body.engine_type {
            t.engine_type = v;
        }
        if let Some(v) = body.engine_count {
            t.engine_count = v;
        }
        merge(&mut t.seats, &body.seats);
        merge(&mut t.cruise_speed_kts, &body.cruise_speed_kts);
        let mut c = Checks::new();
        check_designator(&mut c, &t.designator);
        c.check(
            !t.manufacturer.is_empty(),
            "manufacturer",
            "must not be blank",
        );
        c.check(!t.model.is_empty(), "model", "must not be blank");
        c.done()?;
        save_type(&mut tx, &t, false).await?;
        let after = load_type(&mut tx, t.id)
            .await?
            .ok_or(AppError::NotFound("aircraft type"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "aircraft_type.updated",
            "aircraft_type",
            t.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete an aircraft type; aircraft and simulators of the type keep their copied values.
    ///
    /// Permission: `fleet.manage`. Audited as `aircraft_type.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        AIRCRAFT_TYPE
            .delete(&ctx, super::FLEET_MANAGE, id.0, async |c| {
                load_type(c, id.0).await
            })
            .await
    }
}
