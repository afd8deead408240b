//! Tools: notes, tasks, call logs, reviews (attachments and events follow).

pub mod api;
pub mod calls;
pub mod dto;
mod repo;
pub mod reviews;
pub mod tasks;
