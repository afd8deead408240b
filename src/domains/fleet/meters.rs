//! `/api/v1/fleet/aircraft/{id}/meter-readings`: the meter history of an aircraft. Readings
//! only move forward; a correction (which may go back) needs a reason and is audited with the
//! meters before and after.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use super::dto::{MeterReading, MeterReadingCreate, MeterReadingPage, tenths};
use super::repo::{self, NewReading};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::JsonBody;
use crate::kernel::page;

pub struct MetersApi;

#[derive(ApiResponse)]
enum ReadingCreated {
    /// The reading; the aircraft's meters now show it.
    #[oai(status = 201)]
    Created(Json<MeterReading>),
}

#[OpenApi(prefix_path = "/api/v1/fleet/aircraft", tag = "super::Tag::Fleet")]
impl MetersApi {
    /// The meter history of an aircraft, newest first.
    ///
    /// Permission: `fleet.read`.
    #[oai(path = "/:id/meter-readings", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::AircraftId>,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<MeterReadingPage>> {
        ctx.require(super::FLEET_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        repo::get_aircraft(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("aircraft"))?;
        let rows = repo::list_readings(&mut tx, id.0, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |r| r.id);
        Ok(Json(MeterReadingPage { items, next_cursor }))
    }

    /// Record a meter reading. A reading below the current meters answers `422` unless it is a
    /// `correction` with a `reason`.
    ///
    /// Permission: `fleet.manage`. Audited as `aircraft.meters_recorded`, or
    /// `aircraft.meters_corrected` for a correction (before and after meters).
    #[oai(path = "/:id/meter-readings", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        id: Path<crate::kernel::AircraftId>,
        body: JsonBody<MeterReadingCreate>,
    ) -> Result<ReadingCreated> {
        let p = &ctx;
        p.require(super::FLEET_MANAGE)?;
        let correction = body.correction.unwrap_or(false);
        let reason = body
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let mut c = Checks::new();
        c.check(
            !correction || reason.is_some(),
            "reason",
            "is required for a correction",
        );
        c.check(
            correction || body.corrects_id.is_none(),
            "corrects_id",
            "is only valid with correction: true",
        );
        let mut tx = p.begin().await?;
        let aircraft = repo::get_aircraft(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("aircraft"))?;
        let (hobbs, tach) = (tenths(body.hobbs), tenths(body.tach));
        if !correction {
            c.check(
                hobbs >= tenths(aircraft.hobbs),
                "hobbs",
                "is below the current Hobbs meter (send correction: true with a reason)",
            );
            c.check(
                tach >= tenths(aircraft.tach),
                "tach",
                "is below the current tach meter (send correction: true with a reason)",
            );
        }
        if let Some(corrects) = body.corrects_id {
            // Kept: the foreign key cannot say "a reading of this aircraft".
            c.check(
                repo::reading_exists(&mut tx, aircraft.id, corrects).await?,
                "corrects_id",
                "names no reading of this aircraft",
            );
        }
        c.done()?;
        let reading = repo::record_reading(
            &mut tx,
            &NewReading {
                aircraft_id: aircraft.id,
                hobbs_tenths: hobbs,
                tach_tenths: tach,
                source: if correction { "correction" } else { "manual" },
                booking_id: None,
                corrects_id: body.corrects_id,
                reason,
                recorded_by: Some(p.user_id),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: if correction {
                    "aircraft.meters_corrected"
                } else {
                    "aircraft.meters_recorded"
                },
                resource_type: "aircraft",
                resource_id: Some(aircraft.id.to_string()),
                before: Some(json!({"hobbs": aircraft.hobbs, "tach": aircraft.tach})),
                after: audit::snapshot(&reading),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ReadingCreated::Created(Json(reading)))
    }
}
