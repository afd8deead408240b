//! `/api/v1/users` and `/api/v1/users/{id}` (API.md §3, §6).

mod api;
mod guards;
mod update;

pub use api::UsersApi;
pub use guards::ACTIVE_USERS_LIMIT;

// The domain's tag and permissions, so that the handlers still name them `super::...`.
use super::{Tag, USERS_MANAGE, USERS_READ};
