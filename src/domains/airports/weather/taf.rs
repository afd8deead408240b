//! A TAF decoded from its raw text into periods, each with its flight category.
//!
//! The base forecast holds from the start of the validity; `FMddhhmm` starts a new prevailing
//! forecast; `BECMG ddhh/ddhh` changes what it names for good (from the start of its window:
//! the change may come any time in it); `TEMPO`, `PROBnn` and `PROBnn TEMPO` are temporary
//! within their window. A change group names only what changes: the rest is carried over from
//! the prevailing forecast. Periods therefore overlap (a temporary period lies inside its
//! prevailing one). The TAF's category is the worst of all its periods.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};

use super::conditions::{Conditions, FlightCategory, VisibilityQualifier};
use super::metar::hundredths;
use super::time::{day_hour, day_time};

/// What kind of forecast group a period comes from: `base` (the base forecast), `from`
/// (`FM`: a new prevailing forecast), `becoming` (`BECMG`: a lasting change within its
/// window), `tempo` (`TEMPO`, `INTER`: temporary), `probability` (`PROB30`/`PROB40`, with or
/// without `TEMPO`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TafChange {
    /// The base forecast, from the start of the validity.
    Base,
    /// `FM`: a new prevailing forecast from its time.
    From,
    /// `BECMG`: a lasting change, expected within its window (the period starts with it).
    Becoming,
    /// `TEMPO` (and `INTER`): temporary fluctuations within the window.
    Tempo,
    /// `PROB30` / `PROB40`, alone or with `TEMPO`: conditions with that probability.
    Probability,
}

/// One period of a TAF, with the conditions in force during it (what its group names over
/// what prevails).
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TafPeriod {
    pub change: TafChange,
    /// Percent, for `PROB30`/`PROB40`.
    pub probability: Option<i32>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `null` when the forecast leaves the ceiling or the visibility unknown.
    pub category: Option<FlightCategory>,
    /// Lowest broken or overcast layer or vertical visibility, feet above ground; `null` when
    /// there is no ceiling (or it is not known).
    pub ceiling_ft: Option<i32>,
    /// Prevailing visibility, statute miles to 0.01.
    pub visibility_sm: Option<f64>,
    pub visibility_qualifier: Option<VisibilityQualifier>,
    /// True direction the wind blows from; `null` when variable or not forecast.
    pub wind_direction_deg: Option<i32>,
    pub wind_speed_kt: Option<i32>,
    pub wind_gust_kt: Option<i32>,
}

/// A decoded TAF.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub issued_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    pub periods: Vec<TafPeriod>,
    /// The worst category of the periods.
    pub worst: Option<FlightCategory>,
}

/// What the provider says about a TAF besides its text (taken over the text's own groups).
#[derive(Clone, Copy, Debug, Default)]
pub struct Known {
    pub issued_at: Option<DateTime<Utc>>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
}

/// One group of the text: its kind, window and what it says.
struct Group<'a> {
    change: TafChange,
    probability: Option<i32>,
    /// `FM` time, or the window of `BECMG`/`TEMPO`/`PROB`.
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    tokens: Vec<&'a str>,
}

/// Decodes `raw` (with or without the leading `TAF`, `AMD`, `COR`); `None` without a validity
/// (from the text or `known`). A cancelled or `NIL` TAF has no periods.
pub fn decode(raw: &str, known: Known, now: DateTime<Utc>) -> Option<Decoded> {
    let tokens: Vec<&str> = raw.split_whitespace().collect();
    let mut i = 0;
    while matches!(
        tokens.get(i),
        Some(&("TAF" | "AMD" | "COR" | "RTD" | "CCA"))
    ) {
        i += 1;
    }
    // The station.
    i += 1;
    let mut issued_at = known.issued_at;
    if let Some(t) = tokens.get(i).and_then(|t| t.strip_suffix('Z'))
        && let Some(at) = day_time(t, known.issued_at.unwrap_or(now))
    {
        issued_at = issued_at.or(Some(at));
        i += 1;
    }
    let reference = issued_at.unwrap_or(now);
    let mut valid = (known.valid_from, known.valid_to);
    if let Some((from, to)) = tokens.get(i).and_then(|t| window(t, reference)) {
        valid = (valid.0.or(Some(from)), valid.1.or(Some(to)));
        i += 1;
    }
    let (Some(valid_from), Some(valid_to)) = valid else {
        return None;
    };
    let body: Vec<&str> = tokens
        .get(i..)
        .unwrap_or_default()
        .iter()
        .copied()
        .take_while(|t| *t != "RMK")
        .collect();
    let mut out = Decoded {
        issued_at: issued_at.unwrap_or(valid_from),
        valid_from,
        valid_to,
        periods: Vec::new(),
        worst: None,
    };
    if matches!(body.first(), Some(&("NIL" | "CNL")) | None) {
        return Some(out);
    }
    let groups = groups(&body, valid_from);
    // Where each prevailing forecast ends: the next FM, else the end of the validity.
    let fm_starts: Vec<DateTime<Utc>> = groups
        .iter()
        .filter(|g| g.change == TafChange::From)
        .filter_map(|g| g.start)
        .collect();
    let segment_end = |at: DateTime<Utc>| {
        fm_starts
            .iter()
            .copied()
            .filter(|s| *s > at)
            .min()
            .unwrap_or(valid_to)
            .min(valid_to)
    };
    let mut prevailing = Conditions::default();
    for g in &groups {
        let says = Conditions::read(&g.tokens);
        let (from, to, conditions) = match g.change {
            TafChange::Base => {
                prevailing = says;
                (valid_from, segment_end(valid_from), prevailing)
            }
            TafChange::From => {
                let Some(start) = g.start else { continue };
                prevailing = prevailing.overlay(says);
                (start, segment_end(start), prevailing)
            }
            TafChange::Becoming => {
                let Some(start) = g.start else { continue };
                prevailing = prevailing.overlay(says);
                (start, segment_end(start), prevailing)
            }
            TafChange::Tempo | TafChange::Probability => {
                let (Some(start), Some(end)) = (g.start, g.end) else {
                    continue;
                };
                (start, end, prevailing.overlay(says))
            }
        };
        let (from, to) = (from.max(valid_from), to.min(valid_to));
        if from >= to {
            continue;
        }
        out.periods.push(period(g, from, to, &conditions));
    }
    out.worst = out.periods.iter().filter_map(|p| p.category).max();
    Some(out)
}

fn period(g: &Group<'_>, from: DateTime<Utc>, to: DateTime<Utc>, c: &Conditions) -> TafPeriod {
    let visibility = c.visibility();
    let wind = c.wind();
    TafPeriod {
        change: g.change,
        probability: g.probability,
        from,
        to,
        category: c.category(),
        ceiling_ft: c.ceiling_ft(),
        visibility_sm: visibility.map(|v| hundredths(v.sm)),
        visibility_qualifier: visibility.map(|v| v.qualifier),
        wind_direction_deg: wind.and_then(|w| w.direction_deg),
        wind_speed_kt: wind.map(|w| w.speed_kt),
        wind_gust_kt: wind.and_then(|w| w.gust_kt),
    }
}

/// `DDHH/DDHH` resolved near `near`.
fn window(t: &str, near: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (a, b) = t.split_once('/')?;
    let from = day_hour(a, near)?;
    let to = day_hour(b, from)?;
    (to > from).then_some((from, to))
}

/// Splits the forecast body into its groups, the base first.
fn groups<'a>(body: &[&'a str], valid_from: DateTime<Utc>) -> Vec<Group<'a>> {
    let mut out = vec![Group {
        change: TafChange::Base,
        probability: None,
        start: Some(valid_from),
        end: None,
        tokens: Vec::new(),
    }];
    let mut i = 0;
    while i < body.len() {
        let t = body[i];
        i += 1;
        let probability = t
            .strip_prefix("PROB")
            .filter(|p| p.len() == 2)
            .and_then(|p| p.parse::<i32>().ok());
        let fm = t
            .strip_prefix("FM")
            .filter(|s| s.len() == 6)
            .and_then(|s| day_time(s, valid_from));
        let change = if fm.is_some() {
            TafChange::From
        } else if probability.is_some() {
            if body.get(i) == Some(&"TEMPO") {
                i += 1;
            }
            TafChange::Probability
        } else {
            match t {
                "BECMG" => TafChange::Becoming,
                "TEMPO" | "INTER" => TafChange::Tempo,
                _ => {
                    if let Some(g) = out.last_mut() {
                        g.tokens.push(t);
                    }
                    continue;
                }
            }
        };
        let (start, end) = match fm {
            Some(at) => (Some(at), None),
            None => match body.get(i).and_then(|w| window(w, valid_from)) {
                Some((from, to)) => {
                    i += 1;
                    (Some(from), Some(to))
                }
                None => (None, None),
            },
        };
        out.push(Group {
            change,
            probability,
            start,
            end,
            tokens: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::FlightCategory::{Ifr, Lifr, Mvfr, Vfr};
    use super::*;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0)
            .single()
            .expect("time")
    }

    fn now() -> DateTime<Utc> {
        at(7, 12)
    }

    type Row = (
        TafChange,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<FlightCategory>,
    );

    fn summary(d: &Decoded) -> Vec<Row> {
        d.periods
            .iter()
            .map(|p| (p.change, p.from, p.to, p.category))
            .collect()
    }

    #[test]
    fn a_us_taf_with_from_groups_and_a_tempo() {
        let d = decode(
            "TAF KJFK 071120Z 0712/0818 31012G20KT P6SM SCT050 \
             FM071800 30010KT P6SM BKN035 \
             TEMPO 0720/0723 3SM -SHRA BKN025 \
             FM080200 VRB04KT 2SM BR OVC008 \
             FM081200 18008KT 1/2SM FG VV002",
            Known::default(),
            now(),
        )
        .expect("decoded");
        assert_eq!(
            d.issued_at,
            Utc.with_ymd_and_hms(2026, 12, 7, 11, 20, 0)
                .single()
                .expect("t")
        );
        assert_eq!((d.valid_from, d.valid_to), (at(7, 12), at(8, 18)));
        assert_eq!(
            summary(&d),
            vec![
                (TafChange::Base, at(7, 12), at(7, 18), Some(Vfr)),
                (TafChange::From, at(7, 18), at(8, 2), Some(Vfr)),
                (TafChange::Tempo, at(7, 20), at(7, 23), Some(Mvfr)),
                (TafChange::From, at(8, 2), at(8, 12), Some(Ifr)),
                (TafChange::From, at(8, 12), at(8, 18), Some(Lifr)),
            ]
        );
        assert_eq!(d.worst, Some(Lifr));
        // The tempo carries the prevailing wind over.
        assert_eq!(d.periods[2].wind_speed_kt, Some(10));
        assert_eq!(d.periods[4].ceiling_ft, Some(200));
    }

    #[test]
    fn an_icao_taf_with_becmg_and_prob() {
        let d = decode(
            "TAF EGLL 071058Z 0712/0818 24010KT 9999 BKN035 \
             BECMG 0716/0719 6000 -RA BKN012 \
             PROB30 TEMPO 0720/0802 2000 RA BKN006 \
             PROB40 0806/0809 0700 FG VV001 \
             BECMG 0810/0812 9999 NSW SCT040",
            Known::default(),
            now(),
        )
        .expect("decoded");
        let s = summary(&d);
        assert_eq!(s[0], (TafChange::Base, at(7, 12), at(8, 18), Some(Vfr)));
        // Becoming: from the start of its window to the end of the validity.
        assert_eq!(
            s[1],
            (TafChange::Becoming, at(7, 16), at(8, 18), Some(Mvfr))
        );
        assert_eq!(
            s[2],
            (TafChange::Probability, at(7, 20), at(8, 2), Some(Ifr))
        );
        assert_eq!(d.periods[2].probability, Some(30));
        assert_eq!(
            s[3],
            (TafChange::Probability, at(8, 6), at(8, 9), Some(Lifr))
        );
        assert_eq!(d.periods[3].probability, Some(40));
        assert_eq!(s[4], (TafChange::Becoming, at(8, 10), at(8, 18), Some(Vfr)));
        assert_eq!(d.worst, Some(Lifr));
    }

    #[test]
    fn the_providers_times_win_and_cancelled_tafs_have_no_periods() {
        let known = Known {
            issued_at: Some(at(7, 11)),
            valid_from: Some(at(7, 12)),
            valid_to: Some(at(8, 12)),
        };
        let d = decode("KXYZ 0712/0812 00000KT P6SM SKC", known, now()).expect("decoded");
        assert_eq!((d.issued_at, d.valid_to), (at(7, 11), at(8, 12)));
        assert_eq!(
            summary(&d),
            vec![(TafChange::Base, at(7, 12), at(8, 12), Some(Vfr))]
        );
        let amended = decode(
            "TAF AMD KXYZ 071300Z 0713/0812 CNL",
            Known::default(),
            now(),
        )
        .expect("decoded");
        assert!(amended.periods.is_empty() && amended.worst.is_none());
        assert_eq!(
            decode("TAF KXYZ 071300Z NIL", Known::default(), now()),
            None
        );
    }

    #[test]
    fn remarks_and_unknown_groups_are_ignored() {
        let d = decode(
            "TAF CYUL 071138Z 0712/0812 27012KT P6SM FEW030 TX05/0718Z TN M02/0810Z \
             WS020/24045KT RMK NXT FCST BY 071800Z BKN002",
            Known::default(),
            now(),
        )
        .expect("decoded");
        assert_eq!(d.worst, Some(Vfr));
        assert_eq!(d.periods.len(), 1);
    }
}
