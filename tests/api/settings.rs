//! `/api/v1/settings`: CRUD by key, typed known keys, audit, permissions, isolation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, call, problem};

#[tokio::test]
async fn settings_crud_validation_and_audit() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let created = call(
        app.tenant_req(&t, Method::POST, "/api/v1/settings").json(
            &json!({"key": "timezone", "value": "Europe/Zurich", "description": "Local time"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (created["value"].clone(), created["version"].clone()),
        (json!("Europe/Zurich"), json!(1))
    );
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/settings")
            .json(&json!({"key": "timezone", "value": "UTC"})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let updated = call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/timezone")
            .json(&json!({"value": "America/New_York"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            updated["value"].clone(),
            updated["version"].clone(),
            updated["description"].clone()
        ),
        (json!("America/New_York"), json!(2), json!("Local time"))
    );

    // Known keys are typed; every field error is named; nothing is stored.
    let bad = problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/units").json(&json!({"value": {"distance": "parsec", "altitude": "ft", "weight": "kg", "fuel": "l"}})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        bad["errors"],
        json!([{"field": "value.distance", "message": "must be one of: nm, km, mi"}])
    );
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/currency")
            .json(&json!({"value": 5})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/Bad-Key")
            .json(&json!({"value": 1})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/units"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // Unknown keys are free-form.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/ui.dashboard")
            .json(&json!({"value": {"cards": ["fleet", "schedule"]}})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/currency")
            .json(&json!({"value": "CHF"})),
        StatusCode::OK,
    )
    .await;

    // Pagination by key.
    let first = call(
        app.tenant_req(&t, Method::GET, "/api/v1/settings?limit=2"),
        StatusCode::OK,
    )
    .await;
    let keys: Vec<&str> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert_eq!(keys, ["currency", "timezone"]);
    let next = first["next_cursor"].as_str().expect("cursor");
    let second = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/settings?limit=2&cursor={next}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["items"][0]["key"], "ui.dashboard");
    assert_eq!(second["next_cursor"], Value::Null);

    call(
        app.tenant_req(&t, Method::DELETE, "/api/v1/settings/ui.dashboard"),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, "/api/v1/settings/ui.dashboard"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?resource_type=setting&resource_id=timezone",
        ),
        StatusCode::OK,
    )
    .await;
    let items = audit["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["action"], "setting.updated");
    assert_eq!(
        (
            items[0]["before"]["value"].clone(),
            items[0]["after"]["value"].clone()
        ),
        (json!("Europe/Zurich"), json!("America/New_York"))
    );

    // Permissions and isolation.
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    problem(
        app.tenant_req(&student, Method::GET, "/api/v1/settings"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&student, Method::PUT, "/api/v1/settings/currency")
            .json(&json!({"value": "EUR"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let (_, staff) = app.user_with_roles(&t, &["organization_admin"]).await;
    call(
        app.tenant_req(&staff, Method::GET, "/api/v1/settings/currency"),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&staff, Method::DELETE, "/api/v1/settings/currency"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let b = app.signup("fbo").await;
    problem(
        app.tenant_req(&b, Method::GET, "/api/v1/settings/timezone"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let theirs = call(
        app.tenant_req(&b, Method::GET, "/api/v1/settings"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn audit_retention_follows_the_setting() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let keep_all = app.signup("flight_school").await;
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/audit.retention_days")
            .json(&json!({"value": 5})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/audit.retention_days")
            .json(&json!({"value": 30})),
        StatusCode::OK,
    )
    .await;
    for tenant in [&t, &keep_all] {
        let tt = app.tenant(tenant).await;
        let mut tx = tt.begin(app.state.db()).await.expect("tx");
        sqlx::query(
            "insert into audit_logs (id, actor_type, action, resource_type, created_at)
             select gen_random_uuid(), 'system', 'old.thing', 'thing', now() - interval '100 days' from generate_series(1, 20)",
        )
        .execute(&mut *tx)
        .await
        .expect("old rows");
        tx.commit().await.expect("commit");
    }
    flightline::jobs::run_for_every_tenant(
        app.state.db(),
        &flightline::domains::settings::retention::AUDIT_RETENTION,
    )
    .await
    .expect("retention");
    let old = |tenant: crate::helpers::TestTenant| {
        let app = &app;
        async move {
            let tt = app.tenant(&tenant).await;
            let mut tx = tt.begin(app.state.db()).await.expect("tx");
            let n: i64 =
                sqlx::query_scalar("select count(*) from audit_logs where action = 'old.thing'")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("count");
            let recent: i64 = sqlx::query_scalar("select count(*) from audit_logs where action = 'setting.updated' or action = 'setting.created'")
                .fetch_one(&mut *tx)
                .await
                .expect("count");
            (n, recent)
        }
    };
    assert_eq!(
        old(t.clone()).await,
        (0, 1),
        "old rows go, recent ones stay"
    );
    assert_eq!(
        old(keep_all.clone()).await.0,
        20,
        "without the setting everything is kept"
    );
}

pub const PNG: &[u8] = include_bytes!("fixtures/logo.png");
const JPEG: &[u8] = include_bytes!("fixtures/logo.jpg");
const TOO_WIDE: &[u8] = include_bytes!("fixtures/logo-too-wide.png");
const LOGO: &str = "/api/v1/settings/branding/logo";

/// Uploads `bytes` as the tenant's logo of `content_type`.
pub fn put_logo(
    app: &TestApp,
    t: &crate::helpers::TestTenant,
    content_type: &str,
    bytes: &[u8],
) -> reqwest::RequestBuilder {
    app.tenant_req(t, Method::PUT, LOGO)
        .header("content-type", content_type)
        .body(bytes.to_vec())
}

#[tokio::test]
async fn the_logo_is_checked_kept_once_audited_and_the_organisations_own() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let b = app.signup("charter_operator").await;
    let none = call(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/branding"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["logo"], Value::Null);
    assert!(none["name"].as_str().is_some_and(|n| !n.is_empty()));
    problem(
        app.tenant_req(&t, Method::GET, LOGO),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Refused, each changing nothing: not an image, the wrong type, too wide, too large, a
    // type that is no image at all, empty.
    for (content_type, bytes, field) in [
        ("image/png", b"not a png".to_vec(), "body"),
        ("image/jpeg", PNG.to_vec(), "body"),
        ("image/png", JPEG.to_vec(), "body"),
        ("image/png", TOO_WIDE.to_vec(), "body"),
        ("image/png", Vec::new(), "body"),
    ] {
        let p = problem(
            put_logo(&app, &t, content_type, &bytes),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    problem(
        put_logo(&app, &t, "image/png", &vec![0u8; 600 * 1024]),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;
    problem(
        put_logo(&app, &t, "image/svg+xml", b"<svg/>"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, LOGO),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Kept, replaced, served as sent with its SHA-256 as ETag.
    let png = call(put_logo(&app, &t, "image/png", PNG), StatusCode::OK).await;
    assert_eq!(
        (
            png["content_type"].clone(),
            png["width"].clone(),
            png["height"].clone(),
            png["size_bytes"].clone()
        ),
        (json!("image/png"), json!(240), json!(80), json!(PNG.len()))
    );
    let jpeg = call(put_logo(&app, &t, "image/jpeg", JPEG), StatusCode::OK).await;
    assert_eq!(jpeg["content_type"], "image/jpeg");
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    let resp = app
        .tenant_req(&pilot, Method::GET, LOGO)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(
        resp.headers()["etag"].to_str().expect("etag"),
        format!("\"{}\"", jpeg["sha256"].as_str().expect("sha"))
    );
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), JPEG);
    let seen = call(
        app.tenant_req(&pilot, Method::GET, "/api/v1/settings/branding"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["logo"]["sha256"], jpeg["sha256"]);

    // Only `settings.manage` changes it; another organisation sees none of it.
    problem(
        put_logo(&app, &pilot, "image/png", PNG),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&pilot, Method::DELETE, LOGO),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&b, Method::GET, LOGO),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&b, Method::DELETE, LOGO),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let theirs = call(
        app.tenant_req(&b, Method::GET, "/api/v1/settings/branding"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["logo"], Value::Null);

    call(
        app.tenant_req(&t, Method::DELETE, LOGO),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, LOGO),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(
        crate::helpers::audit_actions(&app, &t, "branding").await,
        [
            "branding.logo_deleted",
            "branding.logo_updated",
            "branding.logo_updated"
        ]
    );
}
