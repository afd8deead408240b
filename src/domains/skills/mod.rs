//! Skills and achievements: the organisation's skill catalogue with level criteria, people's
//! assessed levels with their evidence (a lesson record, an exam attempt, an observation),
//! skills a syllabus, a lesson or a ground-school course requires (enrolling warns or refuses
//! per the `training.required_skills` setting), achievements awarded by rules (first solo,
//! checkride passed, course completed, hours), and completion certificates as PDFs with a
//! verification URL anyone can open. See docs/skills.md.
//!
//! It is part of the training product: its routes live under `/api/v1/training/`, so the
//! `training` flag switches it with the rest, and it checks the training permissions
//! (`training.read` to see, `training.manage` to author and assess). The training and theory
//! domains call [`service`] when a student enrols, completes or passes something.

mod achievements;
mod catalogue;
mod certificates;
pub mod dto;
pub mod service;

use poem_openapi::Tags;

use crate::kernel::manifest::Manifest;

pub use crate::domains::training::{TRAINING_MANAGE, TRAINING_READ};
pub use achievements::ACHIEVEMENTS;

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// The skill catalogue, people's assessed levels and the skills syllabi and courses require.
    Skills,
    /// Achievements awarded by rules, and completion certificates.
    Achievements,
}

pub type Apis = (
    catalogue::SkillsApi,
    (achievements::AchievementsApi, certificates::CertificatesApi),
);

pub fn apis() -> Apis {
    (
        catalogue::SkillsApi,
        (achievements::AchievementsApi, certificates::CertificatesApi),
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "skills",
    prefixes: &[
        "/api/v1/training/skills",
        "/api/v1/training/user-skills",
        "/api/v1/training/skill-requirements",
        "/api/v1/training/achievement-rules",
        "/api/v1/training/achievements",
        "/api/v1/training/certificates",
    ],
    // The training flag and permissions (declared by the training manifest) cover it.
    flags: &[],
    permissions: &[],
    attachments: &[],
    feeds: &[],
    links: &[certificates::CERTIFICATE_LINK],
    jobs: &[achievements::ACHIEVEMENTS],
    limits: &[],
    payment_events: &[],
};
