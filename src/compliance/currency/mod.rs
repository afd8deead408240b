//! Recency of experience from the logbook: 14 CFR 61.57 (a) day and (b) night passenger
//! currency, (c) instrument currency and (d) its proficiency check, and 61.56 the flight review.
//!
//! Each function takes the pilot's entries in any order (the answer never depends on it) and
//! the local day asked about; entries dated after that day are ignored (nothing logged
//! tomorrow makes anyone current today).
//!
//! Not modelled yet: the training-device combinations of 61.57(c)(2)-(5) (a device entry counts
//! like a flight in any category), and the 61.57(a)(3) / (b)(3) exceptions for full flight
//! simulators and 61.57(e) operators.

use chrono::NaiveDate;

use super::calendar::{days_after, end_of_nth_month_after, first_of_nth_month_before};
use super::{Finding, state};

/// One logbook entry, reduced to what recency rules read; or the sum of one day's entries in one
/// kind of aircraft (category, class, type, tailwheel), which every rule here answers the same
/// for (the flights domain reads such sums, kept on write, so that a busy pilot's answer reads a
/// third of the rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// The local date of the flight.
    pub date: NaiveDate,
    /// Category of aircraft (`airplane`, `rotorcraft`, ...); `None` for a training device.
    pub category: Option<String>,
    /// Class within the category (`single_engine_land`, ...).
    pub class: Option<String>,
    /// The aircraft's type designator, compared only when a type rating is required.
    pub type_code: Option<String>,
    pub tailwheel: bool,
    /// Takeoffs and landings by day (full stop or not).
    pub day_landings: u32,
    /// Of those, to a full stop.
    pub day_full_stop_landings: u32,
    /// Takeoffs and landings to a full stop between one hour after sunset and one hour before
    /// sunrise.
    pub night_full_stop_landings: u32,
    /// Instrument approaches.
    pub approaches: u32,
    /// Holding procedures.
    pub holds: u32,
    /// Intercepting and tracking courses through electronic navigation systems.
    pub intercept_track: bool,
    /// An instrument proficiency check passed (61.57(d)).
    pub ipc: bool,
    /// A flight review completed, or a proficiency check that counts as one (61.56(c), (d)).
    pub flight_review: bool,
}

/// The aircraft a currency question is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aircraft {
    pub category: String,
    pub class: String,
    /// Set when the aircraft requires a type rating: landings must be in that type.
    pub type_rating: Option<String>,
    pub tailwheel: bool,
}

impl Aircraft {
    /// Category and class for a person to read (`airplane single_engine_land`), saying so when
    /// the aircraft's class is not recorded (then no entry matches it).
    pub fn describe(&self) -> String {
        if self.class.is_empty() {
            format!("{} (the aircraft's class is not recorded)", self.category)
        } else {
            format!("{} {}", self.category, self.class)
        }
    }

    /// Whether an entry was flown in the same category and class (and type, where a type
    /// rating is required).
    pub(crate) fn same(&self, e: &Entry) -> bool {
        e.category.as_deref() == Some(self.category.as_str())
            && e.class.as_deref() == Some(self.class.as_str())
            && self
                .type_rating
                .as_ref()
                .is_none_or(|t| e.type_code.as_ref() == Some(t))
    }
}

/// The 90-day rule: given dated counts, the last day on which the latest `needed` of them fall
/// within the preceding 90 days, and the days counted (newest first).
pub(crate) fn ninety_days(
    counted: Vec<(NaiveDate, u32)>,
    needed: u32,
) -> (Option<NaiveDate>, Vec<NaiveDate>) {
    // Per day, so that several entries of one day count as that day once in the evidence.
    let mut per_day: std::collections::BTreeMap<NaiveDate, u32> = std::collections::BTreeMap::new();
    for (date, n) in counted.into_iter().filter(|c| c.1 > 0) {
        *per_day.entry(date).or_default() += n;
    }
    let mut total = 0;
    let mut evidence = Vec::new();
    for (date, n) in per_day.into_iter().rev() {
        total += n;
        evidence.push(date);
        if total >= needed {
            return (Some(days_after(date, 90)), evidence);
        }
    }
    (None, evidence)
}

/// 14 CFR 61.57(a): to carry passengers, three takeoffs and landings within the preceding 90
/// days as sole manipulator of the controls in the same category and class (and type, if a type
/// rating is required); in a tailwheel airplane, to a full stop in a tailwheel airplane. Night
/// full-stop landings count too.
pub fn passengers_day(
    entries: &[Entry],
    aircraft: &Aircraft,
    on: NaiveDate,
    warn_days: u32,
) -> Finding {
    let counted = entries
        .iter()
        .filter(|e| e.date <= on && aircraft.same(e))
        .filter(|e| !aircraft.tailwheel || e.tailwheel)
        .map(|e| {
            let n = if aircraft.tailwheel {
                e.day_full_stop_landings + e.night_full_stop_landings
            } else {
                e.day_landings + e.night_full_stop_landings
            };
            (e.date, n)
        })
        .collect();
    let (valid_until, evidence) = ninety_days(counted, 3);
    Finding {
        rule: "faa.61.57.a",
        regulation: if aircraft.tailwheel {
            "14 CFR 61.57(a)(1)(ii)"
        } else {
            "14 CFR 61.57(a)(1)"
        },
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence,
        detail: format!(
            "3 takeoffs and landings{} in the preceding 90 days, {}",
            if aircraft.tailwheel {
                " to a full stop in a tailwheel airplane"
            } else {
                ""
            },
            aircraft.describe()
        ),
    }
}

/// 14 CFR 61.57(b): to carry passengers at night (one hour after sunset to one hour before
/// sunrise), three takeoffs and landings to a full stop at night within the preceding 90 days,
/// same category, class and type (if a type rating is required).
pub fn passengers_night(
    entries: &[Entry],
    aircraft: &Aircraft,
    on: NaiveDate,
    warn_days: u32,
) -> Finding {
    let counted = entries
        .iter()
        .filter(|e| e.date <= on && aircraft.same(e))
        .map(|e| (e.date, e.night_full_stop_landings))
        .collect();
    let (valid_until, evidence) = ninety_days(counted, 3);
    Finding {
        rule: "faa.61.57.b",
        regulation: "14 CFR 61.57(b)(1)",
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence,
        detail: format!(
            "3 takeoffs and landings to a full stop at night in the preceding 90 days, {}",
            aircraft.describe()
        ),
    }
}

/// Whether the instrument tasks are met for a flight on `day`, from what was logged up to
/// `known` (61.57(c)(1): six approaches, holding, intercepting and tracking within the six
/// calendar months preceding the month of the flight, the month itself included; an
/// instrument proficiency check in that window re-establishes currency, 61.57(d)).
fn instrument_met(entries: &[&Entry], day: NaiveDate, known: NaiveDate) -> bool {
    let from = first_of_nth_month_before(day, 6);
    let window = entries
        .iter()
        .filter(|e| e.date >= from && e.date <= day && e.date <= known);
    let (mut approaches, mut holds, mut track, mut ipc) = (0u32, 0u32, false, false);
    for e in window {
        approaches += e.approaches;
        holds += e.holds;
        track |= e.intercept_track;
        ipc |= e.ipc;
    }
    ipc || (approaches >= 6 && holds >= 1 && track)
}

/// 14 CFR 61.57(c) and (d): instrument currency in `category` on `on`. When it has lapsed for
/// six calendar months or less, the tasks may still be flown (with a safety pilot or in a
/// device) to regain it; after that only an instrument proficiency check does.
pub fn instrument(entries: &[Entry], category: &str, on: NaiveDate, warn_days: u32) -> Finding {
    let relevant: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.category.as_deref().is_none_or(|c| c == category))
        .collect();
    // The window's start moves only on the first of a month and within a month adding days
    // only adds entries, so currency ends on a month's last day: the answer is the latest month
    // end, from 13 months back to 6 ahead, on which the tasks are met with what was logged by
    // `on`.
    let month_ends = (0..=13u32)
        .map(|back| end_of_nth_month_after(first_of_nth_month_before(on, back), 0))
        .chain((1..=6u32).map(|ahead| end_of_nth_month_after(on, ahead)));
    let valid_until = month_ends
        .filter(|&end| instrument_met(&relevant, end, on))
        .max();
    let window_start = first_of_nth_month_before(on, 6);
    let mut evidence: Vec<NaiveDate> = relevant
        .iter()
        .filter(|e| {
            e.date <= on
                && e.date >= window_start
                && (e.approaches > 0 || e.holds > 0 || e.intercept_track || e.ipc)
        })
        .map(|e| e.date)
        .collect();
    // Newest first, each day once (several entries of a day are one day of evidence).
    evidence.sort_unstable_by(|a, b| b.cmp(a));
    evidence.dedup();
    let (regulation, detail) = match valid_until {
        Some(until) if until >= on => (
            "14 CFR 61.57(c)(1)",
            "6 approaches, holding, intercepting and tracking in the preceding 6 calendar months"
                .to_owned(),
        ),
        Some(until) if on <= end_of_nth_month_after(until, 6) => (
            "14 CFR 61.57(c)(1)",
            format!(
                "lapsed after {until}: fly the tasks of 61.57(c) (safety pilot or device) by {} to regain it",
                end_of_nth_month_after(until, 6)
            ),
        ),
        _ => (
            "14 CFR 61.57(d)",
            "an instrument proficiency check is required (61.57(d))".to_owned(),
        ),
    };
    Finding {
        rule: "faa.61.57.c",
        regulation,
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence,
        detail,
    }
}

/// 14 CFR 61.56(c): to act as pilot in command, a flight review within the preceding 24
/// calendar months (a proficiency check for a certificate, rating or operating privilege
/// counts, 61.56(d)).
pub fn flight_review(entries: &[Entry], on: NaiveDate, warn_days: u32) -> Finding {
    let last = entries
        .iter()
        .filter(|e| e.flight_review && e.date <= on)
        .map(|e| e.date)
        .max();
    let valid_until = last.map(|d| end_of_nth_month_after(d, 24));
    Finding {
        rule: "faa.61.56",
        regulation: "14 CFR 61.56(c)",
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence: last.into_iter().collect(),
        detail: "a flight review in the preceding 24 calendar months".to_owned(),
    }
}

#[cfg(test)]
mod tests;
