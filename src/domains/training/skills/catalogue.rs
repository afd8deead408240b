//! `/api/v1/training/skills`, `/user-skills`, `/skill-requirements`: the skill catalogue, each
//! person's assessed levels (every assessment kept, the latest is the level), and the skills a
//! syllabus, one of its lessons or a ground-school course requires. Authors and assessors hold
//! `training.manage`; with `training.read` alone a person sees the catalogue, the requirements
//! and their own skills (another person's answer `404`).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    Assessment, AssessmentCreate, AssessmentPage, Evidence, Requirement, RequirementCreate,
    RequirementPage, Skill, SkillCreate, SkillPage, SkillUpdate, UserSkill, UserSkillPage,
};
use super::{TRAINING_MANAGE, TRAINING_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::units::merge;
use crate::kernel::{UserId, page};

pub struct SkillsApi;

#[derive(ApiResponse)]
enum SkillCreated {
    /// The skill as stored.
    #[oai(status = 201)]
    Created(Json<Skill>),
}

#[derive(ApiResponse)]
enum Assessed {
    /// The assessment as kept; it is the person's level from now on.
    #[oai(status = 201)]
    Created(Json<Assessment>),
}

#[derive(ApiResponse)]
enum RequirementCreated {
    /// The requirement as stored.
    #[oai(status = 201)]
    Created(Json<Requirement>),
}

#[derive(sqlx::FromRow)]
struct SkillRow {
    id: Uuid,
    name: String,
    category: String,
    description: Option<String>,
    level_criteria: Vec<String>,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<SkillRow> for Skill {
    fn from(r: SkillRow) -> Self {
        Skill {
            max_level: i32::try_from(r.level_criteria.len()).unwrap_or(i32::MAX),
            id: r.id,
            name: r.name,
            category: r.category,
            description: r.description,
            level_criteria: r.level_criteria,
            created_by: r.created_by.map(UserId),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! skill_select {
    () => {
        "select id, name, category, description, level_criteria, created_by, version, \
         created_at, updated_at from skills"
    };
}

async fn load_skill(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Skill> {
    let sql = if lock {
        concat!(skill_select!(), " where id = $1 for update")
    } else {
        concat!(skill_select!(), " where id = $1")
    };
    let row: Option<SkillRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.map(Skill::from).ok_or(AppError::NotFound("skill"))
}

/// Blank-after-trim text is `422`.
fn not_blank(field: &str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(AppError::validation(field, "must not be blank"));
    }
    Ok(())
}

fn criteria_ok(criteria: &[String]) -> Result<()> {
    for (i, c) in criteria.iter().enumerate() {
        not_blank(&format!("level_criteria[{i}]"), c)?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    id: Uuid,
    user_id: Uuid,
    skill_id: Uuid,
    skill_name: String,
    level: i16,
    #[sqlx(try_from = "String")]
    evidence: Evidence,
    lesson_record_id: Option<Uuid>,
    attempt_id: Option<Uuid>,
    note: Option<String>,
    assessed_by: Option<Uuid>,
    assessed_at: DateTime<Utc>,
}

impl From<AssessmentRow> for Assessment {
    fn from(r: AssessmentRow) -> Self {
        Assessment {
            id: r.id,
            user_id: UserId(r.user_id),
            skill_id: r.skill_id,
            skill_name: r.skill_name,
            level: r.level.into(),
            evidence: r.evidence,
            lesson_record_id: r.lesson_record_id,
            attempt_id: r.attempt_id,
            note: r.note,
            assessed_by: r.assessed_by.map(UserId),
            assessed_at: r.assessed_at,
        }
    }
}

macro_rules! assessment_select {
    () => {
        "select a.id, a.user_id, a.skill_id, s.name as skill_name, a.level, a.evidence, \
         a.lesson_record_id, a.attempt_id, a.note, a.assessed_by, a.assessed_at \
         from skill_assessments a join skills s on s.id = a.skill_id"
    };
}

/// The person whose skills the caller asks about: anyone with `training.manage`, else only
/// themselves (another person is `404`, as if unknown).
async fn subject(ctx: &TenantCtx, conn: &mut PgConnection, user: Option<UserId>) -> Result<UserId> {
    let user = user.unwrap_or(ctx.user_id);
    if user != ctx.user_id && !ctx.has(TRAINING_MANAGE) {
        return Err(AppError::NotFound("user"));
    }
    let exists: bool = sqlx::query_scalar("select exists (select 1 from users where id = $1)")
        .bind(user.0)
        .fetch_one(conn)
        .await?;
    if !exists {
        return Err(AppError::NotFound("user"));
    }
    Ok(user)
}

#[derive(sqlx::FromRow)]
struct UserSkillRow {
    skill_id: Uuid,
    skill_name: String,
    category: String,
    level_criteria: Vec<String>,
    assessment_id: Uuid,
    level: i16,
    assessed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RequirementRow {
    id: Uuid,
    skill_id: Uuid,
    skill_name: String,
    min_level: i16,
    syllabus_id: Option<Uuid>,
    lesson_code: Option<String>,
    course_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl From<RequirementRow> for Requirement {
    fn from(r: RequirementRow) -> Self {
        Requirement {
            id: r.id,
            skill_id: r.skill_id,
            skill_name: r.skill_name,
            min_level: r.min_level.into(),
            syllabus_id: r.syllabus_id,
            lesson_code: r.lesson_code,
            course_id: r.course_id,
            created_at: r.created_at,
        }
    }
}

macro_rules! requirement_select {
    () => {
        "select r.id, r.skill_id, s.name as skill_name, r.min_level, r.syllabus_id, \
         r.lesson_code, r.course_id, r.created_at \
         from skill_requirements r join skills s on s.id = r.skill_id"
    };
}

#[OpenApi(prefix_path = "/api/v1/training", tag = "super::Tag::Skills")]
impl SkillsApi {
    /// The skill catalogue, newest first; `category` filters.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/skills", method = "get")]
    async fn list_skills(
        &self,
        ctx: TenantCtx,
        /// Only skills of this category (exact).
        category: Query<Option<String>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<SkillPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<SkillRow> = sqlx::query_as(concat!(
            skill_select!(),
            " where id < $1 and ($2::text is null or category = $2) order by id desc limit $3"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(category.0.as_deref())
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Skill::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |s: &Skill| s.id);
        Ok(Json(SkillPage { items, next_cursor }))
    }

    /// Add a skill to the catalogue. A name in use (whatever its case) is `409`.
    ///
    /// Permission: `training.manage`. Audited as `skill.created`.
    #[oai(path = "/skills", method = "post")]
    async fn create_skill(
        &self,
        ctx: TenantCtx,
        body: JsonBody<SkillCreate>,
    ) -> Result<SkillCreated> {
        let b = body.0;
        not_blank("name", &b.name)?;
        not_blank("category", &b.category)?;
        criteria_ok(&b.level_criteria)?;
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into skills (id, name, category, description, level_criteria, created_by)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(b.name.trim())
        .bind(b.category.trim())
        .bind(&b.description)
        .bind(&b.level_criteria)
        .bind(ctx.user_id)
        .execute(&mut *tx)
        .await?;
        let skill = load_skill(&mut tx, id, false).await?;
        audit::created(&mut tx, (&ctx).into(), "skill.created", "skill", id, &skill).await?;
        tx.commit().await?;
        Ok(SkillCreated::Created(Json(skill)))
    }

    /// One skill.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/skills/:id", method = "get")]
    async fn get_skill(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Skill>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let skill = load_skill(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(skill))
    }

    /// Change a skill. Fewer levels than someone holds or a requirement asks for is `409
    /// level-in-use`. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `training.manage`. Audited as `skill.updated` with before and after.
    #[oai(path = "/skills/:id", method = "patch")]
    async fn update_skill(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<SkillUpdate>,
    ) -> Result<Json<Skill>> {
        let b = body.0;
        if let Some(n) = &b.name {
            not_blank("name", n)?;
        }
        if let Some(c) = &b.category {
            not_blank("category", c)?;
        }
        if let Some(c) = &b.level_criteria {
            criteria_ok(c)?;
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load_skill(&mut tx, id.0, true).await?;
        AppError::check_version("skill", b.version, before.version)?;
        let mut after = before.clone();
        if let Some(n) = &b.name {
            after.name = n.trim().to_owned();
        }
        if let Some(c) = &b.category {
            after.category = c.trim().to_owned();
        }
        merge(&mut after.description, &b.description);
        if let Some(c) = b.level_criteria {
            let levels = i16::try_from(c.len()).unwrap_or(i16::MAX);
            let used: bool = sqlx::query_scalar(
                "select exists (select 1 from skill_assessments where skill_id = $1 and level > $2)
                     or exists (select 1 from skill_requirements where skill_id = $1 and min_level > $2)",
            )
            .bind(id.0)
            .bind(levels)
            .fetch_one(&mut *tx)
            .await?;
            if used {
                return Err(AppError::Conflict {
                    code: "level-in-use",
                    detail: format!(
                        "someone holds, or a requirement asks for, a level above {levels}"
                    ),
                    field: Some("level_criteria".into()),
                });
            }
            after.level_criteria = c;
        }
        sqlx::query(
            "update skills set name = $2, category = $3, description = $4, level_criteria = $5,
                 version = version + 1 where id = $1",
        )
        .bind(id.0)
        .bind(&after.name)
        .bind(&after.category)
        .bind(&after.description)
        .bind(&after.level_criteria)
        .execute(&mut *tx)
        .await?;
        let after = load_skill(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "skill.updated",
            "skill",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Remove a skill nobody was assessed in and nothing requires (else `409 skill-in-use`:
    /// assessments are kept records).
    ///
    /// Permission: `training.manage`. Audited as `skill.deleted`.
    #[oai(path = "/skills/:id", method = "delete")]
    async fn delete_skill(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load_skill(&mut tx, id.0, true).await?;
        let used: bool = sqlx::query_scalar(
            "select exists (select 1 from skill_assessments where skill_id = $1)
                 or exists (select 1 from skill_requirements where skill_id = $1)",
        )
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
        if used {
            return Err(AppError::Conflict {
                code: "skill-in-use",
                detail: "people were assessed in this skill or something requires it; \
                         assessments are kept"
                    .into(),
                field: None,
            });
        }
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "skills",
            "skill.deleted",
            "skill",
            id.0,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// The assessments of a skill, newest first, every one kept; `user_id` narrows to one
    /// person. Without `training.manage` only the caller's own.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/skills/:id/assessments", method = "get")]
    async fn list_assessments(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// Only this person's (without `training.manage`: the caller, the default).
        user_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<AssessmentPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        load_skill(&mut tx, id.0, false).await?;
        let only = match user_id.0 {
            Some(u) => Some(subject(&ctx, &mut tx, Some(u)).await?),
            None if ctx.has(TRAINING_MANAGE) => None,
            None => Some(ctx.user_id),
        };
        let rows: Vec<AssessmentRow> = sqlx::query_as(concat!(
            assessment_select!(),
            " where a.skill_id = $1 and a.id < $2
               and ($3::uuid is null or a.user_id = $3) order by a.id desc limit $4"
        ))
        .bind(id.0)
        .bind(after.unwrap_or(Uuid::max()))
        .bind(only.map(|u| u.0))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Assessment::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |a: &Assessment| a.id);
        Ok(Json(AssessmentPage { items, next_cursor }))
    }

    /// A person's current skills (their latest assessment in each), by skill id. Without
    /// `training.manage` only the caller's own (another person's is `404`).
    ///
    /// Permission: `training.read`.
    #[oai(path = "/user-skills", method = "get")]
    async fn user_skills(
        &self,
        ctx: TenantCtx,
        /// The person (default the caller).
        user_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<UserSkillPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let user = subject(&ctx, &mut tx, user_id.0).await?;
        let rows: Vec<UserSkillRow> = sqlx::query_as(
            "select s.id as skill_id, s.name as skill_name, s.category, s.level_criteria,
                    cur.id as assessment_id, cur.level, cur.assessed_at
               from skills s
               join lateral (
                   select a.id, a.level, a.assessed_at from skill_assessments a
                    where a.user_id = $1 and a.skill_id = s.id
                    order by a.assessed_at desc, a.id desc limit 1) cur on true
              where s.id < $2
              order by s.id desc limit $3",
        )
        .bind(user.0)
        .bind(after.unwrap_or(Uuid::max()))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows
            .into_iter()
            .map(|r| UserSkill {
                user_id: user,
                skill_id: r.skill_id,
                skill_name: r.skill_name,
                category: r.category,
                level: r.level.into(),
                max_level: i32::try_from(r.level_criteria.len()).unwrap_or(i32::MAX),
                assessment_id: r.assessment_id,
                assessed_at: r.assessed_at,
            })
            .collect();
        let (items, next_cursor) = page::finish(rows, limit, |s: &UserSkill| s.skill_id);
        Ok(Json(UserSkillPage { items, next_cursor }))
    }

    /// Assess a person's level in a skill, with its evidence: a lesson record of theirs
    /// (`lesson_record_id`), a submitted exam attempt of theirs (`attempt_id`), or an
    /// observation (`note` required). The level is at most the skill's highest. The
    /// assessment is kept and becomes their level; a lower level later is a new assessment.
    ///
    /// Permission: `training.manage`. Audited as `skill.assessed`.
    #[oai(path = "/user-skills", method = "post")]
    async fn assess(&self, ctx: TenantCtx, body: JsonBody<AssessmentCreate>) -> Result<Assessed> {
        let b = body.0;
        let (record, attempt) = match b.evidence {
            Evidence::LessonRecord => (
                Some(b.lesson_record_id.ok_or_else(|| {
                    AppError::validation("lesson_record_id", "is required with lesson_record")
                })?),
                None,
            ),
            Evidence::ExamAttempt => (
                None,
                Some(b.attempt_id.ok_or_else(|| {
                    AppError::validation("attempt_id", "is required with exam_attempt")
                })?),
            ),
            Evidence::Observation => {
                if b.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    return Err(AppError::validation(
                        "note",
                        "says what was observed (required with observation)",
                    ));
                }
                (None, None)
            }
        };
        if record.is_none() && b.lesson_record_id.is_some() {
            return Err(AppError::validation(
                "lesson_record_id",
                "only with lesson_record",
            ));
        }
        if attempt.is_none() && b.attempt_id.is_some() {
            return Err(AppError::validation("attempt_id", "only with exam_attempt"));
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let skill = load_skill(&mut tx, b.skill_id, false)
            .await
            .map_err(|_| AppError::validation("skill_id", "names no skill of this organisation"))?;
        if b.level > skill.max_level {
            return Err(AppError::validation(
                "level",
                format!("is above the skill's highest level ({})", skill.max_level),
            ));
        }
        let user_ok: bool = sqlx::query_scalar("select exists (select 1 from users where id = $1)")
            .bind(b.user_id.0)
            .fetch_one(&mut *tx)
            .await?;
        if !user_ok {
            return Err(AppError::validation(
                "user_id",
                "names no user of this organisation",
            ));
        }
        if let Some(r) = record {
            let theirs: bool = sqlx::query_scalar(
                "select exists (select 1 from training_lesson_records rec
                   join training_enrollments e on e.id = rec.enrollment_id
                  where rec.id = $1 and e.student_id = $2)",
            )
            .bind(r)
            .bind(b.user_id.0)
            .fetch_one(&mut *tx)
            .await?;
            if !theirs {
                return Err(AppError::validation(
                    "lesson_record_id",
                    "names no lesson record of this person",
                ));
            }
        }
        if let Some(a) = attempt {
            let theirs: bool = sqlx::query_scalar(
                "select exists (select 1 from theory_attempts
                  where id = $1 and student_id = $2 and status <> 'in_progress')",
            )
            .bind(a)
            .bind(b.user_id.0)
            .fetch_one(&mut *tx)
            .await?;
            if !theirs {
                return Err(AppError::validation(
                    "attempt_id",
                    "names no finished exam attempt of this person",
                ));
            }
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into skill_assessments
                 (id, user_id, skill_id, level, evidence, lesson_record_id, attempt_id, note, assessed_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(b.user_id.0)
        .bind(b.skill_id)
        .bind(i16::try_from(b.level).unwrap_or(1))
        .bind(crate::kernel::units::wire(&b.evidence))
        .bind(record)
        .bind(attempt)
        .bind(b.note.as_deref().map(str::trim))
        .bind(ctx.user_id)
        .execute(&mut *tx)
        .await?;
        let row: AssessmentRow = sqlx::query_as(concat!(assessment_select!(), " where a.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let a = Assessment::from(row);
        audit::created(
            &mut tx,
            (&ctx).into(),
            "skill.assessed",
            "skill_assessment",
            id,
            &a,
        )
        .await?;
        tx.commit().await?;
        Ok(Assessed::Created(Json(a)))
    }

    /// The skill requirements, newest first; `syllabus_id` or `course_id` narrows to one
    /// syllabus (with its lessons') or course.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/skill-requirements", method = "get")]
    async fn list_requirements(
        &self,
        ctx: TenantCtx,
        /// Only this syllabus's (and its lessons').
        syllabus_id: Query<Option<Uuid>>,
        /// Only this ground-school course's.
        course_id: Query<Option<Uuid>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<RequirementPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<RequirementRow> = sqlx::query_as(concat!(
            requirement_select!(),
            " where r.id < $1
               and ($2::uuid is null or r.syllabus_id = $2)
               and ($3::uuid is null or r.course_id = $3)
             order by r.id desc limit $4"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(syllabus_id.0)
        .bind(course_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Requirement::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |r: &Requirement| r.id);
        Ok(Json(RequirementPage { items, next_cursor }))
    }

    /// Require a skill at a minimum level: of a syllabus (`syllabus_id`; with `lesson_code`,
    /// of that lesson in every version), or of a ground-school course (`course_id`), exactly
    /// one of the two. The level is at most the skill's highest; the same skill twice for the
    /// same target is `409`.
    ///
    /// Permission: `training.manage`. Audited as `skill_requirement.created`.
    #[oai(path = "/skill-requirements", method = "post")]
    async fn create_requirement(
        &self,
        ctx: TenantCtx,
        body: JsonBody<RequirementCreate>,
    ) -> Result<RequirementCreated> {
        let b = body.0;
        match (b.syllabus_id, b.course_id) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(AppError::validation(
                    "syllabus_id",
                    "exactly one of syllabus_id and course_id is required",
                ));
            }
            (None, Some(_)) if b.lesson_code.is_some() => {
                return Err(AppError::validation(
                    "lesson_code",
                    "names a lesson of a syllabus: only with syllabus_id",
                ));
            }
            _ => {}
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let skill = load_skill(&mut tx, b.skill_id, false)
            .await
            .map_err(|_| AppError::validation("skill_id", "names no skill of this organisation"))?;
        if b.min_level > skill.max_level {
            return Err(AppError::validation(
                "min_level",
                format!("is above the skill's highest level ({})", skill.max_level),
            ));
        }
        if let Some(s) = b.syllabus_id {
            let found: Option<bool> = sqlx::query_scalar(
                "select $2::text is null or exists (
                     select 1 from syllabus_lessons l join syllabus_versions v on v.id = l.version_id
                      where v.syllabus_id = s.id and l.code = $2)
                   from syllabi s where s.id = $1",
            )
            .bind(s)
            .bind(b.lesson_code.as_deref())
            .fetch_optional(&mut *tx)
            .await?;
            match found {
                None => {
                    return Err(AppError::validation(
                        "syllabus_id",
                        "names no syllabus of this organisation",
                    ));
                }
                Some(false) => {
                    return Err(AppError::validation(
                        "lesson_code",
                        "names no lesson of any version of the syllabus",
                    ));
                }
                Some(true) => {}
            }
        }
        if let Some(c) = b.course_id {
            let found: bool =
                sqlx::query_scalar("select exists (select 1 from theory_courses where id = $1)")
                    .bind(c)
                    .fetch_one(&mut *tx)
                    .await?;
            if !found {
                return Err(AppError::validation(
                    "course_id",
                    "names no course of this organisation",
                ));
            }
        }
        let id = Uuid::now_v7();
        let inserted = sqlx::query(
            "insert into skill_requirements (id, skill_id, min_level, syllabus_id, lesson_code, course_id)
             values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
        )
        .bind(id)
        .bind(b.skill_id)
        .bind(i16::try_from(b.min_level).unwrap_or(1))
        .bind(b.syllabus_id)
        .bind(b.lesson_code.as_deref())
        .bind(b.course_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(AppError::Conflict {
                code: "conflict",
                detail: "this skill is required of this target already".into(),
                field: Some("skill_id".into()),
            });
        }
        let row: RequirementRow =
            sqlx::query_as(concat!(requirement_select!(), " where r.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let r = Requirement::from(row);
        audit::created(
            &mut tx,
            (&ctx).into(),
            "skill_requirement.created",
            "skill_requirement",
            id,
            &r,
        )
        .await?;
        tx.commit().await?;
        Ok(RequirementCreated::Created(Json(r)))
    }

    /// Remove a requirement (enrolments already made stay).
    ///
    /// Permission: `training.manage`. Audited as `skill_requirement.deleted`.
    #[oai(path = "/skill-requirements/:id", method = "delete")]
    async fn delete_requirement(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let row: Option<RequirementRow> = sqlx::query_as(concat!(
            requirement_select!(),
            " where r.id = $1 for update of r"
        ))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let before = Requirement::from(row.ok_or(AppError::NotFound("skill requirement"))?);
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "skill_requirements",
            "skill_requirement.deleted",
            "skill_requirement",
            id.0,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
