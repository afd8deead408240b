//! The meter reading objects of `/api/v1/fleet/aircraft/{id}/meter-readings`.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

/// Where a meter reading came from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MeterSource {
    /// The meters the aircraft was added with.
    Initial,
    Manual,
    /// Recorded by a booking's check-in.
    CheckIn,
    /// Corrects an earlier reading (with a reason).
    Correction,
}

/// One entry of an aircraft's meter history.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct MeterReading {
    pub id: Uuid,
    pub aircraft_id: Uuid,
    pub hobbs: f64,
    pub tach: f64,
    pub source: MeterSource,
    pub booking_id: Option<Uuid>,
    /// The reading a correction corrects.
    pub corrects_id: Option<Uuid>,
    pub reason: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A new reading. Meters only move forward, unless `correction` is true: then `reason` is
/// required and the change is audited as `aircraft.meters_corrected`.
#[derive(Object)]
pub struct MeterReadingCreate {
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs: f64,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach: f64,
    /// Default false.
    pub correction: Option<bool>,
    /// The reading being corrected (optional).
    pub corrects_id: Option<Uuid>,
    #[oai(validator(max_length = 2000))]
    pub reason: Option<String>,
}

#[derive(Object)]
pub struct MeterReadingPage {
    pub items: Vec<MeterReading>,
    pub next_cursor: Option<String>,
}
