//! EASA Part-FCL recent experience (Commission Regulation (EU) No 1178/2011, Annex I):
//! FCL.060(b), what a pilot must have flown in the preceding 90 days to carry passengers. Under
//! the EASA authority these replace 14 CFR 61.57(a) and (b).
//!
//! A landing is counted as take-off, approach and landing together (a logbook line records
//! them as one). The logbook's night column holds full-stop landings at night; FCL.060(b)(2)
//! asks for any night landing, so a night touch-and-go logged only as a day landing is not seen.

use chrono::NaiveDate;

use super::crew::{self, Held};
use super::currency::{Aircraft, Entry, ninety_days};
use super::{Finding, State, state};

/// FCL.060(b)(1): to carry passengers as pilot in command or co-pilot, 3 take-offs,
/// approaches and landings in the preceding 90 days as pilot flying in an aircraft of the same
/// type or class (the type where a type rating is required, else category and class).
pub fn passengers(
    entries: &[Entry],
    aircraft: &Aircraft,
    on: NaiveDate,
    warn_days: u32,
) -> Finding {
    let counted = entries
        .iter()
        .filter(|e| e.date <= on && aircraft.same(e))
        .map(|e| (e.date, e.day_landings + e.night_full_stop_landings))
        .collect();
    let (valid_until, evidence) = ninety_days(counted, 3);
    Finding {
        rule: "easa.fcl.060.b.1",
        regulation: "Part-FCL FCL.060(b)(1)",
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence,
        detail: format!(
            "3 take-offs, approaches and landings in the preceding 90 days in the same type or class, {}",
            aircraft.describe()
        ),
    }
}

/// FCL.060(b)(2): as pilot in command carrying passengers at night, 1 take-off, approach and
/// landing at night in the preceding 90 days in the same type or class, unless the pilot holds
/// an instrument rating (FCL.060(b)(2)(ii)).
pub fn passengers_night(
    entries: &[Entry],
    aircraft: &Aircraft,
    held: &[Held],
    on: NaiveDate,
    warn_days: u32,
) -> Finding {
    if crew::holds_instrument_rating(held, aircraft) {
        return Finding {
            rule: "easa.fcl.060.b.2",
            regulation: "Part-FCL FCL.060(b)(2)(ii)",
            state: State::Met,
            valid_until: None,
            evidence: Vec::new(),
            detail: format!(
                "holds the {} rating, which replaces night recency",
                crew::instrument_rating(aircraft)
            ),
        };
    }
    let counted = entries
        .iter()
        .filter(|e| e.date <= on && aircraft.same(e))
        .map(|e| (e.date, e.night_full_stop_landings))
        .collect();
    let (valid_until, evidence) = ninety_days(counted, 1);
    Finding {
        rule: "easa.fcl.060.b.2",
        regulation: "Part-FCL FCL.060(b)(2)(i)",
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence,
        detail: format!(
            "1 take-off, approach and landing at night in the preceding 90 days in the same type or class, {} (or an instrument rating)",
            aircraft.describe()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn sep() -> Aircraft {
        Aircraft {
            category: "airplane".into(),
            class: "single_engine_land".into(),
            type_rating: None,
            tailwheel: true,
        }
    }

    fn landed(date: NaiveDate, day: u32, night: u32) -> Entry {
        Entry {
            date,
            category: Some("airplane".into()),
            class: Some("single_engine_land".into()),
            type_code: Some("PA18".into()),
            day_landings: day,
            night_full_stop_landings: night,
            ..Entry::default()
        }
    }

    #[test]
    fn three_landings_in_90_days_touch_and_goes_included() {
        // Touch-and-goes count under FCL.060 even in a tailwheel aircraft (61.57(a)(1)(ii)
        // would want full stops): the 90th day still counts, the 91st does not.
        let log = [landed(d(2026, 9, 1), 3, 0)];
        let f = passengers(&log, &sep(), d(2026, 11, 30), 0);
        assert_eq!(
            (f.state, f.valid_until),
            (State::Met, Some(d(2026, 11, 30)))
        );
        assert_eq!(
            passengers(&log, &sep(), d(2026, 12, 1), 0).state,
            State::Failed
        );
        // Another class does not count.
        let mep = Aircraft {
            class: "multi_engine_land".into(),
            ..sep()
        };
        assert_eq!(
            passengers(&log, &mep, d(2026, 9, 2), 0).state,
            State::Failed
        );
    }

    #[test]
    fn one_night_landing_or_an_instrument_rating() {
        let log = [landed(d(2026, 2, 28), 0, 1)];
        // 28 February 2026 + 90 days = 29 May 2026.
        let f = passengers_night(&log, &sep(), &[], d(2026, 5, 29), 0);
        assert_eq!((f.state, f.valid_until), (State::Met, Some(d(2026, 5, 29))));
        assert_eq!(
            passengers_night(&log, &sep(), &[], d(2026, 5, 30), 0).state,
            State::Failed
        );
        let ir = Held {
            kind: "private".into(),
            ratings: vec![
                "airplane_single_engine_land".into(),
                "instrument_airplane".into(),
            ],
        };
        let f = passengers_night(&[], &sep(), &[ir], d(2026, 5, 30), 0);
        assert_eq!(
            (f.state, f.regulation),
            (State::Met, "Part-FCL FCL.060(b)(2)(ii)")
        );
    }
}
