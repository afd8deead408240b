//! Scheduling phases of the load benchmark (kept apart from load.rs so the two merge easily):
//! - `create_booking`: `POST /api/v1/scheduling/bookings` with every dispatch rule evaluated
//!   (the seven crew rules too: the instructor's certificates and 200-entry logbook are asked)
//!   (airworthiness with two inspection items per aircraft, maintenance due, instructor
//!   availability, opening hours, own bookings, booking window), aircraft + instructor per
//!   booking, 32 connections, no two requests for the same slot;
//! - `calendar_week`: `GET /api/v1/scheduling/calendar` for one week with 30 aircraft and 50
//!   instructors (~1,500 bookings in the week), sequential requests, so the latency is the
//!   server's time plus one loopback round trip.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flightline::auth::jwt::JwtKeys;
use flightline::db::Db;
use flightline::tenancy::{self, NewTenant, TenantKind, TenantRegistry};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CONCURRENCY, SECRET, round, summary};

pub struct Fleet {
    slug: String,
    token: String,
    aircraft: Vec<Uuid>,
    instructors: Vec<Uuid>,
    week: chrono::NaiveDate,
}

/// One flight school with 30 aircraft (an annual and a 100-hour each), 50 instructors and a
/// busy week of bookings (`week`, a Monday).
pub async fn setup(db: &Db, registry: &TenantRegistry, hash: &str) -> Fleet {
    let slug = "sched-bench".to_owned();
    let new = NewTenant {
        slug: slug.clone(),
        name: "Scheduling bench".into(),
        kind: TenantKind::FlightSchool,
        plan: "trial".into(),
        admin_email: format!("admin@{slug}.example"),
        admin_name: "Bench".into(),
        admin_password_hash: Some(hash.to_owned()),
        trial_ends_at: None,
    };
    let tenant = tenancy::provision(db, registry, &new, None)
        .await
        .expect("provision")
        .tenant;
    let mut tx = tenant.begin(db).await.expect("tx");
    let admin: Uuid = sqlx::query_scalar("select id from users limit 1")
        .fetch_one(&mut *tx)
        .await
        .expect("admin");
    let aircraft: Vec<Uuid> = sqlx::query_scalar(
        "insert into aircraft (id, registration, make, model, tach_tenths, hobbs_tenths)
         select gen_random_uuid(), 'HB-B' || lpad(g::text, 2, '0'), 'Cessna', '172S', 10000, 12000
           from generate_series(1, 30) g returning id",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("aircraft");
    sqlx::query(
        "insert into inspection_items (id, aircraft_id, kind, name, interval_months, interval_tenths, overrun_tenths,
             last_done_on, last_done_tenths, basis_tenths)
         select gen_random_uuid(), a.id, k.kind, k.kind, k.months, k.tenths, k.overrun, current_date, 9800, 9800
           from aircraft a cross join (values ('annual', 12, null::bigint, 0::bigint),
                                              ('hundred_hour', null, 1000, 100)) k(kind, months, tenths, overrun)",
    )
    .execute(&mut *tx)
    .await
    .expect("inspections");
    let instructors: Vec<Uuid> = sqlx::query_scalar(
        "with u as (insert into users (id, email, name)
                    select gen_random_uuid(), 'cfi' || g || '@sched.example', 'Instructor ' || lpad(g::text, 2, '0')
                      from generate_series(1, 50) g returning id)
         , r as (insert into user_roles (user_id, role_id)
                 select u.id, (select id from roles where name = 'instructor') from u)
         select id from u",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("instructors");
    // What the crew dispatch rules read (issue 14): each instructor holds a flight instructor
    // certificate, a third-class medical and a flight review, and has 200 logbook entries over
    // the last two years (10,000 in all), so every booking asks the compliance engine with real
    // facts. The seven crew rules stay at their default (`warn`): all are evaluated.
    sqlx::query(
        "insert into pilot_certificates (id, person_id, authority, kind, issued_on, ratings)
         select gen_random_uuid(), id, 'faa', 'flight_instructor', date '2015-01-01',
                '{cfi_airplane_single_engine}' from unnest($1::uuid[]) id",
    )
    .bind(&instructors)
    .execute(&mut *tx)
    .await
    .expect("instructor certificates");
    sqlx::query(
        "insert into medical_certificates (id, person_id, authority, class, examined_on, date_of_birth)
         select gen_random_uuid(), id, 'faa', 'third', current_date - 200, date '1985-06-01'
           from unnest($1::uuid[]) id",
    )
    .bind(&instructors)
    .execute(&mut *tx)
    .await
    .expect("medicals");
    sqlx::query(
        "insert into endorsements (id, person_id, kind, given_on, instructor_id, instructor_name,
             instructor_certificate_number)
         select gen_random_uuid(), id, 'flight_review', current_date - 300, $2, 'Bench', '1'
           from unnest($1::uuid[]) id",
    )
    .bind(&instructors)
    .bind(admin)
    .execute(&mut *tx)
    .await
    .expect("flight reviews");
    sqlx::query(
        "insert into logbook_entries (id, person_id, date, registration, type_code, category, class,
             total_minutes, pic_minutes, dual_given_minutes, day_landings, day_full_stop_landings,
             approaches, holds, intercept_track, source)
         select gen_random_uuid(), i.id, current_date - (g * 3), 'HB-B01', 'C172', 'airplane',
                'single_engine_land', 72, 72, 60, 3, 1, g % 3, g % 2, true, 'manual'
           from unnest($1::uuid[]) i(id), generate_series(1, 200) g",
    )
    .bind(&instructors)
    .execute(&mut *tx)
    .await
    .expect("logbooks");
    // BENCH_CREW_RULES=off switches the seven crew rules off: the same set-up without the
    // compliance engine, for an A/B on one host.
    if std::env::var("BENCH_CREW_RULES").is_ok_and(|v| v == "off") {
        sqlx::query(
            "insert into dispatch_rules (rule, mode)
             select unnest(array['pilot_medical', 'flight_review', 'solo_endorsement',
                                 'passenger_currency', 'instrument_currency',
                                 'instructor_certificate', 'aircraft_checkout']), 'off'",
        )
        .execute(&mut *tx)
        .await
        .expect("crew rules off");
    }
    sqlx::query(
        "insert into opening_hours (weekday, opens, closes) select d, '00:00', '23:59' from generate_series(1, 7) d",
    )
    .execute(&mut *tx)
    .await
    .expect("opening hours");
    // The calendar week: five two-hour slots a day per aircraft, two in three with an
    // instructor (30 x 7 x 5 = 1,050 aircraft bookings, 700 with an instructor) and three
    // ground lessons a day per instructor not flying then.
    let week = chrono::NaiveDate::from_ymd_opt(2030, 1, 7).expect("monday");
    sqlx::query(
        "insert into bookings (id, kind, starts_at, ends_at, aircraft_id, instructor_id, pilot_id)
         select gen_random_uuid(), case when s % 3 = 2 then 'solo' else 'dual' end,
                $1::timestamptz + make_interval(days => d, hours => 6 + s * 2),
                $1::timestamptz + make_interval(days => d, hours => 8 + s * 2),
                a.id, case when s % 3 = 2 then null else ($3::uuid[])[((a.n + s * 7) % 50)::int + 1] end, $2
           from (select id, row_number() over (order by id) - 1 as n from aircraft) a,
                generate_series(0, 6) d, generate_series(0, 4) s",
    )
    .bind(week.and_hms_opt(0, 0, 0).expect("t").and_utc())
    .bind(admin)
    .bind(&instructors)
    .execute(&mut *tx)
    .await
    .expect("bookings");
    let sid = Uuid::now_v7();
    sqlx::query(
        "insert into sessions (id, user_id, refresh_token_hash, expires_at)
         values ($1, $2, '\\x00', now() + interval '1 day')",
    )
    .bind(sid)
    .bind(admin)
    .execute(&mut *tx)
    .await
    .expect("session");
    tx.commit().await.expect("commit");
    let token = JwtKeys::new(SECRET.as_bytes(), 3600)
        .issue(admin, tenant.id, &new.admin_email, sid)
        .expect("token");
    Fleet {
        slug,
        token,
        aircraft,
        instructors,
        week,
    }
}

/// Bookings at CONCURRENCY connections for `seconds` (after `warmup` unmeasured seconds): each
/// request takes the next free (aircraft, instructor, hour) far from the calendar week.
async fn create_bookings(
    base: &str,
    f: &Arc<Fleet>,
    seconds: u64,
    counter: &Arc<AtomicU64>,
) -> Value {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let url = format!("{base}/api/v1/scheduling/bookings");
    let origin = chrono::DateTime::parse_from_rfc3339("2031-01-01T00:00:00Z")
        .expect("origin")
        .with_timezone(&chrono::Utc);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, f, stop, counter, errors, url) = (
            client.clone(),
            f.clone(),
            stop.clone(),
            counter.clone(),
            errors.clone(),
            url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let (a, slot) = ((n % 30) as usize, (n / 30) as i64);
                let starts = origin + chrono::Duration::hours(slot);
                let body = json!({
                    "kind": "dual",
                    "aircraft_id": f.aircraft[a],
                    "instructor_id": f.instructors[(n % 50) as usize],
                    "starts_at": starts,
                    "ends_at": starts + chrono::Duration::minutes(50),
                });
                let start = Instant::now();
                let ok = match client
                    .post(&url)
                    .header("X-Tenant-ID", &f.slug)
                    .bearer_auth(&f.token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) => {
                        let ok = r.status() == reqwest::StatusCode::CREATED;
                        let _ = r.bytes().await;
                        ok
                    }
                    Err(_) => false,
                };
                if ok {
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
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    let mut s = summary(all);
    s["requests_per_second"] = json!(rps.round());
    s["errors"] = json!(errors.load(Ordering::Relaxed));
    s
}

/// Sequential calendar requests for the busy week.
async fn calendar_week(base: &str, f: &Fleet, requests: usize) -> Value {
    let client = reqwest::Client::new();
    let url = format!("{base}/api/v1/scheduling/calendar?start={}&days=7", f.week);
    let mut ms = Vec::new();
    let mut bookings = 0;
    let mut rows = 0;
    for i in 0..requests + 20 {
        let start = Instant::now();
        let r = client
            .get(&url)
            .header("X-Tenant-ID", &f.slug)
            .bearer_auth(&f.token)
            .send()
            .await
            .expect("calendar");
        assert!(r.status().is_success(), "calendar: {}", r.status());
        let body = r.bytes().await.expect("body");
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        if i >= 20 {
            ms.push(elapsed); // the first 20 warm up
        } else if i == 0 {
            let v: Value = serde_json::from_slice(&body).expect("json");
            let list = v["rows"].as_array().cloned().unwrap_or_default();
            rows = list.len();
            bookings = list
                .iter()
                .map(|r| r["bookings"].as_array().map_or(0, Vec::len))
                .sum::<usize>();
        }
    }
    let mut s = summary(ms);
    s["rows"] = json!(rows);
    s["booking_entries"] = json!(bookings);
    s
}

/// Waits (at most a minute) until the warm pool holds `target` ready schemas again.
pub async fn wait_for_warm_pool(db_url: &str, target: u32) {
    use sqlx::Connection;
    for _ in 0..600 {
        let mut conn = sqlx::PgConnection::connect(db_url).await.expect("conn");
        let n: i64 = sqlx::query_scalar("select count(*) from platform.warm_schemas")
            .fetch_one(&mut conn)
            .await
            .expect("count");
        if n >= i64::from(target) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Both phases; the report of `scheduling`.
pub async fn run(
    db: &Db,
    registry: &TenantRegistry,
    base: &str,
    hash: &str,
    seconds: u64,
) -> Value {
    let t = Instant::now();
    let fleet = Arc::new(setup(db, registry, hash).await);
    let setup_s = round(t.elapsed().as_secs_f64());
    let counter = Arc::new(AtomicU64::new(0));
    let warmup: u64 = super::env_or("BENCH_WARMUP_SECONDS", 3);
    if warmup > 0 {
        create_bookings(base, &fleet, warmup, &counter).await;
    }
    let create = create_bookings(base, &fleet, seconds, &counter).await;
    eprintln!("create_booking: {create}");
    let calendar = calendar_week(base, &fleet, 200).await;
    eprintln!("calendar_week: {calendar}");
    json!({"setup_seconds": setup_s, "create_booking": create, "calendar_week_30_aircraft_50_instructors": calendar})
}
