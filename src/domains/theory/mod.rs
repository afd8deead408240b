//! Theory: ground school and its exams. Courses (a short unique code, category, difficulty,
//! duration) of ordered modules of ordered lessons, with link materials (files are attachments
//! of resource type `theory_lesson`), prerequisites between courses, enrolment and per-lesson
//! progress; question banks (single and multiple choice, true/false, numeric with a tolerance;
//! one subject tag each), exam definitions, and attempts drawn from the banks with a stored seed,
//! timed and graded by the server. A student never sees an answer key before submitting.
//!
//! Who sees what: `theory.manage` authors, enrols others and sees everyone's enrolments and
//! attempts; anyone else with `theory.read` sees published courses and exams and their own
//! enrolments and attempts (another student's answers `404`). See docs/theory.md.

mod attempts;
mod banks;
mod courses;
mod dto;
mod enrollments;
mod exam_dto;
mod exams;
pub mod grading;
mod lessons;
pub mod service;

use poem_openapi::Tags;

use crate::kernel::TenantKind::FlightSchool;
use crate::kernel::manifest::{AttachmentOwner, Flag, Manifest, Permission};
use crate::kernel::roles::school;

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Ground school: courses, modules, lessons and their materials.
    TheoryCourses,
    /// Enrolment in courses and per-lesson progress.
    TheoryEnrollments,
    /// Question banks and their questions with answer keys (authors only).
    TheoryQuestionBanks,
    /// Exam definitions, attempts and their grading.
    TheoryExams,
}

pub type Apis = (
    courses::CoursesApi,
    (
        lessons::LessonsApi,
        (
            enrollments::EnrollmentsApi,
            (banks::BanksApi, (exams::ExamsApi, attempts::AttemptsApi)),
        ),
    ),
);

pub fn apis() -> Apis {
    (
        courses::CoursesApi,
        (
            lessons::LessonsApi,
            (
                enrollments::EnrollmentsApi,
                (banks::BanksApi, (exams::ExamsApi, attempts::AttemptsApi)),
            ),
        ),
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "theory",
    prefixes: &["/api/v1/theory"],
    flags: &[Flag {
        key: "theory",
        description: "Theory courses and exams",
        prefix: "/api/v1/theory",
        on_for: &[FlightSchool],
    }],
    permissions: &[THEORY_READ, THEORY_MANAGE],
    attachments: &[AttachmentOwner {
        resource_type: "theory_lesson",
        table: "theory_lessons",
    }],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View theory courses and exams.
pub const THEORY_READ: Permission = Permission::new(
    "theory.read",
    "View theory courses and exams",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::TRAINER,
    ],
);
/// Manage question banks and exams.
pub const THEORY_MANAGE: Permission = Permission::new(
    "theory.manage",
    "Manage question banks and exams",
    &[school::ORGANIZATION_ADMIN, school::TRAINER],
);
