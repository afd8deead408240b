//! The maintenance rules as pure functions: when an inspection is due, whether it is overdue,
//! how a completion sets the next interval, and when an MEL deferral expires. No I/O; the
//! callers pass the tenant's local "today" (see `crate::timezone`).
//!
//! - Calendar-month intervals (annual 12, pitot-static and transponder 24, ELT 12) run to the
//!   end of the month: done on 15 March 2026, an annual is due through 31 March 2027.
//! - Hour intervals count from a basis. The 100-hour inspection may be overrun by up to 10 hours
//!   on the way to the inspection; those hours count against the next interval (the basis stays
//!   the hours it was due at). Done early, the next interval counts from the hours it was done.
//! - Day intervals: due `days` days after the completion.
//! - MEL categories: A per the MEL remarks, B 3, C 10, D 120 consecutive calendar days, not
//!   counting the day of discovery: a B item found on 1 June may be carried through 4 June.

use chrono::{Datelike, Days, Months, NaiveDate};

/// Meter hours in tenths (exact arithmetic).
pub type Tenths = i64;

/// The default intervals of a kind of inspection: (months, hours in tenths, days, overrun).
pub fn defaults(kind: &str) -> (Option<u32>, Option<Tenths>, Option<u32>, Tenths) {
    match kind {
        "annual" | "elt" => (Some(12), None, None, 0),
        "hundred_hour" => (None, Some(1000), None, 100),
        "pitot_static" | "transponder" => (Some(24), None, None, 0),
        _ => (None, None, None, 0),
    }
}

/// The last day of the calendar month `months` after the month of `done`.
pub fn calendar_months_due(done: NaiveDate, months: u32) -> Option<NaiveDate> {
    let first = done.with_day(1)?.checked_add_months(Months::new(months))?;
    first
        .checked_add_months(Months::new(1))?
        .checked_sub_days(Days::new(1))
}

/// The hours the next interval counts from, given the hours the inspection was due at (if any)
/// and the hours it was done at.
pub fn completion_basis(previous_due: Option<Tenths>, done_at: Tenths, overrun: Tenths) -> Tenths {
    match previous_due {
        // Done within the permitted overrun: the overrun counts against the next interval.
        Some(due) if done_at > due && done_at <= due + overrun => due,
        _ => done_at,
    }
}

/// An inspection item's intervals and last completion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Programme {
    pub interval_months: Option<u32>,
    pub interval_tenths: Option<Tenths>,
    pub interval_days: Option<u32>,
    pub overrun_tenths: Tenths,
    pub last_done_on: Option<NaiveDate>,
    /// The hours the current interval counts from.
    pub basis_tenths: Option<Tenths>,
}

/// When an item is next due: the last valid day and/or the hours it is due at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub date: Option<NaiveDate>,
    pub tenths: Option<Tenths>,
    /// The hours beyond which even the overrun is used up.
    pub limit_tenths: Option<Tenths>,
    /// An interval has nothing to count from (never done): treated as overdue.
    pub never_done: bool,
}

impl Programme {
    pub fn due(&self) -> Due {
        let by_months = self
            .interval_months
            .zip(self.last_done_on)
            .and_then(|(m, d)| calendar_months_due(d, m));
        let by_days = self
            .interval_days
            .zip(self.last_done_on)
            .and_then(|(n, d)| d.checked_add_days(Days::new(u64::from(n))));
        let date = match (by_months, by_days) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let tenths = self
            .interval_tenths
            .zip(self.basis_tenths)
            .map(|(i, b)| b + i);
        let never_done = ((self.interval_months.is_some() || self.interval_days.is_some())
            && self.last_done_on.is_none())
            || (self.interval_tenths.is_some() && self.basis_tenths.is_none());
        Due {
            date,
            tenths,
            limit_tenths: tenths.map(|t| t + self.overrun_tenths),
            never_done,
        }
    }

    /// The basis after a completion at `done_at` hours.
    pub fn basis_after(&self, done_at: Tenths) -> Tenths {
        completion_basis(self.due().tenths, done_at, self.overrun_tenths)
    }
}

/// Where an item stands.
#[derive(poem_openapi::Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    Ok,
    /// Within the warning window (days or hours).
    DueSoon,
    /// Past the hours due, within the permitted overrun.
    Overrun,
    /// Past the last valid day or the overrun: the aircraft is unairworthy.
    Overdue,
}

impl DueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::DueSoon => "due_soon",
            Self::Overrun => "overrun",
            Self::Overdue => "overdue",
        }
    }
}

/// The warning window of "due soon".
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub days: i64,
    pub tenths: Tenths,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            days: 30,
            tenths: 100,
        }
    }
}

pub fn status(due: &Due, today: NaiveDate, current: Tenths, window: Window) -> DueStatus {
    if due.never_done {
        return DueStatus::Overdue;
    }
    let overdue_by_date = due.date.is_some_and(|d| today > d);
    let overdue_by_hours = due.limit_tenths.is_some_and(|l| current > l);
    if overdue_by_date || overdue_by_hours {
        return DueStatus::Overdue;
    }
    if due.tenths.is_some_and(|t| current > t) {
        return DueStatus::Overrun;
    }
    let soon_by_date = due
        .date
        .is_some_and(|d| (d - today).num_days() <= window.days);
    let soon_by_hours = due.tenths.is_some_and(|t| t - current <= window.tenths);
    if soon_by_date || soon_by_hours {
        DueStatus::DueSoon
    } else {
        DueStatus::Ok
    }
}

/// Whether the item falls due before a use of the aircraft that ends on local day `end_date`
/// and adds up to `use_tenths` hours to the meter.
pub fn due_before(due: &Due, end_date: NaiveDate, current: Tenths, use_tenths: Tenths) -> bool {
    due.never_done
        || due.date.is_some_and(|d| end_date > d)
        || due.tenths.is_some_and(|t| current + use_tenths > t)
}

/// The last day an MEL deferral of `category` discovered on `discovered` is valid: `days`
/// consecutive calendar days after the day of discovery. Category A needs the MEL remarks'
/// interval; other categories ignore it. `None` for an unknown category or a missing interval.
pub fn mel_expires_on(
    category: &str,
    discovered: NaiveDate,
    remarks_days: Option<u32>,
) -> Option<NaiveDate> {
    let days = match category {
        "A" => remarks_days?,
        "B" => 3,
        "C" => 10,
        "D" => 120,
        _ => return None,
    };
    discovered.checked_add_days(Days::new(u64::from(days)))
}

/// An open deferral is expired once its last valid day has passed.
pub fn mel_expired(expires_on: NaiveDate, today: NaiveDate) -> bool {
    today > expires_on
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn item(months: Option<u32>, tenths: Option<Tenths>, days: Option<u32>) -> Programme {
        Programme {
            interval_months: months,
            interval_tenths: tenths,
            interval_days: days,
            ..Programme::default()
        }
    }

    #[test]
    fn calendar_months_run_to_the_end_of_the_month() {
        // Annual: 12 calendar months.
        assert_eq!(
            calendar_months_due(d(2026, 3, 15), 12),
            Some(d(2027, 3, 31))
        );
        assert_eq!(calendar_months_due(d(2026, 3, 1), 12), Some(d(2027, 3, 31)));
        assert_eq!(
            calendar_months_due(d(2026, 3, 31), 12),
            Some(d(2027, 3, 31))
        );
        // Leap day: February of the next year ends on the 28th; 4 years on, on the 29th.
        assert_eq!(
            calendar_months_due(d(2024, 2, 29), 12),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            calendar_months_due(d(2024, 2, 29), 48),
            Some(d(2028, 2, 29))
        );
        assert_eq!(
            calendar_months_due(d(2023, 2, 10), 12),
            Some(d(2024, 2, 29))
        );
        // Pitot-static / transponder: 24 calendar months; across a year end.
        assert_eq!(
            calendar_months_due(d(2025, 12, 31), 24),
            Some(d(2027, 12, 31))
        );
        assert_eq!(
            calendar_months_due(d(2025, 11, 30), 1),
            Some(d(2025, 12, 31))
        );
        // ELT: 12 calendar months from 31 January.
        assert_eq!(
            calendar_months_due(d(2026, 1, 31), 12),
            Some(d(2027, 1, 31))
        );
        assert_eq!(calendar_months_due(d(2026, 1, 31), 1), Some(d(2026, 2, 28)));
    }

    #[test]
    fn annual_is_valid_through_the_last_day_of_the_month() {
        let annual = Programme {
            last_done_on: Some(d(2026, 3, 15)),
            ..item(Some(12), None, None)
        };
        let due = annual.due();
        assert_eq!(due.date, Some(d(2027, 3, 31)));
        let w = Window::default();
        assert_eq!(status(&due, d(2027, 3, 31), 0, w), DueStatus::DueSoon);
        assert_eq!(status(&due, d(2027, 4, 1), 0, w), DueStatus::Overdue);
        assert_eq!(status(&due, d(2027, 3, 1), 0, w), DueStatus::DueSoon);
        assert_eq!(status(&due, d(2027, 2, 28), 0, w), DueStatus::Ok);
    }

    #[test]
    fn hundred_hour_overrun_counts_against_the_next_interval() {
        let (m, t, days, overrun) = defaults("hundred_hour");
        let mut hh = Programme {
            interval_months: m,
            interval_tenths: t,
            interval_days: days,
            overrun_tenths: overrun,
            basis_tenths: Some(10_000), // 1,000.0 h
            ..Programme::default()
        };
        let due = hh.due();
        assert_eq!((due.tenths, due.limit_tenths), (Some(11_000), Some(11_100)));
        let today = d(2026, 6, 1);
        let w = Window::default();
        assert_eq!(status(&due, today, 10_899, w), DueStatus::Ok);
        assert_eq!(status(&due, today, 10_900, w), DueStatus::DueSoon);
        assert_eq!(status(&due, today, 11_000, w), DueStatus::DueSoon);
        assert_eq!(status(&due, today, 11_001, w), DueStatus::Overrun);
        assert_eq!(status(&due, today, 11_100, w), DueStatus::Overrun);
        assert_eq!(status(&due, today, 11_101, w), DueStatus::Overdue);

        // Done at 1,105.0 h (5 hours of overrun): the next is due at 1,200.0, not 1,205.0.
        assert_eq!(hh.basis_after(11_050), 11_000);
        hh.basis_tenths = Some(hh.basis_after(11_050));
        assert_eq!(hh.due().tenths, Some(12_000));
        // Back to the interval due at 1,100.0 h. Done exactly at the limit of the overrun:
        // still counted from the hours due.
        hh.basis_tenths = Some(10_000);
        assert_eq!(hh.basis_after(11_100), 11_000);
        // Done early at 1,090.0 h: the next interval counts from there.
        assert_eq!(hh.basis_after(10_900), 10_900);
        // Done exactly when due.
        assert_eq!(hh.basis_after(11_000), 11_000);
        // Done beyond the overrun (it was flown unairworthy): counted from when it was done.
        assert_eq!(hh.basis_after(11_150), 11_150);
        // The first completion has nothing to overrun.
        assert_eq!(completion_basis(None, 5_000, 100), 5_000);
    }

    #[test]
    fn day_intervals_and_the_first_limit_reached() {
        let custom = Programme {
            last_done_on: Some(d(2024, 2, 28)),
            basis_tenths: Some(0),
            ..item(Some(6), Some(500), Some(90))
        };
        let due = custom.due();
        // 90 days from 28 Feb 2024 (a leap year): 28 May; six calendar months would be 31 Aug.
        assert_eq!(due.date, Some(d(2024, 5, 28)));
        assert_eq!(due.tenths, Some(500));
        assert_eq!(due.limit_tenths, Some(500));
        let w = Window::default();
        assert_eq!(status(&due, d(2024, 5, 29), 0, w), DueStatus::Overdue);
        assert_eq!(status(&due, d(2024, 3, 1), 501, w), DueStatus::Overdue);
        assert_eq!(status(&due, d(2024, 3, 1), 0, w), DueStatus::Ok);
    }

    #[test]
    fn never_done_is_overdue() {
        let annual = item(Some(12), None, None);
        assert!(annual.due().never_done);
        assert_eq!(
            status(&annual.due(), d(2026, 1, 1), 0, Window::default()),
            DueStatus::Overdue
        );
        let hh = Programme {
            last_done_on: Some(d(2026, 1, 1)),
            ..item(None, Some(1000), None)
        };
        assert!(hh.due().never_done);
    }

    #[test]
    fn due_before_a_booking_ends() {
        let annual = Programme {
            last_done_on: Some(d(2025, 6, 10)),
            ..item(Some(12), None, None)
        };
        let due = annual.due();
        assert!(!due_before(&due, d(2026, 6, 30), 0, 20));
        assert!(due_before(&due, d(2026, 7, 1), 0, 20));
        let hh = Programme {
            basis_tenths: Some(0),
            ..item(None, Some(1000), None)
        };
        let due = hh.due();
        assert!(!due_before(&due, d(2026, 1, 1), 980, 20));
        assert!(due_before(&due, d(2026, 1, 1), 981, 20));
    }

    #[test]
    fn mel_categories_count_days_after_discovery() {
        let found = d(2026, 6, 1);
        assert_eq!(mel_expires_on("B", found, None), Some(d(2026, 6, 4)));
        assert_eq!(mel_expires_on("C", found, None), Some(d(2026, 6, 11)));
        assert_eq!(mel_expires_on("D", found, None), Some(d(2026, 9, 29)));
        assert_eq!(mel_expires_on("A", found, Some(2)), Some(d(2026, 6, 3)));
        assert_eq!(mel_expires_on("A", found, None), None);
        assert_eq!(mel_expires_on("E", found, None), None);
        // Across a month end and a leap day.
        assert_eq!(
            mel_expires_on("B", d(2024, 2, 27), None),
            Some(d(2024, 3, 1))
        );
        assert_eq!(
            mel_expires_on("B", d(2025, 2, 27), None),
            Some(d(2025, 3, 2))
        );
        assert_eq!(
            mel_expires_on("C", d(2026, 12, 25), None),
            Some(d(2027, 1, 4))
        );
        // Valid through its last day, expired the day after.
        let last = d(2026, 6, 4);
        assert!(!mel_expired(last, d(2026, 6, 4)));
        assert!(mel_expired(last, d(2026, 6, 5)));
        assert!(!mel_expired(last, found));
    }
}
