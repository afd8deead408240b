//! `/api/v1/theory/courses`: the ground-school courses. Authors (`theory.manage`) see drafts;
//! everyone else with `theory.read` sees published and archived courses (a draft answers `404`).
//! Prerequisites are other courses, checked to exist and never to form a cycle.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Course, CourseCreate, CoursePage, CourseStatus, CourseUpdate, Difficulty};
use super::{THEORY_MANAGE, THEORY_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::units::merge;
use crate::kernel::{UserId, page};

pub struct CoursesApi;

#[derive(ApiResponse)]
enum CourseCreated {
    /// The course as stored.
    #[oai(status = 201)]
    Created(Json<Course>),
}

macro_rules! course_columns {
    () => {
        "c.id, c.code, c.title, c.description, c.category, c.difficulty, c.duration_weeks, \
         c.status, array(select p.prerequisite_id from theory_course_prerequisites p \
         where p.course_id = c.id order by p.prerequisite_id) as prerequisite_ids, c.created_by, \
         c.version, c.created_at, c.updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    code: String,
    title: String,
    description: Option<String>,
    category: String,
    #[sqlx(try_from = "String")]
    difficulty: Difficulty,
    duration_weeks: i32,
    #[sqlx(try_from = "String")]
    status: CourseStatus,
    prerequisite_ids: Vec<Uuid>,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Course {
    fn from(r: Row) -> Self {
        Course {
            id: r.id,
            code: r.code,
            title: r.title,
            description: r.description,
            category: r.category,
            difficulty: r.difficulty,
            duration_weeks: r.duration_weeks,
            status: r.status,
            prerequisite_ids: r.prerequisite_ids,
            created_by: r.created_by.map(UserId),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One course, whatever its status.
pub(super) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Course>> {
    let sql = if lock {
        concat!(
            "select ",
            course_columns!(),
            " from theory_courses c where c.id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            course_columns!(),
            " from theory_courses c where c.id = $1"
        )
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Course::from))
}

/// One course as the caller may see it: a draft only for authors.
pub(super) async fn visible(ctx: &TenantCtx, conn: &mut PgConnection, id: Uuid) -> Result<Course> {
    load(conn, id, false)
        .await?
        .filter(|c| c.status != CourseStatus::Draft || ctx.has(THEORY_MANAGE))
        .ok_or(AppError::NotFound("course"))
}

/// Replaces a course's prerequisites: each must exist, none the course itself, and no cycle.
async fn set_prerequisites(conn: &mut PgConnection, course: Uuid, ids: &[Uuid]) -> Result<()> {
    let invalid = |m: &str| AppError::validation("prerequisite_ids", m);
    if ids.contains(&course) {
        return Err(invalid("must not name the course itself"));
    }
    let found: i64 = sqlx::query_scalar("select count(*) from theory_courses where id = any($1)")
        .bind(ids)
        .fetch_one(&mut *conn)
        .await?;
    if usize::try_from(found).unwrap_or(0) != ids.len() {
        return Err(invalid("names no such course of this organisation"));
    }
    sqlx::query("delete from theory_course_prerequisites where course_id = $1")
        .bind(course)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into theory_course_prerequisites (course_id, prerequisite_id)
         select $1, unnest($2::uuid[])",
    )
    .bind(course)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    // A cycle: the course is reachable from its own prerequisites.
    let cycle: bool = sqlx::query_scalar(
        "with recursive reach(id) as (
             select prerequisite_id from theory_course_prerequisites where course_id = $1
             union
             select p.prerequisite_id from theory_course_prerequisites p join reach r on p.course_id = r.id)
         select exists (select 1 from reach where id = $1)",
    )
    .bind(course)
    .fetch_one(&mut *conn)
    .await?;
    if cycle {
        return Err(invalid("would make the prerequisites a cycle"));
    }
    Ok(())
}

#[OpenApi(
    prefix_path = "/api/v1/theory/courses",
    tag = "crate::domains::theory::Tag::TheoryCourses"
)]
impl CoursesApi {
    /// List courses, newest first: every course for authors (`theory.manage`), published and
    /// archived ones for everyone else. Filter by `status`.
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only courses with this status.
        status: Query<Option<CourseStatus>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<CoursePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(THEORY_READ)?;
        let drafts = ctx.has(THEORY_MANAGE);
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "select ",
            course_columns!(),
            " from theory_courses c where c.id < $1 and ($2 or c.status <> 'draft')
               and c.status = coalesce($3, c.status) order by c.id desc limit $4"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(drafts)
        .bind(status.0.map(|s| crate::kernel::units::wire(&s)))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Course::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |c: &Course| c.id);
        Ok(Json(CoursePage { items, next_cursor }))
    }

    /// Create a course (a draft unless `status` says otherwise); the caller is its author.
    /// A code used already is `409`.
    ///
    /// Permission: `theory.manage`. Audited as `theory_course.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<CourseCreate>) -> Result<CourseCreated> {
        let b = body.0;
        if b.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        if b.category.trim().is_empty() {
            return Err(AppError::validation("category", "must not be blank"));
        }
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into theory_courses (id, code, title, description, category, difficulty,
                 duration_weeks, status, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&b.code)
        .bind(b.title.trim())
        .bind(&b.description)
        .bind(b.category.trim())
        .bind(crate::kernel::units::wire(&b.difficulty))
        .bind(b.duration_weeks)
        .bind(crate::kernel::units::wire(
            &b.status.unwrap_or(CourseStatus::Draft),
        ))
        .bind(ctx.user_id)
        .execute(&mut *tx)
        .await?;
        set_prerequisites(&mut tx, id, b.prerequisite_ids.as_deref().unwrap_or(&[])).await?;
        let course = load(&mut tx, id, false)
            .await?
            .ok_or(AppError::NotFound("course"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_course.created",
            "theory_course",
            id,
            &course,
        )
        .await?;
        tx.commit().await?;
        Ok(CourseCreated::Created(Json(course)))
    }

    /// Get one course (a draft: authors only, else `404`).
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Course>> {
        ctx.require(THEORY_READ)?;
        let mut tx = ctx.begin().await?;
        let course = visible(&ctx, &mut tx, id.0).await?;
        tx.end_read();
        Ok(Json(course))
    }

    /// Update a course partially; `prerequisite_ids` replaces the list. With `version`, a
    /// concurrent change answers `409`.
    ///
    /// Permission: `theory.manage`. Audited as `theory_course.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<CourseUpdate>,
    ) -> Result<Json<Course>> {
        let b = body.0;
        if b.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("title", "must not be blank"));
        }
        if b.category.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("category", "must not be blank"));
        }
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("course"))?;
        AppError::check_version("course", b.version, before.version)?;
        let mut next = before.clone();
        if let Some(v) = b.code {
            next.code = v;
        }
        if let Some(v) = b.title {
            next.title = v.trim().to_owned();
        }
        merge(&mut next.description, &b.description);
        if let Some(v) = b.category {
            next.category = v.trim().to_owned();
        }
        next.difficulty = b.difficulty.unwrap_or(next.difficulty);
        next.duration_weeks = b.duration_weeks.unwrap_or(next.duration_weeks);
        next.status = b.status.unwrap_or(next.status);
        sqlx::query(
            "update theory_courses set code = $2, title = $3, description = $4, category = $5,
                 difficulty = $6, duration_weeks = $7, status = $8, version = version + 1
             where id = $1",
        )
        .bind(next.id)
        .bind(&next.code)
        .bind(&next.title)
        .bind(&next.description)
        .bind(&next.category)
        .bind(crate::kernel::units::wire(&next.difficulty))
        .bind(next.duration_weeks)
        .bind(crate::kernel::units::wire(&next.status))
        .execute(&mut *tx)
        .await?;
        if let Some(ids) = &b.prerequisite_ids {
            set_prerequisites(&mut tx, next.id, ids).await?;
        }
        let after = load(&mut tx, next.id, false)
            .await?
            .ok_or(AppError::NotFound("course"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "theory_course.updated",
            "theory_course",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a course with its modules and lessons. A course with enrolments or exams, or that
    /// another course requires, is kept (`409 course-in-use`): archive it instead.
    ///
    /// Permission: `theory.manage`. Audited as `theory_course.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("course"))?;
        let used: bool = sqlx::query_scalar(
            "select exists (select 1 from theory_enrollments where course_id = $1)
                 or exists (select 1 from theory_exams where course_id = $1)
                 or exists (select 1 from theory_course_prerequisites where prerequisite_id = $1)",
        )
        .bind(before.id)
        .fetch_one(&mut *tx)
        .await?;
        if used {
            return Err(AppError::Conflict {
                code: "course-in-use",
                detail: "the course has enrolments or exams, or another course requires it; \
                         archive it instead"
                    .into(),
                field: None,
            });
        }
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "theory_courses",
            "theory_course.deleted",
            "theory_course",
            before.id,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
