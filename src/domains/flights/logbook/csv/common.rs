//! What both CSV formats share: reading times (decimal hours or H:MM), counts, flags and
//! dates; writing hours as ForeFlight does, exactly enough to come back as the same minutes;
//! and the per-row error list of an import.

use chrono::NaiveDate;

use crate::error::{Checks, FieldError};

/// Rows an import takes at most.
pub const MAX_ROWS: usize = 20_000;
/// Bytes an import body takes at most.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// Errors an import answer lists at most.
pub const MAX_ERRORS: usize = 200;

/// Minutes as ForeFlight writes hours: one decimal (`1.5`) when that is exact (a multiple of
/// 6 minutes, as ForeFlight's own export writes every time), else `HH:MM` (`01:35`), which its
/// 2025 and 2026 templates accept in every duration column ("Decimal or HH:MM"); blank for 0.
/// Either way every whole minute reads back as itself.
pub fn hours(minutes: i32) -> String {
    if minutes == 0 {
        String::new()
    } else if minutes % 6 == 0 {
        format!("{}.{}", minutes / 60, minutes % 60 / 6)
    } else {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// Decimal hours (`1.5`, `,` accepted as the decimal mark) or `H:MM` to whole minutes; blank
/// is 0.
pub fn minutes_of_hours(s: &str) -> Result<i32, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(0);
    }
    if let Some((h, m)) = s.split_once(':') {
        let (h, m): (i32, i32) = (
            h.parse().map_err(|_| "is not a time (H:MM)")?,
            m.parse().map_err(|_| "is not a time (H:MM)")?,
        );
        if !(0..60).contains(&m) || !(0..=100_000).contains(&h) {
            return Err("is not a time (H:MM)");
        }
        return Ok(h * 60 + m);
    }
    let h: f64 = s
        .replace(',', ".")
        .parse()
        .map_err(|_| "is not a number of hours")?;
    if !(0.0..=100_000.0).contains(&h) {
        return Err("must be between 0 and 100000 hours");
    }
    Ok((h * 60.0).round() as i32)
}

/// Whole minutes; blank is 0.
pub fn minutes(s: &str) -> Result<i32, &'static str> {
    count(s).map_err(|_| "is not a whole number of minutes")
}

/// A non-negative whole number; blank is 0.
pub fn count(s: &str) -> Result<i32, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<i32>()
        .ok()
        .filter(|n| (0..=6_000_000).contains(n))
        .ok_or("is not a whole number")
}

/// `true`/`x`/`yes`/`1` (any case) is true; blank, `false`, `no`, `0` false.
pub fn flag(s: &str) -> Result<bool, &'static str> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" => Ok(false),
        "true" | "x" | "yes" | "1" => Ok(true),
        _ => Err("is not true or false"),
    }
}

/// `YYYY-MM-DD` or `MM/DD/YYYY`.
pub fn date(s: &str) -> Result<NaiveDate, &'static str> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%m/%d/%Y"))
        .map_err(|_| "is not a date (YYYY-MM-DD)")
}

/// Blank is absent.
pub fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The errors of an import: `rows[<line>].<column>` with the message, at most [`MAX_ERRORS`].
#[derive(Default)]
pub struct RowErrors {
    pub errors: Vec<FieldError>,
    pub more: usize,
}

impl RowErrors {
    pub fn push(&mut self, line: usize, column: &str, message: &str) {
        if self.errors.len() < MAX_ERRORS {
            self.errors
                .push(FieldError::new(format!("rows[{line}].{column}"), message));
        } else {
            self.more += 1;
        }
    }

    /// Takes a row's field checks, naming each field by its column (`column_of`).
    pub fn take(&mut self, line: usize, checks: Checks, column_of: impl Fn(&str) -> String) {
        if let Err(crate::error::AppError::Validation(errs)) = checks.done() {
            for e in errs {
                self.push(line, &column_of(&e.field), &e.message);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minute_survives_hours() {
        for m in 0..=6000 {
            assert_eq!(minutes_of_hours(&hours(m)), Ok(m), "{m}");
        }
        assert_eq!(
            (hours(90), hours(6), hours(600)),
            ("1.5".into(), "0.1".into(), "10.0".into())
        );
        assert_eq!(
            (hours(95), hours(5), hours(6001)),
            ("01:35".into(), "00:05".into(), "100:01".into())
        );
        assert_eq!(hours(0), "");
        assert_eq!(minutes_of_hours("1:30"), Ok(90));
        assert_eq!(minutes_of_hours("1,5"), Ok(90));
        assert!(minutes_of_hours("-1").is_err() && minutes_of_hours("1:75").is_err());
    }
}
