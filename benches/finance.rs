//! Finance at volume (issue 16's targets), in the server: the domain's own functions called in
//! a tenant transaction against a real PostgreSQL (no HTTP), a tenant provisioned like any other.
//!
//! - the invoice drafted from a check-in (price list lookup, account, lines, taxes, audit):
//!   target at most 20 ms;
//! - a statement of a customer with 5,000 ledger entries: target at most 20 ms;
//! - the monthly revenue report over 100,000 invoice lines (25,000 issued invoices of four
//!   lines, posted to the ledger): target at most 200 ms;
//! - 32 concurrent issuers: every number gapless and unique, and their throughput.
//!
//! A report, not a timed test: `cargo bench --bench finance`; the database is
//! `BENCH_DATABASE_URL` (default `flightline_bench_finance`, recreated).

use std::sync::Arc;
use std::time::Instant;

use chrono::{Days, Utc};
use flightline::audit::Actor;
use flightline::db::{self, Db};
use flightline::domains::finance::service::{self as finance, BookingFlown};
use flightline::kernel::{AircraftId, BookingId, UserId};
use flightline::tenancy::TenantKind;
use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

mod common;
use common::{cpu, recreate_database, summary};

#[tokio::main]
async fn main() {
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench_finance".into());
    recreate_database(&db_url).await;
    let settings = common::settings(&db_url);
    let db = Db::connect_lazy(&settings).expect("db");
    db::migrate_platform(&db)
        .await
        .expect("platform migrations");
    let tenant = common::provision(
        &db,
        "finance-bench",
        "Finance bench",
        TenantKind::FlightSchool,
    )
    .await;

    // A student, an instructor, an aircraft, its prices (tiered and not), an instructor rate,
    // a landing fee applied at check-in and a tax.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let people: Vec<Uuid> = sqlx::query_scalar(
        "insert into users (id, email, name) select gen_random_uuid(), 'p' || g || '@bench.example', 'Person ' || g
           from generate_series(1, 2) g returning id",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("users");
    let aircraft: Uuid = sqlx::query_scalar(
        "insert into aircraft (id, registration, make, model) values (gen_random_uuid(), 'N172FB', 'Cessna', '172S')
         returning id",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("aircraft");
    sqlx::query(
        "with tax as (insert into tax_rates (id, name, rate_ppm) values (gen_random_uuid(), 'State', 62500) returning id)
         insert into price_items (id, code, name, category, unit, unit_price_minor, currency, aircraft_id,
                                  instructor_id, price_tier, applies_at, tax_rate_ids)
         values (gen_random_uuid(), 'c172', 'C172 wet', 'aircraft', 'hobbs_hour', 18500, 'USD', $1, null, null, null, '{}'),
                (gen_random_uuid(), 'c172-m', 'C172 wet (member)', 'aircraft', 'hobbs_hour', 16000, 'USD', $1, null, 'member', null, '{}'),
                (gen_random_uuid(), 'cfi', 'Instruction', 'instructor', 'hour', 7000, 'USD', null, null, null, null, '{}'),
                (gen_random_uuid(), 'landing', 'Landing fee', 'fee', 'each', 1500, 'USD', null, null, null, 'check_in',
                 array[(select id from tax)])",
    )
    .bind(aircraft)
    .execute(&mut *tx)
    .await
    .expect("prices");
    tx.commit().await.expect("commit");

    // 1. The invoice drafted from a check-in: 250 bookings, the first 50 warm-up.
    let mut times = Vec::new();
    for i in 0..250 {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let flown = BookingFlown {
            booking_id: BookingId(Uuid::now_v7()),
            aircraft_id: AircraftId(aircraft),
            pilot_id: UserId(people[0]),
            instructor_id: Some(UserId(people[1])),
            hobbs_tenths: Some(13),
            tach_tenths: Some(11),
            block_minutes: Some(95),
        };
        let t = Instant::now();
        let id = finance::draft_for_booking(&mut tx, Actor::system(), &flown)
            .await
            .expect("draft");
        let took = t.elapsed();
        tx.commit().await.expect("commit");
        assert!(id.is_some());
        if i >= 50 {
            times.push(took);
        }
    }
    let draft_report = summary(times);

    // 2. A statement of 5,000 entries: a customer with 5,000 payments over the last year.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let account: Uuid = sqlx::query_scalar(
        "insert into finance_accounts (id, kind, name, currency) values (gen_random_uuid(), 'person', 'Busy', 'USD')
         returning id",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("account");
    sqlx::query(
        "with t as (
             insert into ledger_transactions (id, kind, account_id, memo, created_at)
             select gen_random_uuid(), 'payment_received', $1, 'Payment ' || g,
                    now() - make_interval(mins => g * 100)
             from generate_series(1, 5000) g returning id, created_at)
         insert into ledger_lines (transaction_id, ledger, customer_account_id, amount_minor, currency, created_at)
         select id, l.ledger, case when l.ledger = 'deposits' then $1 end, l.amount, 'USD', created_at
         from t, (values ('cash', 1000::bigint), ('deposits', -1000::bigint)) as l(ledger, amount)",
    )
    .bind(account)
    .execute(&mut *tx)
    .await
    .expect("ledger");
    tx.commit().await.expect("commit");
    let today = Utc::now().date_naive();
    let from = today - Days::new(365);
    let mut times = Vec::new();
    for i in 0..120 {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t = Instant::now();
        let s = finance::statement(&mut tx, account, Some(from), Some(today))
            .await
            .expect("statement");
        if i >= 20 {
            times.push(t.elapsed());
        }
        assert_eq!(s.entries.len(), 5000);
        assert_eq!(s.closing_owed_minor, -5_000_000);
    }
    let statement_report = summary(times);

    // 3. The revenue report over 100,000 invoice lines: 25,000 issued invoices of four lines
    // (aircraft, instructor, fee, fuel), spread over twelve months, posted to the ledger.
    let mut tx = tenant.begin(&db).await.expect("tx");
    sqlx::raw_sql(
        "create temporary table inv_bench on commit drop as
             select gen_random_uuid() as id, g, now() - make_interval(hours => g / 3) as at
             from generate_series(1, 25000) g;
         insert into invoices (id, account_id, currency, subtotal_minor, tax_minor, total_minor,
                               created_at)
             select i.id, a.id, 'USD', 30000, 0, 30000, i.at
             from inv_bench i, (select id from finance_accounts where name = 'Busy') a;
         insert into invoice_lines (id, invoice_id, line_no, description, category, unit,
                                    quantity_milli, unit_price_minor, amount_minor, net_minor, tax_minor)
             select gen_random_uuid(), i.id, c.n, c.category, c.category, 'each', 1000, 7500, 7500, 7500, 0
             from inv_bench i,
                  (values (1, 'aircraft'), (2, 'instructor'), (3, 'fee'), (4, 'fuel')) as c(n, category);
         update invoices v set status = 'issued', number = 'B-' || i.g, issue_date = i.at::date,
                               due_date = i.at::date, issued_at = i.at
             from inv_bench i where v.id = i.id;
         with t as (
             insert into ledger_transactions (id, kind, account_id, invoice_id, memo, created_at)
             select gen_random_uuid(), 'invoice_issued', a.id, i.id, 'Invoice B-' || i.g, i.at
             from inv_bench i, (select id from finance_accounts where name = 'Busy') a
             returning id, invoice_id, account_id, created_at)
         insert into ledger_lines (transaction_id, ledger, category, customer_account_id, invoice_id,
                                   amount_minor, currency, created_at)
             select t.id, 'receivables', null, t.account_id, t.invoice_id, 30000, 'USD', t.created_at from t
             union all
             select t.id, 'revenue', c.category, null, null, -7500, 'USD', t.created_at
             from t, (values ('aircraft'), ('instructor'), ('fee'), ('fuel')) as c(category);",
    )
    .execute(&mut *tx)
    .await
    .expect("invoices");
    tx.commit().await.expect("commit");
    sqlx::raw_sql("vacuum (analyze)")
        .execute(&mut sqlx::PgConnection::connect(&db_url).await.expect("conn"))
        .await
        .expect("vacuum");
    let lines: i64 = {
        let mut tx = tenant.begin(&db).await.expect("tx");
        sqlx::query_scalar("select count(*) from invoice_lines")
            .fetch_one(&mut *tx)
            .await
            .expect("count")
    };
    let mut times = Vec::new();
    for i in 0..60 {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t = Instant::now();
        let r = finance::revenue_report(&mut tx, None, None)
            .await
            .expect("report");
        if i >= 10 {
            times.push(t.elapsed());
        }
        assert!(r.rows.len() >= 48);
    }
    let revenue_report = summary(times);

    // 4. 32 concurrent issuers, 25 drafts each: gapless, unique numbers; issues per second.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let drafts: Vec<Uuid> = sqlx::query_scalar(
        "with a as (
             insert into finance_accounts (id, kind, name, currency)
             values (gen_random_uuid(), 'organization', 'Issuers', 'USD') returning id),
         d as (
             insert into invoices (id, account_id, currency)
             select gen_random_uuid(), a.id, 'USD' from generate_series(1, 800) g, a
             returning id)
         insert into invoice_lines (id, invoice_id, line_no, description, category, unit,
                                    quantity_milli, unit_price_minor, amount_minor, net_minor, tax_minor)
         select gen_random_uuid(), d.id, 1, 'Fee', 'fee', 'each', 1000, 100, 100, 100, 0 from d
         returning invoice_id",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("drafts");
    sqlx::query("update invoices set subtotal_minor = 100, total_minor = 100 where id = any($1)")
        .bind(&drafts)
        .execute(&mut *tx)
        .await
        .expect("totals");
    tx.commit().await.expect("commit");
    let tenant = Arc::new(tenant);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in drafts.chunks(25) {
        let chunk = chunk.to_vec();
        let tenant = tenant.clone();
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for id in chunk {
                let mut tx = tenant.begin(&db).await.expect("tx");
                let inv = finance::issue(&mut tx, None, id).await.expect("issue");
                tx.commit().await.expect("commit");
                numbers.push(inv.number.expect("number"));
            }
            numbers
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed();
    let mut n: Vec<i64> = numbers
        .iter()
        .map(|s| s.rsplit('-').next().expect("n").parse().expect("number"))
        .collect();
    n.sort_unstable();
    let gapless = n == (1..=drafts.len() as i64).collect::<Vec<_>>();
    assert!(gapless, "numbers are gapless and unique");

    let report = json!({
        "host": {"cpu": cpu(), "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)},
        "draft_from_check_in": {"target_ms": 20, "timing": draft_report},
        "statement_5000_entries": {"target_ms": 20, "timing": statement_report},
        "revenue_report": {"invoice_lines": lines, "target_ms": 200, "timing": revenue_report},
        "concurrent_issuers": {
            "issuers": 32, "issued": numbers.len(), "gapless_and_unique": gapless,
            "seconds": (elapsed.as_secs_f64() * 100.0).round() / 100.0,
            "per_second": (numbers.len() as f64 / elapsed.as_secs_f64()).round()
        },
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
