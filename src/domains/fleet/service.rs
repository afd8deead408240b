//! The fleet domain's interface to other domains: reading an aircraft and recording a meter
//! reading (scheduling's check-in), and the category and class vocabulary (the flights domain's
//! logbook speaks the same). Other domains import only this module.

pub use super::dto::{AircraftClass, Category};
pub use super::repo::{NewReading, get_aircraft, record_reading};
