//! Strict input (API.md §1): a number or boolean where a string is declared and a NUL character
//! anywhere are `422 validation-failed` naming the field, never stored and never a 500; a
//! setting's `value` is required.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, call, problem};
use crate::platform::platform_app;

#[tokio::test]
async fn numbers_for_strings_and_nul_characters_are_field_errors() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let notes = |m| app.tenant_req(&t, m, "/api/v1/tools/notes");

    for (body, field) in [
        (json!({"title": 123}), "title"),
        (json!({"title": true}), "title"),
        (json!({"title": "ok", "body": 4.5}), "body"),
        (json!({"title": "a\u{0}b"}), "title"),
        (json!({"title": "ok", "body": "x\u{0}"}), "body"),
    ] {
        let p = problem(
            notes(Method::POST).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    // Nested: a NUL inside an array item is named by its path.
    let p = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "r", "permissions": ["tools.notes.read", "x\u{0}"]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "permissions[1]");
    // A NUL in a query parameter reaches no handler's check: 422, not 500.
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes?q=a%00b"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    // Nothing was stored.
    let list = call(notes(Method::GET), StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
    // Numbers where numbers are declared still pass.
    call(
        notes(Method::POST).json(&json!({"title": "fine", "pinned": true})),
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn a_nul_in_a_login_email_is_422_for_tenants_and_operators() {
    let (app, _) = platform_app(figment::Figment::new()).await;
    let t = app.signup("fbo").await;
    let p = problem(
        app.req(Method::POST, "/api/v1/auth/login")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"email": "a\u{0}@b.example", "password": "whatever-long"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "email");
    let p = problem(
        app.req(Method::POST, "/api/v1/platform/auth/login")
            .json(&json!({"email": "a\u{0}@b.example", "password": "whatever-long"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "email");
    // An e-mail sent as a number is refused too.
    problem(
        app.req(Method::POST, "/api/v1/platform/auth/login")
            .json(&json!({"email": 42, "password": "whatever-long"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn a_setting_value_is_required_on_create_and_put() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/settings")
            .json(&json!({"key": "custom.colour", "value": "blue"})),
        StatusCode::CREATED,
    )
    .await;
    for body in [
        json!({}),
        json!({"value": null}),
        json!({"description": "d"}),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/custom.colour")
                .json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "value", "{body}");
    }
    let p = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/settings")
            .json(&json!({"key": "custom.size"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "value");
    // The stored value is unchanged.
    let s = call(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/custom.colour"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(s["value"], "blue");
}

/// What schemathesis checks of every operation, for the cases it found: a 405 names the allowed
/// methods; without credentials a switched-off module or disabled billing answers `401` like
/// any other operation (nothing about the organisation's modules leaks); an empty `cursor` is
/// the first page.
#[tokio::test]
async fn allow_headers_credentials_first_and_empty_cursors() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let resp = app
        .tenant_req(&t, Method::PUT, "/api/v1/tools/notes")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, POST")
    );
    let note = app.create_note(&t, "x").await;
    let resp = app
        .tenant_req(
            &t,
            Method::POST,
            &format!("/api/v1/tools/notes/{}", note["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("DELETE, GET, PATCH")
    );
    let resp = app
        .tenant_req(&t, Method::DELETE, "/api/v1/users/me/sessions")
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET")
    );

    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/settings/feature-flags/tools.notes",
        )
        .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    for path in ["/api/v1/tools/notes", "/api/v1/billing/subscription"] {
        let resp = app
            .req(Method::GET, path)
            .header("X-Tenant-ID", &t.slug)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // The Stripe webhook (no credentials of ours) still says billing is off.
    problem(
        app.req(Method::POST, "/webhooks/stripe").json(&json!({})),
        StatusCode::NOT_FOUND,
        "billing-disabled",
    )
    .await;

    let page = call(
        app.tenant_req(&t, Method::GET, "/api/v1/users?cursor=&limit=1"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
}

/// A declared pattern is checked field by field (the message names the pattern), and a NUL in
/// the name of a property the operation does not know is ignored like the property.
#[tokio::test]
async fn patterns_are_field_errors_and_unknown_properties_are_ignored() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let p = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/settings")
            .json(&json!({"key": "Bad Key", "value": 1})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "key");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("must match")
    );
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/notes")
            .json(&json!({"title": "fine", "x\u{0}y": "ignored"})),
        StatusCode::CREATED,
    )
    .await;
}
