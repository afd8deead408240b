//! Self-registration (`POST /api/v1/auth/register`): off by default, open or limited to e-mail
//! domains, always verified by e-mail before login, never revealing whether an address has an
//! account, and confined to its tenant.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestTenant, call, override_kv, problem};
use crate::smtp::{SmtpSink, token_in};

const REGISTER: &str = "/api/v1/auth/register";
const WAIT: Duration = Duration::from_secs(10);

fn smtp_overrides(sink: &SmtpSink) -> figment::Figment {
    override_kv("mail.smtp_url", sink.url()).merge(override_kv(
        "server.public_url",
        "https://console.flightline.test",
    ))
}

fn register(app: &TestApp, t: &TestTenant, body: Value) -> reqwest::RequestBuilder {
    app.req(Method::POST, REGISTER)
        .header("X-Tenant-ID", &t.slug)
        .json(&body)
}

fn login(app: &TestApp, t: &TestTenant, email: &str, password: &str) -> reqwest::RequestBuilder {
    app.req(Method::POST, "/api/v1/auth/login")
        .header("X-Tenant-ID", &t.slug)
        .json(&json!({"email": email, "password": password}))
}

async fn set(app: &TestApp, t: &TestTenant, key: &str, value: Value) {
    call(
        app.tenant_req(t, Method::PUT, &format!("/api/v1/settings/{key}"))
            .json(&json!({"value": value})),
        StatusCode::OK,
    )
    .await;
}

/// How many users the tenant has, and how many of them have `email` (case-insensitively).
async fn users(app: &TestApp, t: &TestTenant, email: &str) -> (i64, i64) {
    let tenant = app.tenant(t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::query_as("select count(*), count(*) filter (where lower(email) = lower($1)) from users")
        .bind(email)
        .fetch_one(&mut *tx)
        .await
        .expect("users")
}

async fn registered_audit(app: &TestApp, t: &TestTenant) -> Vec<Value> {
    let page = call(
        app.tenant_req(
            t,
            Method::GET,
            "/api/v1/settings/audit-logs?action=user.registered&limit=200",
        ),
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn registration_is_off_by_default_and_its_settings_are_checked() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let body = json!({"email": "sam@example.com", "password": PASSWORD, "name": "Sam"});
    problem(
        register(&app, &t, body.clone()),
        StatusCode::FORBIDDEN,
        "registration-closed",
    )
    .await;
    set(&app, &t, "auth.self_registration", json!("off")).await;
    problem(
        register(&app, &t, body.clone()),
        StatusCode::FORBIDDEN,
        "registration-closed",
    )
    .await;
    assert_eq!(users(&app, &t, "sam@example.com").await, (1, 0));
    assert!(registered_audit(&app, &t).await.is_empty());

    // The settings take only what registration understands.
    for (key, value) in [
        ("auth.self_registration", json!("yes")),
        ("auth.self_registration", json!({"domains": []})),
        (
            "auth.self_registration",
            json!({"domains": ["not a domain"]}),
        ),
        ("auth.self_registration_role", json!("admin")),
        ("auth.self_registration_role", json!("no-such-role")),
        ("auth.self_registration_role", json!(7)),
    ] {
        problem(
            app.tenant_req(&t, Method::PUT, &format!("/api/v1/settings/{key}"))
                .json(&json!({"value": value})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
    set(&app, &t, "auth.self_registration_role", json!("student")).await;
    // Someone who may write settings but not hand out a role's permissions cannot make
    // registration hand them out either.
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles").json(
            &json!({"name": "settings-clerk", "permissions": ["settings.read", "settings.manage"]}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let (_, clerk) = app.user_with_roles(&t, &["settings-clerk"]).await;
    problem(
        app.tenant_req(
            &clerk,
            Method::PUT,
            "/api/v1/settings/auth.self_registration_role",
        )
        .json(&json!({"value": "instructor"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn open_registration_verifies_the_address_before_login() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db("register_open", smtp_overrides(&sink)).await;
    let t = app.signup("flight_school").await;
    set(&app, &t, "auth.self_registration", json!("open")).await;
    let email = format!("sam@{}.example", t.slug);
    let mark = sink.mark();
    let answer = call(
        register(
            &app,
            &t,
            json!({"email": format!("  {email} "), "password": PASSWORD, "name": " Sam Student "}),
        ),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(answer, Value::Null);
    assert_eq!(users(&app, &t, &email).await, (2, 1));
    let mail = sink
        .wait_for(&email, "/verify-email?tenant=", mark, WAIT)
        .await;
    assert!(
        mail.contains(&format!(
            "https://console.flightline.test/verify-email?tenant={}&token=",
            t.slug
        )),
        "{mail}"
    );
    // Not before the address is confirmed; a wrong password still looks like any other.
    problem(
        login(&app, &t, &email, PASSWORD),
        StatusCode::FORBIDDEN,
        "email-unverified",
    )
    .await;
    problem(
        login(&app, &t, &email, "not the password"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    call(
        app.req(Method::POST, "/api/v1/auth/verify-email")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"token": token_in(&mail)})),
        StatusCode::NO_CONTENT,
    )
    .await;
    let token = app.login(&t.slug, &email, PASSWORD).await;
    let student = TestTenant {
        token,
        admin_email: email.clone(),
        ..t.clone()
    };
    let me = call(
        app.tenant_req(&student, Method::GET, "/api/v1/auth/me"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["email"], email);
    assert_eq!(me["name"], "Sam Student");
    assert_eq!(me["email_verified"], true);
    let roles: Vec<&str> = me["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(roles, ["student"]);
    let audit = registered_audit(&app, &t).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["resource_id"], me["id"]);
    assert_eq!(audit[0]["after"]["role"], "student");

    // A student sees their own training records only.
    let sid = {
        let s = call(
            app.tenant_req(&t, Method::POST, "/api/v1/training/syllabi")
                .json(&json!({"code": "PPL-R", "title": "Private pilot", "grading_scale": "satisfactory"})),
            StatusCode::CREATED,
        )
        .await;
        let sid = s["id"].as_str().expect("id").to_owned();
        call(
            app.tenant_req(&t, Method::PUT, &format!("/api/v1/training/syllabi/{sid}/versions/1"))
                .json(&json!({"lessons_per_week": 1, "stages": [{"title": "One", "lessons": [
                    {"code": "G1", "title": "Systems", "kind": "ground", "planned_minutes": 60, "items": []}
                ]}], "requirements": []})),
            StatusCode::OK,
        )
        .await;
        call(
            app.tenant_req(
                &t,
                Method::POST,
                &format!("/api/v1/training/syllabi/{sid}/versions/1/publish"),
            ),
            StatusCode::OK,
        )
        .await;
        sid
    };
    let (other_id, _) = app.user_with_roles(&t, &["student"]).await;
    let enroll = |who: &Value| {
        app.tenant_req(&t, Method::POST, "/api/v1/training/enrollments")
            .json(&json!({"student_id": who, "syllabus_id": sid}))
    };
    let mine = call(enroll(&me["id"]), StatusCode::CREATED).await;
    let theirs = call(enroll(&json!(other_id)), StatusCode::CREATED).await;
    let list = call(
        app.tenant_req(&student, Method::GET, "/api/v1/training/enrollments"),
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ids, [&mine["id"]]);
    problem(
        app.tenant_req(
            &student,
            Method::GET,
            &format!(
                "/api/v1/training/enrollments/{}",
                theirs["id"].as_str().expect("id")
            ),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn domain_limited_registration_takes_its_domains_in_any_case() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db("register_domains", smtp_overrides(&sink)).await;
    let t = app.signup("flight_school").await;
    set(
        &app,
        &t,
        "auth.self_registration",
        json!({"domains": ["School.Example", "other-school.example"]}),
    )
    .await;
    let inside = "Pat.Pupil@SCHOOL.example";
    call(
        register(
            &app,
            &t,
            json!({"email": inside, "password": PASSWORD, "name": "Pat"}),
        ),
        StatusCode::ACCEPTED,
    )
    .await;
    sink.wait_for(inside, "/verify-email?tenant=", 0, WAIT)
        .await;
    assert_eq!(users(&app, &t, inside).await, (2, 1));
    for outside in [
        "pat@gmail.example",
        "pat@sub.school.example",
        "pat@school.example.evil",
    ] {
        let body = problem(
            register(
                &app,
                &t,
                json!({"email": outside, "password": PASSWORD, "name": "Pat"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "email", "{body}");
        assert_eq!(users(&app, &t, outside).await, (2, 0));
    }
}

#[tokio::test]
async fn a_known_address_gets_the_same_answer_and_no_second_account() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db("register_known", smtp_overrides(&sink)).await;
    let t = app.signup("flight_school").await;
    set(&app, &t, "auth.self_registration", json!("open")).await;

    // The admin's own address, in other letters: 202, no new user, the owner is told.
    let mark = sink.mark();
    let shouted = t.admin_email.to_uppercase();
    call(
        register(
            &app,
            &t,
            json!({"email": shouted, "password": "another password", "name": "Mallory"}),
        ),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(users(&app, &t, &t.admin_email).await, (1, 1));
    let mail = sink
        .wait_for(&t.admin_email, "already have an account", mark, WAIT)
        .await;
    assert!(mail.contains("/reset-password?tenant="), "{mail}");
    // Their password is unchanged, and the link is a working reset link.
    app.login(&t.slug, &t.admin_email, PASSWORD).await;
    call(
        app.req(Method::POST, "/api/v1/auth/password-reset/confirm")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"token": token_in(&mail), "new_password": "a brand new password"})),
        StatusCode::NO_CONTENT,
    )
    .await;
    // The reset ended the admin's sessions: a new one for the rest.
    let t = TestTenant {
        token: app
            .login(&t.slug, &t.admin_email, "a brand new password")
            .await,
        ..t
    };

    // A registration that was never confirmed: registering again mails a fresh link and the
    // first one stops working; still one user.
    let email = format!("twice@{}.example", t.slug);
    let body = json!({"email": email, "password": PASSWORD, "name": "Twice"});
    call(register(&app, &t, body.clone()), StatusCode::ACCEPTED).await;
    let first = sink
        .wait_for(&email, "/verify-email?tenant=", 0, WAIT)
        .await;
    let mark = sink.mark();
    call(register(&app, &t, body), StatusCode::ACCEPTED).await;
    let second = sink
        .wait_for(&email, "/verify-email?tenant=", mark, WAIT)
        .await;
    assert_eq!(users(&app, &t, &email).await, (2, 1));
    assert_ne!(token_in(&first), token_in(&second));
    let verify = |token: String| {
        app.req(Method::POST, "/api/v1/auth/verify-email")
            .header("X-Tenant-ID", &t.slug)
            .json(&json!({"token": token}))
    };
    problem(
        verify(token_in(&first)),
        StatusCode::BAD_REQUEST,
        "token-invalid",
    )
    .await;
    call(verify(token_in(&second)), StatusCode::NO_CONTENT).await;
    app.login(&t.slug, &email, PASSWORD).await;
    assert_eq!(registered_audit(&app, &t).await.len(), 1);
}

#[tokio::test]
async fn a_bad_body_is_422_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    set(&app, &t, "auth.self_registration", json!("open")).await;
    for (body, field) in [
        (json!({"password": PASSWORD, "name": "N"}), "email"),
        (
            json!({"email": "not-an-address", "password": PASSWORD, "name": "N"}),
            "email",
        ),
        (
            json!({"email": "a b@c.example", "password": PASSWORD, "name": "N"}),
            "email",
        ),
        (
            json!({"email": "n@c.example", "password": "short", "name": "N"}),
            "password",
        ),
        (
            json!({"email": "n@c.example", "password": PASSWORD, "name": "   "}),
            "name",
        ),
        (
            json!({"email": "n@c.example", "password": PASSWORD, "name": 5}),
            "name",
        ),
        (
            json!({"email": "n@c.example", "password": PASSWORD}),
            "name",
        ),
    ] {
        let p = problem(
            register(&app, &t, body.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(
            p["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["field"] == field)),
            "{body} -> {p}"
        );
    }
    assert_eq!(users(&app, &t, "n@c.example").await, (1, 0));
    assert!(registered_audit(&app, &t).await.is_empty());
    // Not JSON at all: 400.
    problem(
        app.req(Method::POST, REGISTER)
            .header("X-Tenant-ID", &t.slug)
            .header("Content-Type", "application/json")
            .body("{"),
        StatusCode::BAD_REQUEST,
        "malformed-json",
    )
    .await;
}

#[tokio::test]
async fn the_role_must_exist_and_the_plan_must_have_room() {
    let app = TestApp::spawn().await;
    // A charter operator has no `student` role: refused until another role is named.
    let c = app.signup("charter_operator").await;
    set(&app, &c, "auth.self_registration", json!("open")).await;
    let body =
        json!({"email": format!("pat@{}.example", c.slug), "password": PASSWORD, "name": "Pat"});
    problem(
        register(&app, &c, body.clone()),
        StatusCode::CONFLICT,
        "registration-role-missing",
    )
    .await;
    assert_eq!(users(&app, &c, "x").await.0, 1);
    set(&app, &c, "auth.self_registration_role", json!("Pilot")).await;
    call(register(&app, &c, body), StatusCode::ACCEPTED).await;
    let tenant = app.tenant(&c).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let role: String = sqlx::query_scalar(
        "select r.name from users u join user_roles ur on ur.user_id = u.id
         join roles r on r.id = ur.role_id where u.self_registered_at is not null",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("role");
    assert_eq!(role, "pilot");
    drop(tx);

    // The trial plan's ten active users: the tenth place is the last one.
    let t = app.signup("flight_school").await;
    set(&app, &t, "auth.self_registration", json!("open")).await;
    for i in 0..8 {
        call(
            app.tenant_req(&t, Method::POST, "/api/v1/users")
                .json(&json!({"email": format!("u{i}@{}.example", t.slug), "name": "U"})),
            StatusCode::CREATED,
        )
        .await;
    }
    call(
        register(
            &app,
            &t,
            json!({"email": format!("tenth@{}.example", t.slug), "password": PASSWORD, "name": "Ten"}),
        ),
        StatusCode::ACCEPTED,
    )
    .await;
    // Full: every address gets the same refusal, a known one included.
    for email in [
        format!("eleventh@{}.example", t.slug),
        t.admin_email.clone(),
    ] {
        problem(
            register(
                &app,
                &t,
                json!({"email": email, "password": PASSWORD, "name": "Eleven"}),
            ),
            StatusCode::FORBIDDEN,
            "plan-limit-reached",
        )
        .await;
    }
    assert_eq!(users(&app, &t, "x").await.0, 10);
}

#[tokio::test]
async fn registering_in_one_tenant_never_touches_another() {
    let app = TestApp::spawn().await;
    let a = app.signup("flight_school").await;
    let b = app.signup("flight_school").await;
    set(&app, &a, "auth.self_registration", json!("open")).await;
    let email = "wanderer@example.com";
    call(
        register(
            &app,
            &a,
            json!({"email": email, "password": PASSWORD, "name": "W"}),
        ),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(users(&app, &a, email).await, (2, 1));
    assert_eq!(users(&app, &b, email).await, (1, 0));
    assert!(registered_audit(&app, &b).await.is_empty());
    // B is closed whatever A allows, and the account is A's only.
    problem(
        register(
            &app,
            &b,
            json!({"email": email, "password": PASSWORD, "name": "W"}),
        ),
        StatusCode::FORBIDDEN,
        "registration-closed",
    )
    .await;
    problem(
        login(&app, &b, email, PASSWORD),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Without a tenant there is nothing to register in.
    problem(
        app.req(Method::POST, REGISTER)
            .json(&json!({"email": email, "password": PASSWORD, "name": "W"})),
        StatusCode::BAD_REQUEST,
        "tenant-required",
    )
    .await;
}
