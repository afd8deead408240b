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

/// One logbook entry, reduced to what recency rules read.
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
    fn same(&self, e: &Entry) -> bool {
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
fn ninety_days(counted: Vec<(NaiveDate, u32)>, needed: u32) -> (Option<NaiveDate>, Vec<NaiveDate>) {
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
            "3 takeoffs and landings{} in the preceding 90 days, {} {}",
            if aircraft.tailwheel {
                " to a full stop in a tailwheel airplane"
            } else {
                ""
            },
            aircraft.category,
            aircraft.class
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
            "3 takeoffs and landings to a full stop at night in the preceding 90 days, {} {}",
            aircraft.category, aircraft.class
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
    let evidence: Vec<NaiveDate> = relevant
        .iter()
        .filter(|e| {
            e.date <= on
                && e.date >= first_of_nth_month_before(on, 6)
                && (e.approaches > 0 || e.holds > 0 || e.intercept_track || e.ipc)
        })
        .map(|e| e.date)
        .collect();
    let mut evidence = evidence;
    evidence.sort_unstable_by(|a, b| b.cmp(a));
    let s = state(valid_until, on, warn_days);
    let detail = match valid_until {
        Some(until) if until >= on => {
            "6 approaches, holding, intercepting and tracking in the preceding 6 calendar months"
                .to_owned()
        }
        Some(until) if on <= end_of_nth_month_after(until, 6) => format!(
            "lapsed after {until}: fly the tasks of 61.57(c) (safety pilot or device) by {} to regain it",
            end_of_nth_month_after(until, 6)
        ),
        _ => "an instrument proficiency check is required (61.57(d))".to_owned(),
    };
    Finding {
        rule: "faa.61.57.c",
        regulation: if detail.contains("61.57(d)") {
            "14 CFR 61.57(d)"
        } else {
            "14 CFR 61.57(c)(1)"
        },
        state: s,
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
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::compliance::State;
    use crate::compliance::calendar::local_date;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn c172() -> Aircraft {
        Aircraft {
            category: "airplane".into(),
            class: "single_engine_land".into(),
            type_rating: None,
            tailwheel: false,
        }
    }

    fn flight(date: NaiveDate) -> Entry {
        Entry {
            date,
            category: Some("airplane".into()),
            class: Some("single_engine_land".into()),
            type_code: Some("C172".into()),
            ..Entry::default()
        }
    }

    fn landings(date: NaiveDate, day: u32, full_stop: u32, night: u32) -> Entry {
        Entry {
            day_landings: day,
            day_full_stop_landings: full_stop,
            night_full_stop_landings: night,
            ..flight(date)
        }
    }

    #[test]
    fn three_landings_last_90_days_and_the_90th_day_still_counts() {
        let log = [landings(d(2026, 9, 1), 3, 0, 0)];
        let f = passengers_day(&log, &c172(), d(2026, 11, 30), 0);
        assert_eq!(
            (f.state, f.valid_until),
            (State::Met, Some(d(2026, 11, 30)))
        );
        let f = passengers_day(&log, &c172(), d(2026, 11, 30), 30);
        assert_eq!(f.state, State::Expiring);
        assert_eq!(
            passengers_day(&log, &c172(), d(2026, 12, 1), 0).state,
            State::Failed
        );
        // Across a leap day the window is a day shorter in the calendar.
        let leap = [landings(d(2028, 1, 1), 3, 3, 0)];
        assert_eq!(
            passengers_day(&leap, &c172(), d(2028, 1, 2), 0).valid_until,
            Some(d(2028, 3, 31))
        );
        // The third landing from the newest sets the date; what is logged later today counts,
        // what is dated tomorrow does not.
        let log = [
            landings(d(2026, 10, 1), 1, 1, 0),
            landings(d(2026, 11, 1), 1, 1, 0),
            landings(d(2026, 12, 6), 1, 1, 0),
            landings(d(2026, 12, 7), 5, 5, 0),
        ];
        let f = passengers_day(&log, &c172(), d(2026, 12, 6), 30);
        assert_eq!(f.valid_until, Some(d(2026, 12, 30)));
        assert_eq!(f.evidence, [d(2026, 12, 6), d(2026, 11, 1), d(2026, 10, 1)]);
        assert_eq!(f.state, State::Expiring);
    }

    #[test]
    fn tailwheel_needs_full_stops_in_a_tailwheel_airplane() {
        let cub = Aircraft {
            tailwheel: true,
            ..c172()
        };
        let touch_and_goes = Entry {
            tailwheel: true,
            ..landings(d(2026, 12, 1), 3, 0, 0)
        };
        assert_eq!(
            passengers_day(
                std::slice::from_ref(&touch_and_goes),
                &cub,
                d(2026, 12, 6),
                30
            )
            .state,
            State::Failed
        );
        // The same touch-and-goes keep a nosewheel airplane current.
        assert_eq!(
            passengers_day(&[touch_and_goes], &c172(), d(2026, 12, 6), 30).state,
            State::Met
        );
        // Full stops in a nosewheel airplane do not count for the tailwheel.
        let nose = landings(d(2026, 12, 1), 3, 3, 0);
        assert_eq!(
            passengers_day(&[nose], &cub, d(2026, 12, 6), 30).state,
            State::Failed
        );
        let full = Entry {
            tailwheel: true,
            ..landings(d(2026, 12, 1), 1, 1, 2)
        };
        let f = passengers_day(&[full], &cub, d(2026, 12, 6), 30);
        assert_eq!(
            (f.state, f.regulation),
            (State::Met, "14 CFR 61.57(a)(1)(ii)")
        );
    }

    #[test]
    fn night_needs_three_night_full_stops_in_the_class_and_type() {
        let mut log = vec![landings(d(2026, 11, 20), 10, 10, 2)];
        assert_eq!(
            passengers_night(&log, &c172(), d(2026, 12, 6), 30).state,
            State::Failed
        );
        // Night landings count by day too.
        assert_eq!(
            passengers_day(&log, &c172(), d(2026, 12, 6), 30).state,
            State::Met
        );
        log.push(landings(d(2026, 12, 2), 0, 0, 1));
        let f = passengers_night(&log, &c172(), d(2026, 12, 6), 30);
        assert_eq!((f.state, f.valid_until), (State::Met, Some(d(2027, 2, 18))));
        // Another class does not count, nor another type where a type rating is required.
        let mut other = landings(d(2026, 12, 3), 0, 0, 3);
        other.class = Some("multi_engine_land".into());
        assert_eq!(
            passengers_night(&[other], &c172(), d(2026, 12, 6), 30).state,
            State::Failed
        );
        let citation = Aircraft {
            type_rating: Some("C525".into()),
            ..c172()
        };
        assert_eq!(
            passengers_night(&log, &citation, d(2026, 12, 6), 30).state,
            State::Failed
        );
    }

    fn approaches(date: NaiveDate, n: u32, holds: u32, track: bool) -> Entry {
        Entry {
            approaches: n,
            holds,
            intercept_track: track,
            ..flight(date)
        }
    }

    #[test]
    fn instrument_currency_runs_six_calendar_months_then_six_to_regain_then_an_ipc() {
        let log = [approaches(d(2026, 1, 10), 6, 1, true)];
        let on = |date| instrument(&log, "airplane", date, 30);
        assert_eq!(on(d(2026, 1, 10)).valid_until, Some(d(2026, 7, 31)));
        assert_eq!(on(d(2026, 7, 31)).state, State::Expiring);
        let lapsed = on(d(2026, 8, 1));
        assert_eq!(lapsed.state, State::Failed);
        assert_eq!(lapsed.regulation, "14 CFR 61.57(c)(1)");
        assert!(lapsed.detail.contains("2027-01-31"), "{}", lapsed.detail);
        let ipc_needed = on(d(2027, 2, 1));
        assert_eq!(ipc_needed.regulation, "14 CFR 61.57(d)");
        // An instrument proficiency check restarts it.
        let mut log = log.to_vec();
        log.push(Entry {
            ipc: true,
            ..flight(d(2027, 3, 15))
        });
        let f = instrument(&log, "airplane", d(2027, 3, 15), 30);
        assert_eq!((f.state, f.valid_until), (State::Met, Some(d(2027, 9, 30))));
    }

    #[test]
    fn instrument_tasks_may_be_spread_and_the_oldest_month_decides() {
        let log = [
            approaches(d(2026, 1, 20), 4, 0, false),
            approaches(d(2026, 3, 5), 2, 1, true),
        ];
        assert_eq!(
            instrument(&log, "airplane", d(2026, 2, 28), 30).state,
            State::Failed
        );
        let f = instrument(&log, "airplane", d(2026, 3, 5), 30);
        assert_eq!((f.state, f.valid_until), (State::Met, Some(d(2026, 7, 31))));
        assert_eq!(f.evidence, [d(2026, 3, 5), d(2026, 1, 20)]);
        // A device counts in any category; a helicopter's approaches do not count for airplanes.
        let mut device = approaches(d(2026, 3, 5), 6, 1, true);
        device.category = None;
        assert_eq!(
            instrument(&[device], "airplane", d(2026, 3, 6), 30).state,
            State::Met
        );
        let mut heli = approaches(d(2026, 3, 5), 6, 1, true);
        heli.category = Some("rotorcraft".into());
        assert_eq!(
            instrument(&[heli], "airplane", d(2026, 3, 6), 30).state,
            State::Failed
        );
    }

    #[test]
    fn the_month_of_a_flight_is_the_tenants_local_month() {
        // Logged at 23:30 UTC on 31 January: still January in Denver, already February in
        // Zurich, so the Zurich pilot stays current a month longer.
        let at = chrono::DateTime::parse_from_rfc3339("2026-01-31T23:30:00Z")
            .expect("instant")
            .with_timezone(&chrono::Utc);
        let until = |tz| {
            let log = [approaches(local_date(at, tz), 6, 1, true)];
            instrument(&log, "airplane", d(2026, 2, 10), 30).valid_until
        };
        assert_eq!(until(chrono_tz::America::Denver), Some(d(2026, 7, 31)));
        assert_eq!(until(chrono_tz::Europe::Zurich), Some(d(2026, 8, 31)));
    }

    #[test]
    fn a_flight_review_lasts_24_calendar_months() {
        let log = [
            Entry {
                flight_review: true,
                ..flight(d(2024, 12, 15))
            },
            Entry {
                flight_review: true,
                ..flight(d(2022, 6, 1))
            },
        ];
        let f = flight_review(&log, d(2026, 12, 6), 30);
        assert_eq!(
            (f.state, f.valid_until),
            (State::Expiring, Some(d(2026, 12, 31)))
        );
        assert_eq!(flight_review(&log, d(2027, 1, 1), 30).state, State::Failed);
        assert_eq!(flight_review(&[], d(2027, 1, 1), 30).valid_until, None);
    }

    fn arbitrary_entry() -> impl Strategy<Value = Entry> {
        (
            0u32..500,
            prop::bool::ANY,
            prop::bool::ANY,
            0u32..3,
            0u32..3,
            0u32..3,
            0u32..4,
            0u32..2,
            prop::bool::ANY,
            prop::bool::weighted(0.05),
        )
            .prop_map(
                |(day, tail, other_class, l, fs, night, app, holds, track, ipc)| {
                    let mut e = landings(
                        d(2025, 8, 1) + chrono::Days::new(u64::from(day)),
                        l + fs,
                        fs,
                        night,
                    );
                    e.tailwheel = tail;
                    if other_class {
                        e.class = Some("multi_engine_land".into());
                    }
                    e.approaches = app;
                    e.holds = holds;
                    e.intercept_track = track;
                    e.ipc = ipc;
                    e.flight_review = ipc;
                    e
                },
            )
    }

    proptest! {
        /// The answers never depend on the order of the entries.
        #[test]
        fn answers_do_not_depend_on_the_order_of_entries(
            entries in prop::collection::vec(arbitrary_entry(), 0..40),
            seed in any::<u64>(),
            on_day in 0u32..520,
        ) {
            let on = d(2025, 8, 1) + chrono::Days::new(u64::from(on_day));
            let mut shuffled = entries.clone();
            // A deterministic permutation from the seed.
            let n = shuffled.len();
            let mut x = seed | 1;
            for i in (1..n).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let j = usize::try_from(x % (i as u64 + 1)).unwrap_or(0);
                shuffled.swap(i, j);
            }
            let cub = Aircraft { tailwheel: true, ..c172() };
            for a in [c172(), cub] {
                prop_assert_eq!(passengers_day(&entries, &a, on, 30), passengers_day(&shuffled, &a, on, 30));
                prop_assert_eq!(passengers_night(&entries, &a, on, 30), passengers_night(&shuffled, &a, on, 30));
            }
            prop_assert_eq!(instrument(&entries, "airplane", on, 30), instrument(&shuffled, "airplane", on, 30));
            prop_assert_eq!(flight_review(&entries, on, 30), flight_review(&shuffled, on, 30));
        }

        /// Adding an entry never makes a 90-day currency end sooner.
        #[test]
        fn more_landings_never_shorten_currency(
            entries in prop::collection::vec(arbitrary_entry(), 0..30),
            extra in arbitrary_entry(),
            on_day in 0u32..520,
        ) {
            let on = d(2025, 8, 1) + chrono::Days::new(u64::from(on_day));
            let before = passengers_day(&entries, &c172(), on, 30).valid_until;
            let mut more = entries.clone();
            more.push(extra);
            let after = passengers_day(&more, &c172(), on, 30).valid_until;
            prop_assert!(after >= before);
        }
    }
}
