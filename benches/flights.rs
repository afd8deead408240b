//! The logbook with a long history (issue 14's targets): a pilot with 10,000 entries, their
//! totals (one statement: overall, 30/90/365 days, by category and class and by type; target
//! at most 20 ms) and the currency facts, then a ForeFlight CSV of those 10,000 entries parsed
//! and inserted into another pilot's logbook (target at most 5 s). Real PostgreSQL, a tenant
//! provisioned like any other, the domain's own functions called in a tenant transaction (no
//! HTTP). A report, not a timed test: `cargo bench --bench flights`; the database is
//! `BENCH_DATABASE_URL` (default `flightline_bench_flights`, recreated).

use std::time::Instant;

use chrono::{Days, Utc};
use flightline::db::{self, Db};
use flightline::domains::certificates::service as certificates;
use flightline::domains::flights::logbook::csv::{foreflight, foreflight_parse, insert};
use flightline::domains::flights::logbook::{repo, totals};
use flightline::domains::flights::service;
use flightline::kernel::UserId;
use flightline::tenancy::TenantKind;
use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

mod common;
use common::{cpu, recreate_database, summary};

const ENTRIES: i64 = 10_000;

#[tokio::main]
async fn main() {
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench_flights".into());
    recreate_database(&db_url).await;
    let settings = common::settings(&db_url);
    let db = Db::connect_lazy(&settings).expect("db");
    db::migrate_platform(&db)
        .await
        .expect("platform migrations");
    let tenant = common::provision(
        &db,
        "logbook-bench",
        "Logbook bench",
        TenantKind::FlightSchool,
    )
    .await;

    // Two pilots; the first gets 10,000 entries over 27 years, mixed classes, types,
    // night, instrument, simulator sessions and approaches.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let people: Vec<Uuid> = sqlx::query_scalar(
        "insert into users (id, email, name) select gen_random_uuid(), 'p' || g || '@bench.example', 'Pilot ' || g
           from generate_series(1, 2) g returning id",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("users");
    let today = Utc::now().date_naive();
    sqlx::query(
        "insert into logbook_entries (id, person_id, date, registration, type_code, category, class,
             departure, destination, total_minutes, pic_minutes, dual_received_minutes,
             cross_country_minutes, night_minutes, actual_instrument_minutes,
             simulated_instrument_minutes, simulator_minutes, simulator_kind, day_landings,
             day_full_stop_landings, night_full_stop_landings, approaches, approach_details, holds)
         select gen_random_uuid(), $1, $2::date - g, case when g % 10 = 0 then null else 'N' || (g % 40) || 'FL' end,
                (array['C172','PA28','DA42','SR22'])[g % 4 + 1],
                case when g % 10 = 0 then null else 'airplane' end,
                case when g % 10 = 0 then null when g % 4 = 2 then 'multi_engine_land' else 'single_engine_land' end,
                'KPAO', 'KSQL',
                case when g % 10 = 0 then 0 else 60 + g % 120 end,
                case when g % 10 = 0 or g % 3 = 0 then 0 else 60 + g % 120 end,
                case when g % 10 = 0 then 60 when g % 3 = 0 then 60 + g % 120 else 0 end,
                case when g % 10 <> 0 and g % 5 = 0 then 60 else 0 end,
                case when g % 10 <> 0 and g % 7 = 0 then 30 else 0 end,
                case when g % 10 <> 0 and g % 11 = 0 then 20 else 0 end,
                case when g % 10 = 0 then 50 else 0 end,
                case when g % 10 = 0 then 60 else 0 end,
                case when g % 10 = 0 then 'ftd' end,
                g % 4 + g % 3, g % 3, case when g % 10 <> 0 and g % 7 = 0 then 1 else 0 end,
                case when g % 10 = 0 then 3 else 0 end,
                case when g % 10 = 0 then '[{\"type\": \"ils\", \"runway\": \"31\", \"airport\": \"KSQL\", \"count\": 2}]'::jsonb else '[]' end,
                case when g % 10 = 0 then 1 else 0 end
           from generate_series(1, $3::int) g",
    )
    .bind(people[0])
    .bind(today)
    .bind(ENTRIES)
    .execute(&mut *tx)
    .await
    .expect("entries");
    tx.commit().await.expect("commit");
    sqlx::raw_sql("vacuum (analyze)")
        .execute(&mut sqlx::PgConnection::connect(&db_url).await.expect("conn"))
        .await
        .expect("vacuum");
    let (a, b) = (UserId(people[0]), UserId(people[1]));

    // Totals: warm up, then 200 timed statements, each in its own transaction.
    let mut times = Vec::new();
    for i in 0..250 {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t = Instant::now();
        let got = totals::totals(&mut tx, a, today, "UTC")
            .await
            .expect("totals");
        if i >= 50 {
            times.push(t.elapsed());
        }
        assert_eq!(got.overall.entries, ENTRIES);
    }
    let totals_report = summary(times);
    let mut times = Vec::new();
    for _ in 0..100 {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t = Instant::now();
        let n = service::currency_entries(&mut tx, a, today - Days::new(760))
            .await
            .expect("facts")
            .len();
        times.push(t.elapsed());
        assert!(n > 0);
    }
    let currency_report = summary(times);

    // The compliance answer in the server (issue 14's target: at most 2 ms for a person with
    // 2,000 logbook entries): a third pilot with 2,000 entries, all inside the 25 months the
    // engine reads, a medical and a flight review; the certificates domain's `assess` as
    // scheduling calls it (the certificates statement, the logbook statement, the rules).
    let mut tx = tenant.begin(&db).await.expect("tx");
    let c: Uuid = sqlx::query_scalar(
        "insert into users (id, email, name) values (gen_random_uuid(), 'p3@bench.example', 'Pilot 3') returning id",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("user");
    sqlx::query(
        "insert into logbook_entries (id, person_id, date, registration, type_code, category, class,
             total_minutes, pic_minutes, night_minutes, day_landings, day_full_stop_landings,
             night_full_stop_landings, approaches, holds, intercept_track)
         select gen_random_uuid(), $1, $2::date - (g * 37 / 100), 'N1FL', 'C172', 'airplane',
                'single_engine_land', 70, 70, case when g % 5 = 0 then 30 else 0 end, 2, 1,
                case when g % 5 = 0 then 1 else 0 end, g % 3, g % 2, g % 2 = 0
           from generate_series(1, 2000) g",
    )
    .bind(c)
    .bind(today)
    .execute(&mut *tx)
    .await
    .expect("entries");
    sqlx::query(
        "insert into medical_certificates (id, person_id, authority, class, examined_on, date_of_birth)
         values (gen_random_uuid(), $1, 'faa', 'second', $2::date - 100, date '1980-03-14')",
    )
    .bind(c)
    .bind(today)
    .execute(&mut *tx)
    .await
    .expect("medical");
    tx.commit().await.expect("commit");
    let aircraft = certificates::AircraftFacts {
        aircraft: flightline::compliance::currency::Aircraft {
            category: "airplane".into(),
            class: "single_engine_land".into(),
            type_rating: None,
            tailwheel: false,
        },
        type_code: "C172".into(),
    };
    let ask = certificates::Ask {
        role: certificates::Role::PicWithPassengers,
        at: Utc::now(),
        night: true,
        rules: certificates::FlightRules::Ifr,
        privileges: certificates::FaaPrivileges::Commercial,
        warn_days: 30,
        checkout: true,
    };
    let mut times = Vec::new();
    // `BENCH_COMPLIANCE_N` answers in all (default 250, the first 50 not timed): more for a
    // profile.
    let n: usize = std::env::var("BENCH_COMPLIANCE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    for i in 0..n {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t = Instant::now();
        let answer = certificates::assess(&mut tx, UserId(c), &aircraft, &ask)
            .await
            .expect("answer");
        if i >= 50 {
            times.push(t.elapsed());
        }
        assert!(answer.findings.len() >= 5);
    }
    let compliance_report = summary(times);

    // Import: the first pilot's logbook as ForeFlight CSV, parsed and inserted for the second.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let entries = repo::all_of(&mut tx, a).await.expect("all");
    drop(tx);
    let csv = foreflight::write(&entries, &Default::default());
    let text = String::from_utf8(csv).expect("utf-8");
    let t = Instant::now();
    let rows = foreflight_parse::parse(&text, 20_000)
        .map_err(|e| e.errors)
        .expect("parse");
    let parse = t.elapsed();
    let mut tx = tenant.begin(&db).await.expect("tx");
    let t = Instant::now();
    let n = insert::insert_all(&mut tx, b, &rows).await.expect("insert");
    tx.commit().await.expect("commit");
    let store = t.elapsed();
    assert_eq!(n, ENTRIES as u64);
    let report = json!({
        "date": Utc::now().to_rfc3339(),
        "cpu": cpu(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "profile": if cfg!(debug_assertions) { "dev (unoptimised)" } else { "release" },
        "entries": ENTRIES,
        "totals": totals_report,
        "currency_entries_two_years": currency_report,
        "compliance_answer_2000_entries": compliance_report,
        "import_foreflight": {
            "bytes": text.len(),
            "rows": rows.len(),
            "parse_ms": (parse.as_secs_f64() * 1e5).round() / 100.0,
            "insert_commit_ms": (store.as_secs_f64() * 1e5).round() / 100.0,
        },
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
