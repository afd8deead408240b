//! Request and response objects of skills, achievements and completion certificates (they are
//! the OpenAPI schema: every constraint the server enforces is declared).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::kernel::UserId;

/// A skill of the organisation's catalogue.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Skill {
    pub id: Uuid,
    /// Unique in the organisation, whatever its case.
    pub name: String,
    pub category: String,
    pub description: Option<String>,
    /// What each level means: level n is element n (1-based).
    pub level_criteria: Vec<String>,
    /// The highest level (the number of criteria).
    pub max_level: i32,
    pub created_by: Option<UserId>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new skill.
#[derive(Object)]
pub struct SkillCreate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(min_length = 1, max_length = 50))]
    pub category: String,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    /// One to ten levels, each what a person shows at that level.
    #[oai(validator(min_items = 1, max_items = 10, min_length = 1, max_length = 500))]
    pub level_criteria: Vec<String>,
}

/// A partial update: absent fields stay, `null` clears `description`. Fewer levels than a
/// person holds or a requirement asks for is `409 level-in-use`.
#[derive(Object)]
pub struct SkillUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(min_length = 1, max_length = 50))]
    pub category: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub description: MaybeUndefined<String>,
    #[oai(validator(min_items = 1, max_items = 10, min_length = 1, max_length = 500))]
    pub level_criteria: Option<Vec<String>>,
    /// The version read; a concurrent change answers `409`.
    pub version: Option<i32>,
}

/// A page of skills.
#[derive(Object)]
pub struct SkillPage {
    pub items: Vec<Skill>,
    pub next_cursor: Option<String>,
}

/// What an assessment rests on.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case", rename = "SkillEvidence")]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// A graded lesson record of the person (`lesson_record_id`).
    LessonRecord,
    /// A submitted exam attempt of the person (`attempt_id`).
    ExamAttempt,
    /// The assessor's own observation (`note` says what).
    Observation,
}

/// An assessment of a person's level in a skill.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Assessment {
    pub id: Uuid,
    pub user_id: UserId,
    pub skill_id: Uuid,
    pub skill_name: String,
    pub level: i32,
    pub evidence: Evidence,
    pub lesson_record_id: Option<Uuid>,
    pub attempt_id: Option<Uuid>,
    pub note: Option<String>,
    pub assessed_by: Option<UserId>,
    pub assessed_at: DateTime<Utc>,
}

/// A new assessment: the person's level in the skill from now on.
#[derive(Object)]
pub struct AssessmentCreate {
    pub user_id: UserId,
    pub skill_id: Uuid,
    /// 1 up to the skill's highest level.
    #[oai(validator(minimum(value = "1"), maximum(value = "10")))]
    pub level: i32,
    pub evidence: Evidence,
    /// With `lesson_record`: a lesson record of the person.
    pub lesson_record_id: Option<Uuid>,
    /// With `exam_attempt`: a submitted attempt of the person.
    pub attempt_id: Option<Uuid>,
    /// Required with `observation`.
    #[oai(validator(max_length = 2000))]
    pub note: Option<String>,
}

/// A page of assessments, newest first.
#[derive(Object)]
pub struct AssessmentPage {
    pub items: Vec<Assessment>,
    pub next_cursor: Option<String>,
}

/// A person's current level in a skill (their latest assessment).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct UserSkill {
    pub user_id: UserId,
    pub skill_id: Uuid,
    pub skill_name: String,
    pub category: String,
    pub level: i32,
    pub max_level: i32,
    /// The assessment the level comes from.
    pub assessment_id: Uuid,
    pub assessed_at: DateTime<Utc>,
}

/// A page of a person's skills, by skill name.
#[derive(Object)]
pub struct UserSkillPage {
    pub items: Vec<UserSkill>,
    pub next_cursor: Option<String>,
}

/// A skill at a minimum level that a syllabus, one of its lessons, or a ground-school course
/// requires.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Requirement {
    pub id: Uuid,
    pub skill_id: Uuid,
    pub skill_name: String,
    pub min_level: i32,
    pub syllabus_id: Option<Uuid>,
    /// With `syllabus_id`: the lesson (by code, in every version) that requires it.
    pub lesson_code: Option<String>,
    pub course_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A new requirement: exactly one of `syllabus_id` and `course_id`; `lesson_code` narrows a
/// syllabus's requirement to one lesson.
#[derive(Object)]
pub struct RequirementCreate {
    pub skill_id: Uuid,
    #[oai(validator(minimum(value = "1"), maximum(value = "10")))]
    pub min_level: i32,
    pub syllabus_id: Option<Uuid>,
    #[oai(validator(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$"))]
    pub lesson_code: Option<String>,
    pub course_id: Option<Uuid>,
}

/// A page of requirements.
#[derive(Object)]
pub struct RequirementPage {
    pub items: Vec<Requirement>,
    pub next_cursor: Option<String>,
}

/// A required skill a student lacks (or holds below the level asked).
#[derive(Object, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SkillShortfall {
    pub skill_id: Uuid,
    pub skill_name: String,
    pub min_level: i32,
    /// The student's current level; `null`: never assessed.
    pub level: Option<i32>,
    /// The lesson that requires it; `null`: the syllabus or course as a whole.
    pub lesson_code: Option<String>,
}

/// What an achievement rule reads (docs/skills.md).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The first logbook entry with solo time.
    FirstSolo,
    /// A stage check completed (optionally of one syllabus).
    StageCheckPassed,
    /// The end-of-course check: the stage check of a syllabus's last stage.
    CheckridePassed,
    /// A syllabus enrollment completed or a ground-school course completed (optionally one).
    CourseCompleted,
    /// An exam attempt passed (optionally of one exam).
    ExamPassed,
    /// `hours` of total time in the logbook.
    HoursTotal,
}

/// An achievement rule.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct AchievementRule {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: RuleKind,
    /// With `hours_total`: the hours of total time.
    pub hours: Option<i32>,
    pub syllabus_id: Option<Uuid>,
    pub course_id: Option<Uuid>,
    pub exam_id: Option<Uuid>,
    /// An inactive rule awards nothing new; its awards stay.
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new rule. `hours` is required with `hours_total` and refused otherwise; `syllabus_id`
/// narrows stage-check, checkride and course rules, `course_id` course rules, `exam_id` exam
/// rules.
#[derive(Object)]
pub struct RuleCreate {
    /// Lowercase letters, digits, `_` and `-`; unique.
    #[oai(validator(pattern = r"^[a-z0-9][a-z0-9_-]{0,39}$"))]
    pub code: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    pub kind: RuleKind,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub hours: Option<i32>,
    pub syllabus_id: Option<Uuid>,
    pub course_id: Option<Uuid>,
    pub exam_id: Option<Uuid>,
    /// Default `true`.
    pub active: Option<bool>,
}

/// A partial update of a rule (its kind and scope stay).
#[derive(Object)]
pub struct RuleUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub description: MaybeUndefined<String>,
    /// Only for `hours_total`.
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub hours: Option<i32>,
    pub active: Option<bool>,
    pub version: Option<i32>,
}

/// The rules, by code.
#[derive(Object)]
pub struct RulePage {
    pub items: Vec<AchievementRule>,
    pub next_cursor: Option<String>,
}

/// What earned an achievement.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AchievementEvidence {
    /// `logbook_entry`, `logbook`, `lesson_record`, `training_enrollment`,
    /// `theory_enrollment` or `exam_attempt`.
    pub kind: String,
    /// The record's id (`null` for `logbook`: the logbook as a whole).
    pub id: Option<Uuid>,
    /// The day it happened, when known.
    pub date: Option<NaiveDate>,
}

/// An achievement awarded to a person.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Achievement {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub rule_code: String,
    pub name: String,
    pub user_id: UserId,
    pub awarded_at: DateTime<Utc>,
    pub evidence: AchievementEvidence,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
}

/// A page of achievements, the newest first.
#[derive(Object)]
pub struct AchievementPage {
    pub items: Vec<Achievement>,
    pub next_cursor: Option<String>,
}

/// Why an achievement or certificate is revoked (kept with it and in the audit log).
#[derive(Object)]
pub struct Revoke {
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub reason: String,
}

/// A completion certificate.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Certificate {
    pub id: Uuid,
    pub user_id: UserId,
    pub training_enrollment_id: Option<Uuid>,
    pub theory_enrollment_id: Option<Uuid>,
    /// The holder's name as printed.
    pub holder_name: String,
    /// The syllabus or course title as printed.
    pub title: String,
    pub completed_on: NaiveDate,
    pub issued_by: Option<UserId>,
    pub issued_at: DateTime<Utc>,
    /// Printed on the certificate: anyone opening it sees whether it is genuine and in force.
    pub verification_url: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
}

/// Issue a certificate for a completed enrollment: exactly one of the two ids.
#[derive(Object)]
pub struct CertificateCreate {
    /// A completed syllabus enrollment.
    pub training_enrollment_id: Option<Uuid>,
    /// A completed ground-school course enrollment.
    pub theory_enrollment_id: Option<Uuid>,
}

/// A page of certificates, newest first.
#[derive(Object)]
pub struct CertificatePage {
    pub items: Vec<Certificate>,
    pub next_cursor: Option<String>,
}

text_enum!(Evidence, RuleKind);
