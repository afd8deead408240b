//! The boundaries of 14 CFR 61.57 and 61.56, and two properties of every answer.

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

    /// The answers over the entries equal those over their per-day sums (one per day and kind
    /// of aircraft, as the flights domain's `currency_days` keeps them).
    #[test]
    fn per_day_sums_answer_as_the_entries_do(
        entries in prop::collection::vec(arbitrary_entry(), 0..60),
        on_day in 0u32..520,
    ) {
        let on = d(2025, 8, 1) + chrono::Days::new(u64::from(on_day));
        // Several entries a day: the dates moved back to every fourth day.
        let entries: Vec<Entry> = entries
            .into_iter()
            .map(|mut e| {
                let offset = (e.date - d(2025, 8, 1)).num_days() / 4 * 4;
                e.date = d(2025, 8, 1) + chrono::Days::new(u64::try_from(offset).unwrap_or(0));
                e
            })
            .collect();
        let mut sums: std::collections::BTreeMap<_, Entry> = std::collections::BTreeMap::new();
        for e in &entries {
            let key = (e.date, e.category.clone(), e.class.clone(), e.type_code.clone(), e.tailwheel);
            let s = sums.entry(key).or_insert_with(|| Entry {
                day_landings: 0,
                day_full_stop_landings: 0,
                night_full_stop_landings: 0,
                approaches: 0,
                holds: 0,
                intercept_track: false,
                ipc: false,
                flight_review: false,
                ..e.clone()
            });
            s.day_landings += e.day_landings;
            s.day_full_stop_landings += e.day_full_stop_landings;
            s.night_full_stop_landings += e.night_full_stop_landings;
            s.approaches += e.approaches;
            s.holds += e.holds;
            s.intercept_track |= e.intercept_track;
            s.ipc |= e.ipc;
            s.flight_review |= e.flight_review;
        }
        let summed: Vec<Entry> = sums.into_values().collect();
        let cub = Aircraft { tailwheel: true, ..c172() };
        for a in [c172(), cub] {
            prop_assert_eq!(passengers_day(&entries, &a, on, 30), passengers_day(&summed, &a, on, 30));
            prop_assert_eq!(passengers_night(&entries, &a, on, 30), passengers_night(&summed, &a, on, 30));
        }
        prop_assert_eq!(instrument(&entries, "airplane", on, 30), instrument(&summed, "airplane", on, 30));
        prop_assert_eq!(flight_review(&entries, on, 30), flight_review(&summed, on, 30));
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
