//! Counted plan limits (active users, aircraft): the plan's number or an operator's override for
//! one tenant, enforced by the create endpoints of the domains that own the counted rows
//! (`403 plan-limit-reached`). The plan data is `crate::kernel::plans`.

use poem::http::StatusCode;

use super::Tenant;
use crate::error::{AppError, Result};
use crate::kernel::plans::get;

/// A counted limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Active users.
    Users,
    /// Aircraft in the fleet.
    Aircraft,
}

impl Limit {
    pub fn key(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Aircraft => "aircraft",
        }
    }
}

/// The tenant's limit: the operator's override for this tenant, else its plan's; `None` is
/// unlimited.
pub fn limit_for(tenant: &Tenant, limit: Limit) -> Option<i64> {
    if let Some(v) = tenant.limits.get(limit.key()) {
        return (*v >= 0).then_some(*v);
    }
    let plan = get(&tenant.plan)?;
    match limit {
        Limit::Users => plan.max_users,
        Limit::Aircraft => plan.max_aircraft,
    }
}

/// `403 plan-limit-reached` when `current` already uses the whole limit.
pub fn ensure_room(tenant: &Tenant, limit: Limit, current: i64) -> Result<()> {
    match limit_for(tenant, limit) {
        Some(max) if current >= max => Err(AppError::status(
            StatusCode::FORBIDDEN,
            "plan-limit-reached",
            format!(
                "the {} plan allows {max} {}; upgrade the plan to add more",
                tenant.plan,
                limit.key()
            ),
        )),
        _ => Ok(()),
    }
}

/// In the caller's transaction: serialises additions of `limit` in this tenant (a
/// transaction-scoped advisory lock keyed by tenant and limit), counts what exists with
/// `count_sql` (a literal of the calling domain) and refuses when the limit is used up. Two
/// concurrent creates cannot both take the last place.
pub async fn guard(
    conn: &mut sqlx::PgConnection,
    tenant: &Tenant,
    limit: Limit,
    count_sql: &'static str,
) -> Result<()> {
    if limit_for(tenant, limit).is_none() {
        return Ok(());
    }
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("{}:limit:{}", tenant.id, limit.key()))
        .execute(&mut *conn)
        .await?;
    let current: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
        .fetch_one(&mut *conn)
        .await?;
    ensure_room(tenant, limit, current)
}
