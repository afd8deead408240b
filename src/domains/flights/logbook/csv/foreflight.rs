//! ForeFlight's logbook CSV ("Logbook Import" template): a `ForeFlight Logbook Import` line, an
//! `Aircraft Table` section (one row per aircraft, with its type, category, class and gear),
//! then a `Flights Table` section with one row per entry; times in decimal hours. The column
//! list is ForeFlight's (docs/flights.md names the source); columns we hold nothing for are
//! written empty and ignored on import. A section starts at the row whose first cell is
//! `AircraftID` or `Date`; the template's type rows (`Text,Decimal,...`) may stand before it.

use std::collections::HashMap;

use super::common::hours;
use crate::domains::flights::logbook::dto::{
    AircraftClass, Approach, Category, LogbookEntry, SimulatorKind,
};

const FIRST_LINE: &str = "ForeFlight Logbook Import,This row is required for importing into ForeFlight. Do not delete or modify.";

const AIRCRAFT_COLUMNS: &[&str] = &[
    "AircraftID", "EquipmentType", "TypeCode", "Year", "Make", "Model", "Category", "Class",
    "GearType", "EngineType", "Complex", "HighPerformance", "Pressurized", "TAA",
];

const FLIGHT_COLUMNS: &[&str] = &[
    "Date", "AircraftID", "From", "To", "Route", "TimeOut", "TimeOff", "TimeOn", "TimeIn",
    "OnDuty", "OffDuty", "TotalTime", "PIC", "SIC", "Night", "Solo", "CrossCountry", "NVG",
    "NVGOps", "Distance", "DayTakeoffs", "DayLandingsFullStop", "NightTakeoffs",
    "NightLandingsFullStop", "AllLandings", "ActualInstrument", "SimulatedInstrument",
    "HobbsStart", "HobbsEnd", "TachStart", "TachEnd", "Holds", "Approach1", "Approach2",
    "Approach3", "Approach4", "Approach5", "Approach6", "DualGiven", "DualReceived",
    "SimulatedFlight", "GroundTraining", "InstructorName", "InstructorComments", "Person1",
    "Person2", "Person3", "Person4", "Person5", "Person6", "FlightReview", "Checkride", "IPC",
    "NVGProficiency", "FAA6158", "PilotComments",
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

fn class_code(e: &LogbookEntry) -> &'static str {
    match (e.simulator_kind, e.registration.is_none(), e.class, e.category) {
        (Some(SimulatorKind::Ffs), true, _, _) => "FFS",
        (Some(SimulatorKind::Ftd), true, _, _) => "FTD",
        (Some(SimulatorKind::Atd), true, _, _) => "ATD",
        (_, _, Some(AircraftClass::SingleEngineLand), _) => "ASEL",
        (_, _, Some(AircraftClass::MultiEngineLand), _) => "AMEL",
        (_, _, Some(AircraftClass::SingleEngineSea), _) => "ASES",
        (_, _, Some(AircraftClass::MultiEngineSea), _) => "AMES",
        (_, _, Some(AircraftClass::Helicopter), _) => "RH",
        (_, _, Some(AircraftClass::Gyroplane), _) => "RG",
        (_, _, None, Some(Category::Glider)) => "Glider",
        (_, _, None, Some(Category::PoweredLift)) => "Powered Lift",
        _ => "",
    }
}

/// The AircraftID of an entry: its registration, `SIM-<kind>` for a device without one.
fn aircraft_id(e: &LogbookEntry) -> String {
    match (&e.registration, e.simulator_kind) {
        (Some(r), _) => r.clone(),
        (None, Some(k)) => format!("SIM-{}", crate::kernel::units::wire(&k).to_ascii_uppercase()),
        (None, None) => String::new(),
    }
}

fn approach_cell(a: &Approach) -> String {
    let kind = crate::kernel::units::wire(&a.kind).to_ascii_uppercase().replace('_', " ");
    let kind = if kind == "LNAV VNAV" { "LNAV/VNAV".to_owned() } else { kind };
    format!(
        "{};{};{};{};;",
        a.count,
        kind,
        a.runway.as_deref().unwrap_or(""),
        a.airport.as_deref().unwrap_or("")
    )
}

fn line(fields: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(fields);
    w.into_inner().unwrap_or_default()
}

/// The ForeFlight CSV of `entries`; `instructor` names an entry's instructor.
pub fn write(entries: &[LogbookEntry], instructor: &HashMap<crate::kernel::UserId, String>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(FIRST_LINE.as_bytes());
    out.extend_from_slice(b"\n\nAircraft Table\n");
    out.extend(line(&AIRCRAFT_COLUMNS.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()));
    let mut seen = std::collections::HashSet::new();
    for e in entries {
        let id = aircraft_id(e);
        if id.is_empty() || !seen.insert(id.clone()) {
            continue;
        }
        let equipment = match (e.registration.is_none(), e.simulator_kind) {
            (true, Some(SimulatorKind::Ffs)) => "ffs",
            (true, Some(SimulatorKind::Ftd)) => "ftd",
            (true, Some(SimulatorKind::Atd)) => "aatd",
            _ => "aircraft",
        };
        let category = if equipment == "aircraft" {
            e.category.map(category_label).unwrap_or("")
        } else {
            "Simulator"
        };
        let mut rec = vec![String::new(); AIRCRAFT_COLUMNS.len()];
        rec[0] = id;
        rec[1] = equipment.to_owned();
        rec[2] = e.type_code.clone().unwrap_or_default();
        rec[6] = category.to_owned();
        rec[7] = class_code(e).to_owned();
        rec[8] = if e.tailwheel { "FC" } else { "" }.to_owned();
        out.extend(line(&rec));
    }
    out.extend_from_slice(b"\nFlights Table\n");
    out.extend(line(&FLIGHT_COLUMNS.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()));
    let col = |name: &str| FLIGHT_COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
    for e in entries {
        let m = &e.minutes;
        let mut rec = vec![String::new(); FLIGHT_COLUMNS.len()];
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
        set("AllLandings", n(e.day_landings + e.night_full_stop_landings));
        set("ActualInstrument", hours(m.actual_instrument));
        set("SimulatedInstrument", hours(m.simulated_instrument));
        set("Holds", n(e.holds));
        let mut cells: Vec<String> = e.approach_details.iter().map(approach_cell).collect();
        let detailed: i32 = e.approach_details.iter().map(|a| a.count).sum();
        if e.approaches > detailed {
            cells.push(format!("{};;;;;", e.approaches - detailed));
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
        }
        set("FlightReview", if e.flight_review { "TRUE" } else { "" }.to_owned());
        set("IPC", if e.ipc { "TRUE" } else { "" }.to_owned());
        set("PilotComments", e.remarks.clone().unwrap_or_default());
        out.extend(line(&rec));
    }
    out
}
