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
    // A tenant route answers a retryable 503 problem (API.md §1: never 500), revealing nothing.
    let resp = app
        .req(Method::GET, "/api/v1/tools/notes")
        .header("X-Tenant-ID", "some-tenant")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let p: serde_json::Value = resp.json().await.expect("problem");
    assert_eq!(p["code"], "unavailable");
    assert!(!p["detail"].as_str().unwrap_or("").contains("127.0.0.1"));
}

/// The PostgreSQL backend behind the app's (single) pooled tenant connection.
async fn pooled_backend_pid(app: &TestApp) -> i32 {
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await
        .expect("pid")
}

#[tokio::test]
async fn a_pooled_connection_killed_while_idle_is_replaced_not_handed_out() {
    use sqlx::Connection;
    // One tenant connection, so the request below must get the one that is killed, or a new one.
    let app = TestApp::spawn_with(override_kv("database.max_connections", 1)).await;
    let t = app.signup("flight_school").await;
    app.create_note(&t, "before the restart").await;
    let pid = pooled_backend_pid(&app).await;
    let mut admin = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("admin connection");
    let killed: bool = sqlx::query_scalar("select pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .expect("terminate");
    assert!(killed, "backend {pid} terminated");
    // Longer than `PING_IF_IDLE_FOR`: the pool pings the connection, finds it dead and opens
    // another, so the client sees nothing of the restart.
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"][0]["title"], "before the restart");
    assert_ne!(
        pooled_backend_pid(&app).await,
        pid,
        "a new backend serves the pool"
    );
}
