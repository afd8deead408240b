//! What METAR and TAF groups share (wind, visibility, sky) and the flight category they make.
//! Pure functions over the report's text (docs/airports.md, "Weather").
//!
//! The categories are the FAA's (AIM 7-1-7, "Categorical Outlooks"; 7-1-6 in editions before
//! 2023) as aviationweather.gov draws them:
//!
//! | category | ceiling | | visibility |
//! |---|---|---|---|
//! | LIFR | below 500 ft | and/or | below 1 SM |
//! | IFR | 500 to below 1,000 ft | and/or | 1 to below 3 SM |
//! | MVFR | 1,000 to 3,000 ft | and/or | 3 to 5 SM |
//! | VFR | above 3,000 ft (or none) | and | above 5 SM |
//!
//! The ceiling is the lowest layer reported broken (BKN) or overcast (OVC), or the vertical
//! visibility (VV) into an obscured sky (14 CFR 1.1); the worse of the two makes the category.

use std::sync::LazyLock;

use poem_openapi::Enum;

/// Metres in a statute mile.
const METRES_PER_SM: f64 = 1_609.344;
/// Knots in a metre per second, and in a kilometre per hour.
const KT_PER_MPS: f64 = 1.943_844;
const KT_PER_KMH: f64 = 1.0 / 1.852;

/// The flight category of a report or forecast period (FAA AIM 7-1-7): `VFR` ceiling above
/// 3,000 ft (or none) and visibility above 5 SM; `MVFR` ceiling 1,000 to 3,000 ft and/or
/// visibility 3 to 5 SM; `IFR` ceiling 500 to below 1,000 ft and/or visibility 1 to below
/// 3 SM; `LIFR` ceiling below 500 ft and/or visibility below 1 SM. Best first: the worst of
/// several is their maximum.
#[derive(
    Enum,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[oai(rename_all = "UPPERCASE")]
#[serde(rename_all = "UPPERCASE")]
pub enum FlightCategory {
    /// Ceiling above 3,000 ft (or none) and visibility above 5 SM.
    Vfr,
    /// Ceiling 1,000 to 3,000 ft and/or visibility 3 to 5 SM.
    Mvfr,
    /// Ceiling 500 to below 1,000 ft and/or visibility 1 to below 3 SM.
    Ifr,
    /// Ceiling below 500 ft and/or visibility below 1 SM.
    Lifr,
}

impl FlightCategory {
    /// Its name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vfr => "VFR",
            Self::Mvfr => "MVFR",
            Self::Ifr => "IFR",
            Self::Lifr => "LIFR",
        }
    }

    /// The category a ceiling alone makes (`None`: no ceiling).
    pub fn of_ceiling(ceiling_ft: Option<i32>) -> Self {
        match ceiling_ft {
            None => Self::Vfr,
            Some(ft) if ft < 500 => Self::Lifr,
            Some(ft) if ft < 1_000 => Self::Ifr,
            Some(ft) if ft <= 3_000 => Self::Mvfr,
            Some(_) => Self::Vfr,
        }
    }

    /// The category a visibility alone makes. "Less than" a value counts as just below it,
    /// "or more" as the value itself.
    pub fn of_visibility(v: Visibility) -> Self {
        let sm = match v.qualifier {
            VisibilityQualifier::LessThan => v.sm - 1e-9,
            _ => v.sm,
        };
        if sm < 1.0 {
            Self::Lifr
        } else if sm < 3.0 {
            Self::Ifr
        } else if sm <= 5.0 {
            Self::Mvfr
        } else {
            Self::Vfr
        }
    }
}

text_enum!(FlightCategory);

/// How exact a reported visibility is: `exact` (`3SM`, `1 1/2SM`, `4000`), `or_more` (the
/// value or more: `P6SM`, `9999`, `CAVOK`), `less_than` (`M1/4SM`).
#[derive(
    Enum, Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize,
)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum VisibilityQualifier {
    /// As reported (`3SM`, `1 1/2SM`, `4000`).
    #[default]
    Exact,
    /// The value or more: `P6SM` (more than 6 SM), `9999` and `CAVOK` (10 km or more).
    OrMore,
    /// Less than the value: `M1/4SM`.
    LessThan,
}

/// A prevailing visibility in statute miles.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Visibility {
    pub sm: f64,
    pub qualifier: VisibilityQualifier,
}

impl Visibility {
    fn exact(sm: f64) -> Self {
        Self {
            sm,
            qualifier: VisibilityQualifier::Exact,
        }
    }

    /// Ten kilometres or more (`9999`, `CAVOK`).
    fn ten_km() -> Self {
        Self {
            sm: 10_000.0 / METRES_PER_SM,
            qualifier: VisibilityQualifier::OrMore,
        }
    }
}

/// Wind as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Wind {
    /// True direction it blows from; `None` when variable (`VRB`).
    pub direction_deg: Option<i32>,
    pub speed_kt: i32,
    pub gust_kt: Option<i32>,
}

/// A group's reading of one element: reported, or reported as missing (`////`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reading<T> {
    Known(T),
    Missing,
}

impl<T> Reading<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Self::Known(v) => Some(v),
            Self::Missing => None,
        }
    }
}

/// What one report or forecast group says about wind, visibility and the ceiling; `None`
/// where the group does not mention the element (a TAF change group carries the rest over).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Conditions {
    pub wind: Option<Reading<Wind>>,
    pub visibility: Option<Reading<Visibility>>,
    /// The ceiling in feet above ground; `Known(None)`: no ceiling (clear, few, scattered).
    pub ceiling: Option<Reading<Option<i32>>>,
}

impl Conditions {
    /// `self` with what `change` mentions replaced (a TAF change group over the prevailing
    /// conditions).
    pub fn overlay(self, change: Conditions) -> Conditions {
        Conditions {
            wind: change.wind.or(self.wind),
            visibility: change.visibility.or(self.visibility),
            ceiling: change.ceiling.or(self.ceiling),
        }
    }

    pub fn ceiling_ft(&self) -> Option<i32> {
        self.ceiling.and_then(Reading::known).flatten()
    }

    pub fn visibility(&self) -> Option<Visibility> {
        self.visibility.and_then(Reading::known)
    }

    pub fn wind(&self) -> Option<Wind> {
        self.wind.and_then(Reading::known)
    }

    /// The flight category: the worse of the ceiling's and the visibility's; `None` unless
    /// both are known.
    pub fn category(&self) -> Option<FlightCategory> {
        let ceiling = self.ceiling.and_then(Reading::known)?;
        let visibility = self.visibility()?;
        Some(FlightCategory::of_ceiling(ceiling).max(FlightCategory::of_visibility(visibility)))
    }

    /// Reads the groups of `tokens` (the body of a METAR, or one TAF group, without its change
    /// indicator); the first visibility is the prevailing one, later ones (a minimum with a
    /// direction) are ignored, as are weather, runway visual range and anything unknown.
    pub fn read(tokens: &[&str]) -> Conditions {
        let mut c = Conditions::default();
        let mut layers: Vec<Layer> = Vec::new();
        let mut sky_given = false;
        let mut i = 0;
        while i < tokens.len() {
            let t = tokens[i];
            i += 1;
            if t == "CAVOK" {
                c.visibility
                    .get_or_insert(Reading::Known(Visibility::ten_km()));
                sky_given = true;
                continue;
            }
            if c.wind.is_none()
                && let Some(w) = wind(t)
            {
                c.wind = Some(w);
                continue;
            }
            if c.visibility.is_none() {
                // "1 1/2SM": a whole number, then the fraction.
                if let Some(next) = tokens.get(i)
                    && t.len() == 1
                    && let (Ok(whole), Some(Reading::Known(frac))) =
                        (t.parse::<u8>(), statute(next))
                    && frac.sm < 1.0
                {
                    c.visibility = Some(Reading::Known(Visibility {
                        sm: f64::from(whole) + frac.sm,
                        qualifier: frac.qualifier,
                    }));
                    i += 1;
                    continue;
                }
                if let Some(v) = statute(t).or_else(|| metric(t)) {
                    c.visibility = Some(v);
                    continue;
                }
            }
            if let Some(layer) = layer(t) {
                layers.push(layer);
                sky_given = true;
            }
        }
        if sky_given {
            c.ceiling = Some(ceiling(&layers));
        }
        c
    }
}

/// One sky group: clear, a layer with its height (hundreds of feet), or a layer whose height
/// is missing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layer {
    Clear,
    Ceiling(Option<i32>),
    Other,
}

/// The lowest ceiling of `layers` (reported lowest first): a ceiling layer of unknown height
/// below every known one leaves the ceiling unknown.
fn ceiling(layers: &[Layer]) -> Reading<Option<i32>> {
    for l in layers {
        match l {
            Layer::Ceiling(Some(ft)) => return Reading::Known(Some(*ft)),
            Layer::Ceiling(None) => return Reading::Missing,
            Layer::Clear | Layer::Other => {}
        }
    }
    Reading::Known(None)
}

fn layer(t: &str) -> Option<Layer> {
    if matches!(t, "SKC" | "CLR" | "NSC" | "NCD") {
        return Some(Layer::Clear);
    }
    let (cover, rest) = if let Some(rest) = t.strip_prefix("VV") {
        ("VV", rest)
    } else if t.len() >= 6 {
        t.split_at(3)
    } else {
        return None;
    };
    let height = rest.get(..3)?;
    let suffix = &rest[3..];
    if !matches!(suffix, "" | "CB" | "TCU" | "///") {
        return None;
    }
    let feet = if height == "///" {
        None
    } else if height.bytes().all(|b| b.is_ascii_digit()) {
        Some(height.parse::<i32>().ok()? * 100)
    } else {
        return None;
    };
    match cover {
        "BKN" | "OVC" | "VV" => Some(Layer::Ceiling(feet)),
        "FEW" | "SCT" => Some(Layer::Other),
        // `//////`: the sky could not be observed.
        "///" => Some(Layer::Ceiling(None)),
        _ => None,
    }
}

static WIND: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^(\d{3}|VRB)P?(\d{2,3})(?:GP?(\d{2,3}))?(KT|MPS|KMH)$").expect("pattern")
});

fn wind(t: &str) -> Option<Reading<Wind>> {
    if t.starts_with("/////") && (t.ends_with("KT") || t.ends_with("MPS")) {
        return Some(Reading::Missing);
    }
    let m = WIND.captures(t)?;
    let factor = match &m[4] {
        "KT" => 1.0,
        "MPS" => KT_PER_MPS,
        _ => KT_PER_KMH,
    };
    let kt = |s: &str| s.parse::<f64>().map(|v| (v * factor).round() as i32).ok();
    Some(Reading::Known(Wind {
        direction_deg: m[1].parse().ok(),
        speed_kt: kt(&m[2])?,
        gust_kt: m.get(3).and_then(|g| kt(g.as_str())),
    }))
}

/// A visibility in statute miles: `10SM`, `1/2SM`, `M1/4SM`, `P6SM`, `////SM`.
fn statute(t: &str) -> Option<Reading<Visibility>> {
    let v = t.strip_suffix("SM")?;
    if v.bytes().all(|b| b == b'/') && !v.is_empty() {
        return Some(Reading::Missing);
    }
    let (qualifier, v) = if let Some(v) = v.strip_prefix('M') {
        (VisibilityQualifier::LessThan, v)
    } else if let Some(v) = v.strip_prefix('P') {
        (VisibilityQualifier::OrMore, v)
    } else {
        (VisibilityQualifier::Exact, v)
    };
    let sm = match v.split_once('/') {
        Some((n, d)) => {
            let (n, d) = (number(n)?, number(d)?);
            if d == 0.0 {
                return None;
            }
            n / d
        }
        None => number(v)?,
    };
    Some(Reading::Known(Visibility { sm, qualifier }))
}

fn number(s: &str) -> Option<f64> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A visibility in metres (ICAO): four digits, `9999` for 10 km or more, optionally `NDV`;
/// `////` when missing.
fn metric(t: &str) -> Option<Reading<Visibility>> {
    let t = t.strip_suffix("NDV").unwrap_or(t);
    if t == "////" {
        return Some(Reading::Missing);
    }
    if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if t == "9999" {
        return Some(Reading::Known(Visibility::ten_km()));
    }
    let metres: f64 = t.parse().ok()?;
    Some(Reading::Known(Visibility::exact(metres / METRES_PER_SM)))
}

#[cfg(test)]
mod tests {
    use super::FlightCategory::{Ifr, Lifr, Mvfr, Vfr};
    use super::*;

    fn read(text: &str) -> Conditions {
        Conditions::read(&text.split_whitespace().collect::<Vec<_>>())
    }

    fn cat(text: &str) -> Option<FlightCategory> {
        read(text).category()
    }

    #[test]
    fn ceiling_boundaries() {
        for (ft, want) in [
            (None, Vfr),
            (Some(3_100), Vfr),
            (Some(3_001), Vfr),
            (Some(3_000), Mvfr),
            (Some(1_000), Mvfr),
            (Some(999), Ifr),
            (Some(900), Ifr),
            (Some(500), Ifr),
            (Some(499), Lifr),
            (Some(400), Lifr),
            (Some(0), Lifr),
        ] {
            assert_eq!(FlightCategory::of_ceiling(ft), want, "{ft:?}");
        }
    }

    #[test]
    fn visibility_boundaries() {
        let exact = |sm| FlightCategory::of_visibility(Visibility::exact(sm));
        for (sm, want) in [
            (10.0, Vfr),
            (6.0, Vfr),
            (5.01, Vfr),
            (5.0, Mvfr),
            (3.0, Mvfr),
            (2.99, Ifr),
            (1.0, Ifr),
            (0.99, Lifr),
            (0.0, Lifr),
        ] {
            assert_eq!(exact(sm), want, "{sm}");
        }
        let less = |sm| {
            FlightCategory::of_visibility(Visibility {
                sm,
                qualifier: VisibilityQualifier::LessThan,
            })
        };
        // Less than 1 is below 1; less than 3 below 3; less than 5.01 could be 5.
        assert_eq!(less(1.0), Lifr);
        assert_eq!(less(3.0), Ifr);
        assert_eq!(less(0.25), Lifr);
    }

    #[test]
    fn categories_from_text_at_each_boundary() {
        for (text, want) in [
            // Ceilings (visibility good).
            ("10SM BKN031", Vfr),
            ("10SM OVC030", Mvfr),
            ("10SM BKN010", Mvfr),
            ("10SM OVC009", Ifr),
            ("10SM BKN005", Ifr),
            ("10SM OVC004", Lifr),
            ("10SM VV002", Lifr),
            ("10SM VV005", Ifr),
            // FEW and SCT are no ceiling; the lowest BKN/OVC/VV is.
            ("10SM FEW005 SCT008 BKN040", Vfr),
            ("10SM SCT008 BKN012 OVC040", Mvfr),
            ("P6SM SKC", Vfr),
            ("10SM CLR", Vfr),
            // Visibilities (no ceiling).
            ("6SM CLR", Vfr),
            ("5SM CLR", Mvfr),
            ("3SM CLR", Mvfr),
            ("2 3/4SM CLR", Ifr),
            ("1 1/2SM CLR", Ifr),
            ("1SM CLR", Ifr),
            ("3/4SM CLR", Lifr),
            ("1/4SM CLR", Lifr),
            ("M1/4SM CLR", Lifr),
            ("P6SM CLR", Vfr),
            // Metres: 10 km or more, 8000 m (4.97 SM), 5000 m (3.1 SM), 4800 m (2.98 SM),
            // 1600 m (0.99 SM: converted exactly), 0800 m.
            ("9999 NSC", Vfr),
            ("9000 NSC", Vfr),
            ("8000 NSC", Mvfr),
            ("5000 NSC", Mvfr),
            ("4800 NSC", Ifr),
            ("1600 NSC", Lifr),
            ("0800 NSC", Lifr),
            ("CAVOK", Vfr),
            // The worse of the two.
            ("2SM BKN025", Ifr),
            ("1/2SM OVC040", Lifr),
            ("4SM OVC008", Ifr),
        ] {
            assert_eq!(cat(text), Some(want), "{text}");
        }
    }

    #[test]
    fn groups_are_read() {
        let c = read("24015G25KT 1 1/2SM -RA BR FEW008 BKN015 OVC030");
        assert_eq!(
            c.wind(),
            Some(Wind {
                direction_deg: Some(240),
                speed_kt: 15,
                gust_kt: Some(25)
            })
        );
        assert_eq!(c.visibility().map(|v| v.sm), Some(1.5));
        assert_eq!(c.ceiling_ft(), Some(1_500));
        let v = read("VRB03KT 2 1/4SM").wind().expect("wind");
        assert_eq!(v.direction_deg, None);
        assert_eq!(read("2 1/4SM").visibility().map(|v| v.sm), Some(2.25));
        // Metres per second and km/h in knots.
        assert_eq!(read("27005MPS").wind().map(|w| w.speed_kt), Some(10));
        assert_eq!(read("27037KMH").wind().map(|w| w.speed_kt), Some(20));
        // A minimum visibility with a direction after the prevailing one is not it.
        assert_eq!(
            read("4000 1200NE SCT010")
                .visibility()
                .map(|v| (v.sm * 100.0).round()),
            Some(249.0)
        );
        let p6 = read("P6SM").visibility().expect("vis");
        assert_eq!((p6.sm, p6.qualifier), (6.0, VisibilityQualifier::OrMore));
        let m = read("M1/4SM").visibility().expect("vis");
        assert_eq!((m.sm, m.qualifier), (0.25, VisibilityQualifier::LessThan));
        // Runway visual range, weather and CB suffixes are not visibilities or ceilings.
        assert_eq!(read("R28L/2600FT TSRA BKN020CB").ceiling_ft(), Some(2_000));
    }

    #[test]
    fn missing_elements_leave_the_category_unknown() {
        assert_eq!(cat("BKN020"), None);
        assert_eq!(cat("10SM"), None, "no sky group at all");
        assert_eq!(cat("////SM BKN020"), None);
        assert_eq!(cat("10SM BKN///"), None);
        assert_eq!(cat("10SM //////"), None);
        assert_eq!(
            cat("10SM BKN015 OVC///"),
            Some(Mvfr),
            "unknown above a known ceiling"
        );
        assert_eq!(read("/////KT").wind, Some(Reading::Missing));
    }

    #[test]
    fn a_change_group_carries_the_rest_over() {
        let base = read("18010KT P6SM SCT040");
        let tempo = read("2SM -SHRA");
        let c = base.overlay(tempo);
        assert_eq!(c.category(), Some(Ifr));
        assert_eq!(c.wind().map(|w| w.speed_kt), Some(10));
        assert_eq!(base.overlay(read("BKN008")).category(), Some(Ifr));
    }
}
