//! Enrolment and progress: `POST /api/v1/theory/courses/{id}/enroll`, `/enrollments`,
//! `/enrollments/{id}`, `POST /enrollments/{id}/lessons/{lesson_id}/complete`. A student enrols
//! themselves in a published course whose prerequisites they completed; `theory.manage` enrols
//! anyone (the prerequisites still apply). A second enrolment is `409 already-enrolled`.

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{CourseStatus, EnrollRequest, Enrollment, EnrollmentPage};
use super::{THEORY_MANAGE, THEORY_READ, courses};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, FieldError, Result};
use crate::http::JsonBody;
use crate::kernel::{UserId, page};

pub struct EnrollmentsApi;

#[derive(ApiResponse)]
enum Enrolled {
    /// The enrolment, with no progress yet.
    #[oai(status = 201)]
    Created(Json<Enrollment>),
}

macro_rules! enrollment_select {
    () => {
        "select e.id, e.course_id, e.student_id, e.enrolled_by, e.completed_at, e.created_at,
             array(select p.lesson_id from theory_lesson_progress p
                   join theory_lessons l on l.id = p.lesson_id
                   join theory_modules m on m.id = l.module_id
                   where p.enrollment_id = e.id order by m.position, l.position) as completed_lesson_ids,
             (select count(*) from theory_lessons l join theory_modules m on m.id = l.module_id
              where m.course_id = e.course_id) as lessons_total
         from theory_enrollments e "
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    course_id: Uuid,
    student_id: Uuid,
    enrolled_by: Option<Uuid>,
    completed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    completed_lesson_ids: Vec<Uuid>,
    lessons_total: i64,
}

impl From<Row> for Enrollment {
    fn from(r: Row) -> Self {
        let done = i64::try_from(r.completed_lesson_ids.len()).unwrap_or(0);
        let progress_percent = if r.lessons_total > 0 {
            i32::try_from(done.min(r.lessons_total) * 100 / r.lessons_total).unwrap_or(0)
        } else {
            0
        };
        Enrollment {
            id: r.id,
            course_id: r.course_id,
            student_id: UserId(r.student_id),
            enrolled_by: r.enrolled_by.map(UserId),
            completed_lesson_ids: r.completed_lesson_ids,
            lessons_total: r.lessons_total,
            progress_percent,
            completed_at: r.completed_at,
            created_at: r.created_at,
            skill_shortfalls: Vec::new(),
        }
    }
}

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Enrollment>> {
    let row: Option<Row> = sqlx::query_as(concat!(enrollment_select!(), "where e.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Enrollment::from))
}

/// The enrolment as the caller may see it: their own, or anyone's with `theory.manage`.
async fn visible(ctx: &TenantCtx, conn: &mut PgConnection, id: Uuid) -> Result<Enrollment> {
    load(conn, id)
        .await?
        .filter(|e| e.student_id == ctx.user_id || ctx.has(THEORY_MANAGE))
        .ok_or(AppError::NotFound("enrollment"))
}

/// The codes of `course`'s prerequisites that `student` has not completed.
pub(super) async fn missing_prerequisites(
    conn: &mut PgConnection,
    course: Uuid,
    student: UserId,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select c.code from theory_course_prerequisites p join theory_courses c on c.id = p.prerequisite_id
         where p.course_id = $1 and not exists (
             select 1 from theory_enrollments e
             where e.course_id = p.prerequisite_id and e.student_id = $2 and e.completed_at is not null)
         order by c.code",
    )
    .bind(course)
    .bind(student)
    .fetch_all(conn)
    .await?)
}

#[OpenApi(
    prefix_path = "/api/v1/theory",
    tag = "crate::domains::theory::Tag::TheoryEnrollments"
)]
impl EnrollmentsApi {
    /// Enrol in a published course: the caller, or with `student_id` another person (that needs
    /// `theory.manage`). Every prerequisite course must be completed first
    /// (`409 prerequisites-not-met`, naming each); a course not published is
    /// `409 course-not-open`; a second enrolment `409 already-enrolled`.
    ///
    /// Permission: `theory.read` (another person: `theory.manage`). Audited as
    /// `theory_enrollment.created`.
    #[oai(path = "/courses/:id/enroll", method = "post")]
    async fn enroll(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<EnrollRequest>,
    ) -> Result<Enrolled> {
        ctx.require(THEORY_READ)?;
        let student = body.student_id.unwrap_or(ctx.user_id);
        if student != ctx.user_id {
            ctx.require(THEORY_MANAGE)?;
        }
        let mut tx = ctx.begin().await?;
        let course = courses::visible(&ctx, &mut tx, id.0).await?;
        if course.status != CourseStatus::Published {
            return Err(AppError::Conflict {
                code: "course-not-open",
                detail: "only a published course takes enrolments".into(),
                field: None,
            });
        }
        let missing = missing_prerequisites(&mut tx, course.id, student).await?;
        if !missing.is_empty() {
            return Err(AppError::Detailed {
                status: StatusCode::CONFLICT,
                code: "prerequisites-not-met",
                detail: format!(
                    "complete the prerequisite courses first: {}",
                    missing.join(", ")
                ),
                errors: missing
                    .into_iter()
                    .map(|c| FieldError::new("prerequisite_ids", format!("{c} is not completed")))
                    .collect(),
            });
        }
        let shortfalls = crate::domains::training::service::check_enrolment(
            &mut tx,
            student,
            crate::domains::training::service::Target::Course(course.id),
        )
        .await?;
        let eid: Option<Uuid> = sqlx::query_scalar(
            "insert into theory_enrollments (id, course_id, student_id, enrolled_by)
             values ($1, $2, $3, $4) on conflict (course_id, student_id) do nothing returning id",
        )
        .bind(Uuid::now_v7())
        .bind(course.id)
        .bind(student)
        .bind(ctx.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(eid) = eid else {
            return Err(AppError::Conflict {
                code: "already-enrolled",
                detail: "the student is enrolled in this course already".into(),
                field: None,
            });
        };
        let mut e = load(&mut tx, eid)
            .await?
            .ok_or(AppError::NotFound("enrollment"))?;
        e.skill_shortfalls = shortfalls;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_enrollment.created",
            "theory_enrollment",
            eid,
            &e,
        )
        .await?;
        tx.commit().await?;
        Ok(Enrolled::Created(Json(e)))
    }

    /// List enrolments, newest first: the caller's own, or with `theory.manage` everyone's
    /// (filter by `student_id`; another person's without `theory.manage` is `403`) and by
    /// `course_id`.
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/enrollments", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only this course's enrolments.
        course_id: Query<Option<Uuid>>,
        /// Only this student's enrolments.
        student_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<EnrollmentPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(THEORY_READ)?;
        let student = scope(&ctx, student_id.0)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(
            enrollment_select!(),
            "where e.id < $1 and e.student_id = coalesce($2, e.student_id)
               and e.course_id = coalesce($3, e.course_id) order by e.id desc limit $4"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(student)
        .bind(course_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Enrollment::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |e: &Enrollment| e.id);
        Ok(Json(EnrollmentPage { items, next_cursor }))
    }

    /// Get one enrolment with its progress (another student's: `theory.manage`, else `404`).
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/enrollments/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Enrollment>> {
        ctx.require(THEORY_READ)?;
        let mut tx = ctx.begin().await?;
        let e = visible(&ctx, &mut tx, id.0).await?;
        tx.end_read();
        Ok(Json(e))
    }

    /// Mark a lesson of the enrolment's course complete (again: no change). When every lesson
    /// is complete the enrolment is completed, which satisfies the prerequisites of other
    /// courses and course-bound exams.
    ///
    /// Permission: `theory.read` (the enrolled student; another's: `theory.manage`, else
    /// `404`). Audited as `theory_enrollment.lesson_completed`.
    #[oai(path = "/enrollments/:id/lessons/:lesson_id/complete", method = "post")]
    async fn complete(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        lesson_id: Path<Uuid>,
    ) -> Result<Json<Enrollment>> {
        ctx.require(THEORY_READ)?;
        let mut tx = ctx.begin().await?;
        let before = visible(&ctx, &mut tx, id.0).await?;
        sqlx::query("select 1 from theory_enrollments where id = $1 for update")
            .bind(before.id)
            .execute(&mut *tx)
            .await?;
        let in_course: bool = sqlx::query_scalar(
            "select exists (select 1 from theory_lessons l join theory_modules m on m.id = l.module_id
                            where l.id = $1 and m.course_id = $2)",
        )
        .bind(lesson_id.0)
        .bind(before.course_id)
        .fetch_one(&mut *tx)
        .await?;
        if !in_course {
            return Err(AppError::NotFound("lesson"));
        }
        let added = sqlx::query(
            "insert into theory_lesson_progress (enrollment_id, lesson_id) values ($1, $2)
             on conflict do nothing",
        )
        .bind(before.id)
        .bind(lesson_id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            tx.end_read();
            return Ok(Json(before));
        }
        sqlx::query(
            "update theory_enrollments e set completed_at = now()
             where e.id = $1 and e.completed_at is null
               and (select count(*) from theory_lesson_progress p where p.enrollment_id = e.id)
                   >= (select count(*) from theory_lessons l join theory_modules m on m.id = l.module_id
                       where m.course_id = e.course_id)",
        )
        .bind(before.id)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("enrollment"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "theory_enrollment.lesson_completed",
            "theory_enrollment",
            after.id,
            &before,
            &after,
        )
        .await?;
        if after.completed_at.is_some() {
            // A completed course may earn an achievement.
            crate::domains::training::service::award(&mut tx, Some(after.student_id.0)).await?;
        }
        tx.commit().await?;
        Ok(Json(after))
    }
}

/// The student a list is filtered to: the one asked for (another person needs `theory.manage`,
/// else `403`), or, for a caller without it, the caller.
pub(super) fn scope(ctx: &TenantCtx, asked: Option<UserId>) -> Result<Option<UserId>> {
    let manages = ctx.has(THEORY_MANAGE);
    match asked {
        Some(p) if p != ctx.user_id && !manages => Err(AppError::Forbidden(
            "you may only see your own enrolments and attempts".into(),
        )),
        Some(p) => Ok(Some(p)),
        None if manages => Ok(None),
        None => Ok(Some(ctx.user_id)),
    }
}
