//! Attempts: starting one (the retake rules, the course prerequisite, the seeded draw, the
//! questions copied with their keys) and submitting it (answers checked against the copies,
//! graded, per-subject results). Everything runs in the caller's transaction; the HTTP handlers
//! and the benchmark call these.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use sqlx::PgConnection;
use uuid::Uuid;

pub use super::exam_dto::{AnswerInput, Attempt, AttemptStatus};
use super::exam_dto::{AnswerKey, AttemptQuestion, AttemptResult, GradedAnswer, SubjectResult};
use super::grading::{self, Given, Key, QuestionKind};
use super::{enrollments, exams};
use crate::audit::{self, Actor};
use crate::error::{AppError, Checks, FieldError, Result};
use crate::kernel::UserId;
use crate::kernel::units::wire;
use crate::tenancy::TenantTx;

/// What a submission came to: graded, or refused because the time was up (the attempt is then
/// closed as expired; the caller commits that and answers `409 attempt-expired`).
pub enum Submitted {
    Graded(Attempt),
    Expired(Attempt),
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    id: Uuid,
    exam_id: Uuid,
    student_id: Uuid,
    number: i32,
    seed: i64,
    #[sqlx(try_from = "String")]
    status: AttemptStatus,
    started_at: DateTime<Utc>,
    deadline_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    max_points: i32,
    pass_mark_percent: i32,
    reveal_answers: bool,
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    position: i32,
    #[sqlx(try_from = "String")]
    kind: QuestionKind,
    prompt: String,
    options: Vec<String>,
    subject: String,
    points: i32,
    correct_options: Vec<i32>,
    correct_bool: Option<bool>,
    correct_number: Option<f64>,
    tolerance: Option<f64>,
    explanation: Option<String>,
    answer: Option<String>,
    correct: Option<bool>,
}

impl QuestionRow {
    fn key(&self) -> Key {
        Key {
            kind: self.kind,
            correct_options: self.correct_options.clone(),
            correct_bool: self.correct_bool,
            correct_number: self.correct_number,
            tolerance: self.tolerance,
        }
    }
}

const ATTEMPT_SQL: &str =
    "select a.id, a.exam_id, a.student_id, a.number, a.seed, a.status, a.started_at,
        a.deadline_at, a.finished_at, a.max_points, a.pass_mark_percent, x.reveal_answers
     from theory_attempts a join theory_exams x on x.id = a.exam_id where a.id = $1";

/// The status to show: an attempt in progress past its deadline and grace is expired, whether
/// or not a later write has recorded it yet.
pub fn shown_status(
    status: AttemptStatus,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AttemptStatus {
    if status == AttemptStatus::InProgress && now > grading::submit_by(deadline) {
        AttemptStatus::Expired
    } else {
        status
    }
}

fn given_input(position: i32, g: &Given) -> AnswerInput {
    let mut a = AnswerInput {
        position,
        selected: None,
        true_false: None,
        number: None,
    };
    match g {
        Given::Selected(s) => a.selected = Some(s.clone()),
        Given::TrueFalse(b) => a.true_false = Some(*b),
        Given::Number(n) => a.number = Some(*n),
    }
    a
}

/// One attempt with its questions; the result (and the keys, to `theory.manage` or when the
/// exam reveals them) only once it is finished. `None` when there is no such attempt.
pub async fn load_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    manages: bool,
) -> Result<Option<Attempt>> {
    let Some(a): Option<AttemptRow> = sqlx::query_as(ATTEMPT_SQL)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let rows: Vec<QuestionRow> = sqlx::query_as(
        "select position, kind, prompt, options, subject, points, correct_options, correct_bool,
             correct_number, tolerance, explanation, answer::text as answer, correct
         from theory_attempt_questions where attempt_id = $1 order by position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let status = shown_status(a.status, a.deadline_at, Utc::now());
    let result = (status != AttemptStatus::InProgress).then(|| {
        let reveal = manages || a.reveal_answers;
        let mut subjects: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        let mut awarded = 0;
        let answers = rows
            .iter()
            .map(|q| {
                let right = q.correct.unwrap_or(false);
                let points = if right { q.points } else { 0 };
                awarded += points;
                let s = subjects.entry(q.subject.as_str()).or_default();
                s.0 += i64::from(points);
                s.1 += i64::from(q.points);
                let given = q
                    .answer
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<Given>(j).ok())
                    .map(|g| given_input(q.position, &g));
                GradedAnswer {
                    position: q.position,
                    given,
                    right,
                    awarded_points: points,
                    key: reveal.then(|| AnswerKey {
                        correct_options: q.correct_options.clone(),
                        correct_bool: q.correct_bool,
                        correct_number: q.correct_number,
                        tolerance: q.tolerance,
                        explanation: q.explanation.clone(),
                    }),
                }
            })
            .collect();
        AttemptResult {
            awarded_points: awarded,
            max_points: a.max_points,
            score_percent: grading::percent(awarded.into(), a.max_points.into()),
            pass_mark_percent: a.pass_mark_percent,
            passed: grading::passed(awarded.into(), a.max_points.into(), a.pass_mark_percent),
            subjects: subjects
                .into_iter()
                .map(|(subject, (got, max))| SubjectResult {
                    subject: subject.to_owned(),
                    awarded_points: got,
                    max_points: max,
                    percent: grading::percent(got, max),
                })
                .collect(),
            answers,
        }
    });
    Ok(Some(Attempt {
        id: a.id,
        exam_id: a.exam_id,
        student_id: UserId(a.student_id),
        number: a.number,
        seed: a.seed,
        status,
        started_at: a.started_at,
        deadline_at: a.deadline_at,
        submit_by: grading::submit_by(a.deadline_at),
        finished_at: a.finished_at.or_else(|| {
            (status == AttemptStatus::Expired).then(|| grading::submit_by(a.deadline_at))
        }),
        questions: rows
            .into_iter()
            .map(|q| AttemptQuestion {
                position: q.position,
                kind: q.kind,
                prompt: q.prompt,
                options: q.options,
                subject: q.subject,
                points: q.points,
            })
            .collect(),
        result,
    }))
}

fn conflict(code: &'static str, detail: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        detail: detail.into(),
        field: None,
    }
}

/// Closes `student`'s attempts at `exam` whose time ran out: expired, no points.
async fn expire_overdue(conn: &mut PgConnection, exam: Uuid, student: UserId) -> Result<()> {
    sqlx::query(
        "update theory_attempts set status = 'expired', awarded_points = 0, passed = false,
             finished_at = deadline_at + make_interval(secs => $3)
         where exam_id = $1 and student_id = $2 and status = 'in_progress'
           and deadline_at + make_interval(secs => $3) < now()",
    )
    .bind(exam)
    .bind(student)
    .bind(grading::GRACE_SECONDS as f64)
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts `student`'s next attempt at `exam`: published (or the caller authors exams), the
/// exam's course completed, no attempt in progress, not passed already, under the attempt
/// limit and past the retake wait. Draws the questions with `seed` (random when absent).
pub async fn start_attempt(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    exam_id: Uuid,
    student: UserId,
    manages: bool,
    seed: Option<i64>,
) -> Result<Attempt> {
    let exam = exams::load(tx, exam_id, false)
        .await?
        .filter(|x| x.published || manages)
        .ok_or(AppError::NotFound("exam"))?;
    // One start at a time per student and exam: the checks below see every earlier attempt.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 17))")
        .bind(exam.id)
        .bind(student)
        .execute(&mut **tx)
        .await?;
    expire_overdue(tx, exam.id, student).await?;
    let earlier: Vec<(String, Option<bool>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "select status, passed, finished_at from theory_attempts
         where exam_id = $1 and student_id = $2 order by number",
    )
    .bind(exam.id)
    .bind(student)
    .fetch_all(&mut **tx)
    .await?;
    if earlier.iter().any(|(s, _, _)| s == "in_progress") {
        return Err(conflict(
            "attempt-in-progress",
            "finish the attempt in progress first",
        ));
    }
    if earlier.iter().any(|(_, p, _)| *p == Some(true)) {
        return Err(conflict(
            "already-passed",
            "the student passed this exam already",
        ));
    }
    let made = i32::try_from(earlier.len()).unwrap_or(i32::MAX);
    if exam.max_attempts.is_some_and(|m| made >= m) {
        return Err(conflict(
            "attempt-limit-reached",
            format!("all {made} attempts allowed at this exam are used"),
        ));
    }
    if let Some(last) = earlier.last().and_then(|(_, _, f)| *f) {
        let next = last + Duration::minutes(exam.retake_wait_minutes.into());
        let now = Utc::now();
        if next > now {
            return Err(AppError::Status {
                status: StatusCode::CONFLICT,
                code: "retake-too-soon",
                detail: format!("the next attempt may start at {}", next.to_rfc3339()),
                retry_after: Some(u64::try_from((next - now).num_seconds() + 1).unwrap_or(1)),
            });
        }
    }
    if let Some(course) = exam.course_id {
        let done: bool = sqlx::query_scalar(
            "select exists (select 1 from theory_enrollments where course_id = $1
                 and student_id = $2 and completed_at is not null)",
        )
        .bind(course)
        .bind(student)
        .fetch_one(&mut **tx)
        .await?;
        if !done {
            let mut missing = enrollments::missing_prerequisites(tx, course, student).await?;
            let code: String = sqlx::query_scalar("select code from theory_courses where id = $1")
                .bind(course)
                .fetch_one(&mut **tx)
                .await?;
            missing.push(code);
            return Err(AppError::Detailed {
                status: StatusCode::CONFLICT,
                code: "prerequisites-not-met",
                detail: "complete the exam's course first".into(),
                errors: vec![FieldError::new(
                    "course_id",
                    format!("{} is not completed", missing.join(", ")),
                )],
            });
        }
    }
    let pool: Vec<Uuid> = sqlx::query_scalar(
        "select q.id from theory_questions q join theory_exam_banks b on b.bank_id = q.bank_id
         where b.exam_id = $1 and q.active and (cardinality($2::text[]) = 0 or q.subject = any($2))",
    )
    .bind(exam.id)
    .bind(&exam.subjects)
    .fetch_all(&mut **tx)
    .await?;
    let seed = seed.unwrap_or_else(rand::random::<i64>);
    let count = usize::try_from(exam.question_count).unwrap_or(0);
    let drawn = grading::draw(&pool, seed, count).ok_or_else(|| {
        conflict(
            "exam-not-ready",
            format!(
                "the exam draws {count} questions but its banks hold {} active ones",
                pool.len()
            ),
        )
    })?;
    let id = Uuid::now_v7();
    let started = Utc::now();
    sqlx::query(
        "insert into theory_attempts (id, exam_id, student_id, number, seed, started_at, deadline_at,
             max_points, pass_mark_percent)
         values ($1, $2, $3, $4, $5, $6, $7,
             (select sum(points) from theory_questions where id = any($8)), $9)",
    )
    .bind(id)
    .bind(exam.id)
    .bind(student)
    .bind(made + 1)
    .bind(seed)
    .bind(started)
    .bind(started + Duration::minutes(exam.time_limit_minutes.into()))
    .bind(&drawn)
    .bind(exam.pass_mark_percent)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "insert into theory_attempt_questions (attempt_id, position, question_id, kind, prompt, options,
             subject, points, correct_options, correct_bool, correct_number, tolerance, explanation)
         select $1, d.position, q.id, q.kind, q.prompt, q.options, q.subject, q.points,
             q.correct_options, q.correct_bool, q.correct_number, q.tolerance, q.explanation
         from unnest($2::uuid[]) with ordinality as d(id, position)
         join theory_questions q on q.id = d.id",
    )
    .bind(id)
    .bind(&drawn)
    .execute(&mut **tx)
    .await?;
    audit::created(
        tx,
        actor,
        "theory_attempt.started",
        "theory_attempt",
        id,
        &serde_json::json!({"exam_id": exam.id, "student_id": student, "number": made + 1,
                            "seed": seed, "questions": drawn.len()}),
    )
    .await?;
    load_attempt(tx, id, manages)
        .await?
        .ok_or(AppError::NotFound("attempt"))
}

/// Checks each answer against its question: a position of the attempt, once; the field of the
/// question's kind and no other; option indexes within the options (one for single choice).
fn check_answers(
    questions: &[QuestionRow],
    answers: &[AnswerInput],
) -> Result<HashMap<i32, Given>> {
    let mut c = Checks::new();
    let mut out = HashMap::new();
    let by_pos: HashMap<i32, &QuestionRow> = questions.iter().map(|q| (q.position, q)).collect();
    for (i, a) in answers.iter().enumerate() {
        let f = |name: &str| format!("answers[{i}].{name}");
        let Some(q) = by_pos.get(&a.position) else {
            c.check(false, &f("position"), "is not a question of this attempt");
            continue;
        };
        if out.contains_key(&a.position) {
            c.check(false, &f("position"), "is answered twice");
            continue;
        }
        let given = match (q.kind, &a.selected, a.true_false, a.number) {
            (QuestionKind::SingleChoice | QuestionKind::MultipleChoice, Some(s), None, None) => {
                let n = i32::try_from(q.options.len()).unwrap_or(0);
                let ok = s.iter().all(|x| (0..n).contains(x))
                    && (q.kind == QuestionKind::MultipleChoice || s.len() == 1);
                c.check(
                    ok,
                    &f("selected"),
                    "selects options by 0-based index (one, for single choice)",
                );
                Given::Selected(s.clone())
            }
            (QuestionKind::TrueFalse, None, Some(b), None) => Given::TrueFalse(b),
            (QuestionKind::Numeric, None, None, Some(x)) => {
                c.check(x.is_finite(), &f("number"), "must be a finite number");
                Given::Number(x)
            }
            (kind, ..) => {
                let field = match kind {
                    QuestionKind::SingleChoice | QuestionKind::MultipleChoice => "selected",
                    QuestionKind::TrueFalse => "true_false",
                    QuestionKind::Numeric => "number",
                };
                c.check(
                    false,
                    &f(field),
                    &format!("answers a {} question, and nothing else", wire(&kind)),
                );
                continue;
            }
        };
        out.insert(a.position, given);
    }
    c.done()?;
    Ok(out)
}

/// Submits `student`'s attempt with `answers`: graded when in time (by the deadline plus
/// [`grading::GRACE_SECONDS`]), else closed as expired with no points. Another student's
/// attempt is `404` (`403` to `theory.manage`: only the student submits); a finished one
/// `409 attempt-finished`.
pub async fn submit_attempt(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    attempt_id: Uuid,
    student: UserId,
    manages: bool,
    answers: &[AnswerInput],
) -> Result<Submitted> {
    let row: Option<(Uuid, String, DateTime<Utc>, i32)> = sqlx::query_as(
        "select student_id, status, deadline_at, pass_mark_percent from theory_attempts
         where id = $1 for update",
    )
    .bind(attempt_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((owner, status, deadline, pass_mark)) = row else {
        return Err(AppError::NotFound("attempt"));
    };
    if owner != student.0 {
        return Err(if manages {
            AppError::Forbidden("only the student who started an attempt submits it".into())
        } else {
            AppError::NotFound("attempt")
        });
    }
    if status != "in_progress" {
        return Err(conflict(
            "attempt-finished",
            "the attempt is finished already",
        ));
    }
    let now = Utc::now();
    if now > grading::submit_by(deadline) {
        sqlx::query(
            "update theory_attempts set status = 'expired', awarded_points = 0, passed = false,
                 finished_at = $2 where id = $1",
        )
        .bind(attempt_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        audit::record(
            tx,
            actor,
            audit::Change {
                action: "theory_attempt.expired",
                resource_type: "theory_attempt",
                resource_id: Some(attempt_id.to_string()),
                before: None,
                after: Some(serde_json::json!({"late_by_seconds": (now - deadline).num_seconds()})),
            },
        )
        .await?;
        let a = load_attempt(tx, attempt_id, manages)
            .await?
            .ok_or(AppError::NotFound("attempt"))?;
        return Ok(Submitted::Expired(a));
    }
    let questions: Vec<QuestionRow> = sqlx::query_as(
        "select position, kind, ''::text as prompt, options, subject, points, correct_options,
             correct_bool, correct_number, tolerance, null::text as explanation,
             null::text as answer, null::boolean as correct
         from theory_attempt_questions where attempt_id = $1 order by position",
    )
    .bind(attempt_id)
    .fetch_all(&mut **tx)
    .await?;
    let given = check_answers(&questions, answers)?;
    let (mut positions, mut texts, mut rights) = (Vec::new(), Vec::new(), Vec::new());
    let (mut awarded, mut max) = (0i64, 0i64);
    for q in &questions {
        let g = given.get(&q.position);
        let right = grading::is_right(&q.key(), g);
        max += i64::from(q.points);
        if right {
            awarded += i64::from(q.points);
        }
        positions.push(q.position);
        texts.push(g.and_then(|g| serde_json::to_string(g).ok()));
        rights.push(right);
    }
    sqlx::query(
        "update theory_attempt_questions q set answer = d.answer::jsonb, correct = d.correct
         from unnest($2::int[], $3::text[], $4::bool[]) as d(position, answer, correct)
         where q.attempt_id = $1 and q.position = d.position",
    )
    .bind(attempt_id)
    .bind(&positions)
    .bind(&texts)
    .bind(&rights)
    .execute(&mut **tx)
    .await?;
    let passed = grading::passed(awarded, max, pass_mark);
    sqlx::query(
        "update theory_attempts set status = 'submitted', finished_at = $2, awarded_points = $3,
             passed = $4 where id = $1",
    )
    .bind(attempt_id)
    .bind(now)
    .bind(i32::try_from(awarded).unwrap_or(0))
    .bind(passed)
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "theory_attempt.submitted",
            resource_type: "theory_attempt",
            resource_id: Some(attempt_id.to_string()),
            before: None,
            after: Some(
                serde_json::json!({"answered": given.len(), "awarded_points": awarded,
                                           "max_points": max, "passed": passed}),
            ),
        },
    )
    .await?;
    let a = load_attempt(tx, attempt_id, manages)
        .await?
        .ok_or(AppError::NotFound("attempt"))?;
    Ok(Submitted::Graded(a))
}
