//! Reading ForeFlight's logbook CSV (`foreflight.rs` writes it): the Aircraft Table gives each
//! AircraftID its type, category, class, gear and equipment; each Flights Table row becomes an
//! entry. Landings: `DayLandingsFullStop` and `NightLandingsFullStop` as they are, day landings
//! are `AllLandings` less the night full-stop ones (at least the day full-stop ones); an
//! `ApproachN` cell is `count;type;runway;airport;comments`. A simulator session in an aircraft
//! that the table does not mark as a device is taken as an FTD.

use std::collections::HashMap;

use super::common::{RowErrors, count, date, flag, minutes_of_hours, text};
use crate::domains::flights::logbook::dto::{
    AircraftClass, Approach, ApproachType, Category, SimulatorKind,
};
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
    match s.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
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

fn approach(s: &str) -> Result<Option<(i32, Option<Approach>)>, &'static str> {
    let Some(s) = text(s) else { return Ok(None) };
    let parts: Vec<&str> = s.split(';').map(str::trim).collect();
    let n = match parts.first().copied().unwrap_or("") {
        "" => 1,
        c => count(c).map_err(|_| "is not count;type;runway;airport;comments")?,
    };
    if !(1..=20).contains(&n) {
        return Err("must count 1 to 20 approaches");
    }
    let kind = parts.get(1).copied().unwrap_or("");
    if kind.is_empty() {
        return Ok(Some((n, None)));
    }
    let wire = kind.to_ascii_lowercase().replace(['/', ' ', '-'], "_");
    let kind = <ApproachType as poem_openapi::types::ParseFromParameter>::parse_from_parameter(&wire)
        .unwrap_or(ApproachType::Other);
    let opt = |i: usize| {
        parts
            .get(i)
            .and_then(|p| text(p))
            .map(|p| p.to_ascii_uppercase())
    };
    Ok(Some((
        n,
        Some(Approach {
            kind,
            runway: opt(2).filter(|r| r.len() <= 4),
            airport: opt(3),
            count: n,
        }),
    )))
}

/// The column of a field a check names.
fn column_of(field: &str) -> String {
    let c = match field.split(['[', '.']).next().unwrap_or(field) {
        "minutes" => match field {
            "minutes.total" => "TotalTime",
            "minutes.pic" => "PIC",
            "minutes.sic" => "SIC",
            "minutes.night" => "Night",
            "minutes.solo" => "Solo",
            "minutes.cross_country" => "CrossCountry",
            "minutes.actual_instrument" => "ActualInstrument",
            "minutes.simulated_instrument" => "SimulatedInstrument",
            "minutes.dual_received" => "DualReceived",
            "minutes.dual_given" => "DualGiven",
            "minutes.simulator" => "SimulatedFlight",
            "minutes.ground_training" => "GroundTraining",
            _ => "TotalTime",
        },
        "registration" | "simulator_kind" => "AircraftID",
        "type_code" => "TypeCode",
        "departure" => "From",
        "destination" => "To",
        "stops" => "Route",
        "day_full_stop_landings" => "DayLandingsFullStop",
        "approach_details" | "approaches" => "Approach1",
        "remarks" => "PilotComments",
        other => other,
    };
    c.to_owned()
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
    let mut head: HashMap<String, usize> = HashMap::new();
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
                errs.push(line, "row", "is not a CSV row (UTF-8, quoted fields closed)");
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
                let want = if section == Section::AircraftHead { "AircraftID" } else { "Date" };
                if first == want {
                    head = rec.iter().enumerate().map(|(i, c)| (c.trim().to_owned(), i)).collect();
                    section = if want == "Date" { Section::Flights } else { Section::Aircraft };
                }
            }
            Section::Aircraft => {
                let cell = |c: &str| head.get(c).and_then(|i| rec.get(*i)).unwrap_or("");
                let (cat, cls) = class(cell("Class"));
                let gear = cell("GearType").trim().to_ascii_uppercase();
                aircraft.insert(
                    cell("AircraftID").trim().to_ascii_uppercase(),
                    Aircraft {
                        type_code: text(cell("TypeCode")).map(|t| t.to_ascii_uppercase()),
                        category: category(cell("Category")).or(cat),
                        class: cls,
                        tailwheel: gear == "FC" || gear == "RC",
                        device: device(cell("EquipmentType")),
                    },
                );
            }
            Section::Flights => {
                if out.len() >= max_rows {
                    errs.push(line, "row", &format!("an import takes at most {max_rows} rows"));
                    break;
                }
                let cell = |c: &str| head.get(c).and_then(|i| rec.get(*i)).unwrap_or("");
                let mut f = Fields::default();
                macro_rules! read {
                    ($col:literal, $parse:expr) => {
                        match $parse(cell($col)) {
                            Ok(v) => v,
                            Err(msg) => {
                                errs.push(line, $col, msg);
                                Default::default()
                            }
                        }
                    };
                }
                f.date = read!("Date", date);
                let id = cell("AircraftID").trim().to_ascii_uppercase();
                let a = aircraft.get(&id).cloned().unwrap_or_default();
                f.registration = (!id.is_empty() && !id.starts_with("SIM-")).then_some(id);
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
                m.total = read!("TotalTime", minutes_of_hours);
                m.pic = read!("PIC", minutes_of_hours);
                m.sic = read!("SIC", minutes_of_hours);
                m.night = read!("Night", minutes_of_hours);
                m.solo = read!("Solo", minutes_of_hours);
                m.cross_country = read!("CrossCountry", minutes_of_hours);
                m.actual_instrument = read!("ActualInstrument", minutes_of_hours);
                m.simulated_instrument = read!("SimulatedInstrument", minutes_of_hours);
                m.dual_given = read!("DualGiven", minutes_of_hours);
                m.dual_received = read!("DualReceived", minutes_of_hours);
                m.simulator = read!("SimulatedFlight", minutes_of_hours);
                m.ground_training = read!("GroundTraining", minutes_of_hours);
                if m.simulator > 0 {
                    f.simulator_kind = Some(a.device.unwrap_or(SimulatorKind::Ftd));
                }
                let day_fs: i32 = read!("DayLandingsFullStop", count);
                let night_fs: i32 = read!("NightLandingsFullStop", count);
                let all: i32 = read!("AllLandings", count);
                f.day_full_stop_landings = day_fs;
                f.night_full_stop_landings = night_fs;
                f.day_landings = (all - night_fs).max(day_fs);
                f.holds = read!("Holds", count);
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
                f.flight_review = read!("FlightReview", flag);
                f.ipc = read!("IPC", flag);
                f.remarks = text(cell("PilotComments"));
                if let Some(name) = text(cell("InstructorName")) {
                    let note = format!("Instructor: {name}");
                    f.remarks = Some(match f.remarks.take() {
                        Some(r) => format!("{r}\n{note}"),
                        None => note,
                    });
                }
                let mut v = Checks::new();
                f.check(&mut v);
                errs.take(line, v, column_of);
                out.push(f);
            }
        }
    }
    if section != Section::Flights {
        errs.push(1, "Date", "found no Flights Table with a `Date` header row");
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}
