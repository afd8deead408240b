//! Tools: notes (and, later, tasks, call logs, attachments, events, reviews).

pub mod api;
pub mod dto;
mod repo;
