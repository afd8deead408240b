//! `/api/v1/users/roles` and `/api/v1/users/permissions`.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{Permission, PermissionPage, Role, RoleCreate, RolePage, RoleUpdate};
use super::repo;
use crate::audit;
use crate::auth::access::{self, Invalidation};
use crate::auth::{Principal, TenantCtx};
use crate::domains::CATALOG;
use crate::error::{AppError, FieldError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;
use crate::state::AppState;

/// Roles: the plain get.
const ROLE: Record = Record {
    table: "roles",
    kind: "role",
    noun: "role",
};

pub struct RolesApi;

#[derive(ApiResponse)]
enum RoleCreated {
    #[oai(status = 201)]
    Created(Json<Role>),
}

/// Every name must be in the catalogue, and held by the caller (no escalation through roles).
fn check_permissions(p: &Principal, perms: &[String]) -> Result<Vec<String>> {
    let errors: Vec<FieldError> = perms
        .iter()
        .enumerate()
        .filter(|(_, name)| !CATALOG.is_permission(name))
        .map(|(i, name)| {
            FieldError::new(
                format!("permissions[{i}]"),
                format!("`{name}` is not a permission"),
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if let Some(missing) = perms.iter().find(|perm| !p.holds(perm)) {
        return Err(AppError::Forbidden(format!(
            "you cannot grant `{missing}`, which you do not hold"
        )));
    }
    let mut v = perms.to_vec();
    v.sort();
    v.dedup();
    Ok(v)
}

fn name_taken() -> AppError {
    AppError::Conflict {
        code: "conflict",
        detail: "a role with this name already exists".into(),
        field: Some("name".into()),
    }
}

#[OpenApi(prefix_path = "/api/v1/users", tag = "super::Tag::Users")]
impl RolesApi {
    /// The permission catalogue: every permission a role can grant, in catalogue order, paged
    /// like any list. Any authenticated user.
    #[oai(path = "/permissions", method = "get")]
    async fn permissions(
        &self,
        _ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<PermissionPage>> {
        let all: Vec<Permission> = CATALOG
            .permissions()
            .map(|p| Permission {
                name: p.name.into(),
                description: p.description.into(),
            })
            .collect();
        let (items, next_cursor) =
            page::of_list(all, limit.0, cursor.0.as_deref(), |p| p.name.as_str())?;
        Ok(Json(PermissionPage { items, next_cursor }))
    }

    /// List roles. Permission: `users.read`.
    #[oai(path = "/roles", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<RolePage>> {
        ctx.require(super::USERS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let rows = repo::list_roles(&mut tx, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |r| r.id);
        Ok(Json(RolePage { items, next_cursor }))
    }

    /// Create a custom role. Permission: `roles.manage`; it cannot grant what the caller does
    /// not hold. Audited as `role.created`.
    #[oai(path = "/roles", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<RoleCreate>) -> Result<RoleCreated> {
        let p = &ctx;
        p.require(super::ROLES_MANAGE)?;
        if body.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        let perms = check_permissions(p, &body.permissions)?;
        let mut tx = p.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into roles (id, name, description, permissions) values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(body.name.trim())
        .bind(&body.description)
        .bind(&perms)
        .execute(&mut *tx)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => name_taken(),
            other => other,
        })?;
        let role = repo::get_role(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("role"))?;
        audit::created(&mut tx, p.into(), "role.created", "role", id, &role).await?;
        tx.commit().await?;
        Ok(RoleCreated::Created(Json(role)))
    }

    /// Get a role. Permission: `users.read`.
    #[oai(path = "/roles/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Role>> {
        ROLE.get(&ctx, super::USERS_READ, async |c| {
            repo::get_role(c, id.0).await
        })
        .await
    }

    /// Update a role. Takes effect for its users at once, on every replica. The system `admin`
    /// role always grants everything: its permissions cannot be changed.
    ///
    /// Permission: `roles.manage`. Audited as `role.updated` with before and after.
    #[oai(path = "/roles/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<RoleUpdate>,
    ) -> Result<Json<Role>> {
        let p = &ctx;
        p.require(super::ROLES_MANAGE)?;
        if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        let perms = body
            .permissions
            .as_deref()
            .map(|perms| check_permissions(p, perms))
            .transpose()?;
        let mut tx = p.begin().await?;
        let before = repo::get_role(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("role"))?;
        if before.is_system && before.name == "admin" && (perms.is_some() || body.name.is_some()) {
            return Err(AppError::Conflict {
                code: "system-role",
                detail: "the admin role's name and permissions are fixed".into(),
                field: None,
            });
        }
        if before.is_system && body.name.is_some() {
            return Err(AppError::Conflict {
                code: "system-role",
                detail: "system roles cannot be renamed".into(),
                field: None,
            });
        }
        let description = match &body.description {
            MaybeUndefined::Value(d) => Some(d.clone()),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.description.clone(),
        };
        sqlx::query("update roles set name = $2, description = $3, permissions = $4 where id = $1")
            .bind(before.id)
            .bind(body.name.as_deref().map(str::trim).unwrap_or(&before.name))
            .bind(description)
            .bind(perms.as_ref().unwrap_or(&before.permissions))
            .execute(&mut *tx)
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict { .. } => name_taken(),
                other => other,
            })?;
        let after = repo::get_role(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("role"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "role.updated",
            "role",
            before.id,
            &before,
            &after,
        )
        .await?;
        access::notify(&mut tx, Invalidation::Tenant(p.tenant.id)).await?;
        tx.commit().await?;
        state.access.invalidate(Invalidation::Tenant(p.tenant.id));
        Ok(Json(after))
    }

    /// Delete a custom role; its users lose it at once. System roles cannot be deleted
    /// (`409 system-role`).
    ///
    /// Permission: `roles.manage`. Audited as `role.deleted`.
    #[oai(path = "/roles/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::ROLES_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = repo::get_role(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("role"))?;
        if before.is_system {
            return Err(AppError::Conflict {
                code: "system-role",
                detail: "system roles cannot be deleted".into(),
                field: None,
            });
        }
        audit::delete_recorded(
            &mut tx,
            p.into(),
            "roles",
            "role.deleted",
            "role",
            before.id,
            &before,
        )
        .await?;
        access::notify(&mut tx, Invalidation::Tenant(p.tenant.id)).await?;
        tx.commit().await?;
        state.access.invalidate(Invalidation::Tenant(p.tenant.id));
        Ok(NoContent::NoContent)
    }
}
