//! `/api/v1/settings/feature-flags`: the organisation's modules, on or off.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::domains::CATALOG;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::Flag;
use crate::kernel::page;
use crate::state::AppState;
use crate::tenancy::Tenant;
use crate::tenancy::flags;

/// Where a flag's value comes from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FlagSource {
    Default,
    /// Set by an admin of this organisation.
    Tenant,
    /// Forced by a platform operator.
    Platform,
}

/// A feature flag as it applies to this organisation.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct FeatureFlag {
    /// e.g. `tools.notes`, `fleet`, `charter`.
    pub key: String,
    pub enabled: bool,
    /// The value for this kind of organisation and plan.
    pub default: bool,
    pub source: FlagSource,
    pub description: String,
}

#[derive(Object)]
pub struct FeatureFlagPage {
    pub items: Vec<FeatureFlag>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(Object)]
pub struct FeatureFlagSet {
    pub enabled: bool,
}

fn flag(tenant: &Tenant, f: &Flag) -> FeatureFlag {
    let (enabled, source) = flags::effective(&CATALOG, tenant, f.key);
    FeatureFlag {
        key: f.key.to_owned(),
        enabled,
        default: CATALOG.flag_default(f.key, tenant.kind, &tenant.plan),
        source: match source {
            flags::Source::Default => FlagSource::Default,
            flags::Source::Tenant => FlagSource::Tenant,
            flags::Source::Platform => FlagSource::Platform,
        },
        description: f.description.to_owned(),
    }
}

pub struct FlagsApi;

#[OpenApi(
    prefix_path = "/api/v1/settings/feature-flags",
    tag = "super::Tag::Settings"
)]
impl FlagsApi {
    /// Every flag with its default and effective value, in catalogue order, paged like any
    /// list. Permission: `settings.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<FeatureFlagPage>> {
        ctx.require(super::SETTINGS_READ)?;
        let all = CATALOG.flags().map(|f| flag(&ctx.tenant, f)).collect();
        let (items, next_cursor) =
            page::of_list(all, limit.0, cursor.0.as_deref(), |f| f.key.as_str())?;
        Ok(Json(FeatureFlagPage { items, next_cursor }))
    }

    /// Switch a module on or off for this organisation. A disabled module's endpoints answer
    /// `404 feature-disabled` on every replica within a second. A flag forced by a platform
    /// operator cannot be changed here (`409 flag-forced`); switching on a module the plan
    /// leaves out is `403 plan-limit-reached`.
    ///
    /// Permission: `settings.manage`. Audited as `feature_flag.changed`.
    #[oai(path = "/:key", method = "put")]
    async fn set(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        key: Path<String>,
        body: JsonBody<FeatureFlagSet>,
    ) -> Result<Json<FeatureFlag>> {
        let p = &ctx;
        p.require(super::SETTINGS_MANAGE)?;
        let Some(f) = CATALOG.flag(&key.0) else {
            return Err(AppError::NotFound("feature flag"));
        };
        let k = f.key;
        if p.tenant.forced_flags.contains_key(k) {
            return Err(AppError::Conflict {
                code: "flag-forced",
                detail: "this flag is set by your plan".into(),
                field: None,
            });
        }
        if body.enabled && crate::kernel::plans::excludes(&p.tenant.plan, k) {
            return Err(AppError::status(
                poem::http::StatusCode::FORBIDDEN,
                "plan-limit-reached",
                format!(
                    "the {} plan does not include this module; upgrade the plan",
                    p.tenant.plan
                ),
            ));
        }
        let before = flag(&p.tenant, f);
        let mut tx = p.begin().await?;
        flags::set_tenant_flag(&mut tx, k, Some(body.enabled)).await?;
        let mut after = before.clone();
        after.enabled = body.enabled;
        after.source = FlagSource::Tenant;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "feature_flag.changed",
                resource_type: "feature_flag",
                resource_id: Some(k.to_owned()),
                before: audit::snapshot(&before),
                after: audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        state.registry.invalidate(p.tenant.id);
        Ok(Json(after))
    }
}
