//! `/api/v1/charter/trips/{id}/passengers`: a trip's passenger manifest (name, date of birth,
//! nationality, passport number and expiry, weight, the legs flown). An international leg
//! (its airports in two countries) needs the travel document, valid on the day of the leg; no
//! leg carries more passengers than its aircraft has seats. The audit keeps who and which legs,
//! never the travel document.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Passenger, PassengerList, PassengerWrite, Trip};
use super::{CHARTER_MANAGE, CHARTER_READ, trips};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::domains::fleet::service as fleet;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};

pub struct PassengersApi;

#[derive(ApiResponse)]
enum Created {
    /// The passenger.
    #[oai(status = 201)]
    Created(Json<Passenger>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    trip_id: Uuid,
    name: String,
    date_of_birth: Option<NaiveDate>,
    nationality: Option<String>,
    passport_number: Option<String>,
    passport_expiry: Option<NaiveDate>,
    weight_kg: Option<i32>,
    legs: Vec<i32>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Passenger {
    fn from(r: Row) -> Self {
        Passenger {
            id: r.id,
            trip_id: r.trip_id,
            name: r.name,
            date_of_birth: r.date_of_birth,
            nationality: r.nationality,
            passport_number: r.passport_number,
            passport_expiry: r.passport_expiry,
            weight_kg: r.weight_kg,
            legs: r.legs,
            notes: r.notes,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, trip_id, name, date_of_birth, nationality, passport_number, \
     passport_expiry, weight_kg, legs, notes, version, created_at, updated_at";

/// The manifest of `trip`, by name.
pub(super) async fn of_trip(conn: &mut PgConnection, trip: Uuid) -> Result<Vec<Passenger>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from charter_passengers where trip_id = $1 order by name, id"
    )))
    .bind(trip)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

async fn load(conn: &mut PgConnection, trip: Uuid, id: Uuid) -> Result<Passenger> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from charter_passengers where trip_id = $1 and id = $2 for update"
    )))
    .bind(trip)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.ok_or(AppError::NotFound("passenger"))?.into())
}

/// What the audit keeps of a passenger: who and which legs, not the travel document.
fn audited(p: &Passenger) -> serde_json::Value {
    serde_json::json!({"id": p.id, "trip_id": p.trip_id, "name": p.name, "legs": p.legs})
}

/// Checks a passenger against the trip: legs, travel documents of international legs, seats
/// (with the rest of the manifest, `except` the passenger being replaced). Returns the legs.
async fn check(
    conn: &mut PgConnection,
    trip: &Trip,
    b: &PassengerWrite,
    except: Option<Uuid>,
) -> Result<Vec<i32>> {
    let legs = b.legs.clone().unwrap_or_else(|| {
        trip.legs
            .iter()
            .filter(|l| !l.positioning)
            .map(|l| l.seq)
            .collect()
    });
    if legs.is_empty() {
        return Err(AppError::validation(
            "legs",
            "the trip has no leg with passengers: name the legs",
        ));
    }
    if b.date_of_birth.is_some_and(|d| d > Utc::now().date_naive()) {
        return Err(AppError::validation(
            "date_of_birth",
            "must not be in the future",
        ));
    }
    let mut countries: HashMap<String, Option<String>> = HashMap::new();
    let others = of_trip(conn, trip.id).await?;
    for seq in &legs {
        let Some(leg) = trip.legs.iter().find(|l| l.seq == *seq) else {
            return Err(AppError::validation(
                "legs",
                "names a leg the trip does not have",
            ));
        };
        for code in [&leg.from, &leg.to] {
            if !countries.contains_key(code) {
                let c = airports::by_code(conn, code).await?.and_then(|a| a.country);
                countries.insert(code.clone(), c);
            }
        }
        let (from, to) = (&countries[&leg.from], &countries[&leg.to]);
        let international = matches!((from, to), (Some(a), Some(b)) if a != b);
        if international {
            let day = leg.departs_at.date_naive();
            for (field, missing) in [
                ("nationality", b.nationality.is_none()),
                ("passport_number", b.passport_number.is_none()),
                ("passport_expiry", b.passport_expiry.is_none()),
            ] {
                if missing {
                    return Err(AppError::validation(
                        field,
                        format!(
                            "is required for international leg {seq} ({}-{})",
                            leg.from, leg.to
                        ),
                    ));
                }
            }
            if b.passport_expiry.is_some_and(|e| e < day) {
                return Err(AppError::validation(
                    "passport_expiry",
                    format!("must not be before international leg {seq} on {day}"),
                ));
            }
        }
        let aboard = others
            .iter()
            .filter(|p| Some(p.id) != except && p.legs.contains(seq))
            .count()
            + 1;
        if let Some(facts) = fleet::aircraft_facts(conn, leg.aircraft_id).await?
            && let Some(seats) = facts.seats
            && aboard > usize::try_from(seats).unwrap_or(0)
        {
            return Err(AppError::validation(
                "legs",
                format!(
                    "is more than the {seats} seats of {} on leg {seq}",
                    facts.registration
                ),
            ));
        }
    }
    Ok(legs)
}

#[OpenApi(
    prefix_path = "/api/v1/charter/trips",
    tag = "super::Tag::CharterTrips"
)]
impl PassengersApi {
    /// A trip's passenger manifest, by name.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/:id/passengers", method = "get")]
    async fn list(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<PassengerList>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        trips::load(&mut tx, id.0, false).await?;
        let items = of_trip(&mut tx, id.0).await?;
        tx.end_read();
        Ok(Json(PassengerList { items }))
    }

    /// Add a passenger to the manifest (until the trip leaves: `409 trip-closed`). An
    /// international leg needs nationality, passport number and an expiry not before the leg;
    /// a leg full to its aircraft's seats refuses one more (`422`).
    ///
    /// Permission: `charter.manage`. Audited as `charter_passenger.created` (without the
    /// travel document).
    #[oai(path = "/:id/passengers", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<PassengerWrite>,
    ) -> Result<Created> {
        let b = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let trip = trips::load(&mut tx, id.0, true).await?;
        trips::require_not_left(&trip)?;
        let legs = check(&mut tx, &trip, &b, None).await?;
        let pid = Uuid::now_v7();
        sqlx::query(
            "insert into charter_passengers (id, trip_id, name, date_of_birth, nationality,
                 passport_number, passport_expiry, weight_kg, legs, notes)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(pid)
        .bind(trip.id)
        .bind(b.name.trim())
        .bind(b.date_of_birth)
        .bind(&b.nationality)
        .bind(&b.passport_number)
        .bind(b.passport_expiry)
        .bind(b.weight_kg)
        .bind(&legs)
        .bind(&b.notes)
        .execute(&mut *tx)
        .await?;
        let p = load(&mut tx, trip.id, pid).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "charter_passenger.created",
                resource_type: "charter_passenger",
                resource_id: Some(pid.to_string()),
                before: None,
                after: Some(audited(&p)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(p)))
    }

    /// Replace a passenger (the same checks as adding one; with `version`, a concurrent change
    /// answers `409`).
    ///
    /// Permission: `charter.manage`. Audited as `charter_passenger.updated`.
    #[oai(path = "/:id/passengers/:passenger_id", method = "put")]
    async fn replace(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        passenger_id: Path<Uuid>,
        body: JsonBody<PassengerWrite>,
    ) -> Result<Json<Passenger>> {
        let b = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let trip = trips::load(&mut tx, id.0, true).await?;
        let before = load(&mut tx, trip.id, passenger_id.0).await?;
        AppError::check_version("passenger", b.version, before.version)?;
        trips::require_not_left(&trip)?;
        let legs = check(&mut tx, &trip, &b, Some(before.id)).await?;
        sqlx::query(
            "update charter_passengers set name = $2, date_of_birth = $3, nationality = $4,
                 passport_number = $5, passport_expiry = $6, weight_kg = $7, legs = $8,
                 notes = $9, version = version + 1
             where id = $1",
        )
        .bind(before.id)
        .bind(b.name.trim())
        .bind(b.date_of_birth)
        .bind(&b.nationality)
        .bind(&b.passport_number)
        .bind(b.passport_expiry)
        .bind(b.weight_kg)
        .bind(&legs)
        .bind(&b.notes)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, trip.id, before.id).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "charter_passenger.updated",
                resource_type: "charter_passenger",
                resource_id: Some(before.id.to_string()),
                before: Some(audited(&before)),
                after: Some(audited(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Take a passenger off the manifest (until the trip leaves).
    ///
    /// Permission: `charter.manage`. Audited as `charter_passenger.deleted`.
    #[oai(path = "/:id/passengers/:passenger_id", method = "delete")]
    async fn delete(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        passenger_id: Path<Uuid>,
    ) -> Result<NoContent> {
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let trip = trips::load(&mut tx, id.0, true).await?;
        let before = load(&mut tx, trip.id, passenger_id.0).await?;
        trips::require_not_left(&trip)?;
        sqlx::query("delete from charter_passengers where id = $1")
            .bind(before.id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "charter_passenger.deleted",
                resource_type: "charter_passenger",
                resource_id: Some(before.id.to_string()),
                before: Some(audited(&before)),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
