//! The command line (API.md §5): `serve`, `migrate`, `tenants ...`, `openapi`, `demo`.
//!
//! The commands and `serve`/`migrate`/`openapi` are here; `tenants ...` runs in `tenants`,
//! `demo` in `demo`.

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::{self, Db, MigrationStatus, TenantFilter};
use crate::tenancy::{self, TenantRegistry};

mod demo;
mod tenants;

pub use demo::{DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG};
pub use tenants::{CreateArgs, TenantsCommand};

#[derive(Parser)]
#[command(
    name = "flightline",
    version,
    about = "Flightline: flight school, charter and FBO operations as a multi-tenant service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve HTTP (applies pending platform migrations first).
    Serve,
    /// Apply platform migrations, then tenant migrations to every tenant.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Provision the demo flight school (slug `demo`) with sample notes and two aircraft, and print
    /// how to log in.
    Demo,
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            let server = crate::start(settings).await?;
            shutdown_signal().await;
            tracing::info!("shutting down");
            server.stop().await;
            Ok(())
        }
        Command::Openapi => {
            println!("{}", crate::api::openapi_json());
            Ok(())
        }
        Command::Migrate => {
            let db = Db::connect_with(&settings, 8)?;
            let v = db::migrate_platform(&db).await?;
            println!("platform schema at version {v}");
            for name in db::load_reference(&db, &crate::domains::CATALOG).await? {
                println!("loaded reference data: {name}");
            }
            let dropped = tenancy::drop_stale_warm_schemas(&db).await?;
            if dropped > 0 {
                println!("dropped {dropped} outdated warm schema(s)");
            }
            migrate_and_report(
                &db,
                TenantFilter::All,
                settings.tenancy.migration_concurrency,
            )
            .await
        }
        Command::Demo => demo::run(&settings).await,
        Command::Tenants(cmd) => tenants::run(cmd, &settings).await,
    }
}

async fn migrate_and_report(
    db: &Db,
    filter: TenantFilter,
    concurrency: usize,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let outcomes = crate::tenancy::migrate_tenants(
        db,
        &crate::domains::CATALOG,
        &db::tenant_migrations(),
        &filter,
        concurrency,
    )
    .await?;
    let failed = outcomes
        .iter()
        .filter(|o| o.status == MigrationStatus::Failed)
        .count();
    for o in &outcomes {
        if o.status != MigrationStatus::Current || o.catalog_changes > 0 {
            println!(
                "{:<40} {:>3} -> {:<3} {:?}{}{}",
                o.slug,
                o.from_version,
                o.to_version,
                o.status,
                if o.catalog_changes > 0 {
                    format!(", {} role(s) synced with the catalogue", o.catalog_changes)
                } else {
                    String::new()
                },
                o.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
        }
    }
    println!(
        "{} tenant(s): {} migrated, {} current, {} failed in {:.2}s",
        outcomes.len(),
        outcomes
            .iter()
            .filter(|o| o.status == MigrationStatus::Migrated)
            .count(),
        outcomes
            .iter()
            .filter(|o| o.status == MigrationStatus::Current)
            .count(),
        failed,
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        failed == 0,
        "{failed} tenant(s) failed to migrate and stay on their old version"
    );
    Ok(())
}

async fn open(settings: &Settings) -> anyhow::Result<(Db, TenantRegistry)> {
    let db = Db::connect_with(settings, 4)?;
    db::migrate_platform(&db).await?;
    db::load_reference(&db, &crate::domains::CATALOG).await?;
    let registry = TenantRegistry::new(
        db.clone(),
        std::time::Duration::from_secs(1),
        &crate::domains::CATALOG,
    );
    Ok((db, registry))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
