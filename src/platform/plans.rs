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

use crate::api::ApiTags;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::tenancy::Tenant;

/// One plan.
pub struct Plan {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Monthly price in minor units of `CURRENCY` (display; Stripe's price is authoritative).
    pub price_minor: i64,
    /// Paid plans go through Stripe Checkout when billing is configured.
    pub paid: bool,
    pub max_users: Option<i64>,
    pub max_aircraft: Option<i64>,
    /// Feature flags this plan leaves out.
    pub excluded_modules: &'static [&'static str],
}

pub const CURRENCY: &str = "USD";
/// Days of trial a paid plan starts with (Stripe Checkout `trial_period_days`) and the length
/// of the free `trial` plan.
pub const TRIAL_DAYS: i64 = 14;

/// Known plans, cheapest first.
pub const CATALOGUE: &[Plan] = &[
    Plan {
        key: "trial",
        name: "Trial",
        description: "Everything, for a small team, for 14 days",
        price_minor: 0,
        paid: false,
        max_users: Some(10),
        max_aircraft: Some(5),
        excluded_modules: &[],
    },
    Plan {
        key: "starter",
        name: "Starter",
        description: "A small school or operator: the operational modules without reports",
        price_minor: 4_900,
        paid: true,
        max_users: Some(15),
        max_aircraft: Some(5),
        excluded_modules: &["reports"],
    },
    Plan {
        key: "professional",
        name: "Professional",
        description: "Growing organisations: every module, more people and aircraft",
        price_minor: 14_900,
        paid: true,
        max_users: Some(75),
        max_aircraft: Some(25),
        excluded_modules: &[],
    },
    Plan {
        key: "enterprise",
        name: "Enterprise",
        description: "Every module without counted limits",
        price_minor: 49_900,
        paid: true,
        max_users: None,
        max_aircraft: None,
        excluded_modules: &[],
    },
];

/// Known plan names, cheapest first.
pub const PLANS: &[&str] = &["trial", "starter", "professional", "enterprise"];

pub fn get(key: &str) -> Option<&'static Plan> {
    CATALOGUE.iter().find(|p| p.key == key)
}

pub fn is_known(plan: &str) -> bool {
    get(plan).is_some()
}

/// Whether `plan` leaves the module of flag `key` out.
pub fn excludes(plan: &str, key: &str) -> bool {
    get(plan).is_some_and(|p| p.excluded_modules.contains(&key))
}

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

#[OpenApi(prefix_path = "/api/v1/public", tag = "ApiTags::Signup")]
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
