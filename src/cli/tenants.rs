//! `flightline tenants ...`: provision, list, suspend, resume, migrate, flag, archive, restore
//! and update tenants.

use clap::{Args, Subcommand};

use super::{migrate_and_report, open};
use crate::config::Settings;
use crate::db::{self, Db, TenantFilter};
use crate::platform::admin;
use crate::platform::operators::Actor;
use crate::tenancy::{self, NewTenant, TenantKind, TenantStatus};

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

pub(super) async fn run(cmd: TenantsCommand, settings: &Settings) -> anyhow::Result<()> {
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
