//! Request and response objects of the scheduling domain. Times are RFC 3339 in UTC; local
//! days and hours use the tenant's `timezone` setting.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use super::rules::{Mode, RuleOutcome, Stage};
use crate::domains::maintenance::service::Severity;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    Dual,
    Solo,
    Rental,
    Checkride,
    /// An aircraft blocked for maintenance (airworthiness rules do not apply).
    Maintenance,
    /// Ground lesson (instructor, no aircraft).
    Ground,
    Simulator,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Scheduled,
    CheckedOut,
    Completed,
    Cancelled,
}

/// What a waiting entry is at.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum WaitlistStatus {
    Waiting,
    /// The slot freed; an e-mail went out.
    Notified,
    Cancelled,
}

/// What a calendar row shows.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CalendarResource {
    Aircraft,
    Instructor,
    Simulator,
    /// A user's own calendar (`user_id`).
    User,
}

/// Visual or instrument flight rules.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FlightRules {
    #[default]
    Vfr,
    Ifr,
}

text_enum!(
    BookingKind,
    BookingStatus,
    WaitlistStatus,
    CalendarResource,
    FlightRules
);

/// A booking of an aircraft, an instructor and/or a simulator.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Booking {
    pub id: crate::kernel::BookingId,
    pub kind: BookingKind,
    pub status: BookingStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub aircraft_id: Option<crate::kernel::AircraftId>,
    pub instructor_id: Option<crate::kernel::UserId>,
    pub simulator_id: Option<Uuid>,
    /// The student, renter or pilot the booking is for.
    pub pilot_id: Option<crate::kernel::UserId>,
    /// Under instrument flight rules the instrument currency rule applies (14 CFR 61.57(c)).
    pub flight_rules: FlightRules,
    /// Any part of the flight at night: night currency with passengers (14 CFR 61.57(b)).
    pub night: bool,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    /// What the dispatch rules said (warnings and overrides), at booking and at check-out.
    pub dispatch: Vec<RuleOutcome>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancelled_by: Option<Uuid>,
    pub cancel_reason: Option<String>,
    /// Cancelled later than the `booking_rules.cancellation_notice_hours` before the start.
    pub late_cancellation: bool,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub hobbs_out: Option<f64>,
    pub tach_out: Option<f64>,
    pub hobbs_in: Option<f64>,
    pub tach_in: Option<f64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new booking. At least one of `aircraft_id`, `instructor_id`, `simulator_id`.
#[derive(Object, serde::Serialize)]
#[oai(example)]
pub struct BookingCreate {
    pub kind: BookingKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub aircraft_id: Option<crate::kernel::AircraftId>,
    pub instructor_id: Option<crate::kernel::UserId>,
    pub simulator_id: Option<Uuid>,
    /// Default: the caller.
    pub pilot_id: Option<crate::kernel::UserId>,
    /// Default `vfr`.
    pub flight_rules: Option<FlightRules>,
    /// Any part of the flight at night (default false).
    pub night: Option<bool>,
    #[oai(validator(max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
    /// Blocking dispatch rules to override (needs `scheduling.override`).
    #[oai(validator(max_items = 20))]
    pub override_rules: Option<Vec<String>>,
}

impl poem_openapi::types::Example for BookingCreate {
    fn example() -> Self {
        Self {
            kind: BookingKind::Dual,
            starts_at: DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default(),
            ends_at: DateTime::from_timestamp(1_780_007_200, 0).unwrap_or_default(),
            aircraft_id: Some(Uuid::nil().into()),
            instructor_id: Some(Uuid::nil().into()),
            simulator_id: None,
            pilot_id: None,
            flight_rules: None,
            night: None,
            title: Some("PPL lesson 12: circuits".into()),
            notes: None,
            override_rules: None,
        }
    }
}

/// Move or edit a scheduled booking; `null` releases a resource. The dispatch rules run again.
#[derive(Object)]
pub struct BookingUpdate {
    pub kind: Option<BookingKind>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub aircraft_id: MaybeUndefined<crate::kernel::AircraftId>,
    pub instructor_id: MaybeUndefined<crate::kernel::UserId>,
    pub simulator_id: MaybeUndefined<Uuid>,
    pub pilot_id: MaybeUndefined<crate::kernel::UserId>,
    pub flight_rules: Option<FlightRules>,
    pub night: Option<bool>,
    #[oai(validator(max_length = 200))]
    pub title: MaybeUndefined<String>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    #[oai(validator(max_items = 20))]
    pub override_rules: Option<Vec<String>>,
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct BookingCancel {
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub reason: String,
}

#[derive(Object)]
pub struct CheckOut {
    /// Default: the aircraft's current meters.
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs_out: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach_out: Option<f64>,
    #[oai(validator(max_items = 20))]
    pub override_rules: Option<Vec<String>>,
}

/// A squawk found during the flight.
#[derive(Object)]
pub struct ReportedSquawk {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    pub severity: Severity,
}

#[derive(Object)]
pub struct CheckIn {
    /// Required when the booking has an aircraft; not below the meters out.
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub hobbs_in: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "999999.9")))]
    pub tach_in: Option<f64>,
    #[oai(validator(max_items = 20))]
    pub squawks: Option<Vec<ReportedSquawk>>,
}

/// The booking after check-in, and the squawks it reported.
#[derive(Object)]
pub struct CheckedIn {
    pub booking: Booking,
    pub squawk_ids: Vec<Uuid>,
}

#[derive(Object)]
pub struct BookingPage {
    pub items: Vec<Booking>,
    pub next_cursor: Option<String>,
}

/// A window an instructor is available (or not).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Availability {
    pub id: Uuid,
    pub instructor_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub available: bool,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct AvailabilityCreate {
    /// Default: the caller.
    pub instructor_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// false: time off.
    pub available: bool,
    #[oai(validator(max_length = 500))]
    pub note: Option<String>,
}

#[derive(Object)]
pub struct AvailabilityPage {
    pub items: Vec<Availability>,
    pub next_cursor: Option<String>,
}

/// Opening hours of one ISO weekday, local time (`HH:MM`).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct OpeningDay {
    /// 1 = Monday ... 7 = Sunday.
    #[oai(validator(minimum(value = "1"), maximum(value = "7")))]
    pub weekday: i32,
    #[oai(validator(min_length = 5, max_length = 5))]
    pub opens: String,
    #[oai(validator(min_length = 5, max_length = 5))]
    pub closes: String,
}

/// The whole week; a weekday without an entry is closed; no entries: open around the clock.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct OpeningHours {
    /// The tenant's time zone the hours are in.
    pub timezone: String,
    #[oai(validator(max_items = 7))]
    pub items: Vec<OpeningDay>,
}

#[derive(Object)]
pub struct OpeningHoursPut {
    #[oai(validator(max_items = 7))]
    pub items: Vec<OpeningDay>,
}

/// A dispatch rule and the tenant's mode of it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct DispatchRule {
    pub rule: String,
    pub description: String,
    pub mode: Mode,
    pub default_mode: Mode,
    pub stages: Vec<Stage>,
}

#[derive(Object)]
pub struct DispatchRulePage {
    pub items: Vec<DispatchRule>,
    pub next_cursor: Option<String>,
}

#[derive(Object)]
pub struct DispatchRulePut {
    pub mode: Mode,
}

/// Someone waiting for a slot of one resource.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct WaitlistEntry {
    pub id: Uuid,
    pub user_id: Uuid,
    pub aircraft_id: Option<Uuid>,
    pub instructor_id: Option<Uuid>,
    pub simulator_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: WaitlistStatus,
    pub notified_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Exactly one of `aircraft_id`, `instructor_id`, `simulator_id`.
#[derive(Object)]
pub struct WaitlistCreate {
    pub aircraft_id: Option<Uuid>,
    pub instructor_id: Option<Uuid>,
    pub simulator_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[oai(validator(max_length = 500))]
    pub note: Option<String>,
}

#[derive(Object)]
pub struct WaitlistPage {
    pub items: Vec<WaitlistEntry>,
    pub next_cursor: Option<String>,
}

/// One booking in a calendar. Without `scheduling.manage` (and with `own_bookings_only` on),
/// other people's bookings show only as busy time: `pilot_id`, `title` null.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct CalendarEntry {
    pub id: Uuid,
    pub kind: BookingKind,
    pub status: BookingStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub aircraft_id: Option<Uuid>,
    pub instructor_id: Option<Uuid>,
    pub simulator_id: Option<Uuid>,
    pub pilot_id: Option<Uuid>,
    pub title: Option<String>,
}

/// A row of the calendar: a resource and its bookings in the period.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct CalendarRow {
    pub resource_type: CalendarResource,
    pub resource_id: Uuid,
    /// Registration, name.
    pub label: String,
    pub bookings: Vec<CalendarEntry>,
}

/// A calendar view: local days `start` .. `start + days` of the tenant's time zone.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Calendar {
    pub timezone: String,
    pub start: NaiveDate,
    pub days: i32,
    /// The period in UTC: `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub rows: Vec<CalendarRow>,
}
