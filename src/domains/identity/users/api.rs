//! The handlers of `/api/v1/users` and `/api/v1/users/{id}` (API.md §3, §6).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::super::dto::{RoleAssignment, User, UserCreate, UserPage, UserUpdate};
use super::super::repo::{self, UserFilter};
use super::guards::{
    ACTIVE_USERS_LIMIT, changed, check_grantable, check_outranks, keep_an_admin, load, valid_email,
};
use super::update::update_user;
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::auth::password::check_policy;
use crate::auth::tokens::{self, Purpose};
use crate::error::{AppError, FieldError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::mail::{self, Link, LinkKind};
use crate::state::AppState;
use crate::tenancy::limits;

pub struct UsersApi;

#[derive(ApiResponse)]
enum UserCreated {
    /// The user as stored.
    #[oai(status = 201)]
    Created(Json<User>),
}

#[OpenApi(prefix_path = "/api/v1/users", tag = "super::Tag::Users")]
impl UsersApi {
    /// List users, with keyset pagination.
    ///
    /// Permission: `users.read`. Filters: `role` (role id), `team` (team id), `active`,
    /// `search` (part of the name or e-mail, case-insensitive).
    #[oai(path = "/", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented query filter"
    )]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        role: Query<Option<Uuid>>,
        team: Query<Option<Uuid>>,
        active: Query<Option<bool>>,
        search: Query<Option<String>>,
    ) -> Result<Json<UserPage>> {
        ctx.require(super::USERS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        if search.0.as_ref().is_some_and(|s| s.chars().count() > 200) {
            return Err(AppError::validation(
                "search",
                "must be at most 200 characters",
            ));
        }
        let filter = UserFilter {
            role: role.0,
            team: team.0,
            active: active.0,
            search: search.0.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        };
        let mut tx = ctx.begin().await?;
        let rows = repo::list_users(&mut tx, &filter, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |u| u.id);
        Ok(Json(UserPage { items, next_cursor }))
    }

    /// Create a user. Without `password` the user is invited: an e-mail carries a link to
    /// `<public_url>/set-password?tenant=<slug>&token=<token>` (valid 7 days), consumed by
    /// `POST /api/v1/auth/password-reset/confirm`. E-mail addresses are unique per organisation,
    /// case-insensitively (`409`).
    ///
    /// Permission: `users.manage`; the roles given must not grant more than the caller holds.
    /// Audited as `user.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        body: JsonBody<UserCreate>,
    ) -> Result<UserCreated> {
        let p = &ctx;
        p.require(super::USERS_MANAGE)?;
        let mut errors = Vec::new();
        let email = body.email.trim().to_owned();
        if !valid_email(&email) {
            errors.push(FieldError::new("email", "must be an e-mail address"));
        }
        if body.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be blank"));
        }
        if let Some(Err(m)) = body.password.as_deref().map(check_policy) {
            errors.push(FieldError::new("password", m));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let hash = match &body.password {
            Some(pw) => Some(state.passwords.hash(pw).await?),
            None => None,
        };
        let mut tx = p.begin().await?;
        limits::guard(&mut tx, &p.tenant, &ACTIVE_USERS_LIMIT).await?;
        let role_ids = body.role_ids.clone().unwrap_or_default();
        check_grantable(&mut tx, p, &role_ids).await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into users (id, email, name, password_hash, phone, department, position, avatar_url)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(&email)
        .bind(body.name.trim())
        .bind(&hash)
        .bind(&body.phone)
        .bind(&body.department)
        .bind(&body.position)
        .bind(&body.avatar_url)
        .execute(&mut *tx)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => AppError::Conflict {
                code: "conflict",
                detail: "a user with this e-mail already exists".into(),
                field: Some("email".into()),
            },
            other => other,
        })?;
        repo::set_roles(&mut tx, id.into(), &role_ids).await?;
        if hash.is_none() {
            let token = tokens::issue_one_time(&mut tx, id, Purpose::Invitation).await?;
            let link = Link {
                kind: LinkKind::Invitation,
                public_url: &state.settings.server.public_url,
                tenant_slug: &p.tenant.slug,
                tenant_name: &p.tenant.name,
                token: &token,
            };
            mail::enqueue(&mut tx, &link.email(&email, body.name.trim())).await?;
        }
        let user = load(&mut tx, id.into()).await?;
        audit::created(&mut tx, p.into(), "user.created", "user", id, &user).await?;
        tx.commit().await?;
        state.mail.nudge();
        Ok(UserCreated::Created(Json(user)))
    }

    /// Get a user. Permission: `users.read`, or none for one's own record.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<crate::kernel::UserId>) -> Result<Json<User>> {
        if ctx.user_id != id.0 {
            ctx.require(super::USERS_READ)?;
        }
        let mut tx = ctx.begin().await?;
        let user = load(&mut tx, id.0).await?;
        tx.end_read();
        Ok(Json(user))
    }

    /// Update a user partially.
    ///
    /// Permission: `users.manage`; without it, a user may update their own `name`, `phone`,
    /// `department`, `position`, `avatar_url` and `preferences`. Deactivating ends the user's
    /// sessions at once. Changing `is_active` or `role_ids` also needs every permission the user
    /// holds (`403`). Nobody can deactivate themselves or remove the last active administrator
    /// (`409 last-admin`). Audited as `user.updated` (and `user.roles_changed`).
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<crate::kernel::UserId>,
        body: JsonBody<UserUpdate>,
    ) -> Result<Json<User>> {
        update_user(&state, &ctx, id.0, &body).await.map(Json)
    }

    /// Same as `PATCH` (the seed documents name `PUT`). Permission: `users.manage`.
    #[oai(path = "/:id", method = "put")]
    async fn replace(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<crate::kernel::UserId>,
        body: JsonBody<UserUpdate>,
    ) -> Result<Json<User>> {
        update_user(&state, &ctx, id.0, &body).await.map(Json)
    }

    /// Delete a user.
    ///
    /// Their notes stay (author cleared); audit rows stay. A user with flights, a logbook or
    /// certificates on record is kept (`409 user-has-records`): deactivate them instead.
    ///
    /// Permission: `users.manage`, and every permission the user holds (`403` otherwise). Not
    /// oneself; not the last active administrator. Audited as `user.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<crate::kernel::UserId>,
    ) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::USERS_MANAGE)?;
        let mut tx = p.begin().await?;
        let user = load(&mut tx, id.0).await?;
        if user.id == p.user_id {
            return Err(AppError::Conflict {
                code: "conflict",
                detail: "you cannot delete yourself".into(),
                field: None,
            });
        }
        check_outranks(&mut tx, p, &user).await?;
        keep_an_admin(&mut tx, &user, false).await?;
        let deleted = sqlx::query("delete from users where id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await;
        if let Err(sqlx::Error::Database(e)) = &deleted
            && e.code().as_deref() == Some("23503")
        {
            // A restricting reference: flights flown, a logbook, certificates (kept records).
            return Err(AppError::Conflict {
                code: "user-has-records",
                detail: "the user has flights, a logbook or certificates on record, which are \
                         kept: deactivate the user instead"
                    .into(),
                field: None,
            });
        }
        deleted?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "user.deleted",
                resource_type: "user",
                resource_id: Some(user.id.to_string()),
                before: audit::snapshot(&user),
                after: None,
            },
        )
        .await?;
        changed(&state, tx, p.tenant.id).await?;
        Ok(NoContent::NoContent)
    }

    /// Replace a user's roles with exactly `role_ids`.
    ///
    /// Permission: `users.manage`; the roles must not grant more than the caller holds, and the
    /// caller must hold every permission the user holds now.
    /// Audited as `user.roles_changed` with the old and new role ids.
    #[oai(path = "/:id/roles", method = "put")]
    async fn set_roles(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<crate::kernel::UserId>,
        body: JsonBody<RoleAssignment>,
    ) -> Result<Json<User>> {
        let update = UserUpdate {
            name: None,
            is_active: None,
            role_ids: Some(body.0.role_ids),
            phone: MaybeUndefined::Undefined,
            department: MaybeUndefined::Undefined,
            position: MaybeUndefined::Undefined,
            avatar_url: MaybeUndefined::Undefined,
            preferences: None,
        };
        ctx.require(super::USERS_MANAGE)?;
        update_user(&state, &ctx, id.0, &update).await.map(Json)
    }

    /// Unlock an account locked after too many failed logins.
    ///
    /// Permission: `users.manage`. Audited as `user.unlocked`.
    #[oai(path = "/:id/unlock", method = "post")]
    async fn unlock(&self, ctx: TenantCtx, id: Path<crate::kernel::UserId>) -> Result<Json<User>> {
        let p = &ctx;
        p.require(super::USERS_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = load(&mut tx, id.0).await?;
        sqlx::query("update users set failed_logins = 0, locked_until = null where id = $1")
            .bind(before.id)
            .execute(&mut *tx)
            .await?;
        let after = load(&mut tx, before.id).await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "user.unlocked",
                resource_type: "user",
                resource_id: Some(before.id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
