//! Platform operators and tenant administration: login, roles, token confusion, the platform
//! audit log, listing with usage, provisioning, plans and limits, suspension across replicas,
//! migrations, archive and restore.

use std::time::{Duration, Instant};

use figment::Figment;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{PASSWORD, TestApp, TestTenant, call, override_kv, problem, unique_slug};

/// An app whose bootstrap operator is `ops@<unique>.example` with [`PASSWORD`].
pub async fn platform_app(extra: Figment) -> (TestApp, String) {
    let (overrides, email) = operator_overrides(extra);
    (TestApp::spawn_with(overrides).await, email)
}

/// Settings for a bootstrap operator `ops@<unique>.example` with [`PASSWORD`].
pub fn operator_overrides(extra: Figment) -> (Figment, String) {
    let email = format!("ops@{}.example", unique_slug("op"));
    (
        override_kv("platform.bootstrap_email", &email)
            .merge(override_kv("platform.bootstrap_password", PASSWORD))
            .merge(extra),
        email,
    )
}

pub async fn operator_login(app: &TestApp, email: &str, password: &str) -> String {
    let body = call(
        app.req(Method::POST, "/api/v1/platform/auth/login")
            .json(&json!({"email": email, "password": password})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().expect("token").to_owned()
}

pub fn op(app: &TestApp, token: &str, method: Method, path: &str) -> RequestBuilder {
    app.req(method, path).bearer_auth(token)
}

async fn platform_actions(app: &TestApp, token: &str, tenant: Option<&str>) -> Vec<String> {
    let path = match tenant {
        Some(t) => format!("/api/v1/platform/audit-logs?tenant_id={t}&limit=200"),
        None => "/api/v1/platform/audit-logs?limit=200".into(),
    };
    call(op(app, token, Method::GET, &path), StatusCode::OK).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn operators_roles_and_token_confusion() {
    let (app, email) = platform_app(Figment::new()).await;
    let owner = operator_login(&app, &email, PASSWORD).await;
    let me = call(
        op(&app, &owner, Method::GET, "/api/v1/platform/auth/me"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some(email.as_str()), Some("owner"))
    );

    // Wrong password and unknown operator answer the same 401.
    for (e, p) in [
        (email.as_str(), "wrong password!!"),
        ("nobody@ops.example", PASSWORD),
    ] {
        problem(
            app.req(Method::POST, "/api/v1/platform/auth/login")
                .json(&json!({"email": e, "password": p})),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
    problem(
        app.req(Method::GET, "/api/v1/platform/tenants"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // Token confusion: a tenant token on a platform route and a platform token on a tenant
    // route are both 401.
    let t = app.signup("flight_school").await;
    problem(
        op(&app, &t.token, Method::GET, "/api/v1/platform/tenants"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&owner),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // A support operator reads but changes nothing.
    let support_email = format!("support@{}.example", unique_slug("op"));
    let created = call(
        op(&app, &owner, Method::POST, "/api/v1/platform/operators").json(&json!({
            "email": support_email, "name": "Support", "password": PASSWORD, "role": "support"
        })),
        StatusCode::CREATED,
    )
    .await;
    let support_id = created["id"].as_str().expect("id").to_owned();
    let support = operator_login(&app, &support_email, PASSWORD).await;
    let tenant_id = &t.id;
    call(
        op(&app, &support, Method::GET, "/api/v1/platform/tenants"),
        StatusCode::OK,
    )
    .await;
    call(
        op(
            &app,
            &support,
            Method::GET,
            &format!("/api/v1/platform/tenants/{tenant_id}"),
        ),
        StatusCode::OK,
    )
    .await;
    call(
        op(&app, &support, Method::GET, "/api/v1/platform/migrations"),
        StatusCode::OK,
    )
    .await;
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/v1/platform/tenants/{tenant_id}/suspend"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/platform/tenants/{tenant_id}/resume"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/platform/tenants/{tenant_id}/migrate"),
            json!({}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/platform/tenants/{tenant_id}"),
            json!({"plan": "enterprise"}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/platform/tenants/{tenant_id}"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/platform/tenants/{tenant_id}/restore"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/platform/tenants".into(),
            json!({"organization_name": "X", "slug": unique_slug("x"), "kind": "fbo",
                   "admin_email": "a@x.example", "admin_name": "A", "plan": "trial"}),
        ),
        (
            Method::POST,
            "/api/v1/platform/operators".into(),
            json!({"email": "b@x.example", "name": "B", "password": PASSWORD, "role": "owner"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/platform/operators/{support_id}"),
            json!({"role": "owner"}),
        ),
    ] {
        problem(
            op(&app, &support, method, &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let still = call(
        op(
            &app,
            &support,
            Method::GET,
            &format!("/api/v1/platform/tenants/{tenant_id}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (still["status"].as_str(), still["plan"].as_str()),
        (Some("active"), Some("trial"))
    );

    // An owner cannot demote themself; deactivating an operator ends its sessions at once.
    problem(
        op(
            &app,
            &owner,
            Method::PATCH,
            &format!(
                "/api/v1/platform/operators/{}",
                me["id"].as_str().unwrap_or_default()
            ),
        )
        .json(&json!({"role": "support"})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    call(
        op(
            &app,
            &owner,
            Method::PATCH,
            &format!("/api/v1/platform/operators/{support_id}"),
        )
        .json(&json!({"is_active": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        op(&app, &support, Method::GET, "/api/v1/platform/tenants"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    problem(
        app.req(Method::POST, "/api/v1/platform/auth/login")
            .json(&json!({"email": support_email, "password": PASSWORD})),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // Logout ends the owner's token.
    let second = operator_login(&app, &email, PASSWORD).await;
    call(
        op(&app, &second, Method::POST, "/api/v1/platform/auth/logout"),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        op(&app, &second, Method::GET, "/api/v1/platform/auth/me"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let actions = platform_actions(&app, &owner, None).await;
    for expected in [
        "operator.created",
        "operator.updated",
        "operator.login",
        "operator.login_failed",
        "operator.logout",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing in {actions:?}"
        );
    }
}

#[tokio::test]
async fn tenants_are_listed_provisioned_planned_and_limited() {
    let (app, email) = platform_app(Figment::new()).await;
    let owner = operator_login(&app, &email, PASSWORD).await;
    let a = app.signup("flight_school").await;
    let b = app.signup("charter_operator").await;

    // Search, filters and usage.
    let found = call(
        op(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v1/platform/tenants?q={}", a.slug),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    let row = &found["items"][0];
    assert_eq!(row["slug"], a.slug.as_str());
    assert_eq!(row["users_count"], 1);
    assert_eq!(row["usage"]["users"], 1);
    assert!(row["schema_version"].as_i64().unwrap_or(0) > 0);
    let charter = call(
        op(
            &app,
            &owner,
            Method::GET,
            &format!(
                "/api/v1/platform/tenants?kind=charter_operator&q={}",
                b.slug
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(charter["items"][0]["id"], b.id.as_str());
    let none = call(
        op(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v1/platform/tenants?kind=fbo&q={}", b.slug),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["items"], json!([]));
    let page = call(
        op(
            &app,
            &owner,
            Method::GET,
            "/api/v1/platform/tenants?limit=1",
        ),
        StatusCode::OK,
    )
    .await;
    assert!(page["next_cursor"].is_string());
    problem(
        op(
            &app,
            &owner,
            Method::GET,
            "/api/v1/platform/tenants?limit=0",
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Provision without a password: the admin is invited.
    let slug = unique_slug("prov");
    let admin = format!("chief@{slug}.example");
    let created = call(
        op(&app, &owner, Method::POST, "/api/v1/platform/tenants").json(&json!({
            "organization_name": "Provisioned Air", "slug": slug, "kind": "charter_operator",
            "admin_email": admin, "admin_name": "Chief", "plan": "professional"
        })),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (created["status"].as_str(), created["plan"].as_str()),
        (Some("active"), Some("professional"))
    );
    let subjects = outbox_subjects(&app, &admin).await;
    assert!(
        subjects.iter().any(|s| s.starts_with("You are invited")),
        "{subjects:?}"
    );
    problem(
        op(&app, &owner, Method::POST, "/api/v1/platform/tenants").json(&json!({
            "organization_name": "Dup", "slug": slug, "kind": "fbo",
            "admin_email": "x@y.example", "admin_name": "X", "plan": "trial"
        })),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    problem(
        op(&app, &owner, Method::POST, "/api/v1/platform/tenants").json(&json!({
            "organization_name": "Bad", "slug": "api", "kind": "fbo",
            "admin_email": "nope", "admin_name": "X", "plan": "platinum"
        })),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // A plan leaving reports out: the flag is off and the tenant cannot switch it on.
    let id = &a.id;
    let patched = call(
        op(
            &app,
            &owner,
            Method::PATCH,
            &format!("/api/v1/platform/tenants/{id}"),
        )
        .json(&json!({"plan": "starter", "name": "Renamed School"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (patched["plan"].as_str(), patched["name"].as_str()),
        (Some("starter"), Some("Renamed School"))
    );
    let flags = call(
        app.tenant_req(&a, Method::GET, "/api/v1/settings/feature-flags"),
        StatusCode::OK,
    )
    .await;
    let reports = flags["items"]
        .as_array()
        .and_then(|i| i.iter().find(|f| f["key"] == "reports"))
        .cloned()
        .expect("reports flag");
    assert_eq!(
        (reports["enabled"].clone(), reports["source"].clone()),
        (json!(false), json!("platform"))
    );
    problem(
        app.tenant_req(&a, Method::PUT, "/api/v1/settings/feature-flags/reports")
            .json(&json!({"enabled": true})),
        StatusCode::FORBIDDEN,
        "plan-limit-reached",
    )
    .await;

    // A user limit of 1 for this tenant: its admin cannot add a second user.
    call(
        op(
            &app,
            &owner,
            Method::PATCH,
            &format!("/api/v1/platform/tenants/{id}"),
        )
        .json(&json!({"limits": {"users": 1}})),
        StatusCode::OK,
    )
    .await;
    let new_user = json!({"email": format!("pilot@{}.example", a.slug), "name": "Pilot", "password": PASSWORD});
    problem(
        app.tenant_req(&a, Method::POST, "/api/v1/users")
            .json(&new_user),
        StatusCode::FORBIDDEN,
        "plan-limit-reached",
    )
    .await;
    call(
        op(
            &app,
            &owner,
            Method::PATCH,
            &format!("/api/v1/platform/tenants/{id}"),
        )
        .json(&json!({"limits": {"users": null}})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&a, Method::POST, "/api/v1/users")
            .json(&new_user),
        StatusCode::CREATED,
    )
    .await;
    problem(
        op(
            &app,
            &owner,
            Method::PATCH,
            &format!("/api/v1/platform/tenants/{id}"),
        )
        .json(&json!({"plan": "platinum"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        op(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v1/platform/tenants/{}", uuid::Uuid::new_v4()),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Migrate one tenant; the migrations overview.
    let migrated = call(
        op(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/platform/tenants/{id}/migrate"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(migrated["items"][0]["status"], "current");
    assert_eq!(migrated["items"][0]["tenant_id"], id.as_str());
    let mut cursor: Option<String> = None;
    let mut seen = None;
    for _ in 0..1000 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/platform/migrations?limit=200&cursor={c}"),
            None => "/api/v1/platform/migrations?limit=200".into(),
        };
        let page = call(op(&app, &owner, Method::GET, &path), StatusCode::OK).await;
        if let Some(item) = page["items"]
            .as_array()
            .and_then(|i| i.iter().find(|t| t["tenant_id"] == id.as_str()))
        {
            seen = Some(item.clone());
            break;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let seen = seen.expect("the tenant in /migrations");
    assert_eq!(seen["state"], "current");
    assert_eq!(seen["schema_version"], seen["latest_version"]);

    let actions = platform_actions(&app, &owner, Some(id)).await;
    for expected in ["tenant.updated", "tenant.migrated"] {
        assert!(
            actions.iter().any(|x| x == expected),
            "{expected} missing in {actions:?}"
        );
    }
}

#[tokio::test]
async fn suspension_reaches_another_replica_within_a_second() {
    let (app, email) = platform_app(Figment::new()).await;
    let replica = TestApp::spawn().await;
    let owner = operator_login(&app, &email, PASSWORD).await;
    let t = app.signup("fbo").await;
    call(
        replica.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    let suspended = call(
        op(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/platform/tenants/{}/suspend", t.id),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            suspended["status"].as_str(),
            suspended["status_reason"].as_str()
        ),
        (Some("suspended"), Some("operator"))
    );
    wait_for(&replica, &t, StatusCode::FORBIDDEN).await;
    problem(
        replica.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::FORBIDDEN,
        "tenant-suspended",
    )
    .await;
    problem(
        op(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/platform/tenants/{}/suspend", t.id),
        ),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    call(
        op(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/platform/tenants/{}/resume", t.id),
        ),
        StatusCode::OK,
    )
    .await;
    wait_for(&replica, &t, StatusCode::OK).await;
    let actions = platform_actions(&app, &owner, Some(&t.id)).await;
    assert_eq!(&actions[..2], ["tenant.resumed", "tenant.suspended"]);
}

/// Polls `replica` until the tenant's notes answer `expected`; fails after one second.
async fn wait_for(replica: &TestApp, t: &TestTenant, expected: StatusCode) {
    let start = Instant::now();
    loop {
        let status = replica
            .tenant_req(t, Method::GET, "/api/v1/tools/notes")
            .send()
            .await
            .expect("send")
            .status();
        if status == expected {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the replica still answers {status} after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn outbox_subjects(app: &TestApp, to: &str) -> Vec<String> {
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    sqlx::query_scalar(
        "select subject from platform.mail_outbox where to_address = $1 order by created_at",
    )
    .bind(to)
    .fetch_all(&mut conn)
    .await
    .expect("outbox")
}

/// (table, row count, md5 of all rows) for every table of the tenant's schema.
async fn fingerprint(app: &TestApp, schema: &str) -> Vec<(String, i64, Option<String>)> {
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by 1",
    )
    .bind(schema)
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for table in tables {
        let (n, sum): (i64, Option<String>) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select count(*), md5(string_agg(t::text, '|' order by t::text)) from \"{schema}\".\"{table}\" t"
        )))
        .fetch_one(&mut conn)
        .await
        .expect("fingerprint");
        out.push((table, n, sum));
    }
    out
}

#[tokio::test]
async fn archive_then_restore_round_trips_the_data() {
    // A database of its own: the archive job must be run by this app's worker.
    let (overrides, email) = operator_overrides(Figment::new());
    let app = TestApp::spawn_own_db("platform_archive", overrides).await;
    let owner = operator_login(&app, &email, PASSWORD).await;
    let t = app.signup("flight_school").await;
    for i in 0..5 {
        app.create_note(&t, &format!("Note {i}")).await;
    }
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/tasks")
            .json(&json!({"title": "Annual inspection", "priority": "high"})),
        StatusCode::CREATED,
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/events")
            .json(&json!({"title": "Fly-in", "all_day": true, "start_date": "2027-05-01"})),
        StatusCode::CREATED,
    )
    .await;
    let schema = format!("t_{}", t.id.replace('-', ""));
    let before = fingerprint(&app, &schema).await;
    assert!(
        before
            .iter()
            .any(|(table, n, _)| table == "notes" && *n == 5),
        "{before:?}"
    );

    let resp = op(
        &app,
        &owner,
        Method::DELETE,
        &format!("/api/v1/platform/tenants/{}", t.id),
    )
    .send()
    .await
    .expect("delete");
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    // It stops serving at once.
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::NOT_FOUND,
        "tenant-not-found",
    )
    .await;
    // The background job dumps, stores and drops the schema.
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    let start = Instant::now();
    loop {
        let (archived, schema_left): (bool, bool) = sqlx::query_as(
            "select exists(select 1 from platform.tenant_archives where tenant_id = $1::uuid),
                    exists(select 1 from pg_namespace where nspname = $2)",
        )
        .bind(&t.id)
        .bind(&schema)
        .fetch_one(&mut conn)
        .await
        .expect("poll");
        if archived && !schema_left {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the archive job did not finish"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    problem(
        op(
            &app,
            &owner,
            Method::DELETE,
            &format!("/api/v1/platform/tenants/{}", t.id),
        ),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    problem(
        op(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/platform/tenants/{}/suspend", t.id),
        ),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let archived: Value = call(
        op(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v1/platform/tenants/{}", t.id),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(archived["status"], "archived");
    assert!(archived["usage"].is_null());

    let restored = call(
        op(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/platform/tenants/{}/restore", t.id),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(restored["tenant"]["status"], "active");
    let after = fingerprint(&app, &schema).await;
    assert_eq!(before, after, "every table comes back with the same rows");
    let token = app.login(&t.slug, &t.admin_email, PASSWORD).await;
    let notes = call(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&token),
        StatusCode::OK,
    )
    .await;
    assert_eq!(notes["items"].as_array().map(Vec::len), Some(5));
    problem(
        op(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v1/platform/tenants/{}/restore", t.id),
        ),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let actions = platform_actions(&app, &owner, Some(&t.id)).await;
    for expected in [
        "tenant.archived",
        "tenant.archive_stored",
        "tenant.restored",
    ] {
        assert!(
            actions.iter().any(|x| x == expected),
            "{expected} missing in {actions:?}"
        );
    }
}
