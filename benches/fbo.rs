//! Issue 19's two targets, against the real server (in this process, over HTTP on localhost)
//! and a real PostgreSQL:
//!
//! 1. **The board.** `GET /api/v1/fbo/board?airport=KTEB&date=<today>` for an FBO with 300
//!    flights that day, each with two fuel orders (one completed by a fueler, one requested)
//!    and a ground-power task, 60 of them parked, over 30 earlier days of the same traffic
//!    (9,000 flights, 18,000 orders and 9,000 tasks of history). Timed: the whole request as the client sees it (so the server's share
//!    is at most that), 500 in a row after 50 unmeasured. Target: ≤ 10 ms.
//! 2. **The live feed.** 100 Server-Sent Events subscribers of one tenant (and 10 of another)
//!    connected to `GET /api/v1/fbo/events`; then 30 rounds, each one fuel order change
//!    (`PATCH`), timed from sending the change to each subscriber reading its event. Target:
//!    every subscriber within 1 s; the other tenant's subscribers see nothing.
//!
//! The host's speed indicator is the argon2id hash of the load benchmark. A report, not a timed
//! test: `cargo bench --bench fbo`; the database is `BENCH_DATABASE_URL` (default
//! `flightline_bench_fbo`, recreated).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;

mod common;
use common::{argon2id_ms, cpu, recreate_database, summary};

const PASSWORD: &str = "benchmark-password";
const FLIGHTS_PER_DAY: i64 = 300;
const HISTORY_DAYS: i64 = 30;
const SUBSCRIBERS: usize = 100;
const OTHER_SUBSCRIBERS: usize = 10;
const ROUNDS: usize = 30;
const SLUG: &str = "bench-fbo";
const OTHER_SLUG: &str = "bench-fbo-other";

/// The server's own time of each request it served (`latency_ms` of its access log, measured
/// by the HTTP middleware from the request's arrival to the response with its body), collected
/// by a tracing layer: the "in the server" figure of the target.
static SERVED_MS: Mutex<Vec<f64>> = Mutex::new(Vec::new());

struct Served;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Served {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Latency(Option<f64>);
        impl tracing::field::Visit for Latency {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "latency_ms" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut v = Latency(None);
        event.record(&mut v);
        if let Some(ms) = v.0 {
            SERVED_MS.lock().unwrap_or_else(|e| e.into_inner()).push(ms);
        }
    }
}

/// Provisions an FBO tenant whose admin can log in, and logs in: its bearer token.
async fn tenant(
    db: &flightline::db::Db,
    base: &str,
    client: &reqwest::Client,
    slug: &str,
) -> (flightline::tenancy::Tenant, String) {
    let registry = flightline::tenancy::TenantRegistry::new(
        db.clone(),
        Duration::from_secs(60),
        &flightline::domains::CATALOG,
    );
    let hash = flightline::auth::password::Passwords::new(1, 16)
        .expect("passwords")
        .hash(PASSWORD)
        .await
        .expect("hash");
    let new = flightline::tenancy::NewTenant {
        slug: slug.into(),
        name: "Bench FBO".into(),
        kind: flightline::tenancy::TenantKind::Fbo,
        plan: "trial".into(),
        admin_email: format!("admin@{slug}.example"),
        admin_name: "Bench".into(),
        admin_password_hash: Some(hash),
        trial_ends_at: None,
    };
    let t = flightline::tenancy::provision(db, &registry, &new, None)
        .await
        .expect("provision")
        .tenant;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .header("X-Tenant-ID", slug)
        .json(&json!({"email": new.admin_email, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let token = login["access_token"].as_str().expect("token").to_owned();
    (t, token)
}

/// 300 flights a day at KTEB for today and the 30 days before, each with a completed and a
/// requested fuel order, half of today's parked; 60 ramp spots, a truck.
async fn seed(db: &flightline::db::Db, t: &flightline::tenancy::Tenant) {
    let mut tx = t.begin(db).await.expect("tx");
    let admin: uuid::Uuid = sqlx::query_scalar("select id from users limit 1")
        .fetch_one(&mut *tx)
        .await
        .expect("admin");
    sqlx::raw_sql(
        "insert into fbo_parking_locations (id, airport_code, location_code, name, kind)
         select gen_random_uuid(), 'KTEB', 'R' || g, 'Ramp ' || g, 'ramp'
           from generate_series(1, 60) g;
         insert into fbo_fuel_tanks (id, airport_code, name, kind, product, capacity_l)
         values (gen_random_uuid(), 'KTEB', 'Truck 1', 'truck', 'jet_a', 20000);",
    )
    .execute(&mut *tx)
    .await
    .expect("spots");
    // Today at Teterboro, in New York time: 06:00 plus 3 minutes a flight; each stays 2 hours.
    sqlx::query(
        "insert into fbo_flights (id, airport_code, tail_number, aircraft_type, operator_name,
             eta, etd, arrived_at, passengers, services, status, tags)
         select gen_random_uuid(), 'KTEB', 'N' || (10000 + d * 1000 + g), 'C25A', 'Operator ' || g,
                day + interval '6 hours' + g * interval '3 minutes',
                day + interval '8 hours' + g * interval '3 minutes',
                case when d > 0 then day + interval '6 hours' + g * interval '3 minutes' end,
                g % 8, array['fuel', 'gpu'], case when d > 0 then 'departed' else 'expected' end,
                array['vip']
           from generate_series(0, $1) d, generate_series(1, $2) g,
                lateral (select (date_trunc('day', now() at time zone 'America/New_York')
                                 - d * interval '1 day') at time zone 'America/New_York' as day) x",
    )
    .bind(HISTORY_DAYS as i32)
    .bind(FLIGHTS_PER_DAY as i32)
    .execute(&mut *tx)
    .await
    .expect("flights");
    sqlx::query(
        "update fbo_flights set departed_at = etd where status = 'departed';
         ",
    )
    .execute(&mut *tx)
    .await
    .expect("departed");
    sqlx::query(
        "insert into fbo_fuel_orders (id, flight_id, product, requested_l, top_off, requested_for,
             status, fueler_id, truck_id, assigned_at, started_at, completed_at, delivered_l,
             meter_start, meter_stop, created_by)
         select gen_random_uuid(), f.id, 'jet_a', 400, false, f.eta, 'completed', $1,
                (select id from fbo_fuel_tanks limit 1), f.eta, f.eta, f.eta + interval '20 minutes',
                400, 1000, 1400, $1
           from fbo_flights f;
         ",
    )
    .bind(admin)
    .execute(&mut *tx)
    .await
    .expect("completed orders");
    sqlx::query(
        "insert into fbo_fuel_orders (id, flight_id, product, requested_l, top_off, requested_for,
             notes, created_by)
         select gen_random_uuid(), f.id, 'jet_a', null, true, f.etd - interval '30 minutes',
                'top off before departure', $1
           from fbo_flights f",
    )
    .bind(admin)
    .execute(&mut *tx)
    .await
    .expect("requested orders");
    sqlx::raw_sql(
        "insert into fbo_parking_assignments (id, flight_id, location_id, starts_at, ends_at)
         select gen_random_uuid(), f.id, l.id, f.eta, f.etd
           from (select id, eta, etd, row_number() over (order by eta) as n from fbo_flights
                  where status = 'expected') f
           join (select id, row_number() over (order by location_code) as n
                   from fbo_parking_locations) l on l.n = (f.n % 60) + 1
          where f.n % 2 = 0 and f.n <= 120;
         insert into fbo_equipment (id, airport_code, name, kind)
         values (gen_random_uuid(), 'KTEB', 'GPU 1', 'gpu');
         insert into fbo_line_tasks (id, flight_id, kind, scheduled_for, equipment_id, status,
             started_at, completed_at)
         select gen_random_uuid(), f.id, 'gpu', f.eta, (select id from fbo_equipment limit 1),
                case when f.status = 'departed' then 'done' else 'scheduled' end,
                case when f.status = 'departed' then f.eta end,
                case when f.status = 'departed' then f.eta + interval '1 hour' end
           from fbo_flights f;
         analyze;",
    )
    .execute(&mut *tx)
    .await
    .expect("parking and line tasks");
    tx.commit().await.expect("commit");
}

/// Reads one SSE stream and reports each event id it sees with the moment it arrived.
fn subscribe(
    client: reqwest::Client,
    url: String,
    token: String,
    slug: &'static str,
    who: usize,
    ready: mpsc::Sender<()>,
    seen: mpsc::UnboundedSender<(usize, Instant)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut resp = client
            .get(&url)
            .bearer_auth(&token)
            .header("X-Tenant-ID", slug)
            .send()
            .await
            .expect("subscribe");
        assert_eq!(resp.status(), 200, "subscribe");
        ready.send(()).await.expect("ready");
        let mut buf = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                if block.lines().any(|l| l.starts_with("id:")) {
                    let _ = seen.send((who, Instant::now()));
                }
            }
        }
    })
}

#[tokio::main]
async fn main() {
    flightline::install_crypto_provider();
    {
        use tracing_subscriber::Layer as _;
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry()
            .with(Served.with_filter(tracing_subscriber::filter::LevelFilter::INFO));
        tracing::subscriber::set_global_default(subscriber).expect("subscriber");
    }
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench_fbo".into());
    recreate_database(&db_url).await;
    let mut settings = common::settings(&db_url);
    settings.server.listen = "127.0.0.1:0".parse().expect("listen");
    settings.rate_limit.api_per_second = 0;
    settings.rate_limit.auth_per_second = 0;
    let server = flightline::start(settings).await.expect("server");
    let base = format!("http://{}", server.addr);
    let db = server.state.db().clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let (t, token) = tenant(&db, &base, &client, SLUG).await;
    let (_other, other_token) = tenant(&db, &base, &client, OTHER_SLUG).await;
    seed(&db, &t).await;

    // 1. The board.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let url = format!("{base}/api/v1/fbo/board?airport=KTEB&date={today}");
    let mut bytes = 0;
    let mut counts = (0, 0, 0);
    for _ in 0..50 {
        let body = client
            .get(&url)
            .bearer_auth(&token)
            .header("X-Tenant-ID", SLUG)
            .send()
            .await
            .expect("board")
            .bytes()
            .await
            .expect("body");
        bytes = body.len();
        let v: Value = serde_json::from_slice(&body).expect("json");
        let a = v["arrivals"].as_array().expect("arrivals");
        counts = (
            a.len(),
            v["departures"].as_array().map_or(0, Vec::len),
            a.iter()
                .chain(v["departures"].as_array().expect("departures"))
                .map(|f| f["fuel_orders"].as_array().map_or(0, Vec::len))
                .sum::<usize>(),
        );
    }
    assert_eq!(counts.0, FLIGHTS_PER_DAY as usize, "today's arrivals");
    let mut times = Vec::with_capacity(500);
    SERVED_MS.lock().expect("served").clear();
    for _ in 0..500 {
        let start = Instant::now();
        let resp = client
            .get(&url)
            .bearer_auth(&token)
            .header("X-Tenant-ID", SLUG)
            .send()
            .await
            .expect("board");
        assert_eq!(resp.status(), 200);
        resp.bytes().await.expect("body");
        times.push(start.elapsed());
    }
    let served: Vec<Duration> = SERVED_MS
        .lock()
        .expect("served")
        .drain(..)
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .collect();
    let board = json!({
        "arrivals": counts.0, "departures": counts.1, "fuel_orders_on_board": counts.2,
        "response_bytes": bytes, "in_the_server": summary(served),
        "request_as_the_client_sees_it": summary(times),
    });

    // 2. The live feed.
    let events = format!("{base}/api/v1/fbo/events");
    let (ready_tx, mut ready_rx) = mpsc::channel(SUBSCRIBERS + OTHER_SUBSCRIBERS);
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let (other_tx, mut other_rx) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for who in 0..SUBSCRIBERS {
        tasks.push(subscribe(
            client.clone(),
            events.clone(),
            token.clone(),
            SLUG,
            who,
            ready_tx.clone(),
            seen_tx.clone(),
        ));
    }
    for who in 0..OTHER_SUBSCRIBERS {
        tasks.push(subscribe(
            client.clone(),
            events.clone(),
            other_token.clone(),
            OTHER_SLUG,
            who,
            ready_tx.clone(),
            other_tx.clone(),
        ));
    }
    for _ in 0..SUBSCRIBERS + OTHER_SUBSCRIBERS {
        ready_rx.recv().await.expect("connected");
    }
    let order: Value = client
        .get(format!("{base}/api/v1/fbo/fuel-orders?active=true&limit=1"))
        .bearer_auth(&token)
        .header("X-Tenant-ID", SLUG)
        .send()
        .await
        .expect("orders")
        .json()
        .await
        .expect("orders body");
    let order_url = format!(
        "{base}/api/v1/fbo/fuel-orders/{}",
        order["items"][0]["id"].as_str().expect("an open order")
    );
    let (mut all, mut slowest) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let start = Instant::now();
        let resp = client
            .patch(&order_url)
            .bearer_auth(&token)
            .header("X-Tenant-ID", SLUG)
            .json(&json!({"notes": format!("round {round}")}))
            .send()
            .await
            .expect("change");
        assert_eq!(resp.status(), 200, "change");
        let mut got = [false; SUBSCRIBERS];
        let mut n = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while n < SUBSCRIBERS {
            match tokio::time::timeout_at(deadline, seen_rx.recv()).await {
                Ok(Some((who, at))) if !got[who] => {
                    got[who] = true;
                    n += 1;
                    all.push(at - start);
                }
                Ok(Some(_)) => {}
                _ => panic!("round {round}: only {n} of {SUBSCRIBERS} subscribers saw the change"),
            }
        }
        slowest.push(*all[all.len() - SUBSCRIBERS..].iter().max().expect("times"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut leaked = 0;
    while other_rx.try_recv().is_ok() {
        leaked += 1;
    }
    assert_eq!(leaked, 0, "another tenant's subscribers saw events");
    let feed = json!({
        "subscribers": SUBSCRIBERS, "other_tenant_subscribers": OTHER_SUBSCRIBERS,
        "rounds": ROUNDS, "events_seen_by_other_tenant": leaked,
        "change_to_each_subscriber": summary(all),
        "change_to_last_subscriber": summary(slowest),
    });
    for t in tasks {
        t.abort();
    }

    let report = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "cpu": cpu(),
        "argon2id_ms": argon2id_ms().await,
        "board_300_flights_with_fuel_orders": board,
        "live_feed": feed,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("report"));
    server.stop().await;
}
