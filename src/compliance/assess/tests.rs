use super::*;
use crate::compliance::crew::Held;
use crate::compliance::easa::EasaClass;
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
        authority: Authority::Faa,
        checkout: false,
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
        medicals: vec![FaaMedical {
            class: FaaClass::Third,
            examined_on: d(2024, 5, 1),
        }],
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
        ..Person::default()
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
fn an_instructor_needs_the_certificate_a_third_class_medical_and_a_review() {
    let on = d(2026, 12, 6);
    let mut cfi = pilot();
    let q = Question {
        privileges: FaaPrivileges::Commercial,
        ..question(Role::Instructor, on)
    };
    // A third-class medical is enough (61.23(a)(3)(iv)) even when paid; no certificate fails.
    let a = assess(&cfi, &q);
    assert_eq!(
        rules_of(&a),
        [
            ("faa.61.23", State::Met),
            ("faa.61.195", State::Failed),
            ("faa.61.56", State::Met)
        ]
    );
    cfi.instructor_certificate = Some(Some(d(2026, 12, 31)));
    assert_eq!(assess(&cfi, &q).state, State::Expiring);
    cfi.instructor_certificate = Some(None);
    assert_eq!(assess(&cfi, &q).state, State::Met);
}

#[test]
fn a_checkout_is_renewed_by_flying_the_type() {
    let on = d(2026, 12, 6);
    let mut p = pilot();
    let q = Question {
        checkout: true,
        ..question(Role::Pic, on)
    };
    let f = |p: &Person| {
        assess(p, &q)
            .findings
            .into_iter()
            .find(|f| f.rule == "school.checkout")
            .map(|f| (f.state, f.valid_until))
    };
    assert_eq!(f(&p), Some((State::Failed, None)));
    p.checkouts.push(Checkout {
        type_code: "C172".into(),
        given_on: d(2026, 6, 1),
        recency_days: 90,
    });
    // Checked out in June, last flew the type on 20 November: good through 18 February.
    assert_eq!(f(&p), Some((State::Met, Some(d(2027, 2, 18)))));
    p.entries.retain(|e| e.date < d(2026, 1, 1));
    assert_eq!(f(&p), Some((State::Failed, Some(d(2026, 8, 30)))));
}

#[test]
fn the_easa_authority_uses_part_med() {
    let on = d(2026, 12, 6);
    let mut p = pilot();
    let q = Question {
        authority: Authority::Easa,
        ..question(Role::Pic, on)
    };
    // An FAA medical does not count under EASA.
    assert_eq!(assess(&p, &q).findings[0].state, State::Failed);
    p.easa_medicals.push(EasaMedical {
        class: crate::compliance::easa::EasaClass::Class2,
        examined_on: d(2025, 1, 10),
    });
    let medical = &assess(&p, &q).findings[0];
    assert_eq!(medical.rule, "easa.med.a.045");
    assert_eq!(medical.valid_until, Some(d(2030, 1, 10)));
}

#[test]
fn no_date_of_birth_fails_the_medical_and_the_worst_state_wins() {
    let mut p = pilot();
    p.born = None;
    let a = assess(&p, &question(Role::Pic, d(2026, 12, 6)));
    assert_eq!(a.state, State::Failed);
    assert_eq!(worst(&[]), State::Met);
}

#[test]
fn lapsing_lists_what_has_a_last_day() {
    let on = d(2026, 12, 6);
    let mut p = pilot();
    p.solo_endorsements.push(SoloEndorsement {
        type_code: "C172".into(),
        given_on: d(2026, 11, 1),
    });
    p.solo_endorsements.push(SoloEndorsement {
        type_code: "C172".into(),
        given_on: d(2026, 10, 1),
    });
    let l = lapsing(&p, on, Authority::Faa, FaaPrivileges::Private, 30);
    let rules: Vec<_> = l
        .iter()
        .map(|l| {
            (
                l.finding.rule,
                l.finding.valid_until,
                l.type_code.as_deref(),
            )
        })
        .collect();
    // Third class at 34 (born 1990, examined May 2024): 60 calendar months; review Sept 2025:
    // 24 months; the later solo endorsement: 90 days.
    assert_eq!(
        rules,
        [
            ("faa.61.23", Some(d(2029, 5, 31)), None),
            ("faa.61.56", Some(d(2027, 9, 30)), None),
            ("faa.61.87.n", Some(d(2027, 1, 30)), Some("C172")),
        ]
    );
    // Nothing on record: nothing lapses.
    assert!(
        lapsing(
            &Person::default(),
            on,
            Authority::Faa,
            FaaPrivileges::Private,
            30
        )
        .is_empty()
    );
}

fn held(kind: &str, ratings: &[&str]) -> Held {
    Held {
        kind: kind.into(),
        ratings: ratings.iter().map(|r| (*r).to_owned()).collect(),
    }
}

/// A Citation: multi-engine, a type rating required (14 CFR 61.31(a)).
fn citation(role: Role, on: NaiveDate) -> Question {
    Question {
        aircraft: Aircraft {
            category: "airplane".into(),
            class: "multi_engine_land".into(),
            type_rating: Some("C525".into()),
            tailwheel: false,
        },
        type_code: "C525".into(),
        privileges: FaaPrivileges::Commercial,
        ..question(role, on)
    }
}

#[test]
fn a_second_in_command_needs_the_class_the_type_rating_and_three_full_stops_in_the_type() {
    let on = d(2026, 12, 6);
    let mut p = pilot();
    p.medicals = vec![FaaMedical {
        class: FaaClass::Second,
        examined_on: d(2026, 6, 1),
    }];
    let q = citation(Role::Sic, on);
    assert_eq!(
        rules_of(&assess(&p, &q)),
        [
            ("faa.61.23", State::Met),
            ("faa.61.55.a.1", State::Failed),
            ("faa.61.55.a.3", State::Failed),
            ("faa.61.55.b", State::Failed),
        ]
    );
    p.held = vec![held(
        "commercial",
        &["airplane_multi_engine_land", "type:C525"],
    )];
    p.entries.push(Entry {
        date: d(2025, 12, 2),
        category: Some("airplane".into()),
        class: Some("multi_engine_land".into()),
        type_code: Some("C525".into()),
        day_landings: 3,
        day_full_stop_landings: 3,
        ..Entry::default()
    });
    // Three full stops on 2 December 2025: good through 31 December 2026, inside the warning.
    let a = assess(&p, &q);
    assert_eq!(a.state, State::Expiring, "{a:?}");
    assert_eq!(
        a.findings.last().map(|f| f.valid_until),
        Some(Some(d(2026, 12, 31)))
    );
    // Under IFR an instrument rating is needed too (61.55(a)(2)), not 61.57(c) currency.
    let ifr = assess(
        &p,
        &Question {
            rules: FlightRules::Ifr,
            ..q.clone()
        },
    );
    assert_eq!(
        ifr.findings.last().map(|f| (f.rule, f.state)),
        Some(("faa.61.55.a.2", State::Failed))
    );
    // In an aircraft without a type rating, the category and class rating is all.
    let king_air = Question {
        aircraft: Aircraft {
            type_rating: None,
            ..q.aircraft.clone()
        },
        ..q
    };
    assert_eq!(
        rules_of(&assess(&p, &king_air)),
        [("faa.61.23", State::Met), ("faa.61.55.a.1", State::Met)]
    );
}

#[test]
fn a_safety_pilot_needs_a_private_certificate_with_the_class_and_a_medical() {
    let on = d(2026, 12, 6);
    let mut p = pilot();
    let q = Question {
        rules: FlightRules::Ifr,
        privileges: FaaPrivileges::Commercial,
        ..question(Role::SafetyPilot, on)
    };
    // A third-class medical suffices; a student certificate does not; no instrument currency.
    p.held = vec![held("student", &["airplane_single_engine_land"])];
    assert_eq!(
        rules_of(&assess(&p, &q)),
        [("faa.61.23", State::Met), ("faa.91.109.c", State::Failed)]
    );
    p.held
        .push(held("private", &["airplane_single_engine_land"]));
    assert_eq!(assess(&p, &q).state, State::Met);
}

#[test]
fn under_easa_fcl_060_replaces_61_57_and_there_is_no_flight_review() {
    let on = d(2026, 12, 6);
    let mut p = pilot();
    p.easa_medicals.push(EasaMedical {
        class: EasaClass::Class2,
        examined_on: d(2025, 1, 10),
    });
    let q = Question {
        authority: Authority::Easa,
        night: true,
        ..question(Role::PicWithPassengers, on)
    };
    // Three day landings on 20 November; no night landing and no instrument rating.
    assert_eq!(
        rules_of(&assess(&p, &q)),
        [
            ("easa.med.a.045", State::Met),
            ("easa.fcl.060.b.1", State::Met),
            ("easa.fcl.060.b.2", State::Failed),
        ]
    );
    // An instrument rating replaces night recency (FCL.060(b)(2)(ii)) and answers IFR.
    p.held = vec![held(
        "private",
        &["airplane_single_engine_land", "instrument_airplane"],
    )];
    let ifr = Question {
        rules: FlightRules::Ifr,
        ..q
    };
    assert_eq!(
        rules_of(&assess(&p, &ifr)),
        [
            ("easa.med.a.045", State::Met),
            ("easa.fcl.060.b.1", State::Met),
            ("easa.fcl.060.b.2", State::Met),
            ("easa.fcl.600", State::Met),
        ]
    );
    // The flight review is not listed as lapsing under EASA.
    assert!(
        lapsing(&p, on, Authority::Easa, FaaPrivileges::Private, 30)
            .iter()
            .all(|l| l.finding.rule != "faa.61.56")
    );
}
