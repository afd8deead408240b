//! The plan catalogue: what each plan costs, which modules it leaves out and how many users and
//! aircraft it allows. Module exclusions are enforced by the feature-flag mechanism (a module the
//! plan leaves out is off, and its admins cannot switch it on); counted limits by the create
//! endpoints (`403 plan-limit-reached`). A platform operator may set other limits for one
//! tenant (`PATCH /api/v1/platform/tenants/{id}` `limits`).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::error::Result;
use crate::http::page;
use crate::kernel::tags::CoreTags;
use crate::state::AppState;

pub use crate::kernel::plans::*;

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
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

pub struct PlansApi;

#[OpenApi(prefix_path = "/api/v1/public", tag = "CoreTags::Signup")]
impl PlansApi {
    /// The plan catalogue, cheapest first, paged like any list. Public.
    #[oai(path = "/plans", method = "get")]
    async fn plans(
        &self,
        state: Data<&Arc<AppState>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<PlanPage>> {
        let catalog = state.registry.catalog();
        let max = |key: &str, plan: &str| catalog.limit(key).and_then(|l| l.for_plan(plan));
        let all: Vec<PlanInfo> = CATALOGUE
            .iter()
            .map(|p| PlanInfo {
                key: p.key.into(),
                name: p.name.into(),
                description: p.description.into(),
                price_minor: p.price_minor,
                currency: CURRENCY.into(),
                paid: p.paid,
                trial_days: TRIAL_DAYS,
                max_users: max("users", p.key),
                max_aircraft: max("aircraft", p.key),
                excluded_modules: p.excluded_modules.iter().map(|m| (*m).into()).collect(),
            })
            .collect();
        let (items, next_cursor) =
            page::of_list(all, limit.0, cursor.0.as_deref(), |p: &PlanInfo| {
                p.key.as_str()
            })?;
        Ok(Json(PlanPage { items, next_cursor }))
    }
}
