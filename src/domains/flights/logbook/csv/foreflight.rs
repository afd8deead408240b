//! ForeFlight's logbook CSV ("Logbook Import" template): a `ForeFlight Logbook Import` line, an
//! `Aircraft Table` section (one row per aircraft, with its type, category, class and gear),
//! then a `Flights Table` section with one row per entry; times in decimal hours. The column
//! list is ForeFlight's 2022 template (docs/foreflight-format.md compares the versions); columns
//! we hold nothing for are written empty. Every row is padded to the Flights Table's width, as
//! ForeFlight's templates and exports are. `foreflight_parse.rs` reads it back.
//!
//! ForeFlight needs an `AircraftID` and a `Class` for each aircraft, and we may hold neither:
//! an entry without a registration is flown in `SIM-<kind>` (a device session), else in
//! `NOREG-<type code>`, `NOREG-<class>` or, knowing nothing, `NOREG`; an aircraft without a class
//! gets the one its category makes likeliest (`class_code`).

use std::collections::HashMap;

use super::common::hours;
use super::foreflight_cells::{approach_cell, approach_count_cell, instructor_cell};
use crate::domains::flights::logbook::dto::{AircraftClass, Category, LogbookEntry, SimulatorKind};

const FIRST_LINE: &str = "ForeFlight Logbook Import,This row is required for importing into ForeFlight. Do not delete or modify.";

const AIRCRAFT_COLUMNS: &[&str] = &[
    "AircraftID",
    "EquipmentType",
    "TypeCode",
    "Year",
    "Make",
    "Model",
    "Category",
    "Class",
    "GearType",
    "EngineType",
    "Complex",
    "HighPerformance",
    "Pressurized",
    "TAA",
];

const FLIGHT_COLUMNS: &[&str] = &[
    "Date",
    "AircraftID",
    "From",
    "To",
    "Route",
    "TimeOut",
    "TimeOff",
    "TimeOn",
    "TimeIn",
    "OnDuty",
    "OffDuty",
    "TotalTime",
    "PIC",
    "SIC",
    "Night",
    "Solo",
    "CrossCountry",
    "NVG",
    "NVGOps",
    "Distance",
    "DayTakeoffs",
    "DayLandingsFullStop",
    "NightTakeoffs",
    "NightLandingsFullStop",
    "AllLandings",
    "ActualInstrument",
    "SimulatedInstrument",
    "HobbsStart",
    "HobbsEnd",
    "TachStart",
    "TachEnd",
    "Holds",
    "Approach1",
    "Approach2",
    "Approach3",
    "Approach4",
    "Approach5",
    "Approach6",
    "DualGiven",
    "DualReceived",
    "SimulatedFlight",
    "GroundTraining",
    "InstructorName",
    "InstructorComments",
    "Person1",
    "Person2",
    "Person3",
    "Person4",
    "Person5",
    "Person6",
    "FlightReview",
    "Checkride",
    "IPC",
    "NVGProficiency",
    "FAA6158",
    "PilotComments",
];

fn category_label(c: Category) -> &'static str {
    match c {
        Category::Airplane => "Airplane",
        Category::Rotorcraft => "Rotorcraft",
        Category::Glider => "Glider",
        Category::LighterThanAir => "Lighter Than Air",
        Category::PoweredLift => "Powered Lift",
    }
}

/// A device session without a registration: written as a device of that kind.
fn device(e: &LogbookEntry) -> Option<SimulatorKind> {
    e.simulator_kind.filter(|_| e.registration.is_none())
}

/// The Class of an entry's aircraft, never blank: a device's kind; the class; for a category
/// with one class, its name; else the likeliest class of the category (Airplane `ASEL`,
/// Rotorcraft `RH`, Lighter Than Air `LB`: we hold no balloon or airship class), and `ASEL`
/// when even the category is unknown (written with Category `Airplane`).
fn class_code(e: &LogbookEntry) -> &'static str {
    use AircraftClass::*;
    match (device(e), e.class, e.category) {
        (Some(SimulatorKind::Ffs), _, _) => "FFS",
        (Some(SimulatorKind::Ftd), _, _) => "FTD",
        (Some(SimulatorKind::Atd), _, _) => "ATD",
        (None, Some(SingleEngineLand), _) => "ASEL",
        (None, Some(MultiEngineLand), _) => "AMEL",
        (None, Some(SingleEngineSea), _) => "ASES",
        (None, Some(MultiEngineSea), _) => "AMES",
        (None, Some(Helicopter), _) => "RH",
        (None, Some(Gyroplane), _) => "RG",
        (None, None, Some(Category::Glider)) => "Glider",
        (None, None, Some(Category::PoweredLift)) => "Powered Lift",
        (None, None, Some(Category::LighterThanAir)) => "LB",
        (None, None, Some(Category::Rotorcraft)) => "RH",
        (None, None, Some(Category::Airplane) | None) => "ASEL",
    }
}

/// The AircraftID of an entry, never blank: its registration; `SIM-<kind>` for a device
/// without one; else `NOREG-<type code>`, `NOREG-<class>` when only the category is known, or
/// `NOREG` (read back as an entry without any aircraft).
fn aircraft_id(e: &LogbookEntry) -> String {
    match (&e.registration, device(e), &e.type_code, e.category) {
        (Some(r), _, _, _) => r.clone(),
        (None, Some(k), _, _) => {
            format!(
                "SIM-{}",
                crate::kernel::units::wire(&k).to_ascii_uppercase()
            )
        }
        (None, None, Some(t), _) => format!("NOREG-{t}"),
        (None, None, None, Some(_)) => format!("NOREG-{}", class_code(e).replace(' ', "")),
        (None, None, None, None) => "NOREG".to_owned(),
    }
}

/// One CSV row padded to `width` cells.
fn line(fields: &[&str], width: usize) -> Vec<u8> {
    let mut rec: Vec<&str> = fields.to_vec();
    rec.resize(width.max(rec.len()), "");
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&rec);
    w.into_inner().unwrap_or_default()
}

/// The ForeFlight CSV of `entries`; `instructor` names an entry's instructor.
pub fn write(
    entries: &[LogbookEntry],
    instructor: &HashMap<crate::kernel::UserId, String>,
) -> Vec<u8> {
    let width = FLIGHT_COLUMNS.len();
    let (first, rest) = FIRST_LINE.split_once(',').unwrap_or((FIRST_LINE, ""));
    let mut out = line(&[first, rest], width);
    out.extend(line(&[], width));
    out.extend(line(&["Aircraft Table"], width));
    out.extend(line(AIRCRAFT_COLUMNS, width));
    let mut seen = std::collections::HashSet::new();
    for e in entries {
        let id = aircraft_id(e);
        if !seen.insert(id.clone()) {
            continue;
        }
        let equipment = match device(e) {
            Some(SimulatorKind::Ffs) => "ffs",
            Some(SimulatorKind::Ftd) => "ftd",
            Some(SimulatorKind::Atd) => "aatd",
            None => "aircraft",
        };
        let category = match device(e) {
            Some(_) => "Simulator",
            None => category_label(e.category.unwrap_or(Category::Airplane)),
        };
        let mut rec = vec![""; AIRCRAFT_COLUMNS.len()];
        rec[0] = &id;
        rec[1] = equipment;
        rec[2] = e.type_code.as_deref().unwrap_or("");
        rec[6] = category;
        rec[7] = class_code(e);
        rec[8] = if e.tailwheel { "FC" } else { "" };
        out.extend(line(&rec, width));
    }
    out.extend(line(&[], width));
    out.extend(line(&["Flights Table"], width));
    out.extend(line(FLIGHT_COLUMNS, width));
    let col = |name: &str| FLIGHT_COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
    for e in entries {
        let m = &e.minutes;
        let mut rec = vec![String::new(); width];
        let mut set = |name: &str, v: String| rec[col(name)] = v;
        let n = |v: i32| if v == 0 { String::new() } else { v.to_string() };
        set("Date", e.date.to_string());
        set("AircraftID", aircraft_id(e));
        set("From", e.departure.clone().unwrap_or_default());
        set("To", e.destination.clone().unwrap_or_default());
        set("Route", e.stops.join(" "));
        set("TotalTime", hours(m.total));
        set("PIC", hours(m.pic));
        set("SIC", hours(m.sic));
        set("Night", hours(m.night));
        set("Solo", hours(m.solo));
        set("CrossCountry", hours(m.cross_country));
        set("DayTakeoffs", n(e.day_landings));
        set("DayLandingsFullStop", n(e.day_full_stop_landings));
        set("NightTakeoffs", n(e.night_full_stop_landings));
        set("NightLandingsFullStop", n(e.night_full_stop_landings));
        set(
            "AllLandings",
            n(e.day_landings + e.night_full_stop_landings),
        );
        set("ActualInstrument", hours(m.actual_instrument));
        set("SimulatedInstrument", hours(m.simulated_instrument));
        set("Holds", n(e.holds));
        let mut cells: Vec<String> = e.approach_details.iter().map(approach_cell).collect();
        let detailed: i32 = e.approach_details.iter().map(|a| a.count).sum();
        if e.approaches > detailed {
            cells.push(approach_count_cell(e.approaches - detailed));
        }
        for (i, c) in cells.into_iter().take(6).enumerate() {
            set(&format!("Approach{}", i + 1), c);
        }
        set("DualGiven", hours(m.dual_given));
        set("DualReceived", hours(m.dual_received));
        set("SimulatedFlight", hours(m.simulator));
        set("GroundTraining", hours(m.ground_training));
        if let Some(name) = e.instructor_id.and_then(|i| instructor.get(&i)) {
            set("InstructorName", name.clone());
            set("Person1", instructor_cell(name));
        }
        set(
            "FlightReview",
            if e.flight_review { "TRUE" } else { "" }.to_owned(),
        );
        set("IPC", if e.ipc { "TRUE" } else { "" }.to_owned());
        set("PilotComments", e.remarks.clone().unwrap_or_default());
        let rec: Vec<&str> = rec.iter().map(String::as_str).collect();
        out.extend(line(&rec, width));
    }
    out
}
