//! Skills and achievements: the organisation's skill catalogue with level criteria, people's
//! assessed levels with their evidence (a lesson record, an exam attempt, an observation),
//! skills a syllabus, a lesson or a ground-school course requires (enrolling warns or refuses
//! per the `training.required_skills` setting), achievements awarded by rules (first solo,
//! checkride passed, course completed, hours), and completion certificates as PDFs with a
//! verification URL anyone can open. See docs/skills.md.
//!
//! It is part of the training domain: its routes live under `/api/v1/training/`, the
//! `training` flag switches it with the rest, and it checks the training permissions
//! (`training.read` to see, `training.manage` to author and assess). Training's enrollments
//! and records call [`service`], and the theory domain calls it through `training::service`,
//! when a student enrols, completes or passes something.

mod achievements;
mod catalogue;
mod certificates;
pub mod dto;
pub mod service;

pub use super::{TRAINING_MANAGE, TRAINING_READ, Tag};
pub use achievements::ACHIEVEMENTS;
pub use certificates::CERTIFICATE_LINK;

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
