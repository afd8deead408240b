//! The maintenance domain's interface to other domains: whether an aircraft may fly
//! (`airworthiness`, which fleet shows and scheduling's dispatch rules use), when inspections
//! fall due (`due`), and squawks raised elsewhere (a check-in's discrepancy). Other domains
//! import only this module; the rest of the folder is this domain's own.

pub use super::airworthiness;
pub use super::due;
pub use super::squawks::{NewSquawk, Severity, insert as insert_squawk};
