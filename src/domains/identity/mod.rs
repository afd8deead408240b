//! Identity: users, roles, the permission catalogue, teams, and what a user owns (sessions, API
//! keys). Mounted under `/api/v1/users`.

pub mod dto;
pub mod me;
mod repo;
pub mod roles;
pub mod teams;
pub mod users;
