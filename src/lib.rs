//! Flightline: one service running flight schools, charter / air-ambulance operators and FBOs as
//! tenants of a SaaS, each in its own PostgreSQL schema. See `../shared/DESIGN.md`.

pub mod api;
pub mod cli;
pub mod compliance;
pub mod domains;
pub mod host;
pub mod kernel;

pub use host::{
    audit, auth, billing, calendar, config, connect, crypto, db, error, http, jobs, links, live,
    mail, ops, platform, record, state, storage, telemetry, tenancy, timezone,
};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};

use crate::config::Settings;
use crate::state::AppState;

pub use crate::host::state::install_crypto_provider;

/// Builds the shared state: pool (lazy), registry, hashers, keys. Starts no task.
pub fn build_state(settings: Settings) -> anyhow::Result<Arc<AppState>> {
    AppState::build(settings, &domains::CATALOG)
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
    let background = state.start_background(&domains::CATALOG).await?;
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
