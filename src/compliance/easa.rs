//! EASA medical certificate validity, Part-MED (Annex IV to Regulation (EU) No 1178/2011),
//! MED.A.045, as data: a table of validity periods by class and the pilot's age at the
//! examination, with the age caps that end a certificate early. Computed, never typed in.
//!
//! - Class 1 (commercial and airline privileges, MED.A.045(a)(1), (a)(2)): 12 months; 6 months
//!   from 60 (and from 40 for single-pilot commercial air transport with passengers, which the
//!   caller asks for with [`EasaPrivileges::SinglePilotCatPassengers`]).
//! - Class 2 (private pilot privileges, (a)(3)): 60 months under 40, but not past the 42nd
//!   birthday; 24 months from 40 to 50, but not past the 51st birthday; 12 months from 50.
//! - LAPL (light aircraft pilot licence, (a)(4)): 60 months under 40, not past the 42nd
//!   birthday; 24 months from 40.
//!
//! A class 1 certificate includes class 2 and LAPL privileges, and a class 2 one LAPL privileges
//! (MED.A.030(c), (d)); used for the lower privileges, a certificate lasts what that lower class
//! would. Periods run from the day of the examination (MED.A.045(b)(1)) to the same day of the
//! month N months later (the last day of that month when it has no such day). Revalidation
//! within 45 days of the expiry (MED.A.045(b)(2)), which keeps the old expiry date as the start,
//! is not modelled: record the revalidation's validity start as its exam day.
//!
//! "Ceases to be valid after the pilot reaches the age of 42" is read conservatively: the last
//! valid day is the day before the 42nd birthday.

use chrono::{Months, NaiveDate};

use super::calendar::{age_on, birthday};
use super::{Finding, state};

/// The class of an EASA medical certificate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EasaClass {
    Class1,
    Class2,
    Lapl,
}

/// The privileges exercised, by the licence they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EasaPrivileges {
    /// ATPL or CPL privileges (class 1).
    Commercial,
    /// Single-pilot commercial air transport carrying passengers (class 1, 6 months from 40).
    SinglePilotCatPassengers,
    /// PPL, SPL, BPL privileges (class 2).
    Private,
    /// LAPL privileges (LAPL medical).
    Lapl,
}

impl EasaPrivileges {
    /// The lowest class whose table governs these privileges.
    fn class(self) -> EasaClass {
        match self {
            Self::Commercial | Self::SinglePilotCatPassengers => EasaClass::Class1,
            Self::Private => EasaClass::Class2,
            Self::Lapl => EasaClass::Lapl,
        }
    }
}

/// One row: a certificate governed by `class`, for a pilot whose age at the exam is in
/// `from_age..until_age`, lasts `months`, and never past the day before the `cap_birthday`th
/// birthday.
struct Period {
    class: EasaClass,
    single_pilot_cat: Option<bool>,
    from_age: u32,
    until_age: u32,
    months: u32,
    cap_birthday: Option<u32>,
    paragraph: &'static str,
}

/// MED.A.045(a). Rows of one class partition the ages; `single_pilot_cat` set restricts a row
/// to (or away from) single-pilot commercial air transport with passengers.
const MED_A_045: &[Period] = &[
    Period {
        class: EasaClass::Class1,
        single_pilot_cat: Some(true),
        from_age: 40,
        until_age: u32::MAX,
        months: 6,
        cap_birthday: None,
        paragraph: "Part-MED MED.A.045(a)(2)(i)",
    },
    Period {
        class: EasaClass::Class1,
        single_pilot_cat: None,
        from_age: 60,
        until_age: u32::MAX,
        months: 6,
        cap_birthday: None,
        paragraph: "Part-MED MED.A.045(a)(2)(ii)",
    },
    Period {
        class: EasaClass::Class1,
        single_pilot_cat: None,
        from_age: 0,
        until_age: 60,
        months: 12,
        cap_birthday: None,
        paragraph: "Part-MED MED.A.045(a)(1)",
    },
    Period {
        class: EasaClass::Class2,
        single_pilot_cat: None,
        from_age: 0,
        until_age: 40,
        months: 60,
        cap_birthday: Some(42),
        paragraph: "Part-MED MED.A.045(a)(3)(i)",
    },
    Period {
        class: EasaClass::Class2,
        single_pilot_cat: None,
        from_age: 40,
        until_age: 50,
        months: 24,
        cap_birthday: Some(51),
        paragraph: "Part-MED MED.A.045(a)(3)(ii)",
    },
    Period {
        class: EasaClass::Class2,
        single_pilot_cat: None,
        from_age: 50,
        until_age: u32::MAX,
        months: 12,
        cap_birthday: None,
        paragraph: "Part-MED MED.A.045(a)(3)(iii)",
    },
    Period {
        class: EasaClass::Lapl,
        single_pilot_cat: None,
        from_age: 0,
        until_age: 40,
        months: 60,
        cap_birthday: Some(42),
        paragraph: "Part-MED MED.A.045(a)(4)(i)",
    },
    Period {
        class: EasaClass::Lapl,
        single_pilot_cat: None,
        from_age: 40,
        until_age: u32::MAX,
        months: 24,
        cap_birthday: None,
        paragraph: "Part-MED MED.A.045(a)(4)(ii)",
    },
];

/// An EASA medical certificate as a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EasaMedical {
    pub class: EasaClass,
    pub examined_on: NaiveDate,
}

/// The last day `medical` supports `privileges` for a pilot born on `born`, with its paragraph;
/// `None` when its class is below what the privileges need (an LAPL medical for PPL privileges).
pub fn valid_until(
    medical: &EasaMedical,
    born: NaiveDate,
    privileges: EasaPrivileges,
) -> Option<(NaiveDate, &'static str)> {
    let governing = privileges.class();
    if medical.class > governing {
        return None;
    }
    let age = age_on(born, medical.examined_on);
    let spcat = privileges == EasaPrivileges::SinglePilotCatPassengers;
    let row = MED_A_045.iter().find(|p| {
        p.class == governing
            && (p.from_age..p.until_age).contains(&age)
            && p.single_pilot_cat.is_none_or(|s| s == spcat)
    })?;
    let mut until = medical
        .examined_on
        .checked_add_months(Months::new(row.months))
        .unwrap_or(NaiveDate::MAX);
    if let Some(cap) = row.cap_birthday {
        until = until.min(birthday(born, cap).pred_opt().unwrap_or(NaiveDate::MIN));
    }
    Some((until, row.paragraph))
}

/// The medical requirement for `privileges` on `on` under Part-MED.
pub fn finding(
    medical: Option<&EasaMedical>,
    born: NaiveDate,
    privileges: EasaPrivileges,
    on: NaiveDate,
    warn_days: u32,
) -> Finding {
    let found = medical.and_then(|m| valid_until(m, born, privileges).map(|v| (v, m)));
    let (valid_until, regulation, evidence, detail) = match found {
        Some(((until, paragraph), m)) => (
            Some(until),
            paragraph,
            vec![m.examined_on],
            format!("{:?} medical of {}", m.class, m.examined_on).to_lowercase(),
        ),
        None => (
            None,
            "Part-MED MED.A.030",
            Vec::new(),
            "no medical certificate that grants these privileges".to_owned(),
        ),
    };
    Finding {
        rule: "easa.med.a.045",
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

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn until(class: EasaClass, born: NaiveDate, exam: NaiveDate, p: EasaPrivileges) -> NaiveDate {
        valid_until(
            &EasaMedical {
                class,
                examined_on: exam,
            },
            born,
            p,
        )
        .expect("grants")
        .0
    }

    #[test]
    fn class_1_is_12_months_then_6_from_60() {
        let born = d(1980, 6, 15);
        let c = |exam, p| until(EasaClass::Class1, born, exam, p);
        assert_eq!(
            c(d(2026, 3, 10), EasaPrivileges::Commercial),
            d(2027, 3, 10)
        );
        // Single-pilot CAT with passengers from 40: 6 months.
        assert_eq!(
            c(d(2026, 3, 10), EasaPrivileges::SinglePilotCatPassengers),
            d(2026, 9, 10)
        );
        // The day before the 60th birthday: still 12 months; on it: 6.
        assert_eq!(
            c(d(2040, 6, 14), EasaPrivileges::Commercial),
            d(2041, 6, 14)
        );
        assert_eq!(
            c(d(2040, 6, 15), EasaPrivileges::Commercial),
            d(2040, 12, 15)
        );
        // Used for private privileges, a class 1 lasts what a class 2 would.
        assert_eq!(c(d(2026, 3, 10), EasaPrivileges::Private), d(2028, 3, 10));
    }

    #[test]
    fn class_2_caps_at_the_42nd_and_51st_birthdays() {
        let born = d(1990, 5, 20);
        let c = |exam| until(EasaClass::Class2, born, exam, EasaPrivileges::Private);
        // 30 at the exam: 60 months.
        assert_eq!(c(d(2020, 1, 1)), d(2025, 1, 1));
        // 39 at the exam: 60 months would run to 44; it ends the day before the 42nd birthday.
        assert_eq!(c(d(2029, 6, 1)), d(2032, 5, 19));
        // 40 on the day: 24 months.
        assert_eq!(c(d(2030, 5, 20)), d(2032, 5, 20));
        // 49: 24 months, but not past the day before the 51st birthday.
        assert_eq!(c(d(2040, 1, 10)), d(2041, 5, 19));
        // 50: 12 months.
        assert_eq!(c(d(2040, 5, 20)), d(2041, 5, 20));
    }

    #[test]
    fn lapl_and_lower_classes() {
        let born = d(2000, 2, 29);
        let lapl = EasaMedical {
            class: EasaClass::Lapl,
            examined_on: d(2025, 8, 31),
        };
        assert_eq!(valid_until(&lapl, born, EasaPrivileges::Private), None);
        // 60 months from 31 August 2025; the 42nd birthday (1 March 2042) is later.
        assert_eq!(
            valid_until(&lapl, born, EasaPrivileges::Lapl).map(|v| v.0),
            Some(d(2030, 8, 31))
        );
        // Months end short: 31 August + 6 months is the last day of February (leap year).
        assert_eq!(
            until(
                EasaClass::Class1,
                d(1960, 1, 1),
                d(2027, 8, 31),
                EasaPrivileges::Commercial
            ),
            d(2028, 2, 29)
        );
        let f = finding(None, born, EasaPrivileges::Lapl, d(2026, 1, 1), 30);
        assert_eq!(f.state, crate::compliance::State::Failed);
        let f = finding(Some(&lapl), born, EasaPrivileges::Lapl, d(2030, 8, 31), 30);
        assert_eq!(f.state, crate::compliance::State::Expiring);
        assert_eq!(f.regulation, "Part-MED MED.A.045(a)(4)(i)");
    }
}
