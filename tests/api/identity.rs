//! Identity and access: users, roles, teams, sessions, API keys, lockout, mail flows, limits.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestTenant, call, override_kv, problem};
use crate::smtp::{SmtpSink, token_in};

impl TestApp {
    pub async fn role_id(&self, t: &TestTenant, name: &str) -> String {
        let roles = call(
            self.tenant_req(t, Method::GET, "/api/v1/users/roles?limit=200"),
            StatusCode::OK,
        )
        .await;
        roles["items"]
            .as_array()
            .expect("roles")
            .iter()
            .find(|r| r["name"] == name)
            .and_then(|r| r["id"].as_str())
            .unwrap_or_else(|| panic!("no role {name}"))
            .to_owned()
    }

    /// Creates a user with `roles` through the API and logs them in.
    pub async fn user_with_roles(&self, t: &TestTenant, roles: &[&str]) -> (String, TestTenant) {
        let mut ids = Vec::new();
        for r in roles {
            ids.push(self.role_id(t, r).await);
        }
        let email = format!("{}@{}.example", uuid::Uuid::new_v4().simple(), t.slug);
        let user = call(
            self.tenant_req(t, Method::POST, "/api/v1/users").json(
                &json!({"email": email, "name": "Someone", "password": PASSWORD, "role_ids": ids}),
            ),
            StatusCode::CREATED,
        )
        .await;
        let token = self.login(&t.slug, &email, PASSWORD).await;
        let id = user["id"].as_str().expect("id").to_owned();
        (
            id,
            TestTenant {
                token,
                admin_email: email,
                ..t.clone()
            },
        )
    }
}

fn smtp_app_overrides(sink: &SmtpSink) -> figment::Figment {
    override_kv("mail.smtp_url", sink.url()).merge(override_kv(
        "server.public_url",
        "https://console.flightline.test",
    ))
}

async fn login_raw(app: &TestApp, slug: &str, email: &str, password: &str) -> reqwest::Response {
    app.req(Method::POST, "/api/v1/auth/login")
        .header("X-Tenant-ID", slug)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let pair = call(
        app.req(Method::POST, "/api/v1/auth/login")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"email": t.admin_email, "password": PASSWORD})),
        StatusCode::OK,
    )
    .await;
    let refresh = |token: &str| {
        app.req(Method::POST, "/api/v1/auth/refresh")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"refresh_token": token}))
    };
    let first = pair["refresh_token"].as_str().expect("refresh").to_owned();
    let second = call(refresh(&first), StatusCode::OK).await;
    assert_ne!(second["refresh_token"], pair["refresh_token"]);
    let access = second["access_token"].as_str().expect("access").to_owned();
    call(
        app.req(Method::GET, "/api/v1/auth/me")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&access),
        StatusCode::OK,
    )
    .await;

    // Reusing the spent token: 401, and the whole session (its newest tokens too) is dead.
    problem(refresh(&first), StatusCode::UNAUTHORIZED, "unauthorized").await;
    problem(
        app.req(Method::GET, "/api/v1/auth/me")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&access),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    problem(
        refresh(second["refresh_token"].as_str().expect("r")),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    problem(
        refresh("not-a-token"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Other sessions of the user are untouched.
    call(
        app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_sessions_can_be_listed_and_revoked() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let other = app.login(&t.slug, &t.admin_email, PASSWORD).await;
    let sessions = call(
        app.tenant_req(&t, Method::GET, "/api/v1/users/me/sessions"),
        StatusCode::OK,
    )
    .await;
    let items = sessions["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);

    // Revoke the other session from this one.
    let other_claims = app.state.jwt.verify(&other).expect("claims");
    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{}", other_claims.sid),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.req(Method::GET, "/api/v1/auth/me")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&other),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{}", other_claims.sid),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    call(
        app.tenant_req(&t, Method::POST, "/api/v1/auth/logout"),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn lockout_after_repeated_failures_and_admin_unlock() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (uid, user) = app.user_with_roles(&t, &["student"]).await;
    for _ in 0..5 {
        // The failure that reaches the threshold still answers 401.
        assert_eq!(
            login_raw(&app, &t.slug, &user.admin_email, "wrong-password!")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let resp = login_raw(&app, &t.slug, &user.admin_email, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::LOCKED);
    let retry: u64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((800..=900).contains(&retry), "{retry}");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "account-locked");
    let shown = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/users/{uid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(shown["locked"], true);

    // Only users.manage may unlock.
    problem(
        app.tenant_req(&user, Method::POST, &format!("/api/v1/users/{uid}/unlock")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, &format!("/api/v1/users/{uid}/unlock")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        login_raw(&app, &t.slug, &user.admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );

    // An expired lock lets the user in again (simulate the 15 minutes passing).
    for _ in 0..5 {
        login_raw(&app, &t.slug, &user.admin_email, "wrong-password!").await;
    }
    assert_eq!(
        login_raw(&app, &t.slug, &user.admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::LOCKED
    );
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::query("update users set locked_until = now() - interval '1 second' where id = $1::uuid")
        .bind(&uid)
        .execute(&mut *tx)
        .await
        .expect("expire");
    tx.commit().await.expect("commit");
    assert_eq!(
        login_raw(&app, &t.slug, &user.admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn password_reset_end_to_end_through_real_smtp() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db("mail_reset", smtp_app_overrides(&sink)).await;
    let t = app.signup("flight_school").await;
    let request = |email: &str| {
        app.req(Method::POST, "/api/v1/auth/password-reset/request")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"email": email}))
    };
    // Known and unknown addresses look the same.
    let mark = sink.mark();
    let known = request(&t.admin_email).send().await.expect("send");
    let unknown = request("nobody@nowhere.example")
        .send()
        .await
        .expect("send");
    assert_eq!(
        (known.status(), unknown.status()),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(
        known.text().await.unwrap_or_default(),
        unknown.text().await.unwrap_or_default()
    );

    let mail = sink
        .wait_for(
            &t.admin_email,
            "reset-password",
            mark,
            Duration::from_secs(10),
        )
        .await;
    assert!(
        mail.contains(&format!(
            "https://console.flightline.test/reset-password?tenant={}&token=",
            t.slug
        )),
        "{mail}"
    );
    assert!(
        mail.contains("text/html") && mail.contains("text/plain"),
        "both bodies"
    );
    let token = token_in(&mail);
    let confirm = |token: &str, pw: &str| {
        app.req(Method::POST, "/api/v1/auth/password-reset/confirm")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"token": token, "new_password": pw}))
    };
    problem(
        confirm(&token, "short"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        confirm(&token, "a brand new password"),
        StatusCode::NO_CONTENT,
    )
    .await;
    // Single use; sessions from before the change are over.
    problem(
        confirm(&token, "another new password"),
        StatusCode::BAD_REQUEST,
        "token-invalid",
    )
    .await;
    problem(
        confirm("made-up", "another new password"),
        StatusCode::BAD_REQUEST,
        "token-invalid",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(
        login_raw(&app, &t.slug, &t.admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    app.login(&t.slug, &t.admin_email, "a brand new password")
        .await;
}

#[tokio::test]
async fn invitation_and_email_verification_through_real_smtp() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db("mail_invite", smtp_app_overrides(&sink)).await;
    let t = app.signup("charter_operator").await;
    let email = format!("pilot@{}.example", t.slug);
    let pilot_role = app.role_id(&t, "pilot").await;
    let user = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users")
            .json(&json!({"email": email, "name": "Pat Pilot", "role_ids": [pilot_role]})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(user["has_password"], false);
    let mail = sink
        .wait_for(&email, "set-password", 0, Duration::from_secs(10))
        .await;
    assert!(
        mail.contains(&format!("/set-password?tenant={}&token=", t.slug)),
        "{mail}"
    );
    call(
        app.req(Method::POST, "/api/v1/auth/password-reset/confirm")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"token": token_in(&mail), "new_password": "pilot password 123"})),
        StatusCode::NO_CONTENT,
    )
    .await;
    let token = app.login(&t.slug, &email, "pilot password 123").await;
    let pilot = TestTenant {
        token,
        admin_email: email.clone(),
        ..t.clone()
    };
    let me = call(
        app.tenant_req(&pilot, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        me["email_verified"], true,
        "accepting an invitation proves the address"
    );

    // The admin verifies their own address (asking again: the signup's link stops working).
    let mark = sink.mark();
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/auth/verify-email/request"),
        StatusCode::ACCEPTED,
    )
    .await;
    let mail = sink
        .wait_for(
            &t.admin_email,
            "/verify-email?tenant=",
            mark,
            Duration::from_secs(10),
        )
        .await;
    assert!(mail.contains("/verify-email?tenant="), "{mail}");
    let verify = |token: &str| {
        app.req(Method::POST, "/api/v1/auth/verify-email")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"token": token}))
    };
    call(verify(&token_in(&mail)), StatusCode::NO_CONTENT).await;
    problem(
        verify(&token_in(&mail)),
        StatusCode::BAD_REQUEST,
        "token-invalid",
    )
    .await;
    let me = call(
        app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["email_verified"], true);
}

#[tokio::test]
async fn mail_queued_during_an_smtp_outage_is_delivered_later() {
    let mut sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db("mail_outage", smtp_app_overrides(&sink)).await;
    let t = app.signup("flight_school").await;
    // The signup's own mails (verification, welcome) are delivered first.
    sink.wait_for(
        &t.admin_email,
        "Welcome to Flightline",
        0,
        Duration::from_secs(10),
    )
    .await;
    sink.wait_for(
        &t.admin_email,
        "/verify-email?tenant=",
        0,
        Duration::from_secs(10),
    )
    .await;
    let delivered = sink.mark();
    sink.stop();
    call(
        app.req(Method::POST, "/api/v1/auth/password-reset/request")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"email": t.admin_email})),
        StatusCode::ACCEPTED,
    )
    .await;
    // The worker tries, fails, and keeps the message.
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    let mut failed = false;
    for _ in 0..100 {
        let attempts: Option<i32> = sqlx::query_scalar(
            "select attempts from platform.mail_outbox where tenant_id = $1::uuid and sent_at is null and attempts > 0",
        )
        .bind(&t.id)
        .fetch_optional(&mut *conn)
        .await
        .expect("outbox");
        if attempts.is_some() {
            failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(failed, "the worker should have tried and failed");
    assert_eq!(
        sink.mark(),
        delivered,
        "nothing delivered during the outage"
    );
    sink.restart().await;
    let mail = sink
        .wait_for(
            &t.admin_email,
            "reset-password",
            delivered,
            Duration::from_secs(20),
        )
        .await;
    assert!(mail.contains("reset-password"));
    // The sink has the message before the worker records `sent_at`: wait
    // for the worker's own bookkeeping rather than racing it.
    let mut sent = 0i64;
    for _ in 0..100 {
        sent = sqlx::query_scalar("select count(*) from platform.mail_outbox where tenant_id = $1::uuid and sent_at is not null")
            .bind(&t.id)
            .fetch_one(&mut *conn)
            .await
            .expect("sent");
        if sent == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sent, 3, "verification, welcome, then the reset");
}

#[tokio::test]
async fn users_crud_filters_and_guards() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let instructor = app.role_id(&t, "instructor").await;
    let a = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users").json(&json!({
            "email": "Ann.Smith@Example.com", "name": "Ann Smith", "password": PASSWORD,
            "role_ids": [instructor], "phone": "+41 79 000 00 00", "department": "Flight ops", "position": "CFI"
        })),
        StatusCode::CREATED,
    )
    .await;
    let aid = a["id"].as_str().expect("id").to_owned();
    assert_eq!(a["roles"][0]["name"], "instructor");
    assert_eq!(a["department"], "Flight ops");
    // Unique per tenant, case-insensitively.
    let dup = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/users")
            .json(&json!({"email": "ann.smith@example.COM", "name": "Dup", "password": PASSWORD})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(dup["errors"][0]["field"], "email");
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/users")
            .json(&json!({"email": "nope", "name": " ", "password": "short"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let fields: HashSet<&str> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, HashSet::from(["email", "name", "password"]));

    // Filters.
    let by_role = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/users?role={instructor}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_role["items"].as_array().map(Vec::len), Some(1));
    let by_search = call(
        app.tenant_req(&t, Method::GET, "/api/v1/users?search=SMITH"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_search["items"][0]["id"], aid.as_str());
    let none = call(
        app.tenant_req(&t, Method::GET, "/api/v1/users?search=%25"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        none["items"].as_array().map(Vec::len),
        Some(0),
        "% is literal"
    );

    // Self-service profile edit, but not roles or activation.
    let ann = TestTenant {
        token: app.login(&t.slug, "ann.smith@example.com", PASSWORD).await,
        ..t.clone()
    };
    let mine = call(
        app.tenant_req(&ann, Method::PATCH, &format!("/api/v1/users/{aid}"))
            .json(&json!({"phone": null, "preferences": {"theme": "dark"}})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (mine["phone"].clone(), mine["preferences"]["theme"].clone()),
        (Value::Null, json!("dark"))
    );
    problem(
        app.tenant_req(&ann, Method::PATCH, &format!("/api/v1/users/{aid}"))
            .json(&json!({"is_active": false})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Deactivation ends access at once; deleting works; self and last admin are protected.
    call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/users/{aid}"))
            .json(&json!({"is_active": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&ann, Method::GET, "/api/v1/auth/me"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let inactive = call(
        app.tenant_req(&t, Method::GET, "/api/v1/users?active=false"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(inactive["items"].as_array().map(Vec::len), Some(1));
    let me = call(
        app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
    let my_id = me["id"].as_str().expect("id");
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/users/{my_id}"))
            .json(&json!({"is_active": false})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/users/{my_id}")),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PUT, &format!("/api/v1/users/{my_id}/roles"))
            .json(&json!({"role_ids": []})),
        StatusCode::CONFLICT,
        "last-admin",
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/users/{aid}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/users/{aid}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn roles_take_effect_at_once_and_cannot_escalate() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let catalogue = call(
        app.tenant_req(&t, Method::GET, "/api/v1/users/permissions"),
        StatusCode::OK,
    )
    .await;
    assert!(
        catalogue["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|p| p["name"] == "tools.notes.write"))
    );
    let role = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "Note taker", "permissions": ["tools.notes.read"]})),
        StatusCode::CREATED,
    )
    .await;
    let rid = role["id"].as_str().expect("id").to_owned();
    let (_, user) = app.user_with_roles(&t, &["Note taker"]).await;
    problem(
        app.tenant_req(&user, Method::POST, "/api/v1/tools/notes")
            .json(&json!({"title": "x"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/users/roles/{rid}"))
            .json(&json!({"permissions": ["tools.notes.read", "tools.notes.write"]})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&user, Method::POST, "/api/v1/tools/notes")
            .json(&json!({"title": "now allowed"})),
        StatusCode::CREATED,
    )
    .await;

    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "Bad", "permissions": ["tools.notes.read", "launch.missiles"]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "permissions[1]");
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "note TAKER", "permissions": []})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let admin = app.role_id(&t, "admin").await;
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/users/roles/{admin}")),
        StatusCode::CONFLICT,
        "system-role",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/users/roles/{admin}"))
            .json(&json!({"permissions": []})),
        StatusCode::CONFLICT,
        "system-role",
    )
    .await;

    // An organisation admin holds users.manage but not billing.manage: cannot hand out admin.
    let (_, org_admin) = app.user_with_roles(&t, &["organization_admin"]).await;
    let (victim, _) = app.user_with_roles(&t, &["student"]).await;
    problem(
        app.tenant_req(
            &org_admin,
            Method::PUT,
            &format!("/api/v1/users/{victim}/roles"),
        )
        .json(&json!({"role_ids": [admin]})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let instructor = app.role_id(&t, "instructor").await;
    let changed = call(
        app.tenant_req(
            &org_admin,
            Method::PUT,
            &format!("/api/v1/users/{victim}/roles"),
        )
        .json(&json!({"role_ids": [instructor]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["roles"][0]["name"], "instructor");

    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/users/roles/{rid}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&user, Method::GET, "/api/v1/tools/notes"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Role changes are audited with the actor's IP and user agent.
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("select action, ip, user_agent from audit_logs where action in ('user.roles_changed', 'role.updated', 'role.deleted')")
            .fetch_all(&mut *tx)
            .await
            .expect("audit");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter()
            .all(|(_, ip, _)| ip.as_deref() == Some("127.0.0.1"))
    );
}

#[tokio::test]
async fn teams_and_members() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let team = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/teams")
            .json(&json!({"name": "Line crew", "description": "Ramp"})),
        StatusCode::CREATED,
    )
    .await;
    let tid = team["id"].as_str().expect("id").to_owned();
    let (uid, student) = app.user_with_roles(&t, &["student"]).await;
    let path = format!("/api/v1/users/teams/{tid}/members");
    let m = call(
        app.tenant_req(&t, Method::POST, &path)
            .json(&json!({"user_id": uid})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(m["user_id"], uid.as_str());
    problem(
        app.tenant_req(&t, Method::POST, &path)
            .json(&json!({"user_id": uid})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &path)
            .json(&json!({"user_id": uuid::Uuid::new_v4()})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let members = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
    assert_eq!(members["items"].as_array().map(Vec::len), Some(1));
    let by_team = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/users?team={tid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_team["items"][0]["id"], uid.as_str());
    problem(
        app.tenant_req(&student, Method::POST, "/api/v1/users/teams")
            .json(&json!({"name": "x"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let renamed = call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/users/teams/{tid}"))
            .json(&json!({"name": "Ramp crew", "description": null})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            renamed["name"].clone(),
            renamed["description"].clone(),
            renamed["members_count"].clone()
        ),
        (json!("Ramp crew"), Value::Null, json!(1))
    );
    call(
        app.tenant_req(&t, Method::DELETE, &format!("{path}/{uid}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("{path}/{uid}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/users/teams/{tid}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/users/teams/{tid}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn api_key_lifecycle() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let created = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/me/api-keys")
            .json(&json!({"name": "reporting", "permissions": ["tools.notes.read"]})),
        StatusCode::CREATED,
    )
    .await;
    let key = created["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with(&format!(
        "flk_{}_",
        created["prefix"].as_str().expect("prefix")
    )));
    let with_key = |m: Method, p: &str| {
        app.req(m, p)
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&key)
    };
    call(with_key(Method::GET, "/api/v1/tools/notes"), StatusCode::OK).await;
    problem(
        with_key(Method::POST, "/api/v1/tools/notes").json(&json!({"title": "x"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let me = call(with_key(Method::GET, "/api/v1/auth/me"), StatusCode::OK).await;
    assert_eq!(me["permissions"], json!(["tools.notes.read"]));
    // A key is bound to its tenant; a mistyped secret fails.
    let b = app.signup("fbo").await;
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &b.slug)
            .bearer_auth(&key),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(format!("{key}x")),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // A key can mint a key with at most its own permissions: omitted means its own list, never
    // "everything the owner holds"; asking for more is refused.
    let minted = call(
        with_key(Method::POST, "/api/v1/users/me/api-keys").json(&json!({"name": "minted"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(minted["permissions"], json!(["tools.notes.read"]));
    let minted_key = minted["key"].as_str().expect("key").to_owned();
    problem(
        app.req(Method::GET, "/api/v1/users")
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&minted_key),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let refused = problem(
        with_key(Method::POST, "/api/v1/users/me/api-keys")
            .json(&json!({"name": "wider", "permissions": ["users.manage"]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "permissions[0]");
    // A key made by a signed-in admin without a list holds the admin's permissions, listed.
    let full = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/me/api-keys")
            .json(&json!({"name": "all"})),
        StatusCode::CREATED,
    )
    .await;
    let all = full["permissions"].as_array().expect("a list").len();
    assert_eq!(all, flightline::domains::CATALOG.permissions().count());

    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/users/me/api-keys"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    for item in list["items"].as_array().expect("items") {
        assert!(item["permissions"].is_array(), "always a list: {item}");
    }
    assert!(
        list["items"][0].get("key").is_none(),
        "the key is shown only once"
    );

    // Validation: unknown permission, one the user lacks, expiry in the past.
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    let bad = problem(
        app.tenant_req(&student, Method::POST, "/api/v1/users/me/api-keys")
            .json(&json!({"name": "k", "permissions": ["nope", "users.manage"], "expires_at": "2000-01-01T00:00:00Z"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"].as_array().map(Vec::len), Some(3));
    // Someone else's key id: 404.
    let id = created["id"].as_str().expect("id");
    problem(
        app.tenant_req(
            &student,
            Method::DELETE,
            &format!("/api/v1/users/me/api-keys/{id}"),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/users/me/api-keys/{id}"),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        with_key(Method::GET, "/api/v1/tools/notes"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_logs where resource_type = 'api_key' order by id",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("audit");
    assert_eq!(
        actions,
        [
            "api_key.created",
            "api_key.created",
            "api_key.created",
            "api_key.revoked"
        ]
    );
}

#[tokio::test]
async fn forbidden_for_every_role_protected_group() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    let id = uuid::Uuid::new_v4();
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/users".into(), None),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"email": "a@b.co", "name": "A"})),
        ),
        (Method::GET, format!("/api/v1/users/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{id}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/users/{id}"), None),
        (
            Method::PUT,
            format!("/api/v1/users/{id}/roles"),
            Some(json!({"role_ids": []})),
        ),
        (Method::POST, format!("/api/v1/users/{id}/unlock"), None),
        (Method::GET, "/api/v1/users/roles".into(), None),
        (
            Method::POST,
            "/api/v1/users/roles".into(),
            Some(json!({"name": "r", "permissions": []})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/roles/{id}"),
            Some(json!({"name": "r"})),
        ),
        (Method::DELETE, format!("/api/v1/users/roles/{id}"), None),
        (Method::GET, "/api/v1/users/teams".into(), None),
        (
            Method::POST,
            "/api/v1/users/teams".into(),
            Some(json!({"name": "t"})),
        ),
        (Method::DELETE, format!("/api/v1/users/teams/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/users/teams/{id}/members"),
            Some(json!({"user_id": id})),
        ),
    ];
    for (method, path, body) in cases {
        let mut rb = app.tenant_req(&student, method.clone(), &path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        problem(rb, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // What a user owns needs no admin permission.
    call(
        app.tenant_req(&student, Method::GET, "/api/v1/users/me/sessions"),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&student, Method::GET, "/api/v1/users/me/api-keys"),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&student, Method::GET, "/api/v1/users/permissions"),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn another_tenants_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let a = app.signup("flight_school").await;
    let b = app.signup("flight_school").await;
    let (a_user, _) = app.user_with_roles(&a, &["student"]).await;
    let a_role = app.role_id(&a, "student").await;
    let a_team = call(
        app.tenant_req(&a, Method::POST, "/api/v1/users/teams")
            .json(&json!({"name": "A team"})),
        StatusCode::CREATED,
    )
    .await;
    let a_team = a_team["id"].as_str().expect("id").to_owned();
    let a_key = call(
        app.tenant_req(&a, Method::POST, "/api/v1/users/me/api-keys")
            .json(&json!({"name": "k"})),
        StatusCode::CREATED,
    )
    .await;
    let a_session = app.state.jwt.verify(&a.token).expect("claims").sid;
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/users/{a_user}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{a_user}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/users/{a_user}"), None),
        (Method::POST, format!("/api/v1/users/{a_user}/unlock"), None),
        (
            Method::PUT,
            format!("/api/v1/users/{a_user}/roles"),
            Some(json!({"role_ids": []})),
        ),
        (Method::GET, format!("/api/v1/users/roles/{a_role}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/roles/{a_role}"),
            Some(json!({"description": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/roles/{a_role}"),
            None,
        ),
        (Method::GET, format!("/api/v1/users/teams/{a_team}"), None),
        (
            Method::GET,
            format!("/api/v1/users/teams/{a_team}/members"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/teams/{a_team}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/me/sessions/{a_session}"),
            None,
        ),
        (
            Method::DELETE,
            format!(
                "/api/v1/users/me/api-keys/{}",
                a_key["id"].as_str().unwrap_or_default()
            ),
            None,
        ),
    ] {
        let mut rb = app.tenant_req(&b, method, &path);
        if let Some(body) = body {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::NOT_FOUND, "not-found").await;
    }
    // Assigning A's role inside B is a validation error, not a leak.
    let (b_user, _) = app.user_with_roles(&b, &["student"]).await;
    problem(
        app.tenant_req(&b, Method::PUT, &format!("/api/v1/users/{b_user}/roles"))
            .json(&json!({"role_ids": [a_role]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    // A is untouched.
    call(
        app.tenant_req(&a, Method::GET, &format!("/api/v1/users/{a_user}")),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&a, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(
        override_kv("rate_limit.auth_per_second", 2)
            .merge(override_kv("rate_limit.api_per_second", 5)),
    )
    .await;
    let t = app.signup("flight_school").await;
    let mut limited = None;
    for _ in 0..10 {
        let resp = login_raw(&app, &t.slug, "nobody@x.example", "wrong password").await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(resp);
            break;
        }
    }
    let resp = limited.expect("the auth limit triggers");
    assert!(resp.headers().get("retry-after").is_some());
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "rate-limited");
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(
            app.tenant_req(&t, Method::GET, "/api/v1/tools/notes")
                .send()
                .await
                .expect("send")
                .status(),
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Health is never limited.
    for _ in 0..20 {
        call(app.req(Method::GET, "/health"), StatusCode::OK).await;
    }
}

/// The bucket is the client's address and the resolved tenant: naming the tenant another way
/// (UUID in any case, slug), adding a port to the Host or sending `X-Forwarded-For` from an
/// untrusted peer never gives a fresh one. Behind a trusted proxy, `X-Forwarded-For` is the
/// client, and the audit row records it.
#[tokio::test]
async fn rate_limit_buckets_follow_the_resolved_tenant_and_the_real_client() {
    let app = TestApp::spawn_with(
        override_kv("rate_limit.api_per_second", 3)
            .merge(override_kv("tenancy.base_domain", "fl.test")),
    )
    .await;
    let t = app.signup("flight_school").await;
    let id = t.id.to_lowercase();
    let mixed: String = id
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    // Eight spellings of one tenant, each a fresh bucket when keyed by the raw header.
    let mut statuses = Vec::new();
    for (i, name) in [t.slug.clone(), id.clone(), id.to_uppercase(), mixed]
        .into_iter()
        .enumerate()
    {
        let resp = app
            .req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", name)
            .header("X-Forwarded-For", format!("198.51.100.{i}"))
            .bearer_auth(&t.token)
            .send()
            .await
            .expect("send");
        statuses.push(resp.status());
    }
    for port in [1, 2, 3, 4] {
        let resp = app
            .req(Method::GET, "/api/v1/tools/notes")
            .header("Host", format!("{}.fl.test:{port}", t.slug))
            .bearer_auth(&t.token)
            .send()
            .await
            .expect("send");
        statuses.push(resp.status());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::TOO_MANY_REQUESTS),
        "every spelling names the tenant: {statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "no bucket was shared: {statuses:?}"
    );

    // Behind a trusted proxy each forwarded client has its own bucket, and is audited.
    let proxied = TestApp::spawn_with(
        override_kv("rate_limit.api_per_second", 2)
            .merge(override_kv("server.trusted_proxies", ["127.0.0.0/8"])),
    )
    .await;
    let p = proxied.signup("flight_school").await;
    for i in 0..8 {
        let note = proxied
            .tenant_req(&p, Method::POST, "/api/v1/tools/notes")
            .header("X-Forwarded-For", format!("203.0.113.{i}, 127.0.0.1"))
            .json(&json!({"title": format!("from client {i}")}));
        call(note, StatusCode::CREATED).await;
    }
    let audit = call(
        proxied.tenant_req(
            &p,
            Method::GET,
            "/api/v1/settings/audit-logs?action=note.created&limit=200",
        ),
        StatusCode::OK,
    )
    .await;
    let ips: HashSet<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["ip"].as_str())
        .collect();
    assert!(ips.contains("203.0.113.7"), "{ips:?}");
    assert!(!ips.contains("127.0.0.1"), "{ips:?}");
}

/// Logout on one replica; the other (which had the session cached) refuses the token within a
/// second. Over PostgreSQL LISTEN/NOTIFY by default, over Redis pub/sub when configured.
async fn revocation_reaches_another_replica(overrides: figment::Figment) {
    let app1 = TestApp::spawn_with(overrides.clone()).await;
    let app2 = TestApp::spawn_with(overrides).await;
    let t = app1.signup("flight_school").await;
    call(
        app2.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    call(
        app1.tenant_req(&t, Method::POST, "/api/v1/auth/logout"),
        StatusCode::NO_CONTENT,
    )
    .await;
    let start = std::time::Instant::now();
    loop {
        let status = app2
            .tenant_req(&t, Method::GET, "/api/v1/tools/notes")
            .send()
            .await
            .expect("send")
            .status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "replica 2 still answers {status} after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn revocation_reaches_another_replica_over_postgres() {
    revocation_reaches_another_replica(figment::Figment::new()).await;
}

#[tokio::test]
async fn revocation_reaches_another_replica_over_redis() {
    revocation_reaches_another_replica(override_kv("redis.url", "redis://127.0.0.1:6379")).await;
}

#[tokio::test]
async fn readiness_reports_redis_when_configured() {
    let app = TestApp::spawn_with(override_kv("redis.url", "redis://127.0.0.1:6379")).await;
    let body = call(app.req(Method::GET, "/readiness"), StatusCode::OK).await;
    assert_eq!(
        (body["database"].clone(), body["redis"].clone()),
        (json!("ok"), json!("ok"))
    );
    let plain = TestApp::spawn().await;
    assert_eq!(
        call(plain.req(Method::GET, "/readiness"), StatusCode::OK).await["redis"],
        "not_configured"
    );
    let down = TestApp::spawn_with(override_kv("redis.url", "redis://127.0.0.1:1")).await;
    let body = call(
        down.req(Method::GET, "/readiness"),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(body["redis"], "unreachable");
}

/// `users.manage` alone cannot demote, deactivate or delete someone who holds permissions the
/// caller lacks (an administrator above all); it still manages people below it.
#[tokio::test]
async fn users_manage_cannot_demote_or_remove_someone_stronger() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    for (name, perms) in [
        ("People manager", json!(["users.read", "users.manage"])),
        ("Reader", json!(["users.read"])),
    ] {
        call(
            app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
                .json(&json!({"name": name, "permissions": perms})),
            StatusCode::CREATED,
        )
        .await;
    }
    let (_, manager) = app.user_with_roles(&t, &["People manager"]).await;
    let (admin_id, _) = app.user_with_roles(&t, &["admin"]).await;
    let (reader_id, _) = app.user_with_roles(&t, &["Reader"]).await;
    let reader_role = app.role_id(&t, "Reader").await;
    let user = |id: &str| format!("/api/v1/users/{id}");

    for (method, path, body) in [
        (Method::PATCH, user(&admin_id), json!({"is_active": false})),
        (
            Method::PATCH,
            user(&admin_id),
            json!({"role_ids": [reader_role]}),
        ),
        (
            Method::PUT,
            format!("{}/roles", user(&admin_id)),
            json!({"role_ids": [reader_role]}),
        ),
        (Method::DELETE, user(&admin_id), json!({})),
    ] {
        let p = problem(
            app.tenant_req(&manager, method.clone(), &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap_or("")
                .contains("which you do not"),
            "{method} {path}: {p}"
        );
    }
    // The administrator is untouched.
    let admin = call(
        app.tenant_req(&t, Method::GET, &user(&admin_id)),
        StatusCode::OK,
    )
    .await;
    assert_eq!(admin["is_active"], true);
    assert_eq!(admin["roles"][0]["name"], "admin");

    // Someone whose permissions the manager holds is still managed.
    let reader = call(
        app.tenant_req(&manager, Method::PATCH, &user(&reader_id))
            .json(&json!({"is_active": false})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(reader["is_active"], false);
    call(
        app.tenant_req(&manager, Method::DELETE, &user(&reader_id)),
        StatusCode::NO_CONTENT,
    )
    .await;
}
