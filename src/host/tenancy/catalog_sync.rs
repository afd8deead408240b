//! The catalogue sync: system roles and permission names declared after a tenant was
//! provisioned reach it, once, and what its administrators removed on purpose stays removed.
//!
//! Roles are rows (DESIGN §4); the catalogue and the roles each permission names are code
//! (`Catalog::seeded_roles`). Provisioning writes them once. Later a release may declare a new
//! system role (`trainer`) or a new permission (a domain's `x.read`), which an existing tenant
//! would otherwise never get. [`sync`] runs wherever tenant migrations run (provisioning,
//! `flightline migrate` / `tenants migrate`, the platform migrate endpoint, restore), inside the
//! same transaction and per-tenant lock:
//!
//! - a system role of the tenant's kind that it has never been offered is created with its
//!   permissions (a custom role already holding the name is left alone, and every later run
//!   offers the role again until the name is free);
//! - a permission name it has never been offered is added to the system roles the manifest
//!   names, and to `admin` (which holds the whole catalogue);
//! - both are then recorded in `catalog_offers`, so a permission an administrator later removes
//!   from a role is never put back.
//!
//! A tenant provisioned before `catalog_offers` existed has no record: the first run takes the
//! permissions its `admin` role holds as offered (that role's permissions cannot be edited, so
//! it holds exactly what the tenant was given) and its system roles as offered.
//!
//! Each changed role is audited once (`role.synced`, before and after); a run that finds
//! nothing new writes nothing but missing offers. The sync only ever adds permissions, so the
//! access cache is not told from here (that would make this layer depend on `auth`): cached
//! permissions pick the additions up within the cache's TTL, and the platform migrate endpoint
//! drops the tenant's entries at once. [`digest`] fingerprints the catalogue per kind so a
//! migration run can skip tenants already synced with this binary's catalogue.

use std::collections::HashSet;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Migration, MigrationOutcome, StepOutcome, TenantFilter, TenantStep};
use crate::kernel::{Catalog, TenantKind, roles};

/// What one sync changed in a tenant.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Synced {
    /// System roles created.
    pub created: Vec<String>,
    /// Existing system roles and the permissions added to them.
    pub granted: Vec<(String, Vec<String>)>,
    /// System roles not created because a custom role holds the name; the tenant keeps no
    /// catalogue digest, so every later run looks again.
    pub skipped: Vec<String>,
}

impl Synced {
    /// How many roles changed (each is one audit row).
    pub fn changes(&self) -> usize {
        self.created.len() + self.granted.len()
    }
}

/// A fingerprint of what [`sync`] gives a tenant of `kind`: the system roles and their
/// permissions (the `admin` role's are the whole catalogue). Stored per tenant after a sync.
pub fn digest(catalog: &Catalog, kind: TenantKind) -> String {
    let mut h = Sha256::new();
    for role in catalog.seeded_roles(kind) {
        h.update(role.name.as_bytes());
        h.update([0]);
        for p in role.permissions {
            h.update(p.as_bytes());
            h.update([1]);
        }
        h.update([2]);
    }
    hex::encode(h.finalize())
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: Uuid,
    name: String,
    description: Option<String>,
    permissions: Vec<String>,
    is_system: bool,
}

fn snapshot(id: Uuid, name: &str, description: Option<&str>, permissions: &[String]) -> Value {
    json!({
        "id": id,
        "name": name,
        "description": description,
        "permissions": permissions,
        "is_system": true,
    })
}

/// Brings the tenant whose schema is on the search_path up to the catalogue (see the module).
/// `tenant` is its id, for the log. In a schema without roles (a tenant being provisioned) it
/// creates every system role, unaudited: `tenant.provisioned` covers it.
pub async fn sync(
    conn: &mut PgConnection,
    catalog: &Catalog,
    kind: TenantKind,
    tenant: Uuid,
) -> Result<Synced, sqlx::Error> {
    let seeds = catalog.seeded_roles(kind);
    let offers: Vec<(String, String)> = sqlx::query_as("select item, name from catalog_offers")
        .fetch_all(&mut *conn)
        .await?;
    // Locked: an administrator's concurrent role edit waits for the sync (or the sync for it).
    let existing: Vec<RoleRow> = sqlx::query_as(
        "select id, name, description, permissions, is_system from roles
         order by created_at, id for update",
    )
    .fetch_all(&mut *conn)
    .await?;
    let fresh = offers.is_empty() && existing.is_empty();
    let (offered_roles, offered_permissions): (HashSet<String>, HashSet<String>) =
        if offers.is_empty() {
            // The baseline of a tenant provisioned before offers were recorded.
            let roles = existing
                .iter()
                .filter(|r| r.is_system)
                .map(|r| r.name.clone())
                .collect();
            let permissions = existing
                .iter()
                .find(|r| r.is_system && r.name == roles::ADMIN)
                .map(|r| r.permissions.iter().cloned().collect())
                .unwrap_or_default();
            (roles, permissions)
        } else {
            let pick = |item: &str| {
                offers
                    .iter()
                    .filter(|(i, _)| i == item)
                    .map(|(_, n)| n.clone())
                    .collect::<HashSet<_>>()
            };
            (pick("role"), pick("permission"))
        };
    let is_new = |p: &str| !offered_permissions.contains(p);

    let mut out = Synced::default();
    let mut offered_now: Vec<&'static str> = Vec::new();
    for seed in &seeds {
        let same_name = existing
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(seed.name));
        match same_name {
            None if offered_roles.contains(seed.name) => offered_now.push(seed.name),
            None => {
                let id = Uuid::now_v7();
                sqlx::query(
                    "insert into roles (id, name, description, permissions, is_system)
                     values ($1, $2, $3, $4, true)",
                )
                .bind(id)
                .bind(seed.name)
                .bind(seed.description)
                .bind(&seed.permissions)
                .execute(&mut *conn)
                .await?;
                if !fresh {
                    let permissions: Vec<String> =
                        seed.permissions.iter().map(|p| (*p).to_owned()).collect();
                    audit_synced(
                        conn,
                        id,
                        None,
                        Some(snapshot(
                            id,
                            seed.name,
                            Some(seed.description),
                            &permissions,
                        )),
                    )
                    .await?;
                }
                out.created.push(seed.name.to_owned());
                offered_now.push(seed.name);
            }
            Some(custom) if !custom.is_system => {
                // Not ours to take over; offered again once the name is free.
                out.skipped.push(seed.name.to_owned());
                tracing::warn!(
                    tenant.id = %tenant,
                    role = seed.name,
                    "a custom role holds the name of a system role; not synced"
                );
            }
            Some(role) => {
                let grant: Vec<String> = seed
                    .permissions
                    .iter()
                    .filter(|p| is_new(p) && !role.permissions.iter().any(|h| h == *p))
                    .map(|p| (*p).to_owned())
                    .collect();
                offered_now.push(seed.name);
                if grant.is_empty() {
                    continue;
                }
                let mut after = role.permissions.clone();
                after.extend(grant.iter().cloned());
                sqlx::query("update roles set permissions = $2 where id = $1")
                    .bind(role.id)
                    .bind(&after)
                    .execute(&mut *conn)
                    .await?;
                audit_synced(
                    conn,
                    role.id,
                    Some(snapshot(
                        role.id,
                        &role.name,
                        role.description.as_deref(),
                        &role.permissions,
                    )),
                    Some(snapshot(
                        role.id,
                        &role.name,
                        role.description.as_deref(),
                        &after,
                    )),
                )
                .await?;
                out.granted.push((role.name.clone(), grant));
            }
        }
    }

    let permissions: Vec<&str> = catalog.permissions().map(|p| p.name).collect();
    let items: Vec<&str> = std::iter::repeat_n("role", offered_now.len())
        .chain(std::iter::repeat_n("permission", permissions.len()))
        .collect();
    let names: Vec<&str> = offered_now.iter().chain(&permissions).copied().collect();
    let ids: Vec<Uuid> = names.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "insert into catalog_offers (id, item, name)
         select * from unnest($1::uuid[], $2::text[], $3::text[])
         on conflict (item, name) do nothing",
    )
    .bind(&ids)
    .bind(&items)
    .bind(&names)
    .execute(&mut *conn)
    .await?;

    if out.changes() > 0 && !fresh {
        tracing::info!(
            tenant.id = %tenant,
            created = ?out.created,
            granted = ?out.granted,
            "catalogue synced"
        );
    }
    Ok(out)
}

async fn audit_synced(
    conn: &mut PgConnection,
    role: Uuid,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        Actor::system(),
        Change {
            action: "role.synced",
            resource_type: "role",
            resource_id: Some(role.to_string()),
            before,
            after,
        },
    )
    .await
}

/// The catalogue sync as the migration runner's per-tenant step.
pub struct CatalogSync<'a>(pub &'a Catalog);

impl TenantStep for CatalogSync<'_> {
    fn digest(&self, kind: TenantKind) -> String {
        digest(self.0, kind)
    }

    fn run<'c>(
        &'c self,
        conn: &'c mut PgConnection,
        kind: TenantKind,
        tenant: Uuid,
    ) -> BoxFuture<'c, Result<StepOutcome, sqlx::Error>> {
        Box::pin(async move {
            let synced = sync(conn, self.0, kind, tenant).await?;
            Ok(StepOutcome {
                changes: synced.changes(),
                complete: synced.skipped.is_empty(),
            })
        })
    }
}

/// Migrates the tenants matching `filter` (`crate::db::migrate_tenants`) and syncs each with
/// `catalog` in the same transaction: what `flightline migrate`, `tenants migrate`, the platform
/// migrate endpoint and restore run.
pub async fn migrate_tenants(
    db: &Db,
    catalog: &Catalog,
    migrations: &[Migration],
    filter: &TenantFilter,
    concurrency: usize,
) -> anyhow::Result<Vec<MigrationOutcome>> {
    db::migrate_tenants(db, &CatalogSync(catalog), migrations, filter, concurrency).await
}
