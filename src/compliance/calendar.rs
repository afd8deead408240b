//! Date arithmetic the regulations are written in: calendar months (14 CFR 1.1: a period that
//! ends on the last day of a month), day windows, ages on birthdays, and the tenant's local date
//! of an instant (every window is counted in the tenant's time zone, never in UTC).

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;

/// The first day of `date`'s month.
pub fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The last day of `date`'s month.
pub fn last_of_month(date: NaiveDate) -> NaiveDate {
    first_of_month(date)
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// The last day of the `n`th calendar month after `date`'s month: how the FAA counts "the end of
/// the last day of the Nth month after the month of the date" (14 CFR 61.23(d), 61.56(c)).
/// Saturates at the last representable date.
pub fn end_of_nth_month_after(date: NaiveDate, n: u32) -> NaiveDate {
    first_of_month(date)
        .checked_add_months(Months::new(n))
        .map_or(NaiveDate::MAX, last_of_month)
}

/// The first day of the `n`th calendar month before `date`'s month: the start of "the N calendar
/// months preceding the month of" `date` (14 CFR 61.57(c)).
pub fn first_of_nth_month_before(date: NaiveDate, n: u32) -> NaiveDate {
    first_of_month(date)
        .checked_sub_months(Months::new(n))
        .unwrap_or(NaiveDate::MIN)
}

/// `date` minus `days` days, saturating.
pub fn days_before(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_sub_days(chrono::Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// `date` plus `days` days, saturating.
pub fn days_after(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(chrono::Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The day someone born on `born` has their `years`th birthday. A 29 February birthday falls on
/// 1 March in common years (the person has not completed the year on 28 February).
pub fn birthday(born: NaiveDate, years: u32) -> NaiveDate {
    let year = born
        .year()
        .saturating_add(i32::try_from(years).unwrap_or(i32::MAX));
    NaiveDate::from_ymd_opt(year, born.month(), born.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(NaiveDate::MAX)
}

/// Age in completed years on `on` of someone born on `born` (0 before the first birthday).
pub fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    if on < born {
        return 0;
    }
    let mut years = u32::try_from(on.year() - born.year()).unwrap_or(0);
    if birthday(born, years) > on {
        years = years.saturating_sub(1);
    }
    years
}

/// The date in `tz` of the instant `at`: the day a regulation's window is counted on.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn calendar_months_end_on_the_last_day_of_the_month() {
        assert_eq!(end_of_nth_month_after(d(2026, 1, 15), 12), d(2027, 1, 31));
        assert_eq!(end_of_nth_month_after(d(2026, 1, 31), 1), d(2026, 2, 28));
        assert_eq!(end_of_nth_month_after(d(2027, 1, 1), 1), d(2027, 2, 28));
        assert_eq!(end_of_nth_month_after(d(2027, 8, 31), 6), d(2028, 2, 29));
        assert_eq!(end_of_nth_month_after(d(2026, 12, 31), 0), d(2026, 12, 31));
        assert_eq!(first_of_nth_month_before(d(2026, 3, 31), 6), d(2025, 9, 1));
        assert_eq!(last_of_month(d(2028, 2, 1)), d(2028, 2, 29));
        assert_eq!(last_of_month(d(2026, 12, 5)), d(2026, 12, 31));
    }

    #[test]
    fn ages_turn_on_the_birthday_and_leap_day_birthdays_on_the_first_of_march() {
        let born = d(1986, 6, 10);
        assert_eq!(age_on(born, d(2026, 6, 9)), 39);
        assert_eq!(age_on(born, d(2026, 6, 10)), 40);
        assert_eq!(birthday(born, 40), d(2026, 6, 10));
        let leap = d(1988, 2, 29);
        assert_eq!(age_on(leap, d(2027, 2, 28)), 38);
        assert_eq!(age_on(leap, d(2027, 3, 1)), 39);
        assert_eq!(age_on(leap, d(2028, 2, 29)), 40);
        assert_eq!(birthday(leap, 39), d(2027, 3, 1));
        assert_eq!(age_on(born, d(1980, 1, 1)), 0);
    }

    #[test]
    fn the_local_date_is_the_tenants() {
        let at = DateTime::parse_from_rfc3339("2026-03-31T23:30:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        assert_eq!(local_date(at, chrono_tz::Europe::Zurich), d(2026, 4, 1));
        assert_eq!(local_date(at, chrono_tz::America::Denver), d(2026, 3, 31));
        assert_eq!(local_date(at, chrono_tz::UTC), d(2026, 3, 31));
    }

    #[test]
    fn local_midnight_moves_with_daylight_saving_time() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("instant")
                .with_timezone(&Utc)
        };
        // Zurich is UTC+1 before 29 March 2026 02:00 and UTC+2 after: local midnight is 23:00
        // UTC on the night of the 28th and 22:00 UTC from the night of the 29th.
        let zurich = chrono_tz::Europe::Zurich;
        assert_eq!(
            local_date(at("2026-03-28T22:59:59Z"), zurich),
            d(2026, 3, 28)
        );
        assert_eq!(
            local_date(at("2026-03-28T23:00:00Z"), zurich),
            d(2026, 3, 29)
        );
        assert_eq!(
            local_date(at("2026-03-29T21:59:59Z"), zurich),
            d(2026, 3, 29)
        );
        assert_eq!(
            local_date(at("2026-03-29T22:00:00Z"), zurich),
            d(2026, 3, 30)
        );
        // And back in autumn (25 October 2026): 22:00 UTC is still the 25th, 23:00 the 26th.
        assert_eq!(
            local_date(at("2026-10-25T22:30:00Z"), zurich),
            d(2026, 10, 25)
        );
        assert_eq!(
            local_date(at("2026-10-25T23:00:00Z"), zurich),
            d(2026, 10, 26)
        );
        // A 90-day window counted from a local date across the change is 90 calendar days.
        let landed = local_date(at("2026-03-28T23:30:00Z"), zurich);
        assert_eq!(days_after(landed, 90), d(2026, 6, 27));
    }
}
