//! `/api/v1/training/syllabi`: syllabi, their versions (a draft's content written whole, then
//! published and frozen) and the instructors designated for stage checks. Every mutation writes
//! its audit row in the same transaction.

use std::collections::HashSet;

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{
    StageCheckInstructors, Syllabus, SyllabusCreate, SyllabusPage, SyllabusUpdate, SyllabusVersion,
    VersionContent, VersionStatus,
};
use super::repo::{self, VersionRow};
use super::{TRAINING_MANAGE, TRAINING_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::tenancy::TenantTx;

pub struct SyllabiApi;

#[derive(ApiResponse)]
enum SyllabusCreated {
    /// The syllabus, with its empty draft version 1.
    #[oai(status = 201)]
    Created(Json<Syllabus>),
}

#[derive(ApiResponse)]
enum DraftCreated {
    /// The new draft, a copy of the latest version's content.
    #[oai(status = 201)]
    Created(Json<SyllabusVersion>),
}

fn conflict(code: &'static str, detail: &str) -> AppError {
    AppError::Conflict {
        code,
        detail: detail.to_owned(),
        field: None,
    }
}

/// Lesson codes unique in the version, prerequisites naming lessons that come earlier.
fn check_content(c: &VersionContent) -> Result<()> {
    let mut seen: HashSet<&str> = HashSet::new();
    for (si, s) in c.stages.iter().enumerate() {
        for (li, l) in s.lessons.iter().enumerate() {
            let at = format!("stages[{si}].lessons[{li}]");
            for (pi, p) in l.prerequisites.iter().enumerate() {
                if !seen.contains(p.as_str()) {
                    return Err(AppError::validation(
                        format!("{at}.prerequisites[{pi}]"),
                        "names no lesson that comes earlier in this version",
                    ));
                }
            }
            if !seen.insert(l.code.as_str()) {
                return Err(AppError::validation(
                    format!("{at}.code"),
                    "is used by another lesson of this version",
                ));
            }
        }
    }
    Ok(())
}

async fn syllabus_or_404(tx: &mut TenantTx, id: Uuid, lock: bool) -> Result<Syllabus> {
    repo::get_syllabus(tx, id, lock)
        .await?
        .ok_or(AppError::NotFound("syllabus"))
}

/// The version `number` of `syllabus`; a draft is `404` to a caller who cannot manage.
async fn version_or_404(
    ctx: &TenantCtx,
    tx: &mut TenantTx,
    syllabus: Uuid,
    number: i32,
    lock: bool,
) -> Result<VersionRow> {
    repo::version(tx, syllabus, number, lock)
        .await?
        .filter(|v| v.status == VersionStatus::Published || ctx.has(TRAINING_MANAGE))
        .ok_or(AppError::NotFound("syllabus version"))
}

async fn full(tx: &mut TenantTx, syllabus: Uuid, v: &VersionRow) -> Result<SyllabusVersion> {
    let (stages, requirements) = repo::content(tx, v.id).await?;
    Ok(SyllabusVersion {
        syllabus_id: syllabus,
        number: v.number,
        status: v.status,
        lessons_per_week: v.lessons_per_week,
        published_at: v.published_at,
        stages,
        requirements,
    })
}

#[OpenApi(prefix_path = "/api/v1/training/syllabi", tag = "super::Tag::Syllabi")]
impl SyllabiApi {
    /// List syllabi, newest first, with keyset pagination.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<SyllabusPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let rows = repo::list_syllabi(&mut tx, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |s| s.id);
        Ok(Json(SyllabusPage { items, next_cursor }))
    }

    /// Create a syllabus; its version 1 starts as an empty draft. `409 code-taken` when another
    /// syllabus has the code.
    ///
    /// Permission: `training.manage`. Audited as `syllabus.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<SyllabusCreate>,
    ) -> Result<SyllabusCreated> {
        if body.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let id = repo::insert_syllabus(
            &mut tx,
            &body.code,
            body.title.trim(),
            body.description.as_deref(),
            body.grading_scale,
            ctx.user_id,
        )
        .await?
        .ok_or_else(|| AppError::Conflict {
            code: "code-taken",
            detail: "another syllabus has this code".into(),
            field: Some("code".into()),
        })?;
        let s = syllabus_or_404(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "syllabus.created",
            "syllabus",
            id,
            &s,
        )
        .await?;
        tx.commit().await?;
        Ok(SyllabusCreated::Created(Json(s)))
    }

    /// One syllabus with its versions and stage-check instructors.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Syllabus>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let s = syllabus_or_404(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(s))
    }

    /// Change a syllabus's title or description (its code and scale stay: enrollments and
    /// grades depend on them). With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `training.manage`. Audited as `syllabus.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<SyllabusUpdate>,
    ) -> Result<Json<Syllabus>> {
        if body.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("title", "must not be blank"));
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = syllabus_or_404(&mut tx, id.0, true).await?;
        AppError::check_version("syllabus", body.version, before.version)?;
        let title = body
            .title
            .as_deref()
            .map_or(before.title.clone(), |t| t.trim().to_owned());
        let description = match &body.description {
            poem_openapi::types::MaybeUndefined::Value(d) => Some(d.clone()),
            poem_openapi::types::MaybeUndefined::Null => None,
            poem_openapi::types::MaybeUndefined::Undefined => before.description.clone(),
        };
        repo::update_syllabus(&mut tx, id.0, &title, description.as_deref()).await?;
        let after = syllabus_or_404(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "syllabus.updated",
            "syllabus",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Replace the instructors designated to grade the syllabus's stage checks (users of the
    /// organisation; `422` names one that is not).
    ///
    /// Permission: `training.manage`. Audited as `syllabus.stage_check_instructors_set`.
    #[oai(path = "/:id/stage-check-instructors", method = "put")]
    async fn stage_check_instructors(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<StageCheckInstructors>,
    ) -> Result<Json<Syllabus>> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = syllabus_or_404(&mut tx, id.0, true).await?;
        for (i, u) in body.user_ids.iter().enumerate() {
            if !repo::user_exists(&mut tx, *u).await? {
                return Err(AppError::validation(
                    format!("user_ids[{i}]"),
                    "names no user of this organisation",
                ));
            }
        }
        repo::set_stage_check_instructors(&mut tx, id.0, &body.user_ids).await?;
        let after = syllabus_or_404(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "syllabus.stage_check_instructors_set",
            "syllabus",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Start the next version as a draft, a copy of the latest version's content. `409
    /// draft-exists` while a draft is open.
    ///
    /// Permission: `training.manage`. Audited as `syllabus_version.created`.
    #[oai(path = "/:id/versions", method = "post")]
    async fn new_version(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<DraftCreated> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let s = syllabus_or_404(&mut tx, id.0, true).await?;
        let latest = s.versions.last().map(|v| v.number).unwrap_or(0);
        let (_, number) = repo::new_draft(&mut tx, id.0)
            .await?
            .ok_or_else(|| conflict("draft-exists", "the syllabus has a draft version already"))?;
        if let Some(from) = repo::version(&mut tx, id.0, latest, false).await? {
            let (stages, requirements) = repo::content(&mut tx, from.id).await?;
            let draft = repo::version(&mut tx, id.0, number, true)
                .await?
                .ok_or(AppError::NotFound("syllabus version"))?;
            let content = VersionContent {
                lessons_per_week: Some(from.lessons_per_week),
                stages,
                requirements,
            };
            repo::replace_content(&mut tx, draft.id, &content).await?;
        }
        let v = version_or_404(&ctx, &mut tx, id.0, number, false).await?;
        let out = full(&mut tx, id.0, &v).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "syllabus_version.created",
            "syllabus",
            id.0,
            &out,
        )
        .await?;
        tx.commit().await?;
        Ok(DraftCreated::Created(Json(out)))
    }

    /// A version with its stages, lessons, graded items and hour requirements. A draft is
    /// `404` without `training.manage`.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/:id/versions/:number", method = "get")]
    async fn version(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        number: Path<i32>,
    ) -> Result<Json<SyllabusVersion>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let v = version_or_404(&ctx, &mut tx, id.0, number.0, false).await?;
        let out = full(&mut tx, id.0, &v).await?;
        tx.end_read();
        Ok(Json(out))
    }

    /// Write a draft version's content whole: stages of lessons (codes unique in the version,
    /// prerequisites naming earlier lessons) with their graded items, and hour requirements.
    /// `409 version-published` once published (publish a new version instead).
    ///
    /// Permission: `training.manage`. Audited as `syllabus_version.updated`.
    #[oai(path = "/:id/versions/:number", method = "put")]
    async fn write(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        number: Path<i32>,
        body: JsonBody<VersionContent>,
    ) -> Result<Json<SyllabusVersion>> {
        check_content(&body)?;
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let v = version_or_404(&ctx, &mut tx, id.0, number.0, true).await?;
        if v.status == VersionStatus::Published {
            return Err(conflict(
                "version-published",
                "a published version is frozen; start a new version",
            ));
        }
        let before = full(&mut tx, id.0, &v).await?;
        repo::replace_content(&mut tx, v.id, &body).await?;
        let v = version_or_404(&ctx, &mut tx, id.0, number.0, false).await?;
        let after = full(&mut tx, id.0, &v).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "syllabus_version.updated",
            "syllabus",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Publish a draft version: its content is frozen and enrollments can start on it;
    /// enrollments on earlier versions stay on theirs. `409 version-published` when it is
    /// published already, `409 version-empty` without a lesson.
    ///
    /// Permission: `training.manage`. Audited as `syllabus_version.published`.
    #[oai(path = "/:id/versions/:number/publish", method = "post")]
    async fn publish(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        number: Path<i32>,
    ) -> Result<Json<SyllabusVersion>> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let v = version_or_404(&ctx, &mut tx, id.0, number.0, true).await?;
        if v.status == VersionStatus::Published {
            return Err(conflict(
                "version-published",
                "the version is published already",
            ));
        }
        if repo::lessons(&mut tx, v.id).await?.is_empty() {
            return Err(conflict(
                "version-empty",
                "a version without lessons cannot be published",
            ));
        }
        repo::publish(&mut tx, v.id, ctx.user_id).await?;
        let v = version_or_404(&ctx, &mut tx, id.0, number.0, false).await?;
        let out = full(&mut tx, id.0, &v).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "syllabus_version.published",
            "syllabus",
            id.0,
            &out,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(out))
    }
}
