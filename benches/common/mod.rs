//! What every in-process benchmark shares: the production allocator, its production settings, a fresh database, the
//! host's CPU name and speed (an argon2id hash), and the p50 / p99 / max summary of a run's
//! timings.

#![allow(dead_code)]

use std::time::Duration;

use serde_json::json;
use sqlx::Connection;

/// The server these benchmarks run in their own process gets the allocator the `flightline`
/// binary runs with (src/main.rs), so measured is the server as deployed, not glibc's malloc
/// (from the fourteenth session on; earlier figures in docs/benchmarks.md ran on glibc's).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Production settings for a bench on the database of `url`: made-up secrets (a JWT secret and a
/// data key, both required in production), mail only logged.
pub fn settings(db_url: &str) -> flightline::config::Settings {
    use figment::providers::Serialized;
    flightline::config::Settings::load_from(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config")),
        flightline::config::Environment::Production,
        figment::Figment::new()
            .merge(Serialized::default("database.url", db_url))
            .merge(Serialized::default(
                "auth.jwt_secret",
                "bench-secret-bench-secret-bench-secret-0123",
            ))
            // 32 bytes of 0x62 ('b'), base64: a bench's sealed data is made up.
            .merge(Serialized::default(
                "security.data_key",
                "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI=",
            ))
            .merge(Serialized::default("mail.log_only", true)),
    )
    .expect("settings")
}

/// Drops and creates the database of `url`.
pub async fn recreate_database(url: &str) {
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

/// The host's CPU model, for the report.
pub fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// n, p50, p99 and max of `times`, in milliseconds.
pub fn summary(mut times: Vec<Duration>) -> serde_json::Value {
    times.sort_unstable();
    let ms = |d: Duration| (d.as_secs_f64() * 1e5).round() / 100.0;
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    json!({"n": times.len(), "p50_ms": ms(pct(50)), "p99_ms": ms(pct(99)), "max_ms": ms(times[times.len() - 1])})
}

/// The argon2id hash of the service's password settings, the host-speed indicator of
/// docs/benchmarks.md (median of 5, milliseconds).
pub async fn argon2id_ms() -> f64 {
    let passwords = flightline::auth::password::Passwords::new(1, 16).expect("passwords");
    let mut ms: Vec<f64> = Vec::new();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        passwords.hash("benchmark-password").await.expect("hash");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    (ms[2] * 10.0).round() / 10.0
}

/// Provisions the bench's tenant `slug` of `kind` (plan `trial`) as signup does, with the
/// tenant registry every bench builds the same way.
pub async fn provision(
    db: &flightline::db::Db,
    slug: &str,
    name: &str,
    kind: flightline::tenancy::TenantKind,
) -> flightline::tenancy::Tenant {
    let registry = flightline::tenancy::TenantRegistry::new(
        db.clone(),
        std::time::Duration::from_secs(60),
        &flightline::domains::CATALOG,
    );
    let new = flightline::tenancy::NewTenant {
        slug: slug.into(),
        name: name.into(),
        kind,
        plan: "trial".into(),
        admin_email: format!("admin@{slug}.example"),
        admin_name: "Bench".into(),
        admin_password_hash: None,
        trial_ends_at: None,
    };
    flightline::tenancy::provision(db, &registry, &new, None)
        .await
        .expect("provision")
        .tenant
}
