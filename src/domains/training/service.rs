//! The training domain's interface to other domains and the benchmarks: an enrollment with its
//! progress, as `GET /api/v1/training/enrollments/{id}` answers it.

use uuid::Uuid;

use super::dto::Enrollment;
use super::enrollments::view;
use super::repo;
use crate::error::Result;
use crate::tenancy::TenantTx;
use crate::timezone::TenantClock;

/// Enrollment `id` with its progress on the organisation's local today; `None` when there is
/// no such enrollment. No permission check: the caller decides who may see it.
pub async fn enrollment(tx: &mut TenantTx, id: Uuid) -> Result<Option<Enrollment>> {
    let today = TenantClock::load(tx).await?.today();
    match repo::get_enrollment(tx, id, false).await? {
        Some(row) => Ok(Some(view(tx, row, today).await?)),
        None => Ok(None),
    }
}

/// What the theory domain asks of skills and achievements: the shortfall check at enrolment and
/// the achievement rules after a completion or a passed exam (docs/skills.md).
pub use super::skills::dto::SkillShortfall;
pub use super::skills::service::{Target, award, check_enrolment, shortfalls};
