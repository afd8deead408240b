//! The dispatch rules that ask the compliance engine (certificates domain) about the people on
//! a booking: who acts as pilot in command by the booking's kind, then one rule per kind of
//! requirement, so that a school can block on medicals and warn on currency. The answers are
//! loaded once per evaluation (`repo::facts`, only when one of these rules is on).
//!
//! Who is asked what, at the booking's start (the organisation's local date):
//! - `dual`, `checkride`: the instructor, as a flight instructor acting as pilot in command;
//! - `solo`: the pilot, as a student pilot flying solo (with the school's checkout);
//! - `rental`: the pilot, as pilot in command with passengers (with the school's checkout);
//! - any other kind, or no aircraft: nobody.
//!
//! Under IFR (`flight_rules`) instrument currency applies; at night (`night`), night currency.

use super::types::{Candidate, Facts, Mode, Rule, Stage};
use crate::domains::certificates::service::{Role, State};

/// Who a booking asks about, and as what.
pub fn crew(c: &Candidate) -> Vec<(&'static str, crate::kernel::UserId, Role, bool)> {
    if c.aircraft_id.is_none() {
        return Vec::new();
    }
    match c.kind.as_str() {
        "dual" | "checkride" => c
            .instructor_id
            .map(|i| ("the instructor", i, Role::Instructor, false))
            .into_iter()
            .collect(),
        "solo" => c
            .pilot_id
            .map(|p| ("the pilot", p, Role::SoloStudent, true))
            .into_iter()
            .collect(),
        "rental" => c
            .pilot_id
            .map(|p| ("the pilot", p, Role::PicWithPassengers, true))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// The failed findings among `rules` (prefixes of finding keys), as one message.
fn failed(f: &Facts, rules: &[&str]) -> Option<String> {
    let found: Vec<String> = f
        .crew
        .iter()
        .flat_map(|(who, answer)| {
            answer
                .findings
                .iter()
                .filter(|x| x.state == State::Failed && rules.iter().any(|r| x.rule.starts_with(r)))
                .map(move |x| format!("{who}: {} ({})", x.detail, x.regulation))
        })
        .collect();
    (!found.is_empty()).then(|| found.join("; "))
}

fn medical(_: &Candidate, f: &Facts) -> Option<String> {
    failed(f, &["faa.61.23", "easa.med"])
}

fn flight_review(_: &Candidate, f: &Facts) -> Option<String> {
    failed(f, &["faa.61.56"])
}

fn solo_endorsement(_: &Candidate, f: &Facts) -> Option<String> {
    failed(f, &["faa.61.87.n"])
}

fn passenger_currency(_: &Candidate, f: &Facts) -> Option<String> {
    failed(f, &["faa.61.57.a", "faa.61.57.b", "easa.fcl.060"])
}

fn instrument_currency(_: &Candidate, f: &Facts) -> Option<String> {
    failed(f, &["faa.61.57.c", "easa.fcl.600"])
}

fn instructor_certificate(_: &Candidate, f: &Facts) -> Option<String> {
    failed(f, &["faa.61.195"])
}

fn aircraft_checkout(_: &Candidate, f: &Facts) -> Option<String> {
    failed(f, &["school.checkout"])
}

const BOTH: &[Stage] = &[Stage::Booking, Stage::CheckOut];

/// The crew rules. Default `warn`: an organisation switches a rule to `block` once its
/// certificates, medicals and logbooks are on record (blocking by default would stop every
/// booking of an organisation that has not entered them yet).
pub const RULES: &[Rule] = &[
    Rule {
        key: "pilot_medical",
        description: "The pilot in command holds a medical certificate valid on the day for the privileges (14 CFR 61.23; Part-MED MED.A.045 under EASA)",
        default: Mode::Warn,
        stages: BOTH,
        check: medical,
    },
    Rule {
        key: "flight_review",
        description: "The pilot in command completed a flight review within the preceding 24 calendar months (14 CFR 61.56; Part-FCL has none)",
        default: Mode::Warn,
        stages: BOTH,
        check: flight_review,
    },
    Rule {
        key: "solo_endorsement",
        description: "A solo student holds a solo endorsement for the make and model given within the preceding 90 days (14 CFR 61.87(n))",
        default: Mode::Warn,
        stages: BOTH,
        check: solo_endorsement,
    },
    Rule {
        key: "passenger_currency",
        description: "A renter has made 3 takeoffs and landings in the preceding 90 days in the category and class (and at night, 3 to a full stop at night) to carry passengers (14 CFR 61.57(a), (b); under EASA, 3 take-offs and landings in the type or class and 1 at night or an instrument rating, Part-FCL FCL.060(b))",
        default: Mode::Warn,
        stages: BOTH,
        check: passenger_currency,
    },
    Rule {
        key: "instrument_currency",
        description: "Under IFR, the pilot in command is instrument current: 6 approaches, holding, intercepting and tracking in the preceding 6 calendar months, or an IPC (14 CFR 61.57(c), (d)); under EASA, holds an instrument rating (Part-FCL FCL.600)",
        default: Mode::Warn,
        stages: BOTH,
        check: instrument_currency,
    },
    Rule {
        key: "instructor_certificate",
        description: "The instructor of a dual flight holds a flight instructor certificate (14 CFR 61.195)",
        default: Mode::Warn,
        stages: BOTH,
        check: instructor_certificate,
    },
    Rule {
        key: "aircraft_checkout",
        description: "A solo student or renter holds the school's checkout in the aircraft type, renewed by flying it within its recency",
        default: Mode::Warn,
        stages: BOTH,
        check: aircraft_checkout,
    },
];

/// Whether any crew rule is on in this organisation (else the answers are not loaded).
pub fn any_on(modes: &std::collections::HashMap<String, Mode>) -> bool {
    RULES
        .iter()
        .any(|r| modes.get(r.key).copied().unwrap_or(r.default) != Mode::Off)
}
