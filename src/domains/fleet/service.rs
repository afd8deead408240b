//! The fleet domain's interface to other domains: reading an aircraft and recording a meter
//! reading (scheduling's check-in). Other domains import only this module.

pub use super::repo::{NewReading, get_aircraft, record_reading};
