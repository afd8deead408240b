//! Pricing a charter quote (issue 18's target: a 4-leg quote with positioning legs in at most
//! 20 ms in the server): `charter::service::price` as `POST /api/v1/charter/quotes` calls it, in
//! a tenant transaction against a real PostgreSQL holding the 28,298 shipped airports (no HTTP).
//!
//! The tenant: a Citation CJ2 based at Teterboro with its charter rate (positioning rate, daily
//! minimum, overnights, catering, margin, a tax), a customer, an FBO with a profile and landing
//! and handling fees at every stop (a second one at Aspen and Las Vegas, a fee for the CJ2's type
//! at some), and 600 other contacts (100 of them FBOs elsewhere). The request: KHPN→KASE,
//! KASE→KSDL, KPHX→KLAS, KLAS→KVNY over four days, so positioning is priced from the base
//! (KTEB→KHPN), between legs 2 and 3 (KSDL→KPHX) and back (KVNY→KTEB): 7 legs in four time
//! zones. Each pricing loads the customer, the aircraft, the rate, every stop with its FBO's
//! fees and the taxes. Timed: the whole transaction (begin with the tenant's search path, the
//! pricing, commit) and the pricing alone, 2,000 in a row, after a warm-up that opens the pool's
//! connections as traffic would (320 pricings 32 at a time, then 200 in a row). The host's
//! speed indicator is the argon2id hash of the load benchmark.
//!
//! A report, not a timed test: `cargo bench --bench quotes`; the database is
//! `BENCH_DATABASE_URL` (default `flightline_bench_quotes`, recreated).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use flightline::db::{self, Db};
use flightline::domains::charter::service::{self as charter, QuoteLegRequest, QuoteRequest};
use flightline::tenancy::TenantKind;
use serde_json::json;
use uuid::Uuid;

mod common;
use common::{argon2id_ms, cpu, recreate_database, summary};

const WARM_UP: usize = 200;
const TIMED: usize = 2_000;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

fn leg(from: &str, to: &str, departs_at: &str, passengers: i32, catering: bool) -> QuoteLegRequest {
    QuoteLegRequest {
        from: from.into(),
        to: to.into(),
        departs_at: at(departs_at),
        passengers,
        catering,
        fbo_id: None,
    }
}

/// An FBO at `airport` with a profile in USD and landing and handling fees (and a handling fee
/// for the C25A when `type_fee` is set).
async fn fbo(
    conn: &mut sqlx::PgConnection,
    name: &str,
    airport: &str,
    landing: i64,
    handling: i64,
    type_fee: Option<i64>,
) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "with c as (insert into contacts (id, kind, name, roles, airport_code)
                    values ($1, 'organization', $2, array['fbo'], $3) returning id),
              p as (insert into contact_fbo_profiles (contact_id, services, currency)
                    select id, array['fuel_jet_a', 'gpu', 'crew_car'], 'USD' from c returning contact_id)
         insert into contact_fees (contact_id, kind, aircraft_type, amount_minor)
         select contact_id, f.kind, f.aircraft_type, f.amount_minor from p,
                (values ('landing', '', $4::bigint), ('handling', '', $5::bigint),
                        ('parking_night', '', 15000::bigint)) f (kind, aircraft_type, amount_minor)
         union all
         select contact_id, 'handling', 'C25A', $6::bigint from p where $6::bigint is not null",
    )
    .bind(id)
    .bind(name)
    .bind(airport)
    .bind(landing)
    .bind(handling)
    .bind(type_fee)
    .execute(conn)
    .await
    .expect("fbo");
    id
}

#[tokio::main]
async fn main() {
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench_quotes".into());
    recreate_database(&db_url).await;
    let settings = common::settings(&db_url);
    let db = Db::connect_lazy(&settings).expect("db");
    db::migrate_platform(&db)
        .await
        .expect("platform migrations");
    db::load_reference(&db, &flightline::domains::CATALOG)
        .await
        .expect("reference data");
    let tenant = common::provision(
        &db,
        "quotes-bench",
        "Quotes bench",
        TenantKind::CharterOperator,
    )
    .await;

    // The aircraft, its type and rate, the tax, the customer, the FBOs; other contacts.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let type_id = Uuid::now_v7();
    sqlx::query(
        "insert into aircraft_types (id, designator, manufacturer, model, category, class,
             engine_type, engine_count, seats, cruise_speed_kts)
         values ($1, 'C25A', 'Cessna', 'Citation CJ2', 'airplane', 'multi_engine_land',
                 'turbofan', 2, 8, 400)",
    )
    .bind(type_id)
    .execute(&mut *tx)
    .await
    .expect("aircraft type");
    // As `POST /api/v1/fleet/aircraft` stores it: the type's designator, seats and speed copied.
    let aircraft_id = Uuid::now_v7();
    sqlx::query(
        "insert into aircraft (id, registration, aircraft_type_id, make, model, type_designator,
             category, class, engine_type, seats, cruise_speed_kts, home_base, hobbs_tenths,
             tach_tenths)
         values ($1, 'N525CJ', $2, 'Cessna', 'Citation CJ2', 'C25A', 'airplane',
                 'multi_engine_land', 'turbofan', 8, 400, 'KTEB', 30000, 30000)",
    )
    .bind(aircraft_id)
    .bind(type_id)
    .execute(&mut *tx)
    .await
    .expect("aircraft");
    let tax_id = Uuid::now_v7();
    sqlx::query(
        "insert into tax_rates (id, name, rate_ppm) values ($1, 'US federal excise tax', 75000)",
    )
    .bind(tax_id)
    .execute(&mut *tx)
    .await
    .expect("tax rate");
    sqlx::query(
        "insert into charter_rates (aircraft_type_id, currency, hourly_minor,
             positioning_hourly_minor, daily_minimum_minutes, crew_overnight_minor,
             catering_per_passenger_minor, margin_ppm, tax_rate_ids)
         values ($1, 'USD', 450000, 350000, 120, 60000, 7500, 100000, array[$2::uuid])",
    )
    .bind(type_id)
    .bind(tax_id)
    .execute(&mut *tx)
    .await
    .expect("charter rate");
    let customer_id = Uuid::now_v7();
    sqlx::query(
        "insert into contacts (id, kind, name, roles) values ($1, 'organization', 'Acme', array['customer'])",
    )
    .bind(customer_id)
    .execute(&mut *tx)
    .await
    .expect("customer");
    sqlx::query(
        "insert into contacts (id, kind, name, roles)
         select gen_random_uuid(), 'organization', 'Customer ' || g,
                case when g % 5 = 0 then array['vendor'] else array['customer'] end
           from generate_series(1, 500) g",
    )
    .execute(&mut *tx)
    .await
    .expect("other contacts");
    for g in 0..100 {
        fbo(
            &mut tx,
            &format!("FBO {g}"),
            &format!("X{g:03}"),
            10_000,
            20_000,
            None,
        )
        .await;
    }
    fbo(&mut tx, "Signature TEB", "KTEB", 20_000, 60_000, None).await;
    fbo(&mut tx, "Million Air HPN", "KHPN", 25_000, 50_000, None).await;
    fbo(
        &mut tx,
        "Atlantic ASE",
        "KASE",
        40_000,
        90_000,
        Some(75_000),
    )
    .await;
    let aspen = fbo(&mut tx, "Signature ASE", "KASE", 40_000, 95_000, None).await;
    fbo(&mut tx, "Ross Aviation SDL", "KSDL", 15_000, 45_000, None).await;
    fbo(&mut tx, "Cutter PHX", "KPHX", 18_000, 40_000, Some(35_000)).await;
    fbo(
        &mut tx,
        "Atlantic LAS",
        "KLAS",
        22_000,
        55_000,
        Some(50_000),
    )
    .await;
    fbo(&mut tx, "Signature LAS", "KLAS", 22_000, 60_000, None).await;
    fbo(
        &mut tx,
        "Clay Lacy VNY",
        "KVNY",
        20_000,
        65_000,
        Some(60_000),
    )
    .await;
    tx.commit().await.expect("commit");
    let mut tx = tenant.begin(&db).await.expect("tx");
    sqlx::raw_sql(
        "analyze reference.airports; analyze contacts; analyze contact_fbo_profiles;
         analyze contact_fees; analyze aircraft; analyze aircraft_types; analyze charter_rates;
         analyze tax_rates",
    )
    .execute(&mut *tx)
    .await
    .expect("analyze");
    tx.commit().await.expect("commit");

    // Four legs over four days; the first starts away from base, legs 2 and 3 do not join, the
    // last ends away from base. The first leg's arrival names its FBO at Aspen.
    let mut first = leg("KHPN", "KASE", "2026-12-18T14:00:00Z", 6, true);
    first.fbo_id = Some(aspen);
    let request = QuoteRequest {
        customer_id,
        aircraft_id,
        legs: vec![
            first,
            leg("KASE", "KSDL", "2026-12-19T17:00:00Z", 6, false),
            leg("KPHX", "KLAS", "2026-12-20T16:00:00Z", 4, true),
            leg("KLAS", "KVNY", "2026-12-21T20:00:00Z", 4, false),
        ],
        valid_until: None,
        notes: None,
    };

    // Warm-up as a server gets it under traffic: 32 pricings at once, 10 times over, so the
    // pool opens its connections (32 in production, in 4 tenant-affine pools) and each has
    // prepared the statements; then 200 in a row. Each pricing in its own transaction, as a
    // request has it.
    let mut priced = None;
    for _ in 0..10 {
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (tenant, db, request) = (tenant.clone(), db.clone(), request.clone());
                tokio::spawn(async move {
                    let mut tx = tenant.begin(&db).await.expect("tx");
                    let p = charter::price(&mut tx, &request).await.expect("price");
                    tx.commit().await.expect("commit");
                    p
                })
            })
            .collect();
        for t in tasks {
            let p = t.await.expect("task");
            match &priced {
                None => priced = Some(p),
                Some(q) => assert_eq!(q, &p, "the same request prices the same"),
            }
        }
    }
    let connections = || async {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let n: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity
              where datname = current_database() and application_name = 'flightline'",
        )
        .fetch_one(&mut *tx)
        .await
        .expect("connections");
        tx.commit().await.expect("commit");
        n
    };
    let mut whole = Vec::with_capacity(TIMED);
    let mut alone = Vec::with_capacity(TIMED);
    let mut connections_before = 0;
    for i in 0..WARM_UP + TIMED {
        if i == WARM_UP {
            connections_before = connections().await;
        }
        let t0 = Instant::now();
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t1 = Instant::now();
        let p = charter::price(&mut tx, &request).await.expect("price");
        let t2 = Instant::now();
        tx.commit().await.expect("commit");
        let t3 = Instant::now();
        assert_eq!(
            priced.as_ref(),
            Some(&p),
            "the same request prices the same"
        );
        if i >= WARM_UP {
            whole.push(t3 - t0);
            alone.push(t2 - t1);
        }
    }
    let connections_after = connections().await;
    let over_target = whole
        .iter()
        .filter(|t| **t > Duration::from_millis(20))
        .count();
    let priced = priced.expect("priced");
    let route: Vec<String> = priced
        .legs
        .iter()
        .map(|l| {
            format!(
                "{}→{}{}",
                l.from,
                l.to,
                if l.positioning { " (positioning)" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        priced.legs.iter().filter(|l| l.positioning).count(),
        3,
        "positioning from base, between legs 2 and 3, and back: {route:?}"
    );
    let kinds = priced
        .lines
        .iter()
        .fold(std::collections::BTreeMap::new(), |mut m, l| {
            *m.entry(l.kind.clone()).or_insert(0) += 1;
            m
        });
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "benchmark": "pricing a 4-leg charter quote with positioning legs, in a tenant transaction",
            "cpu": cpu(),
            "argon2id_hash_ms": argon2id_ms().await,
            "legs": route,
            "lines": kinds,
            "total_minor": priced.total_minor,
            "warnings": priced.warnings,
            "connections_before_after_timing": [connections_before, connections_after],
            "transactions_over_20_ms": over_target,
            "transaction": summary(whole),
            "price_alone": summary(alone),
            "target_p99_ms": 20,
        }))
        .expect("json")
    );
}
