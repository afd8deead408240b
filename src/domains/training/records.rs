//! Lesson records: an instructor grades a lesson of an enrollment (per-item grades on the
//! syllabus's scale, comments, the next lesson), tied to its booking and flight; the student
//! acknowledges it. Records are kept as written (the table refuses edits and deletes); a
//! correction is a new record of the same lesson, and the latest counts.

use chrono::NaiveDate;
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{GradingScale, LessonRecord, LessonRecordCreate, LessonRecordPage, LessonResult};
use super::enrollments::visible;
use super::repo::{self, NewRecord};
use super::{TRAINING_MANAGE, TRAINING_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::flights::service as flights;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::timezone::TenantClock;

pub struct RecordsApi;

#[derive(ApiResponse)]
enum Created {
    /// The record as kept.
    #[oai(status = 201)]
    Created(Json<LessonRecord>),
}

fn conflict(code: &'static str, detail: String) -> AppError {
    AppError::Conflict {
        code,
        detail,
        field: None,
    }
}

/// Whether `grade` belongs to `scale`, and whether it meets the standard.
fn grade_on(scale: GradingScale, grade: &str) -> Option<bool> {
    match (scale, grade) {
        (GradingScale::FivePoint, "1" | "2") => Some(false),
        (GradingScale::FivePoint, "3" | "4" | "5") => Some(true),
        (GradingScale::Satisfactory, "U") => Some(false),
        (GradingScale::Satisfactory, "S") => Some(true),
        _ => None,
    }
}

#[OpenApi(prefix_path = "/api/v1/training", tag = "super::Tag::Enrollments")]
impl RecordsApi {
    /// Grade a lesson of an open enrollment. The lesson is named by its code in the
    /// enrollment's version; its prerequisites must be completed (`409
    /// prerequisites-not-met`); a stage check is graded only by an instructor designated for the
    /// syllabus (`403 stage-check-not-designated`). `completed` needs a grade for every item of
    /// the lesson and none below the standard (1-2 on the five-point scale, U); grades follow
    /// the syllabus's scale. The date is the organisation's local day, never in the future.
    /// The next lesson defaults to the next in syllabus order (the same lesson when
    /// `incomplete`).
    ///
    /// Permission: `training.manage`. Audited as `lesson_record.created`.
    #[oai(path = "/enrollments/:id/records", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LessonRecordCreate>,
    ) -> Result<Created> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let e = visible(&ctx, &mut tx, id.0, true).await?;
        let date: NaiveDate = body.date.unwrap_or(today);
        if date > today {
            return Err(AppError::validation("date", "is in the future"));
        }
        let lessons = repo::lessons(&mut tx, e.version_id).await?;
        let at = lessons
            .iter()
            .position(|l| l.code == body.lesson_code)
            .ok_or_else(|| {
                AppError::validation("lesson_code", "names no lesson of the enrollment's version")
            })?;
        let lesson = &lessons[at];
        let next = match &body.next_lesson_code {
            Some(code) => Some(
                lessons
                    .iter()
                    .find(|l| &l.code == code)
                    .ok_or_else(|| {
                        AppError::validation(
                            "next_lesson_code",
                            "names no lesson of the enrollment's version",
                        )
                    })?
                    .id,
            ),
            None if body.result == LessonResult::Incomplete => Some(lesson.id),
            None => lessons.get(at + 1).map(|l| l.id),
        };
        // The grades: items of this lesson, each once, on the syllabus's scale.
        let mut graded = Vec::new();
        let mut below = false;
        for (i, g) in body.grades.iter().enumerate() {
            if !lesson.items.contains(&g.item_id) {
                return Err(AppError::validation(
                    format!("grades[{i}].item_id"),
                    "is not an item of this lesson",
                ));
            }
            if graded.contains(&g.item_id) {
                return Err(AppError::validation(
                    format!("grades[{i}].item_id"),
                    "is graded twice",
                ));
            }
            let meets = grade_on(e.grading_scale, &g.grade).ok_or_else(|| {
                AppError::validation(
                    format!("grades[{i}].grade"),
                    match e.grading_scale {
                        GradingScale::FivePoint => "is not a grade of this syllabus's scale (1-5)",
                        GradingScale::Satisfactory => {
                            "is not a grade of this syllabus's scale (S or U)"
                        }
                    },
                )
            })?;
            below |= !meets;
            graded.push(g.item_id);
        }
        if body.result == LessonResult::Completed {
            if graded.len() < lesson.items.len() {
                return Err(AppError::validation(
                    "grades",
                    "a completed lesson grades every item of the lesson",
                ));
            }
            if below {
                return Err(AppError::validation(
                    "result",
                    "an item is below the standard: the lesson is incomplete",
                ));
            }
        }
        if let Some(b) = body.booking_id
            && !repo::booking_exists(&mut tx, b).await?
        {
            return Err(AppError::validation(
                "booking_id",
                "names no booking of this organisation",
            ));
        }
        if let Some(f) = body.flight_id
            && !flights::flight_exists(&mut tx, f).await?
        {
            return Err(AppError::validation(
                "flight_id",
                "names no flight of this organisation",
            ));
        }
        if e.status != super::dto::EnrollmentStatus::Active {
            return Err(conflict(
                "enrollment-not-active",
                "lessons are recorded on an active enrollment".into(),
            ));
        }
        if lesson.stage_check && !repo::designated(&mut tx, e.syllabus_id, ctx.user_id).await? {
            return Err(AppError::status(
                StatusCode::FORBIDDEN,
                "stage-check-not-designated",
                "only an instructor designated for this syllabus's stage checks grades them",
            ));
        }
        let done = repo::completed_codes(&mut tx, e.id).await?;
        let missing: Vec<&str> = lesson
            .prerequisites
            .iter()
            .filter(|p| !done.contains(p))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(conflict(
                "prerequisites-not-met",
                format!("complete first: {}", missing.join(", ")),
            ));
        }
        let rid = repo::insert_record(
            &mut tx,
            &NewRecord {
                enrollment: e.id,
                lesson: lesson.id,
                date,
                instructor: ctx.user_id,
                booking: body.booking_id,
                flight: body.flight_id,
                result: body.result,
                comments: body.comments.as_deref(),
                next_lesson: next,
                grades: &body.grades,
            },
        )
        .await?;
        let r = repo::get_record(&mut tx, rid)
            .await?
            .ok_or(AppError::NotFound("lesson record"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "lesson_record.created",
            "lesson_record",
            rid,
            &r,
        )
        .await?;
        // A completed stage check may earn an achievement (first solo waits for the logbook).
        super::skills::service::award(&mut tx, Some(e.student_id)).await?;
        tx.commit().await?;
        Ok(Created::Created(Json(r)))
    }

    /// An enrollment's lesson records, newest first, with keyset pagination.
    ///
    /// Permission: `training.read` (another student's enrollment is `404`).
    #[oai(path = "/enrollments/:id/records", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<LessonRecordPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let e = visible(&ctx, &mut tx, id.0, false).await?;
        let rows = repo::list_records(&mut tx, e.id, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |r| r.id);
        Ok(Json(LessonRecordPage { items, next_cursor }))
    }

    /// One lesson record.
    ///
    /// Permission: `training.read` (another student's is `404`).
    #[oai(path = "/records/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<LessonRecord>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let r = repo::get_record(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("lesson record"))?;
        visible(&ctx, &mut tx, r.enrollment_id, false)
            .await
            .map_err(|_| AppError::NotFound("lesson record"))?;
        tx.end_read();
        Ok(Json(r))
    }

    /// The student acknowledges a lesson record of theirs (only they can: `403
    /// not-the-student`), once (`409 already-acknowledged`).
    ///
    /// Permission: `training.read`. Audited as `lesson_record.acknowledged`.
    #[oai(path = "/records/:id/acknowledge", method = "post")]
    async fn acknowledge(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<LessonRecord>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get_record(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("lesson record"))?;
        let e = visible(&ctx, &mut tx, before.enrollment_id, false)
            .await
            .map_err(|_| AppError::NotFound("lesson record"))?;
        if e.student_id != ctx.user_id.0 {
            return Err(AppError::status(
                StatusCode::FORBIDDEN,
                "not-the-student",
                "only the student acknowledges a lesson record",
            ));
        }
        if !repo::acknowledge(&mut tx, id.0).await? {
            return Err(conflict(
                "already-acknowledged",
                "the record is acknowledged already".into(),
            ));
        }
        let after = repo::get_record(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("lesson record"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "lesson_record.acknowledged",
            "lesson_record",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
