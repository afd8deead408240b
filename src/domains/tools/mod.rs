//! Tools: notes, tasks, call logs, attachments, calendar events, reviews.

pub mod api;
pub mod attachments;
pub mod calls;
pub mod dto;
pub mod events;
mod files;
mod repo;
pub mod reviews;
pub mod tasks;
