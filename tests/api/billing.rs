//! Stripe billing against a local fake of Stripe's API, with webhooks signed for real: valid,
//! forged, stale, replayed, duplicated and out of order; every status transition; plan changes;
//! billing disabled; jobs that retry with one idempotency key.

use std::time::{Duration, Instant};

use figment::Figment;
use flightline::billing::webhook::sign;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{PASSWORD, TestApp, TestTenant, call, override_kv, problem, unique_slug};
use crate::stripe_fake::{SECRET_KEY, StripeFake};

const WEBHOOK_SECRET: &str = "whsec_flightline_test_secret";

fn billing_overrides(stripe: &StripeFake) -> Figment {
    override_kv("billing.stripe_secret_key", SECRET_KEY)
        .merge(override_kv("billing.stripe_webhook_secret", WEBHOOK_SECRET))
        .merge(override_kv("billing.stripe_api_base", &stripe.base))
        .merge(override_kv("billing.prices.starter", "price_starter"))
        .merge(override_kv(
            "billing.prices.professional",
            "price_professional",
        ))
        .merge(override_kv("billing.prices.enterprise", "price_enterprise"))
}

async fn signup_plan(app: &TestApp, kind: &str, plan: &str) -> (TestTenant, Value) {
    let slug = unique_slug("bill");
    let email = format!("admin@{slug}.example");
    let body = call(
        app.req(Method::POST, "/api/v1/signup").json(&json!({
            "organization_name": format!("Org {slug}"), "slug": slug, "kind": kind,
            "admin_email": email, "admin_password": PASSWORD, "admin_name": "Admin", "plan": plan,
        })),
        StatusCode::CREATED,
    )
    .await;
    let token = app.login(&slug, &email, PASSWORD).await;
    (
        TestTenant {
            id: body["tenant"]["id"].as_str().expect("id").to_owned(),
            slug,
            admin_email: email,
            token,
        },
        body,
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Posts `event` to the webhook with a valid signature at `t`.
async fn deliver(app: &TestApp, event: &Value, t: i64) -> reqwest::Response {
    let payload = serde_json::to_vec(event).expect("json");
    app.req(Method::POST, "/webhooks/stripe")
        .header("Stripe-Signature", sign(WEBHOOK_SECRET, &payload, t))
        .header("Content-Type", "application/json")
        .body(payload)
        .send()
        .await
        .expect("webhook")
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": created, "livemode": false,
           "data": {"object": object}})
}

async fn tenant_state(app: &TestApp, id: &str) -> (String, Option<String>, String) {
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    sqlx::query_as("select status, status_reason, plan from platform.tenants where id = $1::uuid")
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .expect("tenant")
}

async fn event_outcome(app: &TestApp, id: &str) -> Option<String> {
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    sqlx::query_scalar("select outcome from platform.stripe_events where id = $1")
        .bind(id)
        .fetch_optional(&mut conn)
        .await
        .expect("event")
}

fn evt(tag: &str) -> String {
    format!("evt_{tag}_{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn billing_disabled_answers_404_before_the_body() {
    let app = TestApp::spawn().await;
    let (t, body) = signup_plan(&app, "flight_school", "starter").await;
    assert_eq!(body["checkout_url"], Value::Null);
    assert_eq!(
        body["tenant"]["status"], "active",
        "without billing a paid plan starts active"
    );
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/billing/subscription"),
        StatusCode::NOT_FOUND,
        "billing-disabled",
    )
    .await;
    for path in ["/api/v1/billing/checkout", "/api/v1/billing/portal"] {
        problem(
            app.tenant_req(&t, Method::POST, path)
                .body("not json at all"),
            StatusCode::NOT_FOUND,
            "billing-disabled",
        )
        .await;
    }
    problem(
        app.req(Method::POST, "/webhooks/stripe").body("{}"),
        StatusCode::NOT_FOUND,
        "billing-disabled",
    )
    .await;
}

#[tokio::test]
async fn signup_checkout_and_webhooks_drive_the_tenant() {
    let stripe = StripeFake::start().await;
    let app = TestApp::spawn_own_db("billing_webhooks", billing_overrides(&stripe)).await;
    let (t, body) = signup_plan(&app, "flight_school", "starter").await;
    let checkout = body["checkout_url"]
        .as_str()
        .expect("a checkout url")
        .to_owned();
    assert!(
        checkout.starts_with("https://checkout.stripe.test/"),
        "{checkout}"
    );
    assert!(body["tenant"]["trial_ends_at"].is_string());

    // What Stripe was asked: one customer (idempotent per tenant), a subscription Checkout with
    // the starter price and a 14-day trial, tied to the tenant.
    let customers: Vec<_> = stripe
        .requests("/v1/customers")
        .into_iter()
        .filter(|r| r.form.get("metadata[tenant_id]") == Some(&t.id))
        .collect();
    assert!(!customers.is_empty());
    assert!(
        customers
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some(format!("customer:{}", t.id).as_str())),
        "{customers:?}"
    );
    assert_eq!(customers[0].form.get("metadata[tenant_id]"), Some(&t.id));
    let sessions = stripe.requests("/v1/checkout/sessions");
    let form = &sessions.last().expect("a checkout session").form;
    assert_eq!(form.get("mode").map(String::as_str), Some("subscription"));
    assert_eq!(
        form.get("line_items[0][price]").map(String::as_str),
        Some("price_starter")
    );
    assert_eq!(
        form.get("subscription_data[trial_period_days]")
            .map(String::as_str),
        Some("14")
    );
    assert_eq!(form.get("client_reference_id"), Some(&t.id));
    let customer = form.get("customer").cloned().expect("customer");
    // Stripe's ids are unique per account; this database outlives test runs.
    let sub = format!("sub_{}", uuid::Uuid::new_v4().simple());

    // Checkout completed: the subscription is recorded.
    let completed = evt("completed");
    let resp = deliver(
        &app,
        &event(
            &completed,
            "checkout.session.completed",
            now(),
            json!({
                "id": "cs_test_1", "object": "checkout.session", "customer": customer,
                "subscription": sub, "client_reference_id": t.id,
                "metadata": {"tenant_id": t.id, "plan": "starter"}
            }),
        ),
        now(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Value>().await.expect("json"),
        json!({"received": true})
    );
    let sub = call(
        app.tenant_req(&t, Method::GET, "/api/v1/billing/subscription"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            sub["plan"].as_str(),
            sub["status"].as_str(),
            sub["subscription_status"].as_str(),
            sub["has_customer"].as_bool()
        ),
        (Some("starter"), Some("active"), Some("active"), Some(true))
    );

    // Forged, stale, unsigned: 400 and nothing recorded.
    let forged = evt("forged");
    let payload = serde_json::to_vec(&event(
        &forged,
        "customer.subscription.deleted",
        now(),
        json!({"id": sub, "customer": customer}),
    ))
    .expect("json");
    for header in [
        sign("whsec_someone_else", &payload, now()),
        sign(WEBHOOK_SECRET, &payload, now() - 600),
        format!("t={},v1=deadbeef", now()),
        "garbage".to_owned(),
    ] {
        problem(
            app.req(Method::POST, "/webhooks/stripe")
                .header("Stripe-Signature", header)
                .header("Content-Type", "application/json")
                .body(payload.clone()),
            StatusCode::BAD_REQUEST,
            "signature-invalid",
        )
        .await;
    }
    problem(
        app.req(Method::POST, "/webhooks/stripe")
            .header("Content-Type", "application/json")
            .body(payload.clone()),
        StatusCode::BAD_REQUEST,
        "signature-invalid",
    )
    .await;
    assert_eq!(event_outcome(&app, &forged).await, None);
    assert_eq!(tenant_state(&app, &t.id).await.0, "active");

    // A signature among several (a secret roll) is accepted.
    let rolled_id = evt("rolled");
    let rolled = serde_json::to_vec(&event(
        &rolled_id,
        "invoice.paid",
        now(),
        json!({"customer": customer, "subscription": sub}),
    ))
    .expect("json");
    let good = sign(WEBHOOK_SECRET, &rolled, now());
    let other = sign("whsec_old_secret", &rolled, now());
    let header = format!(
        "t={},{},{}",
        now(),
        other.split(',').nth(1).unwrap_or_default(),
        good.split(',').nth(1).unwrap_or_default()
    );
    let resp = app
        .req(Method::POST, "/webhooks/stripe")
        .header("Stripe-Signature", header)
        .header("Content-Type", "application/json")
        .body(rolled)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);

    // A failed payment: past due with a grace period; the tenant still works.
    let failed = evt("failed");
    let failed_event = event(
        &failed,
        "invoice.payment_failed",
        now(),
        json!({"customer": customer, "subscription": sub}),
    );
    assert_eq!(
        deliver(&app, &failed_event, now()).await.status(),
        StatusCode::OK
    );
    assert_eq!(tenant_state(&app, &t.id).await.0, "past_due");
    call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
    let sub = call(
        app.tenant_req(&t, Method::GET, "/api/v1/billing/subscription"),
        StatusCode::OK,
    )
    .await;
    assert!(sub["grace_until"].is_string(), "{sub}");

    // Duplicated and replayed deliveries (the same event id, even freshly signed) apply once.
    for _ in 0..2 {
        assert_eq!(
            deliver(&app, &failed_event, now()).await.status(),
            StatusCode::OK
        );
    }
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    let applied: i64 = sqlx::query_scalar("select count(*) from platform.audit_logs where resource_id = $1 and action = 'billing.event_applied'")
        .bind(&failed)
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(applied, 1);

    // The grace period runs out: suspended for billing.
    sqlx::query("update platform.billing set grace_until = now() - interval '1 minute' where tenant_id = $1::uuid")
        .bind(&t.id)
        .execute(&mut conn)
        .await
        .expect("expire grace");
    assert_eq!(
        flightline::billing::sweep(&app.state).await.expect("sweep"),
        1
    );
    assert_eq!(
        tenant_state(&app, &t.id).await,
        ("suspended".into(), Some("billing".into()), "starter".into())
    );
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/notes"),
        StatusCode::FORBIDDEN,
        "tenant-suspended",
    )
    .await;

    // Paying again lifts a billing suspension.
    assert_eq!(
        deliver(
            &app,
            &event(
                &evt("paid"),
                "invoice.paid",
                now(),
                json!({"customer": customer, "subscription": sub})
            ),
            now()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(tenant_state(&app, &t.id).await.0, "active");

    // A plan change in the portal: the price of professional; flags follow the plan.
    assert_eq!(
        deliver(
            &app,
            &event(&evt("updated"), "customer.subscription.updated", now(), json!({
                "id": sub, "object": "subscription", "customer": customer, "status": "active",
                "items": {"data": [{"price": {"id": "price_professional"}, "current_period_end": now() + 30 * 86400}]}
            })),
            now()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(tenant_state(&app, &t.id).await.2, "professional");
    let flags = call(
        app.tenant_req(&t, Method::GET, "/api/v1/settings/feature-flags"),
        StatusCode::OK,
    )
    .await;
    let reports = flags["items"]
        .as_array()
        .and_then(|i| i.iter().find(|f| f["key"] == "reports"))
        .cloned()
        .expect("flag");
    assert_eq!(reports["enabled"], true, "professional includes reports");
    let sub = call(
        app.tenant_req(&t, Method::GET, "/api/v1/billing/subscription"),
        StatusCode::OK,
    )
    .await;
    assert!(sub["current_period_end"].is_string(), "{sub}");

    // Out of order: the subscription is deleted; a delayed older invoice.paid changes nothing.
    let deleted_at = now();
    assert_eq!(
        deliver(
            &app,
            &event(
                &evt("deleted"),
                "customer.subscription.deleted",
                deleted_at,
                json!({"id": sub, "customer": customer, "status": "canceled"})
            ),
            now()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        tenant_state(&app, &t.id).await,
        (
            "suspended".into(),
            Some("billing".into()),
            "professional".into()
        )
    );
    let late = evt("late");
    assert_eq!(
        deliver(
            &app,
            &event(
                &late,
                "invoice.paid",
                deleted_at - 120,
                json!({"customer": customer, "subscription": sub})
            ),
            now()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(event_outcome(&app, &late).await.as_deref(), Some("stale"));
    assert_eq!(tenant_state(&app, &t.id).await.0, "suspended");

    // An operator's suspension is never lifted by a payment.
    sqlx::query("update platform.tenants set status_reason = 'operator' where id = $1::uuid")
        .bind(&t.id)
        .execute(&mut conn)
        .await
        .expect("operator suspension");
    app.state.registry.invalidate_all();
    deliver(
        &app,
        &event(
            &evt("paid2"),
            "invoice.paid",
            now() + 5,
            json!({"customer": customer}),
        ),
        now(),
    )
    .await;
    assert_eq!(
        tenant_state(&app, &t.id).await.1.as_deref(),
        Some("operator")
    );

    // Events about customers we do not know are acknowledged and recorded.
    let stranger = evt("stranger");
    assert_eq!(
        deliver(
            &app,
            &event(
                &stranger,
                "invoice.paid",
                now(),
                json!({"customer": "cus_unknown"})
            ),
            now()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        event_outcome(&app, &stranger).await.as_deref(),
        Some("unknown_tenant")
    );
}

#[tokio::test]
async fn checkout_portal_and_permissions() {
    let stripe = StripeFake::start().await;
    let app = TestApp::spawn_own_db("billing_checkout", billing_overrides(&stripe)).await;
    let (t, _) = signup_plan(&app, "charter_operator", "trial").await;
    let checkout = call(
        app.tenant_req(&t, Method::POST, "/api/v1/billing/checkout")
            .json(&json!({"plan": "professional"})),
        StatusCode::OK,
    )
    .await;
    assert!(
        checkout["checkout_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://checkout.stripe.test/"))
    );
    let form = stripe
        .requests("/v1/checkout/sessions")
        .last()
        .expect("session")
        .form
        .clone();
    assert_eq!(
        form.get("line_items[0][price]").map(String::as_str),
        Some("price_professional")
    );
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/billing/checkout")
            .json(&json!({"plan": "trial"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let portal = call(
        app.tenant_req(&t, Method::POST, "/api/v1/billing/portal"),
        StatusCode::OK,
    )
    .await;
    assert!(
        portal["portal_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://billing.stripe.test/"))
    );
    assert_eq!(
        stripe
            .requests("/v1/billing_portal/sessions")
            .last()
            .and_then(|r| r.form.get("customer").cloned()),
        stripe
            .requests("/v1/checkout/sessions")
            .last()
            .and_then(|r| r.form.get("customer").cloned()),
    );

    // Only billing.manage may touch billing; another tenant's admin sees its own.
    let (_, dispatcher) = app.user_with_roles(&t, &["dispatcher"]).await;
    for (method, path) in [
        (Method::GET, "/api/v1/billing/subscription"),
        (Method::POST, "/api/v1/billing/checkout"),
        (Method::POST, "/api/v1/billing/portal"),
    ] {
        problem(
            app.tenant_req(&dispatcher, method, path)
                .json(&json!({"plan": "starter"})),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }

    // Stripe down: a clear 502, nothing half-done.
    stripe.fail_next(10);
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/billing/portal"),
        StatusCode::BAD_GATEWAY,
        "billing-unavailable",
    )
    .await;
}

#[tokio::test]
async fn the_customer_job_retries_with_one_idempotency_key() {
    let stripe = StripeFake::start().await;
    let app = TestApp::spawn_own_db("billing_jobs", billing_overrides(&stripe)).await;
    // Jobs left by earlier runs in this database (their fakes are gone) must not take this
    // fake's failures.
    {
        let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
            .await
            .expect("connect");
        sqlx::query("update platform.jobs set done_at = now() where done_at is null")
            .execute(&mut conn)
            .await
            .expect("clear old jobs");
    }
    stripe.fail_next(2);
    let (t, body) = signup_plan(&app, "fbo", "trial").await;
    assert_eq!(
        body["checkout_url"],
        Value::Null,
        "the trial plan needs no checkout"
    );
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    let start = Instant::now();
    let customer = loop {
        let c: Option<String> = sqlx::query_scalar(
            "select customer_id from platform.billing where tenant_id = $1::uuid",
        )
        .bind(&t.id)
        .fetch_optional(&mut conn)
        .await
        .expect("billing")
        .flatten();
        if let Some(c) = c {
            break c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the customer job did not succeed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let attempts: Vec<_> = stripe
        .requests("/v1/customers")
        .into_iter()
        .filter(|r| r.form.get("metadata[tenant_id]") == Some(&t.id))
        .collect();
    assert!(
        attempts.len() >= 3,
        "two failures, then success: {attempts:?}"
    );
    let key = format!("customer:{}", t.id);
    assert!(
        attempts
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some(key.as_str()))
    );
    assert!(customer.starts_with("cus_"));
    let (attempted, done): (i32, bool) = sqlx::query_as(
        "select attempts, done_at is not null from platform.jobs where idempotency_key = $1",
    )
    .bind(&key)
    .fetch_one(&mut conn)
    .await
    .expect("job");
    assert!(attempted >= 3 && done);
}

/// Events about a subscription that is not the tenant's current one change nothing; the plan
/// follows a subscription only while it is active or trialing; a tenant suspended for
/// non-payment can still sign in and reach billing to pay, and nothing else.
#[tokio::test]
async fn only_the_current_subscription_counts_and_an_unpaid_tenant_can_pay() {
    let stripe = StripeFake::start().await;
    let app = TestApp::spawn_own_db("billing_current_sub", billing_overrides(&stripe)).await;
    let (t, _) = signup_plan(&app, "flight_school", "starter").await;
    let customer = stripe
        .requests("/v1/checkout/sessions")
        .last()
        .and_then(|r| r.form.get("customer").cloned())
        .expect("customer");
    let current = format!("sub_{}", uuid::Uuid::new_v4().simple());
    let other = format!("sub_{}", uuid::Uuid::new_v4().simple());
    let mut at = now() - 100;
    let mut send = |kind: &'static str, object: Value| {
        at += 1;
        let id = evt("cur");
        let app = &app;
        async move {
            let resp = deliver(app, &event(&id, kind, at, object), now()).await;
            assert_eq!(resp.status(), StatusCode::OK);
            event_outcome(app, &id).await
        }
    };
    let outcome = send(
        "checkout.session.completed",
        json!({"id": "cs_1", "object": "checkout.session", "customer": customer,
               "subscription": current, "client_reference_id": t.id,
               "metadata": {"tenant_id": t.id, "plan": "starter"}}),
    )
    .await;
    assert_eq!(outcome.as_deref(), Some("applied"));
    let sub = |id: &str, status: &str, price: &str| {
        json!({"id": id, "object": "subscription", "customer": customer, "status": status,
               "metadata": {"tenant_id": t.id},
               "items": {"data": [{"price": {"id": price}}]}})
    };

    // Another subscription of the same customer ends: the tenant is untouched.
    let outcome = send(
        "customer.subscription.deleted",
        sub(&other, "canceled", "price_starter"),
    )
    .await;
    assert_eq!(outcome.as_deref(), Some("ignored"));
    let outcome = send(
        "customer.subscription.updated",
        sub(&other, "active", "price_enterprise"),
    )
    .await;
    assert_eq!(outcome.as_deref(), Some("ignored"));
    assert_eq!(
        tenant_state(&app, &t.id).await,
        ("active".into(), None, "starter".into())
    );

    // An upgrade whose payment has not gone through (`incomplete`) does not change the plan.
    send(
        "customer.subscription.updated",
        sub(&current, "incomplete", "price_professional"),
    )
    .await;
    assert_eq!(tenant_state(&app, &t.id).await.2, "starter");
    send(
        "customer.subscription.updated",
        sub(&current, "active", "price_professional"),
    )
    .await;
    assert_eq!(tenant_state(&app, &t.id).await.2, "professional");

    // The current subscription ends: suspended for billing.
    send(
        "customer.subscription.deleted",
        sub(&current, "canceled", "price_professional"),
    )
    .await;
    assert_eq!(
        tenant_state(&app, &t.id).await,
        (
            "suspended".into(),
            Some("billing".into()),
            "professional".into()
        )
    );
    app.state.registry.invalidate(t.id.parse().expect("uuid"));
    // It can sign in and pay, and nothing else.
    let token = app
        .login(&t.slug, &t.admin_email, crate::helpers::PASSWORD)
        .await;
    let with = |m: Method, p: &str| {
        app.req(m, p)
            .header("X-Tenant-ID", &t.slug)
            .bearer_auth(&token)
    };
    call(with(Method::GET, "/api/v1/auth/me"), StatusCode::OK).await;
    call(
        with(Method::GET, "/api/v1/billing/subscription"),
        StatusCode::OK,
    )
    .await;
    call(
        with(Method::POST, "/api/v1/billing/checkout").json(&json!({"plan": "starter"})),
        StatusCode::OK,
    )
    .await;
    call(with(Method::POST, "/api/v1/billing/portal"), StatusCode::OK).await;
    problem(
        with(Method::GET, "/api/v1/tools/notes"),
        StatusCode::FORBIDDEN,
        "tenant-suspended",
    )
    .await;
    problem(
        with(Method::GET, "/api/v1/users"),
        StatusCode::FORBIDDEN,
        "tenant-suspended",
    )
    .await;
}
