//! The one question every caller asks: may this person act in this role, in this aircraft, on
//! this day, by day or night, VFR or IFR? The answer is every requirement that applies, each a
//! [`Finding`] with its regulation, state and evidence, and the worst of their states.
//!
//! Roles modelled: pilot in command, pilot in command with passengers, a student pilot flying
//! solo, a flight instructor giving instruction (who acts as pilot in command), second in
//! command (14 CFR 61.55; Part-FCL's co-pilot) and the safety pilot of a simulated instrument
//! flight (14 CFR 91.109(c)).
//!
//! The tenant's authority ([`Authority`]) picks the rule set: the FAA's (medicals of 14 CFR
//! 61.23, recency of 61.56 and 61.57) or EASA's (Part-MED medicals, Part-FCL recency of
//! FCL.060(b) and the instrument rating of FCL.600; Part-FCL has no flight review, and the
//! revalidation of class and instrument ratings, FCL.740 and FCL.625, is not on record yet).
//! Endorsements and the school's checkout are the same under both.

use chrono::NaiveDate;

use super::crew::{self, Held};
use super::currency::{self, Aircraft, Entry};
use super::easa::{self, EasaMedical, EasaPrivileges};
use super::medical::{self, BasicMed, FaaMedical, FaaPrivileges};
use super::{Finding, State, calendar, fcl, state};

/// The aviation authority whose medical rules apply (the tenant's `compliance.authority`
/// setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authority {
    #[default]
    Faa,
    Easa,
}

/// The role asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Pilot in command, no passengers.
    Pic,
    /// Pilot in command carrying passengers.
    PicWithPassengers,
    /// A student pilot flying solo.
    SoloStudent,
    /// A flight instructor giving flight instruction, acting as pilot in command.
    Instructor,
    /// Second in command (co-pilot) of an aircraft that requires one.
    Sic,
    /// The safety pilot of a flight under simulated instrument conditions (14 CFR 91.109(c)).
    SafetyPilot,
}

/// Visual or instrument flight rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlightRules {
    Vfr,
    Ifr,
}

/// What is asked.
#[derive(Debug, Clone)]
pub struct Question {
    pub role: Role,
    pub aircraft: Aircraft,
    /// The aircraft's ICAO type designator (make and model), which endorsements name.
    pub type_code: String,
    /// The tenant's local date of the flight.
    pub on: NaiveDate,
    /// Any part of the flight between one hour after sunset and one hour before sunrise.
    pub night: bool,
    pub rules: FlightRules,
    /// The privileges exercised (what the medical must support).
    pub privileges: FaaPrivileges,
    /// Days ahead in which a requirement still met counts as `expiring`.
    pub warn_days: u32,
    pub authority: Authority,
    /// Whether the school's checkout in the type is asked for (a renter's or a solo flight).
    pub checkout: bool,
}

/// A student pilot's solo endorsement (14 CFR 61.87(n)): for the make and model, given within
/// the 90 days preceding the flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoloEndorsement {
    /// The aircraft type designator it names.
    pub type_code: String,
    pub given_on: NaiveDate,
}

/// The school's checkout of a pilot in an aircraft type, good for `recency_days` after the
/// checkout or after the pilot's last flight in the type, whichever is later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub type_code: String,
    pub given_on: NaiveDate,
    pub recency_days: u32,
}

/// The facts about a person, as the domains load them.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub born: Option<NaiveDate>,
    /// Every FAA medical certificate on record; the one that lasts longest for the privileges
    /// asked about answers.
    pub medicals: Vec<FaaMedical>,
    /// The latest BasicMed examination and course.
    pub basic_med: Option<BasicMed>,
    /// Every EASA medical certificate on record.
    pub easa_medicals: Vec<EasaMedical>,
    pub entries: Vec<Entry>,
    pub solo_endorsements: Vec<SoloEndorsement>,
    pub checkouts: Vec<Checkout>,
    /// The flight instructor certificate held, if any: `Some(None)` when it has no expiry date,
    /// `Some(Some(day))` when it expires after `day`.
    pub instructor_certificate: Option<Option<NaiveDate>>,
    /// The pilot certificates on record with their ratings.
    pub held: Vec<Held>,
}

/// The answer: each requirement that applies, and the worst state among them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    pub state: State,
    pub findings: Vec<Finding>,
}

/// Every requirement of `q` for `person`.
pub fn assess(person: &Person, q: &Question) -> Answer {
    let mut findings = Vec::new();
    findings.push(medical_requirement(person, q));
    let faa = q.authority == Authority::Faa;
    let type_rating = q.aircraft.type_rating.as_deref();
    match q.role {
        // Part-FCL has no flight review (class rating revalidation, FCL.740, instead).
        Role::Pic | Role::PicWithPassengers if faa => {
            findings.push(currency::flight_review(&person.entries, q.on, q.warn_days));
        }
        Role::Pic | Role::PicWithPassengers => {}
        Role::SoloStudent => findings.push(solo_endorsement(person, q)),
        Role::Instructor => {
            findings.push(instructor_certificate(person, q));
            if faa {
                findings.push(currency::flight_review(&person.entries, q.on, q.warn_days));
            }
        }
        Role::Sic if faa => {
            findings.push(crew::certificate_with_class(
                &person.held,
                &q.aircraft,
                "faa.61.55.a.1",
                "14 CFR 61.55(a)(1)",
            ));
            if let Some(t) = type_rating {
                findings.push(crew::sic_type_rating(&person.held, t));
                findings.push(crew::sic_recency(&person.entries, t, q.on, q.warn_days));
            }
        }
        Role::Sic => {
            findings.push(crew::easa_licence_with_rating(&person.held, &q.aircraft));
        }
        Role::SafetyPilot => findings.push(crew::certificate_with_class(
            &person.held,
            &q.aircraft,
            "faa.91.109.c",
            "14 CFR 91.109(c)(1)",
        )),
    }
    if q.checkout {
        findings.push(checkout(person, q));
    }
    if q.role == Role::PicWithPassengers && faa {
        findings.push(currency::passengers_day(
            &person.entries,
            &q.aircraft,
            q.on,
            q.warn_days,
        ));
        if q.night {
            findings.push(currency::passengers_night(
                &person.entries,
                &q.aircraft,
                q.on,
                q.warn_days,
            ));
        }
    }
    if q.role == Role::PicWithPassengers && !faa {
        findings.push(fcl::passengers(
            &person.entries,
            &q.aircraft,
            q.on,
            q.warn_days,
        ));
        if q.night {
            findings.push(fcl::passengers_night(
                &person.entries,
                &q.aircraft,
                &person.held,
                q.on,
                q.warn_days,
            ));
        }
    }
    if q.rules == FlightRules::Ifr {
        match q.role {
            // The safety pilot watches for traffic on a flight under VFR; they need no rating
            // for the instrument part.
            Role::SafetyPilot => {}
            Role::Sic if faa => {
                findings.push(crew::sic_instrument_rating(&person.held, &q.aircraft));
            }
            _ if faa => findings.push(currency::instrument(
                &person.entries,
                &q.aircraft.category,
                q.on,
                q.warn_days,
            )),
            _ => findings.push(crew::easa_instrument_rating(&person.held, &q.aircraft)),
        }
    }
    let state = worst(&findings);
    Answer { state, findings }
}

/// The worst state of `findings` (`met` when there are none).
pub fn worst(findings: &[Finding]) -> State {
    findings
        .iter()
        .map(|f| f.state)
        .fold(State::Met, |acc, s| match (acc, s) {
            (State::Failed, _) | (_, State::Failed) => State::Failed,
            (State::Expiring, _) | (_, State::Expiring) => State::Expiring,
            _ => State::Met,
        })
}

pub(super) fn medical_requirement(person: &Person, q: &Question) -> Finding {
    // A flight instructor acting as pilot in command needs at least a third-class medical (or
    // BasicMed): 14 CFR 61.23(a)(3)(iv).
    // A safety pilot is a required crew member exercising private privileges at least.
    let privileges = if matches!(q.role, Role::Instructor | Role::SafetyPilot) {
        FaaPrivileges::Private
    } else {
        q.privileges
    };
    match (person.born, q.authority) {
        (Some(born), Authority::Easa) => {
            let privileges = match privileges {
                FaaPrivileges::AirlineTransport | FaaPrivileges::Commercial => {
                    EasaPrivileges::Commercial
                }
                FaaPrivileges::Private => EasaPrivileges::Private,
            };
            let best = person
                .easa_medicals
                .iter()
                .max_by_key(|m| easa::valid_until(m, born, privileges).map(|v| v.0));
            easa::finding(best, born, privileges, q.on, q.warn_days)
        }
        (Some(born), Authority::Faa) => medical::faa_finding(
            person
                .medicals
                .iter()
                .max_by_key(|m| medical::faa_valid_until(m, born, privileges).map(|v| v.0)),
            person.basic_med.as_ref(),
            born,
            privileges,
            q.on,
            q.warn_days,
        ),
        // Without a date of birth no duration can be computed (61.23(d) depends on the age).
        (None, _) => Finding {
            rule: "faa.61.23",
            regulation: "14 CFR 61.23(d)",
            state: State::Failed,
            valid_until: None,
            evidence: Vec::new(),
            detail: if person.medicals.is_empty()
                && person.basic_med.is_none()
                && person.easa_medicals.is_empty()
            {
                "no medical certificate on record".to_owned()
            } else {
                "the date of birth is missing: the medical's duration depends on the age".to_owned()
            },
        },
    }
}

pub(super) fn solo_endorsement(person: &Person, q: &Question) -> Finding {
    let last = person
        .solo_endorsements
        .iter()
        .filter(|e| e.given_on <= q.on && e.type_code == q.type_code)
        .map(|e| e.given_on)
        .max();
    let valid_until = last.map(|d| calendar::days_after(d, 90));
    Finding {
        rule: "faa.61.87.n",
        regulation: "14 CFR 61.87(n)",
        state: state(valid_until, q.on, q.warn_days),
        valid_until,
        evidence: last.into_iter().collect(),
        detail: "a solo endorsement for the make and model within the preceding 90 days".to_owned(),
    }
}

pub(super) fn instructor_certificate(person: &Person, q: &Question) -> Finding {
    let (valid_until, detail) = match person.instructor_certificate {
        Some(None) => (Some(NaiveDate::MAX), "a flight instructor certificate"),
        Some(Some(until)) => (
            Some(until),
            "a flight instructor certificate, with its expiry",
        ),
        None => (None, "no flight instructor certificate on record"),
    };
    Finding {
        rule: "faa.61.195",
        regulation: "14 CFR 61.195, 61.3(d)",
        state: state(valid_until, q.on, q.warn_days),
        valid_until: valid_until.filter(|d| *d != NaiveDate::MAX),
        evidence: Vec::new(),
        detail: detail.to_owned(),
    }
}

/// The school's checkout in the type (not a regulation: the operator's own rule, commonly
/// written into its insurance), renewed by every flight logged in the type.
pub(super) fn checkout(person: &Person, q: &Question) -> Finding {
    let last_flown = person
        .entries
        .iter()
        .filter(|e| e.date <= q.on && e.type_code.as_deref() == Some(q.type_code.as_str()))
        .map(|e| e.date)
        .max();
    let best = person
        .checkouts
        .iter()
        .filter(|c| c.given_on <= q.on && c.type_code == q.type_code)
        .map(|c| {
            let from = last_flown.map_or(c.given_on, |f| f.max(c.given_on));
            (calendar::days_after(from, c.recency_days), from)
        })
        .max();
    Finding {
        rule: "school.checkout",
        regulation: "operator's checkout policy",
        state: state(best.map(|b| b.0), q.on, q.warn_days),
        valid_until: best.map(|b| b.0),
        evidence: best.map(|b| b.1).into_iter().collect(),
        detail: format!(
            "a checkout in the {}, renewed by flying it within its recency",
            q.type_code
        ),
    }
}

/// One requirement that lapses on a known day, whatever the flight, and the aircraft type it is
/// about (solo endorsements and checkouts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lapsing {
    pub finding: Finding,
    pub type_code: Option<String>,
}

/// What `person` holds that lapses on a known day: the medical for `privileges` (when any is on
/// record), the flight review (when one is logged), each type's latest solo endorsement and
/// checkout, the instructor certificate (when it has an expiry). For the list of what lapses
/// soon and the reminders; requirements never met are not listed (nothing lapses).
pub fn lapsing(
    person: &Person,
    on: NaiveDate,
    authority: Authority,
    privileges: FaaPrivileges,
    warn_days: u32,
) -> Vec<Lapsing> {
    let q = |role, type_code: &str, checkout| Question {
        role,
        aircraft: Aircraft::default(),
        type_code: type_code.to_owned(),
        on,
        night: false,
        rules: FlightRules::Vfr,
        privileges,
        warn_days,
        authority,
        checkout,
    };
    let mut out = Vec::new();
    let mut push = |finding: Finding, type_code: Option<&str>| {
        if finding.valid_until.is_some() {
            out.push(Lapsing {
                finding,
                type_code: type_code.map(str::to_owned),
            });
        }
    };
    let has_medical = match authority {
        Authority::Faa => !person.medicals.is_empty() || person.basic_med.is_some(),
        Authority::Easa => !person.easa_medicals.is_empty(),
    };
    if has_medical {
        push(medical_requirement(person, &q(Role::Pic, "", false)), None);
    }
    if authority == Authority::Faa {
        push(
            currency::flight_review(&person.entries, on, warn_days),
            None,
        );
    }
    if matches!(person.instructor_certificate, Some(Some(_))) {
        push(
            instructor_certificate(person, &q(Role::Instructor, "", false)),
            None,
        );
    }
    let mut types: Vec<&str> = person
        .solo_endorsements
        .iter()
        .map(|e| e.type_code.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    for t in types {
        push(
            solo_endorsement(person, &q(Role::SoloStudent, t, false)),
            Some(t),
        );
    }
    let mut types: Vec<&str> = person
        .checkouts
        .iter()
        .map(|c| c.type_code.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    for t in types {
        push(checkout(person, &q(Role::Pic, t, true)), Some(t));
    }
    out
}

#[cfg(test)]
mod tests;
