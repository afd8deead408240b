//! Counted plan limits: each declared by the domain that owns the counted rows
//! (`Manifest::limits`, a [`CountedLimit`] with its number per plan), enforced by that domain's
//! create endpoints through [`guard`] (`403 plan-limit-reached`), unless an operator set another
//! number for the tenant.

use poem::http::StatusCode;

use super::Tenant;
use crate::error::{AppError, Result};
use crate::kernel::manifest::CountedLimit;

/// The tenant's limit: the operator's override for this tenant, else its plan's; `None` is
/// unlimited.
pub fn limit_for(tenant: &Tenant, limit: &CountedLimit) -> Option<i64> {
    if let Some(v) = tenant.limits.get(limit.key) {
        return (*v >= 0).then_some(*v);
    }
    limit.for_plan(&tenant.plan)
}

/// `403 plan-limit-reached` when `current` already uses the whole limit.
pub fn ensure_room(tenant: &Tenant, limit: &CountedLimit, current: i64) -> Result<()> {
    match limit_for(tenant, limit) {
        Some(max) if current >= max => Err(AppError::status(
            StatusCode::FORBIDDEN,
            "plan-limit-reached",
            format!(
                "the {} plan allows {max} {}; upgrade the plan to add more",
                tenant.plan, limit.key
            ),
        )),
        _ => Ok(()),
    }
}

/// In the caller's transaction: serialises additions of `limit` in this tenant (a
/// transaction-scoped advisory lock keyed by tenant and limit), counts what exists with the
/// limit's `count_sql` (a literal of the declaring domain) and refuses when the limit is used
/// up. Two concurrent creates cannot both take the last place.
pub async fn guard(
    conn: &mut sqlx::PgConnection,
    tenant: &Tenant,
    limit: &CountedLimit,
) -> Result<()> {
    if limit_for(tenant, limit).is_none() {
        return Ok(());
    }
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("{}:limit:{}", tenant.id, limit.key))
        .execute(&mut *conn)
        .await?;
    let current: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(limit.count_sql))
        .fetch_one(&mut *conn)
        .await?;
    ensure_room(tenant, limit, current)
}
