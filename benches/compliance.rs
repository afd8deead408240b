//! The compliance engine on one pilot with a long logbook (issue 14's target: an answer for one
//! person with 2,000 logbook entries in at most 2 ms in the server). Pure computation, so this
//! measures it directly: no server, no database (loading the facts is one query, measured with
//! the domain). A report, not a timed test: `cargo bench --bench compliance`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use flightline::compliance::assess::{
    Authority, Checkout, FlightRules, Person, Question, Role, assess,
};
use flightline::compliance::currency::{Aircraft, Entry};
use flightline::compliance::medical::{FaaClass, FaaMedical, FaaPrivileges};

fn logbook(n: u32, last: NaiveDate) -> Vec<Entry> {
    // One entry every other day or so, back from `last`, mixing classes, night, instrument.
    (0..n)
        .map(|i| {
            let date = last - Days::new(u64::from(i) * 2 + u64::from(i % 3));
            Entry {
                date,
                category: Some("airplane".into()),
                class: Some(
                    if i % 5 == 0 {
                        "multi_engine_land"
                    } else {
                        "single_engine_land"
                    }
                    .into(),
                ),
                type_code: Some(if i % 7 == 0 { "PA28" } else { "C172" }.into()),
                tailwheel: i % 11 == 0,
                day_landings: i % 4,
                day_full_stop_landings: i % 3,
                night_full_stop_landings: u32::from(i % 9 == 0),
                approaches: if i % 6 == 0 { 2 } else { 0 },
                holds: u32::from(i % 12 == 0),
                intercept_track: i % 6 == 0,
                ipc: false,
                flight_review: i % 300 == 0,
            }
        })
        .collect()
}

fn main() {
    let on = NaiveDate::from_ymd_opt(2026, 12, 6).expect("date");
    let person = Person {
        born: NaiveDate::from_ymd_opt(1980, 3, 14),
        medicals: vec![FaaMedical {
            class: FaaClass::Second,
            examined_on: NaiveDate::from_ymd_opt(2026, 4, 2).expect("date"),
        }],
        basic_med: None,
        entries: logbook(2_000, on),
        solo_endorsements: Vec::new(),
        checkouts: vec![Checkout {
            type_code: "C172".into(),
            given_on: NaiveDate::from_ymd_opt(2025, 1, 5).expect("date"),
            recency_days: 90,
        }],
        ..Person::default()
    };
    let question = Question {
        role: Role::PicWithPassengers,
        aircraft: Aircraft {
            category: "airplane".into(),
            class: "single_engine_land".into(),
            type_rating: None,
            tailwheel: false,
        },
        type_code: "C172".into(),
        on,
        night: true,
        rules: FlightRules::Ifr,
        privileges: FaaPrivileges::Commercial,
        warn_days: 30,
        authority: Authority::Faa,
        checkout: true,
    };
    // Warm up, then time single answers (every requirement: medical, review, day, night,
    // instrument) and report the distribution.
    for _ in 0..200 {
        black_box(assess(black_box(&person), black_box(&question)));
    }
    let mut times: Vec<Duration> = (0..2_000)
        .map(|_| {
            let t = Instant::now();
            black_box(assess(black_box(&person), black_box(&question)));
            t.elapsed()
        })
        .collect();
    times.sort_unstable();
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    let answer = assess(&person, &question);
    println!(
        "compliance answer, 2,000 entries, {} requirements: p50 {:?}, p99 {:?}, max {:?} (state {:?})",
        answer.findings.len(),
        pct(50),
        pct(99),
        times[times.len() - 1],
        answer.state
    );
}
