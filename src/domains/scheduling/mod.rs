//! Scheduling: bookings of aircraft, instructors and simulators (no double booking: exclusion
//! constraints), the dispatch rule engine (`rules.rs`), check-out and check-in, cancellations,
//! the waitlist, calendar views, instructor availability and opening hours. See
//! docs/scheduling.md.

pub mod api;
pub mod calendar;
pub mod checkin;
pub mod config;
pub mod dto;
pub mod feeds;
pub(crate) mod repo;
pub mod rules;
pub mod service;
pub mod waitlist;
