//! Identity: users, roles, the permission catalogue, teams, and what a user owns (sessions, API
//! keys). Mounted under `/api/v1/users`.

pub mod dto;
pub mod me;
mod repo;
pub mod roles;
pub mod teams;
pub mod users;

use poem_openapi::Tags;

use crate::kernel::manifest::{Manifest, Permission};
use crate::kernel::roles::{charter, fbo, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Users, roles, permissions, teams, and each user's own sessions and API keys.
    Users,
}

/// The APIs of this domain, in the order the OpenAPI document lists them.
pub type Apis = (me::MeApi, roles::RolesApi, teams::TeamsApi, users::UsersApi);

pub fn apis() -> Apis {
    (me::MeApi, roles::RolesApi, teams::TeamsApi, users::UsersApi)
}

pub const MANIFEST: Manifest = Manifest {
    name: "identity",
    prefixes: &["/api/v1/users"],
    flags: &[],
    permissions: &[USERS_READ, USERS_MANAGE, ROLES_MANAGE, TEAMS_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[users::ACTIVE_USERS_LIMIT],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// List and view users, roles and teams.
pub const USERS_READ: Permission = Permission::new(
    "users.read",
    "List and view users, roles and teams",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STAFF,
        school::TRAINER,
        charter::DISPATCHER,
        fbo::LINE_MANAGER,
    ],
);
/// Create, update, deactivate users; assign roles; unlock accounts.
pub const USERS_MANAGE: Permission = Permission::new(
    "users.manage",
    "Create, update, deactivate users; assign roles; unlock accounts",
    &[school::ORGANIZATION_ADMIN],
);
/// Create, update and delete custom roles.
pub const ROLES_MANAGE: Permission = Permission::new(
    "roles.manage",
    "Create, update and delete custom roles",
    &[],
);
/// Create, update and delete teams and their members.
pub const TEAMS_MANAGE: Permission = Permission::new(
    "teams.manage",
    "Create, update and delete teams and their members",
    &[school::ORGANIZATION_ADMIN],
);
