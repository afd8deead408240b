//! Login and `/auth/me`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, call, problem};

#[tokio::test]
async fn login_issues_a_token_bound_to_tenant_and_session() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let body = call(
        app.req(Method::POST, "/api/v1/auth/login")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"email": t.admin_email.to_uppercase(), "password": PASSWORD})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|r| r.len() >= 40)
    );
    let claims = app
        .state
        .jwt
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid");
    assert_eq!(claims.tenant_id.to_string(), t.id);
    assert_eq!(claims.typ, "access");

    let me = call(
        app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["email"], t.admin_email);
    assert_eq!(me["tenant"]["slug"], t.slug);
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .expect("perms")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(perms.contains(&"tools.notes.write") && perms.contains(&"users.manage"));
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn bad_credentials_all_look_the_same() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let login = |email: &str, password: &str| {
        app.req(Method::POST, "/api/v1/auth/login")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"email": email, "password": password}))
    };
    let wrong = problem(
        login(&t.admin_email, "wrong password!"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let unknown = problem(
        login("nobody@nowhere.example", PASSWORD),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
    let resp = login(&t.admin_email, "nope").send().await.expect("send");
    assert_eq!(
        resp.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    problem(
        app.req(Method::POST, "/api/v1/auth/login")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"email": "a@b.c"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Failures and successes are audited.
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let failed: i64 =
        sqlx::query_scalar("select count(*) from audit_logs where action = 'auth.login_failed'")
            .fetch_one(&mut *tx)
            .await
            .expect("count");
    assert_eq!(failed, 3);
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let get = |token: &str| {
        app.req(Method::GET, "/api/v1/auth/me")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(token)
    };
    problem(get("not.a.jwt"), StatusCode::UNAUTHORIZED, "unauthorized").await;
    problem(
        get(&format!("{}x", t.token)),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Signed with another key.
    let other = flightline::auth::jwt::JwtKeys::new(&[9u8; 32], 60);
    let claims = app.state.jwt.verify(&t.token).expect("claims");
    let forged = other
        .issue(claims.sub, claims.tenant_id, &claims.email, claims.sid)
        .expect("forge");
    problem(get(&forged), StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Expired (TTL of zero is refused by config, so mint one directly).
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": claims.sub, "tenant_id": claims.tenant_id, "email": claims.email, "sid": claims.sid,
                "jti": uuid::Uuid::new_v4(), "iat": 1, "exp": 2, "typ": "access", "aud": "tenant"}),
        &jsonwebtoken::EncodingKey::from_secret(app.state.settings.jwt_secret()),
    )
    .expect("encode");
    problem(get(&expired), StatusCode::UNAUTHORIZED, "unauthorized").await;
    // A platform-audience token is not a tenant token.
    let platform = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": claims.sub, "tenant_id": claims.tenant_id, "email": claims.email, "sid": claims.sid,
                "jti": uuid::Uuid::new_v4(), "iat": 1, "exp": 4_000_000_000i64, "typ": "access", "aud": "platform"}),
        &jsonwebtoken::EncodingKey::from_secret(app.state.settings.jwt_secret()),
    )
    .expect("encode");
    problem(get(&platform), StatusCode::UNAUTHORIZED, "unauthorized").await;
}
