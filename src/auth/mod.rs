//! Identity: passwords, access tokens, the authenticated [`Principal`], the permission
//! catalogue, and the login endpoints.

pub mod api;
pub mod jwt;
pub mod password;
pub mod permissions;
mod principal;

pub use principal::{Auth, Principal, RequestMeta};
