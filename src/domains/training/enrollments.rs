//! `/api/v1/training/enrollments`: a student in one syllabus version, with progress and pace.
//! Staff with `training.manage` see and change everyone's; a student sees their own (another's
//! is `404`).

use chrono::NaiveDate;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{
    Enrollment, EnrollmentCreate, EnrollmentList, EnrollmentMove, EnrollmentStatus,
    EnrollmentUpdate, LessonKind, NextLessonBooking, Pace, Progress, RequirementProgress,
    VersionStatus,
};
use super::repo::{self, EnrollmentRow, NewEnrollment};
use super::skills::service as skills;
use super::{TRAINING_MANAGE, TRAINING_READ, progress};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::flights::service as flights;
use crate::domains::scheduling::service as scheduling;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::{UserId, page};
use crate::tenancy::TenantTx;
use crate::timezone::TenantClock;

pub struct EnrollmentsApi;

#[derive(ApiResponse)]
enum Created {
    /// The enrollment, with its progress.
    #[oai(status = 201)]
    Created(Json<Enrollment>),
}

#[derive(ApiResponse)]
enum Booked {
    /// The booking scheduling made.
    #[oai(status = 201)]
    Created(Json<scheduling::Booking>),
}

fn conflict(code: &'static str, detail: &str) -> AppError {
    AppError::Conflict {
        code,
        detail: detail.to_owned(),
        field: None,
    }
}

/// Where the enrollment stands on `today`.
pub(super) async fn progress_of(
    tx: &mut TenantTx,
    e: &EnrollmentRow,
    today: NaiveDate,
) -> Result<Progress> {
    let lessons = repo::lessons(tx, e.version_id).await?;
    let done = repo::completed_codes(tx, e.id).await?;
    let is_done = |code: &str| done.iter().any(|d| d == code);
    let completed = lessons.iter().filter(|l| is_done(&l.code)).count();
    let total = i32::try_from(lessons.len()).unwrap_or(i32::MAX);
    let completed = i32::try_from(completed).unwrap_or(i32::MAX);
    let next_lesson = lessons
        .iter()
        .find(|l| !is_done(&l.code) && l.prerequisites.iter().all(|p| is_done(p)))
        .map(|l| l.code.clone());
    let (_, requirements) = repo::content(tx, e.version_id).await?;
    let columns: Vec<_> = requirements
        .iter()
        .map(|r| (r.column, r.with_column))
        .collect();
    let sums = flights::column_sums(tx, UserId(e.student_id), e.started_on, &columns).await?;
    let elapsed = progress::elapsed(e.started_on, today, e.held(today));
    let expected = progress::expected(elapsed, e.lessons_per_week);
    Ok(Progress {
        lessons_total: total,
        lessons_completed: completed,
        lessons_expected: expected.min(total),
        pace: progress::pace(completed, expected.min(total)),
        forecast_completion: progress::forecast(
            elapsed,
            today,
            e.lessons_per_week,
            completed,
            total,
        ),
        next_lesson,
        requirements: requirements
            .into_iter()
            .zip(sums)
            .map(|(r, logged)| RequirementProgress {
                met: logged >= i64::from(r.minimum),
                description: r.description,
                regulation: r.regulation,
                column: r.column,
                with_column: r.with_column,
                minimum: r.minimum,
                logged,
            })
            .collect(),
    })
}

pub(super) async fn view(
    tx: &mut TenantTx,
    e: EnrollmentRow,
    today: NaiveDate,
) -> Result<Enrollment> {
    let progress = progress_of(tx, &e, today).await?;
    let days_on_hold = e.held(today);
    let skill_shortfalls = if is_open(e.status) {
        skills::shortfalls(
            tx,
            UserId(e.student_id),
            skills::Target::Syllabus {
                id: e.syllabus_id,
                lesson: progress.next_lesson.as_deref(),
            },
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(Enrollment {
        id: e.id,
        student_id: UserId(e.student_id),
        syllabus_id: e.syllabus_id,
        syllabus_code: e.syllabus_code,
        syllabus_version: e.version_number,
        status: e.status,
        started_on: e.started_on,
        lessons_per_week: e.lessons_per_week,
        instructor_ids: e.instructor_ids.into_iter().map(UserId).collect(),
        completed_on: e.completed_on,
        days_on_hold,
        notes: e.notes,
        progress,
        skill_shortfalls,
        version: e.version,
        created_at: e.created_at,
        updated_at: e.updated_at,
    })
}

/// The enrollment `id` as the caller may see it: staff any, a student their own (else `404`).
pub(super) async fn visible(
    ctx: &TenantCtx,
    tx: &mut TenantTx,
    id: Uuid,
    lock: bool,
) -> Result<EnrollmentRow> {
    repo::get_enrollment(tx, id, lock)
        .await?
        .filter(|e| ctx.has(TRAINING_MANAGE) || e.student_id == ctx.user_id.0)
        .ok_or(AppError::NotFound("enrollment"))
}

async fn check_users(tx: &mut TenantTx, field: &str, users: &[UserId]) -> Result<()> {
    for (i, u) in users.iter().enumerate() {
        if !repo::user_exists(tx, *u).await? {
            return Err(AppError::validation(
                format!("{field}[{i}]"),
                "names no user of this organisation",
            ));
        }
    }
    Ok(())
}

fn is_open(s: EnrollmentStatus) -> bool {
    matches!(s, EnrollmentStatus::Active | EnrollmentStatus::OnHold)
}

#[OpenApi(
    prefix_path = "/api/v1/training/enrollments",
    tag = "super::Tag::Enrollments"
)]
impl EnrollmentsApi {
    /// Enrollments sorted by who is falling behind (the school's list): everyone's with
    /// `training.manage`, else the caller's own; `status` filters (default `active`). Progress
    /// is computed for every match (at most 5,000) before the list is cut to `limit`.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        status: Query<Option<EnrollmentStatus>>,
        /// At most this many, 1..=200 (default 50), the furthest behind first.
        limit: Query<page::Limit>,
    ) -> Result<Json<EnrollmentList>> {
        ctx.require(TRAINING_READ)?;
        let limit = usize::try_from(limit.0.get()).unwrap_or(50);
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let only = (!ctx.has(TRAINING_MANAGE)).then_some(ctx.user_id);
        let status = serde_json::to_value(status.0.unwrap_or(EnrollmentStatus::Active))
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        let rows = repo::list_enrollments(&mut tx, only, status.as_deref()).await?;
        // Every match is measured before the cut, so the furthest behind are never cut off.
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(view(&mut tx, r, today).await?);
        }
        tx.end_read();
        let rank = |p: Pace| match p {
            Pace::Behind => 0,
            Pace::OnTrack => 1,
            Pace::Ahead => 2,
        };
        // Behind first, the furthest behind first; ties newest first (the rows' order).
        items.sort_by_key(|e| {
            (
                rank(e.progress.pace),
                e.progress.lessons_completed - e.progress.lessons_expected,
            )
        });
        let truncated = items.len() > limit;
        items.truncate(limit);
        Ok(Json(EnrollmentList { items, truncated }))
    }

    /// Enroll a student in a published syllabus version (default the latest). `409
    /// already-enrolled` while they have an open (active or on hold) enrollment in the syllabus;
    /// `409 version-not-published` for a draft; `409 no-published-version` when the syllabus has
    /// none.
    ///
    /// Permission: `training.manage`. Audited as `enrollment.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<EnrollmentCreate>) -> Result<Created> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        check_users(
            &mut tx,
            "student_id",
            std::slice::from_ref(&body.student_id),
        )
        .await
        .map_err(|_| AppError::validation("student_id", "names no user of this organisation"))?;
        check_users(&mut tx, "instructor_ids", &body.instructor_ids).await?;
        repo::get_syllabus(&mut tx, body.syllabus_id, false)
            .await?
            .ok_or_else(|| {
                AppError::validation("syllabus_id", "names no syllabus of this organisation")
            })?;
        let version = match body.syllabus_version {
            Some(n) => {
                let v = repo::version(&mut tx, body.syllabus_id, n, false)
                    .await?
                    .ok_or_else(|| {
                        AppError::validation("syllabus_version", "the syllabus has no such version")
                    })?;
                if v.status != VersionStatus::Published {
                    return Err(conflict("version-not-published", "that version is a draft"));
                }
                v
            }
            None => repo::latest_published(&mut tx, body.syllabus_id)
                .await?
                .ok_or_else(|| {
                    conflict(
                        "no-published-version",
                        "the syllabus has no published version yet",
                    )
                })?,
        };
        skills::check_enrolment(
            &mut tx,
            body.student_id,
            skills::Target::Syllabus {
                id: body.syllabus_id,
                lesson: None,
            },
        )
        .await?;
        let instructors: Vec<Uuid> = body.instructor_ids.iter().map(|u| u.0).collect();
        let id = repo::insert_enrollment(
            &mut tx,
            &NewEnrollment {
                student: body.student_id,
                syllabus: body.syllabus_id,
                version: version.id,
                started_on: body.started_on.unwrap_or(today),
                lessons_per_week: body.lessons_per_week.unwrap_or(version.lessons_per_week),
                instructors: &instructors,
                notes: body.notes.as_deref(),
            },
        )
        .await?
        .ok_or_else(|| {
            conflict(
                "already-enrolled",
                "the student has an open enrollment in this syllabus",
            )
        })?;
        let row = visible(&ctx, &mut tx, id, false).await?;
        let e = view(&mut tx, row, today).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "enrollment.created",
            "enrollment",
            id,
            &e,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(e)))
    }

    /// One enrollment with its progress: lessons done against the plan, pace, forecast, the
    /// next lesson and hours against the version's requirements (from the student's logbook
    /// since the start).
    ///
    /// Permission: `training.read` (another student's is `404`).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Enrollment>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let row = visible(&ctx, &mut tx, id.0, false).await?;
        let e = view(&mut tx, row, today).await?;
        tx.end_read();
        Ok(Json(e))
    }

    /// Change an enrollment: status (active and on hold back and forth; `withdrawn`;
    /// `completed` only with every lesson completed, else `409 lessons-remaining`), planned
    /// lessons a week, instructors, notes. A completed or withdrawn enrollment is closed (`409
    /// enrollment-closed`). With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `training.manage`. Audited as `enrollment.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<EnrollmentUpdate>,
    ) -> Result<Json<Enrollment>> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let before = visible(&ctx, &mut tx, id.0, true).await?;
        AppError::check_version("enrollment", body.version, before.version)?;
        if !is_open(before.status) {
            return Err(conflict(
                "enrollment-closed",
                "the enrollment is completed or withdrawn",
            ));
        }
        let mut next = before.clone();
        if let Some(ids) = &body.instructor_ids {
            check_users(&mut tx, "instructor_ids", ids).await?;
            next.instructor_ids = ids.iter().map(|u| u.0).collect();
        }
        if let Some(n) = body.lessons_per_week {
            next.lessons_per_week = n;
        }
        match &body.notes {
            MaybeUndefined::Value(n) => next.notes = Some(n.clone()),
            MaybeUndefined::Null => next.notes = None,
            MaybeUndefined::Undefined => {}
        }
        if let Some(s) = body.status {
            if s == EnrollmentStatus::Completed {
                let p = progress_of(&mut tx, &before, today).await?;
                if p.lessons_completed < p.lessons_total {
                    return Err(conflict(
                        "lessons-remaining",
                        &format!(
                            "{} of {} lessons are completed",
                            p.lessons_completed, p.lessons_total
                        ),
                    ));
                }
                next.completed_on = Some(today);
            }
            // Time on hold does not count toward the pace.
            match (before.status, s) {
                (EnrollmentStatus::OnHold, EnrollmentStatus::OnHold) => {}
                (EnrollmentStatus::OnHold, _) => {
                    next.held_days = i32::try_from(before.held(today)).unwrap_or(i32::MAX);
                    next.on_hold_since = None;
                }
                (_, EnrollmentStatus::OnHold) => next.on_hold_since = Some(today),
                _ => {}
            }
            next.status = s;
        }
        repo::update_enrollment(&mut tx, &next).await?;
        let before_view = view(&mut tx, before, today).await?;
        let row = visible(&ctx, &mut tx, id.0, false).await?;
        let after = view(&mut tx, row, today).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "enrollment.updated",
            "enrollment",
            id.0,
            &before_view,
            &after,
        )
        .await?;
        if after.status == EnrollmentStatus::Completed {
            skills::award(&mut tx, Some(after.student_id.0)).await?;
        }
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Move an open enrollment to another published version of its syllabus, on purpose (a new
    /// version never moves anyone by itself). Lessons completed count in the new version where
    /// it has a lesson of the same code. `409 version-not-published` for a draft.
    ///
    /// Permission: `training.manage`. Audited as `enrollment.moved`.
    #[oai(path = "/:id/move", method = "post")]
    async fn move_to(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<EnrollmentMove>,
    ) -> Result<Json<Enrollment>> {
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let before = visible(&ctx, &mut tx, id.0, true).await?;
        if !is_open(before.status) {
            return Err(conflict(
                "enrollment-closed",
                "the enrollment is completed or withdrawn",
            ));
        }
        let v = repo::version(&mut tx, before.syllabus_id, body.syllabus_version, false)
            .await?
            .ok_or_else(|| {
                AppError::validation("syllabus_version", "the syllabus has no such version")
            })?;
        if v.status != VersionStatus::Published {
            return Err(conflict("version-not-published", "that version is a draft"));
        }
        let mut next = before.clone();
        next.version_id = v.id;
        repo::update_enrollment(&mut tx, &next).await?;
        let before_view = view(&mut tx, before, today).await?;
        let row = visible(&ctx, &mut tx, id.0, false).await?;
        let after = view(&mut tx, row, today).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "enrollment.moved",
            "enrollment",
            id.0,
            &before_view,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Book an open enrollment's next lesson (or `lesson_code`) through scheduling: the lesson's
    /// planned duration from `starts_at`, the student as pilot, a `dual` booking with an
    /// aircraft for a flight lesson (`422` without `aircraft_id`), `simulator` with a
    /// simulator, `ground` with the instructor only; the instructor defaults to the
    /// enrollment's first. Scheduling's dispatch rules, conflicts (`409 booking-conflict`) and
    /// audit apply as for any booking. `409 nothing-to-book` when every lesson is done.
    ///
    /// Permission: `training.manage` and `scheduling.book` (booking for the student needs
    /// `scheduling.manage`, as scheduling's `own_bookings_only` rule says). Audited as
    /// `booking.created`.
    #[oai(path = "/:id/next-booking", method = "post")]
    async fn book_next(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<NextLessonBooking>,
    ) -> Result<Booked> {
        ctx.require(TRAINING_MANAGE)?;
        ctx.require(crate::domains::scheduling::SCHEDULING_BOOK)?;
        let mut tx = ctx.begin().await?;
        let today = TenantClock::load(&mut tx).await?.today();
        let e = visible(&ctx, &mut tx, id.0, false).await?;
        if e.status != EnrollmentStatus::Active {
            return Err(conflict(
                "enrollment-not-active",
                "lessons are booked on an active enrollment",
            ));
        }
        let code = match &body.lesson_code {
            Some(c) => c.clone(),
            None => progress_of(&mut tx, &e, today)
                .await?
                .next_lesson
                .ok_or_else(|| conflict("nothing-to-book", "every lesson is completed"))?,
        };
        let lesson = repo::lesson_by_code(&mut tx, e.version_id, &code)
            .await?
            .ok_or_else(|| {
                AppError::validation("lesson_code", "names no lesson of the enrollment's version")
            })?;
        skills::check_enrolment(
            &mut tx,
            UserId(e.student_id),
            skills::Target::Lesson {
                syllabus: e.syllabus_id,
                code: &lesson.code,
            },
        )
        .await?;
        tx.end_read();
        let kind = match lesson.kind {
            LessonKind::Flight => {
                if body.aircraft_id.is_none() {
                    return Err(AppError::validation(
                        "aircraft_id",
                        "is required for a flight lesson",
                    ));
                }
                scheduling::BookingKind::Dual
            }
            LessonKind::Simulator => {
                if body.simulator_id.is_none() {
                    return Err(AppError::validation(
                        "simulator_id",
                        "is required for a simulator lesson",
                    ));
                }
                scheduling::BookingKind::Simulator
            }
            LessonKind::Ground => scheduling::BookingKind::Ground,
        };
        let booking = scheduling::BookingCreate {
            kind,
            starts_at: body.starts_at,
            ends_at: body.starts_at + chrono::Duration::minutes(i64::from(lesson.planned_minutes)),
            aircraft_id: if lesson.kind == LessonKind::Flight {
                body.aircraft_id
            } else {
                None
            },
            instructor_id: body
                .instructor_id
                .or_else(|| e.instructor_ids.first().copied().map(UserId)),
            simulator_id: if lesson.kind == LessonKind::Simulator {
                body.simulator_id
            } else {
                None
            },
            pilot_id: Some(UserId(e.student_id)),
            flight_rules: None,
            night: None,
            title: Some(format!(
                "{} {}: {}",
                e.syllabus_code, lesson.code, lesson.title
            )),
            notes: None,
            override_rules: body.override_rules.clone(),
        };
        let b = scheduling::create(&ctx, &booking, None).await?;
        Ok(Booked::Created(Json(b)))
    }
}
