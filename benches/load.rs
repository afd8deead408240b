//! The load benchmark (DESIGN.md §7). Run with `scripts/bench` (or `cargo bench --bench load`).
//!
//! Starts the release `flightline serve` as a separate process against a fresh database, drives
//! it over loopback and prints one JSON document:
//! - signup latency p50/p95, cold (no warm schema) and warm (a ready schema is claimed), and the
//!   cost of one argon2id hash on this machine for comparison;
//! - `GET /api/v1/tools/notes` (50 notes) and `POST /api/v1/tools/notes` at 32 concurrent
//!   connections: requests/s, p50, p99, and CPU time per request of the server process and of
//!   PostgreSQL (all its processes), for 1 tenant and spread over 100 and 1,000 tenants
//!   (measured after the database settles: warm pool refilled, `VACUUM (ANALYZE)`, checkpoint);
//! - the time to migrate 1,000 tenants by one `ALTER TABLE ... ADD COLUMN`;
//! - the server's peak and final RSS;
//! - streaming the audit-log export (CSV and JSON lines) of one tenant holding
//!   `BENCH_EXPORT_ROWS` (default 100,000) rows: time, bytes, and the server's RSS during it.
//!
//! A benchmark reports; it asserts nothing. Environment: `BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/flightline_bench`, dropped and recreated),
//! `BENCH_SECONDS` per load phase (default 10), `BENCH_TENANTS` (default 1000), `BENCH_ROUNDS`
//! of GET notes (default 3), `BENCH_SERVER_CONNECTIONS` (the server's `database.max_connections`,
//! default 12), `BENCH_ONLY=scheduling` (signups and scheduling only), `BENCH_ONLY=notes`
//! (signups and the GET notes rounds only) or `BENCH_ONLY=export` (signups, then the audit
//! export of one tenant at `BENCH_EXPORT_ROWS` rows and again at four times as many), or
//! `BENCH_ONLY=soak` (signups, the tenants, then `BENCH_SOAK_MINUTES`, default 30, of mixed
//! load over all of them, minute by minute: errors, p50/p99, requests/s, the server's RSS), or
//! `BENCH_ONLY=scale` (signups, then `BENCH_SCALE_TENANTS`, default 10,000, tenants in one
//! database and what they cost: see `scale/mod.rs`; then the migration of all of them).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use figment::Figment;
use figment::providers::Serialized;
use flightline::auth::jwt::JwtKeys;
use flightline::config::{Environment, Settings};
use flightline::db::{self, Db, Migration, TenantFilter};
use flightline::tenancy::{self, NewTenant, Tenant, TenantKind, TenantRegistry};
use serde_json::{Value, json};
use sqlx::Connection;

mod scale;
mod scheduling;

const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";
/// The data key the benchmark's servers and its own connection seal with (32 bytes, base64).
const DATA_KEY: &str = "bG9hZC1iZW5jaC1kYXRhLWtleS0zMi1ieXRlcy0wMDA=";
const CONCURRENCY: usize = 32;

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
    base: String,
}

/// The running server's pid, for the CPU accounting of [`load`].
static SERVER_PID: AtomicU32 = AtomicU32::new(0);
/// The next server's `database.one_round_trip_reads`.
static ONE_ROUND_TRIP_READS: AtomicBool = AtomicBool::new(true);

/// CPU time (user + system, in clock ticks of 1/100 s) so far of the server process and of every
/// PostgreSQL process on the machine (backends, autovacuum, writers: what the load costs the
/// database), from /proc.
fn cpu_ticks() -> (u64, u64) {
    let ticks = |stat: &str| -> Option<(String, u64)> {
        let (head, rest) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_owned();
        // After the command: state is field 3, utime 14 and stime 15 of the whole line.
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some((
            comm,
            f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
        ))
    };
    let pid = SERVER_PID.load(Ordering::Relaxed);
    let server = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| ticks(&s))
        .map_or(0, |(_, t)| t);
    let mut postgres = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat"))
            && let Some((comm, t)) = ticks(&stat)
            && comm == "postgres"
        {
            postgres += t;
        }
    }
    (server, postgres)
}

impl Server {
    fn start(db_url: &str, port: u16, warm: u32) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_flightline"))
            .arg("serve")
            .env("FLIGHTLINE_ENV", "production")
            .env("FLIGHTLINE__SECURITY__DATA_KEY", DATA_KEY)
            .env(
                "FLIGHTLINE_CONFIG_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
            )
            .env("DATABASE_URL", db_url)
            .env("FLIGHTLINE__AUTH__JWT_SECRET", SECRET)
            .env("FLIGHTLINE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "FLIGHTLINE__DATABASE__MAX_CONNECTIONS",
                env_or("BENCH_SERVER_CONNECTIONS", 12u32).to_string(),
            )
            .env("FLIGHTLINE__TENANCY__WARM_SCHEMAS", warm.to_string())
            .env(
                "FLIGHTLINE__DATABASE__ONE_ROUND_TRIP_READS",
                ONE_ROUND_TRIP_READS.load(Ordering::Relaxed).to_string(),
            )
            .env("FLIGHTLINE__RATE_LIMIT__AUTH_PER_SECOND", "0")
            .env("FLIGHTLINE__RATE_LIMIT__API_PER_SECOND", "0")
            // No SMTP here: production needs this said explicitly.
            .env("FLIGHTLINE__MAIL__LOG_ONLY", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start flightline serve");
        SERVER_PID.store(child.id(), Ordering::Relaxed);
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{}/readiness", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not become ready");
    }

    /// (peak RSS, current RSS) in MiB, from /proc.
    fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
                .unwrap_or(0.0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(|a, b| a.total_cmp(b));
    json!({
        "n": ms.len(),
        "p50_ms": round(percentile(&ms, 0.50)),
        "p95_ms": round(percentile(&ms, 0.95)),
        "p99_ms": round(percentile(&ms, 0.99)),
        "max_ms": round(ms.last().copied().unwrap_or(0.0)),
    })
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn recreate_database(url: &str) {
    let (server, name) = url.rsplit_once('/').expect("db url");
    let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("connect postgres");
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "drop database if exists \"{name}\" with (force)"
    )))
    .execute(&mut conn)
    .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create bench database");
}

/// `VACUUM (ANALYZE)` and a `CHECKPOINT`: statistics and visibility maps current, dirty pages
/// written, so neither autovacuum nor a checkpoint lands inside a measured phase.
async fn settle_database(url: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::raw_sql("vacuum (analyze)")
        .execute(&mut conn)
        .await
        .expect("vacuum");
    sqlx::raw_sql("checkpoint")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
}

async fn signups(client: &reqwest::Client, base: &str, n: usize, prefix: &str) -> Vec<f64> {
    let mut ms = Vec::with_capacity(n);
    for i in 0..n {
        let slug = format!(
            "{prefix}-{i}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        let start = Instant::now();
        let resp = client
            .post(format!("{base}/api/v1/signup"))
            .json(&json!({
                "organization_name": "Bench School", "slug": slug, "kind": "flight_school",
                "admin_email": format!("admin@{slug}.example"), "admin_password": "benchmark-password",
                "admin_name": "Bench", "plan": "trial"
            }))
            .send()
            .await
            .expect("signup");
        assert_eq!(resp.status(), 201, "signup failed");
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        // Let the warm pool's background refill run between signups, as between real signups.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    ms
}

/// A tenant ready for load: its slug and an access token for its admin.
#[derive(Clone)]
struct LoadTenant {
    slug: String,
    token: String,
}

/// Provisions the tenants `load-<i>` for `i` in `range` through the library (one shared,
/// precomputed password hash), each with 50 notes and a session for its admin, and mints
/// access tokens for them.
async fn bulk_tenants(
    db: &Db,
    registry: &TenantRegistry,
    range: std::ops::Range<usize>,
    hash: &str,
) -> Vec<LoadTenant> {
    use futures_util::StreamExt;
    let keys = JwtKeys::new(SECRET.as_bytes(), 3600);
    futures_util::stream::iter(range)
        .map(|i| {
            let keys = keys.clone();
            async move {
                let slug = format!("load-{i:04}");
                let new = NewTenant {
                    slug: slug.clone(),
                    name: format!("Load {i}"),
                    kind: TenantKind::FlightSchool,
                    plan: "trial".into(),
                    admin_email: format!("admin@{slug}.example"),
                    admin_name: "Load".into(),
                    admin_password_hash: Some(hash.to_owned()),
                    trial_ends_at: None,
                };
                let tenant: Tenant = tenancy::provision(db, registry, &new, None)
                    .await
                    .expect("provision")
                    .tenant;
                let mut tx = tenant.begin(db).await.expect("tx");
                let user: uuid::Uuid = sqlx::query_scalar("select id from users limit 1")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("admin");
                sqlx::query(
                    "insert into notes (id, title, body, author_id)
                     select gen_random_uuid(), 'Note ' || g, 'Benchmark note body ' || g, $1
                     from generate_series(1, 50) g",
                )
                .bind(user)
                .execute(&mut *tx)
                .await
                .expect("notes");
                let sid = uuid::Uuid::now_v7();
                sqlx::query(
                    "insert into sessions (id, user_id, refresh_token_hash, expires_at)
                     values ($1, $2, '\\x00', now() + interval '1 day')",
                )
                .bind(sid)
                .bind(user)
                .execute(&mut *tx)
                .await
                .expect("session");
                tx.commit().await.expect("commit");
                let token = keys
                    .issue(user, tenant.id, &new.admin_email, sid)
                    .expect("token");
                LoadTenant { slug, token }
            }
        })
        .buffer_unordered(4)
        .collect()
        .await
}

#[derive(Clone, Copy)]
enum Op {
    ListNotes,
    CreateNote,
    Login,
}

/// Drives `op` at CONCURRENCY connections: `BENCH_WARMUP_SECONDS` (default 3) unmeasured, so
/// connections and caches reach their steady state, then `seconds` measured.
async fn load(base: &str, tenants: &[LoadTenant], op: Op, seconds: u64) -> Value {
    let warmup: u64 = env_or("BENCH_WARMUP_SECONDS", 3);
    if warmup > 0 {
        drive(base, tenants, op, warmup).await;
    }
    let before = cpu_ticks();
    let mut result = drive(base, tenants, op, seconds).await;
    let after = cpu_ticks();
    // CPU per request holds across hosts better than requests/s (issue 20): ticks are 10 ms.
    let served = result["n"].as_f64().unwrap_or(0.0).max(1.0);
    let us = |ticks: u64| round(ticks as f64 * 10_000.0 / served);
    result["server_cpu_us_per_request"] = json!(us(after.0.saturating_sub(before.0)));
    result["postgres_cpu_us_per_request"] = json!(us(after.1.saturating_sub(before.1)));
    result
}

/// One request of `op` for tenant `t` (`i` makes a created note's title unique); whether it
/// succeeded.
async fn send_op(client: &reqwest::Client, base: &str, op: Op, t: &LoadTenant, i: usize) -> bool {
    let req = match op {
        Op::ListNotes => client
            .get(format!("{base}/api/v1/tools/notes"))
            .query(&[("limit", "50")])
            .bearer_auth(&t.token),
        Op::CreateNote => client
            .post(format!("{base}/api/v1/tools/notes"))
            .json(&json!({"title": format!("load {i}"), "body": "x"}))
            .bearer_auth(&t.token),
        Op::Login => client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({
                "email": format!("admin@{}.example", t.slug),
                "password": "benchmark-password",
            })),
    };
    match req.header("X-Tenant-ID", &t.slug).send().await {
        Ok(r) => {
            let ok = r.status().is_success();
            let _ = r.bytes().await;
            ok
        }
        Err(_) => false,
    }
}

/// Drives `op` at CONCURRENCY connections for `seconds`, spreading requests over `tenants`.
async fn drive(base: &str, tenants: &[LoadTenant], op: Op, seconds: u64) -> Value {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let tenants = Arc::new(tenants.to_vec());
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, tenants, stop, next, errors, base) = (
            client.clone(),
            tenants.clone(),
            stop.clone(),
            next.clone(),
            errors.clone(),
            base.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let start = Instant::now();
                if send_op(&client, &base, op, &tenants[i % tenants.len()], i).await {
                    ms.push(start.elapsed().as_secs_f64() * 1000.0);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            ms
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rps = all.len() as f64 / elapsed;
    let mut s = summary(all);
    s["requests_per_second"] = json!(rps.round());
    s["errors"] = json!(errors.load(Ordering::Relaxed));
    s["tenants"] = json!(tenants.len());
    s
}

/// The soak: `minutes` of mixed load at CONCURRENCY connections spread over every tenant (nine
/// GETs of 50 notes to one new note, each request to the next tenant of a stride through all of
/// them), reported minute by minute: requests/s, errors, p50/p99, and the server's RSS at the
/// end of the minute. The verdict fields compare the first and last five minutes.
async fn soak(server: &Server, tenants: &[LoadTenant], minutes: u64) -> Value {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let tenants = Arc::new(tenants.to_vec());
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let slots = minutes as usize;
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, tenants, stop, next, base) = (
            client.clone(),
            tenants.clone(),
            stop.clone(),
            next.clone(),
            server.base.clone(),
        );
        tasks.push(tokio::spawn(async move {
            // Per minute: latencies of the successes, and the errors.
            let mut ms: Vec<Vec<f64>> = vec![Vec::new(); slots];
            let mut errors = vec![0u64; slots];
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                // A prime stride visits every tenant in turn (for any count it does not divide)
                // in a scattered order rather than 1, 2, 3.
                let t = &tenants[(i * 7919) % tenants.len()];
                let op = if i.is_multiple_of(10) {
                    Op::CreateNote
                } else {
                    Op::ListNotes
                };
                let start = Instant::now();
                let ok = send_op(&client, &base, op, t, i).await;
                let slot = ((started.elapsed().as_secs() / 60) as usize).min(slots - 1);
                if ok {
                    ms[slot].push(start.elapsed().as_secs_f64() * 1000.0);
                } else {
                    errors[slot] += 1;
                }
            }
            (ms, errors)
        }));
    }
    let mut rss = Vec::new();
    for minute in 1..=minutes {
        let due = Duration::from_secs(60 * minute);
        tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
        let (_, now) = server.rss_mib();
        eprintln!(
            "soak: minute {minute}: server RSS {now:.1} MiB, {} requests",
            next.load(Ordering::Relaxed)
        );
        rss.push(now);
    }
    stop.store(true, Ordering::Relaxed);
    let mut ms: Vec<Vec<f64>> = vec![Vec::new(); slots];
    let mut errors = vec![0u64; slots];
    for t in tasks {
        let (m, e) = t.await.expect("soak task");
        for (slot, (m, e)) in m.into_iter().zip(e).enumerate() {
            ms[slot].extend(m);
            errors[slot] += e;
        }
    }
    let by_minute: Vec<Value> = ms
        .into_iter()
        .zip(&errors)
        .zip(&rss)
        .enumerate()
        .map(|(i, ((m, e), r))| {
            let rps = m.len() as f64 / 60.0;
            let mut s = summary(m);
            s["minute"] = json!(i + 1);
            s["requests_per_second"] = json!(rps.round());
            s["errors"] = json!(e);
            s["server_rss_mib"] = json!(round(*r));
            s
        })
        .collect();
    let window = 5.min(by_minute.len());
    let mean = |v: &[Value], key: &str| {
        round(v.iter().filter_map(|m| m[key].as_f64()).sum::<f64>() / v.len().max(1) as f64)
    };
    let (first, last) = (&by_minute[..window], &by_minute[by_minute.len() - window..]);
    let (_, final_rss) = server.rss_mib();
    json!({
        "minutes": minutes,
        "tenants": tenants.len(),
        "mix": "9 GET /api/v1/tools/notes?limit=50 : 1 POST /api/v1/tools/notes",
        "errors": errors.iter().sum::<u64>(),
        "first_5_min": {"p99_ms": mean(first, "p99_ms"), "requests_per_second": mean(first, "requests_per_second"), "server_rss_mib": mean(first, "server_rss_mib")},
        "last_5_min": {"p99_ms": mean(last, "p99_ms"), "requests_per_second": mean(last, "requests_per_second"), "server_rss_mib": mean(last, "server_rss_mib")},
        "server_rss_mib_final": round(final_rss),
        "by_minute": by_minute,
    })
}

/// Runs `op` over 1, 100 and 1,000 tenants, `rounds` times interleaved. Reports, per spread,
/// the round with the median requests/s, and the 1,000-to-1 ratio of every round.
async fn spread_rounds(
    base: &str,
    tenants: &[LoadTenant],
    op: Op,
    seconds: u64,
    rounds: usize,
) -> Value {
    let spreads = [1usize, 100, 1000];
    let mut results: Vec<Vec<Value>> = vec![Vec::new(); spreads.len()];
    for round in 0..rounds.max(1) {
        for (i, spread) in spreads.iter().enumerate() {
            let spread = (*spread).min(tenants.len());
            let result = load(base, &tenants[..spread], op, seconds).await;
            eprintln!("round {round}: over {spread} tenant(s): {result}");
            results[i].push(result);
        }
    }
    let rps = |v: &Value| v["requests_per_second"].as_f64().unwrap_or(0.0);
    let ratios: Vec<f64> = results[0]
        .iter()
        .zip(&results[2])
        .map(|(one, many)| round(rps(many) / rps(one).max(1.0)))
        .collect();
    let mut out = serde_json::Map::new();
    for (i, spread) in spreads.iter().enumerate() {
        let mut by_rps = results[i].clone();
        by_rps.sort_by(|a, b| rps(a).total_cmp(&rps(b)));
        let mut median = by_rps[by_rps.len() / 2].clone();
        median["rounds_requests_per_second"] =
            json!(results[i].iter().map(rps).collect::<Vec<_>>());
        out.insert(format!("tenants_{spread}"), median);
    }
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    out.insert("ratio_1000_to_1_by_round".into(), json!(ratios));
    out.insert(
        "ratio_1000_to_1_median".into(),
        json!(sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)),
    );
    Value::Object(out)
}

/// The per-request cost of authentication, in process: JWT verification plus the access-cache
/// lookup of the session (the O(1) check every request makes).
async fn auth_check(db: &Db, registry: &TenantRegistry, t: &LoadTenant) -> Value {
    let keys = JwtKeys::new(SECRET.as_bytes(), 3600);
    // As the server runs it: the cache serves entries only while its invalidation listener is
    // connected. Without it every check here was a database round trip (the 499 µs of
    // docs/benchmark-soak.json), which no request of the server pays.
    let cache = Arc::new(flightline::auth::access::AccessCache::new(
        db.clone(),
        Duration::from_secs(60),
        None,
    ));
    let listener = cache.spawn_listener();
    for _ in 0..100 {
        if cache.listening() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cache.listening(), "the access cache's listener connects");
    let tenant = registry
        .by_slug(&t.slug)
        .await
        .expect("registry")
        .expect("tenant");
    let claims = keys.verify(&t.token).expect("token");
    cache
        .session(&tenant, claims.sid, claims.sub)
        .await
        .expect("load")
        .expect("live");
    let n = 100_000;
    let start = Instant::now();
    for _ in 0..n {
        let claims = keys.verify(&t.token).expect("token");
        let access = cache
            .session(&tenant, claims.sid, claims.sub)
            .await
            .expect("hit");
        assert!(access.is_some());
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    listener.abort();
    json!({"iterations": n, "microseconds_per_check": round(per)})
}

/// Fills one tenant's audit log with `rows` rows, then streams its CSV and JSON-lines exports,
/// sampling the server's RSS every 10 ms while each streams.
async fn audit_export(
    server: &Server,
    db: &Db,
    registry: &TenantRegistry,
    t: &LoadTenant,
    rows: i64,
) -> Value {
    use futures_util::StreamExt;
    let tenant = registry
        .by_slug(&t.slug)
        .await
        .expect("registry")
        .expect("tenant");
    let mut tx = tenant.begin(db).await.expect("tx");
    sqlx::query(
        "insert into audit_logs (id, actor_type, action, resource_type, resource_id, after, request_id, ip, created_at)
         select gen_random_uuid(), 'user', 'note.updated', 'note', gen_random_uuid()::text,
                jsonb_build_object('title', 'Benchmark note ' || g, 'body', repeat('x', 120), 'version', g),
                'bench-' || g, '127.0.0.1', now() - make_interval(secs => $1 - g)
         from generate_series(1, $1) g",
    )
    .bind(rows)
    .execute(&mut *tx)
    .await
    .expect("audit rows");
    tx.commit().await.expect("commit");

    let client = reqwest::Client::new();
    let mut out = serde_json::Map::new();
    out.insert("rows_added".into(), json!(rows));
    for format in ["csv", "jsonl"] {
        let before = server.rss_mib().1;
        let sampling = Arc::new(AtomicBool::new(true));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let pid = server.child.id();
        let sampler = {
            let sampling = sampling.clone();
            let peak_kib = peak_kib.clone();
            tokio::spawn(async move {
                while sampling.load(Ordering::Relaxed) {
                    let kib = rss_kib(pid);
                    peak_kib.fetch_max(kib, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let started = Instant::now();
        let resp = client
            .get(format!(
                "{}/api/v1/settings/audit-logs/export?format={format}",
                server.base
            ))
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&t.token)
            .send()
            .await
            .expect("export");
        assert!(
            resp.status().is_success(),
            "export answered {}",
            resp.status()
        );
        let mut bytes = 0u64;
        let mut lines = 0u64;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.expect("chunk");
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        let secs = started.elapsed().as_secs_f64();
        sampling.store(false, Ordering::Relaxed);
        let _ = sampler.await;
        let peak = peak_kib.load(Ordering::Relaxed) as f64 / 1024.0;
        // The tenant's whole log: the rows added here and any it had before.
        let exported = lines - u64::from(format == "csv");
        out.insert(
            format.into(),
            json!({
                "lines": lines,
                "rows_exported": exported,
                "mib": round(bytes as f64 / 1_048_576.0),
                "seconds": round(secs),
                "rows_per_second": round(exported as f64 / secs),
                "server_rss_mib_before": round(before),
                "server_rss_mib_peak_during": round(peak),
                "server_rss_mib_growth": round(peak - before),
            }),
        );
    }
    Value::Object(out)
}

/// The current RSS of process `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmRSS:")
}

/// A KiB figure of process `pid`'s /proc status (`field` with its colon, e.g. `RssAnon:`); 0 when
/// the process or the field is gone.
fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    json!({"cpu": cpu, "cores": cores})
}

/// Migrates every tenant by one new migration (`ALTER TABLE notes ADD COLUMN`): tenants,
/// concurrency, seconds, failures.
async fn migrate_all(db: &Db, db_url: &str, settings: &Settings) -> Value {
    let mut migrations = db::tenant_migrations();
    let next = migrations.last().map(|m| m.version).unwrap_or(0) + 1;
    migrations.push(Migration::new(
        next,
        "bench_column",
        "alter table notes add column bench_flag boolean",
    ));
    let count: i64 = {
        let mut conn = sqlx::PgConnection::connect(db_url).await.expect("conn");
        sqlx::query_scalar("select count(*) from platform.tenants where status = 'active'")
            .fetch_one(&mut conn)
            .await
            .expect("count")
    };
    let t = Instant::now();
    let outcomes = tenancy::migrate_tenants(
        db,
        &flightline::domains::CATALOG,
        &migrations,
        &TenantFilter::All,
        settings.tenancy.migration_concurrency,
    )
    .await
    .expect("migrate");
    let failed = outcomes
        .iter()
        .filter(|o| o.status == db::MigrationStatus::Failed)
        .count();
    json!({
        "tenants": count,
        "concurrency": settings.tenancy.migration_concurrency,
        "seconds": round(t.elapsed().as_secs_f64()),
        "failed": failed,
    })
}

#[tokio::main]
async fn main() {
    flightline::install_crypto_provider();
    // `cargo bench` passes --bench; nothing else is accepted.
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench".into());
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let n_tenants: usize = env_or("BENCH_TENANTS", 1000);
    // `BENCH_SCALE_REUSE=1` runs the scale mode's measurements on the tenants a previous scale
    // run left in the database (no new database, no signups, no provisioning).
    let reuse = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "scale")
        && env_or("BENCH_SCALE_REUSE", 0u8) == 1;
    if !reuse {
        recreate_database(&db_url).await;
    }

    let settings = Settings::load_from(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config")),
        Environment::Production,
        Figment::new()
            .merge(Serialized::default("database.url", &db_url))
            .merge(Serialized::default("auth.jwt_secret", SECRET))
            .merge(Serialized::default("security.data_key", DATA_KEY))
            .merge(Serialized::default("mail.log_only", true))
            // A platform pool of 4 (a quarter): one connection for each of bulk_tenants' four
            // provisioning transactions, which hold it for every migration.
            .merge(Serialized::default("database.max_connections", 16)),
    )
    .expect("settings");
    let db = Db::connect_lazy(&settings).expect("db");
    db::migrate_platform(&db)
        .await
        .expect("platform migrations");
    let registry = TenantRegistry::new(
        db.clone(),
        Duration::from_secs(60),
        &flightline::domains::CATALOG,
    );
    let client = reqwest::Client::new();
    let mut report = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "machine": machine(),
        "concurrency": CONCURRENCY,
        "seconds_per_phase": seconds,
    });

    // argon2id cost on this machine (included in every signup).
    let passwords = flightline::auth::password::Passwords::new(1, 16).expect("passwords");
    let t = Instant::now();
    let hash = passwords.hash("benchmark-password").await.expect("hash");
    report["argon2id_hash_ms"] = json!(round(t.elapsed().as_secs_f64() * 1000.0));

    // Signup, cold: no warm schema, every migration runs inside the signup.
    if !reuse {
        let server = Server::start(&db_url, 18080, 0);
        server.wait_ready(&client).await;
        let cold = signups(&client, &server.base, 15, "cold").await;
        report["signup_cold"] = summary(cold);
        server.stop();
    }

    // Signup, warm: a ready schema is renamed.
    let warm_target = 20;
    let server = Server::start(&db_url, 18081, warm_target);
    server.wait_ready(&client).await;
    for _ in 0..600 {
        let mut conn = sqlx::PgConnection::connect(&db_url).await.expect("conn");
        let n: i64 = sqlx::query_scalar("select count(*) from platform.warm_schemas")
            .fetch_one(&mut conn)
            .await
            .expect("count");
        if n >= i64::from(warm_target) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !reuse {
        let warm = signups(&client, &server.base, 15, "warm").await;
        report["signup_warm"] = summary(warm);
    }

    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "scheduling") {
        // The warm pool refills the schemas the signups took (every migration, in the
        // background): let it finish so it does not share the cores with the measured phases.
        scheduling::wait_for_warm_pool(&db_url, warm_target).await;
        report["scheduling"] = scheduling::run(&db, &registry, &server.base, &hash, seconds).await;
        server.stop();
        println!("{}", serde_json::to_string_pretty(&report).expect("json"));
        return;
    }

    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "export") {
        // Constant memory means the same RSS growth for four times the rows.
        scheduling::wait_for_warm_pool(&db_url, warm_target).await;
        let tenant = &bulk_tenants(&db, &registry, 0..1, &hash).await[0];
        let rows: i64 = env_or("BENCH_EXPORT_ROWS", 100_000);
        report["audit_export"] = audit_export(&server, &db, &registry, tenant, rows).await;
        report["audit_export_4x"] = audit_export(&server, &db, &registry, tenant, 3 * rows).await;
        server.stop();
        println!("{}", serde_json::to_string_pretty(&report).expect("json"));
        return;
    }

    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "scale") {
        // The warm pool refilled first, so the batches start alike.
        scheduling::wait_for_warm_pool(&db_url, warm_target).await;
        report["scale"] = scale::run(db, &registry, &server, &db_url, &hash, seconds, reuse).await;
        server.stop();
        // `scale::run` closed the bench's pool (its backend-memory figure counts the server's).
        let db = Db::connect_lazy(&settings).expect("db");
        report["migrate_all_tenants"] = migrate_all(&db, &db_url, &settings).await;
        db.close().await;
        println!("{}", serde_json::to_string_pretty(&report).expect("json"));
        return;
    }

    // Tenants for the load phases.
    let t = Instant::now();
    let tenants = bulk_tenants(&db, &registry, 0..n_tenants, &hash).await;
    report["bulk_provision"] = json!({
        "tenants": tenants.len(),
        "seconds": round(t.elapsed().as_secs_f64()),
    });

    // Settle before measuring: the server refills the warm schemas the bulk provisioning took
    // (every migration, in the background), and autovacuum would otherwise spend the measured
    // phases analysing the thousands of tables just created. Measured is the steady state.
    let t = Instant::now();
    scheduling::wait_for_warm_pool(&db_url, warm_target).await;
    settle_database(&db_url).await;
    report["settle_seconds"] = json!(round(t.elapsed().as_secs_f64()));

    report["auth_check"] = auth_check(&db, &registry, &tenants[0]).await;

    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "soak") {
        let minutes: u64 = env_or("BENCH_SOAK_MINUTES", 30);
        report["soak"] = soak(&server, &tenants, minutes.max(1)).await;
        server.stop();
        println!("{}", serde_json::to_string_pretty(&report).expect("json"));
        return;
    }

    let mut phases = serde_json::Map::new();
    // GET notes carries the spread target (1,000 tenants >= 80 % of one), so it is measured in
    // BENCH_ROUNDS interleaved rounds of 1 / 100 / 1,000 tenants: drift of a shared 2-core
    // machine hits every spread alike, and the median round is reported with the ratio of each.
    let rounds: usize = env_or("BENCH_ROUNDS", 3);
    phases.insert(
        "get_50_notes".into(),
        spread_rounds(&server.base, &tenants, Op::ListNotes, seconds, rounds).await,
    );
    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "notes") {
        // The same rounds on the same tenants with the list read inside a transaction
        // (`database.one_round_trip_reads` off: BEGIN and SET LOCAL, the statement, ROLLBACK),
        // the path before the one-round-trip read, for comparison.
        server.stop();
        ONE_ROUND_TRIP_READS.store(false, Ordering::Relaxed);
        let server = Server::start(&db_url, 18082, warm_target);
        server.wait_ready(&client).await;
        phases.insert(
            "get_50_notes_in_a_transaction".into(),
            spread_rounds(&server.base, &tenants, Op::ListNotes, seconds, rounds).await,
        );
        report["load"] = Value::Object(phases);
        server.stop();
        println!("{}", serde_json::to_string_pretty(&report).expect("json"));
        return;
    }
    phases.insert(
        "post_note".into(),
        spread_rounds(&server.base, &tenants, Op::CreateNote, seconds, 1).await,
    );
    // Logins are bounded by argon2id on purpose (auth.max_concurrent_hashes at a time).
    let logins = load(
        &server.base,
        &tenants[..tenants.len().min(100)],
        Op::Login,
        seconds.min(5),
    )
    .await;
    eprintln!("login: {logins}");
    phases.insert("login".into(), logins);
    report["load"] = Value::Object(phases);
    report["scheduling"] = scheduling::run(&db, &registry, &server.base, &hash, seconds).await;
    let (peak, now) = server.rss_mib();
    report["server_rss_mib"] = json!({"peak": round(peak), "final": round(now)});
    let export_rows: i64 = env_or("BENCH_EXPORT_ROWS", 100_000);
    report["audit_export"] = audit_export(&server, &db, &registry, &tenants[0], export_rows).await;
    server.stop();

    report["migrate_all_tenants"] = migrate_all(&db, &db_url, &settings).await;
    db.close().await;
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
