//! The compliance engine's rules: who may act as what, when. Pure functions over facts (a
//! pilot's medical, their logbook entries, the aircraft), no I/O, so that scheduling's dispatch,
//! charter crew assignment and FBO fueler dispatch all ask the same questions and get the same
//! answers (DESIGN.md §2, `compliance/`). Every rule names its regulation; `docs/compliance.md`
//! lists them with their boundaries.
//!
//! It imports nothing of the service but the kernel (`tests/api/architecture.rs`): the domains
//! load the facts in their own transactions and hand them over.
//!
//! Windows are counted on the tenant's local date ([`calendar::local_date`]), never in UTC: a
//! landing at 23:30 UTC on 31 March is an April landing in Zurich. Flight time, duty and rest
//! ([`duty`]) count elapsed hours between instants instead, and only their calendar quarters and
//! years on the local calendar.

pub mod assess;
pub mod calendar;
pub mod crew;
pub mod currency;
pub mod duty;
pub mod easa;
pub mod fcl;
pub mod line;
pub mod medical;

use chrono::NaiveDate;

/// Whether a requirement is met on the day asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Met, and still met `warn_days` from now.
    Met,
    /// Met today, but it lapses within `warn_days`.
    Expiring,
    /// Not met.
    Failed,
}

/// The answer for one requirement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable key of the rule, e.g. `faa.61.57.b` (night passenger currency).
    pub rule: &'static str,
    /// The regulation it applies, e.g. `14 CFR 61.57(b)`.
    pub regulation: &'static str,
    pub state: State,
    /// The last day (inclusive, local) on which the requirement is met given the facts known
    /// today; `None` when the facts never met it.
    pub valid_until: Option<NaiveDate>,
    /// The dates of the facts the answer rests on (the landings counted, the medical's exam).
    pub evidence: Vec<NaiveDate>,
    /// What it means, for a person to read.
    pub detail: String,
}

/// [`State`] on `on` of a requirement met through `valid_until`, warning `warn_days` ahead.
pub fn state(valid_until: Option<NaiveDate>, on: NaiveDate, warn_days: u32) -> State {
    match valid_until {
        Some(until) if until >= calendar::days_after(on, warn_days) => State::Met,
        Some(until) if until >= on => State::Expiring,
        _ => State::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiring_is_inside_the_warning_window_and_the_last_day_still_counts() {
        let on = NaiveDate::from_ymd_opt(2026, 12, 6).expect("date");
        let plus = |n| calendar::days_after(on, n);
        assert_eq!(state(Some(plus(30)), on, 30), State::Met);
        assert_eq!(state(Some(plus(29)), on, 30), State::Expiring);
        assert_eq!(state(Some(on), on, 30), State::Expiring);
        assert_eq!(
            state(Some(calendar::days_before(on, 1)), on, 30),
            State::Failed
        );
        assert_eq!(state(None, on, 30), State::Failed);
    }
}
