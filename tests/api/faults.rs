//! Faults as tests (issue 20, part 4): the service against a PostgreSQL cluster and a Redis that
//! the test starts, stops and starts again itself, and the service's own process killed.
//!
//! - PostgreSQL stopped hard (`pg_ctl stop -m immediate`, a crash as far as the data is
//!   concerned) under a write load and started again: every write the service acknowledged is
//!   there after crash recovery, the requests caught in the outage are answered `503` with
//!   `Retry-After` (never `500`), and writes succeed again within seconds of the restart.
//! - Redis gone and back: requests keep succeeding without it (it only carries invalidations
//!   between replicas), readiness says so, and once it is back a logout on one replica reaches
//!   the other over it again.
//! - The service's process killed (`SIGKILL`) in the middle of a write load and started again:
//!   nothing it acknowledged is lost.
//! - The process killed in the middle of signups (some claiming warm schemas, the warm pool
//!   filling beside them): every acknowledged signup is a working tenant with its mail queued,
//!   and once the provisioning sweep has run no tenant is half made and no schema is orphaned.
//!
//! The private cluster is the distribution's PostgreSQL binaries (`initdb`, `pg_ctl`; run as
//! the `postgres` user when the tests run as root) on a free loopback port under the system
//! temp directory; the private Redis is `redis-server` on a free port. Both go when the test
//! ends.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use figment::Figment;
use flightline::tenancy;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{PASSWORD, TestApp, call, create_database, override_kv};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL cluster of the test's own; stopped and removed on drop.
struct PrivatePg {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivatePg {
    fn start() -> Self {
        let versions = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries (scripts/test installs them)");
        let bin = versions
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let v: u32 = e.file_name().to_str()?.parse().ok()?;
                Some((v, e.path().join("bin")))
            })
            .filter(|(_, bin)| bin.join("initdb").exists())
            .max()
            .map(|(_, bin)| bin)
            .expect("initdb under /usr/lib/postgresql/<version>/bin");
        let dir =
            std::env::temp_dir().join(format!("flightline-faults-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let as_postgres = running_as_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown the cluster dir to postgres");
        }
        let pg = Self {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = pg.dir.join("data");
        let out = pg
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(
            data.join("postgresql.auto.conf"),
            format!(
                "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
                 max_connections = 60\nshared_buffers = '32MB'\n",
                pg.port,
                pg.dir.display()
            ),
        )
        .expect("cluster settings");
        if as_postgres {
            Command::new("chown")
                .args(["postgres:postgres"])
                .arg(data.join("postgresql.auto.conf"))
                .status()
                .expect("chown settings");
        }
        pg.pg_ctl(&["start", "-w", "-t", "30"]);
        pg
    }

    /// `program` of the cluster's binaries, as the `postgres` user when the tests run as root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn pg_ctl(&self, args: &[&str]) {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops at once, as a crash would (no checkpoint; crash recovery at the next start).
    fn crash(&self) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }

    fn restart(&self) {
        self.pg_ctl(&["start", "-w", "-t", "30"]);
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["stop", "-m", "immediate"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `redis-server` of the test's own (nothing kept on disk); killed on drop.
struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    fn start() -> Self {
        let mut r = Self {
            port: free_port(),
            child: None,
        };
        r.restart();
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it (again) on the same port and waits until it answers.
    fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (scripts/test installs it)");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not come up"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One write of the load: the note's title and what the service answered (status, Retry-After,
/// and when the answer came).
#[derive(Debug, Clone)]
struct Write {
    title: String,
    status: Option<StatusCode>,
    retry_after: Option<String>,
    at: Instant,
}

/// `writers` tasks each creating notes in `slug` one after another through `base` until `stop`.
fn write_load(
    base: &str,
    slug: &str,
    token: &str,
    writers: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<Write>>> {
    (0..writers)
        .map(|w| {
            let (base, slug, token, stop) = (
                base.to_owned(),
                slug.to_owned(),
                token.to_owned(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("client");
                let mut done = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let title = format!("writer {w} note {i}");
                    let resp = client
                        .post(format!("{base}/api/v1/tools/notes"))
                        .header("X-Tenant-ID", &slug)
                        .bearer_auth(&token)
                        .json(&json!({"title": title}))
                        .send()
                        .await;
                    let (status, retry_after) = match resp {
                        Ok(r) => (
                            Some(r.status()),
                            r.headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned),
                        ),
                        // The process itself went away (the kill test): no answer at all.
                        Err(_) => (None, None),
                    };
                    let failed = status != Some(StatusCode::CREATED);
                    done.push(Write {
                        title,
                        status,
                        retry_after,
                        at: Instant::now(),
                    });
                    if failed {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                done
            })
        })
        .collect()
}

async fn collect(tasks: Vec<tokio::task::JoinHandle<Vec<Write>>>) -> Vec<Write> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("writer"));
    }
    all
}

/// The titles of the tenant's notes, straight from its schema.
async fn stored_titles(url: &str, schema: &str) -> std::collections::HashSet<String> {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!(
        "select title from \"{schema}\".notes"
    )))
    .fetch_all(&mut conn)
    .await
    .expect("titles")
    .into_iter()
    .collect()
}

/// Every acknowledged (`201`) write is stored.
fn assert_acknowledged_kept(writes: &[Write], stored: &std::collections::HashSet<String>) {
    let acknowledged: Vec<&Write> = writes
        .iter()
        .filter(|w| w.status == Some(StatusCode::CREATED))
        .collect();
    assert!(!acknowledged.is_empty(), "the load wrote nothing");
    let lost: Vec<&str> = acknowledged
        .iter()
        .filter(|w| !stored.contains(&w.title))
        .map(|w| w.title.as_str())
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_crashing_under_writes_loses_nothing_acknowledged_and_answers_503() {
    let pg = PrivatePg::start();
    let url = pg.url("flightline_faults");
    create_database(&url).await;
    let app = TestApp::spawn_with(
        Figment::new()
            .merge(override_kv("database.url", &url))
            .merge(override_kv("database.acquire_timeout_seconds", 1)),
    )
    .await;
    let t = app.signup("flight_school").await;
    let schema = app.tenant(&t).await.schema.to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let writers = write_load(&app.base, &t.slug, &t.token, 4, &stop);
    tokio::time::sleep(Duration::from_millis(800)).await;
    pg.crash();
    let down = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.restart();
    let up = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let writes = collect(writers).await;

    // Only 201 and 503, and every 503 says when to retry.
    let odd: Vec<&Write> = writes
        .iter()
        .filter(|w| {
            !matches!(
                w.status,
                Some(StatusCode::CREATED | StatusCode::SERVICE_UNAVAILABLE)
            )
        })
        .collect();
    assert!(odd.is_empty(), "answers other than 201 and 503: {odd:?}");
    let unavailable: Vec<&Write> = writes
        .iter()
        .filter(|w| w.status == Some(StatusCode::SERVICE_UNAVAILABLE))
        .collect();
    assert!(
        unavailable.iter().any(|w| w.at > down && w.at < up),
        "no request was caught in the outage"
    );
    assert!(
        unavailable.iter().all(|w| w.retry_after.is_some()),
        "a 503 without Retry-After"
    );
    // Writes succeed again within seconds of PostgreSQL answering.
    let recovered = writes
        .iter()
        .filter(|w| w.at > up && w.status == Some(StatusCode::CREATED))
        .map(|w| w.at - up)
        .min()
        .expect("no write succeeded after the restart");
    assert!(
        recovered < Duration::from_secs(3),
        "recovered after {recovered:?}"
    );

    assert_acknowledged_kept(&writes, &stored_titles(&url, &schema).await);
    // And reads are served as before.
    call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_gone_and_back_changes_nothing_for_requests() {
    let mut redis = PrivateRedis::start();
    let overrides = override_kv("redis.url", redis.url());
    let app1 = TestApp::spawn_with(overrides.clone()).await;
    let app2 = TestApp::spawn_with(overrides).await;
    let t = app1.signup("flight_school").await;

    redis.kill();
    // Without Redis: readiness says so, and every kind of request still succeeds.
    let body = call(
        app1.req(Method::GET, "/readiness"),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(body["redis"], "unreachable");
    for i in 0..5 {
        app1.create_note(&t, &format!("without redis {i}")).await;
        call(
            app2.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
            StatusCode::OK,
        )
        .await;
    }
    // A logout on one replica reaches the other at once: while its listener cannot hear
    // Redis, a replica caches no session and reads each from the database.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let token = app1.login(&t.slug, &t.admin_email, PASSWORD).await;
    let on_app2 = |token: &str| {
        app2.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(token)
    };
    let logout_on_app1 = |token: &str| {
        app1.req(Method::POST, "/api/v1/auth/logout")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(token)
    };
    call(on_app2(&token), StatusCode::OK).await;
    call(logout_on_app1(&token), StatusCode::NO_CONTENT).await;
    let status = on_app2(&token).send().await.expect("send").status();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked session served");

    redis.restart();
    let start = Instant::now();
    loop {
        let status = app1
            .req(Method::GET, "/readiness")
            .send()
            .await
            .expect("send")
            .status();
        if status == StatusCode::OK {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "readiness still {status} 10 s after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Back: once the replica hears Redis again it caches sessions, and a logout on the other
    // replica reaches it over Redis.
    let start = Instant::now();
    while !app2.state.access.listening() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "replica 2 did not resubscribe"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = app1.login(&t.slug, &t.admin_email, PASSWORD).await;
    call(on_app2(&token), StatusCode::OK).await;
    call(logout_on_app1(&token), StatusCode::NO_CONTENT).await;
    let start = Instant::now();
    loop {
        let status = on_app2(&token).send().await.expect("send").status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "replica 2 still answers {status} 1 s after the logout"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `flightline serve` binary on a port of its own, against `db_url`; killed on drop.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    async fn start(db_url: &str, port: u16) -> Self {
        Self::start_with(db_url, port, &[]).await
    }

    /// [`Process::start`] with extra `FLIGHTLINE__…` settings.
    async fn start_with(db_url: &str, port: u16, env: &[(&str, &str)]) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_flightline"))
            .arg("serve")
            .envs(env.iter().copied())
            .env("FLIGHTLINE_ENV", "test")
            .env(
                "FLIGHTLINE_CONFIG_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
            )
            .env("DATABASE_URL", db_url)
            .env("FLIGHTLINE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "FLIGHTLINE__STORAGE__LOCAL_DIR",
                std::env::temp_dir().join("flightline-faults-storage"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start flightline serve");
        let p = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/health", p.base)).send().await
                && r.status() == StatusCode::OK
            {
                return p;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "flightline serve did not answer /health"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `SIGKILL`: no shutdown, no flush, connections cut.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_killed_mid_write_loses_nothing_acknowledged() {
    let app = TestApp::spawn_own_db("faults_kill", Figment::new()).await;
    let url = app.state.settings.database_url().to_owned();
    let t = app.signup("flight_school").await;
    let schema = app.tenant(&t).await.schema.to_string();
    let port = free_port();
    let mut process = Process::start(&url, port).await;

    let stop = Arc::new(AtomicBool::new(false));
    let writers = write_load(&process.base, &t.slug, &t.token, 4, &stop);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    process.kill();
    let killed = Instant::now();
    // Started again on the same port: the writers carry on against it.
    let process = Process::start(&url, port).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let writes = collect(writers).await;

    let odd: Vec<&Write> = writes
        .iter()
        .filter(|w| w.status.is_some_and(|s| s != StatusCode::CREATED))
        .collect();
    assert!(odd.is_empty(), "answers other than 201: {odd:?}");
    assert!(
        writes
            .iter()
            .any(|w| w.at > killed && w.status == Some(StatusCode::CREATED)),
        "nothing written after the restart"
    );
    assert_acknowledged_kept(&writes, &stored_titles(&url, &schema).await);
    call(
        app.client
            .get(format!("{}/api/v1/tools/notes", process.base))
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&t.token),
        StatusCode::OK,
    )
    .await;
}

/// One signup of the load: its slug and the answer (none when the process went away).
#[derive(Debug)]
struct Signup {
    slug: String,
    status: Option<StatusCode>,
    at: Instant,
}

fn signup_load(
    base: &str,
    clients: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<Signup>>> {
    (0..clients)
        .map(|_| {
            let (base, stop) = (base.to_owned(), stop.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .expect("client");
                let mut done = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let slug = crate::helpers::unique_slug("crash");
                    let status = client
                        .post(format!("{base}/api/v1/signup"))
                        .json(&json!({
                            "organization_name": format!("Org {slug}"),
                            "slug": slug,
                            "kind": "flight_school",
                            "admin_email": format!("admin@{slug}.example"),
                            "admin_password": PASSWORD,
                            "admin_name": "Admin",
                            "plan": "trial",
                        }))
                        .send()
                        .await
                        .ok()
                        .map(|r| r.status());
                    if status.is_none() {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    done.push(Signup {
                        slug,
                        status,
                        at: Instant::now(),
                    });
                }
                done
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_killed_mid_signup_leaves_no_half_tenant_and_no_orphan_schema() {
    let app = TestApp::spawn_own_db("faults_signup", Figment::new()).await;
    let url = app.state.settings.database_url().to_owned();
    let port = free_port();
    // A warm pool of two: signups claim warm schemas while the filler creates new ones, so
    // the kill can land in either kind of transaction (and in a cold create once it is empty).
    let warm = [("FLIGHTLINE__TENANCY__WARM_SCHEMAS", "2")];
    let mut process = Process::start_with(&url, port, &warm).await;

    let stop = Arc::new(AtomicBool::new(false));
    let clients = signup_load(&process.base, 3, &stop);
    // Kill once a few signups have gone through, so others are in flight.
    let start = Instant::now();
    while count_tenants(&url, "active").await < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "signups did not get going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process.kill();
    let killed = Instant::now();
    let process = Process::start_with(&url, port, &warm).await;
    let start = Instant::now();
    while count_tenants(&url, "active").await < 6 && start.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut signups = Vec::new();
    for c in clients {
        signups.extend(c.await.expect("signup client"));
    }
    let odd: Vec<&Signup> = signups
        .iter()
        .filter(|s| s.status.is_some_and(|s| s != StatusCode::CREATED))
        .collect();
    assert!(odd.is_empty(), "answers other than 201: {odd:?}");
    assert!(
        signups.iter().any(|s| s.status.is_none()),
        "no signup was in flight when the process was killed"
    );
    assert!(
        signups
            .iter()
            .any(|s| s.at > killed && s.status == Some(StatusCode::CREATED)),
        "no signup succeeded after the restart"
    );

    // What the service's sweeper does to a reservation a minute old, now: complete it, or
    // remove it when it cannot be completed.
    let (completed, removed) =
        tenancy::finish_stuck(app.state.db(), app.state.registry.catalog(), 0, None)
            .await
            .expect("provisioning sweep");
    eprintln!("sweep after the kill: {completed} completed, {removed} removed");
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    let half: Vec<String> =
        sqlx::query_scalar("select slug from platform.tenants where status <> 'active'")
            .fetch_all(&mut conn)
            .await
            .expect("tenants");
    assert!(half.is_empty(), "tenants left half made: {half:?}");
    // Every t_/w_ schema is a tenant's or a registered warm schema, and every tenant's schema
    // exists.
    let orphans: Vec<String> = sqlx::query_scalar(
        "select nspname::text from pg_namespace
         where nspname ~ '^[tw]_[0-9a-f]{32}$'
           and nspname not in (select schema_name from platform.tenants)
           and nspname not in (select schema_name from platform.warm_schemas)",
    )
    .fetch_all(&mut conn)
    .await
    .expect("schemas");
    assert!(orphans.is_empty(), "orphan schemas: {orphans:?}");
    let missing: Vec<String> = sqlx::query_scalar(
        "select slug from platform.tenants
         where schema_name not in (select nspname::text from pg_namespace)",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tenant schemas");
    assert!(missing.is_empty(), "tenants without a schema: {missing:?}");

    // Each signup either is a working tenant (its admin logs in) or left nothing behind (the
    // slug is free again); an acknowledged one is always a working tenant with its
    // verification and welcome mails queued.
    let client = reqwest::Client::new();
    for s in &signups {
        let exists: Option<uuid::Uuid> =
            sqlx::query_scalar("select id from platform.tenants where slug = $1")
                .bind(&s.slug)
                .fetch_optional(&mut conn)
                .await
                .expect("tenant");
        match exists {
            Some(id) => {
                call(
                    client
                        .post(format!("{}/api/v1/auth/login", process.base))
                        .header("X-Tenant-ID", &s.slug)
                        .json(&json!({"email": format!("admin@{}.example", s.slug), "password": PASSWORD})),
                    StatusCode::OK,
                )
                .await;
                if s.status == Some(StatusCode::CREATED) {
                    let mails: i64 = sqlx::query_scalar(
                        "select count(*) from platform.mail_outbox where tenant_id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut conn)
                    .await
                    .expect("mails");
                    assert_eq!(mails, 2, "{}: verification and welcome mails", s.slug);
                }
            }
            None => {
                assert_ne!(
                    s.status,
                    Some(StatusCode::CREATED),
                    "acknowledged signup {} has no tenant",
                    s.slug
                );
                let body = call(
                    client.get(format!("{}/api/v1/public/slugs/{}", process.base, s.slug)),
                    StatusCode::OK,
                )
                .await;
                assert_eq!(body["available"], json!(true), "{} not free again", s.slug);
            }
        }
    }
}

async fn count_tenants(url: &str, status: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query_scalar("select count(*) from platform.tenants where status = $1")
        .bind(status)
        .fetch_one(&mut conn)
        .await
        .expect("count")
}
