//! Identity: passwords, access tokens, the authenticated [`Principal`], the permission
//! catalogue, and the login endpoints.

pub mod access;
pub mod api;
pub mod jwt;
pub mod password;
mod principal;
pub mod tokens;

pub use principal::{API_KEY_PREFIX, Auth, Credential, Principal, RequestMeta};
