//! Request and response objects of assessments: question banks, questions with their keys (for
//! authors), exams, attempts. An attempt's questions carry no key; its `result`, with each
//! answer's key, exists only once the attempt is finished.

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

pub use super::grading::QuestionKind;
use crate::kernel::UserId;

/// A bank of questions.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct QuestionBank {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Its active questions.
    pub active_questions: i64,
    pub created_by: Option<UserId>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new bank.
#[derive(Object)]
pub struct QuestionBankCreate {
    /// Unique.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
}

/// A page of banks, newest first.
#[derive(Object)]
pub struct QuestionBankPage {
    pub items: Vec<QuestionBank>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A question with its answer key (authors only).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Question {
    pub id: Uuid,
    pub bank_id: Uuid,
    pub kind: QuestionKind,
    pub prompt: String,
    /// The options of a choice question (else empty).
    pub options: Vec<String>,
    /// 0-based indexes of the right options (choice questions).
    pub correct_options: Vec<i32>,
    /// The right answer of a true/false question.
    pub correct_bool: Option<bool>,
    /// The right answer of a numeric question.
    pub correct_number: Option<f64>,
    /// How far a numeric answer may be off and still be right (inclusive).
    pub tolerance: Option<f64>,
    /// The subject tag results are grouped by (`meteorology`, `air-law`).
    pub subject: String,
    pub points: i32,
    /// Shown with the key after submission.
    pub explanation: Option<String>,
    /// Inactive questions are not drawn any more.
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new question. Choice questions: 2 to 10 non-empty `options` and `correct_options` (exactly
/// one for single choice); true/false: `correct_bool`; numeric: `correct_number` and
/// `tolerance`. A key field of another kind is `422`.
#[derive(Object)]
pub struct QuestionCreate {
    pub kind: QuestionKind,
    #[oai(validator(min_length = 1, max_length = 5000))]
    pub prompt: String,
    #[oai(validator(max_items = 10))]
    pub options: Option<Vec<String>>,
    #[oai(validator(max_items = 10, unique_items))]
    pub correct_options: Option<Vec<i32>>,
    pub correct_bool: Option<bool>,
    #[oai(validator(minimum(value = "-1e15"), maximum(value = "1e15")))]
    pub correct_number: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1e15")))]
    pub tolerance: Option<f64>,
    /// Lowercase letters, digits, `_` and `-`, up to 40 characters.
    #[oai(validator(pattern = r"^[a-z0-9][a-z0-9_-]{0,39}$"))]
    pub subject: String,
    /// Default 1.
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub points: Option<i32>,
    #[oai(validator(max_length = 5000))]
    pub explanation: Option<String>,
}

/// A partial update of a question (its kind stays; attempts already drawn keep their copy).
#[derive(Object)]
pub struct QuestionUpdate {
    #[oai(validator(min_length = 1, max_length = 5000))]
    pub prompt: Option<String>,
    #[oai(validator(max_items = 10))]
    pub options: Option<Vec<String>>,
    #[oai(validator(max_items = 10, unique_items))]
    pub correct_options: Option<Vec<i32>>,
    pub correct_bool: Option<bool>,
    #[oai(validator(minimum(value = "-1e15"), maximum(value = "1e15")))]
    pub correct_number: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1e15")))]
    pub tolerance: Option<f64>,
    #[oai(validator(pattern = r"^[a-z0-9][a-z0-9_-]{0,39}$"))]
    pub subject: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub points: Option<i32>,
    #[oai(validator(max_length = 5000))]
    pub explanation: MaybeUndefined<String>,
    pub active: Option<bool>,
    /// When given, the update applies only if the question still has this version (else `409`).
    pub version: Option<i32>,
}

/// A page of questions, oldest first.
#[derive(Object)]
pub struct QuestionPage {
    pub items: Vec<Question>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// An exam: what each attempt draws, its time limit, pass mark and retake rules.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Exam {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    /// A course the student must have completed before a first attempt.
    pub course_id: Option<Uuid>,
    pub bank_ids: Vec<Uuid>,
    /// Only questions of these subjects are drawn (empty: every subject).
    pub subjects: Vec<String>,
    pub question_count: i32,
    pub time_limit_minutes: i32,
    pub pass_mark_percent: i32,
    /// Attempts a student may make (null: no limit).
    pub max_attempts: Option<i32>,
    /// Minutes between the end of a failed attempt and the next start.
    pub retake_wait_minutes: i32,
    /// Whether a student sees the key of their finished attempt (authors always do).
    pub reveal_answers: bool,
    /// Only a published exam can be seen by students and attempted.
    pub published: bool,
    pub created_by: Option<UserId>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new exam.
#[derive(Object)]
pub struct ExamCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    pub course_id: Option<Uuid>,
    #[oai(validator(min_items = 1, max_items = 20, unique_items))]
    pub bank_ids: Vec<Uuid>,
    /// Subject tags (as a question's `subject`); empty or absent: every subject.
    #[oai(validator(max_items = 50, unique_items, pattern = r"^[a-z0-9][a-z0-9_-]{0,39}$"))]
    pub subjects: Option<Vec<String>>,
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub question_count: i32,
    #[oai(validator(minimum(value = "1"), maximum(value = "600")))]
    pub time_limit_minutes: i32,
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub pass_mark_percent: i32,
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub max_attempts: Option<i32>,
    /// Default 0.
    #[oai(validator(minimum(value = "0"), maximum(value = "525600")))]
    pub retake_wait_minutes: Option<i32>,
    /// Default true.
    pub reveal_answers: Option<bool>,
    /// Default false.
    pub published: Option<bool>,
}

/// A partial update of an exam (attempts already started keep their questions and deadline).
#[derive(Object)]
pub struct ExamUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub question_count: Option<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "600")))]
    pub time_limit_minutes: Option<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub pass_mark_percent: Option<i32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub max_attempts: MaybeUndefined<i32>,
    #[oai(validator(minimum(value = "0"), maximum(value = "525600")))]
    pub retake_wait_minutes: Option<i32>,
    pub reveal_answers: Option<bool>,
    pub published: Option<bool>,
    /// When given, the update applies only if the exam still has this version (else `409`).
    pub version: Option<i32>,
}

/// A page of exams, newest first.
#[derive(Object)]
pub struct ExamPage {
    pub items: Vec<Exam>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `in_progress` until submitted; `expired` when the deadline and its grace passed without a
/// submission (graded as no answers).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    InProgress,
    Submitted,
    Expired,
}

text_enum!(AttemptStatus);

/// A question as the student sees it: no key.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AttemptQuestion {
    /// 1, 2, ...: answers name the question by it.
    pub position: i32,
    pub kind: QuestionKind,
    pub prompt: String,
    pub options: Vec<String>,
    pub subject: String,
    pub points: i32,
}

/// One answer: `selected` (0-based option indexes) for a choice question, `true_false`, or
/// `number`; exactly the one of the question's kind.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AnswerInput {
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub position: i32,
    #[oai(validator(max_items = 10))]
    pub selected: Option<Vec<i32>>,
    pub true_false: Option<bool>,
    pub number: Option<f64>,
}

/// The answers of an attempt; a question not answered scores nothing.
#[derive(Object)]
pub struct AttemptSubmit {
    #[oai(validator(max_items = 500))]
    pub answers: Vec<AnswerInput>,
}

/// The key of one question, shown after submission.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AnswerKey {
    pub correct_options: Vec<i32>,
    pub correct_bool: Option<bool>,
    pub correct_number: Option<f64>,
    pub tolerance: Option<f64>,
    pub explanation: Option<String>,
}

/// One graded answer.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct GradedAnswer {
    pub position: i32,
    /// What was answered (null: nothing).
    pub given: Option<AnswerInput>,
    pub right: bool,
    pub awarded_points: i32,
    /// The key: authors always, students when the exam reveals answers.
    pub key: Option<AnswerKey>,
}

/// Points per subject tag.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SubjectResult {
    pub subject: String,
    pub awarded_points: i64,
    pub max_points: i64,
    pub percent: f64,
}

/// The grade of a finished attempt.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AttemptResult {
    pub awarded_points: i32,
    pub max_points: i32,
    pub score_percent: f64,
    pub pass_mark_percent: i32,
    pub passed: bool,
    pub subjects: Vec<SubjectResult>,
    pub answers: Vec<GradedAnswer>,
}

/// An attempt with its questions (no keys) and, once finished, its result.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Attempt {
    pub id: Uuid,
    pub exam_id: Uuid,
    pub student_id: UserId,
    /// 1 for the student's first attempt at the exam, and so on.
    pub number: i32,
    /// The seed the questions were drawn with.
    pub seed: i64,
    pub status: AttemptStatus,
    pub started_at: DateTime<Utc>,
    /// Started plus the time limit.
    pub deadline_at: DateTime<Utc>,
    /// The deadline plus the grace (30 s): a submission after it is refused.
    pub submit_by: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub questions: Vec<AttemptQuestion>,
    pub result: Option<AttemptResult>,
}

/// An attempt as listed.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AttemptSummary {
    pub id: Uuid,
    pub exam_id: Uuid,
    pub student_id: UserId,
    pub number: i32,
    pub status: AttemptStatus,
    pub started_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub awarded_points: Option<i32>,
    pub max_points: i32,
    pub passed: Option<bool>,
}

/// A page of attempts, newest first.
#[derive(Object)]
pub struct AttemptPage {
    pub items: Vec<AttemptSummary>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}
