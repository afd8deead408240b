//! Tools: notes, tasks, call logs (attachments, events and reviews follow).

pub mod api;
pub mod calls;
pub mod dto;
mod repo;
pub mod tasks;
