//! Reading ForeFlight's logbook CSV (`foreflight.rs` writes it), as its 2022, 2025 and 2026
//! templates and its own export lay it out (docs/foreflight-format.md): the Aircraft Table
//! gives each AircraftID its type, category, class, gear and equipment; each Flights Table row
//! becomes an entry. A section starts at its `AircraftID` or `Date` header row; the templates'
//! type-hint rows above them (`Text,...`, `Date,Text,...`) are skipped. Columns are read by
//! name, under any of the names the versions give them (`col`); unknown columns are ignored.
//!
//! Landings: `DayLandingsFullStop` and `NightLandingsFullStop` as they are, day landings are
//! `AllLandings` less the night full-stop ones (at least the day full-stop ones); with the 2026
//! template's columns, day landings are `Landing Full-Stop Day` plus `Landing Touch-and-Go Day`.
//! `ApproachN` and `PersonN` cells: `foreflight_cells.rs`; the persons and the instructor's
//! name are kept as lines of the remarks. A simulator session in an aircraft that the table
//! does not mark as a device is taken as an FTD.

use std::collections::HashMap;

use super::common::{RowErrors, count, date, flag, minutes_of_hours, text};
use super::foreflight_cells::{approach, person};
use crate::domains::flights::logbook::dto::{AircraftClass, Category, SimulatorKind};
use crate::domains::flights::logbook::fields::Fields;
use crate::error::Checks;

#[derive(Default, Clone)]
struct Aircraft {
    type_code: Option<String>,
    category: Option<Category>,
    class: Option<AircraftClass>,
    tailwheel: bool,
    device: Option<SimulatorKind>,
}

fn category(s: &str) -> Option<Category> {
    match s
        .trim()
        .to_ascii_lowercase()
        .replace(['-', ' '], "_")
        .as_str()
    {
        "airplane" => Some(Category::Airplane),
        "rotorcraft" => Some(Category::Rotorcraft),
        "glider" => Some(Category::Glider),
        "lighter_than_air" => Some(Category::LighterThanAir),
        "powered_lift" => Some(Category::PoweredLift),
        _ => None,
    }
}

/// A class code (`ASEL`, `RH`, ...) or an FAA class name (`airplane_single_engine_land`), with
/// the category it implies.
fn class(s: &str) -> (Option<Category>, Option<AircraftClass>) {
    use AircraftClass::*;
    use Category::*;
    let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let s = s.strip_prefix("airplane_").unwrap_or(&s).to_owned();
    match s.as_str() {
        "asel" | "single_engine_land" => (Some(Airplane), Some(SingleEngineLand)),
        "amel" | "multi_engine_land" => (Some(Airplane), Some(MultiEngineLand)),
        "ases" | "single_engine_sea" => (Some(Airplane), Some(SingleEngineSea)),
        "ames" | "multi_engine_sea" => (Some(Airplane), Some(MultiEngineSea)),
        "rh" | "rotorcraft_helicopter" | "helicopter" => (Some(Rotorcraft), Some(Helicopter)),
        "rg" | "rotorcraft_gyroplane" | "gyroplane" => (Some(Rotorcraft), Some(Gyroplane)),
        "glider" => (Some(Glider), None),
        "la" | "lb" | "lighter_than_air_airship" | "lighter_than_air_balloon" => {
            (Some(LighterThanAir), None)
        }
        "powered_lift" => (Some(PoweredLift), None),
        _ => (None, None),
    }
}

fn device(s: &str) -> Option<SimulatorKind> {
    match s.trim().to_ascii_lowercase().as_str() {
        "ffs" => Some(SimulatorKind::Ffs),
        "ftd" => Some(SimulatorKind::Ftd),
        "atd" | "aatd" | "batd" => Some(SimulatorKind::Atd),
        _ => None,
    }
}

/// Names a header row may give a column: ForeFlight's 2022 template first, then its 2025 and
/// 2026 templates and its own export (`(FAA)` suffixes).
mod col {
    pub const EQUIPMENT: &[&str] = &["EquipmentType", "equipType", "equipType (FAA)"];
    pub const CLASS: &[&str] = &["Class", "Category/Class", "aircraftClass (FAA)"];
    pub const FLIGHT_REVIEW: &[&str] = &["FlightReview", "Flight Review", "Flight Review (FAA)"];
    pub const IPC: &[&str] = &["IPC", "IPC (FAA)"];
    pub const DAY_FULL_STOP: &[&str] = &["DayLandingsFullStop", "Landing Full-Stop Day"];
    pub const NIGHT_FULL_STOP: &[&str] = &["NightLandingsFullStop", "Landing Full-Stop Night"];
    /// The 2026 template's landings, which replace `DayLandingsFullStop` ... `AllLandings`.
    pub const LANDINGS_2026: &[&str] = &[
        "Landing Full-Stop Day",
        "Landing Full-Stop Night",
        "Landing Touch-and-Go Day",
        "Landing Touch-and-Go Night",
    ];
}

/// The type hints ForeFlight's templates put in the row above a header (`Text,Text,YYYY,...`
/// over the aircraft, `Date,Text,...,hhmm,...,Decimal or HH:MM,...` over the flights).
const HINTS: &[&str] = &[
    "text",
    "date",
    "datetime",
    "yyyy",
    "hhmm",
    "hh:mm",
    "decimal",
    "decimal or hh:mm",
    "number",
    "boolean",
    "packed detail",
];

/// A template's type-hint row: every cell blank or a hint.
fn is_hint_row(rec: &csv::StringRecord) -> bool {
    rec.iter()
        .map(str::trim)
        .all(|c| c.is_empty() || HINTS.contains(&c.to_ascii_lowercase().as_str()))
}

/// A header row: each column's index by its name (trimmed).
#[derive(Default)]
struct Head(HashMap<String, usize>);

impl Head {
    fn of(rec: &csv::StringRecord) -> Self {
        let mut m = HashMap::new();
        for (i, c) in rec.iter().enumerate() {
            m.entry(c.trim().to_owned()).or_insert(i);
        }
        Head(m)
    }

    /// The first of `names` this header has, else the first of `names` (its cells are then
    /// blank).
    fn name<'a>(&self, names: &[&'a str]) -> &'a str {
        names
            .iter()
            .copied()
            .find(|n| self.0.contains_key(*n))
            .unwrap_or(names.first().copied().unwrap_or(""))
    }

    fn has_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.0.contains_key(*n))
    }

    fn cell<'r>(&self, rec: &'r csv::StringRecord, name: &str) -> &'r str {
        self.0.get(name).and_then(|i| rec.get(*i)).unwrap_or("")
    }
}

/// Gear of a tailwheel aircraft: the template's `FC`/`RC` (fixed or retractable conventional)
/// or the export's `fixed_tailwheel`/`retractable_tailwheel`.
fn tailwheel(s: &str) -> bool {
    let g = s.trim().to_ascii_lowercase();
    g == "fc" || g == "rc" || g.contains("tailwheel") || g.contains("conventional")
}

/// The column of a field a check names (the first of its names the header has).
fn column_of(field: &str, head: &Head) -> String {
    let names: &[&str] = match field.split(['[', '.']).next().unwrap_or(field) {
        "minutes" => match field {
            "minutes.total" => &["TotalTime"],
            "minutes.pic" => &["PIC"],
            "minutes.sic" => &["SIC"],
            "minutes.night" => &["Night"],
            "minutes.solo" => &["Solo"],
            "minutes.cross_country" => &["CrossCountry"],
            "minutes.actual_instrument" => &["ActualInstrument"],
            "minutes.simulated_instrument" => &["SimulatedInstrument"],
            "minutes.dual_received" => &["DualReceived"],
            "minutes.dual_given" => &["DualGiven"],
            "minutes.simulator" => &["SimulatedFlight"],
            "minutes.ground_training" => &["GroundTraining"],
            _ => &["TotalTime"],
        },
        "registration" | "simulator_kind" => &["AircraftID"],
        "type_code" => &["TypeCode"],
        "departure" => &["From"],
        "destination" => &["To"],
        "stops" => &["Route"],
        "day_full_stop_landings" => col::DAY_FULL_STOP,
        "approach_details" | "approaches" => &["Approach1"],
        "remarks" => &["PilotComments"],
        other => return other.to_owned(),
    };
    head.name(names).to_owned()
}

/// Every Flights Table row's entry, or every row's errors (`rows[<line>].<column>`).
pub fn parse(body: &str, max_rows: usize) -> Result<Vec<Fields>, RowErrors> {
    #[derive(PartialEq)]
    enum Section {
        None,
        AircraftHead,
        Aircraft,
        FlightsHead,
        Flights,
    }
    let mut errs = RowErrors::default();
    let mut section = Section::None;
    let mut aircraft: HashMap<String, Aircraft> = HashMap::new();
    let mut head = Head::default();
    let mut out = Vec::new();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    for rec in r.records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                errs.push(
                    line,
                    "row",
                    "is not a CSV row (UTF-8, quoted fields closed)",
                );
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let first = rec.get(0).unwrap_or("").trim();
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match first {
            "Aircraft Table" => {
                section = Section::AircraftHead;
                continue;
            }
            "Flights Table" => {
                section = Section::FlightsHead;
                continue;
            }
            _ => {}
        }
        match section {
            Section::None => continue,
            Section::AircraftHead | Section::FlightsHead => {
                let want = if section == Section::AircraftHead {
                    "AircraftID"
                } else {
                    "Date"
                };
                // The flights' type-hint row starts with `Date` too.
                if first == want && !is_hint_row(&rec) {
                    head = Head::of(&rec);
                    section = if want == "Date" {
                        Section::Flights
                    } else {
                        Section::Aircraft
                    };
                }
            }
            Section::Aircraft => {
                let cell = |names: &[&str]| head.cell(&rec, head.name(names));
                let (cat, cls) = class(cell(col::CLASS));
                aircraft.insert(
                    cell(&["AircraftID"]).trim().to_ascii_uppercase(),
                    Aircraft {
                        type_code: text(cell(&["TypeCode"])).map(|t| t.to_ascii_uppercase()),
                        category: category(cell(&["Category"])).or(cat),
                        class: cls,
                        tailwheel: tailwheel(cell(&["GearType"])),
                        device: device(cell(col::EQUIPMENT)),
                    },
                );
            }
            Section::Flights => {
                if out.len() >= max_rows {
                    errs.push(
                        line,
                        "row",
                        &format!("an import takes at most {max_rows} rows"),
                    );
                    break;
                }
                let cell = |c: &str| head.cell(&rec, c);
                let mut f = Fields::default();
                macro_rules! read {
                    ($names:expr, $parse:expr) => {{
                        let name = head.name($names);
                        match $parse(cell(name)) {
                            Ok(v) => v,
                            Err(msg) => {
                                errs.push(line, name, msg);
                                Default::default()
                            }
                        }
                    }};
                }
                f.date = read!(&["Date"], date);
                let id = cell("AircraftID").trim().to_ascii_uppercase();
                // `NOREG` is what our export writes for an entry without any aircraft: its row
                // in the Aircraft Table holds only the class ForeFlight needs.
                let a = match id.as_str() {
                    "NOREG" => Aircraft::default(),
                    _ => aircraft.get(&id).cloned().unwrap_or_default(),
                };
                f.registration =
                    (!id.is_empty() && !id.starts_with("SIM-") && !id.starts_with("NOREG"))
                        .then_some(id);
                f.type_code = a.type_code;
                f.category = a.category.filter(|_| a.device.is_none());
                f.class = a.class.filter(|_| a.device.is_none());
                f.tailwheel = a.tailwheel;
                f.departure = text(cell("From")).map(|s| s.to_ascii_uppercase());
                f.destination = text(cell("To")).map(|s| s.to_ascii_uppercase());
                f.stops = cell("Route")
                    .split([' ', ',', '-'])
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().to_ascii_uppercase())
                    .collect();
                let m = &mut f.minutes;
                m.total = read!(&["TotalTime"], minutes_of_hours);
                m.pic = read!(&["PIC"], minutes_of_hours);
                m.sic = read!(&["SIC"], minutes_of_hours);
                m.night = read!(&["Night"], minutes_of_hours);
                m.solo = read!(&["Solo"], minutes_of_hours);
                m.cross_country = read!(&["CrossCountry"], minutes_of_hours);
                m.actual_instrument = read!(&["ActualInstrument"], minutes_of_hours);
                m.simulated_instrument = read!(&["SimulatedInstrument"], minutes_of_hours);
                m.dual_given = read!(&["DualGiven"], minutes_of_hours);
                m.dual_received = read!(&["DualReceived"], minutes_of_hours);
                m.simulator = read!(&["SimulatedFlight"], minutes_of_hours);
                m.ground_training = read!(&["GroundTraining"], minutes_of_hours);
                if m.simulator > 0 {
                    f.simulator_kind = Some(a.device.unwrap_or(SimulatorKind::Ftd));
                }
                f.day_full_stop_landings = read!(col::DAY_FULL_STOP, count);
                f.night_full_stop_landings = read!(col::NIGHT_FULL_STOP, count);
                f.day_landings = if head.has_any(col::LANDINGS_2026) {
                    // 2026: day landings are the day full-stop and touch-and-go ones; a night
                    // touch-and-go has no field here (61.57(b) counts full stops only).
                    let touch_and_go: i32 = read!(&["Landing Touch-and-Go Day"], count);
                    f.day_full_stop_landings + touch_and_go
                } else {
                    let all: i32 = read!(&["AllLandings"], count);
                    (all - f.night_full_stop_landings).max(f.day_full_stop_landings)
                };
                f.holds = read!(&["Holds"], count);
                for i in 1..=6 {
                    let col = format!("Approach{i}");
                    match approach(cell(&col)) {
                        Ok(Some((n, detail))) => {
                            f.approaches += n;
                            f.approach_details.extend(detail);
                        }
                        Ok(None) => {}
                        Err(msg) => errs.push(line, &col, msg),
                    }
                }
                f.flight_review = read!(col::FLIGHT_REVIEW, flag);
                f.ipc = read!(col::IPC, flag);
                let instructor = text(cell("InstructorName"));
                let mut notes: Vec<String> = instructor
                    .iter()
                    .map(|n| format!("Instructor: {n}"))
                    .collect();
                for i in 1..=6 {
                    let col = format!("Person{i}");
                    match person(cell(&col)) {
                        Ok(Some(p)) => {
                            let same = instructor
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(&p.name));
                            let note = p.note();
                            let dup = notes.contains(&note) || (p.is_instructor() && same);
                            if !dup {
                                notes.push(note);
                            }
                        }
                        Ok(None) => {}
                        Err(msg) => errs.push(line, &col, msg),
                    }
                }
                f.remarks = text(cell("PilotComments"));
                if !notes.is_empty() {
                    let notes = notes.join("\n");
                    f.remarks = Some(match f.remarks.take() {
                        Some(r) => format!("{r}\n{notes}"),
                        None => notes,
                    });
                }
                let mut v = Checks::new();
                f.check(&mut v);
                errs.take(line, v, |field| column_of(field, &head));
                out.push(f);
            }
        }
    }
    if section != Section::Flights {
        errs.push(1, "Date", "found no Flights Table with a `Date` header row");
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::flights::logbook::dto::ApproachType;

    const FIRST: &str = "ForeFlight Logbook Import,This row is required for importing into ForeFlight. Do not delete or modify.";

    fn rows(body: &str) -> Vec<Fields> {
        parse(body, 100)
            .map_err(|e| {
                e.errors
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect::<Vec<_>>()
            })
            .expect("parses")
    }

    fn errors(body: &str) -> Vec<String> {
        match parse(body, 100) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors.into_iter().map(|e| e.field).collect(),
        }
    }

    /// The 2025 template's rows as ForeFlight hands them out: cells padded with blanks, a
    /// type-hint row above each header.
    #[test]
    fn template_2025_with_hint_rows() {
        let body = format!(
            "{FIRST} ,   ,\n\
             ,,\n\
             Aircraft Table  ,  ,\n\
             Text ,Text,Text,YYYY,Text,Text,Text,Text,Text,Boolean,Boolean,Boolean,Boolean\n\
             AircraftID   ,EquipmentType,TypeCode,Year,Make,Model,GearType,EngineType,Category/Class,Complex,High Performance,Pressurized,TAA\n\
             N3CUB ,aircraft ,PA18,,Piper,Super Cub,FC,Piston,airplane_single_engine_land,,,,\n\
             ,,\n\
             Flights Table ,,,,#;type;runway;airport;comments,,name;role;email;phone\n\
             Date,Text,Text,Text,Text,HH:MM,Decimal or HH:MM,Decimal or HH:MM,Number,Number,Number,Boolean,Boolean\n\
             Date,AircraftID,From,To,Route,TimeOut,TotalTime,PIC,DayLandingsFullStop,NightLandingsFullStop,AllLandings,Flight Review,IPC\n\
             2026-03-04 ,N3CUB ,KPAO,KPAO,,18:05,1:06,1:06,2,1,4,TRUE,\n"
        );
        let f = rows(&body).remove(0);
        assert_eq!(f.registration.as_deref(), Some("N3CUB"));
        assert_eq!(
            (f.category, f.class),
            (
                Some(Category::Airplane),
                Some(AircraftClass::SingleEngineLand)
            )
        );
        assert!(f.tailwheel && f.flight_review && !f.ipc);
        assert_eq!((f.minutes.total, f.minutes.pic), (66, 66));
        assert_eq!(
            (
                f.day_landings,
                f.day_full_stop_landings,
                f.night_full_stop_landings
            ),
            (3, 2, 1)
        );
    }

    /// The 2026 template: `equipType`, new landing columns, no `AllLandings`.
    #[test]
    fn template_2026_landings() {
        let body = format!(
            "{FIRST}\n\nAircraft Table\n\
             Text,Text,Text,YYYY,Text,Text,Text,Text,Text,Boolean,Boolean,Boolean,Boolean,Text,Text,Boolean,Boolean,Boolean\n\
             AircraftID,equipType,TypeCode,Year,Make,Model,GearType,EngineType,Category/Class,complexAircraft,highPerformance,pressurized,taa,equipType (EASA),Category/Class (EASA)\n\
             N44DA,aircraft,DA42,,,,RT,Piston,airplane_multi_engine_land,x,,,,,\n\
             \nFlights Table\n\
             Date,Text,Text,Text,Decimal or HH:MM,Number,Number,Number,Number,Number,Number,Boolean\n\
             Date,AircraftID,From,To,TotalTime,Takeoff Day,Takeoff Night,Landing Full-Stop Day,Landing Full-Stop Night,Landing Touch-and-Go Day,Landing Touch-and-Go Night,Flight Review\n\
             2026-04-01,N44DA,KPAO,KSQL,1.5,3,2,1,2,2,5,x\n"
        );
        let f = rows(&body).remove(0);
        assert_eq!(f.class, Some(AircraftClass::MultiEngineLand));
        assert!(!f.tailwheel && f.flight_review);
        assert_eq!(
            (
                f.day_landings,
                f.day_full_stop_landings,
                f.night_full_stop_landings
            ),
            (3, 1, 2)
        );
        // Errors name the 2026 column.
        let bad = body.replace("1.5,3,2,1,2,2,5,x", "1.5,3,2,1,z,2,5,x");
        assert_eq!(errors(&bad), ["rows[11].Landing Full-Stop Night"]);
    }

    /// A ForeFlight export: `(FAA)` columns, snake-case gear, a BATD, no hint rows.
    #[test]
    fn foreflight_export() {
        let body = format!(
            "{FIRST},,,,\n,,,,\nAircraft Table,,,,\n\
             AircraftID,TypeCode,Year,Make,Model,GearType,EngineType,equipType (FAA),aircraftClass (FAA),complexAircraft (FAA)\n\
             N3CUB,PA18,,Piper,PA-18,fixed_tailwheel,Piston,aircraft,airplane_single_engine_land,\n\
             N12345,C172,,Cessna,152,fixed_tricycle,Piston,batd,airplane_single_engine_land,\n\
             N80643,C172,,Cessna,172M,retractable_tricycle,Piston,,airplane_single_engine_land,\n\
             ,,,,\n\
             Flights Table , , ,Deprecated: Do not edit manually\n\
             Date,AircraftID,TotalTime,PIC,NVG Ops,SimulatedFlight,SimulatedInstrument,DualReceived,Flight Review (FAA),IPC (FAA),DayTakeoffs,DayLandingsFullStop,NightTakeoffs,NightLandingsFullStop,AllLandings\n\
             2026-01-02,N3CUB,1.0,1.0,0,,,,TRUE,,2,2,0,0,2\n\
             2026-01-03,N12345,,,,2.1,2.0,2.1,,TRUE,,,,,\n\
             2026-01-04,N80643,0.9,0.9,,,,,,,3,0,3,3,3\n"
        );
        let r = rows(&body);
        assert!(r[0].tailwheel && r[0].flight_review && r[0].class.is_some());
        assert_eq!(r[1].simulator_kind, Some(SimulatorKind::Atd));
        assert!(r[1].ipc && r[1].class.is_none() && r[1].registration.as_deref() == Some("N12345"));
        assert!(!r[2].tailwheel);
        assert_eq!(r[2].category, Some(Category::Airplane));
        assert_eq!((r[2].day_landings, r[2].night_full_stop_landings), (0, 3));
    }

    #[test]
    fn hint_rows_are_not_headers() {
        let hint = csv::StringRecord::from(vec![
            "Date",
            "Text",
            " hhmm ",
            "Decimal or HH:MM",
            "",
            "Packed Detail",
        ]);
        assert!(is_hint_row(&hint));
        let header = csv::StringRecord::from(vec!["Date", "AircraftID", "TotalTime"]);
        assert!(!is_hint_row(&header));
    }

    #[test]
    fn approaches_and_persons_of_a_row() {
        let body = format!(
            "{FIRST}\nFlights Table\n\
             Date,AircraftID,TotalTime,DualReceived,Approach1,Approach2,InstructorName,Person1,Person2,Person3,PilotComments\n\
             2026-05-01,N1,1.2,1.2,2;RNAV (GPS);31;KSQL;LPV,1;ASR/SRA;;KOAK;,Ann Roe,Ann Roe;Instructor;ann@x.org;555,Eric;Safety Pilot;e@x.org,Bo;Line Boss;,hood\n"
        );
        let f = rows(&body).remove(0);
        assert_eq!(f.approaches, 3);
        let kinds: Vec<ApproachType> = f.approach_details.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [ApproachType::Lpv, ApproachType::Asr]);
        assert_eq!(
            f.remarks.as_deref(),
            Some("hood\nInstructor: Ann Roe\nSafety Pilot: Eric\nPerson: Bo (Line Boss)")
        );
        let bad = body.replace("Eric;Safety Pilot;e@x.org", ";Safety Pilot;e@x.org");
        assert_eq!(errors(&bad), ["rows[4].Person2"]);
    }
}
