//! Request and response objects of the identity domain.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde_json::Value;
use uuid::Uuid;

/// Defined with the current user's view (`GET /api/v1/auth/me`), below the domains.
pub use crate::auth::RoleRef;
use crate::auth::password::Password;

/// A user of this organisation.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct User {
    pub id: crate::kernel::UserId,
    pub email: String,
    pub name: String,
    pub is_active: bool,
    pub email_verified: bool,
    /// True while the account is locked after too many failed logins.
    pub locked: bool,
    /// False for an invited user who has not set a password yet.
    pub has_password: bool,
    pub phone: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub avatar_url: Option<String>,
    /// Free-form user preferences (UI settings and the like).
    pub preferences: Value,
    pub roles: Vec<RoleRef>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new user. Without `password`, the user receives an invitation e-mail with a link to set one.
#[derive(Object)]
pub struct UserCreate {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    /// Omit to send an invitation instead.
    pub password: Option<Password>,
    pub role_ids: Option<Vec<Uuid>>,
    #[oai(validator(max_length = 50))]
    pub phone: Option<String>,
    #[oai(validator(max_length = 100))]
    pub department: Option<String>,
    #[oai(validator(max_length = 100))]
    pub position: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub avatar_url: Option<String>,
}

/// A partial update. `is_active` and `role_ids` need `users.manage`; a user may change their own
/// profile fields without it. `null` clears an optional field.
#[derive(Object)]
pub struct UserUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    pub is_active: Option<bool>,
    pub role_ids: Option<Vec<Uuid>>,
    #[oai(validator(max_length = 50))]
    pub phone: MaybeUndefined<String>,
    #[oai(validator(max_length = 100))]
    pub department: MaybeUndefined<String>,
    #[oai(validator(max_length = 100))]
    pub position: MaybeUndefined<String>,
    #[oai(validator(max_length = 2000))]
    pub avatar_url: MaybeUndefined<String>,
    /// Replaces the preferences object.
    pub preferences: Option<std::collections::BTreeMap<String, Value>>,
}

#[derive(Object)]
pub struct UserPage {
    pub items: Vec<User>,
    pub next_cursor: Option<String>,
}

/// `PUT /api/v1/users/{id}/roles`: the complete set of roles the user should have.
#[derive(Object)]
pub struct RoleAssignment {
    pub role_ids: Vec<Uuid>,
}

/// A role: a named set of permissions.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Role {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    /// Seeded for the organisation's kind; cannot be deleted.
    pub is_system: bool,
    pub users_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct RoleCreate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    /// Names from `GET /api/v1/users/permissions`.
    #[oai(validator(max_items = 200))]
    pub permissions: Vec<String>,
}

#[derive(Object)]
pub struct RoleUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub description: MaybeUndefined<String>,
    #[oai(validator(max_items = 200))]
    pub permissions: Option<Vec<String>>,
}

#[derive(Object)]
pub struct RolePage {
    pub items: Vec<Role>,
    pub next_cursor: Option<String>,
}

/// One permission of the catalogue.
#[derive(Object)]
pub struct Permission {
    pub name: String,
    pub description: String,
}

#[derive(Object)]
pub struct PermissionPage {
    pub items: Vec<Permission>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub members_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct TeamCreate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
}

#[derive(Object)]
pub struct TeamUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub description: MaybeUndefined<String>,
}

#[derive(Object)]
pub struct TeamPage {
    pub items: Vec<Team>,
    pub next_cursor: Option<String>,
}

#[derive(Object)]
pub struct TeamMemberAdd {
    pub user_id: Uuid,
}

#[derive(Object)]
pub struct TeamMember {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct TeamMemberPage {
    pub items: Vec<TeamMember>,
    pub next_cursor: Option<String>,
}

/// A login session of the current user.
#[derive(Object)]
pub struct Session {
    pub id: Uuid,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// True for the session this request belongs to.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct SessionPage {
    pub items: Vec<Session>,
    pub next_cursor: Option<String>,
}

/// An API key as listed (the secret is never shown again).
#[derive(Object)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// `flk_<prefix>_...`: identifies the key in logs and lists.
    pub prefix: String,
    /// What the key may do (always a list): the permissions it was created with; at each use
    /// they are also cut to what the owner still holds.
    pub permissions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct ApiKeyCreate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    /// A subset of the caller's permissions; omit for all of them as they are now (a key used
    /// to create a key passes on at most its own).
    #[oai(validator(max_items = 200))]
    pub permissions: Option<Vec<String>>,
    /// Omit for a key that does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The new key. `key` is shown only in this response.
#[derive(Object)]
pub struct ApiKeyCreated {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    /// `flk_<prefix>_<secret>`: send as `Authorization: Bearer <key>`.
    pub key: String,
    /// The permissions the key was created with.
    pub permissions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Object)]
pub struct ApiKeyPage {
    pub items: Vec<ApiKey>,
    pub next_cursor: Option<String>,
}
