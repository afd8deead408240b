//! The command line (API.md §5): `serve`, `migrate`, `tenants ...`, `openapi`, `demo`.

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::db::{self, Db, MigrationStatus, TenantFilter};
use crate::platform::admin;
use crate::platform::operators::Actor;
use crate::tenancy::{self, NewTenant, TenantKind, TenantRegistry, TenantStatus};

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

#[derive(Subcommand)]
pub enum TenantsCommand {
    /// Provision a tenant.
    Create(CreateArgs),
    /// List tenants with status and schema version.
    List,
    /// Suspend a tenant (its requests answer 403 tenant-suspended on every replica).
    Suspend { slug: String },
    /// Resume a suspended tenant.
    Resume { slug: String },
    /// Migrate one tenant (`--tenant SLUG`) or all.
    Migrate {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Force a feature flag for a tenant (a plan limit its admins cannot change), or clear it.
    ForceFlag {
        slug: String,
        key: String,
        /// on, off or clear.
        value: String,
    },
    /// Archive a tenant: it stops serving, its schema is dumped with pg_dump into object
    /// storage (`storage.*`), then dropped. The slug stays taken.
    Delete { slug: String },
    /// Restore an archived tenant from its newest archive (or `--archive ID`), migrate it to
    /// the current version and make it active.
    Restore {
        slug: String,
        #[arg(long)]
        archive: Option<uuid::Uuid>,
    },
    /// Rename a tenant or change its plan (flags and limits follow the plan).
    Update {
        slug: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        plan: Option<String>,
    },
}

#[derive(Args)]
pub struct CreateArgs {
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    /// flight_school, charter_operator or fbo.
    #[arg(long, default_value = "flight_school")]
    pub kind: String,
    #[arg(long, default_value = "trial")]
    pub plan: String,
    #[arg(long)]
    pub admin_email: String,
    #[arg(long, default_value = "Administrator")]
    pub admin_name: String,
    /// Read from the environment so it stays out of shell history and process lists.
    #[arg(long, env = "FLIGHTLINE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
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
        Command::Demo => demo(&settings).await,
        Command::Tenants(cmd) => tenants(cmd, &settings).await,
    }
}

async fn migrate_and_report(
    db: &Db,
    filter: TenantFilter,
    concurrency: usize,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let outcomes = db::migrate_tenants(db, &db::tenant_migrations(), &filter, concurrency).await?;
    let failed = outcomes
        .iter()
        .filter(|o| o.status == MigrationStatus::Failed)
        .count();
    for o in &outcomes {
        if o.status != MigrationStatus::Current {
            println!(
                "{:<40} {:>3} -> {:<3} {:?}{}",
                o.slug,
                o.from_version,
                o.to_version,
                o.status,
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
    let registry = TenantRegistry::new(
        db.clone(),
        std::time::Duration::from_secs(1),
        &crate::domains::CATALOG,
    );
    Ok((db, registry))
}

async fn tenants(cmd: TenantsCommand, settings: &Settings) -> anyhow::Result<()> {
    let (db, registry) = open(settings).await?;
    match cmd {
        TenantsCommand::Create(args) => {
            let kind = TenantKind::parse(&args.kind).ok_or_else(|| {
                anyhow::anyhow!("--kind must be flight_school, charter_operator or fbo")
            })?;
            anyhow::ensure!(
                tenancy::is_valid_slug(&args.slug),
                "--slug must match ^[a-z][a-z0-9-]{{2,39}}$ and not be reserved"
            );
            anyhow::ensure!(crate::kernel::plans::is_known(&args.plan), "unknown --plan");
            crate::auth::password::check_policy(&args.admin_password)
                .map_err(|m| anyhow::anyhow!("admin password {m}"))?;
            let passwords = crate::auth::password::Passwords::new(1, 16)?;
            let new = NewTenant {
                slug: args.slug,
                name: args.name,
                kind,
                plan: args.plan,
                admin_email: args.admin_email,
                admin_name: args.admin_name,
                admin_password_hash: Some(passwords.hash(&args.admin_password).await?),
                trial_ends_at: None,
            };
            let t = tenancy::provision(&db, &registry, &new, None).await?.tenant;
            println!(
                "created tenant {} ({}) schema {} version {}",
                t.slug, t.id, t.schema, t.schema_version
            );
        }
        TenantsCommand::List => {
            let latest = db::latest_tenant_version();
            println!(
                "{:<40} {:<36} {:<16} {:<12} {:<12} version (latest {latest})",
                "slug", "id", "kind", "status", "plan"
            );
            for t in admin::list(&db).await? {
                println!(
                    "{:<40} {:<36} {:<16} {:<12} {:<12} {}",
                    t.slug, t.id, t.kind, t.status, t.plan, t.schema_version
                );
            }
        }
        TenantsCommand::Suspend { slug } => set_status(&db, &slug, TenantStatus::Suspended).await?,
        TenantsCommand::Resume { slug } => set_status(&db, &slug, TenantStatus::Active).await?,
        TenantsCommand::Restore { slug, archive } => {
            let id = admin::tenant_id(&db, &slug).await?;
            let state = crate::build_state(settings.clone())?;
            let archive =
                crate::platform::archive::restore(&state, id, archive, Actor::cli()).await?;
            println!("restored {slug} from archive {archive}; it is active again");
        }
        TenantsCommand::Update { slug, name, plan } => {
            anyhow::ensure!(
                plan.as_deref().is_none_or(crate::kernel::plans::is_known),
                "unknown --plan (one of: {})",
                crate::kernel::plans::PLANS.join(", ")
            );
            anyhow::ensure!(
                name.is_some() || plan.is_some(),
                "give --name and/or --plan"
            );
            admin::update(&db, &slug, name.as_deref(), plan.as_deref()).await?;
            println!("{slug} updated");
        }
        TenantsCommand::Migrate { tenant } => {
            let filter = match tenant {
                Some(slug) => {
                    let t = registry
                        .by_slug(&slug)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no tenant {slug}"))?;
                    TenantFilter::Ids(vec![t.id])
                }
                None => TenantFilter::All,
            };
            migrate_and_report(&db, filter, settings.tenancy.migration_concurrency).await?;
        }
        TenantsCommand::Delete { slug } => {
            let id = admin::tenant_id(&db, &slug).await?;
            let state = crate::build_state(settings.clone())?;
            anyhow::ensure!(
                crate::platform::archive::begin(&state, id, Actor::cli(), false).await?,
                "{slug} cannot be archived now (provisioning or already archived)"
            );
            crate::platform::archive::run(&state, id).await?;
            let (archive, bytes, _) = crate::platform::archive::latest(&db, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no archive recorded"))?;
            println!(
                "archived {slug}: archive {archive} ({bytes} bytes); restore with `flightline tenants restore {slug}`"
            );
        }
        TenantsCommand::ForceFlag { slug, key, value } => {
            admin::force_flag(&db, &crate::domains::CATALOG, &slug, &key, &value).await?;
            println!("{slug}: {key} forced {value}");
        }
    }
    Ok(())
}

async fn set_status(db: &Db, slug: &str, status: TenantStatus) -> anyhow::Result<()> {
    admin::set_status(db, slug, status).await?;
    println!("{slug} is now {}", status.as_str());
    Ok(())
}

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "admin@demo.flightline.localhost";
pub const DEMO_PASSWORD: &str = "flightline-demo";

async fn demo(settings: &Settings) -> anyhow::Result<()> {
    let (db, registry) = open(settings).await?;
    if registry.by_slug(DEMO_SLUG).await?.is_none() {
        let passwords = crate::auth::password::Passwords::new(1, 16)?;
        let new = NewTenant {
            slug: DEMO_SLUG.into(),
            name: "Demo Flight School".into(),
            kind: TenantKind::FlightSchool,
            plan: "trial".into(),
            admin_email: DEMO_EMAIL.into(),
            admin_name: "Demo Admin".into(),
            admin_password_hash: Some(passwords.hash(DEMO_PASSWORD).await?),
            trial_ends_at: None,
        };
        let tenant = tenancy::provision(&db, &registry, &new, None).await?.tenant;
        let mut tx = tenant.begin(&db).await?;
        let admin: uuid::Uuid =
            sqlx::query_scalar("select id from users order by created_at limit 1")
                .fetch_one(&mut *tx)
                .await?;
        for (title, body, pinned) in [
            (
                "Welcome to Flightline",
                "This is the demo flight school. Notes live at /api/v1/tools/notes.",
                true,
            ),
            (
                "N172SP 100-hour inspection",
                "Due at 2,340.0 tach. Book the hangar for Thursday.",
                false,
            ),
            (
                "Ground school: weather theory",
                "Tuesday 18:00 in classroom B. Bring METAR/TAF samples.",
                false,
            ),
        ] {
            sqlx::query("insert into notes (id, title, body, pinned, author_id) values ($1, $2, $3, $4, $5)")
                .bind(uuid::Uuid::now_v7())
                .bind(title)
                .bind(body)
                .bind(pinned)
                .bind(admin)
                .execute(&mut *tx)
                .await?;
        }
        // Two aircraft, so the fleet, maintenance and scheduling routes have something to show.
        // Meters in tenths of an hour; N172SP's tach sits just short of the 100-hour note above.
        for (registration, make, model, designator, hobbs, tach, equipment) in [
            (
                "N172SP",
                "Cessna",
                "172S Skyhawk",
                "C172",
                28_915_i64,
                23_318_i64,
                &["ifr", "g1000"][..],
            ),
            (
                "N53PA",
                "Piper",
                "PA-28-181 Archer",
                "P28A",
                41_275,
                35_102,
                &["ifr"][..],
            ),
        ] {
            sqlx::query(
                "insert into aircraft (id, registration, make, model, type_designator, class, seats,
                                       home_base, hobbs_tenths, tach_tenths, equipment)
                 values ($1, $2, $3, $4, $5, 'single_engine_land', 4, 'KPAO', $6, $7, $8)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(registration)
            .bind(make)
            .bind(model)
            .bind(designator)
            .bind(hobbs)
            .bind(tach)
            .bind(equipment)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    let url = &settings.server.public_url;
    println!("Demo flight school ready (tenant `{DEMO_SLUG}`).");
    println!("  log in:  curl -s -X POST {url}/api/v1/auth/login -H 'X-Tenant-ID: {DEMO_SLUG}' \\");
    println!(
        "             -H 'Content-Type: application/json' -d '{{\"email\":\"{DEMO_EMAIL}\",\"password\":\"{DEMO_PASSWORD}\"}}'"
    );
    println!(
        "  notes:   curl -s {url}/api/v1/tools/notes -H 'X-Tenant-ID: {DEMO_SLUG}' -H 'Authorization: Bearer <access_token>'"
    );
    println!(
        "  fleet:   curl -s {url}/api/v1/fleet/aircraft -H 'X-Tenant-ID: {DEMO_SLUG}' -H 'Authorization: Bearer <access_token>'"
    );
    println!("  docs:    {url}/docs");
    Ok(())
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
