//! The tenant context extractor: what a domain handler receives instead of the application
//! state. It authenticates the caller (the same bearer scheme as [`Auth`], so the OpenAPI
//! document is unchanged) and carries the one thing a domain needs from the host to reach its
//! data: a way to open a [`TenantTx`] in the caller's tenant. The pool stays in `crate::host`;
//! `Principal::begin` and `Principal::scope` are host-only, so a domain has no other way in.

use std::ops::Deref;
use std::sync::Arc;

use poem::{Request, RequestBody};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::{Auth, Principal};
use crate::db::{Db, TenantRead, TenantTx};
use crate::error::AppError;
use crate::state::AppState;
use crate::tenancy::TenantScope;

/// The authenticated caller of a tenant route and its tenant's transactions.
///
/// Dereferences to the [`Principal`]: `ctx.require(PERMISSION)?`, `ctx.user_id`,
/// `ctx.tenant.id`. `ctx.begin()` opens the request's transaction in the caller's tenant.
pub struct TenantCtx {
    principal: Principal,
    db: Db,
    live: Arc<crate::live::LiveHub>,
}

impl TenantCtx {
    /// Opens a transaction in the caller's tenant (`BEGIN` plus a transaction-local
    /// `search_path`, one round trip).
    pub async fn begin(&self) -> Result<TenantTx, AppError> {
        Ok(self.principal.tenant.begin(&self.db).await?)
    }

    /// A read of one statement in the caller's tenant, in one round trip (no transaction of its
    /// own; docs/tenancy.md): for the hottest reads. Its SQL names each table `{tenant}.name`.
    pub fn read(&self) -> TenantRead<'_> {
        self.principal.tenant.read(&self.db)
    }

    /// A handle that opens transactions in the caller's tenant and nothing else, for work that
    /// outlives the request's own transaction (a streamed export reads in batches).
    pub fn scope(&self) -> TenantScope {
        TenantScope::new(self.db.clone(), self.principal.tenant.clone())
    }

    /// The live events of `topic` in the caller's tenant from now on (`crate::live`): what a
    /// Server-Sent Events stream forwards. Never another tenant's.
    pub fn live(&self, topic: &str) -> tokio::sync::broadcast::Receiver<crate::live::Delivery> {
        self.live.subscribe(self.principal.tenant.id, topic)
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }
}

impl Deref for TenantCtx {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<'a> From<&'a TenantCtx> for crate::audit::Actor<'a> {
    fn from(ctx: &'a TenantCtx) -> Self {
        (&ctx.principal).into()
    }
}

impl<'a> ApiExtractor<'a> for TenantCtx {
    const TYPES: &'static [ApiExtractorType] = <Auth as ApiExtractor<'a>>::TYPES;
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Auth as ApiExtractor<'a>>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <Auth as ApiExtractor<'a>>::security_schemes()
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let Auth(principal) =
            <Auth as ApiExtractor<'a>>::from_request(request, body, param_opts).await?;
        let state = request
            .data::<Arc<AppState>>()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
        Ok(Self {
            principal,
            db: state.db.clone(),
            live: state.live.clone(),
        })
    }
}
