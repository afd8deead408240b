//! Flightline: one service running flight schools, charter / air-ambulance operators and FBOs as
//! tenants of a SaaS, each in its own PostgreSQL schema. See `../shared/DESIGN.md`.

pub mod api;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod domains;
pub mod error;
pub mod http;
pub mod jobs;
pub mod kernel;
pub mod mail;
pub mod ops;
pub mod platform;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tenancy;
pub mod timezone;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::config::Settings;
use crate::db::Db;
use crate::state::AppState;
use crate::tenancy::{TenantRegistry, WarmPool};

/// Makes ring the process's TLS crypto provider (the stack builds rustls without aws-lc, so
/// HTTP clients built with defaults need one installed). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Builds the shared state: pool (lazy), registry, hashers, keys. Starts no task.
pub fn build_state(settings: Settings) -> anyhow::Result<Arc<AppState>> {
    install_crypto_provider();
    let db = Db::connect_lazy(&settings)?;
    let registry = Arc::new(TenantRegistry::new(
        db.clone(),
        Duration::from_secs(settings.tenancy.cache_ttl_seconds),
        &domains::CATALOG,
    ));
    let passwords = Passwords::new(
        settings.auth.max_concurrent_hashes,
        settings.auth.hash_queue,
    )?;
    let jwt = JwtKeys::new(settings.jwt_secret(), settings.auth.access_ttl_seconds);
    let warm = WarmPool::new(db.clone(), settings.tenancy.warm_schemas);
    let mail = mail::MailWorker::new(
        db.clone(),
        mail::Transport::from_settings(&settings.mail)?,
        &settings.mail.from,
    );
    let proxies = http::client::TrustedProxies::parse(&settings.server.trusted_proxies)
        .map_err(|m| anyhow::anyhow!("server.trusted_proxies: {m}"))?;
    let rate_limit = http::ratelimit::RateLimit::new(&settings.rate_limit, proxies);
    let storage = storage::Storage::from_settings(&settings.storage)?;
    let platform_jwt =
        auth::jwt::PlatformKeys::new(settings.jwt_secret(), settings.auth.access_ttl_seconds);
    let billing = billing::Billing::from_settings(&settings.billing)?;
    let redis = settings
        .redis
        .url
        .as_ref()
        .map(|url| auth::access::Redis::connect(secrecy::ExposeSecret::expose_secret(url)))
        .transpose()?;
    let access = Arc::new(auth::access::AccessCache::new(
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
        metrics: telemetry::metrics_handle(),
        storage,
        platform_jwt,
        billing,
        jobs: jobs::JobQueue::default(),
    }))
}

/// A running server: its address, and a handle that stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        for t in self.background {
            t.abort();
        }
    }
}

/// Migrates the platform schema, starts the background tasks (tenant-change listener, warm
/// pool, stuck-provisioning sweeper) and serves HTTP on `settings.server.listen` (port 0 picks
/// a free port). Used by `flightline serve` and by the tests.
pub async fn start(settings: Settings) -> anyhow::Result<RunningServer> {
    let state = build_state(settings)?;
    db::migrate_platform(&state.db).await?;
    platform::operators::bootstrap(&state).await?;
    let mut background = vec![
        jobs::queue::spawn(state.clone()),
        billing::spawn_sweeper(state.clone()),
        state.registry.spawn_listener(),
        state.access.spawn_listener(),
        state.warm.clone().spawn(),
        state.mail.clone().spawn(),
        state.rate_limit.spawn_cleanup(),
        telemetry::spawn_upkeep(),
        jobs::spawn_audit_retention(state.db.clone()),
    ];
    let sweeper_db = state.db.clone();
    background.push(tokio::spawn(async move {
        loop {
            if let Err(e) = tenancy::finish_stuck(&sweeper_db, &domains::CATALOG, 60, None).await {
                tracing::warn!(error = %format!("{e:#}"), "provisioning sweep failed");
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    }));
    let mut server = serve(state).await?;
    server.background = background;
    Ok(server)
}

/// Serves HTTP for `state` on `settings.server.listen`, with no migration and no background
/// task (the tests use this to watch the service with its database down).
pub async fn serve(state: Arc<AppState>) -> anyhow::Result<RunningServer> {
    let listen = state.settings.server.listen;
    let acceptor = TcpListener::bind(listen).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| anyhow::anyhow!("listener has no TCP address"))?;
    let app = api::routes(state.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                },
                Some(Duration::from_secs(10)),
            )
            .await
    });
    tracing::info!(%addr, "flightline listening");
    Ok(RunningServer {
        addr,
        state,
        stop,
        task,
        background: Vec::new(),
    })
}
