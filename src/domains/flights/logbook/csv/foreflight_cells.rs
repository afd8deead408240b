//! ForeFlight's packed cells, both ways: `ApproachN` (`count;type;runway;airport;comments`,
//! with ForeFlight's approach type names) and `PersonN` (`name;role;email`, a fourth field with
//! the phone since the 2025 template). Kept in one place so the writer and the reader agree.

use super::common::{count, text};
use crate::domains::flights::logbook::dto::{Approach, ApproachType};

/// ForeFlight's name of an approach type and what its comments field says, so the minima of an
/// RNAV approach (LPV, LNAV, LNAV/VNAV) and an old-style GPS approach survive: ForeFlight knows
/// only `RNAV (GPS)` for all of them. `other` has no ForeFlight name: the type stays blank and
/// the comments say `Other`.
pub fn approach_name(kind: ApproachType) -> (&'static str, &'static str) {
    use ApproachType::*;
    match kind {
        Ils => ("ILS", ""),
        Loc => ("LOC", ""),
        LocBc => ("LOC BC", ""),
        Lda => ("LDA", ""),
        Sdf => ("SDF", ""),
        Gls => ("GLS", ""),
        Vor => ("VOR", ""),
        Ndb => ("NDB", ""),
        Tacan => ("TACAN", ""),
        Par => ("PAR", ""),
        Asr => ("ASR/SRA", ""),
        Rnav => ("RNAV (GPS)", ""),
        Gps => ("RNAV (GPS)", "GPS"),
        Lpv => ("RNAV (GPS)", "LPV"),
        Lnav => ("RNAV (GPS)", "LNAV"),
        LnavVnav => ("RNAV (GPS)", "LNAV/VNAV"),
        Other => ("", "Other"),
    }
}

/// Letters and digits, upper case: `RNAV (GPS)` and `rnav_gps` are both `RNAVGPS`.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// An approach type by ForeFlight's name (`RNAV (GPS)`, `RNAV (RNP)`, `ILS CAT II/III`,
/// `ASR/SRA`, `LOC BC`, ...) or ours (`lnav_vnav`); the first word of the comments refines an
/// RNAV approach to its minima. A name we have no type for (`GCA`, `MLS`) is `other`.
pub fn approach_type(name: &str, comments: &str) -> ApproachType {
    use ApproachType::*;
    let name = squeeze(name);
    match name.as_str() {
        "ILS" => Ils,
        n if n.starts_with("ILSCAT") => Ils,
        "LOC" => Loc,
        "LOCBC" | "BC" => LocBc,
        "LDA" => Lda,
        "SDF" => Sdf,
        "GLS" => Gls,
        "VOR" | "VORDME" => Vor,
        "NDB" => Ndb,
        "TACAN" => Tacan,
        "PAR" => Par,
        "ASR" | "SRA" | "ASRSRA" => Asr,
        "GPS" => Gps,
        "LPV" => Lpv,
        "LNAV" => Lnav,
        "LNAVVNAV" => LnavVnav,
        "RNAV" | "RNAVGPS" | "RNAVRNP" | "RNP" => {
            let minima = comments.split([' ', ',']).find(|w| !w.is_empty());
            match minima.map(squeeze).as_deref() {
                Some("LPV") => Lpv,
                Some("LNAV") => Lnav,
                Some("LNAVVNAV") => LnavVnav,
                Some("GPS") => Gps,
                _ => Rnav,
            }
        }
        _ => Other,
    }
}

/// An `ApproachN` cell: exactly five fields `count;type;runway;airport;comments`.
pub fn approach_cell(a: &Approach) -> String {
    let (name, comments) = approach_name(a.kind);
    format!(
        "{};{name};{};{};{comments}",
        a.count,
        a.runway.as_deref().unwrap_or(""),
        a.airport.as_deref().unwrap_or("")
    )
}

/// An `ApproachN` cell of `n` approaches without details.
pub fn approach_count_cell(n: i32) -> String {
    format!("{n};;;;")
}

/// Reads an `ApproachN` cell: the count (blank is 1) and, when the cell names a type, runway,
/// airport or comment, the detail (a blank type is then `other`). Blank cell: nothing.
pub fn approach(s: &str) -> Result<Option<(i32, Option<Approach>)>, &'static str> {
    let Some(s) = text(s) else { return Ok(None) };
    let parts: Vec<&str> = s.split(';').map(str::trim).collect();
    let n = match parts.first().copied().unwrap_or("") {
        "" => 1,
        c => count(c).map_err(|_| "is not count;type;runway;airport;comments")?,
    };
    if !(1..=20).contains(&n) {
        return Err("must count 1 to 20 approaches");
    }
    let field = |i: usize| parts.get(i).copied().unwrap_or("");
    let (kind, comments) = (field(1), field(4));
    let upper = |i: usize| text(field(i)).map(|p| p.to_ascii_uppercase());
    let (runway, airport) = (upper(2), upper(3));
    if kind.is_empty() && runway.is_none() && airport.is_none() && comments.is_empty() {
        return Ok(Some((n, None)));
    }
    Ok(Some((
        n,
        Some(Approach {
            kind: approach_type(kind, comments),
            runway: runway.filter(|r| r.len() <= 4),
            airport,
            count: n,
        }),
    )))
}

/// ForeFlight's person roles (its app's list).
const ROLES: &[&str] = &[
    "PIC",
    "SIC",
    "Instructor",
    "Student",
    "Safety Pilot",
    "Examiner",
    "Passenger",
    "Flight Attendant",
    "Flight Engineer",
    "First Officer",
    "Second Officer",
];

/// A person named in a `PersonN` cell, as the line that keeps them in the remarks: a role of
/// ForeFlight's list in its spelling (`Safety Pilot: Eric Lee`), else `Person: NAME (role)`.
/// The email and the phone are not kept: they are someone else's contact details, and an
/// entry has no field for them.
#[derive(Debug, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    /// ForeFlight's spelling of a role it knows.
    pub role: Option<&'static str>,
    /// A role it does not know, as written.
    pub other_role: Option<String>,
}

impl Person {
    pub fn is_instructor(&self) -> bool {
        self.role == Some("Instructor")
    }

    /// The line of the remarks that keeps this person.
    pub fn note(&self) -> String {
        match (self.role, &self.other_role) {
            (Some(r), _) => format!("{r}: {}", self.name),
            (None, Some(r)) => format!("Person: {} ({r})", self.name),
            (None, None) => format!("Person: {}", self.name),
        }
    }
}

/// Reads a `PersonN` cell, `name;role;email` or `name;role;email;phone`. Blank cell: nothing.
pub fn person(s: &str) -> Result<Option<Person>, &'static str> {
    let Some(s) = text(s) else { return Ok(None) };
    let parts: Vec<&str> = s.split(';').map(str::trim).collect();
    if parts.len() > 4 {
        return Err("is not name;role;email (and an optional phone)");
    }
    let Some(name) = parts.first().and_then(|n| text(n)) else {
        return Err("must start with a name (name;role;email)");
    };
    let written = parts.get(1).copied().unwrap_or("");
    let role = ROLES
        .iter()
        .copied()
        .find(|r| squeeze(r) == squeeze(written) && !written.is_empty());
    Ok(Some(Person {
        name,
        role,
        other_role: text(written).filter(|_| role.is_none()),
    }))
}

/// A `PersonN` cell for the entry's instructor: `name;Instructor;` (no email: the export does
/// not hand a user's address to whoever may read the logbook).
pub fn instructor_cell(name: &str) -> String {
    format!("{};Instructor;", name.replace(';', " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApproachType::*;

    const ALL: [ApproachType; 17] = [
        Ils, Loc, LocBc, Lda, Sdf, Rnav, Lpv, Lnav, LnavVnav, Gls, Gps, Vor, Ndb, Tacan, Par, Asr,
        Other,
    ];

    #[test]
    fn every_approach_type_reads_back_from_its_cell() {
        for kind in ALL {
            let a = Approach {
                kind,
                runway: Some("27L".into()),
                airport: Some("KSQL".into()),
                count: 2,
            };
            let cell = approach_cell(&a);
            assert_eq!(cell.split(';').count(), 5, "{cell}");
            assert_eq!(approach(&cell), Ok(Some((2, Some(a)))), "{cell}");
        }
        assert_eq!(approach_count_cell(3), "3;;;;");
        assert_eq!(approach("3;;;;"), Ok(Some((3, None))));
        assert_eq!(approach(""), Ok(None));
        assert!(approach("x;ILS").is_err() && approach("21;ILS").is_err());
    }

    #[test]
    fn foreflight_approach_names() {
        for (name, comments, want) in [
            ("RNAV (GPS)", "", Rnav),
            ("RNAV (GPS)", "LPV to 250 ft", Lpv),
            ("RNAV (GPS)", "LNAV/VNAV", LnavVnav),
            ("RNAV (RNP)", "", Rnav),
            ("ILS", "", Ils),
            ("ILS CAT II", "", Ils),
            ("ILS CAT III", "", Ils),
            ("ILS CAT II/III", "", Ils),
            ("ASR/SRA", "", Asr),
            ("LOC BC", "", LocBc),
            ("LOC", "", Loc),
            ("TACAN", "", Tacan),
            ("GCA", "", Other),
            ("MLS", "", Other),
            ("lnav_vnav", "", LnavVnav),
            ("loc_bc", "", LocBc),
        ] {
            assert_eq!(approach_type(name, comments), want, "{name} {comments}");
        }
        // Our exports before the five-field cells: six fields, our own type names.
        let old = approach("2;LNAV/VNAV;31;KSQL;;")
            .expect("cell")
            .expect("some");
        assert_eq!(old.1.map(|a| a.kind), Some(LnavVnav));
        // A detail without a type is `other`.
        let blank = approach("1;;31;ksql;").expect("cell").expect("some");
        assert_eq!(
            blank.1.map(|a| (a.kind, a.airport)),
            Some((Other, Some("KSQL".into())))
        );
    }

    #[test]
    fn person_cells() {
        let p = person("Eric Lee;Safety Pilot;eric@abc.com")
            .expect("ok")
            .expect("some");
        assert_eq!(p.note(), "Safety Pilot: Eric Lee");
        let p = person(" Ann Roe ; instructor ; ann@x.org ; +1 555 0100 ")
            .expect("ok")
            .expect("some");
        assert!(p.is_instructor());
        assert_eq!(p.note(), "Instructor: Ann Roe");
        let p = person("Bo;Line Boss;;").expect("ok").expect("some");
        assert_eq!(p.note(), "Person: Bo (Line Boss)");
        assert_eq!(
            person("Bo").expect("ok").expect("some").note(),
            "Person: Bo"
        );
        assert_eq!(person(" "), Ok(None));
        assert!(person(";Instructor;a@b.c").is_err());
        assert!(person("a;b;c;d;e").is_err());
        assert_eq!(instructor_cell("A;B"), "A B;Instructor;");
    }
}
