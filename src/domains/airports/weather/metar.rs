//! A METAR decoded from its raw text: the observation's time, wind, prevailing visibility,
//! ceiling and flight category, temperature, dew point and altimeter setting. The trend
//! (`TEMPO`, `BECMG`, `NOSIG`) and the remarks are forecasts and notes, not the observation,
//! and are left out.

use chrono::{DateTime, Utc};

use super::conditions::{Conditions, FlightCategory, VisibilityQualifier};
use super::time::day_time;

/// Hectopascals in an inch of mercury.
const HPA_PER_INHG: f64 = 33.863_886;

/// What is kept of a METAR besides its raw text and time (stored as JSON in
/// `reference.weather.metar`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetarFields {
    pub category: Option<FlightCategory>,
    pub ceiling_ft: Option<i32>,
    pub visibility_sm: Option<f64>,
    pub visibility_qualifier: Option<VisibilityQualifier>,
    pub wind_direction_deg: Option<i32>,
    pub wind_speed_kt: Option<i32>,
    pub wind_gust_kt: Option<i32>,
    pub temperature_c: Option<i32>,
    pub dewpoint_c: Option<i32>,
    pub altimeter_hpa: Option<f64>,
}

/// A decoded METAR.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// From the `DDHHMMZ` group, resolved near `now`.
    pub observed_at: Option<DateTime<Utc>>,
    pub fields: MetarFields,
}

/// Two decimals.
pub fn hundredths(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Decodes `raw` (with or without the leading `METAR`/`SPECI`); `None` for a `NIL` report or
/// one without a station and time.
pub fn decode(raw: &str, now: DateTime<Utc>) -> Option<Decoded> {
    let tokens: Vec<&str> = raw.split_whitespace().collect();
    let mut i = 0;
    while matches!(tokens.get(i), Some(&("METAR" | "SPECI"))) {
        i += 1;
    }
    // The station, then the time.
    i += 1;
    let observed_at = tokens
        .get(i)
        .and_then(|t| t.strip_suffix('Z'))
        .and_then(|t| day_time(t, now));
    if observed_at.is_some() {
        i += 1;
    }
    let body: Vec<&str> = tokens
        .get(i..)
        .unwrap_or_default()
        .iter()
        .copied()
        .take_while(|t| !matches!(*t, "RMK" | "TEMPO" | "BECMG" | "NOSIG"))
        .filter(|t| !matches!(*t, "AUTO" | "COR" | "CCA" | "CCB"))
        .collect();
    if body.first() == Some(&"NIL") {
        return None;
    }
    let c = Conditions::read(&body);
    let (temperature_c, dewpoint_c) = body
        .iter()
        .find_map(|t| temperatures(t))
        .unwrap_or((None, None));
    let visibility = c.visibility();
    let wind = c.wind();
    Some(Decoded {
        observed_at,
        fields: MetarFields {
            category: c.category(),
            ceiling_ft: c.ceiling_ft(),
            visibility_sm: visibility.map(|v| hundredths(v.sm)),
            visibility_qualifier: visibility.map(|v| v.qualifier),
            wind_direction_deg: wind.and_then(|w| w.direction_deg),
            wind_speed_kt: wind.map(|w| w.speed_kt),
            wind_gust_kt: wind.and_then(|w| w.gust_kt),
            temperature_c,
            dewpoint_c,
            altimeter_hpa: body.iter().find_map(|t| altimeter(t)),
        },
    })
}

/// `15/08`, `M02/M05`, `12/`, `//`: temperature and dew point in whole degrees Celsius.
fn temperatures(t: &str) -> Option<(Option<i32>, Option<i32>)> {
    let (a, b) = t.split_once('/')?;
    let degrees = |s: &str| -> Option<Option<i32>> {
        if s.is_empty() || s == "//" {
            return Some(None);
        }
        let (sign, digits) = match s.strip_prefix('M') {
            Some(d) => (-1, d),
            None => (1, s),
        };
        (digits.len() == 2 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<i32>().ok().map(|v| sign * v))
    };
    let temperature = degrees(a)?;
    let dewpoint = degrees(b)?;
    if a.is_empty() {
        return None;
    }
    Some((temperature, dewpoint))
}

/// `A2992` (inches of mercury) or `Q1013` (hectopascals), in hectopascals to 0.1.
fn altimeter(t: &str) -> Option<f64> {
    let digits = |s: &str| {
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<f64>().ok())
            .flatten()
    };
    if let Some(v) = t.strip_prefix('A').and_then(digits) {
        return Some((v / 100.0 * HPA_PER_INHG * 10.0).round() / 10.0);
    }
    t.strip_prefix('Q').and_then(digits)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::FlightCategory::{Ifr, Lifr, Mvfr, Vfr};
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 10, 0)
            .single()
            .expect("time")
    }

    fn fields(raw: &str) -> MetarFields {
        decode(raw, now()).expect("decoded").fields
    }

    #[test]
    fn a_us_metar() {
        let d = decode(
            "METAR KJFK 071151Z 31012G22KT 10SM FEW050 BKN250 M02/M09 A3012 RMK AO2 SLP199",
            now(),
        )
        .expect("decoded");
        assert_eq!(
            d.observed_at,
            Utc.with_ymd_and_hms(2026, 12, 7, 11, 51, 0).single()
        );
        let f = d.fields;
        assert_eq!(f.category, Some(Vfr));
        assert_eq!(f.ceiling_ft, Some(25_000));
        assert_eq!(f.visibility_sm, Some(10.0));
        assert_eq!(f.visibility_qualifier, Some(VisibilityQualifier::Exact));
        assert_eq!(
            (f.wind_direction_deg, f.wind_speed_kt, f.wind_gust_kt),
            (Some(310), Some(12), Some(22))
        );
        assert_eq!((f.temperature_c, f.dewpoint_c), (Some(-2), Some(-9)));
        assert_eq!(f.altimeter_hpa, Some(1020.0));
    }

    #[test]
    fn an_icao_metar_with_a_trend() {
        let f = fields(
            "EGLL 071150Z AUTO 24008KT 9999 -RA FEW010 BKN020 15/13 Q1006 TEMPO 3000 BKN008",
        );
        // The trend's 3000 m and BKN008 are a forecast, not the observation.
        assert_eq!(f.category, Some(Mvfr));
        assert_eq!(f.ceiling_ft, Some(2_000));
        assert_eq!(f.visibility_sm, Some(6.21));
        assert_eq!(f.visibility_qualifier, Some(VisibilityQualifier::OrMore));
        assert_eq!(f.altimeter_hpa, Some(1006.0));
        assert_eq!(
            fields("LSZH 071150Z VRB02KT CAVOK 05/01 Q1021 NOSIG").category,
            Some(Vfr)
        );
    }

    #[test]
    fn low_conditions() {
        assert_eq!(
            fields("KSFO 071156Z 00000KT 1/4SM FG VV001 09/09 A3001").category,
            Some(Lifr)
        );
        assert_eq!(
            fields("KBOS 071154Z 05015KT 1 1/2SM -SN BR OVC007 M01/M02 A2990").category,
            Some(Ifr)
        );
        assert_eq!(
            fields("KORD 071151Z 27010KT M1/4SM FG OVC002 01/01 A3000").visibility_qualifier,
            Some(VisibilityQualifier::LessThan)
        );
        assert_eq!(
            fields("EDDF 071150Z 06003KT 0800 FG VV002 02/02 Q1030").category,
            Some(Lifr)
        );
    }

    #[test]
    fn missing_and_nil() {
        assert_eq!(decode("KXYZ 071150Z NIL", now()), None);
        let f = fields("KXYZ 071150Z AUTO /////KT ////SM ////// ///// A////");
        assert_eq!(f.category, None);
        assert_eq!(f.wind_speed_kt, None);
        assert_eq!(f.visibility_sm, None);
        // A report from late on the last day of the previous month.
        let d = decode("KJFK 302351Z 00000KT 10SM CLR 01/M01 A3000", now()).expect("decoded");
        assert_eq!(
            d.observed_at,
            Utc.with_ymd_and_hms(2026, 11, 30, 23, 51, 0).single()
        );
    }

    #[test]
    fn temperature_and_altimeter_groups() {
        assert_eq!(temperatures("15/08"), Some((Some(15), Some(8))));
        assert_eq!(temperatures("M02/"), Some((Some(-2), None)));
        assert_eq!(temperatures("1/2SM"), None);
        assert_eq!(temperatures("3118/0124"), None);
        assert_eq!(altimeter("A2992"), Some(1013.2));
        assert_eq!(altimeter("Q0998"), Some(998.0));
        assert_eq!(altimeter("AUTO"), None);
    }
}
