//! What the dispatch rules are made of: a rule's mode and stages, the candidate booking and the
//! facts it is judged on, a rule, and the outcome recorded on the booking.

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::domains::maintenance::service::airworthiness::Facts as AircraftFacts;
use crate::timezone::TenantClock;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The action is refused (`409 dispatch-blocked`) unless overridden.
    Block,
    /// The action goes ahead; the warning is recorded on the booking.
    Warn,
    Off,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "block" => Some(Self::Block),
            "warn" => Some(Self::Warn),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Warn => "warn",
            Self::Off => "off",
        }
    }
}

/// When a rule is evaluated.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename = "DispatchStage", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Creating or moving a booking.
    Booking,
    /// Checking the aircraft out for the flight.
    CheckOut,
}

/// The booking being judged.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub kind: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub aircraft_id: Option<crate::kernel::AircraftId>,
    pub instructor_id: Option<crate::kernel::UserId>,
    pub simulator_id: Option<Uuid>,
    pub pilot_id: Option<crate::kernel::UserId>,
    /// Under instrument flight rules.
    pub ifr: bool,
    /// Any part of the flight at night.
    pub night: bool,
    /// Who asks.
    pub actor: crate::kernel::UserId,
    /// The actor may book for others (`scheduling.manage`).
    pub actor_manages: bool,
}

/// `booking_rules` setting (settings domain): notice and horizon of bookings, cancellation
/// notice.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct BookingRules {
    pub min_notice_minutes: Option<i64>,
    pub max_advance_days: Option<i64>,
    pub cancellation_notice_hours: Option<i64>,
}

/// Everything the rules read, loaded in one statement (`repo::facts`).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub clock: TenantClock,
    pub now: DateTime<Utc>,
    pub modes: HashMap<String, Mode>,
    /// (ISO weekday 1..=7, opens, closes) in local time; empty: open around the clock.
    pub opening_hours: Vec<(u32, NaiveTime, NaiveTime)>,
    pub booking_rules: BookingRules,
    pub instructor_unavailable: bool,
    pub aircraft: Option<AircraftFacts>,
    /// The compliance engine's answer for each person a crew rule asks about
    /// ([`super::crew::crew`]), with how the messages name them.
    pub crew: Vec<(&'static str, crate::domains::certificates::service::Answer)>,
    /// The pilot's account standing, when an account rule is on and they have an account.
    pub account: Option<crate::domains::finance::service::Standing>,
}

/// One rule.
pub struct Rule {
    pub key: &'static str,
    pub description: &'static str,
    pub default: Mode,
    pub stages: &'static [Stage],
    /// A violation's message, or `None` when the candidate passes.
    pub check: fn(&Candidate, &Facts) -> Option<String>,
}

/// What became of a rule that fired.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename = "DispatchOutcome", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Mode `warn`: the action went ahead.
    Warned,
    /// Mode `block`, overridden by someone allowed to.
    Overridden,
    /// Mode `block`: the action was refused.
    Blocked,
}

/// What one rule said, recorded on the booking.
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleOutcome {
    pub rule: String,
    /// The rule's mode when evaluated.
    pub mode: Mode,
    pub outcome: Outcome,
    pub message: String,
    pub stage: Stage,
}
