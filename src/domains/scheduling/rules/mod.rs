//! The dispatch rule engine: every rule that may stop a booking or a check-out, evaluated in one
//! place. Each rule has a key, a default mode and the stages it applies to; each tenant sets a
//! rule to `block`, `warn` or `off` (`dispatch_rules` table), and a caller with
//! `scheduling.override` may override a blocking rule by naming it in `override_rules`.
//!
//! Adding a rule (certificates, currency, account balance, ...) is one entry in [`RULES`] and,
//! if it needs data the others do not, one field of [`Facts`] filled by `repo::facts` (one
//! statement, so evaluation stays a single round trip however many rules there are).

pub mod account;
pub mod crew;
mod types;

pub use types::{BookingRules, Candidate, Facts, Mode, Outcome, Rule, RuleOutcome, Stage};

use std::collections::HashMap;

use chrono::Datelike;

use crate::domains::maintenance::service::airworthiness;
use crate::domains::maintenance::service::due;

fn flies(c: &Candidate) -> bool {
    c.aircraft_id.is_some() && c.kind != "maintenance"
}

fn unairworthy(c: &Candidate, f: &Facts) -> Option<String> {
    if !flies(c) {
        return None;
    }
    let state = airworthiness::assess(f.aircraft.as_ref()?, f.clock.today());
    (!state.airworthy).then(|| {
        let reasons: Vec<&str> = state.reasons.iter().map(|r| r.detail.as_str()).collect();
        format!("the aircraft is unairworthy: {}", reasons.join("; "))
    })
}

fn maintenance_due(c: &Candidate, f: &Facts) -> Option<String> {
    if !flies(c) {
        return None;
    }
    let end_date = f.clock.date_of(c.ends_at);
    let use_tenths = (c.ends_at - c.starts_at).num_minutes().max(0) / 6;
    let due: Vec<&str> = f
        .aircraft
        .as_ref()?
        .items
        .iter()
        .filter(|i| due::due_before(&i.programme.due(), end_date, i.current_tenths, use_tenths))
        .map(|i| i.name.as_str())
        .collect();
    (!due.is_empty()).then(|| {
        format!(
            "maintenance falls due before the booking ends: {}",
            due.join(", ")
        )
    })
}

fn instructor_unavailable(c: &Candidate, f: &Facts) -> Option<String> {
    (c.instructor_id.is_some() && f.instructor_unavailable)
        .then(|| "the instructor is not available at that time".to_owned())
}

fn outside_opening_hours(c: &Candidate, f: &Facts) -> Option<String> {
    if f.opening_hours.is_empty() {
        return None;
    }
    let tz = f.clock.tz;
    let start = c.starts_at.with_timezone(&tz);
    let end = c.ends_at.with_timezone(&tz);
    let within = start.date_naive() == end.date_naive()
        && f.opening_hours.iter().any(|(day, opens, closes)| {
            *day == start.weekday().number_from_monday()
                && start.time() >= *opens
                && end.time() <= *closes
        });
    (!within).then(|| "the booking is outside the opening hours".to_owned())
}

fn own_bookings_only(c: &Candidate, _: &Facts) -> Option<String> {
    (!c.actor_manages && c.pilot_id != Some(c.actor) && c.instructor_id != Some(c.actor))
        .then(|| "you may only book for yourself".to_owned())
}

fn booking_window(c: &Candidate, f: &Facts) -> Option<String> {
    let r = f.booking_rules;
    if let Some(m) = r.min_notice_minutes
        && c.starts_at < f.now + chrono::Duration::minutes(m)
    {
        return Some(format!("bookings need {m} minutes' notice"));
    }
    if let Some(d) = r.max_advance_days
        && c.starts_at > f.now + chrono::Duration::days(d)
    {
        return Some(format!("bookings open at most {d} days ahead"));
    }
    None
}

/// Every dispatch rule. Later domains add theirs here.
pub const RULES: &[Rule] = &[
    Rule {
        key: "aircraft_unairworthy",
        description: "The aircraft has an overdue inspection, an open grounding squawk or an expired MEL deferral",
        default: Mode::Block,
        stages: &[Stage::Booking, Stage::CheckOut],
        check: unairworthy,
    },
    Rule {
        key: "maintenance_due",
        description: "An inspection falls due (by date or by hours, counting the booking's duration) before the booking ends",
        default: Mode::Warn,
        stages: &[Stage::Booking, Stage::CheckOut],
        check: maintenance_due,
    },
    Rule {
        key: "instructor_unavailable",
        description: "The instructor has marked the time unavailable, or publishes availability that does not cover it",
        default: Mode::Block,
        stages: &[Stage::Booking],
        check: instructor_unavailable,
    },
    Rule {
        key: "outside_opening_hours",
        description: "The booking does not lie within one day's opening hours (tenant time zone)",
        default: Mode::Warn,
        stages: &[Stage::Booking],
        check: outside_opening_hours,
    },
    Rule {
        key: "own_bookings_only",
        description: "Without scheduling.manage a user books only for themselves and sees only their own bookings",
        default: Mode::Block,
        stages: &[Stage::Booking],
        check: own_bookings_only,
    },
    Rule {
        key: "booking_window",
        description: "The booking_rules setting's minimum notice and maximum advance",
        default: Mode::Block,
        stages: &[Stage::Booking],
        check: booking_window,
    },
];

/// Every rule: those above, then the crew rules that ask the compliance engine and the account
/// rules that ask finance.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    RULES.iter().chain(crew::RULES).chain(account::RULES)
}

pub fn find(key: &str) -> Option<&'static Rule> {
    all().find(|r| r.key == key)
}

/// The tenant's mode of `rule`.
pub fn mode(facts_modes: &HashMap<String, Mode>, rule: &Rule) -> Mode {
    facts_modes.get(rule.key).copied().unwrap_or(rule.default)
}

/// Evaluates every rule of `stage`. `Ok` with the warnings and overrides to record, or `Err`
/// with every blocking violation not overridden.
pub fn evaluate(
    stage: Stage,
    c: &Candidate,
    f: &Facts,
    overrides: &[String],
    may_override: bool,
) -> Result<Vec<RuleOutcome>, Vec<RuleOutcome>> {
    let mut recorded = Vec::new();
    let mut blocked = Vec::new();
    for rule in all().filter(|r| r.stages.contains(&stage)) {
        let mode = mode(&f.modes, rule);
        if mode == Mode::Off {
            continue;
        }
        let Some(message) = (rule.check)(c, f) else {
            continue;
        };
        let outcome = |o: Outcome| RuleOutcome {
            rule: rule.key.to_owned(),
            mode,
            outcome: o,
            message: message.clone(),
            stage,
        };
        match mode {
            Mode::Warn => recorded.push(outcome(Outcome::Warned)),
            _ if may_override && overrides.iter().any(|o| o == rule.key) => {
                recorded.push(outcome(Outcome::Overridden))
            }
            _ => blocked.push(outcome(Outcome::Blocked)),
        }
    }
    if blocked.is_empty() {
        Ok(recorded)
    } else {
        Err(blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono::{DateTime, NaiveTime, Utc};
    use uuid::Uuid;

    use crate::domains::maintenance::service::airworthiness::Facts as AircraftFacts;
    use crate::timezone::TenantClock;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 30, h, m, 0)
            .single()
            .expect("t")
    }

    fn candidate() -> Candidate {
        let me = crate::kernel::UserId::new();
        Candidate {
            kind: "solo".into(),
            starts_at: at(8, 0),
            ends_at: at(10, 0),
            aircraft_id: Some(crate::kernel::AircraftId::new()),
            instructor_id: None,
            simulator_id: None,
            pilot_id: Some(me),
            ifr: false,
            night: false,
            actor: me,
            actor_manages: false,
        }
    }

    #[test]
    fn modes_block_warn_off_and_override() {
        let c = candidate();
        let f = Facts {
            aircraft: Some(AircraftFacts {
                grounding_squawks: vec![(Uuid::nil(), "Flat tyre".into())],
                ..AircraftFacts::default()
            }),
            now: at(0, 0),
            ..Facts::default()
        };
        let blocked = evaluate(Stage::Booking, &c, &f, &[], false).expect_err("blocked");
        assert_eq!(blocked[0].rule, "aircraft_unairworthy");
        // Named but not permitted: still blocked.
        let named = ["aircraft_unairworthy".to_owned()];
        assert!(evaluate(Stage::Booking, &c, &f, &named, false).is_err());
        let ok = evaluate(Stage::Booking, &c, &f, &named, true).expect("overridden");
        assert_eq!(ok[0].outcome, Outcome::Overridden);
        let mut warn = f.clone();
        warn.modes.insert("aircraft_unairworthy".into(), Mode::Warn);
        assert_eq!(
            evaluate(Stage::CheckOut, &c, &warn, &[], false).expect("warned")[0].outcome,
            Outcome::Warned
        );
        warn.modes.insert("aircraft_unairworthy".into(), Mode::Off);
        assert_eq!(evaluate(Stage::Booking, &c, &warn, &[], false), Ok(vec![]));
        // A maintenance block on an unairworthy aircraft is the point of grounding it.
        let mut mx = c.clone();
        mx.kind = "maintenance".into();
        assert_eq!(evaluate(Stage::Booking, &mx, &f, &[], false), Ok(vec![]));
    }

    #[test]
    fn opening_hours_in_local_time_across_dst() {
        // Zurich, Monday 30 March 2026 (the day after the spring change): 08:00-18:00 local is
        // 06:00-16:00 UTC; the Monday before (winter time) it was 07:00-17:00 UTC.
        let f = Facts {
            clock: TenantClock::from_setting(Some("Europe/Zurich")),
            opening_hours: vec![(
                1,
                NaiveTime::from_hms_opt(8, 0, 0).expect("t"),
                NaiveTime::from_hms_opt(18, 0, 0).expect("t"),
            )],
            ..Facts::default()
        };
        let mut c = candidate();
        c.aircraft_id = None;
        c.instructor_id = Some(crate::kernel::UserId::new());
        (c.starts_at, c.ends_at) = (at(6, 0), at(16, 0));
        assert_eq!(outside_opening_hours(&c, &f), None);
        (c.starts_at, c.ends_at) = (at(5, 30), at(7, 0));
        assert!(outside_opening_hours(&c, &f).is_some());
        let winter = |h| {
            Utc.with_ymd_and_hms(2026, 3, 23, h, 0, 0)
                .single()
                .expect("t")
        };
        (c.starts_at, c.ends_at) = (winter(6), winter(8));
        assert!(outside_opening_hours(&c, &f).is_some());
        (c.starts_at, c.ends_at) = (winter(7), winter(17));
        assert_eq!(outside_opening_hours(&c, &f), None);
        // Tuesday has no hours: closed.
        let tue = |h| {
            Utc.with_ymd_and_hms(2026, 3, 31, h, 0, 0)
                .single()
                .expect("t")
        };
        (c.starts_at, c.ends_at) = (tue(8), tue(9));
        assert!(outside_opening_hours(&c, &f).is_some());
    }

    #[test]
    fn own_bookings_and_booking_window() {
        let mut c = candidate();
        let f = Facts {
            now: at(7, 0),
            booking_rules: BookingRules {
                min_notice_minutes: Some(120),
                max_advance_days: Some(30),
                cancellation_notice_hours: None,
            },
            ..Facts::default()
        };
        assert!(own_bookings_only(&c, &f).is_none());
        c.pilot_id = Some(crate::kernel::UserId::new());
        assert!(own_bookings_only(&c, &f).is_some());
        c.actor_manages = true;
        assert!(own_bookings_only(&c, &f).is_none());
        assert!(booking_window(&c, &f).is_some()); // 1 hour of notice only
        c.starts_at = at(9, 0);
        assert!(booking_window(&c, &f).is_none());
        c.starts_at = at(9, 0) + chrono::Duration::days(31);
        assert!(booking_window(&c, &f).is_some());
    }
}
