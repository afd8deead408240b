//! Request and response objects of inspection programmes (`inspections.rs`). Hours are meter
//! hours with one decimal (stored in tenths); dates are days of the tenant's calendar.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use super::due::DueStatus;
use super::logs::MaintenanceLog;

text_enum!(InspectionKind, Meter);

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    /// 12 calendar months.
    Annual,
    /// 100 hours, 10 hours of overrun counted against the next interval.
    HundredHour,
    /// 24 calendar months.
    PitotStatic,
    /// 24 calendar months.
    Transponder,
    /// 12 calendar months.
    Elt,
    /// Intervals as given.
    Custom,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Meter {
    Hobbs,
    Tach,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum DueFilter {
    DueSoon,
    Overrun,
    Overdue,
}

/// An inspection item with what is due.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Inspection {
    pub id: Uuid,
    pub aircraft_id: Uuid,
    pub registration: String,
    pub kind: InspectionKind,
    pub name: String,
    /// Calendar months, due at the end of the month.
    pub interval_months: Option<i32>,
    pub interval_hours: Option<f64>,
    pub interval_days: Option<i32>,
    /// The meter hours count on.
    pub meter: Meter,
    pub overrun_hours: f64,
    pub last_done_on: Option<NaiveDate>,
    pub last_done_hours: Option<f64>,
    /// The hours the current interval counts from.
    pub basis_hours: Option<f64>,
    /// Last valid day (tenant's calendar).
    pub next_due_on: Option<NaiveDate>,
    /// Meter hours it is due at.
    pub next_due_hours: Option<f64>,
    /// Hours beyond which the overrun is used up too.
    pub hours_limit: Option<f64>,
    pub current_hours: f64,
    pub days_remaining: Option<i64>,
    pub hours_remaining: Option<f64>,
    /// `due_soon` is within 30 days / 10 hours; `overdue` grounds the aircraft.
    pub status: DueStatus,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new inspection item. `interval_*` and `overrun_hours` default by `kind`; a `custom` item
/// needs at least one interval.
#[derive(Object)]
pub struct InspectionCreate {
    pub aircraft_id: Uuid,
    pub kind: InspectionKind,
    /// Defaults to the kind's name ("Annual inspection", ...).
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "240")))]
    pub interval_months: Option<i32>,
    #[oai(validator(minimum(value = "0.1"), maximum(value = "100000")))]
    pub interval_hours: Option<f64>,
    #[oai(validator(minimum(value = "1"), maximum(value = "3650")))]
    pub interval_days: Option<i32>,
    /// Default `tach`.
    pub meter: Option<Meter>,
    #[oai(validator(minimum(value = "0"), maximum(value = "100")))]
    pub overrun_hours: Option<f64>,
    /// The last completion, if the item was done before it was recorded here.
    pub last_done_on: Option<NaiveDate>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub last_done_hours: Option<f64>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

/// A partial update; `null` clears an interval.
#[derive(Object)]
pub struct InspectionUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "240")))]
    pub interval_months: MaybeUndefined<i32>,
    #[oai(validator(minimum(value = "0.1"), maximum(value = "100000")))]
    pub interval_hours: MaybeUndefined<f64>,
    #[oai(validator(minimum(value = "1"), maximum(value = "3650")))]
    pub interval_days: MaybeUndefined<i32>,
    pub meter: Option<Meter>,
    #[oai(validator(minimum(value = "0"), maximum(value = "100")))]
    pub overrun_hours: Option<f64>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    pub version: Option<i32>,
}

/// A completed inspection, signed off by the mechanic making the call.
#[derive(Object)]
pub struct InspectionComplete {
    /// Default: today in the organisation's time zone.
    pub performed_on: Option<NaiveDate>,
    /// Meter hours at completion; default: the aircraft's current meter.
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hours: Option<f64>,
    #[oai(validator(min_length = 1, max_length = 20000))]
    pub work_done: String,
    #[oai(validator(max_length = 50))]
    pub certificate_number: Option<String>,
}

/// The item after completion, and the log entry that records it.
#[derive(Object)]
pub struct InspectionCompleted {
    pub inspection: Inspection,
    pub log: MaintenanceLog,
}

#[derive(Object)]
pub struct InspectionPage {
    pub items: Vec<Inspection>,
    pub next_cursor: Option<String>,
}
