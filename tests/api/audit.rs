//! `/api/v1/settings/audit-logs`: list, filters, pagination, export.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, call, problem};

#[tokio::test]
async fn list_filters_and_pages_the_audit_log() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    for i in 0..7 {
        app.create_note(&t, &format!("audited {i}")).await;
    }
    let all = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?action=note.created&limit=3",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3));
    let first = &all["items"][0];
    assert_eq!(first["resource_type"], "note");
    assert_eq!(first["actor_type"], "user");
    assert!(
        first["ip"].is_string()
            && first["request_id"].is_string()
            && first["after"]["title"].is_string()
    );
    // Walk every page: 7 rows, newest first, no duplicates.
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/settings/audit-logs?action=note.created&limit=3".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
        ids.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(ids.len(), 7);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 7);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(ids, sorted, "newest first");

    let me = call(
        app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
    let mine = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "/api/v1/settings/audit-logs?actor_id={}&resource_type=note&limit=200",
                me["id"].as_str().unwrap_or_default()
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(7));
    let future = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?since=2999-01-01T00:00:00Z",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(future["items"].as_array().map(Vec::len), Some(0));
    problem(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/audit-logs?actor_id=nope"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Another tenant sees none of it; a student may not read it.
    let b = app.signup("fbo").await;
    let theirs = call(
        app.tenant_req(
            &b,
            Method::GET,
            "/api/v1/settings/audit-logs?action=note.created",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    problem(
        app.tenant_req(&student, Method::GET, "/api/v1/settings/audit-logs"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(
            &student,
            Method::GET,
            "/api/v1/settings/audit-logs/export?format=csv",
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn export_streams_csv_and_json_lines() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    for i in 0..5 {
        app.create_note(&t, &format!("quote \"{i}\", with comma"))
            .await;
    }
    // More than one export batch: 1,100 rows written directly.
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::query(
        "insert into audit_logs (id, actor_type, action, resource_type, resource_id)
         select gen_random_uuid(), 'system', 'bulk.test', 'thing', g::text from generate_series(1, 1100) g",
    )
    .execute(&mut *tx)
    .await
    .expect("bulk");
    tx.commit().await.expect("commit");

    let resp = app
        .tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs/export?format=jsonl&action=bulk.test",
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-ndjson")
    );
    let text = resp.text().await.expect("body");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 1100);
    assert_eq!(
        lines
            .iter()
            .filter_map(|l| l["id"].as_str())
            .collect::<HashSet<_>>()
            .len(),
        1100
    );

    let resp = app
        .tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs/export?format=csv&action=note.created",
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/csv"))
    );
    let csv = resp.text().await.expect("body");
    let mut rows = csv.lines();
    assert!(
        rows.next()
            .is_some_and(|h| h.starts_with("id,actor_id,actor_type,action"))
    );
    // Five notes; titles with quotes and commas are quoted and doubled, so each row still has
    // the action in column four.
    let body: Vec<&str> = rows.collect();
    assert_eq!(body.len(), 5);
    assert!(body.iter().all(|r| r.contains(",note.created,note,")));
    assert!(csv.contains("\"\"quote"), "quotes are doubled: {csv}");

    problem(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs/export?format=xml",
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}
