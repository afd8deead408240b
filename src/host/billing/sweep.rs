//! The billing sweep: suspending tenants whose grace period or trial ran out, every minute.

use uuid::Uuid;

use crate::audit::platform::{self as operators, Actor, Change};
use crate::state::AppState;

/// Suspends tenants whose grace period after a failed payment ran out, and tenants on a paid
/// plan whose trial ended without a subscription. Returns how many were suspended.
pub async fn sweep(state: &AppState) -> anyhow::Result<u64> {
    if state.billing.is_none() {
        return Ok(0);
    }
    let mut tx = state.db.platform().begin().await?;
    let rows = sqlx::query_as::<_, (Uuid, String)>(
        "update platform.tenants t set status = 'suspended', status_reason = x.reason
         from (
             select t.id, 'billing' as reason from platform.tenants t
             join platform.billing b on b.tenant_id = t.id
             where t.status = 'past_due' and b.grace_until < now()
             union all
             select t.id, 'trial_ended' from platform.tenants t
             left join platform.billing b on b.tenant_id = t.id
             where t.status = 'active' and t.plan = any($1) and t.trial_ends_at < now()
               and coalesce(b.subscription_status, 'none') in ('none', 'incomplete', 'incomplete_expired', 'canceled')
         ) x
         where t.id = x.id
         returning t.id, x.reason",
    )
    .bind(
        crate::kernel::plans::CATALOGUE
            .iter()
            .filter(|p| p.paid)
            .map(|p| p.key)
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, reason) in &rows {
        let id = *id;
        operators::record(
            &mut *tx,
            Actor::system(),
            Change {
                action: "tenant.suspended",
                tenant_id: Some(id),
                resource_type: "tenant",
                resource_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({"status": "suspended", "reason": reason})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    for (id, _) in &rows {
        state.registry.invalidate(*id);
    }
    Ok(rows.len() as u64)
}

/// Runs [`sweep`] every minute.
pub fn spawn_sweeper(state: std::sync::Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %format!("{e:#}"), "billing sweep failed");
            }
        }
    })
}
