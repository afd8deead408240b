//! What a change to a user must pass (an e-mail's form, roles the caller may grant, a user the
//! caller outranks, an administrator kept, the plan's count of active users), and how a change
//! to access is committed and announced.

use uuid::Uuid;

use super::super::dto::User;
use super::super::repo;
use crate::auth::Principal;
use crate::auth::access::{self, Invalidation};
use crate::error::{AppError, Result};
use crate::kernel::manifest::CountedLimit;
use crate::state::AppState;
use crate::tenancy::TenantTx;

/// Counts the users a plan's limit applies to.
/// Active users per plan (`max_users` of the public plan list).
pub const ACTIVE_USERS_LIMIT: CountedLimit = CountedLimit {
    key: "users",
    count_sql: "select count(*) from users where is_active",
    per_plan: &[("trial", 10), ("starter", 15), ("professional", 75)],
};

pub(super) fn valid_email(email: &str) -> bool {
    crate::kernel::email::is_email(email)
}

/// Roles can only be handed out by someone who holds every permission they grant, so
/// `users.manage` cannot be turned into more than its holder has.
pub(super) async fn check_grantable(
    tx: &mut TenantTx,
    p: &Principal,
    role_ids: &[Uuid],
) -> Result<()> {
    // Kept: the permissions are needed anyway, and the error names `role_ids` (the foreign key
    // of user_roles would name `role_id`, and only after earlier writes).
    let (perms, all_exist) = repo::permissions_of_roles(tx, role_ids).await?;
    if !all_exist {
        return Err(AppError::validation(
            "role_ids",
            "names a role that does not exist",
        ));
    }
    if let Some(missing) = perms.iter().find(|perm| !p.holds(perm)) {
        return Err(AppError::Forbidden(format!(
            "you cannot grant a role with `{missing}`, which you do not hold"
        )));
    }
    Ok(())
}

/// Only someone who holds every permission `user` holds may change their roles, deactivate or
/// delete them: `users.manage` alone cannot demote or remove an administrator.
pub(super) async fn check_outranks(tx: &mut TenantTx, p: &Principal, user: &User) -> Result<()> {
    let roles: Vec<Uuid> = user.roles.iter().map(|r| r.id).collect();
    let (perms, _) = repo::permissions_of_roles(tx, &roles).await?;
    if let Some(missing) = perms.iter().find(|perm| !p.holds(perm)) {
        return Err(AppError::Forbidden(format!(
            "this user holds `{missing}`, which you do not; only someone who does may change \
             their roles, deactivate or delete them"
        )));
    }
    Ok(())
}

pub(super) async fn load(tx: &mut TenantTx, id: crate::kernel::UserId) -> Result<User> {
    repo::get_user(tx, id)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Refuses a change that would leave the organisation without an active administrator.
pub(super) async fn keep_an_admin(tx: &mut TenantTx, user: &User, still_admin: bool) -> Result<()> {
    let was_admin = user.is_active && repo::is_admin(tx, user.id).await?;
    if was_admin && !still_admin && repo::other_active_admins(tx, user.id).await? == 0 {
        return Err(AppError::Conflict {
            code: "last-admin",
            detail: "this is the last active administrator; appoint another one first".into(),
            field: None,
        });
    }
    Ok(())
}

pub(super) async fn changed(state: &AppState, tx: TenantTx, tenant: Uuid) -> Result<()> {
    let mut tx = tx;
    access::notify(&mut tx, Invalidation::Tenant(tenant)).await?;
    tx.commit().await?;
    state.access.invalidate(Invalidation::Tenant(tenant));
    Ok(())
}
