//! Training: syllabi (versioned: a draft is written, then published and frozen) of stages,
//! lessons and graded items with hour requirements; students' enrollments in a syllabus version
//! with their progress and pace; and instructors' graded lesson records, which students
//! acknowledge. Ground school and exams are the `theory` domain's. See docs/training.md.
//!
//! Hours against requirements come from the student's logbook through the flights domain
//! (`flights::service::column_sums`). Skills, achievements and completion certificates are
//! `skills` (docs/skills.md).

mod api;
pub mod dto;
mod enrollments;
mod progress;
mod records;
mod repo;
pub mod service;
pub mod skills;

use poem_openapi::Tags;

use crate::kernel::manifest::{ALL_KINDS, Flag, Manifest, Permission};
use crate::kernel::roles::{fbo, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Syllabi: versions of stages, lessons, graded items and hour requirements.
    Syllabi,
    /// Students' enrollments, their progress and pace, and graded lesson records.
    Enrollments,
    /// The skill catalogue, people's assessed levels and the skills syllabi and courses require.
    Skills,
    /// Achievements awarded by rules, and completion certificates.
    Achievements,
}

pub type Apis = (
    api::SyllabiApi,
    (
        (enrollments::EnrollmentsApi, records::RecordsApi),
        skills::Apis,
    ),
);

pub fn apis() -> Apis {
    (
        api::SyllabiApi,
        (
            (enrollments::EnrollmentsApi, records::RecordsApi),
            skills::apis(),
        ),
    )
}

pub use skills::ACHIEVEMENTS;

pub const MANIFEST: Manifest = Manifest {
    name: "training",
    // Skills, achievements and certificates (`skills`) live under the same prefix.
    prefixes: &["/api/v1/training"],
    flags: &[Flag {
        key: "training",
        description: "Courses, lessons, enrolment and progress",
        prefix: "/api/v1/training",
        on_for: ALL_KINDS,
    }],
    permissions: &[TRAINING_READ, TRAINING_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[skills::CERTIFICATE_LINK],
    jobs: &[skills::ACHIEVEMENTS],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// View courses, enrolments and progress.
pub const TRAINING_READ: Permission = Permission::new(
    "training.read",
    "View courses, enrolments and progress",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::TRAINER,
        fbo::LINE_MANAGER,
        fbo::FUELER,
    ],
);
/// Manage courses, lessons, enrolments and grading.
pub const TRAINING_MANAGE: Permission = Permission::new(
    "training.manage",
    "Manage courses, lessons, enrolments and grading",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::TRAINER,
        fbo::LINE_MANAGER,
    ],
);
