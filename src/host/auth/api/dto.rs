//! The request and response bodies of `/api/v1/auth/*`.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use crate::auth::RoleRef;
use crate::auth::password::Password;
use crate::tenancy::TenantKind;

/// Credentials of a tenant user.
#[derive(Object)]
#[oai(example)]
pub struct LoginRequest {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 256))]
    pub password: String,
}

impl poem_openapi::types::Example for LoginRequest {
    fn example() -> Self {
        LoginRequest {
            email: "chief@alpine-flight.example".into(),
            password: "correct horse battery staple".into(),
        }
    }
}

/// A person registering themselves (`POST /api/v1/auth/register`).
#[derive(Object)]
#[oai(example)]
pub struct RegisterRequest {
    /// Their address; it receives the verification link. Compared case-insensitively; where
    /// the organisation limits registration to its e-mail domains, it must be in one of them.
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    /// At least 10 and at most 256 characters (the same policy as every password).
    pub password: Password,
    /// How the organisation addresses them.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
}

impl poem_openapi::types::Example for RegisterRequest {
    fn example() -> Self {
        RegisterRequest {
            email: "sam.student@alpine-flight.example".into(),
            password: "correct horse battery staple".into(),
            name: "Sam Student".into(),
        }
    }
}

/// An access token (JWT, bound to tenant and session) and an opaque refresh token.
#[derive(Object)]
pub struct TokenPair {
    pub access_token: String,
    /// Single use: `POST /api/v1/auth/refresh` spends it and returns a new pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Object)]
pub struct RefreshRequest {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub refresh_token: String,
}

#[derive(Object)]
pub struct ResetRequest {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
}

#[derive(Object)]
pub struct ResetConfirm {
    /// The token from the reset or invitation e-mail.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub token: String,
    pub new_password: Password,
}

#[derive(Object)]
pub struct VerifyEmail {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub token: String,
}

#[derive(Object)]
pub struct TenantRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: TenantKind,
}

/// The current user with roles and effective permissions.
#[derive(Object)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub is_active: bool,
    pub email_verified: bool,
    pub roles: Vec<RoleRef>,
    /// What this request's credential may do: the union of the user's roles, narrowed to the
    /// API key's own permissions when called with a key. Sorted.
    pub permissions: Vec<String>,
    pub tenant: TenantRef,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
