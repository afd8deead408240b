//! Maintenance: inspection programmes with their due computation (`due.rs`, pure), squawks,
//! MEL deferrals, the maintenance log with mechanic sign-off, and airworthiness
//! (`airworthiness.rs`), the one place that decides whether an aircraft may fly.

pub mod airworthiness;
pub mod dto;
pub mod due;
pub mod inspections;
pub mod logs;
pub mod mel;
pub mod squawks;
