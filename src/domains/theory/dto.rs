//! Request and response objects of ground school: courses, modules, lessons, materials,
//! enrolments (they are the OpenAPI schema: every constraint the server enforces is declared).

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::kernel::UserId;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Beginner,
    Intermediate,
    Advanced,
}

/// `draft` (authors only) → `published` (students see it and enrol) → `archived` (kept for its
/// enrolments, no new ones).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CourseStatus {
    Draft,
    Published,
    Archived,
}

text_enum!(Difficulty, CourseStatus);

/// A course.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Course {
    pub id: Uuid,
    /// Unique short name, at most 20 characters (`PPL-TH`).
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub category: String,
    pub difficulty: Difficulty,
    pub duration_weeks: i32,
    pub status: CourseStatus,
    /// Courses a student must have completed before enrolling in this one.
    pub prerequisite_ids: Vec<Uuid>,
    pub created_by: Option<UserId>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new course (a draft unless `status` says otherwise).
#[derive(Object)]
pub struct CourseCreate {
    /// Letters, digits, `_`, `.`, `-`; 1 to 20 characters; unique.
    #[oai(validator(pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$"))]
    pub code: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub category: String,
    pub difficulty: Difficulty,
    #[oai(validator(minimum(value = "1"), maximum(value = "520")))]
    pub duration_weeks: i32,
    pub status: Option<CourseStatus>,
    #[oai(validator(max_items = 20, unique_items))]
    pub prerequisite_ids: Option<Vec<Uuid>>,
}

/// A partial update: absent fields stay, `null` clears `description`.
#[derive(Object)]
pub struct CourseUpdate {
    #[oai(validator(pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$"))]
    pub code: Option<String>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub category: Option<String>,
    pub difficulty: Option<Difficulty>,
    #[oai(validator(minimum(value = "1"), maximum(value = "520")))]
    pub duration_weeks: Option<i32>,
    pub status: Option<CourseStatus>,
    /// Replaces the list.
    #[oai(validator(max_items = 20, unique_items))]
    pub prerequisite_ids: Option<Vec<Uuid>>,
    /// When given, the update applies only if the course still has this version (else `409`).
    pub version: Option<i32>,
}

/// A page of courses, newest first.
#[derive(Object)]
pub struct CoursePage {
    pub items: Vec<Course>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A lesson as listed in its module.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LessonSummary {
    pub id: Uuid,
    pub position: i32,
    pub title: String,
}

/// A module of a course, with its lessons in order.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Module {
    pub id: Uuid,
    pub course_id: Uuid,
    /// 1, 2, ...; unique within the course.
    pub position: i32,
    pub title: String,
    pub description: Option<String>,
    /// Hours, one decimal.
    pub duration_hours: f64,
    pub lessons: Vec<LessonSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new module.
#[derive(Object)]
pub struct ModuleCreate {
    /// Unique within the course (`409` otherwise).
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub position: i32,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    /// Hours, one decimal (0 to 10000).
    #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
    pub duration_hours: f64,
}

/// A partial update of a module.
#[derive(Object)]
pub struct ModuleUpdate {
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub position: Option<i32>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
    pub duration_hours: Option<f64>,
}

/// The modules of a course in order.
#[derive(Object)]
pub struct ModulePage {
    pub items: Vec<Module>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A link on a lesson.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Material {
    pub id: Uuid,
    pub lesson_id: Uuid,
    pub title: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// A new link on a lesson.
#[derive(Object)]
pub struct MaterialCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    /// An absolute `http` or `https` URL.
    #[oai(validator(max_length = 2000, pattern = r"^https?://[^\s/?#]+[^\s]*$"))]
    pub url: String,
}

/// A lesson with its text and link materials (files: attachments of resource type
/// `theory_lesson`).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Lesson {
    pub id: Uuid,
    pub module_id: Uuid,
    pub course_id: Uuid,
    pub position: i32,
    pub title: String,
    pub content: String,
    pub materials: Vec<Material>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new lesson.
#[derive(Object)]
pub struct LessonCreate {
    /// Unique within the module (`409` otherwise).
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub position: i32,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 100000))]
    pub content: Option<String>,
}

/// A partial update of a lesson.
#[derive(Object)]
pub struct LessonUpdate {
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub position: Option<i32>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 100000))]
    pub content: Option<String>,
}

/// Whom to enrol: absent, the caller; another person needs `theory.manage`.
#[derive(Object)]
pub struct EnrollRequest {
    pub student_id: Option<UserId>,
}

/// A student's enrolment in a course, with their progress.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Enrollment {
    pub id: Uuid,
    pub course_id: Uuid,
    pub student_id: UserId,
    pub enrolled_by: Option<UserId>,
    /// The lessons completed, in course order.
    pub completed_lesson_ids: Vec<Uuid>,
    pub lessons_total: i64,
    /// Completed lessons of the course's lessons, 0 to 100, rounded down.
    pub progress_percent: i32,
    /// When the last lesson was completed.
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Only in the answer to enrolling: the skills the course requires that the student
    /// lacked (the `training.required_skills` setting `warn`; under `refuse` the enrolment is
    /// `409 skills-missing`). Empty in every other answer.
    pub skill_shortfalls: Vec<crate::domains::training::service::SkillShortfall>,
}

/// A page of enrolments, newest first.
#[derive(Object)]
pub struct EnrollmentPage {
    pub items: Vec<Enrollment>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}
