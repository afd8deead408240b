//! Tenant resolution, isolation and the fail-closed database path.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Row;

use crate::helpers::{TestApp, TestTenant, call, override_kv, problem};

#[tokio::test]
async fn every_resolution_error_is_a_problem_document() {
    let app = TestApp::spawn().await;
    let a = app.signup("flight_school").await;
    let path = "/api/v1/tools/notes";

    problem(
        app.req(Method::GET, path),
        StatusCode::BAD_REQUEST,
        "tenant-required",
    )
    .await;
    problem(
        app.req(Method::GET, path).header("X-Tenant-ID", ""),
        StatusCode::BAD_REQUEST,
        "tenant-required",
    )
    .await;
    problem(
        app.req(Method::GET, path).header("X-Tenant-ID", "  "),
        StatusCode::BAD_REQUEST,
        "tenant-required",
    )
    .await;
    problem(
        app.req(Method::GET, path)
            .header("X-Tenant-ID", "Not A Slug"),
        StatusCode::BAD_REQUEST,
        "tenant-invalid",
    )
    .await;
    problem(
        app.req(Method::GET, path).header("X-Tenant-ID", "api"),
        StatusCode::BAD_REQUEST,
        "tenant-invalid",
    )
    .await;
    problem(
        app.req(Method::GET, path)
            .header("X-Tenant-ID", "no-such-tenant"),
        StatusCode::NOT_FOUND,
        "tenant-not-found",
    )
    .await;
    problem(
        app.req(Method::GET, path)
            .header("X-Tenant-ID", uuid::Uuid::new_v4().to_string()),
        StatusCode::NOT_FOUND,
        "tenant-not-found",
    )
    .await;
    // By UUID and by subdomain, the same tenant answers.
    call(
        app.req(Method::GET, path)
            .header("X-Tenant-ID", &a.id)
            .bearer_auth(&a.token),
        StatusCode::OK,
    )
    .await;
    call(
        app.req(Method::GET, path)
            .header("Host", format!("{}.flightline.test", a.slug))
            .bearer_auth(&a.token),
        StatusCode::OK,
    )
    .await;
    // Header and host agreeing is fine; naming different tenants is not.
    call(
        app.req(Method::GET, path)
            .header("Host", format!("{}.flightline.test:8080", a.slug))
            .header("X-Tenant-ID", &a.id)
            .bearer_auth(&a.token),
        StatusCode::OK,
    )
    .await;
    let b = app.signup("fbo").await;
    problem(
        app.req(Method::GET, path)
            .header("Host", format!("{}.flightline.test", a.slug))
            .header("X-Tenant-ID", &b.slug),
        StatusCode::BAD_REQUEST,
        "tenant-mismatch",
    )
    .await;
    // Reserved labels and the bare base domain carry no tenant.
    problem(
        app.req(Method::GET, path)
            .header("Host", "api.flightline.test"),
        StatusCode::BAD_REQUEST,
        "tenant-required",
    )
    .await;
    problem(
        app.req(Method::GET, path).header("Host", "flightline.test"),
        StatusCode::BAD_REQUEST,
        "tenant-required",
    )
    .await;
    problem(
        app.req(Method::GET, path)
            .header("Host", "x.y.flightline.test"),
        StatusCode::BAD_REQUEST,
        "tenant-invalid",
    )
    .await;
    problem(
        app.req(Method::GET, path)
            .header("Host", "nobody-here.flightline.test"),
        StatusCode::NOT_FOUND,
        "tenant-not-found",
    )
    .await;
}

#[tokio::test]
async fn suspended_archived_and_provisioning_tenants_do_not_serve() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let path = "/api/v1/tools/notes";
    let set = |status: &'static str| {
        let db = app.state.db().clone();
        let id = t.id.clone();
        async move {
            let mut conn = db.raw_connection().await.expect("conn");
            sqlx::query("update platform.tenants set status = $2 where id = $1::uuid")
                .bind(id)
                .bind(status)
                .execute(&mut *conn)
                .await
                .expect("update");
        }
    };
    set("suspended").await;
    wait_for_status(&app, &t.slug, StatusCode::FORBIDDEN).await;
    problem(
        app.tenant_req(&t, Method::GET, path),
        StatusCode::FORBIDDEN,
        "tenant-suspended",
    )
    .await;

    set("provisioning").await;
    wait_for_status(&app, &t.slug, StatusCode::SERVICE_UNAVAILABLE).await;
    let resp = app
        .tenant_req(&t, Method::GET, path)
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    problem(
        app.tenant_req(&t, Method::GET, path),
        StatusCode::SERVICE_UNAVAILABLE,
        "tenant-provisioning",
    )
    .await;

    set("archived").await;
    wait_for_status(&app, &t.slug, StatusCode::NOT_FOUND).await;
    problem(
        app.tenant_req(&t, Method::GET, path),
        StatusCode::NOT_FOUND,
        "tenant-not-found",
    )
    .await;

    set("active").await;
    wait_for_status(&app, &t.slug, StatusCode::OK).await;
}

/// Polls until the tenant answers `expected` (cache invalidation by NOTIFY); fails after 1 s.
async fn wait_for_status(app: &TestApp, slug: &str, expected: StatusCode) {
    let start = Instant::now();
    loop {
        let token = app.login_token_cache(slug).await;
        let resp = app
            .req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", slug)
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        if resp.status() == expected {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "still {} after 1s, wanted {expected}",
            resp.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl TestApp {
    /// A token for the tenant's admin, minted directly (the tenant may not accept logins now).
    async fn login_token_cache(&self, slug: &str) -> String {
        let t = self.state.registry.by_slug(slug).await.expect("registry");
        let Some(t) = t else { return String::new() };
        let id = t.id;
        let row = {
            let mut conn = self.state.db().raw_connection().await.expect("conn");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "select u.id, u.email, s.id as sid from {0}.users u join {0}.sessions s on s.user_id = u.id order by s.created_at limit 1",
                t.schema.quoted()
            )))
            .fetch_optional(&mut *conn)
            .await
        };
        match row {
            Ok(Some(row)) => self
                .state
                .jwt
                .issue(row.get("id"), id, row.get("email"), row.get("sid"))
                .expect("jwt"),
            _ => String::new(),
        }
    }
}

#[tokio::test]
async fn suspension_reaches_another_replica_within_a_second() {
    let app1 = TestApp::spawn().await;
    let app2 = TestApp::spawn().await;
    let t = app1.signup("flight_school").await;
    // Warm app2's cache.
    call(
        app2.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    let mut conn = app1.state.db().raw_connection().await.expect("conn");
    sqlx::query("update platform.tenants set status = 'suspended' where id = $1::uuid")
        .bind(&t.id)
        .execute(&mut *conn)
        .await
        .expect("suspend");
    wait_for_status(&app2, &t.slug, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn tokens_and_ids_never_cross_tenants() {
    let app = TestApp::spawn().await;
    let a = app.signup("flight_school").await;
    let b = app.signup("flight_school").await;
    let note = app.create_note(&a, "A's secret").await;
    let id = note["id"].as_str().expect("id");

    // A's token on B: 401.
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &b.slug)
            .bearer_auth(&a.token),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // A's note id under B: 404 for read, update and delete.
    for method in [Method::GET, Method::DELETE] {
        problem(
            app.tenant_req(&b, method, &format!("/api/v1/tools/notes/{id}")),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    problem(
        app.tenant_req(&b, Method::PATCH, &format!("/api/v1/tools/notes/{id}"))
            .json(&json!({"title": "mine"})),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // B's list never shows A's notes; A's note is untouched.
    let list = call(
        app.tenant_req(&b, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    let still = call(
        app.tenant_req(&a, Method::GET, &format!("/api/v1/tools/notes/{id}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(still["title"], "A's secret");
}

#[tokio::test]
async fn hostile_tenant_values_never_yield_5xx() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(300);
    let values: Vec<&[u8]> = vec![
        b"'; DROP SCHEMA public;--",
        b"pg_catalog",
        b"platform",
        b"public",
        b"fl_none",
        long.as_bytes(),
        "ünïcödé".as_bytes(),
        b"t_00000000000000000000000000000000",
        b"00000000-0000-0000-0000-000000000000",
        b"../../etc/passwd",
        b"%00",
        b"a\tb",
        &[0xff, 0xfe, 0x41],
    ];
    for v in values {
        let header = reqwest::header::HeaderValue::from_bytes(v).expect("header value");
        let resp = app
            .req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", header)
            .send()
            .await
            .expect("send");
        assert!(
            resp.status().is_client_error(),
            "{:?} gave {}",
            String::from_utf8_lossy(v),
            resp.status()
        );
        let resp = app
            .req(Method::POST, "/api/v1/auth/login")
            .header(
                "X-Tenant-ID",
                reqwest::header::HeaderValue::from_bytes(v).expect("hv"),
            )
            .json(&json!({"email": "a@b.c", "password": "x"}))
            .send()
            .await
            .expect("send");
        assert!(
            resp.status().is_client_error(),
            "{:?} gave {}",
            String::from_utf8_lossy(v),
            resp.status()
        );
    }
    for host in [
        "'or'1'='1.flightline.test",
        "pg_catalog.flightline.test",
        &format!("{long}.flightline.test"),
    ] {
        let resp = app
            .req(Method::GET, "/api/v1/tools/notes")
            .header("Host", host)
            .send()
            .await
            .expect("send");
        assert!(
            resp.status().is_client_error(),
            "{host} gave {}",
            resp.status()
        );
    }
    // The public schema still exists and nothing was dropped.
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    let n: i64 = sqlx::query_scalar(
        "select count(*) from pg_namespace where nspname in ('public', 'platform')",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("query");
    assert_eq!(n, 2);
}

#[tokio::test]
async fn sql_without_a_tenant_transaction_fails_closed() {
    // One connection: the TenantTx and the checks below necessarily share it.
    let app = TestApp::spawn_with(override_kv("database.max_connections", 1)).await;
    let t = app.signup("flight_school").await;
    app.create_note(&t, "only via TenantTx").await;
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    for table in ["notes", "users", "audit_logs", "sessions"] {
        let err = sqlx::query(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
            .fetch_one(&mut *conn)
            .await
            .expect_err("unscoped query must fail");
        assert!(err.to_string().contains("does not exist"), "{table}: {err}");
    }
    let path: String = sqlx::query_scalar("select current_setting('search_path')")
        .fetch_one(&mut *conn)
        .await
        .expect("search_path");
    assert_eq!(path, "fl_none");

    // After a TenantTx commits or is dropped, its connection is back to the fail-closed path.
    let tenant = app.tenant(&t).await;
    drop(conn);
    for commit in [true, false] {
        let mut tx = tenant.begin(app.state.db()).await.expect("begin");
        let n: i64 = sqlx::query_scalar("select count(*) from notes")
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        assert_eq!(n, 1);
        if commit {
            tx.commit().await.expect("commit");
        } else {
            drop(tx);
        }
        let mut c = app.state.db().raw_connection().await.expect("conn");
        let p: String = sqlx::query_scalar("select current_setting('search_path')")
            .fetch_one(&mut *c)
            .await
            .expect("sp");
        assert_eq!(
            p, "fl_none",
            "a released connection kept a tenant search_path"
        );
        assert!(
            !sqlx::Connection::is_in_transaction(&*c),
            "a released connection is still inside a transaction"
        );
    }
}

#[tokio::test]
async fn interleaved_tenants_on_a_tiny_pool_never_leak() {
    let app = TestApp::spawn_with(override_kv("database.max_connections", 2)).await;
    let mut tenants = Vec::new();
    for _ in 0..4 {
        tenants.push(app.signup("flight_school").await);
    }
    let mut tasks = Vec::new();
    for t in &tenants {
        for i in 0..15 {
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
                assert_eq!(resp.status(), StatusCode::CREATED);
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
    for task in tasks {
        task.await.expect("task");
    }
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
        let expected: HashSet<String> = (0..15).map(|i| format!("{}:{i}", t.slug)).collect();
        assert_eq!(titles, expected);
    }
}

/// The prepared statements of the (only) tenant connection that name a tenant's schema, i.e.
/// the per-tenant statements of one-statement reads (`TenantRead`).
async fn tenant_statements(app: &TestApp) -> Vec<String> {
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query_scalar(
        "select statement from pg_prepared_statements where statement like '%from \"t\\_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("prepared statements")
}

/// The search_path of the (only) tenant connection.
async fn idle_search_path(app: &TestApp) -> String {
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query_scalar("show search_path")
        .fetch_one(&mut *conn)
        .await
        .expect("search_path")
}

/// Adds a note to `t` and lists its notes (the unfiltered list): every one must be `t`'s.
async fn note_then_list_own(app: &TestApp, t: &TestTenant) {
    app.create_note(t, &format!("note of {}", t.slug)).await;
    let list = call(
        app.tenant_req(t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    for item in list["items"].as_array().expect("items") {
        assert_eq!(item["title"], format!("note of {}", t.slug));
    }
}

#[tokio::test]
async fn the_notes_list_is_one_statement_naming_the_tenant_with_a_plan_per_tenant() {
    // One connection, so every request and the inspection below share it.
    let app = TestApp::spawn_with(override_kv("database.max_connections", 1)).await;
    let (a, b) = (
        app.signup("flight_school").await,
        app.signup("flight_school").await,
    );
    for t in [&a, &b, &a, &b] {
        note_then_list_own(&app, t).await;
    }
    let mut named = tenant_statements(&app).await;
    named.sort();
    assert_eq!(named.len(), 2, "one statement per tenant: {named:?}");
    for t in [&a, &b] {
        let id: uuid::Uuid = t.id.parse().expect("tenant id");
        let table = format!("from \"t_{}\".notes ", id.simple());
        assert!(
            named.iter().any(|s| s.contains(table.as_str())),
            "{table} in {named:?}"
        );
    }
    // The read set no search_path: the connection is as it was opened, so SQL that forgot its
    // tenant still resolves nowhere.
    assert_eq!(idle_search_path(&app).await, "fl_none");

    // A cache with no room beyond the reserve for shared statements keeps no per-tenant ones:
    // the read is parsed each time, and every tenant still sees only its own notes.
    let small = TestApp::spawn_with(
        override_kv("database.max_connections", 1)
            .merge(override_kv("database.statement_cache_capacity", 100)),
    )
    .await;
    let (c, d) = (
        small.signup("flight_school").await,
        small.signup("flight_school").await,
    );
    for t in [&c, &d, &c] {
        note_then_list_own(&small, t).await;
    }
    assert_eq!(tenant_statements(&small).await, Vec::<String>::new());
}

#[tokio::test]
async fn with_one_round_trip_reads_off_the_notes_list_reads_inside_a_transaction() {
    let app = TestApp::spawn_with(
        override_kv("database.max_connections", 1)
            .merge(override_kv("database.one_round_trip_reads", false)),
    )
    .await;
    let (a, b) = (
        app.signup("flight_school").await,
        app.signup("flight_school").await,
    );
    for t in [&a, &b, &a] {
        note_then_list_own(&app, t).await;
    }
    // Its transaction's search_path ended with it.
    assert_eq!(idle_search_path(&app).await, "fl_none");
    assert_eq!(tenant_statements(&app).await.len(), 2);
}
