//! Health, readiness, metrics, request ids and the error shape of unknown routes.

use figment::Figment;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, call, override_kv, problem, settings};

#[tokio::test]
async fn health_readiness_metrics_and_request_ids() {
    let app = TestApp::spawn().await;
    assert_eq!(
        call(app.req(Method::GET, "/health"), StatusCode::OK).await["status"],
        "ok"
    );
    assert_eq!(
        call(app.req(Method::GET, "/readiness"), StatusCode::OK).await["status"],
        "ready"
    );

    let resp = app
        .req(Method::GET, "/health")
        .header("X-Request-Id", "client-id-42")
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("client-id-42")
    );
    let resp = app
        .req(Method::GET, "/health")
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .expect("send");
    let generated = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");

    let t = app.signup("flight_school").await;
    let note = app.create_note(&t, "metric me").await;
    call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "/api/v1/tools/notes/{}",
                note["id"].as_str().unwrap_or_default()
            ),
        ),
        StatusCode::OK,
    )
    .await;
    problem(
        app.req(Method::GET, "/no/such/route"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    let text = call(app.req(Method::GET, "/metrics"), StatusCode::OK).await;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    // Route templates, never raw ids.
    assert!(text.contains(r#"route="/api/v1/tools/notes/:"#), "{text}");
    assert!(!text.contains(note["id"].as_str().unwrap_or("-")));
    assert!(text.contains("db_pool_connections"), "{text}");
}

#[tokio::test]
async fn readiness_is_503_while_postgres_is_unreachable() {
    let s = settings(
        Figment::new()
            .merge(override_kv(
                "database.url",
                "postgres://postgres@127.0.0.1:1/nothing",
            ))
            .merge(override_kv("database.acquire_timeout_seconds", 1)),
    );
    let state = flightline::build_state(s).expect("state");
    let server = flightline::serve(state).await.expect("serve");
    let app = TestApp::around(server);
    let body = call(
        app.req(Method::GET, "/readiness"),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(body["database"], "unreachable");
    assert_eq!(
        call(app.req(Method::GET, "/health"), StatusCode::OK).await["status"],
        "ok"
    );
    // A tenant route fails as a clean 500 problem, revealing nothing.
    let p = problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", "some-tenant"),
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
    )
    .await;
    assert_eq!(p["detail"], "an unexpected error occurred");
}
