//! Request and response objects of the training domain (they become the OpenAPI schema: every
//! constraint the server enforces is declared here).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::kernel::UserId;

/// How a syllabus grades its items.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum GradingScale {
    /// 1 (unsatisfactory) to 5 (excellent); 3 or better meets the standard.
    FivePoint,
    /// S (satisfactory) or U (unsatisfactory).
    Satisfactory,
}

/// A syllabus version's state.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Being written; its content can be replaced.
    Draft,
    /// Frozen; enrollments can start on it.
    Published,
}

/// What a lesson is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LessonKind {
    Flight,
    Ground,
    Simulator,
}

/// What a graded item is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A manoeuvre or procedure flown.
    Maneuver,
    /// A topic taught or discussed.
    Topic,
}

pub use crate::domains::flights::service::LogColumn;

/// A syllabus: its code, title, scale and versions.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Syllabus {
    pub id: Uuid,
    /// Unique in the organisation: upper-case letters, digits and `-`, at most 20.
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub grading_scale: GradingScale,
    pub created_by: Option<UserId>,
    /// Every version, oldest first.
    pub versions: Vec<VersionSummary>,
    /// The instructors designated to grade stage checks.
    pub stage_check_instructors: Vec<UserId>,
    /// Incremented by every change of the fields above; send it back in a PATCH.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One version of a syllabus, without its content.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct VersionSummary {
    pub number: i32,
    pub status: VersionStatus,
    pub lessons_per_week: i16,
    pub published_at: Option<DateTime<Utc>>,
}

/// A new syllabus; its version 1 starts as an empty draft.
#[derive(Object)]
pub struct SyllabusCreate {
    #[oai(validator(pattern = r"^[A-Z0-9][A-Z0-9-]{0,19}$"))]
    pub code: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    pub grading_scale: GradingScale,
}

/// A partial update of a syllabus's own fields (the content is a version's).
#[derive(Object)]
pub struct SyllabusUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    /// When given, the update applies only if the syllabus still has this version (else `409`).
    pub version: Option<i32>,
}

/// The instructors designated to grade the syllabus's stage checks (replaces the list).
#[derive(Object)]
pub struct StageCheckInstructors {
    #[oai(validator(max_items = 50, unique_items = true))]
    pub user_ids: Vec<UserId>,
}

/// A page of syllabi, newest first.
#[derive(Object)]
pub struct SyllabusPage {
    pub items: Vec<Syllabus>,
    pub next_cursor: Option<String>,
}

/// A graded item of a lesson.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ItemBody {
    /// Set in answers; ignored when writing a draft.
    #[oai(read_only)]
    #[serde(default)]
    pub id: Option<Uuid>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    pub kind: ItemKind,
}

/// A lesson of a stage.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LessonBody {
    /// Set in answers; ignored when writing a draft.
    #[oai(read_only)]
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Unique in the version (`F1`, `G3`, `STAGE-1`): prerequisites and moved enrollments
    /// match lessons by code.
    #[oai(validator(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$"))]
    pub code: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    pub kind: LessonKind,
    #[oai(validator(minimum(value = "1"), maximum(value = "1440")))]
    pub planned_minutes: i32,
    #[oai(validator(max_length = 10000))]
    pub objectives: Option<String>,
    /// The completion standards.
    #[oai(validator(max_length = 10000))]
    pub standards: Option<String>,
    /// Graded only by the syllabus's designated stage-check instructors.
    #[oai(default)]
    #[serde(default)]
    pub stage_check: bool,
    /// Codes of lessons of this version that come earlier and must be completed first.
    #[oai(default, validator(max_items = 50, unique_items = true))]
    #[serde(default)]
    pub prerequisites: Vec<String>,
    #[oai(default, validator(max_items = 100))]
    #[serde(default)]
    pub items: Vec<ItemBody>,
}

/// A stage: lessons in order.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StageBody {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_items = 200))]
    pub lessons: Vec<LessonBody>,
}

/// An hour requirement counted from the student's logbook.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RequirementBody {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub description: String,
    /// The regulation it applies (`14 CFR 61.109(a)`).
    #[oai(validator(max_length = 100))]
    pub regulation: Option<String>,
    pub column: LogColumn,
    /// When set, each entry counts the smaller of `column` and this (dual received at night).
    pub with_column: Option<LogColumn>,
    /// Minutes, or landings for a landing column.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000000")))]
    pub minimum: i32,
}

/// A version's content: stages of lessons with their graded items, and hour requirements.
/// Written whole while the version is a draft.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct VersionContent {
    /// The planned pace, lessons a week (default 2).
    #[oai(validator(minimum(value = "1"), maximum(value = "14")))]
    pub lessons_per_week: Option<i16>,
    #[oai(validator(max_items = 30))]
    pub stages: Vec<StageBody>,
    #[oai(default, validator(max_items = 50))]
    #[serde(default)]
    pub requirements: Vec<RequirementBody>,
}

/// A version with its content.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct SyllabusVersion {
    pub syllabus_id: Uuid,
    pub number: i32,
    pub status: VersionStatus,
    pub lessons_per_week: i16,
    pub published_at: Option<DateTime<Utc>>,
    pub stages: Vec<StageBody>,
    pub requirements: Vec<RequirementBody>,
}

/// An enrollment's state.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStatus {
    Active,
    OnHold,
    Completed,
    Withdrawn,
}

/// The student's pace against the planned lessons a week.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// More than one lesson ahead of plan.
    Ahead,
    /// Within one lesson of plan.
    OnTrack,
    /// More than one lesson behind plan.
    Behind,
}

/// Hours (or landings) counted against one requirement.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct RequirementProgress {
    pub description: String,
    pub regulation: Option<String>,
    pub column: LogColumn,
    pub with_column: Option<LogColumn>,
    pub minimum: i32,
    /// Counted from the student's logbook since the enrollment started.
    pub logged: i64,
    pub met: bool,
}

/// Where a student stands.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Progress {
    pub lessons_total: i32,
    /// Lessons whose latest record is `completed`.
    pub lessons_completed: i32,
    /// Lessons the plan expects done by today: whole weeks of training since the start (days on
    /// hold left out) × lessons a week, at most the total.
    pub lessons_expected: i32,
    pub pace: Pace,
    /// At the pace so far (at the plan's while under two weeks or nothing is done yet);
    /// null once every lesson is done.
    pub forecast_completion: Option<NaiveDate>,
    /// The first lesson in syllabus order not yet completed whose prerequisites are.
    pub next_lesson: Option<String>,
    pub requirements: Vec<RequirementProgress>,
}

/// A student's enrollment in one syllabus version.
#[derive(Object, Clone, Debug, serde::Serialize)]
#[oai(rename = "TrainingEnrollment")]
pub struct Enrollment {
    pub id: Uuid,
    pub student_id: UserId,
    pub syllabus_id: Uuid,
    pub syllabus_code: String,
    /// The version it follows.
    pub syllabus_version: i32,
    pub status: EnrollmentStatus,
    pub started_on: NaiveDate,
    pub lessons_per_week: i16,
    pub instructor_ids: Vec<UserId>,
    pub completed_on: Option<NaiveDate>,
    /// Days spent on hold so far (the current hold included); the pace leaves them out.
    pub days_on_hold: i64,
    pub notes: Option<String>,
    /// Computed on the organisation's local today.
    pub progress: Progress,
    /// Skills the syllabus or its next lesson requires that the student lacks (an open
    /// enrollment's; empty once it is closed). Under the `training.required_skills` setting
    /// `refuse`, enrolling or booking with a shortfall is refused instead.
    pub skill_shortfalls: Vec<super::skills::dto::SkillShortfall>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new enrollment.
#[derive(Object)]
pub struct EnrollmentCreate {
    pub student_id: UserId,
    pub syllabus_id: Uuid,
    /// A published version; default the latest published.
    pub syllabus_version: Option<i32>,
    /// Default the organisation's local today.
    pub started_on: Option<NaiveDate>,
    /// Default the version's.
    #[oai(validator(minimum(value = "1"), maximum(value = "14")))]
    pub lessons_per_week: Option<i16>,
    #[oai(default, validator(max_items = 10, unique_items = true))]
    pub instructor_ids: Vec<UserId>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

/// A partial update of an enrollment. `completed` needs every lesson completed.
#[derive(Object)]
pub struct EnrollmentUpdate {
    pub status: Option<EnrollmentStatus>,
    #[oai(validator(minimum(value = "1"), maximum(value = "14")))]
    pub lessons_per_week: Option<i16>,
    #[oai(validator(max_items = 10, unique_items = true))]
    pub instructor_ids: Option<Vec<UserId>>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    pub version: Option<i32>,
}

/// Moves an enrollment to another published version of its syllabus: lessons completed keep
/// counting where the new version has a lesson of the same code.
#[derive(Object)]
pub struct EnrollmentMove {
    pub syllabus_version: i32,
}

/// Enrollments sorted by who is falling behind: behind first (most lessons behind plan
/// first), then on track, then ahead; then newest first. Not paged by cursor, since the order
/// is computed: at most `limit`, and `truncated` says more matched.
#[derive(Object)]
pub struct EnrollmentList {
    pub items: Vec<Enrollment>,
    pub truncated: bool,
}

/// A grade of one item of the lesson.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct ItemGrade {
    pub item_id: Uuid,
    /// `1`-`5` on the five-point scale, `S` or `U` on the satisfactory one.
    #[oai(validator(pattern = r"^([1-5]|S|U)$"))]
    pub grade: String,
    #[oai(validator(max_length = 2000))]
    pub comment: Option<String>,
}

/// Whether the lesson's standards were met.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LessonResult {
    Completed,
    Incomplete,
}

/// An instructor's record of a lesson.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LessonRecord {
    pub id: Uuid,
    pub enrollment_id: Uuid,
    pub lesson_id: Uuid,
    pub lesson_code: String,
    pub date: NaiveDate,
    pub instructor_id: UserId,
    pub booking_id: Option<Uuid>,
    pub flight_id: Option<Uuid>,
    pub result: LessonResult,
    pub grades: Vec<ItemGrade>,
    pub comments: Option<String>,
    pub next_lesson_code: Option<String>,
    /// When the student acknowledged it; null until then.
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A lesson graded.
#[derive(Object)]
pub struct LessonRecordCreate {
    /// The lesson's code in the enrollment's version.
    #[oai(validator(min_length = 1, max_length = 20))]
    pub lesson_code: String,
    /// Default the organisation's local today; never in the future.
    pub date: Option<NaiveDate>,
    /// The booking it was flown or taught in (the organisation's).
    pub booking_id: Option<Uuid>,
    /// The flight record (the organisation's).
    pub flight_id: Option<Uuid>,
    pub result: LessonResult,
    /// A grade for every item of the lesson when `completed`; any subset when `incomplete`.
    #[oai(default, validator(max_items = 100))]
    pub grades: Vec<ItemGrade>,
    #[oai(validator(max_length = 10000))]
    pub comments: Option<String>,
    /// The lesson to fly next (default: the next lesson in syllabus order).
    #[oai(validator(min_length = 1, max_length = 20))]
    pub next_lesson_code: Option<String>,
}

/// A page of lesson records, newest first.
#[derive(Object)]
pub struct LessonRecordPage {
    pub items: Vec<LessonRecord>,
    pub next_cursor: Option<String>,
}

/// The next lesson booked through scheduling: its planned duration, the resource its kind needs
/// (an aircraft for a flight, a simulator for a simulator lesson, the instructor for both and
/// for a ground lesson), the student as pilot.
#[derive(Object)]
pub struct NextLessonBooking {
    /// Default the enrollment's next lesson (`progress.next_lesson`).
    #[oai(validator(min_length = 1, max_length = 20))]
    pub lesson_code: Option<String>,
    pub starts_at: DateTime<Utc>,
    /// Required for a flight lesson.
    pub aircraft_id: Option<crate::kernel::AircraftId>,
    /// Required for a simulator lesson.
    pub simulator_id: Option<Uuid>,
    /// Default the enrollment's first instructor.
    pub instructor_id: Option<UserId>,
    /// Blocking dispatch rules to override (needs `scheduling.override`).
    #[oai(validator(max_items = 20))]
    pub override_rules: Option<Vec<String>>,
}
