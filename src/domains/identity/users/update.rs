//! Changing a user (`PATCH` and `PUT /api/v1/users/{id}`): profile fields, activation, roles.

use std::collections::HashSet;

use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

use super::super::dto::{User, UserUpdate};
use super::super::repo;
use super::guards::{
    ACTIVE_USERS_LIMIT, changed, check_grantable, check_outranks, keep_an_admin, load,
};
use crate::audit;
use crate::auth::TenantCtx;
use crate::auth::tokens;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::tenancy::limits;

pub(super) async fn update_user(
    state: &AppState,
    p: &TenantCtx,
    id: crate::kernel::UserId,
    body: &UserUpdate,
) -> Result<User> {
    let admin_fields = body.is_active.is_some() || body.role_ids.is_some();
    if p.user_id != id || admin_fields {
        p.require(super::USERS_MANAGE)?;
    }
    if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(AppError::validation("name", "must not be blank"));
    }
    if body
        .preferences
        .as_ref()
        .is_some_and(|m| !m.values().all(crate::kernel::units::json_numbers_fit))
    {
        return Err(AppError::validation(
            "preferences",
            "holds a number beyond ±1e300",
        ));
    }
    let mut tx = p.begin().await?;
    let before = load(&mut tx, id).await?;
    if body.is_active == Some(false) && id == p.user_id {
        return Err(AppError::Conflict {
            code: "conflict",
            detail: "you cannot deactivate yourself".into(),
            field: None,
        });
    }
    if admin_fields {
        check_outranks(&mut tx, p, &before).await?;
    }
    if let Some(roles) = &body.role_ids {
        check_grantable(&mut tx, p, roles).await?;
    }
    let still_admin = match &body.role_ids {
        Some(roles) => {
            let admin_role: Option<Uuid> =
                sqlx::query_scalar("select id from roles where name = 'admin' and is_system")
                    .fetch_optional(&mut *tx)
                    .await?;
            admin_role.is_some_and(|a| roles.contains(&a))
        }
        None => true,
    } && body.is_active != Some(false);
    keep_an_admin(&mut tx, &before, still_admin).await?;
    if body.is_active == Some(true) && !before.is_active {
        limits::guard(&mut tx, &p.tenant, &ACTIVE_USERS_LIMIT).await?;
    }

    let opt = |m: &MaybeUndefined<String>, old: &Option<String>| match m {
        MaybeUndefined::Value(v) => Some(v.clone()),
        MaybeUndefined::Null => None,
        MaybeUndefined::Undefined => old.clone(),
    };
    sqlx::query(
        "update users set name = $2, is_active = $3, phone = $4, department = $5, position = $6,
             avatar_url = $7, preferences = $8
         where id = $1",
    )
    .bind(id)
    .bind(body.name.as_deref().map(str::trim).unwrap_or(&before.name))
    .bind(body.is_active.unwrap_or(before.is_active))
    .bind(opt(&body.phone, &before.phone))
    .bind(opt(&body.department, &before.department))
    .bind(opt(&body.position, &before.position))
    .bind(opt(&body.avatar_url, &before.avatar_url))
    .bind(
        body.preferences
            .clone()
            .map(|m| serde_json::Value::Object(m.into_iter().collect()))
            .as_ref()
            .unwrap_or(&before.preferences),
    )
    .execute(&mut *tx)
    .await?;
    if body.is_active == Some(false) && before.is_active {
        tokens::revoke_sessions(&mut tx, id.into(), None, "deactivated").await?;
    }
    if let Some(roles) = &body.role_ids {
        let old: HashSet<Uuid> = before.roles.iter().map(|r| r.id).collect();
        let new: HashSet<Uuid> = roles.iter().copied().collect();
        if old != new {
            repo::set_roles(&mut tx, id, roles).await?;
            audit::updated(
                &mut tx,
                p.into(),
                "user.roles_changed",
                "user",
                id,
                &old,
                &new,
            )
            .await?;
        }
    }
    let after = load(&mut tx, id).await?;
    audit::updated(
        &mut tx,
        p.into(),
        "user.updated",
        "user",
        id,
        &before,
        &after,
    )
    .await?;
    if admin_fields {
        changed(state, tx, p.tenant.id).await?;
    } else {
        tx.commit().await?;
    }
    Ok(after)
}
