//! `/api/v1/tools/notes`: CRUD, validation, permissions, audit, pagination.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, TestTenant, call, problem};

async fn audit_rows(
    app: &TestApp,
    t: &TestTenant,
    resource_id: &str,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let tenant = app.tenant(t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::query_as(
        "select action, before, after from audit_logs where resource_id = $1 order by id",
    )
    .bind(resource_id)
    .fetch_all(&mut *tx)
    .await
    .expect("audit")
}

#[tokio::test]
async fn crud_with_audit_rows_in_the_same_transaction() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let created = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/notes")
            .json(&json!({"title": "Fuel truck", "body": "Call Bob", "pinned": true})),
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (
            created["title"].as_str(),
            created["pinned"].as_bool(),
            created["version"].as_i64()
        ),
        (Some("Fuel truck"), Some(true), Some(1))
    );

    let got = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/tools/notes/{id}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(got, created);

    let patched = call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/notes/{id}"))
            .json(&json!({"body": null, "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            patched["body"].clone(),
            patched["title"].as_str(),
            patched["version"].as_i64()
        ),
        (Value::Null, Some("Fuel truck"), Some(2))
    );

    // A stale version conflicts and changes nothing.
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/notes/{id}"))
            .json(&json!({"title": "x", "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;

    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/tools/notes/{id}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/tools/notes/{id}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/tools/notes/{id}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    let rows = audit_rows(&app, &t, &id).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["note.created", "note.updated", "note.deleted"]);
    assert_eq!(
        rows[1].1.as_ref().map(|b| b["body"].clone()),
        Some(json!("Call Bob"))
    );
    assert_eq!(
        rows[1].2.as_ref().map(|a| a["body"].clone()),
        Some(Value::Null)
    );
    assert_eq!(rows[2].2, None);
}

#[tokio::test]
async fn bad_input_gets_field_errors_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let post = || app.tenant_req(&t, Method::POST, "/api/v1/tools/notes");

    let body = problem(
        post().json(&json!({})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        body["errors"],
        json!([{"field": "title", "message": "is required"}])
    );
    let body = problem(
        post().json(&json!({"title": ""})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "title");
    let body = problem(
        post().json(&json!({"title": "x".repeat(201)})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "must be at most 200 characters"
    );
    let body = problem(
        post().json(&json!({"title": 7, "pinned": "yes"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let fields: HashSet<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, HashSet::from(["title", "pinned"]));
    problem(
        post().json(&json!({"title": "   "})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        post().json(&json!([1, 2])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        post()
            .header("content-type", "application/json")
            .body("{\"title\": "),
        StatusCode::BAD_REQUEST,
        "malformed-json",
    )
    .await;
    problem(
        post().header("content-type", "text/plain").body("hello"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    problem(
        post().json(&json!({"title": "big", "body": "x".repeat(2 << 20)})),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?limit=0"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?limit=201"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?limit=abc"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?cursor=%%%"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes/not-a-uuid"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/tools/notes"),
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;

    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list, json!({"items": [], "next_cursor": null}));
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let n: i64 = sqlx::query_scalar("select count(*) from audit_logs where resource_type = 'note'")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(n, 0);
}

#[tokio::test]
async fn pagination_walk_has_no_duplicates_or_gaps() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(
            app.create_note(&t, &format!("note {i}")).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    // Pinned filter works alongside.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/api/v1/tools/notes?limit=5".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
        pages += 1;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    created.reverse();
    assert_eq!(seen, created, "newest first, each exactly once");
    let pinned = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?pinned=true"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(pinned["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn permissions_are_enforced() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let note = app.create_note(&t, "admin's").await;
    // A reader: a user whose only role grants tools.notes.read.
    let tenant = app.tenant(&t).await;
    let hash = app.state.passwords.hash(PASSWORD).await.expect("hash");
    let email = format!("reader@{}.example", t.slug);
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let (uid, rid) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query("insert into users (id, email, name, password_hash) values ($1, $2, 'Reader', $3)")
        .bind(uid)
        .bind(&email)
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .expect("user");
    sqlx::query(
        "insert into roles (id, name, permissions) values ($1, 'reader', '{tools.notes.read}')",
    )
    .bind(rid)
    .execute(&mut *tx)
    .await
    .expect("role");
    sqlx::query("insert into user_roles (user_id, role_id) values ($1, $2)")
        .bind(uid)
        .bind(rid)
        .execute(&mut *tx)
        .await
        .expect("ur");
    tx.commit().await.expect("commit");
    let reader = TestTenant {
        token: app.login(&t.slug, &email, PASSWORD).await,
        ..t.clone()
    };

    call(
        app.tenant_req(&reader, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    let id = note["id"].as_str().expect("id");
    call(
        app.tenant_req(&reader, Method::GET, &format!("/api/v1/tools/notes/{id}")),
        StatusCode::OK,
    )
    .await;
    let p = problem(
        app.tenant_req(&reader, Method::POST, "/api/v1/tools/notes")
            .json(&json!({"title": "nope"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("tools.notes.write")
    );
    problem(
        app.tenant_req(&reader, Method::PATCH, &format!("/api/v1/tools/notes/{id}"))
            .json(&json!({"title": "nope"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(
            &reader,
            Method::DELETE,
            &format!("/api/v1/tools/notes/{id}"),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Deactivating the user ends its access at once.
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::query("update users set is_active = false where id = $1")
        .bind(uid)
        .execute(&mut *tx)
        .await
        .expect("deactivate");
    // What the users API does on deactivation: tell every replica's access cache.
    flightline::auth::access::notify(
        &mut tx,
        flightline::auth::access::Invalidation::Tenant(tenant.id),
    )
    .await
    .expect("notify");
    tx.commit().await.expect("commit");
    // The invalidation arrives over LISTEN/NOTIFY: poll for it (bounded) rather than guess a delay.
    let start = std::time::Instant::now();
    while app
        .tenant_req(&reader, Method::GET, "/api/v1/tools/notes")
        .send()
        .await
        .expect("send")
        .status()
        != StatusCode::UNAUTHORIZED
        && start.elapsed() < std::time::Duration::from_secs(3)
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    problem(
        app.tenant_req(&reader, Method::GET, "/api/v1/tools/notes"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // No token at all.
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &t.slug),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}
