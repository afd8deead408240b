//! `BENCH_ONLY=scale` of the load benchmark (issue 20 part 1): `BENCH_SCALE_TENANTS` (default
//! 10,000) tenants in one database, and what they cost. Kept apart from load.rs like the
//! scheduling phases. In order:
//! - **provisioning** (stopped after the batch that crosses `BENCH_SCALE_PROVISION_MINUTES`,
//!   if set): the tenants are provisioned as signup does (`tenancy::provision`: a warm
//!   schema is claimed while the running server's warm pool has one, else every migration runs),
//!   each with 50 notes and a session, in batches of `BENCH_SCALE_BATCH` (default 1,000). Per
//!   batch: seconds, tenants/s, and the catalogue and database size when it ends;
//! - **catalogue**: relations, columns, constraints and triggers of one tenant schema, and the
//!   bytes of the catalogue tables (with their indexes) divided by the schemas;
//! - **autovacuum**: what autovacuum did while the tenants were created (runs on the catalogue
//!   tables, tenant tables analysed), the time of `VACUUM (ANALYZE)` of one tenant's tables
//!   (of the whole database with `BENCH_SCALE_VACUUM=1`: see below why not by default), and the
//!   CPU the idle cluster spends afterwards (autovacuum's launcher walks every table);
//! - **GET spread**: `GET /api/v1/tools/notes` (50 notes) at 32 connections in `BENCH_ROUNDS`
//!   interleaved rounds over 10 tenants and over all of them;
//! - **backend memory**: the private memory (RssAnon) of every server backend after those
//!   rounds touched every tenant, and, on a connection of the bench's own, the memory contexts
//!   before and after reading the notes of `BENCH_SCALE_TOUCH` (default 2,000) schemas: the
//!   bytes one schema costs a backend that has read from it (a fresh connection: one that has
//!   walked the catalogue already holds it all);
//! - **archive and restore** of one tenant among them with the `flightline` command line
//!   (`tenants delete`: `pg_dump` into storage, then drop; `tenants restore`), and, with
//!   `BENCH_SCALE_PG_DUMP=1`, `pg_dump` of one schema alone.
//!
//! The load benchmark then migrates every tenant by one `ADD COLUMN` (`migrate_all_tenants`).
//! With `BENCH_SCALE_REUSE=1` it keeps the database, skips the signups and the provisioning, and
//! measures the rest on the `load-<i>` tenants an earlier run left there.

use std::process::Command;
use std::time::{Duration, Instant};

use flightline::db::Db;
use flightline::tenancy::TenantRegistry;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

use super::{
    LoadTenant, Op, Server, bulk_tenants, cpu_ticks, env_or, load, proc_status_kib, round,
};

/// Bytes of the system catalogue (tables, their indexes and TOAST), relations in the database,
/// tenant schemas, and the database's size.
async fn catalogue(conn: &mut PgConnection) -> Value {
    let (schemas, relations, catalogue, pg_class, pg_attribute, database): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "select (select count(*) from pg_namespace where nspname like 't\\_%'),
                (select count(*) from pg_class),
                (select sum(pg_total_relation_size(oid))::bigint from pg_class
                 where relnamespace = 'pg_catalog'::regnamespace and relkind = 'r'),
                pg_total_relation_size('pg_catalog.pg_class'),
                pg_total_relation_size('pg_catalog.pg_attribute'),
                pg_database_size(current_database())",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("catalogue size");
    let mib = |b: i64| round(b as f64 / 1_048_576.0);
    json!({
        "tenant_schemas": schemas,
        "relations": relations,
        "catalogue_mib": mib(catalogue),
        "pg_class_mib": mib(pg_class),
        "pg_attribute_mib": mib(pg_attribute),
        "database_mib": mib(database),
    })
}

/// What one tenant schema holds, and each large catalogue table's bytes per tenant schema.
async fn per_tenant(conn: &mut PgConnection, slug: &str) -> Value {
    let schema: String =
        sqlx::query_scalar("select schema_name from platform.tenants where slug = $1")
            .bind(slug)
            .fetch_one(&mut *conn)
            .await
            .expect("schema");
    let (tables, indexes, others, columns, constraints, triggers): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "with r as (select c.oid, c.relkind from pg_class c
                        where c.relnamespace = $1::regnamespace)
             select (select count(*) from r where relkind in ('r', 'p')),
                    (select count(*) from r where relkind in ('i', 'I')),
                    (select count(*) from r where relkind not in ('r', 'p', 'i', 'I')),
                    (select count(*) from pg_attribute a join r on a.attrelid = r.oid),
                    (select count(*) from pg_constraint where connamespace = $1::regnamespace),
                    (select count(*) from pg_trigger t join r on t.tgrelid = r.oid)",
        )
        .bind(&schema)
        .fetch_one(&mut *conn)
        .await
        .expect("one schema");
    let schemas: i64 = sqlx::query_scalar(
        "select count(*) from pg_namespace where nspname like 't\\_%' or nspname like 'w\\_%'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("schemas");
    let by_table: Vec<(String, i64)> = sqlx::query_as(
        "select relname::text, pg_total_relation_size(oid) from pg_class
         where relnamespace = 'pg_catalog'::regnamespace and relkind = 'r'
         order by 2 desc limit 8",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("catalogue tables");
    let total: i64 = by_table.iter().map(|(_, b)| b).sum();
    let kib = |b: i64| round(b as f64 / 1024.0 / schemas.max(1) as f64);
    json!({
        "tables": tables,
        "indexes": indexes,
        "other_relations": others,
        "columns": columns,
        "constraints": constraints,
        "triggers": triggers,
        "schemas_counted": schemas,
        "largest_catalogue_tables_kib_per_schema": by_table
            .iter()
            .map(|(name, b)| (name.clone(), json!(kib(*b))))
            .collect::<serde_json::Map<_, _>>(),
        "those_tables_kib_per_schema": kib(total),
    })
}

/// What autovacuum has done so far: runs on the catalogue tables, and how many tenant tables it
/// has analysed or vacuumed, of how many; the workers busy now.
async fn autovacuum(conn: &mut PgConnection) -> Value {
    let (tables, analysed, vacuumed, catalogue_vacuums, catalogue_analyses, dead, workers): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "select (select count(*) from pg_stat_user_tables),
                (select count(*) from pg_stat_user_tables where autoanalyze_count > 0),
                (select count(*) from pg_stat_user_tables where autovacuum_count > 0),
                (select coalesce(sum(autovacuum_count), 0)::bigint from pg_stat_sys_tables
                 where schemaname = 'pg_catalog'),
                (select coalesce(sum(autoanalyze_count), 0)::bigint from pg_stat_sys_tables
                 where schemaname = 'pg_catalog'),
                (select coalesce(sum(n_dead_tup), 0)::bigint from pg_stat_sys_tables
                 where schemaname = 'pg_catalog'),
                (select count(*) from pg_stat_activity where backend_type = 'autovacuum worker')",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("autovacuum");
    let setting: String = sqlx::query_scalar("select current_setting('autovacuum')")
        .fetch_one(&mut *conn)
        .await
        .expect("setting");
    json!({
        "autovacuum": setting,
        "tenant_tables": tables,
        "tenant_tables_autoanalysed": analysed,
        "tenant_tables_autovacuumed": vacuumed,
        "catalogue_autovacuum_runs": catalogue_vacuums,
        "catalogue_autoanalyze_runs": catalogue_analyses,
        "catalogue_dead_tuples": dead,
        "autovacuum_workers_now": workers,
    })
}

/// The private memory (RssAnon, KiB) of process `pid`, from /proc.
fn rss_anon_kib(pid: i32) -> u64 {
    u32::try_from(pid).map_or(0, |pid| proc_status_kib(pid, "RssAnon:"))
}

/// The private memory of every client backend but `conn`'s own (the server's connections: the
/// bench's own pool is closed by then), and the bytes one schema costs a backend: the memory
/// contexts of `conn` before and after it reads the notes of `touch` tenant schemas.
async fn backend_memory(conn: &mut PgConnection, db_url: &str, touch: usize) -> Value {
    let pids: Vec<i32> = sqlx::query_scalar(
        "select pid from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend'
           and pid <> pg_backend_pid()",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("backends");
    let mut kib: Vec<u64> = pids.iter().map(|p| rss_anon_kib(*p)).collect();
    kib.sort_unstable();
    let mib = |k: u64| round(k as f64 / 1024.0);
    let schemas: Vec<String> = sqlx::query_scalar(
        "select schema_name from platform.tenants where status = 'active'
         order by slug limit $1",
    )
    .bind(touch as i64)
    .fetch_all(&mut *conn)
    .await
    .expect("schemas");
    // A fresh backend: the caller's has walked the whole catalogue (VACUUM).
    let mut fresh = PgConnection::connect(db_url).await.expect("connect");
    let conn = &mut fresh;
    let before = memory_contexts(conn).await;
    let own_before = rss_anon_kib(own_pid(conn).await);
    for schema in &schemas {
        // Server-made names (t_<uuid>), quoted as the server quotes them.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "select count(*) from \"{schema}\".notes"
        )))
        .execute(&mut *conn)
        .await
        .expect("read notes");
    }
    let after = memory_contexts(conn).await;
    let own_after = rss_anon_kib(own_pid(conn).await);
    let out = json!({
        "server_backends": kib.len(),
        "server_backend_rss_anon_mib": {
            "min": mib(kib.first().copied().unwrap_or(0)),
            "median": mib(kib.get(kib.len() / 2).copied().unwrap_or(0)),
            "max": mib(kib.last().copied().unwrap_or(0)),
            "sum": mib(kib.iter().sum()),
        },
        "one_backend_reading_notes_of": schemas.len(),
        "memory_contexts_mib_before": round(before as f64 / 1_048_576.0),
        "memory_contexts_mib_after": round(after as f64 / 1_048_576.0),
        "rss_anon_mib_before": mib(own_before),
        "rss_anon_mib_after": mib(own_after),
        "kib_per_schema_read": round((after - before) as f64 / 1024.0 / schemas.len().max(1) as f64),
    });
    fresh.close().await.ok();
    out
}

/// The bytes of this backend's memory contexts.
async fn memory_contexts(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("select sum(total_bytes)::bigint from pg_backend_memory_contexts")
        .fetch_one(conn)
        .await
        .expect("memory contexts")
}

async fn own_pid(conn: &mut PgConnection) -> i32 {
    sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(conn)
        .await
        .expect("pid")
}

/// Runs `flightline <args>` against the bench database (production settings, local storage
/// under a temporary directory); whether it succeeded and its seconds.
fn command_line(db_url: &str, storage: &std::path::Path, args: &[&str]) -> Value {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_flightline"))
        .args(args)
        .env("FLIGHTLINE_ENV", "production")
        .env("FLIGHTLINE__SECURITY__DATA_KEY", super::DATA_KEY)
        .env(
            "FLIGHTLINE_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env("DATABASE_URL", db_url)
        .env("FLIGHTLINE__AUTH__JWT_SECRET", super::SECRET)
        .env("FLIGHTLINE__STORAGE__LOCAL_DIR", storage)
        .env("FLIGHTLINE__MAIL__LOG_ONLY", "true")
        .output()
        .expect("run flightline");
    if !out.status.success() {
        eprintln!(
            "flightline {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    json!({"ok": out.status.success(), "seconds": round(t.elapsed().as_secs_f64())})
}

/// `pg_dump --format=custom` of one schema, as the archive runs it: seconds and bytes.
fn pg_dump(db_url: &str, schema: &str, file: &std::path::Path) -> Value {
    let t = Instant::now();
    let out = Command::new("pg_dump")
        .arg("--format=custom")
        .arg(format!("--schema={schema}"))
        .arg("--no-owner")
        .arg("--file")
        .arg(file)
        .arg(db_url)
        .output()
        .expect("run pg_dump");
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    json!({
        "ok": out.status.success(),
        "seconds": round(t.elapsed().as_secs_f64()),
        "bytes": bytes,
    })
}

/// The `load-<i>` tenants of an earlier run, with tokens for their admins' sessions.
async fn existing_tenants(db: &Db, registry: &TenantRegistry, db_url: &str) -> Vec<LoadTenant> {
    let keys = flightline::auth::jwt::JwtKeys::new(super::SECRET.as_bytes(), 3600);
    let slugs: Vec<String> = sqlx::query_scalar(
        "select slug from platform.tenants where status = 'active' and slug like 'load-%'
         order by created_at",
    )
    .fetch_all(&mut PgConnection::connect(db_url).await.expect("connect"))
    .await
    .expect("slugs");
    let mut out = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let tenant = registry
            .by_slug(&slug)
            .await
            .expect("registry")
            .expect("tenant");
        let mut tx = tenant.begin(db).await.expect("tx");
        // A tenant whose notes and session the interrupted run did not commit is skipped.
        let row: Option<(uuid::Uuid, String, uuid::Uuid)> = sqlx::query_as(
            "select u.id, u.email::text, s.id from users u join sessions s on s.user_id = u.id
             limit 1",
        )
        .fetch_optional(&mut *tx)
        .await
        .expect("session");
        drop(tx);
        let Some((user, email, sid)) = row else {
            continue;
        };
        let token = keys.issue(user, tenant.id, &email, sid).expect("token");
        out.push(LoadTenant { slug, token });
    }
    out
}

/// Provisioning, catalogue, autovacuum, GET spread, backend memory, archive and restore (see
/// the module's documentation). `db` is closed on return (the backend-memory figure counts
/// the server's backends only).
pub async fn run(
    db: Db,
    registry: &TenantRegistry,
    server: &Server,
    db_url: &str,
    hash: &str,
    seconds: u64,
    reuse: bool,
) -> Value {
    let n: usize = env_or("BENCH_SCALE_TENANTS", 10_000);
    let batch: usize = env_or("BENCH_SCALE_BATCH", 1_000).max(1);
    let mut conn = PgConnection::connect(db_url).await.expect("connect");
    let mut report = serde_json::Map::new();

    // Provisioning, batch by batch: the rate as the catalogue grows.
    let mut tenants: Vec<LoadTenant> = Vec::with_capacity(n);
    let mut batches = Vec::new();
    let started = Instant::now();
    // A run that must end in time stops provisioning after the batch that crosses
    // `BENCH_SCALE_PROVISION_MINUTES`; the report names how many tenants it reached.
    let budget = Duration::from_secs(60 * env_or("BENCH_SCALE_PROVISION_MINUTES", 24 * 60));
    if reuse {
        tenants = existing_tenants(&db, registry, db_url).await;
        eprintln!("reusing {} tenants", tenants.len());
    }
    while !reuse && tenants.len() < n && started.elapsed() < budget {
        let from = tenants.len();
        let to = (from + batch).min(n);
        let t = Instant::now();
        tenants.extend(bulk_tenants(&db, registry, from..to, hash).await);
        let secs = t.elapsed().as_secs_f64();
        let mut b = json!({
            "tenants": to,
            "seconds": round(secs),
            "tenants_per_second": round((to - from) as f64 / secs),
            "catalogue": catalogue(&mut conn).await,
            "autovacuum_workers_now": sqlx::query_scalar::<_, i64>(
                "select count(*) from pg_stat_activity where backend_type = 'autovacuum worker'",
            )
            .fetch_one(&mut conn)
            .await
            .expect("workers"),
        });
        b["elapsed_seconds"] = json!(round(started.elapsed().as_secs_f64()));
        eprintln!("provisioned: {b}");
        batches.push(b);
    }
    let total = started.elapsed().as_secs_f64();
    let n = tenants.len();
    if !reuse {
        report.insert(
            "provisioning".into(),
            json!({
                "tenants": n,
                "seconds": round(total),
                "tenants_per_second": round(n as f64 / total),
                "batches": batches,
            }),
        );
    }
    report.insert("catalogue".into(), catalogue(&mut conn).await);
    report.insert(
        "one_tenant_schema".into(),
        per_tenant(&mut conn, &tenants[0].slug).await,
    );

    // Autovacuum during provisioning, then VACUUM (ANALYZE) of one tenant's tables (what
    // maintenance tenant by tenant costs), then the idle cluster's CPU for a minute (the server
    // idles too). A database-wide VACUUM runs in one backend, whose catalogue caches keep every
    // relation it visits: at 5,955 tenants (3.7 million relations) it grew to 20 GB of private
    // memory in 10 minutes and the OOM killer ended it on a 24 GB host. It runs only with
    // BENCH_SCALE_VACUUM=1.
    report.insert(
        "autovacuum_after_provisioning".into(),
        autovacuum(&mut conn).await,
    );
    super::scheduling::wait_for_warm_pool(db_url, 20).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "select format('%I.%I', n.nspname, c.relname) from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join platform.tenants t on t.schema_name = n.nspname
         where t.slug = $1 and c.relkind = 'r'",
    )
    .bind(&tenants[0].slug)
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut one = PgConnection::connect(db_url).await.expect("connect");
    let t = Instant::now();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "vacuum (analyze) {}",
        tables.join(", ")
    )))
    .execute(&mut one)
    .await
    .expect("vacuum one tenant");
    report.insert(
        "vacuum_analyze_one_tenant".into(),
        json!({"tables": tables.len(), "seconds": round(t.elapsed().as_secs_f64())}),
    );
    one.close().await.ok();
    if env_or("BENCH_SCALE_VACUUM", 0u8) == 1 {
        let t = Instant::now();
        sqlx::raw_sql("vacuum (analyze)")
            .execute(&mut conn)
            .await
            .expect("vacuum");
        report.insert(
            "vacuum_analyze_database_seconds".into(),
            json!(round(t.elapsed().as_secs_f64())),
        );
    }
    sqlx::raw_sql("checkpoint")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    let idle: u64 = env_or("BENCH_SCALE_IDLE_SECONDS", 60);
    let before = cpu_ticks();
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let after = cpu_ticks();
    report.insert(
        "idle".into(),
        json!({
            "seconds": idle,
            "postgres_cpu_percent_of_one_core": round((after.1 - before.1) as f64 / idle as f64),
            "server_cpu_percent_of_one_core": round((after.0 - before.0) as f64 / idle as f64),
            "autovacuum": autovacuum(&mut conn).await,
        }),
    );

    // GET spread: 10 tenants against all of them, interleaved rounds.
    let rounds: usize = env_or("BENCH_ROUNDS", 3);
    let (mut few, mut all) = (Vec::new(), Vec::new());
    for r in 0..rounds.max(1) {
        let a = load(&server.base, &tenants[..10.min(n)], Op::ListNotes, seconds).await;
        let b = load(&server.base, &tenants, Op::ListNotes, seconds).await;
        eprintln!("round {r}: 10 tenants {a}\n  {n} tenants {b}");
        few.push(a);
        all.push(b);
    }
    let rps = |v: &Value| v["requests_per_second"].as_f64().unwrap_or(0.0);
    let mut ratios: Vec<f64> = few
        .iter()
        .zip(&all)
        .map(|(a, b)| round(rps(b) / rps(a).max(1.0)))
        .collect();
    let by_round = ratios.clone();
    ratios.sort_by(f64::total_cmp);
    let median = |v: &[Value]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| rps(a).total_cmp(&rps(b)));
        v[v.len() / 2].clone()
    };
    report.insert(
        "get_50_notes".into(),
        json!({
            "tenants_10": median(&few),
            format!("tenants_{n}"): median(&all),
            "ratio_all_to_10_by_round": by_round,
            "ratio_all_to_10_median": ratios[ratios.len() / 2],
        }),
    );

    // Backend memory: the bench's own pool closes first, so the other client backends are the
    // server's.
    db.close().await;
    let touch: usize = env_or("BENCH_SCALE_TOUCH", 2_000);
    report.insert(
        "backend_memory".into(),
        backend_memory(&mut conn, db_url, touch.min(n)).await,
    );

    // One tenant among all of them: pg_dump of its schema, archive (dump, store, drop), restore.
    let victim = &tenants[n / 2].slug;
    let schema: String =
        sqlx::query_scalar("select schema_name from platform.tenants where slug = $1")
            .bind(victim)
            .fetch_one(&mut conn)
            .await
            .expect("schema");
    let storage = std::env::temp_dir().join(format!("flightline-scale-{}", std::process::id()));
    std::fs::create_dir_all(&storage).expect("storage dir");
    // The archive runs the same pg_dump; alone it is measured on request (at 330 tenants it
    // was 23.8 of the archive's 25.0 s).
    if env_or("BENCH_SCALE_PG_DUMP", 0u8) == 1 {
        report.insert(
            "pg_dump_one_schema".into(),
            pg_dump(db_url, &schema, &storage.join("one.dump")),
        );
    }
    report.insert(
        "archive_one_tenant".into(),
        command_line(db_url, &storage, &["tenants", "delete", victim]),
    );
    report.insert(
        "restore_one_tenant".into(),
        command_line(db_url, &storage, &["tenants", "restore", victim]),
    );
    let _ = std::fs::remove_dir_all(&storage);
    conn.close().await.ok();
    Value::Object(report)
}
