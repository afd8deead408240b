//! What a flight record holds that people write ([`FlightFields`]), its flight time, and its
//! rules, checked in one place (the table's CHECK constraints hold the same).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;

use super::dto::{
    CrewMember, CrewRole, Flight, FlightCreate, FlightMinutes, FlightUpdate, FuelUplift,
};
use crate::domains::flights::logbook::dto::Approach;
use crate::domains::flights::logbook::fields::is_location;
use crate::error::Checks;
use crate::kernel::AircraftId;
use crate::kernel::units::{merge, tenths};

#[derive(Debug, Clone, PartialEq)]
pub struct FlightFields {
    pub aircraft_id: AircraftId,
    pub date: NaiveDate,
    pub departure: Option<String>,
    pub destination: Option<String>,
    pub stops: Vec<String>,
    pub out_at: Option<DateTime<Utc>>,
    pub off_at: Option<DateTime<Utc>>,
    pub on_at: Option<DateTime<Utc>>,
    pub in_at: Option<DateTime<Utc>>,
    /// Tenths of an hour.
    pub hobbs_out: Option<i64>,
    pub hobbs_in: Option<i64>,
    pub tach_out: Option<i64>,
    pub tach_in: Option<i64>,
    pub day_landings: i32,
    pub day_full_stop_landings: i32,
    pub night_full_stop_landings: i32,
    pub approaches: Vec<Approach>,
    pub holds: i32,
    pub intercept_track: bool,
    pub minutes: FlightMinutes,
    pub fuel_uplift: Option<FuelUplift>,
    pub remarks: Option<String>,
    pub crew: Vec<CrewMember>,
}

/// Upper case (`check` then refuses anything but letters and digits).
fn ident(s: &str) -> Option<String> {
    Some(s.to_ascii_uppercase())
}

fn ident_update(field: &mut Option<String>, v: &MaybeUndefined<String>) {
    match v {
        MaybeUndefined::Value(s) => *field = ident(s),
        MaybeUndefined::Null => *field = None,
        MaybeUndefined::Undefined => {}
    }
}

fn meter_update(field: &mut Option<i64>, v: &MaybeUndefined<f64>) {
    match v {
        MaybeUndefined::Value(h) => *field = Some(tenths(*h)),
        MaybeUndefined::Null => *field = None,
        MaybeUndefined::Undefined => {}
    }
}

/// Flight time in minutes (14 CFR 61.1: from moving under its own power for flight until it
/// comes to rest after landing): the Hobbs difference (the meter runs with the engine), else
/// block out to in, else takeoff to landing, else 0.
pub fn flight_minutes(
    out_in: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    hobbs: (Option<i64>, Option<i64>),
    off_on: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> i32 {
    let span =
        |a: DateTime<Utc>, b: DateTime<Utc>| i32::try_from((b - a).num_minutes()).unwrap_or(0);
    match (hobbs, out_in, off_on) {
        ((Some(a), Some(b)), _, _) => i32::try_from((b - a) * 6).unwrap_or(0),
        (_, (Some(o), Some(i)), _) => span(o, i),
        (_, _, (Some(off), Some(on))) => span(off, on),
        _ => 0,
    }
    .max(0)
}

impl FlightFields {
    pub fn from_create(b: &FlightCreate) -> Self {
        FlightFields {
            aircraft_id: b.aircraft_id,
            date: b.date,
            departure: b.departure.as_deref().and_then(ident),
            destination: b.destination.as_deref().and_then(ident),
            stops: b.stops.iter().flatten().filter_map(|s| ident(s)).collect(),
            out_at: b.out_at,
            off_at: b.off_at,
            on_at: b.on_at,
            in_at: b.in_at,
            hobbs_out: b.hobbs_out.map(tenths),
            hobbs_in: b.hobbs_in.map(tenths),
            tach_out: b.tach_out.map(tenths),
            tach_in: b.tach_in.map(tenths),
            day_landings: b.day_landings.unwrap_or(0),
            day_full_stop_landings: b.day_full_stop_landings.unwrap_or(0),
            night_full_stop_landings: b.night_full_stop_landings.unwrap_or(0),
            approaches: b.approaches.clone().unwrap_or_default(),
            holds: b.holds.unwrap_or(0),
            intercept_track: b.intercept_track.unwrap_or(false),
            minutes: b.minutes.clone(),
            fuel_uplift: b.fuel_uplift.clone(),
            remarks: b.remarks.clone().filter(|r| !r.trim().is_empty()),
            crew: b.crew.clone(),
        }
    }

    pub fn of_flight(f: &Flight) -> Self {
        FlightFields {
            aircraft_id: f.aircraft_id,
            date: f.date,
            departure: f.departure.clone(),
            destination: f.destination.clone(),
            stops: f.stops.clone(),
            out_at: f.out_at,
            off_at: f.off_at,
            on_at: f.on_at,
            in_at: f.in_at,
            hobbs_out: f.hobbs_out.map(tenths),
            hobbs_in: f.hobbs_in.map(tenths),
            tach_out: f.tach_out.map(tenths),
            tach_in: f.tach_in.map(tenths),
            day_landings: f.day_landings,
            day_full_stop_landings: f.day_full_stop_landings,
            night_full_stop_landings: f.night_full_stop_landings,
            approaches: f.approaches.clone(),
            holds: f.holds,
            intercept_track: f.intercept_track,
            minutes: f.minutes.clone(),
            fuel_uplift: f.fuel_uplift.clone(),
            remarks: f.remarks.clone(),
            crew: f.crew.clone(),
        }
    }

    pub fn apply(&mut self, u: &FlightUpdate) {
        if let Some(a) = u.aircraft_id {
            self.aircraft_id = a;
        }
        if let Some(d) = u.date {
            self.date = d;
        }
        ident_update(&mut self.departure, &u.departure);
        ident_update(&mut self.destination, &u.destination);
        if let Some(s) = &u.stops {
            self.stops = s.iter().filter_map(|s| ident(s)).collect();
        }
        merge(&mut self.out_at, &u.out_at);
        merge(&mut self.off_at, &u.off_at);
        merge(&mut self.on_at, &u.on_at);
        merge(&mut self.in_at, &u.in_at);
        meter_update(&mut self.hobbs_out, &u.hobbs_out);
        meter_update(&mut self.hobbs_in, &u.hobbs_in);
        meter_update(&mut self.tach_out, &u.tach_out);
        meter_update(&mut self.tach_in, &u.tach_in);
        let set = |field: &mut i32, v: Option<i32>| *field = v.unwrap_or(*field);
        set(&mut self.day_landings, u.day_landings);
        set(&mut self.day_full_stop_landings, u.day_full_stop_landings);
        set(
            &mut self.night_full_stop_landings,
            u.night_full_stop_landings,
        );
        set(&mut self.holds, u.holds);
        if let Some(a) = &u.approaches {
            self.approaches = a.clone();
        }
        if let Some(b) = u.intercept_track {
            self.intercept_track = b;
        }
        if let Some(m) = &u.minutes {
            self.minutes = m.clone();
        }
        merge(&mut self.fuel_uplift, &u.fuel_uplift);
        merge(&mut self.remarks, &u.remarks);
        if let Some(c) = &u.crew {
            self.crew = c.clone();
        }
    }

    /// The flight time the logbook entries get.
    pub fn total_minutes(&self) -> i32 {
        flight_minutes(
            (self.out_at, self.in_at),
            (self.hobbs_out, self.hobbs_in),
            (self.off_at, self.on_at),
        )
    }

    pub fn approach_count(&self) -> i32 {
        self.approaches.iter().map(|a| a.count).sum()
    }

    pub fn has(&self, role: CrewRole) -> bool {
        self.crew.iter().any(|c| c.role == role)
    }

    pub fn check(&self, v: &mut Checks) {
        let loc = |s: &Option<String>| s.as_deref().is_none_or(is_location);
        let msg = "must be an airport identifier of 2 to 7 letters or digits";
        v.check(loc(&self.departure), "departure", msg);
        v.check(loc(&self.destination), "destination", msg);
        v.check(
            self.stops.len() <= 20 && self.stops.iter().all(|s| is_location(s)),
            "stops",
            msg,
        );
        let times = [
            ("out_at", self.out_at),
            ("off_at", self.off_at),
            ("on_at", self.on_at),
            ("in_at", self.in_at),
        ];
        for (i, (field, t)) in times.iter().enumerate() {
            let Some(t) = t else { continue };
            if let Some((earlier, _)) = times[..i].iter().find(|(_, e)| e.is_some_and(|e| e > *t)) {
                v.check(false, field, &format!("must not be before {earlier}"));
            }
        }
        if let (Some(o), Some(i)) = (self.out_at, self.in_at) {
            v.check(
                (i - o).num_hours() < 48,
                "in_at",
                "a flight lasts at most 48 hours",
            );
        }
        let pair = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) => b >= a,
            _ => true,
        };
        v.check(
            pair(self.hobbs_out, self.hobbs_in),
            "hobbs_in",
            "must not be below hobbs_out",
        );
        v.check(
            pair(self.tach_out, self.tach_in),
            "tach_in",
            "must not be below tach_out",
        );
        let total = self.total_minutes();
        v.check(
            total <= 48 * 60,
            "hobbs_in",
            "a flight lasts at most 48 hours",
        );
        let m = &self.minutes;
        for (field, t) in [
            ("minutes.night", m.night),
            ("minutes.cross_country", m.cross_country),
        ] {
            v.check(t <= total, field, "must not exceed the flight time");
        }
        v.check(
            m.actual_instrument + m.simulated_instrument <= total,
            "minutes.actual_instrument",
            "must not exceed the flight time (with minutes.simulated_instrument)",
        );
        v.check(
            self.day_full_stop_landings <= self.day_landings,
            "day_full_stop_landings",
            "must not exceed day_landings",
        );
        for (i, a) in self.approaches.iter().enumerate() {
            v.check(
                a.airport.as_deref().is_none_or(is_location),
                &format!("approaches[{i}].airport"),
                msg,
            );
        }
        let mut seen = HashSet::new();
        v.check(
            self.crew.iter().all(|c| seen.insert(c.person_id)),
            "crew",
            "appears more than once",
        );
        for role in [CrewRole::Pic, CrewRole::Instructor, CrewRole::Student] {
            v.check(
                self.crew.iter().filter(|c| c.role == role).count() <= 1,
                "crew",
                "has at most one pic, one instructor and one student",
            );
        }
        v.check(
            self.crew.iter().any(|c| {
                matches!(
                    c.role,
                    CrewRole::Pic | CrewRole::Student | CrewRole::Instructor
                )
            }),
            "crew",
            "a crew needs a pic, a student or an instructor",
        );
        v.check(
            self.fuel_uplift
                .as_ref()
                .is_none_or(|f| (0.0..=100_000.0).contains(&f.quantity)),
            "fuel_uplift.quantity",
            "must be between 0 and 100000",
        );
    }
}
