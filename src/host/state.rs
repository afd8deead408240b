//! Application state shared by every request.

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::access::AccessCache;
use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::config::Settings;
use crate::db::Db;
use crate::kernel::manifest::Catalog;
use crate::mail::MailWorker;
use crate::tenancy::{TenantRegistry, WarmPool};

pub struct AppState {
    pub settings: Arc<Settings>,
    /// The application's pool. Host only: a domain gets its tenant's transaction from its
    /// `Principal` (`crate::host` explains the line).
    pub(in crate::host) db: Db,
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
    /// Card payments through each tenant's own Stripe account (Stripe Connect), when billing
    /// is on and `billing.stripe_connect_webhook_secret` is set.
    pub connect: Option<crate::connect::Connect>,
    /// Wakes the platform job worker.
    pub jobs: crate::jobs::JobQueue,
    /// The live events of this process's Server-Sent Events streams (`crate::live`).
    pub live: Arc<crate::live::LiveHub>,
}

/// The kinds of queued job, from the modules whose work they are.
const JOB_KINDS: &[crate::jobs::queue::JobKind] = &[
    crate::platform::archive::JOB_KIND,
    crate::billing::CUSTOMER_JOB_KIND,
];

/// Makes ring the process's TLS crypto provider (the stack builds rustls without aws-lc, so
/// HTTP clients built with defaults need one installed). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl AppState {
    /// Builds the shared state over `catalog` (the domains' manifests): pool (lazy), registry,
    /// hashers, keys. Starts no task.
    pub fn build(settings: Settings, catalog: &'static Catalog) -> anyhow::Result<Arc<Self>> {
        install_crypto_provider();
        let db = Db::connect_lazy(&settings)?;
        let registry = Arc::new(TenantRegistry::new(
            db.clone(),
            Duration::from_secs(settings.tenancy.cache_ttl_seconds),
            catalog,
        ));
        let passwords = Passwords::new(
            settings.auth.max_concurrent_hashes,
            settings.auth.hash_queue,
        )?;
        let jwt = JwtKeys::new(settings.jwt_secret(), settings.auth.access_ttl_seconds);
        let warm = WarmPool::new(db.clone(), settings.tenancy.warm_schemas);
        let mail = MailWorker::new(
            db.clone(),
            crate::mail::Transport::from_settings(&settings.mail)?,
            &settings.mail.from,
        );
        let proxies = crate::http::client::TrustedProxies::parse(&settings.server.trusted_proxies)
            .map_err(|m| anyhow::anyhow!("server.trusted_proxies: {m}"))?;
        let rate_limit = crate::http::ratelimit::RateLimit::new(&settings.rate_limit, proxies);
        let storage = crate::storage::Storage::from_settings(&settings.storage)?;
        let platform_jwt = crate::auth::jwt::PlatformKeys::new(
            settings.jwt_secret(),
            settings.auth.access_ttl_seconds,
        );
        let billing = crate::billing::Billing::from_settings(&settings.billing)?;
        let connect = crate::connect::Connect::from_settings(&settings, db.clone())?;
        let redis = settings
            .redis
            .url
            .as_ref()
            .map(|url| {
                crate::auth::access::Redis::connect(secrecy::ExposeSecret::expose_secret(url))
            })
            .transpose()?;
        let access = Arc::new(AccessCache::new(
            db.clone(),
            Duration::from_secs(60),
            redis.clone(),
        ));
        Ok(Arc::new(AppState {
            settings: Arc::new(settings),
            db,
            registry,
            passwords,
            jwt,
            access,
            warm,
            mail,
            rate_limit,
            redis,
            metrics: crate::telemetry::metrics_handle(),
            storage,
            platform_jwt,
            billing,
            connect,
            jobs: crate::jobs::JobQueue::default(),
            live: Arc::default(),
        }))
    }

    /// Migrates the platform schema, makes sure the first operator exists and starts the
    /// background tasks (tenant-change listeners, job worker, billing sweeper, warm pool, mail,
    /// rate-limit cleanup, telemetry upkeep, audit retention, stuck-provisioning sweeper).
    pub async fn start_background(
        self: &Arc<Self>,
        catalog: &'static Catalog,
    ) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
        crate::db::migrate_platform(&self.db).await?;
        crate::db::load_reference(&self.db, catalog).await?;
        crate::platform::operators::bootstrap(self).await?;
        let mut background = vec![
            crate::jobs::queue::spawn(self.clone(), JOB_KINDS),
            crate::billing::spawn_sweeper(self.clone()),
            self.registry.spawn_listener(),
            self.access.spawn_listener(),
            self.live.spawn_listener(self.db.clone()),
            self.warm.clone().spawn(),
            self.mail.clone().spawn(),
            self.rate_limit.spawn_cleanup(),
            crate::telemetry::spawn_upkeep(),
        ];
        background.extend(crate::jobs::spawn_tenant_jobs(self.db.clone(), catalog));
        background.extend(crate::jobs::spawn_shared_jobs(
            self.db.clone(),
            self.settings.clone(),
            catalog,
        ));
        let sweeper_db = self.db.clone();
        background.push(tokio::spawn(async move {
            loop {
                if let Err(e) = crate::tenancy::finish_stuck(&sweeper_db, catalog, 60, None).await {
                    tracing::warn!(error = %format!("{e:#}"), "provisioning sweep failed");
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }));
        Ok(background)
    }

    /// The database handle, for the integration tests only (feature `test-support`, which the
    /// package's own dev-dependency switches on). A build without the feature has no such
    /// method, so no domain can come to depend on it.
    #[cfg(feature = "test-support")]
    pub fn db(&self) -> &Db {
        &self.db
    }
}
