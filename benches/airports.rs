//! Airport search over the full dataset (issue 18's target: p99 at most 5 ms), in the server:
//! the domain's search in a tenant transaction against a real PostgreSQL holding the 28,298
//! shipped airports (no HTTP). Terms of each kind: codes (ICAO, IATA, local), name and city
//! prefixes, words inside names, misspellings, one- and two-letter terms, a country filter.
//!
//! A report, not a timed test: `cargo bench --bench airports`; the database is
//! `BENCH_DATABASE_URL` (default `flightline_bench_airports`, recreated).

use std::time::Instant;

use flightline::db::{self, Db};
use flightline::domains::airports::service as airports;
use flightline::tenancy::TenantKind;
use serde_json::json;

mod common;
use common::{cpu, recreate_database, summary};

const TERMS: &[(&str, Option<&str>)] = &[
    ("LSZH", None),
    ("ZRH", None),
    ("00M", None),
    ("KJFK", None),
    ("heathrow", None),
    ("london", None),
    ("zurich", Some("CH")),
    ("international", None),
    ("municipal", Some("US")),
    ("san fran", None),
    ("frankfrt", None),
    ("charles de gaule", None),
    ("z", None),
    ("ab", None),
    ("regional airport", None),
    ("springfield", None),
];

#[tokio::main]
async fn main() {
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench_airports".into());
    recreate_database(&db_url).await;
    let settings = common::settings(&db_url);
    let db = Db::connect_lazy(&settings).expect("db");
    db::migrate_platform(&db)
        .await
        .expect("platform migrations");
    let started = Instant::now();
    db::load_reference(&db, &flightline::domains::CATALOG)
        .await
        .expect("reference data");
    let load = started.elapsed();
    let tenant = common::provision(
        &db,
        "airports-bench",
        "Airports bench",
        TenantKind::CharterOperator,
    )
    .await;
    {
        let mut tx = tenant.begin(&db).await.expect("tx");
        sqlx::query("analyze reference.airports")
            .execute(&mut *tx)
            .await
            .expect("analyze");
        tx.commit().await.expect("commit");
    }

    // Warm up, then every term 100 times, each in its own transaction as a request has it.
    let mut times = Vec::new();
    let mut per_term = Vec::new();
    for round in 0..101 {
        for (term, country) in TERMS {
            let t = Instant::now();
            let mut tx = tenant.begin(&db).await.expect("tx");
            let found = airports::search(&mut tx, term, *country, 50)
                .await
                .expect("search");
            tx.commit().await.expect("commit");
            let took = t.elapsed();
            if round == 0 {
                per_term.push(json!({"q": term, "country": country, "results": found.len()}));
                continue;
            }
            times.push(took);
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "benchmark": "airport search, 28,298 airports, 16 kinds of term, limit 50",
            "cpu": cpu(),
            "reference_load_ms": load.as_millis(),
            "terms": per_term,
            "search": summary(times),
            "target_p99_ms": 5,
        }))
        .expect("json")
    );
}
