//! Report times: METAR and TAF name a day of the month and a time (`071151Z`, `0712/0818`),
//! never the month; the month is the one that puts the day nearest a known time (when the
//! report was fetched, or the TAF's issue).

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};

/// `DDHHMM` (a trailing `Z` already removed) resolved near `near`.
pub fn day_time(t: &str, near: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().ok();
    resolve(n(0..2)?, n(2..4)?, n(4..6)?, near)
}

/// `DDHH` (a TAF's validity and change times; hour 24 is midnight at the end of the day)
/// resolved near `near`.
pub fn day_hour(t: &str, near: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().ok();
    resolve(n(0..2)?, n(2..4)?, 0, near)
}

/// Day `day` at `hour:minute` in the month before, of, or after `near`'s, whichever is
/// nearest `near`. Hour 24 is the next day's midnight.
fn resolve(day: u32, hour: u32, minute: u32, near: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if !(1..=31).contains(&day) || hour > 24 || minute > 59 || (hour == 24 && minute > 0) {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(near.year(), near.month(), 1)?;
    [-1i32, 0, 1]
        .into_iter()
        .filter_map(|shift| {
            let month = if shift < 0 {
                first.checked_sub_months(Months::new(1))?
            } else {
                first.checked_add_months(Months::new(shift.unsigned_abs()))?
            };
            let date = month.with_day(day)?;
            let at = date.and_hms_opt(hour.min(23), minute, 0)?;
            let at = Utc.from_utc_datetime(&at);
            Some(if hour == 24 {
                at + Duration::hours(1)
            } else {
                at
            })
        })
        .min_by_key(|at| (*at - near).num_seconds().abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn the_nearest_month() {
        let near = at(2026, 12, 7, 12, 0);
        assert_eq!(day_time("071151", near), Some(at(2026, 12, 7, 11, 51)));
        assert_eq!(day_time("302351", near), Some(at(2026, 11, 30, 23, 51)));
        // Early in January, the 31st is December's.
        assert_eq!(
            day_time("312350", at(2027, 1, 1, 0, 5)),
            Some(at(2026, 12, 31, 23, 50))
        );
        // Late in a month, the 1st is the next month's.
        assert_eq!(
            day_hour("0106", at(2026, 11, 30, 18, 0)),
            Some(at(2026, 12, 1, 6, 0))
        );
        // Hour 24 is the next day's midnight; February has no 30th.
        assert_eq!(day_hour("0724", near), Some(at(2026, 12, 8, 0, 0)));
        assert_eq!(
            day_hour("3012", at(2027, 2, 15, 0, 0)),
            Some(at(2027, 1, 30, 12, 0))
        );
        assert_eq!(day_time("0712", near), None);
        assert_eq!(day_time("329900", near), None);
        assert_eq!(day_hour("0725", near), None);
    }
}
