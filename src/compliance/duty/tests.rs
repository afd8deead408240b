use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

const UTC: Tz = chrono_tz::UTC;

/// 1 June 2026 00:00 UTC plus `h` hours and `m` minutes.
fn t(h: i64, m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .expect("instant")
        + TimeDelta::hours(h)
        + TimeDelta::minutes(m)
}

/// New York clock time (not ambiguous, not skipped).
fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("one local time")
        .with_timezone(&Utc)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("instant")
}

fn flight(off: DateTime<Utc>, on: DateTime<Utc>, pilots: Pilots) -> Segment {
    Segment {
        off,
        on,
        pilots,
        flying: Flying::Assigned,
    }
}

fn one(off: DateTime<Utc>, on: DateTime<Utc>) -> Segment {
    flight(off, on, Pilots::One)
}

fn two(off: DateTime<Utc>, on: DateTime<Utc>) -> Segment {
    flight(off, on, Pilots::Two)
}

/// A duty period from an hour before its first flight to 30 minutes after its last.
fn duty(segments: Vec<Segment>) -> DutyPeriod {
    let report = segments.iter().map(|s| s.off).min().expect("a flight") - TimeDelta::hours(1);
    let release = segments.iter().map(|s| s.on).max().expect("a flight") + TimeDelta::minutes(30);
    DutyPeriod {
        report,
        release,
        regular: false,
        segments,
    }
}

fn duty_at(report: DateTime<Utc>, release: DateTime<Utc>, segments: Vec<Segment>) -> DutyPeriod {
    DutyPeriod {
        report,
        release,
        regular: false,
        segments,
    }
}

fn rule<'a>(l: &'a Legality, key: &str) -> &'a DutyFinding {
    l.finding(key).expect(key)
}

fn state_amount(l: &Legality, key: &str) -> (State, i64) {
    let f = rule(l, key);
    (f.state, f.amount)
}

fn window(l: &Legality, key: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let w = rule(l, key).window.expect("a window");
    (w.start, w.end)
}

// --- 135.267(b): flight time in any 24 consecutive hours -------------------------------------

#[test]
fn eight_hours_in_a_window_is_the_limit_and_a_minute_more_fails() {
    // Four hours from 00:00, then four hours ending at 24:00: exactly 24 hours after the first
    // began, so one window holds all eight.
    let first = duty(vec![one(t(0, 0), t(4, 0))]);
    let ok = duty(vec![one(t(20, 0), t(24, 0))]);
    let l = check(std::slice::from_ref(&first), Some(&ok), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 480));
    assert_eq!(rule(&l, "faa.135.267.b").limit, 480);
    assert_eq!(window(&l, "faa.135.267.b"), (t(0, 0), t(24, 0)));
    assert_eq!(l.state, State::Met, "{l:#?}");

    // One minute more inside the same 24 hours.
    let over = duty(vec![one(t(19, 59), t(24, 0))]);
    let l = check(std::slice::from_ref(&first), Some(&over), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Failed, 481));
    assert_eq!(window(&l, "faa.135.267.b"), (t(0, 0), t(24, 0)));
    assert_eq!(l.state, State::Failed);

    // The same 4:01 ending one minute past the 24 hours: no window holds more than 7:59 (a
    // flight counts only for its part inside a window).
    let later = duty(vec![one(t(20, 1), t(24, 1))]);
    let l = check(&[first], Some(&later), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 479));
}

#[test]
fn a_flight_beginning_24_hours_after_another_began_shares_no_window_with_all_of_it() {
    // 5 + 5 hours, the second beginning exactly 24 hours after the first: any window holds at
    // most 5 of the 10.
    let l = check(
        &[duty(vec![one(t(0, 0), t(5, 0))])],
        Some(&duty(vec![one(t(24, 0), t(29, 0))])),
        UTC,
    );
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 300));
    // Beginning one hour sooner, 6 of them share a window.
    let l = check(
        &[duty(vec![one(t(0, 0), t(5, 0))])],
        Some(&duty(vec![one(t(23, 0), t(28, 0))])),
        UTC,
    );
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 360));
}

#[test]
fn two_pilots_may_fly_ten_hours_one_pilot_eight_and_a_window_with_a_one_pilot_flight_eight() {
    let day = |pilots_a, pilots_b, b_end: DateTime<Utc>| {
        duty(vec![
            flight(t(0, 0), t(5, 0), pilots_a),
            flight(t(6, 0), b_end, pilots_b),
        ])
    };
    let ten = day(Pilots::Two, Pilots::Two, t(11, 0));
    let l = check(&[], Some(&ten), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 600));
    assert_eq!(rule(&l, "faa.135.267.b").limit, 600);

    let ten_one = day(Pilots::Two, Pilots::Two, t(11, 1));
    let l = check(&[], Some(&ten_one), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Failed, 601));

    let nine_one_pilot = day(Pilots::One, Pilots::One, t(10, 0));
    let l = check(&[], Some(&nine_one_pilot), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Failed, 540));
    assert_eq!(rule(&l, "faa.135.267.b").limit, 480);

    // A one-pilot leg and a two-pilot leg: for the one-pilot assignment the other leg is
    // other commercial flying, so the window is held to 8 hours.
    let mixed = day(Pilots::One, Pilots::Two, t(10, 0));
    let l = check(&[], Some(&mixed), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Failed, 540));
    assert_eq!(rule(&l, "faa.135.267.b").limit, 480);
}

#[test]
fn other_commercial_flying_counts_and_flying_that_is_not_commercial_does_not() {
    let earlier = |flying| {
        duty(vec![Segment {
            off: t(0, 0),
            on: t(4, 0),
            pilots: Pilots::One,
            flying,
        }])
    };
    let assigned = duty(vec![one(t(19, 59), t(24, 0))]);
    let l = check(&[earlier(Flying::OtherCommercial)], Some(&assigned), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Failed, 481));
    let l = check(&[earlier(Flying::NotCommercial)], Some(&assigned), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 241));
    // Other commercial flying alone is not limited by this section.
    let l = check(&[earlier(Flying::OtherCommercial)], None, UTC);
    assert_eq!(rule(&l, "faa.135.267.b").window, None);
}

#[test]
fn windows_are_elapsed_hours_across_the_spring_daylight_saving_change() {
    // New York springs forward at 02:00 on 8 March 2026. Four hours from Saturday 06:00 EST,
    // then 4:01 from Sunday 01:59 EST to 07:00 EDT: on the clock 25 hours after the first
    // began, but only 24 have elapsed, so one window holds 8:01.
    let sat = duty(vec![one(ny(2026, 3, 7, 6, 0), ny(2026, 3, 7, 10, 0))]);
    let sun = duty(vec![one(ny(2026, 3, 8, 1, 59), ny(2026, 3, 8, 7, 0))]);
    assert_eq!(
        ny(2026, 3, 8, 7, 0) - ny(2026, 3, 7, 6, 0),
        TimeDelta::hours(24)
    );
    let l = check(std::slice::from_ref(&sat), Some(&sun), New_York);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Failed, 481));
    assert_eq!(
        window(&l, "faa.135.267.b"),
        (ny(2026, 3, 7, 6, 0), ny(2026, 3, 8, 7, 0))
    );
    let detail = &rule(&l, "faa.135.267.b").detail;
    assert!(
        detail.contains("2026-03-07 06:00 EST") && detail.contains("2026-03-08 07:00 EDT"),
        "{detail}"
    );
}

#[test]
fn windows_are_elapsed_hours_across_the_autumn_daylight_saving_change() {
    // New York falls back at 02:00 EDT on 1 November 2026. Four hours from Saturday 06:00 EDT,
    // then 4:01 from Sunday 01:59 EST (the second 01:59) to 06:00 EST: on the clock 24 hours
    // after the first began, but 25 have elapsed, and no window holds more than 7:01.
    let sat = duty(vec![one(ny(2026, 10, 31, 6, 0), ny(2026, 10, 31, 10, 0))]);
    let sun = duty(vec![one(utc(2026, 11, 1, 6, 59), utc(2026, 11, 1, 11, 0))]);
    assert_eq!(
        utc(2026, 11, 1, 11, 0)
            .with_timezone(&New_York)
            .format("%H:%M %Z")
            .to_string(),
        "06:00 EST"
    );
    let l = check(&[sat], Some(&sun), New_York);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 421));
}

#[test]
fn regularly_assigned_duty_periods_may_exceed_the_24_hour_limit_under_135_267_c() {
    // An air ambulance base's 12-hour shifts, 07:00-19:00: six hours flown at the end of one,
    // six at the start of the next: 11 hours in the 24 from 12:30, more than a single pilot's 8.
    let shift =
        |day: i64, off: (i64, i64), on: (i64, i64), release: (i64, i64), regular| DutyPeriod {
            report: t(day * 24 + 7, 0),
            release: t(day * 24 + release.0, release.1),
            regular,
            segments: vec![one(t(day * 24 + off.0, off.1), t(day * 24 + on.0, on.1))],
        };
    let first = shift(0, (12, 30), (18, 30), (19, 0), true);
    let second = shift(1, (7, 30), (13, 30), (19, 0), true);
    let l = check(std::slice::from_ref(&first), Some(&second), UTC);
    let b = rule(&l, "faa.135.267.b");
    assert_eq!((b.state, b.amount, b.limit), (State::Met, 660, 480));
    assert!(b.detail.contains("135.267(c)"), "{}", b.detail);
    assert_eq!(l.state, State::Met, "{l:#?}");

    // The same when the shift's first flight blocks off as it begins.
    let at_report = shift(1, (7, 0), (12, 30), (19, 0), true);
    let l = check(std::slice::from_ref(&first), Some(&at_report), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 690));

    // Not regularly assigned: (b) alone.
    let ad_hoc = |d: &DutyPeriod| DutyPeriod {
        regular: false,
        ..d.clone()
    };
    let l = check(&[ad_hoc(&first)], Some(&ad_hoc(&second)), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Failed, 660));

    // A shift of 14:01 is not one (c) allows.
    let long = shift(1, (7, 30), (13, 30), (21, 1), true);
    let l = check(std::slice::from_ref(&first), Some(&long), UTC);
    assert_eq!(rule(&l, "faa.135.267.b").state, State::Failed);

    // Nor one with more than 8 hours of flight time in it.
    let busy = shift(0, (10, 29), (18, 30), (19, 0), true);
    let l = check(&[busy], Some(&second), UTC);
    assert_eq!(rule(&l, "faa.135.267.b").state, State::Failed);
}

// --- The duty period and 135.267(d): rest before the assignment's completion ------------------

#[test]
fn a_duty_period_of_14_hours_is_the_limit_and_14_01_fails() {
    let of = |release| duty_at(t(0, 0), release, vec![one(t(1, 0), t(3, 0))]);
    let l = check(&[], Some(&of(t(14, 0))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.duty"), (State::Met, 840));
    assert_eq!(window(&l, "faa.135.267.duty"), (t(0, 0), t(14, 0)));
    let l = check(&[], Some(&of(t(14, 1))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.duty"), (State::Failed, 841));
    assert_eq!(rule(&l, "faa.135.267.duty").limit, 840);
}

#[test]
fn ten_hours_of_rest_before_the_completion_is_enough_and_9_59_is_not() {
    let before = duty_at(t(-8, 0), t(0, 0), vec![one(t(-5, 0), t(-1, 0))]);
    let after = |report| duty_at(report, t(13, 30), vec![one(t(11, 0), t(13, 0))]);
    let l = check(std::slice::from_ref(&before), Some(&after(t(10, 0))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.d"), (State::Met, 600));
    assert_eq!(window(&l, "faa.135.267.d"), (t(-11, 0), t(13, 0)));
    let l = check(std::slice::from_ref(&before), Some(&after(t(9, 59))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.d"), (State::Failed, 599));
    assert_eq!(rule(&l, "faa.135.267.d").limit, 600);
    assert_eq!(l.state, State::Failed);
}

#[test]
fn the_rest_is_looked_for_in_the_24_hours_before_the_planned_completion_of_the_whole_assignment() {
    // 12 hours of rest, then an assignment of two legs completing 14 hours after the report:
    // 10 of the 12 hours fall in the look-back. Completing a minute later leaves 9:59.
    let before = duty_at(t(-8, 0), t(0, 0), vec![one(t(-5, 0), t(-1, 0))]);
    let legs = |last_on| {
        duty_at(
            t(12, 0),
            t(26, 30),
            vec![one(t(13, 0), t(14, 0)), one(t(25, 0), last_on)],
        )
    };
    let l = check(std::slice::from_ref(&before), Some(&legs(t(26, 0))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.d"), (State::Met, 600));
    let l = check(std::slice::from_ref(&before), Some(&legs(t(26, 1))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.d"), (State::Failed, 599));
    assert_eq!(window(&l, "faa.135.267.d"), (t(2, 1), t(26, 1)));
}

#[test]
fn a_duty_inside_the_rest_before_an_assignment_on_record_breaks_that_assignment() {
    // 135.263(b): no duty during a required rest. A two-hour ground duty proposed between two
    // assignments leaves the later one 5 hours of consecutive rest.
    let before = duty_at(t(-8, 0), t(0, 0), vec![one(t(-5, 0), t(-1, 0))]);
    let scheduled = duty_at(t(11, 0), t(14, 30), vec![one(t(12, 0), t(14, 0))]);
    let ground = duty_at(t(4, 0), t(6, 0), vec![]);
    let l = check(&[before, scheduled], Some(&ground), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.d"), (State::Failed, 300));
    assert_eq!(rule(&l, "faa.135.267.b").window, None);
}

// --- 135.267(e): the rest owed after flight time over the limits ------------------------------

#[test]
fn rest_after_flying_over_the_limit_is_11_12_or_16_hours_by_how_far_over() {
    for (over, owed) in [(29, 11), (30, 11), (31, 12), (60, 12), (61, 16)] {
        // A one-pilot day that ran `over` minutes past 8 hours (weather, 135.263(d)).
        let overrun = duty_at(t(-1, 0), t(9, 30), vec![one(t(0, 0), t(8, over))]);
        let next = |rest_minutes: i64| {
            let report = t(9, 30) + TimeDelta::minutes(rest_minutes);
            duty_at(
                report,
                report + TimeDelta::hours(3),
                vec![one(
                    report + TimeDelta::hours(1),
                    report + TimeDelta::hours(2),
                )],
            )
        };
        let short = check(
            std::slice::from_ref(&overrun),
            Some(&next(owed * 60 - 1)),
            UTC,
        );
        let e = rule(&short, "faa.135.267.e");
        assert_eq!(
            (e.state, e.amount, e.limit),
            (State::Failed, owed * 60 - 1, owed * 60),
            "{over} minutes over: {e:#?}"
        );
        let enough = check(std::slice::from_ref(&overrun), Some(&next(owed * 60)), UTC);
        assert_eq!(
            state_amount(&enough, "faa.135.267.e"),
            (State::Met, owed * 60),
            "{over} minutes over"
        );
        // The overrun itself is what (b) reports when the record is audited.
        let audit = check(&[overrun], None, UTC);
        assert_eq!(
            state_amount(&audit, "faa.135.267.b"),
            (State::Failed, 480 + over)
        );
    }
}

#[test]
fn the_owed_rest_may_come_after_a_ground_duty_but_before_the_next_flight_assignment() {
    let overrun = duty_at(t(-1, 0), t(9, 0), vec![one(t(0, 0), t(8, 29))]);
    let ground = duty_at(t(15, 0), t(17, 0), vec![]);
    let flying = |report| {
        duty_at(
            report,
            report + TimeDelta::hours(2),
            vec![one(report, report + TimeDelta::hours(1))],
        )
    };
    let l = check(
        &[overrun.clone(), ground.clone()],
        Some(&flying(t(28, 0))),
        UTC,
    );
    assert_eq!(state_amount(&l, "faa.135.267.e"), (State::Met, 660));
    let l = check(&[overrun, ground], Some(&flying(t(27, 59))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.e"), (State::Failed, 659));
    assert_eq!(window(&l, "faa.135.267.e"), (t(9, 0), t(27, 59)));
}

// --- Scope: a proposal answers for itself ------------------------------------------------------

#[test]
fn an_old_violation_on_record_does_not_fail_a_later_assignment_but_the_audit_shows_it() {
    let old = duty(vec![one(t(0, 0), t(9, 0))]);
    let later = duty(vec![one(t(120, 0), t(122, 0))]);
    let l = check(std::slice::from_ref(&old), Some(&later), UTC);
    assert_eq!(l.state, State::Met, "{l:#?}");
    assert_eq!(state_amount(&l, "faa.135.267.b"), (State::Met, 120));
    let audit = check(&[old, later], None, UTC);
    assert_eq!(state_amount(&audit, "faa.135.267.b"), (State::Failed, 540));
    assert_eq!(window(&audit, "faa.135.267.b"), (t(0, 0), t(24, 0)));
}

#[test]
fn the_answer_does_not_depend_on_the_order_of_the_record() {
    let days: Vec<DutyPeriod> = (0..6)
        .map(|d| {
            duty(vec![
                one(t(d * 24 + 8, 0), t(d * 24 + 11, 0)),
                one(t(d * 24 + 13, 0), t(d * 24 + 16, 30)),
            ])
        })
        .collect();
    let proposal = duty(vec![two(t(6 * 24 + 7, 0), t(6 * 24 + 12, 0))]);
    let sorted = check(&days, Some(&proposal), New_York);
    let mut reversed = days.clone();
    reversed.reverse();
    assert_eq!(check(&reversed, Some(&proposal), New_York), sorted);
}

// --- 135.267(a): calendar quarters and years on the operator's calendar -----------------------

/// `n` days from `first` (New York calendar), each with a two-pilot flight of `minutes` from
/// 08:00 and a duty period from 07:00 to 30 minutes after it.
fn days(first: NaiveDate, n: u64, minutes: i64) -> Vec<DutyPeriod> {
    (0..n)
        .map(|i| {
            let date = first + chrono::Days::new(i);
            let off = New_York
                .from_local_datetime(&date.and_hms_opt(8, 0, 0).expect("time"))
                .single()
                .expect("local")
                .with_timezone(&Utc);
            duty(vec![two(off, off + TimeDelta::minutes(minutes))])
        })
        .collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn the_quarter_ends_at_local_midnight() {
    // 498 hours in the first quarter of 2026, then a flight on the evening of 31 March in New
    // York, which is 1 April in UTC.
    let mut record = days(date(2026, 1, 1), 49, 600);
    record.extend(days(date(2026, 2, 19), 1, 480));
    let last = |off| duty(vec![two(off, ny(2026, 4, 1, 0, 0))]);

    let l = check(&record, Some(&last(ny(2026, 3, 31, 22, 0))), New_York);
    assert_eq!(state_amount(&l, "faa.135.267.a.1"), (State::Met, 500 * 60));
    assert_eq!(
        window(&l, "faa.135.267.a.1"),
        (ny(2026, 1, 1, 0, 0), ny(2026, 4, 1, 0, 0))
    );
    let l = check(&record, Some(&last(ny(2026, 3, 31, 21, 59))), New_York);
    assert_eq!(
        state_amount(&l, "faa.135.267.a.1"),
        (State::Failed, 500 * 60 + 1)
    );
    assert_eq!(rule(&l, "faa.135.267.a.1").limit, 500 * 60);

    // A flight across local midnight is split there: the half hour after it is April's.
    let across = duty(vec![two(ny(2026, 3, 31, 22, 0), ny(2026, 4, 1, 0, 30))]);
    let l = check(&record, Some(&across), New_York);
    assert_eq!(state_amount(&l, "faa.135.267.a.1"), (State::Met, 500 * 60));

    // On a UTC calendar the same evening flight is a second-quarter flight.
    let l = check(&record, Some(&last(ny(2026, 3, 31, 21, 59))), UTC);
    assert_eq!(state_amount(&l, "faa.135.267.a.1"), (State::Met, 121));
    assert_eq!(
        window(&l, "faa.135.267.a.1"),
        (utc(2026, 4, 1, 0, 0), utc(2026, 7, 1, 0, 0))
    );
}

#[test]
fn two_consecutive_quarters_across_the_new_year_hold_800_hours() {
    // 400 hours in the last quarter of 2025, 390 in the first of 2026, then a day of 10 hours
    // (or 10:01).
    let mut record = days(date(2025, 10, 1), 40, 600);
    record.extend(days(date(2026, 1, 1), 39, 600));
    let day = |minutes| days(date(2026, 3, 1), 1, minutes).remove(0);
    let l = check(&record, Some(&day(600)), New_York);
    assert_eq!(state_amount(&l, "faa.135.267.a.2"), (State::Met, 800 * 60));
    assert_eq!(
        window(&l, "faa.135.267.a.2"),
        (ny(2025, 10, 1, 0, 0), ny(2026, 4, 1, 0, 0))
    );
    let l = check(&record, Some(&day(601)), New_York);
    assert_eq!(
        state_amount(&l, "faa.135.267.a.2"),
        (State::Failed, 800 * 60 + 1)
    );
    assert_eq!(
        state_amount(&l, "faa.135.267.a.1"),
        (State::Met, 400 * 60 + 1)
    );
}

#[test]
fn the_calendar_year_holds_1400_hours_to_local_midnight_on_31_december() {
    // 350 hours in each quarter of 2026 (1,396 before the last flight), the last flight on the
    // evening of 31 December in New York.
    let mut record = Vec::new();
    for (m, n) in [(1, 35), (4, 35), (7, 35), (10, 34)] {
        record.extend(days(date(2026, m, 1), n, 600));
    }
    record.extend(days(date(2026, 11, 20), 1, 360));
    let last = |off, on| duty(vec![two(off, on)]);

    let l = check(
        &record,
        Some(&last(ny(2026, 12, 31, 20, 0), ny(2027, 1, 1, 0, 0))),
        New_York,
    );
    assert_eq!(
        state_amount(&l, "faa.135.267.a.3"),
        (State::Met, 1_400 * 60)
    );
    assert_eq!(
        window(&l, "faa.135.267.a.3"),
        (ny(2026, 1, 1, 0, 0), ny(2027, 1, 1, 0, 0))
    );
    let l = check(
        &record,
        Some(&last(ny(2026, 12, 31, 19, 59), ny(2027, 1, 1, 0, 0))),
        New_York,
    );
    assert_eq!(
        state_amount(&l, "faa.135.267.a.3"),
        (State::Failed, 1_400 * 60 + 1)
    );
    assert_eq!(rule(&l, "faa.135.267.a.1").state, State::Met);
    assert_eq!(rule(&l, "faa.135.267.a.2").state, State::Met);
    // Past local midnight it is next year's flight time.
    let l = check(
        &record,
        Some(&last(ny(2026, 12, 31, 20, 0), ny(2027, 1, 1, 1, 0))),
        New_York,
    );
    assert_eq!(
        state_amount(&l, "faa.135.267.a.3"),
        (State::Met, 1_400 * 60)
    );
}

// --- 135.267(f): 13 rests of 24 hours a quarter ------------------------------------------------

#[test]
fn a_quarter_needs_13_rests_of_24_consecutive_hours() {
    // The third quarter of 2026 filled with 14-hour duty periods and 10-hour rests, except for
    // `long` rests of `len` early on; a last duty period after the quarter closes it.
    let quarter = |long: usize, len: TimeDelta| {
        let (mut at, end) = (utc(2026, 7, 1, 0, 0), utc(2026, 10, 1, 0, 0));
        let (mut record, mut left) = (Vec::new(), long);
        while at < end {
            record.push(duty_at(at, at + TimeDelta::hours(14), vec![]));
            at += TimeDelta::hours(14);
            at += if left > 0 {
                left -= 1;
                len
            } else {
                TimeDelta::hours(10)
            };
        }
        record.push(duty_at(at, at + TimeDelta::hours(14), vec![]));
        record
    };
    let l = check(&quarter(13, TimeDelta::hours(24)), None, UTC);
    let f = rule(&l, "faa.135.267.f");
    assert_eq!((f.state, f.amount, f.limit), (State::Met, 13, 13), "{f:#?}");
    assert_eq!(f.unit, Unit::RestPeriods);
    let l = check(
        &quarter(13, TimeDelta::hours(24) - TimeDelta::minutes(1)),
        None,
        UTC,
    );
    assert_eq!(state_amount(&l, "faa.135.267.f"), (State::Failed, 0));
    let l = check(&quarter(12, TimeDelta::hours(30)), None, UTC);
    assert_eq!(state_amount(&l, "faa.135.267.f"), (State::Failed, 12));
    assert_eq!(
        window(&l, "faa.135.267.f"),
        (utc(2026, 7, 1, 0, 0), utc(2026, 10, 1, 0, 0))
    );
}

#[test]
fn the_time_after_the_last_duty_on_record_can_still_hold_the_rests() {
    // Two duty periods at the start of a quarter: the rest of it can hold far more than 13.
    let record = [
        duty_at(utc(2026, 7, 1, 8, 0), utc(2026, 7, 1, 18, 0), vec![]),
        duty_at(utc(2026, 7, 2, 8, 0), utc(2026, 7, 2, 18, 0), vec![]),
    ];
    let l = check(&record, None, UTC);
    assert_eq!(rule(&l, "faa.135.267.f").state, State::Met);
}

#[test]
fn the_facts_reach_back_to_the_previous_quarter_or_the_start_of_the_year() {
    assert_eq!(
        facts_from(ny(2026, 2, 10, 12, 0), New_York),
        ny(2025, 10, 1, 0, 0)
    );
    assert_eq!(
        facts_from(ny(2026, 8, 10, 12, 0), New_York),
        ny(2026, 1, 1, 0, 0)
    );
}

#[test]
fn nothing_on_record_meets_every_rule() {
    let l = check(&[], None, UTC);
    assert_eq!(l.state, State::Met);
    assert_eq!(l.findings.len(), 8);
    assert!(l.findings.iter().all(|f| f.window.is_none()), "{l:#?}");
}

// --- Properties --------------------------------------------------------------------------------

/// The most flight time in any 24 consecutive hours, minute by minute (flights on whole
/// minutes, so the answer is exact).
fn brute_force_max(flights: &[(i64, i64)]) -> i64 {
    let first = flights.iter().map(|f| f.0).min().unwrap_or(0);
    let last = flights.iter().map(|f| f.1).max().unwrap_or(0);
    (first - 1440..=last)
        .map(|start| {
            flights
                .iter()
                .map(|&(off, on)| (on.min(start + 1440) - off.max(start)).max(0))
                .sum::<i64>()
        })
        .max()
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_sliding_window_finds_the_most_flight_time_in_any_24_hours(
        legs in prop::collection::vec((0i64..1_200, 1i64..600), 1..12)
    ) {
        let mut at = 0;
        let mut flights = Vec::new();
        for (gap, len) in legs {
            at += gap;
            flights.push((at, at + len));
            at += len;
        }
        let record: Vec<DutyPeriod> = flights
            .iter()
            .map(|&(off, on)| duty_at(t(0, off), t(0, on), vec![two(t(0, off), t(0, on))]))
            .collect();
        let l = check(&record, None, UTC);
        prop_assert_eq!(rule(&l, "faa.135.267.b").amount, brute_force_max(&flights));
    }

    #[test]
    fn the_answer_is_the_same_in_any_order(
        record in prop::collection::vec((0i64..200, 1i64..10, any::<bool>(), any::<bool>()), 1..20)
            .prop_map(|days| {
                days.into_iter()
                    .map(|(start, hours, pilots, regular)| {
                        // Regular shifts begin with their flight (an interval tie to merge).
                        let off = t(start * 6, 0);
                        let on = off + TimeDelta::hours(hours);
                        let pilots = if pilots { Pilots::Two } else { Pilots::One };
                        DutyPeriod {
                            report: if regular { off } else { off - TimeDelta::hours(1) },
                            release: on + TimeDelta::hours(1),
                            regular,
                            segments: vec![flight(off, on, pilots)],
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle()
    ) {
        let mut sorted = record.clone();
        sorted.sort_by_key(|d| (d.report, d.release));
        prop_assert_eq!(check(&record, None, New_York), check(&sorted, None, New_York));
    }
}
