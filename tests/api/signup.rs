//! `POST /api/v1/signup` and slug availability.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, call, problem, unique_slug};

fn body(slug: &str) -> serde_json::Value {
    json!({
        "organization_name": "Alpine Flight Academy",
        "slug": slug,
        "kind": "flight_school",
        "admin_email": format!("chief@{slug}.example"),
        "admin_password": PASSWORD,
        "admin_name": "Chief",
        "plan": "trial",
    })
}

#[tokio::test]
async fn signup_creates_an_active_tenant_once() {
    let app = TestApp::spawn().await;
    let slug = unique_slug("s");
    let avail = call(
        app.req(Method::GET, &format!("/api/v1/public/slugs/{slug}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(avail["available"], true);

    let created = call(
        app.req(Method::POST, "/api/v1/signup").json(&body(&slug)),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["tenant"]["slug"], slug.as_str());
    assert_eq!(created["tenant"]["status"], "active");
    assert_eq!(created["tenant"]["kind"], "flight_school");
    assert_eq!(created["checkout_url"], serde_json::Value::Null);
    assert!(
        created["tenant"]["id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );

    let avail = call(
        app.req(Method::GET, &format!("/api/v1/public/slugs/{slug}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (avail["available"].clone(), avail["reason"].clone()),
        (json!(false), json!("taken"))
    );
    let dup = problem(
        app.req(Method::POST, "/api/v1/signup").json(&body(&slug)),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(dup["errors"][0]["field"], "slug");

    app.login(&slug, &format!("chief@{slug}.example"), PASSWORD)
        .await;
}

#[tokio::test]
async fn invalid_signups_name_each_field() {
    let app = TestApp::spawn().await;
    let b = json!({
        "organization_name": " ",
        "slug": "API",
        "kind": "flight_school",
        "admin_email": "not-an-email",
        "admin_password": "short1234",
        "admin_name": "x",
        "plan": "platinum",
    });
    let p = problem(
        app.req(Method::POST, "/api/v1/signup").json(&b),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let fields: HashSet<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.is_superset(&HashSet::from([
            "slug",
            "admin_email",
            "admin_password",
            "plan"
        ])),
        "{fields:?}"
    );

    let mut reserved = body("admin");
    reserved["admin_password"] = json!(PASSWORD);
    let p = problem(
        app.req(Method::POST, "/api/v1/signup").json(&reserved),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        p["errors"][0],
        json!({"field": "slug", "message": "is reserved"})
    );

    let mut bad_kind = body(&unique_slug("s"));
    bad_kind["kind"] = json!("airline");
    let p = problem(
        app.req(Method::POST, "/api/v1/signup").json(&bad_kind),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "kind");

    problem(
        app.req(Method::POST, "/api/v1/signup")
            .header("content-type", "application/json")
            .body("{"),
        StatusCode::BAD_REQUEST,
        "malformed-json",
    )
    .await;
    for (slug, reason) in [
        ("www", "reserved"),
        ("Bad_Slug", "invalid"),
        ("ab", "invalid"),
    ] {
        let a = call(
            app.req(Method::GET, &format!("/api/v1/public/slugs/{slug}")),
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            (a["available"].clone(), a["reason"].clone()),
            (json!(false), json!(reason))
        );
    }
}

#[tokio::test]
async fn concurrent_signups_for_one_slug_create_one_tenant() {
    let app = TestApp::spawn().await;
    let slug = unique_slug("race");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let rb = app.req(Method::POST, "/api/v1/signup").json(&body(&slug));
        tasks.push(tokio::spawn(async move {
            rb.send().await.expect("send").status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        3,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn the_plan_catalogue_is_public() {
    let app = TestApp::spawn().await;
    let plans = call(app.req(Method::GET, "/api/v1/public/plans"), StatusCode::OK).await;
    let keys: Vec<&str> = plans["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["key"].as_str())
        .collect();
    assert_eq!(keys, ["trial", "starter", "professional", "enterprise"]);
    let starter = &plans["items"][1];
    assert_eq!(starter["paid"], true);
    assert_eq!(starter["excluded_modules"], json!(["reports"]));
    assert!(starter["max_users"].is_i64() && plans["items"][3]["max_users"].is_null());
    assert!(plans["next_cursor"].is_null());
}

/// The body of the newest message to `to` whose subject starts with `subject`.
async fn mail_to(app: &TestApp, to: &str, subject: &str) -> Option<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    sqlx::query_scalar(
        "select body_text from platform.mail_outbox where to_address = $1 and subject like $2 || '%'
         order by created_at desc limit 1",
    )
    .bind(to)
    .bind(subject)
    .fetch_optional(&mut conn)
    .await
    .expect("outbox")
}

#[tokio::test]
async fn signup_mails_verification_and_welcome_and_limits_pending_signups() {
    let app = TestApp::spawn_with(crate::helpers::override_kv(
        "platform.max_pending_signups_per_email",
        2,
    ))
    .await;
    let email = format!("founder@{}.example", unique_slug("p"));
    let signup = |slug: String| {
        app.req(Method::POST, "/api/v1/signup").json(&json!({
            "organization_name": "Pending Air", "slug": slug, "kind": "charter_operator",
            "admin_email": email, "admin_password": PASSWORD, "admin_name": "Founder", "plan": "trial",
        }))
    };
    let first_slug = unique_slug("p");
    let first = call(signup(first_slug.clone()), StatusCode::CREATED).await;
    assert!(first["tenant"]["trial_ends_at"].is_string());
    assert!(
        mail_to(&app, &email, "Welcome to Flightline")
            .await
            .is_some()
    );
    let verify = mail_to(&app, &email, "Confirm your e-mail")
        .await
        .expect("verification mail");
    call(signup(unique_slug("p")), StatusCode::CREATED).await;
    problem(
        signup(unique_slug("p")),
        StatusCode::TOO_MANY_REQUESTS,
        "signup-limit-reached",
    )
    .await;

    // Confirming the address of the first one frees a place.
    let token = verify
        .split("token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("token in the link")
        .to_owned();
    call(
        app.req(Method::POST, "/api/v1/auth/verify-email")
            .header("X-Tenant-ID", &first_slug)
            .json(&json!({"token": token})),
        StatusCode::NO_CONTENT,
    )
    .await;
    call(signup(unique_slug("p")), StatusCode::CREATED).await;
}

#[tokio::test]
async fn signups_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(crate::helpers::override_kv(
        "rate_limit.signups_per_hour",
        2,
    ))
    .await;
    for _ in 0..2 {
        call(
            app.req(Method::POST, "/api/v1/signup")
                .json(&body(&unique_slug("r"))),
            StatusCode::CREATED,
        )
        .await;
    }
    let resp = app
        .req(Method::POST, "/api/v1/signup")
        .json(&body(&unique_slug("r")))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
}
