//! Tools beyond notes: tasks and call logs; notes search.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, call, problem};

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn tasks_crud_filters_permissions_and_isolation() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let (lm_id, line_manager) = app.user_with_roles(&t, &["line_manager"]).await;
    let overdue = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/tasks").json(&json!({
            "title": "Refuel GPU", "priority": "urgent", "due_at": "2020-01-01T00:00:00Z", "assignee_id": lm_id
        })),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            overdue["status"].clone(),
            overdue["priority"].clone(),
            overdue["overdue"].clone()
        ),
        (json!("open"), json!("urgent"), json!(true))
    );
    let later = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/tasks")
            .json(&json!({"title": "Order de-icing fluid", "due_at": "2999-01-01T00:00:00Z"})),
        StatusCode::CREATED,
    )
    .await;
    let oid = overdue["id"].as_str().expect("id").to_owned();

    assert_eq!(
        ids(&call(
            app.tenant_req(&t, Method::GET, "/api/v1/tools/tasks?overdue=true"),
            StatusCode::OK
        )
        .await),
        [oid.as_str()]
    );
    assert_eq!(
        ids(&call(
            app.tenant_req(
                &t,
                Method::GET,
                &format!("/api/v1/tools/tasks?assignee_id={lm_id}")
            ),
            StatusCode::OK
        )
        .await),
        [oid.as_str()]
    );
    assert_eq!(
        call(
            app.tenant_req(&t, Method::GET, "/api/v1/tools/tasks?status=open"),
            StatusCode::OK
        )
        .await["items"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // The assignee works it off; done records completed_at and it is no longer overdue.
    let done = call(
        app.tenant_req(
            &line_manager,
            Method::PATCH,
            &format!("/api/v1/tools/tasks/{oid}"),
        )
        .json(&json!({"status": "done", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert!(done["completed_at"].is_string());
    assert_eq!(
        (done["overdue"].clone(), done["version"].clone()),
        (json!(false), json!(2))
    );
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/tasks/{oid}"))
            .json(&json!({"title": "x", "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    assert_eq!(
        ids(&call(
            app.tenant_req(&t, Method::GET, "/api/v1/tools/tasks?status=done"),
            StatusCode::OK
        )
        .await),
        [oid.as_str()]
    );

    // Validation.
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/tasks")
            .json(&json!({"title": "x", "status": "someday", "priority": "meh"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"].as_array().map(Vec::len), Some(2));
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/tasks")
            .json(&json!({"title": "x", "assignee_id": uuid::Uuid::new_v4()})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Permissions: a fueler has no task permissions.
    let (_, fueler) = app.user_with_roles(&t, &["fueler"]).await;
    problem(
        app.tenant_req(&fueler, Method::GET, "/api/v1/tools/tasks"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&fueler, Method::POST, "/api/v1/tools/tasks")
            .json(&json!({"title": "x"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Another tenant: 404 for every id route, and an empty list.
    let b = app.signup("fbo").await;
    for (m, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"title": "x"}))),
        (Method::DELETE, None),
    ] {
        let mut rb = app.tenant_req(&b, m, &format!("/api/v1/tools/tasks/{oid}"));
        if let Some(body) = body {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::NOT_FOUND, "not-found").await;
    }
    assert_eq!(
        ids(&call(
            app.tenant_req(&b, Method::GET, "/api/v1/tools/tasks"),
            StatusCode::OK
        )
        .await)
        .len(),
        0
    );

    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!(
                "/api/v1/tools/tasks/{}",
                later["id"].as_str().unwrap_or_default()
            ),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?resource_type=task&limit=200",
        ),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "task.deleted",
            "task.updated",
            "task.created",
            "task.created"
        ]
    );
}

#[tokio::test]
async fn call_logs_crud_filters_and_isolation() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let c1 = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/calls").json(&json!({
            "contact_name": "Dr. Weber", "phone": "+41 44 000 00 00", "direction": "inbound",
            "occurred_at": "2026-03-01T09:00:00Z", "duration_seconds": 240, "summary": "Patient transfer ZRH-GVA"
        })),
        StatusCode::CREATED,
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/calls").json(&json!({
            "contact_name": "Handling LSGG", "direction": "outbound", "occurred_at": "2026-04-01T09:00:00Z"
        })),
        StatusCode::CREATED,
    )
    .await;
    let march = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/tools/calls?since=2026-03-01T00:00:00Z&until=2026-04-01T00:00:00Z",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&march), [c1["id"].as_str().expect("id").to_owned()]);
    let outbound = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/calls?direction=outbound"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(outbound["items"][0]["contact_name"], "Handling LSGG");

    let id = c1["id"].as_str().expect("id");
    let patched = call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/calls/{id}"))
            .json(&json!({"phone": null, "duration_seconds": 300})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            patched["phone"].clone(),
            patched["duration_seconds"].clone()
        ),
        (Value::Null, json!(300))
    );
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/calls").json(&json!({"contact_name": "x", "direction": "sideways", "occurred_at": "yesterday", "duration_seconds": 90000})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"].as_array().map(Vec::len), Some(3));
    problem(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/tools/calls?since=2026-05-01T00:00:00Z&until=2026-04-01T00:00:00Z",
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    let (_, medic) = app.user_with_roles(&t, &["medical_crew"]).await;
    problem(
        app.tenant_req(&medic, Method::GET, "/api/v1/tools/calls"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let b = app.signup("charter_operator").await;
    problem(
        app.tenant_req(&b, Method::GET, &format!("/api/v1/tools/calls/{id}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&b, Method::DELETE, &format!("/api/v1/tools/calls/{id}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/tools/calls/{id}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/tools/calls/{id}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn notes_search_is_literal_and_case_insensitive() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    app.create_note(&t, "Fuel at 100% before solo").await;
    app.create_note(&t, "Weather briefing").await;
    let hits = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?q=WEATHER"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(hits["items"].as_array().map(Vec::len), Some(1));
    let pct = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?q=100%25"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(pct["items"][0]["title"], "Fuel at 100% before solo");
    let wild = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?q=%25%25"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        wild["items"].as_array().map(Vec::len),
        Some(0),
        "% is not a wildcard"
    );
}

#[tokio::test]
async fn reviews_are_recorded_moderated_and_filtered() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let good = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/reviews").json(&json!({"subject": "Quick turn at LSZH", "rating": 5, "reviewer_name": "Capt. Ruiz"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(good["status"], "new");
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/reviews")
            .json(&json!({"subject": "Fuel truck late", "rating": 2})),
        StatusCode::CREATED,
    )
    .await;
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/reviews")
            .json(&json!({"subject": "x", "rating": 6})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "rating");
    let low = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/reviews?max_rating=3"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(low["items"][0]["subject"], "Fuel truck late");
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/reviews?min_rating=0"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let id = good["id"].as_str().expect("id");
    let published = call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/reviews/{id}"))
            .json(&json!({"status": "published"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(published["status"], "published");
    assert_eq!(
        ids(&call(
            app.tenant_req(&t, Method::GET, "/api/v1/tools/reviews?status=published"),
            StatusCode::OK
        )
        .await),
        [id]
    );
    let (_, fueler) = app.user_with_roles(&t, &["fueler"]).await;
    problem(
        app.tenant_req(&fueler, Method::GET, "/api/v1/tools/reviews"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let b = app.signup("fbo").await;
    problem(
        app.tenant_req(&b, Method::PATCH, &format!("/api/v1/tools/reviews/{id}"))
            .json(&json!({"status": "hidden"})),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/tools/reviews/{id}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/tools/reviews/{id}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

/// An assignee who is no user of this organisation: `422` naming `assignee_id` (the foreign
/// key's answer), on create and on update.
#[tokio::test]
async fn an_unknown_assignee_is_named() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let nobody = uuid::Uuid::new_v4();
    let p = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/tasks")
            .json(&json!({"title": "Wash N172SP", "assignee_id": nobody})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "assignee_id", "{p}");
    let task = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/tasks")
            .json(&json!({"title": "Wash N172SP"})),
        StatusCode::CREATED,
    )
    .await;
    let tid = task["id"].as_str().expect("id");
    let p = problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/tasks/{tid}"))
            .json(&json!({"assignee_id": nobody})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "assignee_id", "{p}");
}
