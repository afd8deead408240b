//! The plan catalogue: what each plan costs, which modules it leaves out and how many users and
//! aircraft it allows. Module exclusions are enforced by the feature-flag mechanism (a module the
//! plan leaves out is off, and its admins cannot switch it on); counted limits by the create
//! endpoints (`403 plan-limit-reached`). A platform operator may set other limits for one
//! tenant (`PATCH /api/v1/platform/tenants/{id}` `limits`).

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::error::{AppError, Result};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;
use crate::tenancy::Tenant;

pub use crate::kernel::plans::*;

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

/// Counts the users a plan's limit applies to.
pub const ACTIVE_USERS: &str = "select count(*) from users where is_active";
/// Counts the aircraft a plan's limit applies to (retired ones do not count).
pub const FLEET_AIRCRAFT: &str = "select count(*) from aircraft where status <> 'retired'";

/// A plan as the public catalogue shows it.
#[derive(Object)]
pub struct PlanInfo {
    /// The value of `plan` in signup and tenant bodies.
    pub key: String,
    pub name: String,
    pub description: String,
    /// Monthly price in minor units (cents) of `currency`.
    pub price_minor: i64,
    pub currency: String,
    /// Paid plans start with a trial and go through Stripe Checkout (when billing is enabled).
    pub paid: bool,
    pub trial_days: i64,
    /// Active users allowed; null: unlimited.
    pub max_users: Option<i64>,
    /// Aircraft allowed; null: unlimited.
    pub max_aircraft: Option<i64>,
    /// Feature flags this plan leaves out.
    pub excluded_modules: Vec<String>,
}

#[derive(Object)]
pub struct PlanPage {
    pub items: Vec<PlanInfo>,
    /// Always null: the catalogue is one page.
    pub next_cursor: Option<String>,
}

pub struct PlansApi;

#[OpenApi(prefix_path = "/api/v1/public", tag = "CoreTags::Signup")]
impl PlansApi {
    /// The plan catalogue, cheapest first. Public.
    #[oai(path = "/plans", method = "get")]
    async fn plans(&self, _state: Data<&Arc<AppState>>) -> Json<PlanPage> {
        Json(PlanPage {
            items: CATALOGUE
                .iter()
                .map(|p| PlanInfo {
                    key: p.key.into(),
                    name: p.name.into(),
                    description: p.description.into(),
                    price_minor: p.price_minor,
                    currency: CURRENCY.into(),
                    paid: p.paid,
                    trial_days: TRIAL_DAYS,
                    max_users: p.max_users,
                    max_aircraft: p.max_aircraft,
                    excluded_modules: p.excluded_modules.iter().map(|m| (*m).into()).collect(),
                })
                .collect(),
            next_cursor: None,
        })
    }
}
