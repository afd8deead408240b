//! Flightline's own logbook CSV: one header row of the entry's field names, times in whole
//! minutes, `stops` separated by spaces, `approach_details` as JSON. An import reads the
//! columns by name (any order; unknown columns such as `source` or `signed_at` are ignored) and
//! needs only `date`.

use std::collections::HashMap;

use super::common::{RowErrors, count, date, flag, minutes, text};
use crate::domains::flights::logbook::dto::{
    AircraftClass, Approach, Category, LogbookEntry, SimulatorKind,
};
use crate::domains::flights::logbook::fields::Fields;
use crate::error::Checks;
use crate::kernel::units::wire;

const COLUMNS: &[&str] = &[
    "date",
    "registration",
    "type_code",
    "category",
    "class",
    "tailwheel",
    "type_rating_required",
    "departure",
    "destination",
    "stops",
    "total_minutes",
    "pic_minutes",
    "sic_minutes",
    "dual_received_minutes",
    "dual_given_minutes",
    "solo_minutes",
    "cross_country_minutes",
    "night_minutes",
    "actual_instrument_minutes",
    "simulated_instrument_minutes",
    "simulator_minutes",
    "simulator_kind",
    "ground_training_minutes",
    "day_landings",
    "day_full_stop_landings",
    "night_full_stop_landings",
    "approaches",
    "approach_details",
    "holds",
    "intercept_track",
    "ipc",
    "flight_review",
    "remarks",
    "source",
    "signed_at",
    "instructor_certificate_number",
];

fn row(e: &LogbookEntry) -> Vec<String> {
    let m = &e.minutes;
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let b = |v: bool| if v { "true" } else { "false" }.to_owned();
    vec![
        e.date.to_string(),
        o(&e.registration),
        o(&e.type_code),
        e.category.as_ref().map(wire).unwrap_or_default(),
        e.class.as_ref().map(wire).unwrap_or_default(),
        b(e.tailwheel),
        b(e.type_rating_required),
        o(&e.departure),
        o(&e.destination),
        e.stops.join(" "),
        m.total.to_string(),
        m.pic.to_string(),
        m.sic.to_string(),
        m.dual_received.to_string(),
        m.dual_given.to_string(),
        m.solo.to_string(),
        m.cross_country.to_string(),
        m.night.to_string(),
        m.actual_instrument.to_string(),
        m.simulated_instrument.to_string(),
        m.simulator.to_string(),
        e.simulator_kind.as_ref().map(wire).unwrap_or_default(),
        m.ground_training.to_string(),
        e.day_landings.to_string(),
        e.day_full_stop_landings.to_string(),
        e.night_full_stop_landings.to_string(),
        e.approaches.to_string(),
        if e.approach_details.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&e.approach_details).unwrap_or_default()
        },
        e.holds.to_string(),
        b(e.intercept_track),
        b(e.ipc),
        b(e.flight_review),
        o(&e.remarks),
        wire(&e.source),
        e.signed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        o(&e.instructor_certificate_number),
    ]
}

/// The CSV of `entries`.
pub fn write(entries: &[LogbookEntry]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for e in entries {
        w.write_record(row(e))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// An enum column by its wire name; blank is absent.
fn choice<T: TryFrom<String>>(s: &str) -> Result<Option<T>, &'static str> {
    match text(s) {
        None => Ok(None),
        Some(s) => T::try_from(s)
            .map(Some)
            .map_err(|_| "is not one of the allowed values"),
    }
}

/// Every row's entry, or every row's errors (`rows[<line>].<column>`).
pub fn parse(body: &str, max_rows: usize) -> Result<Vec<Fields>, RowErrors> {
    let mut errs = RowErrors::default();
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let header: HashMap<String, usize> = match r.headers() {
        Ok(h) => h
            .iter()
            .enumerate()
            .map(|(i, c)| (c.trim().to_owned(), i))
            .collect(),
        Err(_) => HashMap::new(),
    };
    if !header.contains_key("date") {
        errs.push(1, "date", "the header row must name a `date` column");
        return Err(errs);
    }
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        if out.len() >= max_rows {
            errs.push(
                line,
                "row",
                &format!("an import takes at most {max_rows} rows"),
            );
            break;
        }
        let rec = match rec {
            Ok(rec) => rec,
            Err(_) => {
                errs.push(
                    line,
                    "row",
                    "is not a CSV row (UTF-8, quoted fields closed)",
                );
                continue;
            }
        };
        let cell = |c: &str| header.get(c).and_then(|i| rec.get(*i)).unwrap_or("");
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
        f.date = read!("date", date);
        f.registration = text(cell("registration")).map(|s| s.to_ascii_uppercase());
        f.type_code = text(cell("type_code")).map(|s| s.to_ascii_uppercase());
        f.category = read!("category", choice::<Category>);
        f.class = read!("class", choice::<AircraftClass>);
        f.tailwheel = read!("tailwheel", flag);
        f.type_rating_required = read!("type_rating_required", flag);
        f.departure = text(cell("departure")).map(|s| s.to_ascii_uppercase());
        f.destination = text(cell("destination")).map(|s| s.to_ascii_uppercase());
        f.stops = cell("stops")
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect();
        f.minutes.total = read!("total_minutes", minutes);
        f.minutes.pic = read!("pic_minutes", minutes);
        f.minutes.sic = read!("sic_minutes", minutes);
        f.minutes.dual_received = read!("dual_received_minutes", minutes);
        f.minutes.dual_given = read!("dual_given_minutes", minutes);
        f.minutes.solo = read!("solo_minutes", minutes);
        f.minutes.cross_country = read!("cross_country_minutes", minutes);
        f.minutes.night = read!("night_minutes", minutes);
        f.minutes.actual_instrument = read!("actual_instrument_minutes", minutes);
        f.minutes.simulated_instrument = read!("simulated_instrument_minutes", minutes);
        f.minutes.simulator = read!("simulator_minutes", minutes);
        f.simulator_kind = read!("simulator_kind", choice::<SimulatorKind>);
        f.minutes.ground_training = read!("ground_training_minutes", minutes);
        f.day_landings = read!("day_landings", count);
        f.day_full_stop_landings = read!("day_full_stop_landings", count);
        f.night_full_stop_landings = read!("night_full_stop_landings", count);
        f.approaches = read!("approaches", count);
        f.approach_details = read!("approach_details", |s: &str| match text(s) {
            None => Ok(Vec::new()),
            Some(s) => serde_json::from_str::<Vec<Approach>>(&s)
                .map_err(|_| "is not a JSON list of approaches"),
        });
        f.holds = read!("holds", count);
        f.intercept_track = read!("intercept_track", flag);
        f.ipc = read!("ipc", flag);
        f.flight_review = read!("flight_review", flag);
        f.remarks = text(cell("remarks"));
        let mut v = Checks::new();
        f.check(&mut v);
        errs.take(line, v, column_of);
        out.push(f);
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

/// The column of a field a check names (`minutes.pic` is `pic_minutes`).
fn column_of(field: &str) -> String {
    match field.strip_prefix("minutes.") {
        Some(m) => format!("{m}_minutes"),
        None => field.split(['[', '.']).next().unwrap_or(field).to_owned(),
    }
}
