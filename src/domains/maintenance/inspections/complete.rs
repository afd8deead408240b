//! `POST /api/v1/maintenance/inspections/:id/complete`: a completed inspection becomes a signed
//! maintenance log entry and moves the item's next interval.

use uuid::Uuid;

use super::super::airworthiness::ProgrammeRow;
use super::super::dto::{InspectionComplete, InspectionCompleted, Meter};
use super::super::due::Programme;
use super::super::logs::{self, NewLog};
use super::repo::load;
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::kernel::units::tenths;
use crate::timezone::TenantClock;

/// Records the completion of inspection item `id`. Hours done within the permitted overrun
/// count against the next interval (`Programme::basis_after`).
pub(super) async fn complete(
    p: &TenantCtx,
    id: Uuid,
    body: &InspectionComplete,
) -> Result<InspectionCompleted> {
    p.require(super::MAINTENANCE_SIGN_OFF)?;
    if body.work_done.trim().is_empty() {
        return Err(AppError::validation("work_done", "must not be blank"));
    }
    let mut tx = p.begin().await?;
    let clock = TenantClock::load(&mut tx).await?;
    let today = clock.today();
    let before = load(&mut tx, id, today, true).await?;
    let performed_on = body.performed_on.unwrap_or(today);
    if performed_on > today {
        return Err(AppError::validation(
            "performed_on",
            "must not be in the future",
        ));
    }
    let done_at = body
        .hours
        .map(tenths)
        .unwrap_or(tenths(before.current_hours));
    let row = sqlx::query_as::<_, ProgrammeRow>(
        "select interval_months, interval_tenths, interval_days, overrun_tenths, last_done_on, basis_tenths
           from inspection_items where id = $1",
    )
    .bind(before.id)
    .fetch_one(&mut *tx)
    .await?;
    let basis = Programme::from(row).basis_after(done_at);
    sqlx::query(
        "update inspection_items set last_done_on = $2, last_done_tenths = $3, basis_tenths = $4,
             version = version + 1 where id = $1",
    )
    .bind(before.id)
    .bind(performed_on)
    .bind(done_at)
    .bind(basis)
    .execute(&mut *tx)
    .await?;
    let log = logs::insert(
        &mut tx,
        &NewLog {
            aircraft_id: before.aircraft_id,
            performed_on,
            hobbs_tenths: (before.meter == Meter::Hobbs).then_some(done_at),
            tach_tenths: (before.meter == Meter::Tach).then_some(done_at),
            work_done: body.work_done.trim(),
            inspection_item_id: Some(before.id),
            squawk_id: None,
            created_by: p.user_id.into(),
            signed_off: Some(body.certificate_number.as_deref()),
        },
    )
    .await?;
    let after = load(&mut tx, before.id, today, false).await?;
    audit::created(
        &mut tx,
        p.into(),
        "maintenance_log.created",
        "maintenance_log",
        log.id,
        &log,
    )
    .await?;
    audit::updated(
        &mut tx,
        p.into(),
        "inspection.completed",
        "inspection",
        before.id,
        &before,
        &after,
    )
    .await?;
    tx.commit().await?;
    Ok(InspectionCompleted {
        inspection: after,
        log,
    })
}
