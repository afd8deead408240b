//! PgBouncer in transaction mode in front of PostgreSQL (docs/operations.md).
//!
//! Each test starts a private `pgbouncer` (the distribution's package; `scripts/test` installs
//! it) on a free loopback port, with `pool_mode = transaction` and a server pool smaller than the
//! application's, so transactions of different tenants really take turns on the same server
//! connections. The claim under test: the tenant search_path is transaction-local, so nothing
//! leaks from one tenant to another through a shared server connection, and SQL without a
//! `TenantTx` still fails closed because the application role's default search_path is
//! `fl_none` (PgBouncer 1.18 refuses the `options` startup parameter the direct pool uses).

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::{Connection, Executor};

use crate::helpers::{PASSWORD, TestApp, call, problem, recreate_database, settings};
use crate::platform::{op, operator_login, operator_overrides};

/// The login role the application uses behind PgBouncer. Its default search_path is the empty
/// schema, as the production role's must be.
const ROLE: &str = "flightline_pgbouncer";

/// A private PgBouncer process; killed on drop.
struct PgBouncer {
    child: Child,
    port: u16,
    dir: PathBuf,
    database: String,
}

impl PgBouncer {
    /// Starts PgBouncer in transaction mode with `pool_size` server connections to the test
    /// database. `reset_always` runs `server_reset_query` (DISCARD ALL) after every transaction.
    fn start(pool_size: u32, reset_always: bool) -> Self {
        Self::start_for(&direct_url(), pool_size, reset_always)
    }

    /// The same, in front of the database of `direct`.
    fn start_for(direct: &str, pool_size: u32, reset_always: bool) -> Self {
        let binary = find_pgbouncer();
        let direct = direct.to_owned();
        let url = reqwest::Url::parse(&direct).expect("test database URL");
        let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
        let server_port = url.port().unwrap_or(5432);
        let database = url.path().trim_start_matches('/').to_owned();
        let dir =
            std::env::temp_dir().join(format!("flightline-pgbouncer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("userlist.txt"), format!("\"{ROLE}\" \"\"\n")).expect("userlist");
        let mut last_error = String::new();
        // The port is found free, then handed to PgBouncer: retry if another process took it.
        for _ in 0..3 {
            let port = free_port();
            let ini = dir.join("pgbouncer.ini");
            std::fs::write(
                &ini,
                format!(
                    "[databases]\n\
                     {database} = host={host} port={server_port} dbname={database}\n\
                     [pgbouncer]\n\
                     listen_addr = 127.0.0.1\n\
                     listen_port = {port}\n\
                     unix_socket_dir =\n\
                     auth_type = trust\n\
                     auth_file = {userlist}\n\
                     pool_mode = transaction\n\
                     default_pool_size = {pool_size}\n\
                     min_pool_size = 0\n\
                     reserve_pool_size = 0\n\
                     max_client_conn = 200\n\
                     server_reset_query = DISCARD ALL\n\
                     server_reset_query_always = {reset}\n\
                     server_round_robin = 1\n",
                    userlist = dir.join("userlist.txt").display(),
                    reset = u8::from(reset_always),
                ),
            )
            .expect("pgbouncer.ini");
            let log = std::fs::File::create(dir.join("pgbouncer.log")).expect("log file");
            let mut cmd = Command::new(&binary);
            // PgBouncer refuses to run as root; CI runs as root.
            if is_root() {
                cmd.arg("-u").arg(unprivileged_user());
            }
            let mut child = cmd
                .arg(&ini)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "pgbouncer exited with {status}: {}",
                        std::fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default()
                    );
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self {
                        child,
                        port,
                        dir,
                        database,
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            if last_error.is_empty() {
                last_error = "pgbouncer did not listen within 10 s".into();
            }
        }
        panic!("{last_error}");
    }

    /// The application's URL: through PgBouncer, as the application role.
    fn url(&self) -> String {
        format!(
            "postgres://{ROLE}@127.0.0.1:{}/{}",
            self.port, self.database
        )
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn find_pgbouncer() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "pgbouncer is not installed. These tests need a real PgBouncer: run scripts/test \
                 (it installs the distribution's package) or `apt-get install pgbouncer`."
            )
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn unprivileged_user() -> &'static str {
    let has = |user: &str| {
        Command::new("id")
            .arg(user)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has("postgres") {
        "postgres"
    } else {
        "nobody"
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The test database, directly (DATABASE_URL or config/test.toml).
fn direct_url() -> String {
    settings(figment::Figment::new()).database_url().to_owned()
}

/// Creates the application role with its fail-closed default search_path, and makes sure the
/// test database and the platform schema exist (the first direct connection migrates them).
async fn prepare_database() {
    let app = TestApp::spawn().await;
    let mut conn = app
        .state
        .db()
        .raw_connection()
        .await
        .expect("direct connection");
    // Tests run in parallel processes: one at a time creates the role and sets its default
    // (concurrent ALTER ROLE fails with "tuple concurrently updated").
    let mut tx = conn.begin().await.expect("begin");
    tx.execute("select pg_advisory_xact_lock(hashtext('flightline-tests:pgbouncer-role'))")
        .await
        .expect("lock");
    tx.execute(sqlx::AssertSqlSafe(format!(
        "do $$ begin if not exists (select 1 from pg_roles where rolname = '{ROLE}') then \
         create role {ROLE} login superuser; end if; end $$"
    )))
    .await
    .expect("create role");
    // Behind PgBouncer the startup parameter cannot carry it: the role's default is the
    // fail-closed path (docs/operations.md).
    tx.execute(sqlx::AssertSqlSafe(format!(
        "alter role {ROLE} set search_path = fl_none"
    )))
    .await
    .expect("role search_path");
    tx.commit().await.expect("commit");
}

async fn spawn_behind(bouncer: &PgBouncer, max_connections: u32) -> TestApp {
    TestApp::spawn_with(
        figment::Figment::new()
            .merge(figment::providers::Serialized::default(
                "database.url",
                bouncer.url(),
            ))
            .merge(figment::providers::Serialized::default(
                "database.direct_url",
                direct_url(),
            ))
            .merge(figment::providers::Serialized::default(
                "database.pgbouncer",
                true,
            ))
            .merge(figment::providers::Serialized::default(
                "database.max_connections",
                max_connections,
            )),
    )
    .await
}

#[tokio::test]
async fn tenants_sharing_pgbouncer_server_connections_never_leak() {
    prepare_database().await;
    let bouncer = PgBouncer::start(2, true);
    // Eight client connections over two server connections.
    let app = spawn_behind(&bouncer, 8).await;
    let mut tenants = Vec::new();
    for _ in 0..4 {
        tenants.push(app.signup("flight_school").await);
    }

    // Writes and reads of four tenants, interleaved.
    let mut tasks = Vec::new();
    for t in &tenants {
        for i in 0..10 {
            let client = app.client.clone();
            let base = app.base.clone();
            let t = t.clone();
            tasks.push(tokio::spawn(async move {
                let resp = client
                    .post(format!("{base}/api/v1/tools/notes"))
                    .header("X-Tenant-ID", &t.slug)
                    .bearer_auth(&t.token)
                    .json(&json!({"title": format!("{}:{i}", t.slug)}))
                    .send()
                    .await
                    .expect("send");
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                assert_eq!(status, StatusCode::CREATED, "{body}");
                let list: serde_json::Value = client
                    .get(format!("{base}/api/v1/tools/notes?limit=200"))
                    .header("X-Tenant-ID", &t.slug)
                    .bearer_auth(&t.token)
                    .send()
                    .await
                    .expect("send")
                    .json()
                    .await
                    .expect("json");
                for item in list["items"].as_array().expect("items") {
                    let title = item["title"].as_str().expect("title");
                    assert!(
                        title.starts_with(&format!("{}:", t.slug)),
                        "{} saw {title}",
                        t.slug
                    );
                }
            }));
        }
    }
    // Tenant transactions opened directly, concurrently, report which server connection
    // (backend pid) ran them and what they can see.
    let mut probes = Vec::new();
    for round in 0..6 {
        for t in &tenants {
            let tenant = app.tenant(t).await;
            let db = app.state.db().clone();
            let slug = t.slug.clone();
            probes.push(tokio::spawn(async move {
                let mut tx = tenant.begin(&db).await.expect("begin through pgbouncer");
                let (pid, schema): (i32, String) =
                    sqlx::query_as("select pg_backend_pid(), current_schema()::text")
                        .fetch_one(&mut *tx)
                        .await
                        .expect("probe");
                assert_eq!(schema, tenant.schema.as_str(), "{slug}: wrong schema");
                let foreign: i64 = sqlx::query_scalar(
                    "select count(*) from notes where title not like $1 || ':%'",
                )
                .bind(&slug)
                .fetch_one(&mut *tx)
                .await
                .expect("count");
                assert_eq!(foreign, 0, "{slug} saw another tenant's notes");
                tokio::time::sleep(Duration::from_millis(5 * (round % 3))).await;
                if round % 2 == 0 {
                    tx.commit().await.expect("commit");
                } else {
                    drop(tx);
                }
                pid
            }));
        }
    }
    for task in tasks {
        task.await.expect("request task");
    }
    let mut pids = HashSet::new();
    for probe in probes {
        pids.insert(probe.await.expect("probe task"));
    }
    assert!(
        pids.len() <= 2,
        "24 tenant transactions ran on {} server connections; PgBouncer allows 2",
        pids.len()
    );

    for t in &tenants {
        let list = call(
            app.tenant_req(t, Method::GET, "/api/v1/tools/notes?limit=200"),
            StatusCode::OK,
        )
        .await;
        let titles: HashSet<String> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["title"].as_str().unwrap_or_default().to_owned())
            .collect();
        let expected: HashSet<String> = (0..10).map(|i| format!("{}:{i}", t.slug)).collect();
        assert_eq!(titles, expected);
    }

    // Without a TenantTx, through PgBouncer, on server connections every tenant has used:
    // the role's default search_path, so unqualified tenant tables do not resolve, neither in
    // a plain transaction nor in a single (simple-protocol) statement.
    for _ in 0..4 {
        let mut conn = app.state.db().raw_connection().await.expect("conn");
        assert_eq!(search_path(&mut conn).await, "fl_none");
        for table in ["notes", "users", "sessions"] {
            let sql = format!("select count(*) from {table}");
            let err = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *conn)
                .await
                .expect_err("unscoped statement must fail");
            assert!(err.to_string().contains("does not exist"), "{table}: {err}");
            let mut tx = conn.begin().await.expect("plain transaction");
            let path: String = sqlx::query_scalar("select current_setting('search_path')")
                .fetch_one(&mut *tx)
                .await
                .expect("search_path");
            assert_eq!(path, "fl_none");
            let err = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *tx)
                .await
                .expect_err("unscoped query must fail");
            assert!(err.to_string().contains("does not exist"), "{table}: {err}");
            tx.rollback().await.expect("rollback");
        }
    }
}

/// `current_setting('search_path')` in one simple-protocol statement.
async fn search_path(conn: &mut sqlx::PgConnection) -> String {
    use sqlx::Row;
    conn.fetch_one("select current_setting('search_path')")
        .await
        .expect("search_path")
        .get(0)
}

/// A session-level `SET` is never issued by the application; if one were, PgBouncer's reset
/// (`server_reset_query_always`) would still return the server connection to the role's
/// fail-closed default before anyone else used it.
#[tokio::test]
async fn a_session_level_search_path_does_not_survive_the_transaction() {
    prepare_database().await;
    let bouncer = PgBouncer::start(1, true);
    let app = spawn_behind(&bouncer, 2).await;
    let t = app.signup("fbo").await;
    let tenant = app.tenant(&t).await;
    let mut a = app.state.db().raw_connection().await.expect("a");
    a.execute(sqlx::AssertSqlSafe(format!(
        "set search_path to {}",
        tenant.schema.quoted()
    )))
    .await
    .expect("session set");
    let mut b = app.state.db().raw_connection().await.expect("b");
    assert_eq!(search_path(&mut a).await, "fl_none");
    assert_eq!(search_path(&mut b).await, "fl_none");
}

/// Why the settings in docs/operations.md are what they are, shown on PgBouncer 1.18 with raw
/// sqlx connections: sqlx 0.9 names its prepared statements even with the statement cache off
/// and parses a statement in a protocol round trip of its own before binding it.
#[tokio::test]
async fn what_breaks_without_the_documented_settings() {
    prepare_database().await;
    let options = |url: &str| {
        url.parse::<sqlx::postgres::PgConnectOptions>()
            .expect("url")
            .extra_float_digits(None)
            .statement_cache_capacity(0)
    };

    // 1. The `options` startup parameter (the direct pool's fail-closed search_path) is refused.
    let bouncer = PgBouncer::start(1, false);
    let err = sqlx::PgConnection::connect_with(
        &options(&bouncer.url()).options([("search_path", "fl_none")]),
    )
    .await
    .expect_err(
        "PgBouncer 1.18 refuses the options startup parameter (a newer PgBouncer may not: then revisit docs/operations.md §5)",
    );
    assert!(
        err.to_string().contains("unsupported startup parameter"),
        "{err}"
    );

    // 2. Without a reset after each transaction, named statements of one client collide with
    //    another's on the shared server connection, even inside transactions.
    let mut c1 = sqlx::PgConnection::connect_with(&options(&bouncer.url()))
        .await
        .expect("c1");
    let mut c2 = sqlx::PgConnection::connect_with(&options(&bouncer.url()))
        .await
        .expect("c2");
    let mut collided = None;
    for conn in [&mut c1, &mut c2] {
        let mut tx = conn.begin().await.expect("begin");
        if let Err(e) = sqlx::query_scalar::<_, i32>("select $1::int")
            .bind(1)
            .fetch_one(&mut *tx)
            .await
        {
            collided = Some(e.to_string());
        }
        // Hand the only server connection back (a dropped transaction would keep it).
        tx.rollback().await.expect("rollback");
    }
    let collided = collided.expect(
        "the second client's statement name collides (if not, sqlx or PgBouncer changed: revisit docs/operations.md §5)",
    );
    assert!(collided.contains("already exists"), "{collided}");
    drop(bouncer);

    // 3. With the reset, statements inside a transaction work for every client ...
    let bouncer = PgBouncer::start(1, true);
    let mut c1 = sqlx::PgConnection::connect_with(&options(&bouncer.url()))
        .await
        .expect("c1");
    let mut c2 = sqlx::PgConnection::connect_with(&options(&bouncer.url()))
        .await
        .expect("c2");
    for _ in 0..3 {
        for conn in [&mut c1, &mut c2] {
            let mut tx = conn.begin().await.expect("begin");
            let n: i32 = sqlx::query_scalar("select $1::int")
                .bind(7)
                .fetch_one(&mut *tx)
                .await
                .expect("statement inside a transaction");
            assert_eq!(n, 7);
            tx.commit().await.expect("commit");
        }
    }
    // ... but outside a transaction a prepared statement (any `sqlx::query`, with parameters
    // or without) is parsed in one PgBouncer transaction and executed in the next: it fails
    // (closed). Hence platform SQL, which runs outside explicit transactions, goes to
    // `database.direct_url`, and the readiness ping uses the simple protocol.
    for query in [
        sqlx::query_scalar::<_, i32>("select $1::int").bind(7),
        sqlx::query_scalar::<_, i32>("select 7"),
    ] {
        let err = query
            .fetch_one(&mut c1)
            .await
            .expect_err(
                "parse and execute land in different PgBouncer transactions (if not, revisit docs/operations.md §5)",
            );
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
    let seven: i32 = {
        use sqlx::Row;
        c1.fetch_one("select 7")
            .await
            .expect("simple protocol")
            .get(0)
    };
    assert_eq!(seven, 7);
}

/// Platform operations that reach a tenant's schema (migrate, archive, restore) work through
/// the HTTP API behind PgBouncer in transaction mode, and a restored tenant comes back with the
/// status it had when it was archived (a suspended one stays suspended).
#[tokio::test]
async fn platform_migrate_archive_and_restore_work_behind_pgbouncer() {
    prepare_database().await;
    // A database of its own, so that this app's job worker is the one that archives.
    let base = direct_url();
    let (server, _) = base.rsplit_once('/').expect("database url has a name");
    let own = format!("{server}/flightline_test_pgbouncer_platform");
    recreate_database(&own).await;
    let bouncer = PgBouncer::start_for(&own, 2, true);
    let url = bouncer.url();
    let (overrides, email) = operator_overrides(
        figment::Figment::new()
            .merge(figment::providers::Serialized::default(
                "database.url",
                &url,
            ))
            .merge(figment::providers::Serialized::default(
                "database.direct_url",
                &own,
            ))
            .merge(figment::providers::Serialized::default(
                "database.pgbouncer",
                true,
            ))
            .merge(figment::providers::Serialized::default(
                "database.max_connections",
                4,
            )),
    );
    let app = TestApp::spawn_with(overrides).await;
    let owner = operator_login(&app, &email, PASSWORD).await;
    let t = app.signup("flight_school").await;
    app.create_note(&t, "kept through the archive").await;
    let tenant = |suffix: &str| format!("/api/v1/platform/tenants/{}{suffix}", t.id);

    let migrated = call(
        op(&app, &owner, Method::POST, &tenant("/migrate")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(migrated["items"][0]["status"], "current", "{migrated}");

    call(
        op(&app, &owner, Method::POST, &tenant("/suspend")),
        StatusCode::OK,
    )
    .await;
    let resp = op(&app, &owner, Method::DELETE, &tenant(""))
        .send()
        .await
        .expect("archive");
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let start = Instant::now();
    loop {
        let mut conn = sqlx::PgConnection::connect(&own).await.expect("connect");
        let archived: bool = sqlx::query_scalar(
            "select exists(select 1 from platform.tenant_archives where tenant_id = $1::uuid)
                and not exists(select 1 from pg_namespace where nspname = $2)",
        )
        .bind(&t.id)
        .bind(format!("t_{}", t.id.replace('-', "")))
        .fetch_one(&mut conn)
        .await
        .expect("poll");
        if archived {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the archive job did not finish"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let restored = call(
        op(&app, &owner, Method::POST, &tenant("/restore")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(restored["tenant"]["status"], "suspended", "{restored}");
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::FORBIDDEN,
        "tenant-suspended",
    )
    .await;
    call(
        op(&app, &owner, Method::POST, &tenant("/resume")),
        StatusCode::OK,
    )
    .await;
    let token = app.login(&t.slug, &t.admin_email, PASSWORD).await;
    let notes = call(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&token),
        StatusCode::OK,
    )
    .await;
    assert_eq!(notes["items"][0]["title"], "kept through the archive");
}
