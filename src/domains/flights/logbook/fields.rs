//! What an entry holds that a person writes ([`Fields`]): built from a create body, changed by
//! an update, parsed from an import row, and checked in one place ([`Fields::check`]) with the
//! same rules as the table's CHECK constraints, so a bad entry is a `422` naming its field.

use chrono::NaiveDate;
use poem_openapi::types::MaybeUndefined;

use super::dto::{
    AircraftClass, Approach, Category, LogbookEntry, LogbookEntryCreate, LogbookEntryUpdate,
    Minutes, SimulatorKind,
};
use crate::error::Checks;
use crate::kernel::units::merge;
use crate::kernel::{AircraftId, UserId};

/// The written part of a logbook entry (everything but ids, signature, source and times kept
/// by the database).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    pub date: NaiveDate,
    pub aircraft_id: Option<AircraftId>,
    pub registration: Option<String>,
    pub type_code: Option<String>,
    pub category: Option<Category>,
    pub class: Option<AircraftClass>,
    pub tailwheel: bool,
    pub type_rating_required: bool,
    pub departure: Option<String>,
    pub destination: Option<String>,
    pub stops: Vec<String>,
    pub minutes: Minutes,
    pub simulator_kind: Option<SimulatorKind>,
    pub day_landings: i32,
    pub day_full_stop_landings: i32,
    pub night_full_stop_landings: i32,
    pub approaches: i32,
    pub approach_details: Vec<Approach>,
    pub holds: i32,
    pub intercept_track: bool,
    pub ipc: bool,
    pub flight_review: bool,
    pub instructor_id: Option<UserId>,
    pub remarks: Option<String>,
}

/// Upper case (the identifier rules below then refuse anything but letters, digits and `-`).
fn ident(s: Option<&str>) -> Option<String> {
    s.map(str::to_ascii_uppercase)
}

/// A location identifier: ICAO, IATA or local, 2-7 letters or digits.
pub fn is_location(s: &str) -> bool {
    (2..=7).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn is_registration(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=10).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'-')
}

fn is_type_code(s: &str) -> bool {
    (2..=4).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// [`ident`] of a partial update's value: blank clears.
fn ident_update(v: &MaybeUndefined<String>) -> MaybeUndefined<String> {
    match v {
        MaybeUndefined::Value(s) => MaybeUndefined::Value(s.to_ascii_uppercase()),
        MaybeUndefined::Null => MaybeUndefined::Null,
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    }
}

impl Fields {
    pub fn from_create(b: &LogbookEntryCreate) -> Self {
        Fields {
            date: b.date,
            aircraft_id: b.aircraft_id,
            registration: ident(b.registration.as_deref()),
            type_code: ident(b.type_code.as_deref()),
            category: b.category,
            class: b.class,
            tailwheel: b.tailwheel.unwrap_or(false),
            type_rating_required: b.type_rating_required.unwrap_or(false),
            departure: ident(b.departure.as_deref()),
            destination: ident(b.destination.as_deref()),
            stops: b
                .stops
                .iter()
                .flatten()
                .map(|s| s.to_ascii_uppercase())
                .collect(),
            minutes: b.minutes.clone(),
            simulator_kind: b.simulator_kind,
            day_landings: b.day_landings.unwrap_or(0),
            day_full_stop_landings: b.day_full_stop_landings.unwrap_or(0),
            night_full_stop_landings: b.night_full_stop_landings.unwrap_or(0),
            approaches: b.approaches.unwrap_or(0),
            approach_details: b.approach_details.clone().unwrap_or_default(),
            holds: b.holds.unwrap_or(0),
            intercept_track: b.intercept_track.unwrap_or(false),
            ipc: b.ipc.unwrap_or(false),
            flight_review: b.flight_review.unwrap_or(false),
            instructor_id: b.instructor_id,
            remarks: b.remarks.clone().filter(|r| !r.trim().is_empty()),
        }
    }

    pub fn of_entry(e: &LogbookEntry) -> Self {
        Fields {
            date: e.date,
            aircraft_id: e.aircraft_id,
            registration: e.registration.clone(),
            type_code: e.type_code.clone(),
            category: e.category,
            class: e.class,
            tailwheel: e.tailwheel,
            type_rating_required: e.type_rating_required,
            departure: e.departure.clone(),
            destination: e.destination.clone(),
            stops: e.stops.clone(),
            minutes: e.minutes.clone(),
            simulator_kind: e.simulator_kind,
            day_landings: e.day_landings,
            day_full_stop_landings: e.day_full_stop_landings,
            night_full_stop_landings: e.night_full_stop_landings,
            approaches: e.approaches,
            approach_details: e.approach_details.clone(),
            holds: e.holds,
            intercept_track: e.intercept_track,
            ipc: e.ipc,
            flight_review: e.flight_review,
            instructor_id: e.instructor_id,
            remarks: e.remarks.clone(),
        }
    }

    /// Applies a partial update.
    pub fn apply(&mut self, u: &LogbookEntryUpdate) {
        if let Some(d) = u.date {
            self.date = d;
        }
        merge(&mut self.aircraft_id, &u.aircraft_id);
        merge(&mut self.registration, &ident_update(&u.registration));
        merge(&mut self.type_code, &ident_update(&u.type_code));
        merge(&mut self.category, &u.category);
        merge(&mut self.class, &u.class);
        merge(&mut self.departure, &ident_update(&u.departure));
        merge(&mut self.destination, &ident_update(&u.destination));
        merge(&mut self.simulator_kind, &u.simulator_kind);
        merge(&mut self.instructor_id, &u.instructor_id);
        merge(&mut self.remarks, &u.remarks);
        if let Some(s) = &u.stops {
            self.stops = s.iter().map(|s| s.to_ascii_uppercase()).collect();
        }
        if let Some(m) = &u.minutes {
            self.minutes = m.clone();
        }
        if let Some(d) = &u.approach_details {
            self.approach_details = d.clone();
        }
        let set = |field: &mut i32, v: Option<i32>| *field = v.unwrap_or(*field);
        set(&mut self.day_landings, u.day_landings);
        set(&mut self.day_full_stop_landings, u.day_full_stop_landings);
        set(
            &mut self.night_full_stop_landings,
            u.night_full_stop_landings,
        );
        set(&mut self.approaches, u.approaches);
        set(&mut self.holds, u.holds);
        let flag = |field: &mut bool, v: Option<bool>| *field = v.unwrap_or(*field);
        flag(&mut self.tailwheel, u.tailwheel);
        flag(&mut self.type_rating_required, u.type_rating_required);
        flag(&mut self.intercept_track, u.intercept_track);
        flag(&mut self.ipc, u.ipc);
        flag(&mut self.flight_review, u.flight_review);
    }

    /// Every rule of the table's CHECK constraints, each failure naming its field.
    pub fn check(&self, v: &mut Checks) {
        let m = &self.minutes;
        let opt = |s: &Option<String>, f: fn(&str) -> bool| s.as_deref().is_none_or(f);
        v.check(
            opt(&self.registration, is_registration),
            "registration",
            "must be 2 to 10 letters, digits or `-`",
        );
        v.check(
            opt(&self.type_code, is_type_code),
            "type_code",
            "must be an ICAO type designator (2 to 4 letters or digits)",
        );
        v.check(
            opt(&self.departure, is_location),
            "departure",
            "must be an airport identifier of 2 to 7 letters or digits",
        );
        v.check(
            opt(&self.destination, is_location),
            "destination",
            "must be an airport identifier of 2 to 7 letters or digits",
        );
        v.check(
            self.stops.len() <= 20 && self.stops.iter().all(|s| is_location(s)),
            "stops",
            "must be at most 20 airport identifiers of 2 to 7 letters or digits",
        );
        let all = [
            m.total,
            m.pic,
            m.sic,
            m.dual_received,
            m.dual_given,
            m.solo,
            m.cross_country,
            m.night,
            m.actual_instrument,
            m.simulated_instrument,
            m.simulator,
            m.ground_training,
        ];
        v.check(
            all.iter().all(|t| (0..=6_000_000).contains(t)),
            "minutes",
            "every time must be between 0 and 6000000 minutes",
        );
        for (field, t) in [
            ("minutes.pic", m.pic),
            ("minutes.sic", m.sic),
            ("minutes.solo", m.solo),
            ("minutes.cross_country", m.cross_country),
            ("minutes.night", m.night),
            ("minutes.actual_instrument", m.actual_instrument),
        ] {
            v.check(t <= m.total, field, "must not exceed minutes.total");
        }
        let flown = i64::from(m.total) + i64::from(m.simulator);
        for (field, t) in [
            ("minutes.dual_received", m.dual_received),
            ("minutes.dual_given", m.dual_given),
        ] {
            v.check(
                i64::from(t) <= flown,
                field,
                "must not exceed minutes.total plus minutes.simulator",
            );
        }
        v.check(
            i64::from(m.simulated_instrument) + i64::from(m.actual_instrument) <= flown,
            "minutes.simulated_instrument",
            "must not exceed minutes.total plus minutes.simulator (with minutes.actual_instrument)",
        );
        v.check(
            i64::from(m.solo) + i64::from(m.dual_received) <= flown,
            "minutes.solo",
            "must not exceed minutes.total plus minutes.simulator (with minutes.dual_received: solo is flown alone)",
        );
        v.check(
            (m.simulator > 0) == self.simulator_kind.is_some(),
            "simulator_kind",
            "is required with minutes.simulator, and only then",
        );
        v.check(
            self.day_full_stop_landings <= self.day_landings,
            "day_full_stop_landings",
            "must not exceed day_landings",
        );
        let counted: i32 = self.approach_details.iter().map(|a| a.count).sum();
        v.check(
            counted <= self.approaches,
            "approach_details",
            "must not exceed approaches (their counts added up)",
        );
        for (i, a) in self.approach_details.iter().enumerate() {
            v.check(
                a.airport.as_deref().is_none_or(is_location),
                &format!("approach_details[{i}].airport"),
                "must be an airport identifier of 2 to 7 letters or digits",
            );
        }
        v.check(
            self.remarks
                .as_ref()
                .is_none_or(|r| r.chars().count() <= 10000),
            "remarks",
            "must be at most 10000 characters",
        );
    }
}
