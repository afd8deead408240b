//! A small iCalendar (RFC 5545) writer: what a calendar feed needs and nothing more.

use chrono::{DateTime, NaiveDate, Utc};

/// When an event happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// From one instant to another.
    Timed {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// Whole days, `last` included.
    AllDay { first: NaiveDate, last: NaiveDate },
}

/// One `VEVENT`.
#[derive(Debug, Clone)]
pub struct Event {
    /// Stable across updates, unique across tenants (`<id>@flightline`).
    pub uid: String,
    pub when: When,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    /// Revision number; calendar clients replace an event when it grows.
    pub sequence: i32,
}

/// A `VCALENDAR` named `name`, with CRLF line ends and lines folded at 75 octets.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    let mut line = |s: &str| fold_into(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Flightline//Flightline//EN");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", escape(&e.uid)));
        line(&format!("DTSTAMP:{}", stamp(e.last_modified)));
        match &e.when {
            When::Timed { start, end } => {
                line(&format!("DTSTART:{}", stamp(*start)));
                line(&format!("DTEND:{}", stamp(*end)));
            }
            When::AllDay { first, last } => {
                // DTEND of a date is exclusive: the day after the last day.
                let end = last.succ_opt().unwrap_or(*last);
                line(&format!("DTSTART;VALUE=DATE:{}", first.format("%Y%m%d")));
                line(&format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
            }
        }
        line(&format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(d) = &e.description {
            line(&format!("DESCRIPTION:{}", escape(d)));
        }
        if let Some(l) = &e.location {
            line(&format!("LOCATION:{}", escape(l)));
        }
        line(&format!("CREATED:{}", stamp(e.created)));
        line(&format!("LAST-MODIFIED:{}", stamp(e.last_modified)));
        line(&format!("SEQUENCE:{}", e.sequence.max(0)));
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT value escaping (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded into chunks of at most 75 octets (never inside a UTF-8 character),
/// continuation lines starting with a space (RFC 5545 §3.1).
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_folds_and_ends_lines_with_crlf() {
        let t = DateTime::parse_from_rfc3339("2026-03-29T08:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let cal = calendar(
            "Crew, ops; \"all\"",
            &[
                Event {
                    uid: "a@flightline".into(),
                    when: When::Timed {
                        start: t,
                        end: t + chrono::Duration::hours(2),
                    },
                    summary: "Ground school; weather, NOTAMs\nand fuel".into(),
                    description: Some("é".repeat(100)),
                    location: None,
                    created: t,
                    last_modified: t,
                    sequence: 2,
                },
                Event {
                    uid: "b@flightline".into(),
                    when: When::AllDay {
                        first: NaiveDate::from_ymd_opt(2028, 2, 28).expect("date"),
                        last: NaiveDate::from_ymd_opt(2028, 2, 29).expect("date"),
                    },
                    summary: "Fly-in".into(),
                    description: None,
                    location: Some("LSZH".into()),
                    created: t,
                    last_modified: t,
                    sequence: 0,
                },
            ],
        );
        assert!(cal.contains("X-WR-CALNAME:Crew\\, ops\\; \"all\"\r\n"));
        assert!(cal.contains("SUMMARY:Ground school\\; weather\\, NOTAMs\\nand fuel\r\n"));
        assert!(cal.contains("DTSTART:20260329T080000Z\r\nDTEND:20260329T100000Z\r\n"));
        assert!(cal.contains("DTSTART;VALUE=DATE:20280228\r\nDTEND;VALUE=DATE:20280301\r\n"));
        for l in cal.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(!cal.replace("\r\n", "").contains('\n'));
        assert!(cal.ends_with("END:VCALENDAR\r\n"));
    }
}
