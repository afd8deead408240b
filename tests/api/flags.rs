//! Feature flags: defaults per kind, one enforcement point, replicas, platform forcing.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, call, problem};

#[tokio::test]
async fn flags_switch_modules_everywhere_and_can_be_forced() {
    let app = TestApp::spawn().await;
    let replica = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/feature-flags"),
        StatusCode::OK,
    )
    .await;
    let get = |key: &str| {
        list["items"]
            .as_array()
            .and_then(|i| i.iter().find(|f| f["key"] == key))
            .cloned()
            .expect("flag")
    };
    assert_eq!(
        (
            get("tools.notes")["enabled"].clone(),
            get("tools.notes")["source"].clone()
        ),
        (json!(true), json!("default"))
    );
    assert_eq!(
        get("charter")["enabled"],
        false,
        "a flight school starts without charter"
    );
    assert_eq!(get("fleet")["default"], true);

    // Switch notes off: every notes route answers 404 feature-disabled, here and on the replica.
    call(
        replica.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    let off = call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/settings/feature-flags/tools.notes",
        )
        .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (off["enabled"].clone(), off["source"].clone()),
        (json!(false), json!("tenant"))
    );
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/notes")
            .json(&json!({"title": "x"})),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    let start = Instant::now();
    loop {
        let status = replica
            .tenant_req(&t, Method::GET, "/api/v1/tools/notes")
            .send()
            .await
            .expect("send")
            .status();
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "replica still serves notes after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/tasks"),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/settings/feature-flags/tools.notes",
        )
        .json(&json!({"enabled": true})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;

    // A platform operator forces tasks off: the tenant cannot change it.
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query(
        "update platform.tenants set forced_flags = '{\"tools.tasks\": false}' where id = $1::uuid",
    )
    .bind(&t.id)
    .execute(&mut *conn)
    .await
    .expect("force");
    drop(conn);
    app.state.registry.invalidate_all();
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/tasks"),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/settings/feature-flags/tools.tasks",
        )
        .json(&json!({"enabled": true})),
        StatusCode::CONFLICT,
        "flag-forced",
    )
    .await;
    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/feature-flags"),
        StatusCode::OK,
    )
    .await;
    let tasks = list["items"]
        .as_array()
        .and_then(|i| i.iter().find(|f| f["key"] == "tools.tasks"))
        .cloned()
        .expect("flag");
    assert_eq!(
        (tasks["enabled"].clone(), tasks["source"].clone()),
        (json!(false), json!("platform"))
    );

    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/warp.drive")
            .json(&json!({"enabled": true})),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/fleet")
            .json(&json!({"enabled": "yes"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    problem(
        app.tenant_req(
            &student,
            Method::PUT,
            "/api/v1/settings/feature-flags/fleet",
        )
        .json(&json!({"enabled": false})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Another tenant is unaffected.
    let b = app.signup("flight_school").await;
    call(
        app.tenant_req(&b, Method::GET, "/api/v1/tools/tasks"),
        StatusCode::OK,
    )
    .await;

    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?action=feature_flag.changed",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn charter_operators_start_without_training_theory() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/feature-flags"),
        StatusCode::OK,
    )
    .await;
    let enabled = |key: &str| {
        list["items"]
            .as_array()
            .and_then(|i| i.iter().find(|f| f["key"] == key))
            .map(|f| f["enabled"].clone())
    };
    assert_eq!(enabled("charter"), Some(json!(true)));
    assert_eq!(enabled("theory"), Some(json!(false)));
    assert_eq!(enabled("fbo"), Some(json!(false)));
}
