//! Fleet: aircraft (with their airworthiness, computed by the maintenance domain), aircraft
//! types, simulators, and the meter readings history with audited corrections.

pub mod api;
pub mod dto;
pub mod meters;
pub(crate) mod repo;
pub mod simulators;
pub mod types;
