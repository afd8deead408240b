//! Attempts: `POST /api/v1/theory/exams/{id}/attempts`, `/attempts`, `/attempts/{id}`,
//! `POST /attempts/{id}/submit`. A student sees their own attempts only (another's is `404`);
//! `theory.manage` sees everyone's. The rules are in [`super::service`].

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::enrollments::scope;
use super::exam_dto::{Attempt, AttemptPage, AttemptStatus, AttemptSubmit, AttemptSummary};
use super::service::{self, Submitted};
use super::{THEORY_MANAGE, THEORY_READ};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::{UserId, page};

pub struct AttemptsApi;

#[derive(ApiResponse)]
enum Started {
    /// The attempt with its questions (no answer keys) and its deadline.
    #[oai(status = 201)]
    Created(Json<Attempt>),
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: Uuid,
    exam_id: Uuid,
    student_id: Uuid,
    number: i32,
    #[sqlx(try_from = "String")]
    status: AttemptStatus,
    started_at: DateTime<Utc>,
    deadline_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    awarded_points: Option<i32>,
    max_points: i32,
    passed: Option<bool>,
}

#[OpenApi(
    prefix_path = "/api/v1/theory",
    tag = "crate::domains::theory::Tag::TheoryExams"
)]
impl AttemptsApi {
    /// Start the caller's next attempt at a published exam: its questions are drawn from the
    /// exam's banks with a seed kept on the attempt (the same seed draws the same questions in
    /// the same order) and returned without their keys; the deadline is now plus the time
    /// limit. Refused with `409`: `attempt-in-progress`, `already-passed`,
    /// `attempt-limit-reached`, `retake-too-soon` (with `Retry-After`), `prerequisites-not-met`
    /// (the exam's course is not completed), `exam-not-ready` (too few active questions).
    /// `seed` (to reproduce a draw) needs `theory.manage`.
    ///
    /// Permission: `theory.read` (with `seed`: `theory.manage`). Audited as
    /// `theory_attempt.started`.
    #[oai(path = "/exams/:id/attempts", method = "post")]
    async fn start(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// The seed to draw with (authors only); absent: a random one.
        seed: Query<Option<i64>>,
    ) -> Result<Started> {
        ctx.require(THEORY_READ)?;
        let manages = ctx.has(THEORY_MANAGE);
        if seed.0.is_some() {
            ctx.require(THEORY_MANAGE)?;
        }
        let mut tx = ctx.begin().await?;
        let a = service::start_attempt(&mut tx, (&ctx).into(), id.0, ctx.user_id, manages, seed.0)
            .await?;
        tx.commit().await?;
        Ok(Started::Created(Json(a)))
    }

    /// List attempts, newest first: the caller's own, or with `theory.manage` everyone's
    /// (filter by `student_id`; another person's without it is `403`) and by `exam_id`.
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/attempts", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only this exam's attempts.
        exam_id: Query<Option<Uuid>>,
        /// Only this student's attempts.
        student_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<AttemptPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(THEORY_READ)?;
        let student = scope(&ctx, student_id.0)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<SummaryRow> = sqlx::query_as(
            "select id, exam_id, student_id, number, status, started_at, deadline_at, finished_at,
                 awarded_points, max_points, passed
             from theory_attempts where id < $1 and student_id = coalesce($2, student_id)
               and exam_id = coalesce($3, exam_id) order by id desc limit $4",
        )
        .bind(after.unwrap_or(Uuid::max()))
        .bind(student)
        .bind(exam_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let now = Utc::now();
        let rows = rows
            .into_iter()
            .map(|r| {
                let status = service::shown_status(r.status, r.deadline_at, now);
                let lapsed = status != r.status;
                AttemptSummary {
                    id: r.id,
                    exam_id: r.exam_id,
                    student_id: UserId(r.student_id),
                    number: r.number,
                    status,
                    started_at: r.started_at,
                    deadline_at: r.deadline_at,
                    finished_at: r.finished_at,
                    awarded_points: if lapsed { Some(0) } else { r.awarded_points },
                    max_points: r.max_points,
                    passed: if lapsed { Some(false) } else { r.passed },
                }
            })
            .collect();
        let (items, next_cursor) = page::finish(rows, limit, |a: &AttemptSummary| a.id);
        Ok(Json(AttemptPage { items, next_cursor }))
    }

    /// Get one attempt: its questions without keys while in progress; once finished its result
    /// (with each answer's key for `theory.manage`, or when the exam reveals answers). Another
    /// student's attempt without `theory.manage`: `404`.
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/attempts/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Attempt>> {
        ctx.require(THEORY_READ)?;
        let manages = ctx.has(THEORY_MANAGE);
        let mut tx = ctx.begin().await?;
        let a = service::load_attempt(&mut tx, id.0, manages)
            .await?
            .filter(|a| manages || a.student_id == ctx.user_id)
            .ok_or(AppError::NotFound("attempt"))?;
        tx.end_read();
        Ok(Json(a))
    }

    /// Submit the caller's attempt with its answers (each by question `position`; unanswered
    /// questions score nothing) and get it graded: score, pass or fail against the pass mark,
    /// per-subject results. After the deadline plus a 30-second grace the submission is
    /// refused with `409 attempt-expired` and the attempt is closed as expired with no points.
    /// A finished attempt is `409 attempt-finished`; an answer that does not fit its question
    /// `422`.
    ///
    /// Permission: `theory.read` (the attempt's student). Audited as
    /// `theory_attempt.submitted` (or `theory_attempt.expired`).
    #[oai(path = "/attempts/:id/submit", method = "post")]
    async fn submit(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<AttemptSubmit>,
    ) -> Result<Json<Attempt>> {
        ctx.require(THEORY_READ)?;
        let manages = ctx.has(THEORY_MANAGE);
        let mut tx = ctx.begin().await?;
        let outcome = service::submit_attempt(
            &mut tx,
            (&ctx).into(),
            id.0,
            ctx.user_id,
            manages,
            &body.answers,
        )
        .await?;
        if let Submitted::Graded(a) = &outcome {
            // A passed exam may earn an achievement.
            crate::domains::training::service::award(&mut tx, Some(a.student_id.0)).await?;
        }
        tx.commit().await?;
        match outcome {
            Submitted::Graded(a) => Ok(Json(a)),
            Submitted::Expired(a) => Err(AppError::Conflict {
                code: "attempt-expired",
                detail: format!(
                    "the time was up at {} (submissions are accepted until {}); the attempt is \
                     closed as expired",
                    a.deadline_at.to_rfc3339(),
                    a.submit_by.to_rfc3339()
                ),
                field: None,
            }),
        }
    }
}
