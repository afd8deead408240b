//! Crew legality over a 30-day schedule for one crew member (issue 18's target: at most 5 ms):
//! the compliance engine's 14 CFR 135.267 rules (`compliance::duty::check`) asked whether a pilot
//! may take one more assignment. Pure computation, so this measures it directly: no server, no
//! database (loading the duty periods is one query, the charter domain's to measure).
//!
//! The schedule: a duty period every day but every sixth, reporting between 06:00 and 08:00 in
//! New York, 2 to 4 legs of 40 to 110 minutes each, one- and two-pilot days, some other
//! commercial flying; the proposal is the next day's duty with 3 legs. Also timed: the same with
//! 180 days on record (what the domain loads to cover the previous calendar quarter and the
//! year), and an audit of the 30 days without a proposal. The host's speed indicator is the
//! argon2id hash the load benchmark reports.
//!
//! A report, not a timed test: `cargo bench --bench duty`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::America::New_York;
use flightline::compliance::duty::{DutyPeriod, Flying, Legality, Pilots, Segment, check};
use serde_json::json;

mod common;
use common::cpu;

/// New York clock time on `date`.
fn local(date: NaiveDate, minutes: i64) -> DateTime<Utc> {
    let midnight = New_York
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .expect("local midnight");
    (midnight + TimeDelta::minutes(minutes)).with_timezone(&Utc)
}

/// One day's duty: `legs` legs from a report at `report` minutes past local midnight, 45 minutes
/// on the ground before each, released 30 minutes after the last.
fn day(date: NaiveDate, n: u64, report: i64, legs: u64) -> DutyPeriod {
    let mut at = local(date, report);
    let start = at;
    let pilots = if n.is_multiple_of(2) {
        Pilots::Two
    } else {
        Pilots::One
    };
    let segments = (0..legs)
        .map(|leg| {
            let off = at + TimeDelta::minutes(45);
            // A deterministic spread of leg lengths, 40 to 110 minutes.
            let minutes = 40 + i64::try_from((n * 7 + leg * 13) % 71).expect("small");
            at = off + TimeDelta::minutes(minutes);
            Segment {
                off,
                on: at,
                pilots,
                flying: if (n + leg).is_multiple_of(17) {
                    Flying::OtherCommercial
                } else {
                    Flying::Assigned
                },
            }
        })
        .collect();
    DutyPeriod {
        report: start,
        release: at + TimeDelta::minutes(30),
        regular: false,
        segments,
    }
}

/// `days` days from `first`, every sixth day off.
fn schedule(first: NaiveDate, days: u64) -> Vec<DutyPeriod> {
    (0..days)
        .filter(|n| n % 6 != 5)
        .map(|n| {
            let date = first + Days::new(n);
            day(
                date,
                n,
                360 + i64::try_from(n % 3).expect("small") * 60,
                2 + n % 3,
            )
        })
        .collect()
}

/// p50, p99 and max of `times` in microseconds.
fn micros(mut times: Vec<Duration>) -> serde_json::Value {
    times.sort_unstable();
    let us = |d: Duration| (d.as_secs_f64() * 1e7).round() / 10.0;
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    json!({
        "n": times.len(),
        "p50_us": us(pct(50)),
        "p99_us": us(pct(99)),
        "max_us": us(times[times.len() - 1]),
    })
}

fn time(history: &[DutyPeriod], proposal: Option<&DutyPeriod>) -> (serde_json::Value, Legality) {
    for _ in 0..500 {
        black_box(check(black_box(history), black_box(proposal), New_York));
    }
    let times = (0..5_000)
        .map(|_| {
            let t = Instant::now();
            black_box(check(black_box(history), black_box(proposal), New_York));
            t.elapsed()
        })
        .collect();
    (micros(times), check(history, proposal, New_York))
}

/// The argon2id hash of the service's password settings, the speed indicator of
/// docs/benchmarks.md (median of 5).
fn argon2id_ms() -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let passwords = flightline::auth::password::Passwords::new(1, 16).expect("passwords");
        let mut ms: Vec<f64> = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            passwords.hash("benchmark-password").await.expect("hash");
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        (ms[2] * 10.0).round() / 10.0
    })
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let month = schedule(today - Days::new(30), 30);
    let half_year = schedule(today - Days::new(180), 180);
    let proposal = day(today, 30, 420, 3);
    let legs = |h: &[DutyPeriod]| h.iter().map(|d| d.segments.len()).sum::<usize>();

    let (assign_30, answer) = time(&month, Some(&proposal));
    let (assign_180, answer_180) = time(&half_year, Some(&proposal));
    let (audit_30, audit) = time(&month, None);
    let states = |l: &Legality| {
        l.findings
            .iter()
            .map(|f| format!("{} {:?}", f.rule, f.state))
            .collect::<Vec<_>>()
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "benchmark": "crew legality under 14 CFR 135.267, one crew member",
            "cpu": cpu(),
            "argon2id_hash_ms": argon2id_ms(),
            "assignment_over_30_days": {
                "duty_periods": month.len(),
                "legs": legs(&month),
                "timing": assign_30,
                "answer": states(&answer),
            },
            "assignment_over_180_days": {
                "duty_periods": half_year.len(),
                "legs": legs(&half_year),
                "timing": assign_180,
                "state": format!("{:?}", answer_180.state),
            },
            "audit_of_30_days": {
                "timing": audit_30,
                "state": format!("{:?}", audit.state),
            },
            "target_ms": 5,
        }))
        .expect("json")
    );
}
