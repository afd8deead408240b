//! When an event happens: timed or all-day, validated (ends after it starts, spans at most a
//! year and a day).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::error::{AppError, Result};

/// The longest event: a year and a day.
const MAX_SPAN_DAYS: i64 = 366;

/// When an event happens, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timing {
    Timed(DateTime<Utc>, DateTime<Utc>),
    AllDay(NaiveDate, NaiveDate),
}

/// Validates the timing fields of one event.
pub(super) fn timing(
    all_day: bool,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
) -> Result<Timing> {
    let mut errors = Vec::new();
    let err = |f: &str, m: &str| crate::error::FieldError::new(f, m);
    let t = if all_day {
        for (f, v) in [
            ("starts_at", starts_at.is_some()),
            ("ends_at", ends_at.is_some()),
        ] {
            if v {
                errors.push(err(
                    f,
                    "is only for timed events; all-day events take start_date and end_date",
                ));
            }
        }
        match start_date {
            None => {
                errors.push(err("start_date", "is required for an all-day event"));
                None
            }
            Some(first) => {
                let last = end_date.unwrap_or(first);
                if last < first {
                    errors.push(err("end_date", "must not be before start_date"));
                } else if (last - first).num_days() >= MAX_SPAN_DAYS {
                    errors.push(err("end_date", "an event may span at most 366 days"));
                }
                Some(Timing::AllDay(first, last))
            }
        }
    } else {
        for (f, v) in [
            ("start_date", start_date.is_some()),
            ("end_date", end_date.is_some()),
        ] {
            if v {
                errors.push(err(
                    f,
                    "is only for all-day events; timed events take starts_at and ends_at",
                ));
            }
        }
        match (starts_at, ends_at) {
            (Some(s), Some(e)) => {
                if e <= s {
                    errors.push(err("ends_at", "must be after starts_at"));
                } else if e - s > Duration::days(MAX_SPAN_DAYS) {
                    errors.push(err("ends_at", "an event may span at most 366 days"));
                }
                Some(Timing::Timed(s, e))
            }
            (s, e) => {
                if s.is_none() {
                    errors.push(err("starts_at", "is required for a timed event"));
                }
                if e.is_none() {
                    errors.push(err("ends_at", "is required for a timed event"));
                }
                None
            }
        }
    };
    match t {
        Some(t) if errors.is_empty() => Ok(t),
        _ => Err(AppError::Validation(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn fields(r: Result<Timing>) -> Vec<String> {
        match r {
            Err(AppError::Validation(errs)) => errs.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn timings_are_validated() {
        assert!(matches!(
            timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2026-01-01T11:00:00Z"),
                None,
                None
            ),
            Ok(Timing::Timed(..))
        ));
        assert_eq!(
            fields(timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2026-01-01T10:00:00Z"),
                None,
                None
            )),
            ["ends_at"]
        );
        assert_eq!(
            fields(timing(false, None, None, None, None)),
            ["starts_at", "ends_at"]
        );
        assert_eq!(
            fields(timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2027-01-03T10:00:00Z"),
                None,
                None
            )),
            ["ends_at"]
        );
        assert_eq!(
            timing(true, None, None, day("2028-02-29"), None).ok(),
            Some(Timing::AllDay(
                NaiveDate::from_ymd_opt(2028, 2, 29).expect("date"),
                NaiveDate::from_ymd_opt(2028, 2, 29).expect("date")
            ))
        );
        assert_eq!(
            fields(timing(
                true,
                at("2026-01-01T10:00:00Z"),
                None,
                day("2026-01-02"),
                day("2026-01-01")
            )),
            ["starts_at", "end_date"]
        );
        assert_eq!(
            fields(timing(true, None, None, None, day("2026-01-01"))),
            ["start_date"]
        );
        assert_eq!(
            fields(timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2026-01-01T11:00:00Z"),
                day("2026-01-01"),
                None
            )),
            ["start_date"]
        );
    }
}
