//! The logbook entries a signed flight makes: one per crew member, with the times their role
//! lets them log under 14 CFR 61.51. Pure: the aircraft's facts and the flight in, entries out.
//!
//! - `pic`: total and PIC (61.51(e)(1)).
//! - `student` with an instructor on board: total and dual received (61.51(h)); no PIC (a
//!   student pilot logs PIC only when solo, 61.51(e)(4)). The instructor is named on the entry,
//!   who then signs it (`POST /logbook/entries/{id}/sign`).
//! - `student` without an instructor: total, solo and PIC (61.51(d), (e)(4)).
//! - `instructor`: total and PIC (61.51(e)(3)), and dual given when a student is on board.
//! - `sic`: total and SIC (61.51(f)).
//! - `safety_pilot`: total and SIC only when simulated instrument time was flown (61.51(f)(2)
//!   with 91.109(c): the safety pilot is then a required crew member); otherwise no entry.
//!
//! The pilot flying logs the landings, approaches, holds, tracking and simulated instrument time
//! (61.51(g)): the student when there is one, else the PIC, else the instructor. Night,
//! cross-country and actual instrument time go to every pilot who logs the flight.

use super::dto::CrewRole;
use super::fields::FlightFields;
use crate::domains::flights::logbook::dto::{AircraftClass, Category, Minutes};
use crate::domains::flights::logbook::fields::Fields;
use crate::kernel::UserId;

/// What the aircraft contributes to every entry.
#[derive(Debug, Clone, Default)]
pub struct AircraftFacts {
    pub registration: Option<String>,
    pub type_code: Option<String>,
    pub category: Option<Category>,
    pub class: Option<AircraftClass>,
}

/// The entries of `f`, as (person, fields).
pub fn entries(f: &FlightFields, a: &AircraftFacts) -> Vec<(UserId, Fields)> {
    let total = f.total_minutes();
    let instructor = f
        .crew
        .iter()
        .find(|c| c.role == CrewRole::Instructor)
        .map(|c| c.person_id);
    let has_student = f.has(CrewRole::Student);
    let flying = [CrewRole::Student, CrewRole::Pic, CrewRole::Instructor]
        .into_iter()
        .find_map(|r| f.crew.iter().find(|c| c.role == r))
        .map(|c| c.person_id);
    let mut out = Vec::new();
    for c in &f.crew {
        let mut m = Minutes {
            total,
            night: f.minutes.night,
            cross_country: f.minutes.cross_country,
            actual_instrument: f.minutes.actual_instrument,
            ..Minutes::default()
        };
        let mut entry_instructor = None;
        match c.role {
            CrewRole::Pic => m.pic = total,
            CrewRole::Student if instructor.is_some() => {
                m.dual_received = total;
                entry_instructor = instructor;
            }
            CrewRole::Student => {
                m.solo = total;
                m.pic = total;
            }
            CrewRole::Instructor => {
                m.pic = total;
                if has_student {
                    m.dual_given = total;
                }
            }
            CrewRole::Sic => m.sic = total,
            CrewRole::SafetyPilot if f.minutes.simulated_instrument > 0 => m.sic = total,
            CrewRole::SafetyPilot => continue,
        }
        let pf = flying == Some(c.person_id);
        if pf {
            m.simulated_instrument = f.minutes.simulated_instrument;
        }
        let count = |n: i32| if pf { n } else { 0 };
        out.push((
            c.person_id,
            Fields {
                date: f.date,
                aircraft_id: Some(f.aircraft_id),
                registration: a.registration.clone(),
                type_code: a.type_code.clone(),
                category: a.category,
                class: a.class,
                departure: f.departure.clone(),
                destination: f.destination.clone(),
                stops: f.stops.clone(),
                minutes: m,
                day_landings: count(f.day_landings),
                day_full_stop_landings: count(f.day_full_stop_landings),
                night_full_stop_landings: count(f.night_full_stop_landings),
                approaches: count(f.approach_count()),
                approach_details: if pf { f.approaches.clone() } else { Vec::new() },
                holds: count(f.holds),
                intercept_track: pf && f.intercept_track,
                instructor_id: entry_instructor,
                remarks: f.remarks.clone(),
                ..Fields::default()
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::domains::flights::records::dto::{CrewMember, FlightMinutes};
    use crate::kernel::AircraftId;

    fn flight(crew: &[(UserId, CrewRole)], sim: i32) -> FlightFields {
        FlightFields {
            aircraft_id: AircraftId::new(),
            date: NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
            departure: Some("KPAO".into()),
            destination: Some("KPAO".into()),
            stops: vec![],
            out_at: Some(Utc.with_ymd_and_hms(2026, 11, 2, 16, 0, 0).unwrap()),
            off_at: None,
            on_at: None,
            in_at: Some(Utc.with_ymd_and_hms(2026, 11, 2, 17, 30, 0).unwrap()),
            hobbs_out: Some(10),
            hobbs_in: Some(25),
            tach_out: None,
            tach_in: None,
            day_landings: 3,
            day_full_stop_landings: 1,
            night_full_stop_landings: 0,
            approaches: vec![],
            holds: 1,
            intercept_track: true,
            minutes: FlightMinutes {
                night: 0,
                cross_country: 0,
                actual_instrument: 0,
                simulated_instrument: sim,
            },
            fuel_uplift: None,
            remarks: None,
            crew: crew
                .iter()
                .map(|(p, r)| CrewMember {
                    person_id: *p,
                    role: *r,
                })
                .collect(),
        }
    }

    #[test]
    fn dual_lesson_student_receives_instructor_gives() {
        let (s, i) = (UserId::new(), UserId::new());
        let e = entries(
            &flight(&[(s, CrewRole::Student), (i, CrewRole::Instructor)], 20),
            &AircraftFacts::default(),
        );
        assert_eq!(e.len(), 2);
        let (student, instructor) = (&e[0].1, &e[1].1);
        assert_eq!(
            (
                student.minutes.total,
                student.minutes.dual_received,
                student.minutes.pic
            ),
            (90, 90, 0)
        );
        assert_eq!(student.instructor_id, Some(i));
        assert_eq!(
            (
                student.day_landings,
                student.minutes.simulated_instrument,
                student.holds
            ),
            (3, 20, 1)
        );
        assert_eq!(
            (
                instructor.minutes.pic,
                instructor.minutes.dual_given,
                instructor.day_landings
            ),
            (90, 90, 0)
        );
        assert_eq!(instructor.minutes.simulated_instrument, 0);
    }

    #[test]
    fn solo_student_logs_solo_and_pic() {
        let s = UserId::new();
        let e = entries(
            &flight(&[(s, CrewRole::Student)], 0),
            &AircraftFacts::default(),
        );
        assert_eq!(
            (
                e[0].1.minutes.solo,
                e[0].1.minutes.pic,
                e[0].1.minutes.dual_received
            ),
            (90, 90, 0)
        );
    }

    #[test]
    fn a_safety_pilot_logs_sic_only_under_the_hood() {
        let (p, sp) = (UserId::new(), UserId::new());
        let hood = entries(
            &flight(&[(p, CrewRole::Pic), (sp, CrewRole::SafetyPilot)], 30),
            &AircraftFacts::default(),
        );
        assert_eq!(hood.len(), 2);
        assert_eq!(
            (
                hood[1].1.minutes.sic,
                hood[0].1.minutes.simulated_instrument
            ),
            (90, 30)
        );
        let visual = entries(
            &flight(&[(p, CrewRole::Pic), (sp, CrewRole::SafetyPilot)], 0),
            &AircraftFacts::default(),
        );
        assert_eq!(visual.len(), 1);
    }
}
