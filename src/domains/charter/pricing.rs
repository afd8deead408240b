//! Quote pricing, pure: the legs asked for, with positioning from the aircraft's base and
//! repositioning back to it, priced by the aircraft type's rate (block time at the hourly rate,
//! positioning at its own rate, the daily minimum, crew overnights, catering), the fees of the
//! FBO at each stop, the margin and the taxes. No I/O: `quotes` loads the facts, the benchmark
//! prices without a database.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

use crate::domains::airports::service::{Point, distance_nm, flight_minutes};

/// A stop: where it is, its local time zone, and the fees of its FBO (in the rate's currency;
/// `None` when no FBO with fees in that currency is known there).
#[derive(Debug, Clone)]
pub struct Stop {
    pub code: String,
    pub point: Point,
    pub tz: Tz,
    pub landing_minor: Option<i64>,
    pub handling_minor: Option<i64>,
}

/// A leg the customer asked for.
#[derive(Debug, Clone)]
pub struct Asked {
    pub from: Stop,
    pub to: Stop,
    pub departs_at: DateTime<Utc>,
    pub passengers: i32,
    pub catering: bool,
}

/// The aircraft type's rate, in minor units of `currency`.
#[derive(Debug, Clone)]
pub struct Rate {
    pub currency: String,
    pub hourly_minor: i64,
    pub positioning_hourly_minor: i64,
    pub daily_minimum_minutes: i32,
    pub crew_overnight_minor: i64,
    pub catering_per_passenger_minor: i64,
    pub taxi_out_minutes: i32,
    pub taxi_in_minutes: i32,
    pub turnaround_minutes: i32,
    pub margin_ppm: i64,
    /// (name, rate in ppm, inclusive).
    pub taxes: Vec<(String, i64, bool)>,
}

/// A leg as priced.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PricedLeg {
    pub from: String,
    pub to: String,
    /// Empty: positioning to the first departure or back to base.
    pub positioning: bool,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    /// Local wall-clock times at each end (`2026-12-24T09:00`).
    pub departs_local: String,
    pub arrives_local: String,
    pub distance_nm: f64,
    pub block_minutes: i32,
    pub passengers: i32,
}

/// One line of the price.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    /// `flight`, `positioning`, `daily_minimum`, `crew_overnight`, `landing`, `handling`,
    /// `catering`, `margin`, `tax`.
    pub kind: String,
    pub description: String,
    pub amount_minor: i64,
}

/// The whole price.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Priced {
    pub currency: String,
    pub legs: Vec<PricedLeg>,
    pub lines: Vec<Line>,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// What the price could not include (a stop without known fees).
    pub warnings: Vec<String>,
}

/// `minor × minutes / 60`, half up.
fn per_hour(minor: i64, minutes: i64) -> i64 {
    (minor * minutes + 30) / 60
}

/// `amount × ppm / 1,000,000`, half up.
fn ppm(amount: i64, ppm: i64) -> i64 {
    (amount * ppm + 500_000) / 1_000_000
}

pub(super) fn local(at: DateTime<Utc>, tz: Tz) -> (NaiveDate, String) {
    let l = at.with_timezone(&tz);
    (l.date_naive(), l.format("%Y-%m-%dT%H:%M").to_string())
}

fn leg(
    from: &Stop,
    to: &Stop,
    departs_at: DateTime<Utc>,
    rate: &Rate,
    cruise_kts: i32,
) -> PricedLeg {
    let distance = distance_nm(from.point, to.point);
    let block = rate.taxi_out_minutes + flight_minutes(distance, cruise_kts) + rate.taxi_in_minutes;
    let arrives_at = departs_at + Duration::minutes(i64::from(block));
    PricedLeg {
        from: from.code.clone(),
        to: to.code.clone(),
        positioning: false,
        departs_at,
        arrives_at,
        departs_local: local(departs_at, from.tz).1,
        arrives_local: local(arrives_at, to.tz).1,
        distance_nm: (distance * 10.0).round() / 10.0,
        block_minutes: block,
        passengers: 0,
    }
}

/// Prices `asked` (in departure order) for an aircraft based at `base` cruising at
/// `cruise_kts`: a positioning leg from the base arrives `turnaround_minutes` before the first
/// departure when the first leg does not start there, a positioning leg leaves
/// `turnaround_minutes` after an arrival when the next leg starts elsewhere, and a
/// repositioning leg leaves `turnaround_minutes` after the last arrival when it does not end
/// at the base.
pub fn price(rate: &Rate, cruise_kts: i32, base: Option<&Stop>, asked: &[Asked]) -> Priced {
    let mut legs: Vec<(PricedLeg, &Stop, bool)> = Vec::with_capacity(asked.len() + 2);
    let mut warnings = Vec::new();
    if let (Some(base), Some(first)) = (base, asked.first())
        && base.code != first.from.code
    {
        let probe = leg(base, &first.from, first.departs_at, rate, cruise_kts);
        let departs = first.departs_at
            - Duration::minutes(i64::from(probe.block_minutes + rate.turnaround_minutes));
        let mut l = leg(base, &first.from, departs, rate, cruise_kts);
        l.positioning = true;
        legs.push((l, &first.from, false));
    }
    for (i, a) in asked.iter().enumerate() {
        // A leg that does not start where the one before it ended: the aircraft flies there
        // empty after a turnaround.
        if let Some(prev) = i.checked_sub(1).map(|p| &asked[p])
            && prev.to.code != a.from.code
        {
            let arrived = legs
                .last()
                .map(|(l, _, _)| l.arrives_at)
                .unwrap_or(a.departs_at);
            let departs = arrived + Duration::minutes(i64::from(rate.turnaround_minutes));
            let mut l = leg(&prev.to, &a.from, departs, rate, cruise_kts);
            l.positioning = true;
            legs.push((l, &a.from, false));
        }
        let mut l = leg(&a.from, &a.to, a.departs_at, rate, cruise_kts);
        l.passengers = a.passengers;
        legs.push((l, &a.to, a.catering));
    }
    if let (Some(base), Some(last)) = (base, asked.last())
        && base.code != last.to.code
    {
        let arrived = legs
            .last()
            .map(|(l, _, _)| l.arrives_at)
            .unwrap_or(last.departs_at);
        let departs = arrived + Duration::minutes(i64::from(rate.turnaround_minutes));
        let mut l = leg(&last.to, base, departs, rate, cruise_kts);
        l.positioning = true;
        legs.push((l, base, false));
    }

    let mut lines = Vec::new();
    let mut by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (l, to, catering) in &legs {
        let minutes = i64::from(l.block_minutes);
        let (kind, hourly) = if l.positioning {
            ("positioning", rate.positioning_hourly_minor)
        } else {
            ("flight", rate.hourly_minor)
        };
        lines.push(Line {
            kind: kind.into(),
            description: format!("{} → {}, {} min block", l.from, l.to, l.block_minutes),
            amount_minor: per_hour(hourly, minutes),
        });
        let day = l.departs_local.get(..10).and_then(|d| d.parse().ok());
        if let Some(day) = day {
            *by_day.entry(day).or_default() += minutes;
        }
        match to.landing_minor {
            Some(fee) => lines.push(Line {
                kind: "landing".into(),
                description: format!("Landing at {}", to.code),
                amount_minor: fee,
            }),
            None => warnings.push(format!("no landing fee known at {}", to.code)),
        }
        if !l.positioning {
            match to.handling_minor {
                Some(fee) => lines.push(Line {
                    kind: "handling".into(),
                    description: format!("Handling at {}", to.code),
                    amount_minor: fee,
                }),
                None => warnings.push(format!("no handling fee known at {}", to.code)),
            }
        }
        if *catering && l.passengers > 0 {
            lines.push(Line {
                kind: "catering".into(),
                description: format!(
                    "Catering {} → {}, {} passengers",
                    l.from, l.to, l.passengers
                ),
                amount_minor: rate.catering_per_passenger_minor * i64::from(l.passengers),
            });
        }
    }
    // Every day from the first departure to the last arrival bills at least the minimum,
    // idle days included, at the passenger rate.
    if let (Some((first, _)), Some((last, _))) = (by_day.first_key_value(), by_day.last_key_value())
        && rate.daily_minimum_minutes > 0
    {
        let (first, last) = (*first, *last);
        let mut short = 0i64;
        let mut day = first;
        loop {
            let flown = by_day.get(&day).copied().unwrap_or(0);
            short += (i64::from(rate.daily_minimum_minutes) - flown).max(0);
            match day.succ_opt() {
                Some(next) if day < last => day = next,
                _ => break,
            }
        }
        if short > 0 {
            lines.push(Line {
                kind: "daily_minimum".into(),
                description: format!(
                    "Daily minimum of {} min: {short} min below it",
                    rate.daily_minimum_minutes
                ),
                amount_minor: per_hour(rate.hourly_minor, short),
            });
        }
    }
    // Nights away: local dates between the first departure and the last arrival.
    if let (Some((f, _, _)), Some((l, to, _))) = (legs.first(), legs.last()) {
        let start = local(f.departs_at, base.map_or(to.tz, |b| b.tz)).0;
        let end = local(l.arrives_at, to.tz).0;
        let nights = (end - start).num_days().max(0);
        if nights > 0 && rate.crew_overnight_minor > 0 {
            lines.push(Line {
                kind: "crew_overnight".into(),
                description: format!("Crew overnight × {nights}"),
                amount_minor: rate.crew_overnight_minor * nights,
            });
        }
    }
    let costs: i64 = lines.iter().map(|l| l.amount_minor).sum();
    let margin = ppm(costs, rate.margin_ppm);
    if margin > 0 {
        lines.push(Line {
            kind: "margin".into(),
            description: "Margin".into(),
            amount_minor: margin,
        });
    }
    let subtotal = costs + margin;
    let mut tax = 0;
    let mut added = 0;
    for (name, rate_ppm, inclusive) in &rate.taxes {
        let amount = if *inclusive {
            // Contained in the prices: shown, not added.
            subtotal - (subtotal * 1_000_000 + (1_000_000 + rate_ppm) / 2) / (1_000_000 + rate_ppm)
        } else {
            ppm(subtotal, *rate_ppm)
        };
        tax += amount;
        if !inclusive {
            added += amount;
        }
        lines.push(Line {
            kind: "tax".into(),
            description: if *inclusive {
                format!("{name} (included)")
            } else {
                name.clone()
            },
            amount_minor: amount,
        });
    }
    Priced {
        currency: rate.currency.clone(),
        legs: legs.into_iter().map(|(l, _, _)| l).collect(),
        lines,
        subtotal_minor: subtotal,
        tax_minor: tax,
        total_minor: subtotal + added,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn stop(code: &str, longitude: f64, tz: Tz, fees: Option<(i64, i64)>) -> Stop {
        Stop {
            code: code.into(),
            point: Point {
                latitude: 0.0,
                longitude,
            },
            tz,
            landing_minor: fees.map(|f| f.0),
            handling_minor: fees.map(|f| f.1),
        }
    }

    fn rate() -> Rate {
        Rate {
            currency: "USD".into(),
            hourly_minor: 360_000,
            positioning_hourly_minor: 240_000,
            daily_minimum_minutes: 0,
            crew_overnight_minor: 0,
            catering_per_passenger_minor: 5_000,
            taxi_out_minutes: 10,
            taxi_in_minutes: 5,
            turnaround_minutes: 60,
            margin_ppm: 0,
            taxes: Vec::new(),
        }
    }

    fn sum(p: &Priced, kind: &str) -> i64 {
        p.lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.amount_minor)
            .sum()
    }

    #[test]
    fn positioning_from_base_and_back_at_their_own_rate() {
        let utc = Tz::UTC;
        let base = stop("BASE", 0.0, utc, Some((1_000, 0)));
        let a = stop("AAAA", 0.99, utc, Some((2_000, 10_000)));
        let b = stop("BBBB", 1.98, utc, None);
        let at = Utc
            .with_ymd_and_hms(2026, 12, 24, 9, 0, 0)
            .single()
            .expect("instant");
        let asked = [Asked {
            from: a.clone(),
            to: b.clone(),
            departs_at: at,
            passengers: 4,
            catering: true,
        }];
        let p = price(&rate(), 240, Some(&base), &asked);
        let kinds: Vec<_> = p
            .legs
            .iter()
            .map(|l| (l.from.as_str(), l.positioning))
            .collect();
        assert_eq!(kinds, [("BASE", true), ("AAAA", false), ("BBBB", true)]);
        // The positioning leg arrives a turnaround before the departure.
        assert_eq!(
            p.legs[0].arrives_at + Duration::minutes(60),
            p.legs[1].departs_at
        );
        assert_eq!(
            p.legs[2].departs_at,
            p.legs[1].arrives_at + Duration::minutes(60)
        );
        // 59.4 nm at 240 kt is 15 min (rounded up): 10 + 15 + 5 = 30 min block; the way
        // back, 118.9 nm, 30 min: 45 min block.
        let blocks: Vec<_> = p.legs.iter().map(|l| l.block_minutes).collect();
        assert_eq!(blocks, [30, 30, 45]);
        assert_eq!(sum(&p, "flight"), 180_000);
        assert_eq!(sum(&p, "positioning"), 120_000 + 180_000);
        assert_eq!(sum(&p, "catering"), 4 * 5_000);
        // Landing everywhere it is known; handling only where passengers arrive.
        assert_eq!(sum(&p, "landing"), 2_000 + 1_000);
        assert_eq!(sum(&p, "handling"), 0);
        assert_eq!(
            p.warnings,
            [
                "no landing fee known at BBBB",
                "no handling fee known at BBBB"
            ]
        );
        assert_eq!(p.total_minor, 180_000 + 300_000 + 20_000 + 3_000);
    }

    #[test]
    fn no_positioning_when_the_trip_starts_and_ends_at_base() {
        let utc = Tz::UTC;
        let base = stop("BASE", 0.0, utc, Some((0, 0)));
        let a = stop("AAAA", 0.99, utc, Some((0, 0)));
        let at = Utc
            .with_ymd_and_hms(2026, 12, 24, 9, 0, 0)
            .single()
            .expect("instant");
        let asked = [
            Asked {
                from: base.clone(),
                to: a.clone(),
                departs_at: at,
                passengers: 1,
                catering: false,
            },
            Asked {
                from: a,
                to: base.clone(),
                departs_at: at + Duration::hours(3),
                passengers: 1,
                catering: false,
            },
        ];
        let p = price(&rate(), 240, Some(&base), &asked);
        assert!(p.legs.iter().all(|l| !l.positioning));
        assert_eq!(p.total_minor, 2 * 180_000);
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn daily_minimum_counts_idle_days_and_nights_are_local_dates() {
        let ny: Tz = "America/New_York".parse().expect("tz");
        let base = stop("BASE", 0.0, ny, Some((0, 0)));
        let a = stop("AAAA", 0.99, ny, Some((0, 0)));
        let mut r = rate();
        r.daily_minimum_minutes = 120;
        r.crew_overnight_minor = 50_000;
        // Out at 23:00 UTC on the 24th (18:00 in New York), back on the 26th local.
        let out = Utc
            .with_ymd_and_hms(2026, 12, 24, 23, 0, 0)
            .single()
            .expect("instant");
        let back = Utc
            .with_ymd_and_hms(2026, 12, 26, 15, 0, 0)
            .single()
            .expect("instant");
        let asked = [
            Asked {
                from: base.clone(),
                to: a.clone(),
                departs_at: out,
                passengers: 1,
                catering: false,
            },
            Asked {
                from: a,
                to: base.clone(),
                departs_at: back,
                passengers: 1,
                catering: false,
            },
        ];
        let p = price(&r, 240, Some(&base), &asked);
        // Local days 24, 25 (idle), 26: 90 + 120 + 90 minutes short of the minimum.
        assert_eq!(sum(&p, "daily_minimum"), per_hour(360_000, 300));
        // Two nights away (24th to 26th local), though the UTC dates say the same.
        assert_eq!(sum(&p, "crew_overnight"), 100_000);
    }

    #[test]
    fn margin_then_taxes_added_or_included() {
        let utc = Tz::UTC;
        let base = stop("BASE", 0.0, utc, Some((0, 0)));
        let a = stop("AAAA", 0.99, utc, Some((0, 0)));
        let mut r = rate();
        r.margin_ppm = 100_000;
        r.taxes = vec![
            ("US FET 7.5%".into(), 75_000, false),
            ("VAT 20% incl.".into(), 200_000, true),
        ];
        let at = Utc
            .with_ymd_and_hms(2026, 12, 24, 9, 0, 0)
            .single()
            .expect("instant");
        let asked = [Asked {
            from: base.clone(),
            to: a,
            departs_at: at,
            passengers: 1,
            catering: false,
        }];
        // Without a base: no positioning, the one-way leg alone.
        let p = price(&r, 240, None, &asked);
        assert_eq!(sum(&p, "flight"), 180_000);
        assert_eq!(sum(&p, "margin"), 18_000);
        assert_eq!(p.subtotal_minor, 198_000);
        let fet = 14_850;
        let vat = 198_000 - 165_000;
        assert_eq!(p.tax_minor, fet + vat);
        assert_eq!(p.total_minor, 198_000 + fet);
    }
}
