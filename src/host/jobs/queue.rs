//! A small job queue in `platform.jobs` for work that calls out and must retry (archiving a
//! tenant, creating its Stripe customer). Each job has a stable idempotency key: enqueueing the
//! same key twice is one job, and the key goes to Stripe so a retried call never acts twice.
//! Failed jobs retry with exponential backoff (up to an hour apart); several replicas share the
//! queue (`for update skip locked`).

use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgExecutor;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::state::AppState;

/// Queues a job; a second job with the same `idempotency_key` is ignored.
pub async fn enqueue<'e>(
    executor: impl PgExecutor<'e>,
    tenant_id: Option<Uuid>,
    kind: &str,
    idempotency_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into platform.jobs (id, tenant_id, kind, idempotency_key) values ($1, $2, $3, $4)
         on conflict (idempotency_key) do nothing",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(kind)
    .bind(idempotency_key)
    .execute(executor)
    .await
    .map(|_| ())
}

/// Wakes the worker early (after enqueueing).
#[derive(Clone, Default)]
pub struct JobQueue {
    wake: Arc<Notify>,
}

impl JobQueue {
    pub fn nudge(&self) {
        self.wake.notify_one();
    }
}

/// How long a taken job is leased to its worker; a worker that dies mid-job leaves it to be
/// taken again after this.
const LEASE_SECONDS: f64 = 900.0;

/// A job just leased by [`run_due`].
#[derive(sqlx::FromRow)]
struct LeasedJob {
    id: Uuid,
    tenant_id: Option<Uuid>,
    kind: String,
    idempotency_key: String,
    attempts: i32,
}

/// Runs due jobs until none is due; returns how many ran (successfully or not).
pub async fn run_due(state: &AppState, kinds: &[JobKind]) -> anyhow::Result<usize> {
    let mut ran = 0;
    loop {
        // Take one due job by leasing it (a short transaction: no connection is held while the
        // job runs, and no other replica takes it during the lease).
        let Some(job) = sqlx::query_as::<_, LeasedJob>(
            "update platform.jobs set run_at = now() + make_interval(secs => $1)
             where id = (select id from platform.jobs where done_at is null and run_at <= now()
                         order by run_at for update skip locked limit 1)
             returning id, tenant_id, kind, idempotency_key, attempts",
        )
        .bind(LEASE_SECONDS)
        .fetch_optional(state.db.platform())
        .await?
        else {
            return Ok(ran);
        };
        let LeasedJob {
            id,
            kind,
            tenant_id: tenant,
            idempotency_key: key,
            attempts,
        } = job;
        match dispatch(state, kinds, &kind, tenant, &key).await {
            Ok(()) => {
                sqlx::query("update platform.jobs set done_at = now(), attempts = attempts + 1, last_error = null where id = $1")
                    .bind(id)
                    .execute(state.db.platform())
                    .await?;
            }
            Err(e) => {
                let backoff = 2f64.powi(attempts.min(12)).min(3600.0);
                tracing::warn!(job.id = %id, job.kind = %kind, error = %format!("{e:#}"), "job failed; will retry");
                sqlx::query(
                    "update platform.jobs set attempts = attempts + 1, last_error = $2,
                         run_at = now() + make_interval(secs => $3) where id = $1",
                )
                .bind(id)
                .bind(format!("{e:#}").chars().take(2000).collect::<String>())
                .bind(backoff)
                .execute(state.db.platform())
                .await?;
            }
        }
        ran += 1;
    }
}

/// What runs a kind of queued job: `run(state, tenant, idempotency key)`. The kinds are
/// declared where their work lives (`platform::archive`, `billing`) and handed to [`spawn`] by
/// whoever assembles the state, so the queue imports none of them.
pub type JobRun = for<'a> fn(&'a AppState, Uuid, &'a str) -> BoxFuture<'a, anyhow::Result<()>>;

/// A kind of queued job.
#[derive(Clone, Copy)]
pub struct JobKind {
    pub kind: &'static str,
    pub run: JobRun,
}

async fn dispatch(
    state: &AppState,
    kinds: &[JobKind],
    kind: &str,
    tenant: Option<Uuid>,
    key: &str,
) -> anyhow::Result<()> {
    let tenant = tenant.ok_or_else(|| anyhow::anyhow!("job without a tenant"))?;
    match kinds.iter().find(|k| k.kind == kind) {
        Some(k) => (k.run)(state, tenant, key).await,
        None => anyhow::bail!("unknown job kind {kind}"),
    }
}

/// The worker: runs due jobs every two seconds, or at once when nudged.
pub fn spawn(state: Arc<AppState>, kinds: &'static [JobKind]) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_due(&state, kinds).await {
                tracing::warn!(error = %format!("{e:#}"), "job queue pass failed");
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), state.jobs.wake.notified()).await;
        }
    })
}
