//! Line staff who fuel aircraft: the training they must hold when fuel dispatch assigns them.
//!
//! 14 CFR 139.321(e) (aviation fuel handling at certificated airports; FAA AC 150/5230-4C):
//! every employee who fuels aircraft, accepts fuel shipments or otherwise handles fuel receives
//! initial training in fire safety and in fuel handling, and recurrent training at least every
//! 24 consecutive calendar months. A course is therefore good through the last day of the 24th
//! calendar month after the month it was completed in (the months counted as 14 CFR 61.56(c)
//! counts them), unless the record sets an earlier expiry of its own (a provider's
//! certificate that runs for 12 months). NFPA 407 asks the same of fuel servicing personnel.
//!
//! Marshalling and towing training are recorded with their expiry too, but nothing in fuel
//! dispatch requires them.

use chrono::NaiveDate;

use super::{Finding, State, calendar, state};

/// Months a fueling course counts for without an expiry of its own (139.321(e)).
pub const RECURRENT_MONTHS: u32 = 24;

/// The training a fueler must hold: fire safety and fuel handling (139.321(e)).
pub const FUELER_REQUIRED: &[&str] = &["fire_safety", "fuel_safety"];

/// One course someone completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    /// `fuel_safety`, `fire_safety`, `marshalling`, `towing`.
    pub kind: String,
    pub completed_on: NaiveDate,
    /// The record's own expiry, when it has one.
    pub expires_on: Option<NaiveDate>,
}

/// The last day `c` counts: its own expiry, else the end of the 24th calendar month after.
pub fn valid_until(c: &Course) -> NaiveDate {
    let recurrent = calendar::end_of_nth_month_after(c.completed_on, RECURRENT_MONTHS);
    c.expires_on.map_or(recurrent, |e| e.min(recurrent))
}

/// Whether the courses of one person meet the fueler's training requirement on `on`: each of
/// [`FUELER_REQUIRED`] by its latest valid course. The finding is valid until the earliest of
/// them lapses; `Failed` names what is missing or lapsed.
pub fn fueler_training(courses: &[Course], on: NaiveDate, warn_days: u32) -> Finding {
    let mut until: Option<NaiveDate> = None;
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    let mut lapsed = Vec::new();
    for kind in FUELER_REQUIRED {
        let best = courses
            .iter()
            .filter(|c| c.kind == *kind && c.completed_on <= on)
            .max_by_key(|c| valid_until(c));
        match best {
            None => missing.push(*kind),
            Some(c) => {
                let u = valid_until(c);
                evidence.push(c.completed_on);
                if u < on {
                    lapsed.push(format!("{} lapsed on {u}", kind.replace('_', " ")));
                }
                until = Some(until.map_or(u, |x| x.min(u)));
            }
        }
    }
    let valid_until = if missing.is_empty() { until } else { None };
    let state = state(valid_until, on, warn_days);
    let detail = match state {
        State::Failed => {
            let mut why: Vec<String> = missing
                .iter()
                .map(|k| format!("no {} training", k.replace('_', " ")))
                .collect();
            why.extend(lapsed);
            format!("fueler training not current: {}", why.join("; "))
        }
        State::Expiring => format!(
            "fueler training lapses on {}",
            valid_until.map(|d| d.to_string()).unwrap_or_default()
        ),
        State::Met => "fire safety and fuel handling training current".to_owned(),
    };
    evidence.sort();
    Finding {
        rule: "faa.139.321.e",
        regulation: "14 CFR 139.321(e)",
        state,
        valid_until,
        evidence,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid")
    }

    fn course(kind: &str, done: NaiveDate, expires: Option<NaiveDate>) -> Course {
        Course {
            kind: kind.into(),
            completed_on: done,
            expires_on: expires,
        }
    }

    #[test]
    fn a_course_counts_through_the_end_of_the_24th_calendar_month() {
        let c = course("fire_safety", d(2024, 1, 15), None);
        assert_eq!(valid_until(&c), d(2026, 1, 31));
        // Completed on the last day of February: the month counts, not the day.
        assert_eq!(
            valid_until(&course("fire_safety", d(2024, 2, 29), None)),
            d(2026, 2, 28)
        );
        // A record's own, earlier expiry wins; a later one does not stretch the rule.
        assert_eq!(
            valid_until(&course("fire_safety", d(2024, 1, 15), Some(d(2025, 1, 14)))),
            d(2025, 1, 14)
        );
        assert_eq!(
            valid_until(&course("fire_safety", d(2024, 1, 15), Some(d(2030, 1, 1)))),
            d(2026, 1, 31)
        );
    }

    #[test]
    fn both_courses_are_required_and_the_earliest_lapse_bounds_the_finding() {
        let fire = course("fire_safety", d(2024, 1, 15), None);
        let fuel = course("fuel_safety", d(2024, 6, 1), None);
        let both = [fire.clone(), fuel.clone()];
        let f = fueler_training(&both, d(2025, 6, 1), 30);
        assert_eq!((f.state, f.valid_until), (State::Met, Some(d(2026, 1, 31))));
        assert_eq!(f.regulation, "14 CFR 139.321(e)");
        // The last day counts; the day after is lapsed.
        assert_eq!(fueler_training(&both, d(2026, 1, 31), 0).state, State::Met);
        let after = fueler_training(&both, d(2026, 2, 1), 0);
        assert_eq!(after.state, State::Failed);
        assert!(
            after.detail.contains("fire safety lapsed on 2026-01-31"),
            "{}",
            after.detail
        );
        // Within the warning window.
        assert_eq!(
            fueler_training(&both, d(2026, 1, 10), 30).state,
            State::Expiring
        );
        // One missing.
        let only_fire = fueler_training(std::slice::from_ref(&fire), d(2025, 6, 1), 30);
        assert_eq!(
            (only_fire.state, only_fire.valid_until),
            (State::Failed, None)
        );
        assert!(
            only_fire.detail.contains("no fuel safety training"),
            "{}",
            only_fire.detail
        );
        // A course taken later than the day asked about does not count for it.
        assert_eq!(
            fueler_training(&both, d(2024, 3, 1), 0).state,
            State::Failed
        );
        // Recurrent training renews it.
        let renewed = [fire, fuel, course("fire_safety", d(2026, 1, 20), None)];
        let f = fueler_training(&renewed, d(2026, 2, 1), 0);
        assert_eq!((f.state, f.valid_until), (State::Met, Some(d(2026, 6, 30))));
    }
}
