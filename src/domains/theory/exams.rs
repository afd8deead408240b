//! `/api/v1/theory/exams`: exam definitions. Authors see and edit every exam; everyone else
//! with `theory.read` sees published exams (an unpublished one answers `404`).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::exam_dto::{Exam, ExamCreate, ExamPage, ExamUpdate};
use super::{THEORY_MANAGE, THEORY_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::units::merge;
use crate::kernel::{UserId, page};

pub struct ExamsApi;

#[derive(ApiResponse)]
enum ExamCreated {
    /// The exam as stored.
    #[oai(status = 201)]
    Created(Json<Exam>),
}

macro_rules! exam_columns {
    () => {
        "x.id, x.title, x.description, x.course_id, array(select b.bank_id from theory_exam_banks b \
         where b.exam_id = x.id order by b.bank_id) as bank_ids, x.subjects, x.question_count, \
         x.time_limit_minutes, x.pass_mark_percent, x.max_attempts, x.retake_wait_minutes, \
         x.reveal_answers, x.published, x.created_by, x.version, x.created_at, x.updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    description: Option<String>,
    course_id: Option<Uuid>,
    bank_ids: Vec<Uuid>,
    subjects: Vec<String>,
    question_count: i32,
    time_limit_minutes: i32,
    pass_mark_percent: i32,
    max_attempts: Option<i32>,
    retake_wait_minutes: i32,
    reveal_answers: bool,
    published: bool,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Exam {
    fn from(r: Row) -> Self {
        Exam {
            id: r.id,
            title: r.title,
            description: r.description,
            course_id: r.course_id,
            bank_ids: r.bank_ids,
            subjects: r.subjects,
            question_count: r.question_count,
            time_limit_minutes: r.time_limit_minutes,
            pass_mark_percent: r.pass_mark_percent,
            max_attempts: r.max_attempts,
            retake_wait_minutes: r.retake_wait_minutes,
            reveal_answers: r.reveal_answers,
            published: r.published,
            created_by: r.created_by.map(UserId),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One exam, published or not.
pub(super) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Exam>> {
    let sql = if lock {
        concat!(
            "select ",
            exam_columns!(),
            " from theory_exams x where x.id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            exam_columns!(),
            " from theory_exams x where x.id = $1"
        )
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Exam::from))
}

fn check_subjects(subjects: &[String]) -> Result<()> {
    for (i, s) in subjects.iter().enumerate() {
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !ok {
            return Err(AppError::validation(
                format!("subjects[{i}]"),
                "is a subject tag: lowercase letters, digits, `_` and `-`, up to 40 characters",
            ));
        }
    }
    Ok(())
}

#[OpenApi(
    prefix_path = "/api/v1/theory/exams",
    tag = "crate::domains::theory::Tag::TheoryExams"
)]
impl ExamsApi {
    /// List exams, newest first: every exam for authors, published ones for everyone else.
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only exams bound to this course.
        course_id: Query<Option<Uuid>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ExamPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(THEORY_READ)?;
        let all = ctx.has(THEORY_MANAGE);
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "select ",
            exam_columns!(),
            " from theory_exams x where x.id < $1 and ($2 or x.published)
               and ($3::uuid is null or x.course_id = $3) order by x.id desc limit $4"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(all)
        .bind(course_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Exam::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |x: &Exam| x.id);
        Ok(Json(ExamPage { items, next_cursor }))
    }

    /// Create an exam drawing from `bank_ids` (each must exist; `422` otherwise).
    ///
    /// Permission: `theory.manage`. Audited as `theory_exam.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<ExamCreate>) -> Result<ExamCreated> {
        let b = body.0;
        ctx.require(THEORY_MANAGE)?;
        if b.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let subjects = b.subjects.unwrap_or_default();
        check_subjects(&subjects)?;
        let mut tx = ctx.begin().await?;
        let banks: i64 =
            sqlx::query_scalar("select count(*) from theory_question_banks where id = any($1)")
                .bind(&b.bank_ids)
                .fetch_one(&mut *tx)
                .await?;
        if usize::try_from(banks).unwrap_or(0) != b.bank_ids.len() {
            return Err(AppError::validation(
                "bank_ids",
                "names no such question bank of this organisation",
            ));
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into theory_exams (id, title, description, course_id, subjects, question_count,
                 time_limit_minutes, pass_mark_percent, max_attempts, retake_wait_minutes,
                 reveal_answers, published, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(b.title.trim())
        .bind(&b.description)
        .bind(b.course_id)
        .bind(&subjects)
        .bind(b.question_count)
        .bind(b.time_limit_minutes)
        .bind(b.pass_mark_percent)
        .bind(b.max_attempts)
        .bind(b.retake_wait_minutes.unwrap_or(0))
        .bind(b.reveal_answers.unwrap_or(true))
        .bind(b.published.unwrap_or(false))
        .bind(ctx.user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "insert into theory_exam_banks (exam_id, bank_id) select $1, unnest($2::uuid[])",
        )
        .bind(id)
        .bind(&b.bank_ids)
        .execute(&mut *tx)
        .await?;
        let exam = load(&mut tx, id, false)
            .await?
            .ok_or(AppError::NotFound("exam"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_exam.created",
            "theory_exam",
            id,
            &exam,
        )
        .await?;
        tx.commit().await?;
        Ok(ExamCreated::Created(Json(exam)))
    }

    /// Get one exam (unpublished: authors only, else `404`).
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Exam>> {
        ctx.require(THEORY_READ)?;
        let mut tx = ctx.begin().await?;
        let exam = load(&mut tx, id.0, false)
            .await?
            .filter(|x| x.published || ctx.has(THEORY_MANAGE))
            .ok_or(AppError::NotFound("exam"))?;
        tx.end_read();
        Ok(Json(exam))
    }

    /// Update an exam partially (`max_attempts: null` removes the limit). Attempts already
    /// started keep their questions and deadline. With `version`, a concurrent change answers
    /// `409`.
    ///
    /// Permission: `theory.manage`. Audited as `theory_exam.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ExamUpdate>,
    ) -> Result<Json<Exam>> {
        let b = body.0;
        ctx.require(THEORY_MANAGE)?;
        if b.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("exam"))?;
        AppError::check_version("exam", b.version, before.version)?;
        let mut n = before.clone();
        if let Some(t) = b.title {
            n.title = t.trim().to_owned();
        }
        merge(&mut n.description, &b.description);
        n.question_count = b.question_count.unwrap_or(n.question_count);
        n.time_limit_minutes = b.time_limit_minutes.unwrap_or(n.time_limit_minutes);
        n.pass_mark_percent = b.pass_mark_percent.unwrap_or(n.pass_mark_percent);
        merge(&mut n.max_attempts, &b.max_attempts);
        n.retake_wait_minutes = b.retake_wait_minutes.unwrap_or(n.retake_wait_minutes);
        n.reveal_answers = b.reveal_answers.unwrap_or(n.reveal_answers);
        n.published = b.published.unwrap_or(n.published);
        sqlx::query(
            "update theory_exams set title = $2, description = $3, question_count = $4,
                 time_limit_minutes = $5, pass_mark_percent = $6, max_attempts = $7,
                 retake_wait_minutes = $8, reveal_answers = $9, published = $10, version = version + 1
             where id = $1",
        )
        .bind(n.id)
        .bind(&n.title)
        .bind(&n.description)
        .bind(n.question_count)
        .bind(n.time_limit_minutes)
        .bind(n.pass_mark_percent)
        .bind(n.max_attempts)
        .bind(n.retake_wait_minutes)
        .bind(n.reveal_answers)
        .bind(n.published)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, n.id, false)
            .await?
            .ok_or(AppError::NotFound("exam"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "theory_exam.updated",
            "theory_exam",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
