//! Pace and forecast: pure functions over an enrollment's dates and counts (docs/training.md,
//! "Pace").

use chrono::{Days, NaiveDate};

use super::dto::Pace;

/// Days of training from `started_on` to `today`, leaving out `held` days on hold.
pub fn elapsed(started_on: NaiveDate, today: NaiveDate, held: i64) -> i64 {
    ((today - started_on).num_days() - held).max(0)
}

/// Lessons the plan expects done after `elapsed` days of training: whole weeks × `per_week`
/// (none before the first week is over).
pub fn expected(elapsed: i64, per_week: i16) -> i32 {
    let weeks = elapsed.max(0) / 7;
    i32::try_from(weeks * i64::from(per_week)).unwrap_or(i32::MAX)
}

/// Ahead or behind when more than one lesson off the plan; on track within one.
pub fn pace(done: i32, expected: i32) -> Pace {
    if done > expected + 1 {
        Pace::Ahead
    } else if done < expected - 1 {
        Pace::Behind
    } else {
        Pace::OnTrack
    }
}

/// When the remaining lessons will be done, counted from `today`: at the rate so far once two
/// weeks of training (`elapsed` days) have passed and a lesson is done, else at the plan's
/// rate. `None` when nothing remains.
pub fn forecast(
    elapsed: i64,
    today: NaiveDate,
    per_week: i16,
    done: i32,
    total: i32,
) -> Option<NaiveDate> {
    let remaining = i64::from(total - done);
    if remaining <= 0 {
        return None;
    }
    // Lessons a day as the fraction a / b, kept in integers.
    let (a, b) = if elapsed >= 14 && done > 0 {
        (i64::from(done), elapsed)
    } else {
        (i64::from(per_week.max(1)), 7)
    };
    let days = (remaining * b + a - 1) / a;
    today.checked_add_days(Days::new(u64::try_from(days).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn the_plan_counts_whole_weeks_of_training() {
        let start = d(2026, 11, 1);
        let e = |today, held| elapsed(start, today, held);
        assert_eq!(expected(e(d(2026, 11, 7), 0), 2), 0);
        assert_eq!(expected(e(d(2026, 11, 8), 0), 2), 2);
        assert_eq!(expected(e(d(2026, 11, 14), 0), 2), 2);
        assert_eq!(expected(e(d(2026, 11, 15), 0), 3), 6);
        // A week on hold does not count; a start in the future expects nothing.
        assert_eq!(expected(e(d(2026, 11, 15), 7), 3), 3);
        assert_eq!(expected(e(d(2026, 10, 1), 0), 2), 0);
        assert_eq!(e(d(2026, 11, 3), 10), 0);
    }

    #[test]
    fn one_lesson_either_side_is_on_track() {
        assert_eq!(pace(4, 4), Pace::OnTrack);
        assert_eq!(pace(3, 4), Pace::OnTrack);
        assert_eq!(pace(5, 4), Pace::OnTrack);
        assert_eq!(pace(2, 4), Pace::Behind);
        assert_eq!(pace(6, 4), Pace::Ahead);
        assert_eq!(pace(0, 0), Pace::OnTrack);
    }

    #[test]
    fn the_forecast_uses_the_pace_so_far_after_two_weeks() {
        // Day 10, two done: the plan's 2 a week; 8 remaining take 28 days.
        assert_eq!(
            forecast(10, d(2026, 11, 11), 2, 2, 10),
            Some(d(2026, 12, 9))
        );
        // Day 28, two done: 0.5 a week; 8 remaining take 112 days.
        assert_eq!(
            forecast(28, d(2026, 11, 29), 2, 2, 10),
            Some(d(2027, 3, 21))
        );
        // Day 14, 7 done (3.5 a week): 3 remaining take 6 days.
        assert_eq!(
            forecast(14, d(2026, 11, 15), 2, 7, 10),
            Some(d(2026, 11, 21))
        );
        // Nothing done after a month: the plan's rate.
        assert_eq!(forecast(30, d(2026, 12, 1), 1, 0, 2), Some(d(2026, 12, 15)));
        assert_eq!(forecast(30, d(2026, 12, 1), 2, 10, 10), None);
    }
}
