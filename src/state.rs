//! Application state shared by every request.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::access::AccessCache;
use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::config::Settings;
use crate::db::Db;
use crate::mail::MailWorker;
use crate::tenancy::{TenantRegistry, WarmPool};

pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub registry: Arc<TenantRegistry>,
    pub passwords: Passwords,
    pub jwt: JwtKeys,
    pub access: Arc<AccessCache>,
    pub warm: WarmPool,
    pub mail: MailWorker,
    pub rate_limit: crate::http::ratelimit::RateLimit,
    /// Present when `REDIS_URL` is configured.
    pub redis: Option<crate::auth::access::Redis>,
    pub metrics: Option<PrometheusHandle>,
    /// Object storage for attachments and archives.
    pub storage: crate::storage::Storage,
    /// Keys of platform operator tokens (`aud: platform`).
    pub platform_jwt: crate::auth::jwt::PlatformKeys,
    /// Stripe, when `billing.stripe_secret_key` is set.
    pub billing: Option<crate::billing::Billing>,
    /// Wakes the platform job worker.
    pub jobs: crate::jobs::JobQueue,
}
