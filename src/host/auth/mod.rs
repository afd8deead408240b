//! Identity: passwords, access tokens, the authenticated [`Principal`] and how its permissions
//! are checked, and the login endpoints. (The permission catalogue is the domains' manifests.)

pub mod access;
pub mod api;
mod context;
pub mod jwt;
pub mod password;
mod principal;
pub mod tokens;

pub use context::TenantCtx;
pub use principal::{API_KEY_PREFIX, Auth, Credential, Principal, RequestMeta};

/// A role as a user's record shows it.
#[derive(poem_openapi::Object, Clone, Debug, serde::Serialize)]
pub struct RoleRef {
    pub id: uuid::Uuid,
    pub name: String,
}
