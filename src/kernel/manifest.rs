//! What a domain declares about itself, and the catalogue built from all declarations.
//!
//! A domain's `mod.rs` exports `pub const MANIFEST: Manifest` and one `Permission` constant per
//! permission it declares; handlers name those constants (`principal.require(FLEET_READ)`), so a
//! permission that no manifest declares cannot be required by accident, and the catalogue, the
//! seeded roles, the flag registry and the OpenAPI permission test all read the same lists.

use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::roles::{self, Role};
use super::{TenantKind, ical, plans};

/// A permission: its catalogue name, what it grants, and which seeded roles get it (besides
/// `admin`, which gets every permission).
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    pub name: &'static str,
    pub description: &'static str,
    pub roles: &'static [Role],
}

impl Permission {
    pub const fn new(
        name: &'static str,
        description: &'static str,
        roles: &'static [Role],
    ) -> Self {
        Self {
            name,
            description,
            roles,
        }
    }
}

impl PartialEq for Permission {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// A feature flag guarding a module: every request path under `prefix` answers
/// `404 feature-disabled` while the flag is off for the tenant.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    pub key: &'static str,
    pub description: &'static str,
    pub prefix: &'static str,
    /// The tenant kinds the module is on for by default (a plan may still leave it out).
    pub on_for: &'static [TenantKind],
}

/// Every tenant kind: the default of a module all kinds use.
pub const ALL_KINDS: &[TenantKind] = &TenantKind::ALL;

/// One domain's declaration of itself.
#[derive(Debug)]
pub struct Manifest {
    /// The folder name under `src/domains`.
    pub name: &'static str,
    /// Route prefixes of its operations (`/api/v1/fleet`); every operation under them must name
    /// one of the catalogue's permissions in its description.
    pub prefixes: &'static [&'static str],
    /// Its feature flags (most domains have one; tools has one per module).
    pub flags: &'static [Flag],
    /// The permissions it declares.
    pub permissions: &'static [Permission],
    /// Its records that take attachments (`/api/v1/tools/attachments?resource_type=...`).
    pub attachments: &'static [AttachmentOwner],
    /// The calendar feeds it offers (`/api/v1/public/calendars/...`).
    pub feeds: &'static [FeedKind],
    /// The secret public links it offers (`/api/v1/public/links/...`): a document a customer
    /// opens without an account, such as an invoice.
    pub links: &'static [LinkKind],
    /// Work it needs done now and then for every serving tenant (`crate::jobs` runs each).
    pub jobs: &'static [TenantJob],
    /// The counted plan limits its create endpoints enforce (`crate::tenancy::limits::guard`).
    pub limits: &'static [CountedLimit],
    /// What it does with the card-payment events of the tenant's own Stripe account (Stripe
    /// Connect), handed over by the host's `/webhooks/stripe/connect` once each.
    pub payment_events: &'static [PaymentEventHandler],
    /// Shared read-only data it ships in the binary (the world's airports), loaded into the
    /// `reference` schema for every tenant to read (`crate::db::load_reference`).
    pub reference: &'static [ReferenceData],
    /// Work on data every tenant shares, run by the host outside any tenant's transaction
    /// (weather fetched from a provider into `reference.weather`; `crate::jobs` runs each).
    pub shared_jobs: &'static [SharedJob],
}

/// A transaction outside any tenant, as the host lends it to a [`SharedJob`].
pub type SharedTx = sqlx::Transaction<'static, sqlx::Postgres>;

/// Opens transactions outside any tenant for a [`SharedJob`]. The connection's search path
/// names an empty schema: every statement names the schema of its tables (`reference.`).
pub trait SharedDb: Send + Sync {
    fn begin(&self) -> BoxFuture<'_, Result<SharedTx, sqlx::Error>>;
}

/// What the host hands one pass of a [`SharedJob`].
pub struct SharedJobCtx<'a> {
    /// Short transactions outside any tenant. A pass never holds one across a call to another
    /// service (an HTTP request waits for the network, a transaction must not).
    pub db: &'a dyn SharedDb,
    /// The host's configuration, `crate::config::Settings` (the kernel cannot name it): the
    /// job downcasts it to read its own section.
    pub settings: &'a (dyn std::any::Any + Send + Sync),
}

/// What one pass of a [`SharedJob`] did: `done` for the log, and how long the host waits
/// before the next pass (unless the job's `wake` is notified first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedPass {
    pub done: u64,
    pub next: std::time::Duration,
}

/// One pass of a shared job. An `Err` is logged and the next pass follows after
/// [`SharedJob::retry`].
pub type SharedJobRun =
    for<'a> fn(&'a SharedJobCtx<'a>) -> BoxFuture<'a, anyhow::Result<SharedPass>>;

/// Work on data all tenants share, such as weather reports fetched from a provider: the host
/// runs one loop per job on every replica, outside any tenant's transaction, the first pass at
/// start. The job decides its own period (each pass answers how long to wait, from its
/// configuration); the domain notifies `wake` when new work should not wait that long (a
/// station asked for the first time). Replicas run the same loop: a pass claims its work in
/// the database (`for update skip locked`) so two replicas do not do it twice.
#[derive(Debug, Clone, Copy)]
pub struct SharedJob {
    pub name: &'static str,
    pub run: SharedJobRun,
    /// Notified to run the next pass now.
    pub wake: &'static tokio::sync::Notify,
    /// The wait after a failed pass.
    pub retry: std::time::Duration,
}

/// Replaces one reference dataset inside the loading transaction; returns the rows loaded.
pub type ReferenceLoad =
    for<'c> fn(&'c mut sqlx::PgConnection) -> BoxFuture<'c, Result<u64, sqlx::Error>>;

/// Reference data a domain ships with the binary. `flightline migrate` and every start load it
/// when `reference.datasets` holds another version (or none), under one advisory lock, so a
/// version is loaded once however many replicas start together.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceData {
    /// Its key in `reference.datasets`.
    pub name: &'static str,
    /// The version shipped.
    pub version: &'static str,
    pub load: ReferenceLoad,
}

/// A verified event of a tenant's connected Stripe account, as the host hands it to a domain:
/// the signature checked, the event id seen for the first time, the tenant found from the
/// connected account (and any `metadata.tenant_id` of the object agreeing with it).
#[derive(Debug, Clone)]
pub struct PaymentEvent {
    /// Stripe's event id (`evt_...`).
    pub id: String,
    /// Stripe's event type (`checkout.session.completed`, `charge.refunded`, ...).
    pub kind: String,
    /// The connected account it came from (`acct_...`).
    pub account: String,
    /// `data.object`: the Checkout Session, Charge or Account the event is about.
    pub object: serde_json::Value,
}

/// Applies one event inside the tenant's transaction (committed when it returns `Ok`, together
/// with the host's record that the event was handled); the tenant's id is the second argument.
/// `Ok(true)`: something changed; `Ok(false)`: nothing to do. An `Err` rolls back and the host
/// answers 500, so Stripe delivers the event again later.
pub type PaymentEventRun = for<'c> fn(
    &'c mut sqlx::PgConnection,
    Uuid,
    &'c PaymentEvent,
) -> BoxFuture<'c, anyhow::Result<bool>>;

/// A domain's handler of connected-account payment events.
#[derive(Debug, Clone, Copy)]
pub struct PaymentEventHandler {
    pub name: &'static str,
    pub run: PaymentEventRun,
}

/// A counted plan limit: how many of something a tenant may have (active users, aircraft),
/// per plan, unless a platform operator set another number for that tenant
/// (`PATCH /api/v1/platform/tenants/{id}` `limits`, keyed by `key`).
#[derive(Debug, Clone, Copy)]
pub struct CountedLimit {
    /// The key operators and the public plan list use (`users` → `max_users`).
    pub key: &'static str,
    /// Counts what exists now, inside the tenant's transaction (a literal of the domain).
    pub count_sql: &'static str,
    /// The number each plan allows; a plan not listed has no limit.
    pub per_plan: &'static [(&'static str, i64)],
}

impl CountedLimit {
    /// What `plan` allows; `None` is unlimited.
    pub fn for_plan(&self, plan: &str) -> Option<i64> {
        self.per_plan
            .iter()
            .find(|(p, _)| *p == plan)
            .map(|(_, n)| *n)
    }
}

/// One pass of a job over one tenant (its id is the second argument, for what the host keeps
/// per tenant, such as the mail outbox), inside that tenant's transaction (committed when it
/// returns `Ok`); the number is what it did (rows deleted, reminders sent), for the log.
pub type TenantJobRun =
    for<'c> fn(&'c mut sqlx::PgConnection, Uuid) -> BoxFuture<'c, Result<u64, sqlx::Error>>;

/// A job run for every serving tenant every `every_seconds` (one transaction per tenant, so
/// one tenant's failure or size never holds up another's). Keep a pass short: do a bounded
/// batch and let the next pass do the rest.
#[derive(Debug, Clone, Copy)]
pub struct TenantJob {
    pub name: &'static str,
    pub every_seconds: u64,
    pub run: TenantJobRun,
}

/// Renders a feed: the events for `user` (and `subject`, for a feed about one record), inside
/// the tenant's transaction. `None`: the feed cannot exist (a subject it needs is missing).
pub type FeedRender = for<'c> fn(
    &'c mut sqlx::PgConnection,
    Uuid,
    Option<Uuid>,
) -> BoxFuture<'c, Result<Option<Vec<ical::Event>>, sqlx::Error>>;

/// A kind of calendar feed: the secret iCal URLs of `crate::calendar` serve it while the
/// tenant has `flag` on and the feed's owner still holds `permission`.
#[derive(Debug, Clone, Copy)]
pub struct FeedKind {
    /// Stored in `calendar_feeds.kind`.
    pub key: &'static str,
    pub flag: &'static str,
    pub permission: &'static str,
    pub render: FeedRender,
}

/// How a public link is opened: its page, or its document as a PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkView {
    Page,
    Pdf,
}

/// What a public link shows.
#[derive(Debug, Clone)]
pub struct LinkBody {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// For a download: the file name of `Content-Disposition`.
    pub filename: Option<String>,
}

/// What a domain's renderer is told about one opening of a public link.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// SHA-256 of the link's secret: what the domain kept when it issued the link.
    pub digest: Vec<u8>,
    pub view: LinkView,
    /// The tenant's display name.
    pub issuer: String,
    /// The link's last path segment as requested, for relative links on the page
    /// (`<token>/pdf`, `<token>/pay`).
    pub token: String,
    /// The link's kind can take a card payment now (it has `pay`, card payments are on and the
    /// tenant's Stripe account is enabled): the page may offer a pay button.
    pub payable: bool,
    /// The customer came back from Stripe Checkout (the page is Checkout's return address).
    pub returned: Option<LinkReturn>,
}

/// How a customer came back from Stripe Checkout to a link's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkReturn {
    /// Checkout completed: the payment is recorded when Stripe's webhook confirms it, which
    /// may be after the customer is back.
    Paid,
    /// The customer left Checkout without paying.
    Cancelled,
}

/// Renders a public link inside the tenant's transaction. `None`: no such link (an unknown,
/// replaced or revoked secret), answered `404`.
pub type LinkRender = for<'c> fn(
    &'c mut sqlx::PgConnection,
    LinkRequest,
) -> BoxFuture<'c, Result<Option<LinkBody>, sqlx::Error>>;

/// What a public link's pay button charges, on the tenant's own Stripe account.
#[derive(Debug, Clone)]
pub struct LinkCharge {
    /// Written into the Checkout Session's metadata as `kind` (`invoice`).
    pub kind: &'static str,
    /// Further metadata the domain's payment events read back (`invoice_id`, ...).
    pub metadata: Vec<(&'static str, String)>,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    /// Stable for one intent to pay, so a double click gets the same page.
    pub idempotency_key: String,
}

/// What a pay button finds.
#[derive(Debug, Clone)]
pub enum LinkPayment {
    /// No such link: `404`.
    NoLink,
    /// Nothing to pay on it: `409 nothing-due`.
    NothingDue,
    Charge(LinkCharge),
}

/// Computes what a public link's pay button charges, in the tenant's transaction, from the
/// digest of the link's secret.
pub type LinkPay = for<'c> fn(
    &'c mut sqlx::PgConnection,
    Vec<u8>,
) -> BoxFuture<'c, Result<LinkPayment, sqlx::Error>>;

/// A customer's acceptance of a linked document (a charter quote), as the host hands it over:
/// who says they accept, when, and from which address.
#[derive(Debug, Clone)]
pub struct LinkAcceptance {
    /// SHA-256 of the link's secret.
    pub digest: Vec<u8>,
    /// The name the customer typed (trimmed, 1 to 200 characters).
    pub name: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The client's address (`crate::net`), when known.
    pub address: Option<String>,
}

/// What an acceptance came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAccepted {
    /// No such link: `404`.
    NoLink,
    /// Accepted now, or accepted before (a second acceptance changes nothing): back to the
    /// page, which says so.
    Accepted,
    /// It cannot be accepted (expired, declined, replaced by a newer version): `409` with
    /// `code` and `detail`.
    Refused { code: &'static str, detail: String },
}

/// Records an acceptance inside the tenant's transaction (committed when it returns `Ok`).
/// A database error rolls back and is answered as any other (an aircraft no longer free is
/// `409 booking-conflict`).
pub type LinkAccept = for<'c> fn(
    &'c mut sqlx::PgConnection,
    LinkAcceptance,
) -> BoxFuture<'c, Result<LinkAccepted, sqlx::Error>>;

/// A kind of secret public link (`crate::links`): the URL carries the tenant, the kind's key and
/// a secret whose digest the domain keeps; it is served while the tenant has `flag` on.
#[derive(Debug, Clone, Copy)]
pub struct LinkKind {
    /// In the URL (`fll_<key>_...`): lowercase letters, 2 to 12.
    pub key: &'static str,
    pub flag: &'static str,
    pub render: LinkRender,
    /// The pay button's charge, for a link to something a customer pays (an invoice).
    pub pay: Option<LinkPay>,
    /// The accept button's effect, for a link to something a customer accepts (a quote).
    pub accept: Option<LinkAccept>,
}

/// A kind of record files can be attached to: the `resource_type` clients name and the tenant
/// table that must hold the id (a literal of the declaring domain, never request data).
#[derive(Debug, Clone, Copy)]
pub struct AttachmentOwner {
    pub resource_type: &'static str,
    pub table: &'static str,
}

/// A seeded role with its permission names, as provisioning writes it.
#[derive(Debug, Clone)]
pub struct SeedRole {
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: Vec<&'static str>,
}

/// Every manifest, and what is built from them. `crate::domains::CATALOG` is the one instance;
/// layers below the domains (tenancy, auth) receive it as a value rather than importing it.
#[derive(Debug)]
pub struct Catalog {
    pub manifests: &'static [&'static Manifest],
}

impl Catalog {
    /// Every permission, in manifest order.
    pub fn permissions(&self) -> impl Iterator<Item = &'static Permission> + '_ {
        self.manifests.iter().flat_map(|m| m.permissions.iter())
    }

    /// Every reference dataset, in manifest order.
    pub fn references(&self) -> impl Iterator<Item = &'static ReferenceData> + '_ {
        self.manifests.iter().flat_map(|m| m.reference.iter())
    }

    /// Every calendar feed kind, in manifest order.
    pub fn feeds(&self) -> impl Iterator<Item = &'static FeedKind> + '_ {
        self.manifests.iter().flat_map(|m| m.feeds.iter())
    }

    pub fn feed(&self, key: &str) -> Option<&'static FeedKind> {
        self.feeds().find(|f| f.key == key)
    }

    pub fn links(&self) -> impl Iterator<Item = &'static LinkKind> + '_ {
        self.manifests.iter().flat_map(|m| m.links.iter())
    }

    pub fn link(&self, key: &str) -> Option<&'static LinkKind> {
        self.links().find(|l| l.key == key)
    }

    /// Every counted plan limit, in manifest order.
    pub fn limits(&self) -> impl Iterator<Item = &'static CountedLimit> + '_ {
        self.manifests.iter().flat_map(|m| m.limits.iter())
    }

    pub fn limit(&self, key: &str) -> Option<&'static CountedLimit> {
        self.limits().find(|l| l.key == key)
    }

    /// Every handler of connected-account payment events, in manifest order.
    pub fn payment_event_handlers(
        &self,
    ) -> impl Iterator<Item = &'static PaymentEventHandler> + '_ {
        self.manifests.iter().flat_map(|m| m.payment_events.iter())
    }

    /// Every per-tenant job, in manifest order.
    pub fn tenant_jobs(&self) -> impl Iterator<Item = &'static TenantJob> + '_ {
        self.manifests.iter().flat_map(|m| m.jobs.iter())
    }

    /// Every job over shared data, in manifest order.
    pub fn shared_jobs(&self) -> impl Iterator<Item = &'static SharedJob> + '_ {
        self.manifests.iter().flat_map(|m| m.shared_jobs.iter())
    }

    /// The record kinds that take attachments, in manifest order.
    pub fn attachment_owners(&self) -> impl Iterator<Item = &'static AttachmentOwner> + '_ {
        self.manifests.iter().flat_map(|m| m.attachments.iter())
    }

    pub fn is_permission(&self, name: &str) -> bool {
        self.permissions().any(|p| p.name == name)
    }

    /// Every feature flag, in manifest order.
    pub fn flags(&self) -> impl Iterator<Item = &'static Flag> + '_ {
        self.manifests.iter().flat_map(|m| m.flags.iter())
    }

    pub fn flag(&self, key: &str) -> Option<&'static Flag> {
        self.flags().find(|f| f.key == key)
    }

    /// The flag guarding `path`, if any (the longest matching prefix, at a segment boundary).
    pub fn flag_for_path(&self, path: &str) -> Option<&'static str> {
        self.flags()
            .filter(|f| {
                path.strip_prefix(f.prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|f| f.prefix.len())
            .map(|f| f.key)
    }

    /// The default of flag `key` for a tenant of `kind` on `plan` (unknown keys are off).
    pub fn flag_default(&self, key: &str, kind: TenantKind, plan: &str) -> bool {
        self.flag(key)
            .is_some_and(|f| f.on_for.contains(&kind) && !plans::excludes(plan, key))
    }

    /// The system roles a new tenant of `kind` starts with: `admin` with the whole catalogue,
    /// then the kind's roles with the permissions that name them.
    pub fn seeded_roles(&self, kind: TenantKind) -> Vec<SeedRole> {
        let mut out = vec![SeedRole {
            name: roles::ADMIN,
            description: roles::ADMIN_DESCRIPTION,
            permissions: self.permissions().map(|p| p.name).collect(),
        }];
        out.extend(roles::of_kind(kind).iter().map(|role| {
            SeedRole {
                name: role.name,
                description: role.description,
                permissions: self
                    .permissions()
                    .filter(|p| p.roles.contains(role))
                    .map(|p| p.name)
                    .collect(),
            }
        }));
        out
    }

    /// The problems of the declarations: duplicate permission names, flag keys or attachment
    /// owners, a permission granted to a role of another kind's list, a flag prefix outside
    /// `/api/v1/`, an attachment table that is not a plain name.
    /// Tested, so a bad manifest fails the build's tests, not a tenant's request.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in self.permissions() {
            if !seen.insert(p.name) {
                problems.push(format!("permission `{}` is declared twice", p.name));
            }
            for role in p.roles {
                if !roles::of_kind(role.kind).contains(role) {
                    problems.push(format!("`{}` names unknown role `{}`", p.name, role.name));
                }
            }
        }
        let mut feeds = std::collections::HashSet::new();
        for f in self.feeds() {
            if !feeds.insert(f.key) {
                problems.push(format!("feed `{}` is declared twice", f.key));
            }
            if !self.is_permission(f.permission) || self.flag(f.flag).is_none() {
                problems.push(format!(
                    "feed `{}` names an unknown permission or flag",
                    f.key
                ));
            }
        }
        let mut links = std::collections::HashSet::new();
        for l in self.links() {
            if !links.insert(l.key) {
                problems.push(format!("link `{}` is declared twice", l.key));
            }
            if self.flag(l.flag).is_none()
                || !(2..=12).contains(&l.key.len())
                || !l.key.bytes().all(|b| b.is_ascii_lowercase())
            {
                problems.push(format!(
                    "link `{}` names an unknown flag or is not 2-12 lowercase letters",
                    l.key
                ));
            }
        }
        let mut limits = std::collections::HashSet::new();
        for l in self.limits() {
            if !limits.insert(l.key) {
                problems.push(format!("limit `{}` is declared twice", l.key));
            }
            for (plan, _) in l.per_plan {
                if !plans::is_known(plan) {
                    problems.push(format!("limit `{}` names unknown plan `{plan}`", l.key));
                }
            }
        }
        let mut jobs = std::collections::HashSet::new();
        for j in self.tenant_jobs() {
            if !jobs.insert(j.name) || j.every_seconds == 0 {
                problems.push(format!(
                    "job `{}` is declared twice or has no period",
                    j.name
                ));
            }
        }
        let mut shared = std::collections::HashSet::new();
        for j in self.shared_jobs() {
            if !shared.insert(j.name) || j.retry.is_zero() {
                problems.push(format!(
                    "shared job `{}` is declared twice or retries without a pause",
                    j.name
                ));
            }
        }
        let mut handlers = std::collections::HashSet::new();
        for h in self.payment_event_handlers() {
            if !handlers.insert(h.name) {
                problems.push(format!(
                    "payment event handler `{}` is declared twice",
                    h.name
                ));
            }
        }
        let mut owners = std::collections::HashSet::new();
        for o in self.attachment_owners() {
            if !owners.insert(o.resource_type) {
                problems.push(format!(
                    "attachment owner `{}` is declared twice",
                    o.resource_type
                ));
            }
            if o.table.is_empty() || !o.table.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                problems.push(format!(
                    "attachment table `{}` is not a plain table name",
                    o.table
                ));
            }
        }
        let mut keys = std::collections::HashSet::new();
        for f in self.flags() {
            if !keys.insert(f.key) {
                problems.push(format!("flag `{}` is declared twice", f.key));
            }
            if !f.prefix.starts_with("/api/v1/") {
                problems.push(format!("flag `{}` guards `{}`", f.key, f.prefix));
            }
        }
        problems
    }
}

/// Manage the tenant's subscription (`/api/v1/billing/*`).
pub const BILLING_MANAGE: Permission =
    Permission::new("billing.manage", "Manage the tenant's subscription", &[]);

/// The core's own permissions (billing is not a domain: it sells the tenant its plan).
pub const CORE: Manifest = Manifest {
    name: "core",
    prefixes: &["/api/v1/billing"],
    flags: &[],
    permissions: &[BILLING_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};
