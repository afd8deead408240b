//! The certificates and ratings a crew member must hold, and second-in-command recency:
//! 14 CFR 61.55 (second in command) and 91.109(c) (the safety pilot of a simulated instrument
//! flight), and EASA Part-FCL's licence and instrument rating for a co-pilot.
//!
//! Certificates and ratings come from the person's pilot certificates on record; a rating is
//! named as the certificates domain stores it (`airplane_single_engine_land`,
//! `instrument_airplane`, `type:<designator>`), the type compared with the aircraft's type
//! designator.

use chrono::NaiveDate;

use super::calendar::end_of_nth_month_after;
use super::currency::{Aircraft, Entry};
use super::{Finding, State, state};

/// One pilot certificate on record: its kind (`private`, `commercial`, `atp`, `student`, ...)
/// and its ratings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub kind: String,
    pub ratings: Vec<String>,
}

/// The certificate kinds that are at least a private pilot certificate (14 CFR 61.55(a)(1),
/// 91.109(c)(1)); `lapl` is not (Part-FCL's light aircraft licence is below a PPL).
const PRIVATE_OR_HIGHER: &[&str] = &["private", "commercial", "atp"];

/// Whether a certificate of at least private pilot grade holding `rating` is on record.
fn holds(held: &[Held], rating: &str) -> bool {
    held.iter().any(|h| {
        PRIVATE_OR_HIGHER.contains(&h.kind.as_str())
            && h.ratings.iter().any(|r| r.eq_ignore_ascii_case(rating))
    })
}

/// The category and class rating the aircraft needs (`airplane_single_engine_land`).
pub fn class_rating(aircraft: &Aircraft) -> String {
    format!("{}_{}", aircraft.category, aircraft.class)
}

/// The instrument rating for the aircraft's category (`instrument_airplane`).
pub fn instrument_rating(aircraft: &Aircraft) -> String {
    format!("instrument_{}", aircraft.category)
}

/// Whether any certificate holds the instrument rating for the aircraft's category.
pub fn holds_instrument_rating(held: &[Held], aircraft: &Aircraft) -> bool {
    holds(held, &instrument_rating(aircraft))
}

/// A requirement that is met as long as something is held (no date of its own).
fn held_finding(ok: bool, rule: &'static str, regulation: &'static str, detail: String) -> Finding {
    Finding {
        rule,
        regulation,
        state: if ok { State::Met } else { State::Failed },
        valid_until: None,
        evidence: Vec::new(),
        detail,
    }
}

/// A pilot certificate of private grade or higher with the aircraft's category and class
/// rating: 14 CFR 61.55(a)(1) for a second in command, 91.109(c)(1) for a safety pilot.
pub fn certificate_with_class(
    held: &[Held],
    aircraft: &Aircraft,
    rule: &'static str,
    regulation: &'static str,
) -> Finding {
    let rating = class_rating(aircraft);
    let ok = holds(held, &rating);
    held_finding(
        ok,
        rule,
        regulation,
        if ok {
            format!("a private pilot certificate or higher with the {rating} rating")
        } else {
            format!(
                "no private, commercial or airline transport certificate with the {rating} rating on record"
            )
        },
    )
}

/// 14 CFR 61.55(a)(2): an instrument rating that applies to the aircraft when the flight is
/// under IFR.
pub fn sic_instrument_rating(held: &[Held], aircraft: &Aircraft) -> Finding {
    let rating = instrument_rating(aircraft);
    let ok = holds(held, &rating);
    held_finding(
        ok,
        "faa.61.55.a.2",
        "14 CFR 61.55(a)(2)",
        format!(
            "{} the {rating} rating, needed under IFR",
            if ok { "holds" } else { "does not hold" }
        ),
    )
}

/// 14 CFR 61.55(a)(3): at least a pilot type rating (second-in-command privileges only
/// suffice) for an aircraft that requires one.
pub fn sic_type_rating(held: &[Held], type_code: &str) -> Finding {
    let ok = holds(held, &format!("type:{type_code}"));
    held_finding(
        ok,
        "faa.61.55.a.3",
        "14 CFR 61.55(a)(3)",
        format!(
            "{} a type rating for the {type_code} (type:{type_code})",
            if ok { "holds" } else { "does not hold" }
        ),
    )
}

/// 14 CFR 61.55(b)(2)(i): within the previous 12 calendar months, three takeoffs and landings
/// to a full stop as sole manipulator of the controls in the type. Counted like the flight
/// review's calendar months (61.56(c)): good through the last day of the 12th calendar month
/// after the month of the oldest of the three latest. The familiarisation of (b)(1) and the
/// engine-out and crew resource management items of (b)(2)(ii)-(iii) are not logbook columns:
/// the operator checks them.
pub fn sic_recency(entries: &[Entry], type_code: &str, on: NaiveDate, warn_days: u32) -> Finding {
    let mut days: Vec<(NaiveDate, u32)> = entries
        .iter()
        .filter(|e| e.date <= on && e.type_code.as_deref() == Some(type_code))
        .map(|e| {
            (
                e.date,
                e.day_full_stop_landings + e.night_full_stop_landings,
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    days.sort_unstable_by_key(|d| std::cmp::Reverse(d.0));
    let (mut total, mut evidence, mut third) = (0, Vec::new(), None);
    for (date, n) in days {
        if evidence.last() != Some(&date) {
            evidence.push(date);
        }
        total += n;
        if total >= 3 {
            third = Some(date);
            break;
        }
    }
    let valid_until = third.map(|d| end_of_nth_month_after(d, 12));
    Finding {
        rule: "faa.61.55.b",
        regulation: "14 CFR 61.55(b)(2)(i)",
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence,
        detail: format!(
            "3 takeoffs and landings to a full stop in the {type_code} in the previous 12 calendar months \
             (familiarisation, engine-out and CRM training, 61.55(b)(1) and (b)(2)(ii)-(iii), are the operator's to check)"
        ),
    }
}

/// Part-FCL: a co-pilot holds a licence with the aircraft's class or type rating (FCL.705,
/// FCL.700(a)).
pub fn easa_licence_with_rating(held: &[Held], aircraft: &Aircraft) -> Finding {
    let rating = aircraft
        .type_rating
        .as_ref()
        .map_or_else(|| class_rating(aircraft), |t| format!("type:{t}"));
    let ok = holds(held, &rating);
    held_finding(
        ok,
        "easa.fcl.700",
        "Part-FCL FCL.700(a)",
        format!(
            "{} a PPL, CPL or ATPL with the {rating} rating",
            if ok { "holds" } else { "does not hold" }
        ),
    )
}

/// Part-FCL FCL.600: IFR only with an instrument rating for the category (its validity,
/// FCL.625, is not on record: the rating is taken as valid).
pub fn easa_instrument_rating(held: &[Held], aircraft: &Aircraft) -> Finding {
    let rating = instrument_rating(aircraft);
    let ok = holds(held, &rating);
    held_finding(
        ok,
        "easa.fcl.600",
        "Part-FCL FCL.600",
        format!(
            "{} the {rating} rating, needed under IFR",
            if ok { "holds" } else { "does not hold" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn citation() -> Aircraft {
        Aircraft {
            category: "airplane".into(),
            class: "multi_engine_land".into(),
            type_rating: Some("C525".into()),
            tailwheel: false,
        }
    }

    fn full_stops(date: NaiveDate, n: u32) -> Entry {
        Entry {
            date,
            category: Some("airplane".into()),
            class: Some("multi_engine_land".into()),
            type_code: Some("C525".into()),
            day_landings: n,
            day_full_stop_landings: n,
            ..Entry::default()
        }
    }

    #[test]
    fn a_private_certificate_with_the_class_rating_is_needed() {
        let a = citation();
        let commercial = Held {
            kind: "commercial".into(),
            ratings: vec!["airplane_multi_engine_land".into()],
        };
        let student = Held {
            kind: "student".into(),
            ratings: vec!["airplane_multi_engine_land".into()],
        };
        let other_class = Held {
            kind: "private".into(),
            ratings: vec!["airplane_single_engine_land".into()],
        };
        let f = |h: &[Held]| certificate_with_class(h, &a, "faa.61.55.a.1", "14 CFR 61.55(a)(1)");
        assert_eq!(f(std::slice::from_ref(&commercial)).state, State::Met);
        assert_eq!(f(&[student]).state, State::Failed);
        assert_eq!(f(&[other_class]).state, State::Failed);
        assert_eq!(f(&[]).state, State::Failed);
        assert_eq!(
            sic_type_rating(std::slice::from_ref(&commercial), "C525").state,
            State::Failed
        );
        let typed = Held {
            ratings: vec!["airplane_multi_engine_land".into(), "type:C525".into()],
            ..commercial
        };
        assert_eq!(
            sic_type_rating(std::slice::from_ref(&typed), "C525").state,
            State::Met
        );
        assert_eq!(sic_instrument_rating(&[typed], &a).state, State::Failed);
    }

    #[test]
    fn sic_recency_runs_to_the_end_of_the_twelfth_calendar_month() {
        // Three full stops on 15 and 20 January 2026 (one, then two): good through 31 January
        // 2027; the day after, failed.
        let log = [full_stops(d(2026, 1, 15), 1), full_stops(d(2026, 1, 20), 2)];
        let f = sic_recency(&log, "C525", d(2027, 1, 31), 0);
        assert_eq!((f.state, f.valid_until), (State::Met, Some(d(2027, 1, 31))));
        assert_eq!(f.evidence, vec![d(2026, 1, 20), d(2026, 1, 15)]);
        assert_eq!(
            sic_recency(&log, "C525", d(2027, 2, 1), 0).state,
            State::Failed
        );
        // Two are not three; another type does not count; nothing logged later counts today.
        assert_eq!(
            sic_recency(&log[1..], "C525", d(2026, 2, 1), 0).valid_until,
            None
        );
        assert_eq!(
            sic_recency(&log, "C510", d(2026, 2, 1), 0).valid_until,
            None
        );
        assert_eq!(
            sic_recency(&log, "C525", d(2026, 1, 19), 0).valid_until,
            None
        );
    }
}
