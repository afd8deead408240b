//! The one question every caller asks: may this person act in this role, in this aircraft, on
//! this day, by day or night, VFR or IFR? The answer is every requirement that applies, each a
//! [`Finding`] with its regulation, state and evidence, and the worst of their states.
//!
//! Roles modelled so far: pilot in command, pilot in command with passengers, and a student
//! pilot flying solo. Instructor, second in command and safety pilot follow with the
//! certificates domain (ratings, instructor certificates, type ratings).

use chrono::NaiveDate;

use super::currency::{self, Aircraft, Entry};
use super::medical::{self, BasicMed, FaaMedical, FaaPrivileges};
use super::{Finding, State, calendar, state};

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
}

/// A student pilot's solo endorsement (14 CFR 61.87(n)): for the make and model, given within
/// the 90 days preceding the flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoloEndorsement {
    /// The aircraft type designator it names.
    pub type_code: String,
    pub given_on: NaiveDate,
}

/// The facts about a person, as the domains load them.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub born: Option<NaiveDate>,
    pub medical: Option<FaaMedical>,
    pub basic_med: Option<BasicMed>,
    pub entries: Vec<Entry>,
    pub solo_endorsements: Vec<SoloEndorsement>,
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
    match q.role {
        Role::Pic | Role::PicWithPassengers => {
            findings.push(currency::flight_review(&person.entries, q.on, q.warn_days));
        }
        Role::SoloStudent => findings.push(solo_endorsement(person, q)),
    }
    if q.role == Role::PicWithPassengers {
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
    if q.rules == FlightRules::Ifr {
        findings.push(currency::instrument(
            &person.entries,
            &q.aircraft.category,
            q.on,
            q.warn_days,
        ));
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

fn medical_requirement(person: &Person, q: &Question) -> Finding {
    match person.born {
        Some(born) => medical::faa_finding(
            person.medical.as_ref(),
            person.basic_med.as_ref(),
            born,
            q.privileges,
            q.on,
            q.warn_days,
        ),
        // Without a date of birth no duration can be computed (61.23(d) depends on the age).
        None => Finding {
            rule: "faa.61.23",
            regulation: "14 CFR 61.23(d)",
            state: State::Failed,
            valid_until: None,
            evidence: Vec::new(),
            detail: "the date of birth is missing: the medical's duration depends on the age"
                .to_owned(),
        },
    }
}

fn solo_endorsement(person: &Person, q: &Question) -> Finding {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::medical::FaaClass;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn question(role: Role, on: NaiveDate) -> Question {
        Question {
            role,
            aircraft: Aircraft {
                category: "airplane".into(),
                class: "single_engine_land".into(),
                type_rating: None,
                tailwheel: false,
            },
            type_code: "C172".into(),
            on,
            night: false,
            rules: FlightRules::Vfr,
            privileges: FaaPrivileges::Private,
            warn_days: 30,
        }
    }

    fn entry(date: NaiveDate) -> Entry {
        Entry {
            date,
            category: Some("airplane".into()),
            class: Some("single_engine_land".into()),
            type_code: Some("C172".into()),
            ..Entry::default()
        }
    }

    fn pilot() -> Person {
        Person {
            born: Some(d(1990, 5, 1)),
            medical: Some(FaaMedical {
                class: FaaClass::Third,
                examined_on: d(2024, 5, 1),
            }),
            basic_med: None,
            entries: vec![
                Entry {
                    flight_review: true,
                    ..entry(d(2025, 9, 1))
                },
                Entry {
                    day_landings: 3,
                    day_full_stop_landings: 3,
                    ..entry(d(2026, 11, 20))
                },
            ],
            solo_endorsements: Vec::new(),
        }
    }

    fn rules_of(a: &Answer) -> Vec<(&'static str, State)> {
        a.findings.iter().map(|f| (f.rule, f.state)).collect()
    }

    #[test]
    fn passengers_by_day_need_medical_review_and_landings_and_at_night_night_landings() {
        let on = d(2026, 12, 6);
        let day = assess(&pilot(), &question(Role::PicWithPassengers, on));
        assert_eq!(
            rules_of(&day),
            [
                ("faa.61.23", State::Met),
                ("faa.61.56", State::Met),
                ("faa.61.57.a", State::Met)
            ]
        );
        assert_eq!(day.state, State::Met);
        let night = assess(
            &pilot(),
            &Question {
                night: true,
                ..question(Role::PicWithPassengers, on)
            },
        );
        assert_eq!(night.state, State::Failed);
        assert_eq!(night.findings.last().map(|f| f.rule), Some("faa.61.57.b"));
        // Alone, neither passenger rule applies; under IFR the instrument rule does.
        let ifr = assess(
            &pilot(),
            &Question {
                rules: FlightRules::Ifr,
                ..question(Role::Pic, on)
            },
        );
        assert_eq!(
            rules_of(&ifr),
            [
                ("faa.61.23", State::Met),
                ("faa.61.56", State::Met),
                ("faa.61.57.c", State::Failed)
            ]
        );
    }

    #[test]
    fn a_solo_student_needs_an_endorsement_for_the_type_within_90_days() {
        let on = d(2026, 12, 6);
        let mut student = pilot();
        student.solo_endorsements.push(SoloEndorsement {
            type_code: "PA28".into(),
            given_on: d(2026, 11, 1),
        });
        let a = assess(&student, &question(Role::SoloStudent, on));
        assert_eq!(a.state, State::Failed, "{a:?}");
        student.solo_endorsements.push(SoloEndorsement {
            type_code: "C172".into(),
            given_on: d(2026, 9, 8),
        });
        // Given on 8 September: the 90 days end on 7 December, so tomorrow is the last day.
        let a = assess(&student, &question(Role::SoloStudent, on));
        let solo = a.findings.iter().find(|f| f.rule == "faa.61.87.n");
        assert_eq!(
            solo.map(|f| (f.state, f.valid_until)),
            Some((State::Expiring, Some(d(2026, 12, 7))))
        );
        assert_eq!(a.state, State::Expiring);
        let later = assess(&student, &question(Role::SoloStudent, d(2026, 12, 8)));
        assert_eq!(later.state, State::Failed);
    }

    #[test]
    fn no_date_of_birth_fails_the_medical_and_the_worst_state_wins() {
        let mut p = pilot();
        p.born = None;
        let a = assess(&p, &question(Role::Pic, d(2026, 12, 6)));
        assert_eq!(a.state, State::Failed);
        assert_eq!(worst(&[]), State::Met);
    }
}
