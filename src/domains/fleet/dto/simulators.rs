//! The simulator objects of `/api/v1/fleet/simulators`.

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use super::FleetStatus;

/// A flight simulator or training device.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Simulator {
    pub id: Uuid,
    pub name: String,
    pub device_type: DeviceType,
    pub qualification: Option<String>,
    pub aircraft_type_id: Option<Uuid>,
    /// Minor units of `currency` per hour.
    pub hourly_rate: Option<i32>,
    pub currency: String,
    pub status: FleetStatus,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    Ffs,
    Ftd,
    Aatd,
    Batd,
    Fnpt,
    Other,
}

#[derive(Object)]
pub struct SimulatorCreate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    pub device_type: DeviceType,
    #[oai(validator(max_length = 100))]
    pub qualification: Option<String>,
    pub aircraft_type_id: Option<Uuid>,
    #[oai(validator(minimum(value = "0")))]
    pub hourly_rate: Option<i32>,
    #[oai(validator(min_length = 3, max_length = 3))]
    pub currency: Option<String>,
    pub status: Option<FleetStatus>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

#[derive(Object)]
pub struct SimulatorUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    pub device_type: Option<DeviceType>,
    #[oai(validator(max_length = 100))]
    pub qualification: MaybeUndefined<String>,
    pub aircraft_type_id: MaybeUndefined<Uuid>,
    #[oai(validator(minimum(value = "0")))]
    pub hourly_rate: MaybeUndefined<i32>,
    #[oai(validator(min_length = 3, max_length = 3))]
    pub currency: Option<String>,
    pub status: Option<FleetStatus>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct SimulatorPage {
    pub items: Vec<Simulator>,
    pub next_cursor: Option<String>,
}
