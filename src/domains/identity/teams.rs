//! `/api/v1/users/teams`: teams and their members.

use chrono::{DateTime, Utc};

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{
    Team, TeamCreate, TeamMember, TeamMemberAdd, TeamMemberPage, TeamPage, TeamUpdate,
};
use super::repo;
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;

/// Teams: plain get and delete.
const TEAM: Record = Record {
    table: "teams",
    kind: "team",
    noun: "team",
};

pub struct TeamsApi;

#[derive(ApiResponse)]
enum TeamCreated {
    #[oai(status = 201)]
    Created(Json<Team>),
}

#[derive(ApiResponse)]
enum MemberAdded {
    /// The membership.
    #[oai(status = 201)]
    Created(Json<TeamMember>),
}

fn name_taken(e: sqlx::Error) -> AppError {
    match AppError::from(e) {
        AppError::Conflict { .. } => AppError::Conflict {
            code: "conflict",
            detail: "a team with this name already exists".into(),
            field: Some("name".into()),
        },
        other => other,
    }
}

#[OpenApi(prefix_path = "/api/v1/users/teams", tag = "super::Tag::Users")]
impl TeamsApi {
    /// List teams. Permission: `users.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<TeamPage>> {
        ctx.require(super::USERS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let rows = repo::list_teams(&mut tx, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |t| t.id);
        Ok(Json(TeamPage { items, next_cursor }))
    }

    /// Create a team. Permission: `teams.manage`. Audited as `team.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<TeamCreate>) -> Result<TeamCreated> {
        let p = &ctx;
        p.require(super::TEAMS_MANAGE)?;
        if body.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query("insert into teams (id, name, description) values ($1, $2, $3)")
            .bind(id)
            .bind(body.name.trim())
            .bind(&body.description)
            .execute(&mut *tx)
            .await
            .map_err(name_taken)?;
        let team = repo::get_team(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("team"))?;
        audit::created(&mut tx, p.into(), "team.created", "team", id, &team).await?;
        tx.commit().await?;
        Ok(TeamCreated::Created(Json(team)))
    }

    /// Get a team. Permission: `users.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Team>> {
        TEAM.get(&ctx, super::USERS_READ, async |c| {
            repo::get_team(c, id.0).await
        })
        .await
    }

    /// Update a team. Permission: `teams.manage`. Audited as `team.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TeamUpdate>,
    ) -> Result<Json<Team>> {
        let p = &ctx;
        p.require(super::TEAMS_MANAGE)?;
        if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let before = repo::get_team(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("team"))?;
        let description = match &body.description {
            MaybeUndefined::Value(d) => Some(d.clone()),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.description.clone(),
        };
        sqlx::query("update teams set name = $2, description = $3 where id = $1")
            .bind(before.id)
            .bind(body.name.as_deref().map(str::trim).unwrap_or(&before.name))
            .bind(description)
            .execute(&mut *tx)
            .await
            .map_err(name_taken)?;
        let after = repo::get_team(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("team"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "team.updated",
            "team",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a team (its memberships go with it). Permission: `teams.manage`. Audited as
    /// `team.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        TEAM.delete(&ctx, super::TEAMS_MANAGE, id.0, async |c| {
            repo::get_team(c, id.0).await
        })
        .await
    }

    /// List a team's members, by when they joined. Permission: `users.read`.
    #[oai(path = "/:id/members", method = "get")]
    async fn members(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<TeamMemberPage>> {
        ctx.require(super::USERS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        repo::get_team(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("team"))?;
        let rows = sqlx::query_as::<_, (Uuid, String, String, DateTime<Utc>)>(
            "select u.id, u.name, u.email, tm.created_at from team_members tm join users u on u.id = tm.user_id
             where tm.team_id = $1 and ($2::uuid is null or u.id > $2) order by u.id limit $3",
        )
        .bind(id.0)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let members = rows
            .into_iter()
            .map(|(user_id, name, email, added_at)| TeamMember {
                user_id,
                name,
                email,
                added_at,
            })
            .collect();
        let (items, next_cursor) = page::finish(members, limit, |m| m.user_id);
        Ok(Json(TeamMemberPage { items, next_cursor }))
    }

    /// Add a user to a team (`201`; `409` if already a member). Permission: `teams.manage`.
    /// Audited as `team.member_added`.
    #[oai(path = "/:id/members", method = "post")]
    async fn add_member(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TeamMemberAdd>,
    ) -> Result<MemberAdded> {
        let p = &ctx;
        p.require(super::TEAMS_MANAGE)?;
        let mut tx = p.begin().await?;
        repo::get_team(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("team"))?;
        // Not only a pre-check: the response needs the member's name and e-mail.
        let user: Option<(String, String)> =
            sqlx::query_as("select name, email from users where id = $1")
                .bind(body.user_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (name, email) = user
            .ok_or_else(|| AppError::validation("user_id", "names no user of this organisation"))?;
        let added: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
            "insert into team_members (team_id, user_id) values ($1, $2) on conflict do nothing returning created_at",
        )
        .bind(id.0)
        .bind(body.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let added_at = added.ok_or_else(|| AppError::Conflict {
            code: "conflict",
            detail: "already a member".into(),
            field: Some("user_id".into()),
        })?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "team.member_added",
                resource_type: "team",
                resource_id: Some(id.0.to_string()),
                before: None,
                after: Some(serde_json::json!({"user_id": body.user_id})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(MemberAdded::Created(Json(TeamMember {
            user_id: body.user_id,
            name,
            email,
            added_at,
        })))
    }

    /// Remove a user from a team. Permission: `teams.manage`. Audited as
    /// `team.member_removed`.
    #[oai(path = "/:id/members/:user_id", method = "delete")]
    async fn remove_member(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        user_id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::TEAMS_MANAGE)?;
        let mut tx = p.begin().await?;
        let n = sqlx::query("delete from team_members where team_id = $1 and user_id = $2")
            .bind(id.0)
            .bind(user_id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(AppError::NotFound("membership"));
        }
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "team.member_removed",
                resource_type: "team",
                resource_id: Some(id.0.to_string()),
                before: Some(serde_json::json!({"user_id": user_id.0})),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
