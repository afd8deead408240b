//! The tenant's clock: every time is stored in UTC; calendar days, opening hours and "calendar
//! month" rules use the tenant's `timezone` setting (IANA name, default UTC). Daylight-saving
//! changes are handled by chrono-tz: a local day is 23, 24 or 25 hours long.

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;

/// The tenant's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantClock {
    pub tz: Tz,
}

impl Default for TenantClock {
    fn default() -> Self {
        Self { tz: Tz::UTC }
    }
}

impl TenantClock {
    /// Parses the `timezone` setting's value; anything unknown falls back to UTC.
    pub fn from_setting(value: Option<&str>) -> Self {
        Self {
            tz: value.and_then(|v| v.parse::<Tz>().ok()).unwrap_or(Tz::UTC),
        }
    }

    /// Reads the `timezone` setting in the caller's transaction.
    pub async fn load(conn: &mut PgConnection) -> Result<Self, sqlx::Error> {
        let tz: Option<String> =
            sqlx::query_scalar("select value #>> '{}' from settings where key = 'timezone'")
                .fetch_optional(conn)
                .await?;
        Ok(Self::from_setting(tz.as_deref()))
    }

    pub fn name(&self) -> &'static str {
        self.tz.name()
    }

    /// The local calendar day of `at`.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// Today in the tenant's time zone.
    pub fn today(&self) -> NaiveDate {
        self.date_of(Utc::now())
    }

    /// The UTC instant of local `time` on `date`. A local time skipped by a spring-forward
    /// change maps to the first instant after the gap; an ambiguous one (fall back) to the
    /// earlier instant.
    pub fn instant(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let naive = date.and_time(time);
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => {
                // In a gap: step forward minute by minute to the first valid local time.
                (1..=180)
                    .find_map(|m| {
                        self.tz
                            .from_local_datetime(&(naive + chrono::Duration::minutes(m)))
                            .earliest()
                    })
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
            }
        }
    }

    /// The UTC instant the local `date` starts.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.instant(date, NaiveTime::MIN)
    }

    /// `[start of first, start of the day after last)` in UTC: the local days as instants.
    pub fn days(&self, first: NaiveDate, count: u64) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = first.checked_add_days(Days::new(count)).unwrap_or(first);
        (self.start_of(first), self.start_of(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn local_days_across_dst_changes() {
        let zurich = TenantClock::from_setting(Some("Europe/Zurich"));
        // 2026-03-29: clocks go 02:00 -> 03:00 (23-hour day).
        let (a, b) = zurich.days(d(2026, 3, 29), 1);
        assert_eq!((b - a).num_hours(), 23);
        assert_eq!(a.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        // 2026-10-25: clocks go 03:00 -> 02:00 (25-hour day).
        let (a, b) = zurich.days(d(2026, 10, 25), 1);
        assert_eq!((b - a).num_hours(), 25);
        // A week spanning the change is 7 * 24 - 1 hours.
        let (a, b) = zurich.days(d(2026, 3, 23), 7);
        assert_eq!((b - a).num_hours(), 167);
        // 02:30 does not exist on 2026-03-29: the first instant after the gap (03:00 local).
        let t = zurich.instant(
            d(2026, 3, 29),
            NaiveTime::from_hms_opt(2, 30, 0).expect("t"),
        );
        assert_eq!(t.to_rfc3339(), "2026-03-29T01:00:00+00:00");
        // 23:30 UTC on 28 March is already the 29th in Zurich.
        let late = Utc
            .with_ymd_and_hms(2026, 3, 28, 23, 30, 0)
            .single()
            .expect("t");
        assert_eq!(zurich.date_of(late), d(2026, 3, 29));
    }

    #[test]
    fn unknown_zones_fall_back_to_utc() {
        assert_eq!(
            TenantClock::from_setting(Some("Mars/Olympus")).name(),
            "UTC"
        );
        assert_eq!(TenantClock::from_setting(None).name(), "UTC");
        assert_eq!(
            TenantClock::from_setting(Some("America/New_York")).name(),
            "America/New_York"
        );
    }
}
