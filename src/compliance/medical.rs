//! Medical certificate validity, computed from the exam date and the pilot's age, never typed
//! in. The rule set is data: a table of durations with its regulation, so another authority is a
//! new table, not new code.
//!
//! FAA, 14 CFR 61.23(d): a medical certificate expires at the end of the last day of the Nth
//! calendar month after the month of the examination, N depending on the certificate's class,
//! the privileges exercised, and whether the pilot had reached 40 on the day of the exam.
//! BasicMed, 14 CFR 61.23(c)(3) and 61.113(i) / part 68: a comprehensive medical examination
//! within the preceding 48 months and the medical education course within the preceding 24
//! calendar months.

use chrono::NaiveDate;

use super::calendar::{age_on, end_of_nth_month_after};
use super::{Finding, state};

/// The class of an FAA medical certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaaClass {
    First,
    Second,
    Third,
}

/// The privileges a pilot exercises, named by the medical class they need (14 CFR 61.23(a)):
/// first-class for airline transport pilot privileges, second-class for commercial pilot
/// privileges, third-class for private, recreational and student pilots and for a flight
/// instructor acting as pilot in command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaaPrivileges {
    AirlineTransport,
    Commercial,
    Private,
}

/// One row of 14 CFR 61.23(d): a certificate of `class`, used for `privileges`, lasts
/// `under_40` calendar months after the month of the exam if the pilot was under 40 that day,
/// `from_40` months if they had reached 40.
struct Duration {
    class: FaaClass,
    privileges: FaaPrivileges,
    under_40: u32,
    from_40: u32,
    paragraph: &'static str,
}

/// 14 CFR 61.23(d)(1)-(3). A class not listed for some privileges never grants them (a
/// third-class certificate is no good for commercial privileges).
const FAA_61_23_D: &[Duration] = &[
    Duration {
        class: FaaClass::First,
        privileges: FaaPrivileges::AirlineTransport,
        under_40: 12,
        from_40: 6,
        paragraph: "14 CFR 61.23(d)(1)(i)",
    },
    Duration {
        class: FaaClass::First,
        privileges: FaaPrivileges::Commercial,
        under_40: 12,
        from_40: 12,
        paragraph: "14 CFR 61.23(d)(1)(ii)",
    },
    Duration {
        class: FaaClass::First,
        privileges: FaaPrivileges::Private,
        under_40: 60,
        from_40: 24,
        paragraph: "14 CFR 61.23(d)(1)(iii)",
    },
    Duration {
        class: FaaClass::Second,
        privileges: FaaPrivileges::Commercial,
        under_40: 12,
        from_40: 12,
        paragraph: "14 CFR 61.23(d)(2)(i)",
    },
    Duration {
        class: FaaClass::Second,
        privileges: FaaPrivileges::Private,
        under_40: 60,
        from_40: 24,
        paragraph: "14 CFR 61.23(d)(2)(ii)",
    },
    Duration {
        class: FaaClass::Third,
        privileges: FaaPrivileges::Private,
        under_40: 60,
        from_40: 24,
        paragraph: "14 CFR 61.23(d)(3)",
    },
];

/// An FAA medical certificate as a fact: its class and the day of the examination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaaMedical {
    pub class: FaaClass,
    pub examined_on: NaiveDate,
}

/// The last day `medical` supports `privileges` for a pilot born on `born`, with the paragraph
/// of 61.23(d) that says so; `None` when its class never grants them.
pub fn faa_valid_until(
    medical: &FaaMedical,
    born: NaiveDate,
    privileges: FaaPrivileges,
) -> Option<(NaiveDate, &'static str)> {
    let row = FAA_61_23_D
        .iter()
        .find(|d| d.class == medical.class && d.privileges == privileges)?;
    let months = if age_on(born, medical.examined_on) < 40 {
        row.under_40
    } else {
        row.from_40
    };
    Some((
        end_of_nth_month_after(medical.examined_on, months),
        row.paragraph,
    ))
}

/// BasicMed as a fact: the comprehensive medical examination (FAA Form 8700-2) and the online
/// medical education course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicMed {
    pub examined_on: NaiveDate,
    pub course_on: NaiveDate,
}

/// The last day BasicMed covers: the exam's 48 months and the course's 24 calendar months,
/// whichever ends first (both counted, as the FAA's BasicMed guidance does, to the end of the
/// month). BasicMed covers private privileges only (14 CFR 61.113(i)).
pub fn basic_med_valid_until(b: &BasicMed) -> NaiveDate {
    end_of_nth_month_after(b.examined_on, 48).min(end_of_nth_month_after(b.course_on, 24))
}

/// The medical requirement for `privileges` on `on`, from the pilot's FAA medical and BasicMed
/// (either may be missing), warning `warn_days` ahead.
pub fn faa_finding(
    medical: Option<&FaaMedical>,
    basic_med: Option<&BasicMed>,
    born: NaiveDate,
    privileges: FaaPrivileges,
    on: NaiveDate,
    warn_days: u32,
) -> Finding {
    let certificate = medical.and_then(|m| {
        faa_valid_until(m, born, privileges).map(|(until, paragraph)| (until, paragraph, m))
    });
    let basic = basic_med
        .filter(|_| privileges == FaaPrivileges::Private)
        .map(|b| (basic_med_valid_until(b), b));
    // The better of the two: the one that lasts longer.
    let (valid_until, regulation, evidence, detail) = match (certificate, basic) {
        (Some((until, paragraph, m)), Some((b_until, _))) if until >= b_until => (
            Some(until),
            paragraph,
            vec![m.examined_on],
            format!("{:?}-class medical of {}", m.class, m.examined_on).to_lowercase(),
        ),
        (_, Some((until, b))) => (
            Some(until),
            "14 CFR 61.23(c)(3)",
            vec![b.examined_on, b.course_on],
            format!(
                "BasicMed: examination of {}, course of {}",
                b.examined_on, b.course_on
            ),
        ),
        (Some((until, paragraph, m)), None) => (
            Some(until),
            paragraph,
            vec![m.examined_on],
            format!("{:?}-class medical of {}", m.class, m.examined_on).to_lowercase(),
        ),
        (None, None) => (
            None,
            "14 CFR 61.23(a)",
            Vec::new(),
            "no medical certificate that grants these privileges".to_owned(),
        ),
    };
    Finding {
        rule: "faa.61.23",
        regulation,
        state: state(valid_until, on, warn_days),
        valid_until,
        evidence,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::State;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn first(examined_on: NaiveDate) -> FaaMedical {
        FaaMedical {
            class: FaaClass::First,
            examined_on,
        }
    }

    #[test]
    fn first_class_privileges_last_12_months_under_40_and_6_from_the_40th_birthday() {
        let born = d(1986, 6, 10);
        // The day before the 40th birthday: under 40, 12 calendar months.
        let (until, paragraph) =
            faa_valid_until(&first(d(2026, 6, 9)), born, FaaPrivileges::AirlineTransport)
                .expect("grants");
        assert_eq!(
            (until, paragraph),
            (d(2027, 6, 30), "14 CFR 61.23(d)(1)(i)")
        );
        // On the birthday: 40, 6 calendar months.
        let (until, _) = faa_valid_until(
            &first(d(2026, 6, 10)),
            born,
            FaaPrivileges::AirlineTransport,
        )
        .expect("grants");
        assert_eq!(until, d(2026, 12, 31));
        // The same certificate still carries commercial and private privileges longer.
        let exam = first(d(2026, 6, 10));
        assert_eq!(
            faa_valid_until(&exam, born, FaaPrivileges::Commercial).map(|v| v.0),
            Some(d(2027, 6, 30))
        );
        assert_eq!(
            faa_valid_until(&exam, born, FaaPrivileges::Private).map(|v| v.0),
            Some(d(2028, 6, 30))
        );
    }

    #[test]
    fn third_class_lasts_60_calendar_months_under_40_and_24_from_40_and_never_grants_more() {
        let third = |examined_on| FaaMedical {
            class: FaaClass::Third,
            examined_on,
        };
        let born = d(1990, 1, 31);
        assert_eq!(
            faa_valid_until(&third(d(2026, 1, 30)), born, FaaPrivileges::Private).map(|v| v.0),
            Some(d(2031, 1, 31))
        );
        assert_eq!(
            faa_valid_until(&third(d(2030, 1, 31)), born, FaaPrivileges::Private).map(|v| v.0),
            Some(d(2032, 1, 31))
        );
        assert_eq!(
            faa_valid_until(&third(d(2026, 1, 30)), born, FaaPrivileges::Commercial),
            None
        );
        // A leap-day baby examined on 28 February of a common year is still 39.
        let leap = d(1988, 2, 29);
        assert_eq!(
            faa_valid_until(&third(d(2027, 2, 28)), leap, FaaPrivileges::Private).map(|v| v.0),
            Some(d(2032, 2, 29))
        );
        assert_eq!(
            faa_valid_until(&third(d(2028, 2, 29)), leap, FaaPrivileges::Private).map(|v| v.0),
            Some(d(2030, 2, 28))
        );
    }

    #[test]
    fn the_last_day_of_the_month_still_counts_and_the_first_of_the_next_does_not() {
        let born = d(1970, 5, 5);
        let m = FaaMedical {
            class: FaaClass::Second,
            examined_on: d(2025, 12, 1),
        };
        let on_last = faa_finding(
            Some(&m),
            None,
            born,
            FaaPrivileges::Commercial,
            d(2026, 12, 31),
            30,
        );
        assert_eq!(on_last.state, State::Expiring);
        assert_eq!(on_last.valid_until, Some(d(2026, 12, 31)));
        assert_eq!(on_last.regulation, "14 CFR 61.23(d)(2)(i)");
        let next = faa_finding(
            Some(&m),
            None,
            born,
            FaaPrivileges::Commercial,
            d(2027, 1, 1),
            30,
        );
        assert_eq!(next.state, State::Failed);
    }

    #[test]
    fn basic_med_covers_private_privileges_until_the_earlier_of_exam_and_course() {
        let b = BasicMed {
            examined_on: d(2024, 3, 15),
            course_on: d(2025, 1, 20),
        };
        assert_eq!(basic_med_valid_until(&b), d(2027, 1, 31));
        let born = d(1960, 1, 1);
        let f = faa_finding(
            None,
            Some(&b),
            born,
            FaaPrivileges::Private,
            d(2026, 12, 6),
            30,
        );
        assert_eq!(
            (f.state, f.regulation, f.valid_until),
            (State::Met, "14 CFR 61.23(c)(3)", Some(d(2027, 1, 31)))
        );
        let f = faa_finding(
            None,
            Some(&b),
            born,
            FaaPrivileges::Commercial,
            d(2026, 12, 6),
            30,
        );
        assert_eq!((f.state, f.valid_until), (State::Failed, None));
        // An expired certificate beside a valid BasicMed: BasicMed answers.
        let old = FaaMedical {
            class: FaaClass::Third,
            examined_on: d(2018, 1, 1),
        };
        let f = faa_finding(
            Some(&old),
            Some(&b),
            born,
            FaaPrivileges::Private,
            d(2026, 12, 6),
            30,
        );
        assert_eq!(f.regulation, "14 CFR 61.23(c)(3)");
    }
}
