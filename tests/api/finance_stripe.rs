//! Card payments through each organisation's own Stripe account (Stripe Connect), against the
//! local Stripe fake, with Connect webhooks signed for real: onboarding, Checkout for an
//! invoice (whole and in part) and for a deposit top-up, the signed webhook recording the
//! payment once, replays, card refunds through Stripe and refunds made in Stripe, events of
//! another organisation's account or with forged metadata, bad signatures, permissions and
//! other organisations' ids; the books balance after each step.

use figment::Figment;
use flightline::billing::webhook::sign;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, override_kv, problem};
use crate::stripe_fake::{SECRET_KEY, StripeFake};

const CONNECT_SECRET: &str = "whsec_flightline_connect_test";
const STRIPE: &str = "/api/v1/finance/stripe";
const INVOICES: &str = "/api/v1/finance/invoices";
const ACCOUNTS: &str = "/api/v1/finance/accounts";
const PAYMENTS: &str = "/api/v1/finance/payments";

fn overrides(stripe: &StripeFake) -> Figment {
    override_kv("billing.stripe_secret_key", SECRET_KEY)
        .merge(override_kv(
            "billing.stripe_webhook_secret",
            "whsec_platform",
        ))
        .merge(override_kv(
            "billing.stripe_connect_webhook_secret",
            CONNECT_SECRET,
        ))
        .merge(override_kv("billing.stripe_api_base", &stripe.base))
        .merge(override_kv("billing.prices.starter", "price_starter"))
        .merge(override_kv("billing.prices.professional", "price_pro"))
        .merge(override_kv("billing.prices.enterprise", "price_ent"))
}

fn evt() -> String {
    format!("evt_{}", uuid::Uuid::new_v4().simple())
}

fn event(id: &str, kind: &str, account: &str, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "account": account,
           "created": chrono::Utc::now().timestamp(), "livemode": false,
           "data": {"object": object}})
}

async fn deliver_with(app: &TestApp, secret: &str, event: &Value) -> reqwest::Response {
    let payload = serde_json::to_vec(event).expect("json");
    app.req(Method::POST, "/webhooks/stripe/connect")
        .header(
            "Stripe-Signature",
            sign(secret, &payload, chrono::Utc::now().timestamp()),
        )
        .header("Content-Type", "application/json")
        .body(payload)
        .send()
        .await
        .expect("webhook")
}

async fn deliver(app: &TestApp, event: &Value) {
    let r = deliver_with(app, CONNECT_SECRET, event).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"received": true})
    );
}

/// The completed, paid Checkout Session the fake created last for `account`, as Stripe sends it.
fn paid_session(stripe: &StripeFake, account: &str) -> Value {
    let r = stripe
        .requests("/v1/checkout/sessions")
        .into_iter()
        .rev()
        .find(|r| r.stripe_account.as_deref() == Some(account))
        .expect("a checkout session");
    let f = &r.form;
    let meta = |k: &str| f.get(&format!("metadata[{k}]")).cloned();
    json!({
        "id": format!("cs_{}", uuid::Uuid::new_v4().simple()),
        "object": "checkout.session",
        "mode": f["mode"],
        "payment_status": "paid",
        "status": "complete",
        "amount_total": f["line_items[0][price_data][unit_amount]"].parse::<i64>().expect("amount"),
        "currency": f["line_items[0][price_data][currency]"],
        "payment_intent": format!("pi_{}", uuid::Uuid::new_v4().simple()),
        "metadata": {"tenant_id": meta("tenant_id"), "kind": meta("kind"),
                     "invoice_id": meta("invoice_id"), "account_id": meta("account_id")},
    })
}

async fn get(app: &TestApp, t: &TestTenant, path: &str) -> Value {
    call(app.tenant_req(t, Method::GET, path), StatusCode::OK).await
}

/// Onboards `t`: the account created, then switched on by Stripe (`account.updated`).
async fn onboard(app: &TestApp, stripe: &StripeFake, t: &TestTenant) -> String {
    let on = call(
        app.tenant_req(t, Method::POST, &format!("{STRIPE}/onboarding")),
        StatusCode::OK,
    )
    .await;
    let account = on["account"]["account_id"]
        .as_str()
        .expect("account")
        .to_owned();
    stripe.enable_account(&account);
    deliver(
        app,
        &event(
            &evt(),
            "account.updated",
            &account,
            json!({"id": account, "object": "account", "charges_enabled": true,
                   "details_submitted": true, "metadata": {"tenant_id": t.id}}),
        ),
    )
    .await;
    account
}

#[tokio::test]
async fn card_payments_through_the_tenants_own_stripe_account() {
    let stripe = StripeFake::start().await;
    let app = TestApp::spawn_own_db("finance_connect", overrides(&stripe)).await;
    let t = app.signup("flight_school").await;

    // Onboarding: none -> onboarding (one account however often asked) -> enabled.
    let s = get(&app, &t, STRIPE).await;
    assert_eq!(
        s,
        json!({"status": "none", "account_id": null, "charges_enabled": false,
               "details_submitted": false})
    );
    let on = call(
        app.tenant_req(&t, Method::POST, &format!("{STRIPE}/onboarding")),
        StatusCode::OK,
    )
    .await;
    let acct = on["account"]["account_id"]
        .as_str()
        .expect("acct")
        .to_owned();
    assert!(acct.starts_with("acct_"));
    assert_eq!(on["account"]["status"], "onboarding");
    assert!(on["onboarding_url"].as_str().expect("url").contains(&acct));
    let again = call(
        app.tenant_req(&t, Method::POST, &format!("{STRIPE}/onboarding")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["account"]["account_id"], acct.as_str());
    let created = stripe.requests("/v1/accounts");
    assert_eq!(created.len(), 1, "the account is created once");
    assert_eq!(created[0].form["type"], "express");
    assert_eq!(created[0].form["metadata[tenant_id]"], t.id);
    assert_eq!(
        created[0].idempotency_key.as_deref(),
        Some(format!("connect-account:{}", t.id).as_str())
    );
    let links = stripe.requests("/v1/account_links");
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|l| l.form["account"] == acct
        && l.form["type"] == "account_onboarding"
        && l.idempotency_key.is_some()));
    assert!(links[0].form["return_url"].starts_with(&app.state.settings.server.public_url));

    // Not enabled yet: no Checkout.
    let account = app.finance_account(&t, "Card Payer").await;
    let inv = app.issued_invoice(&t, &account, 10_000).await;
    let inv_id = inv["id"].as_str().expect("id").to_owned();
    let checkout = format!("{INVOICES}/{inv_id}/checkout");
    problem(
        app.tenant_req(&t, Method::POST, &checkout).json(&json!({})),
        StatusCode::CONFLICT,
        "stripe-account-not-enabled",
    )
    .await;

    // Stripe finishes onboarding; GET reads the account afresh while it is not enabled.
    stripe.enable_account(&acct);
    let s = get(&app, &t, STRIPE).await;
    assert_eq!(s["status"], "enabled");
    assert_eq!(s["charges_enabled"], true);
    assert_eq!(s["details_submitted"], true);
    assert_eq!(stripe.requests(&format!("/v1/accounts/{acct}")).len(), 1);

    // A partial payment by hand, then Checkout for the rest.
    app.pay(&t, &account, 3_000, Some(&inv_id)).await;
    let link = call(
        app.tenant_req(&t, Method::POST, &checkout).json(&json!({})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(link["amount_minor"], 7_000);
    assert_eq!(link["currency"], "USD");
    assert!(
        link["checkout_url"]
            .as_str()
            .expect("url")
            .starts_with("https://")
    );
    let req = stripe
        .requests("/v1/checkout/sessions")
        .pop()
        .expect("session");
    assert_eq!(
        req.stripe_account.as_deref(),
        Some(acct.as_str()),
        "on the tenant's account"
    );
    assert_eq!(req.form["mode"], "payment");
    assert_eq!(req.form["line_items[0][price_data][unit_amount]"], "7000");
    assert_eq!(req.form["line_items[0][price_data][currency]"], "usd");
    assert_eq!(req.form["line_items[0][quantity]"], "1");
    assert_eq!(req.form["metadata[tenant_id]"], t.id);
    assert_eq!(req.form["metadata[kind]"], "invoice");
    assert_eq!(req.form["metadata[invoice_id]"], inv_id);
    assert_eq!(req.form["payment_intent_data[metadata][tenant_id]"], t.id);
    let public = &app.state.settings.server.public_url;
    assert!(req.form["success_url"].starts_with(public.as_str()));
    assert!(req.form["cancel_url"].starts_with(public.as_str()));
    assert!(req.idempotency_key.is_some());
    // Asked again for the same balance: the same page.
    let same = call(
        app.tenant_req(&t, Method::POST, &checkout).json(&json!({})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(same["session_id"], link["session_id"]);
    problem(
        app.tenant_req(&t, Method::POST, &checkout)
            .json(&json!({"amount_minor": 7_001})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    app.assert_books_balance(&t).await;

    // The signed webhook records the card payment; the invoice is paid.
    let session = paid_session(&stripe, &acct);
    let completed = event(&evt(), "checkout.session.completed", &acct, session.clone());
    deliver(&app, &completed).await;
    let inv_now = get(&app, &t, &format!("{INVOICES}/{inv_id}")).await;
    assert_eq!(inv_now["status"], "paid");
    assert_eq!(inv_now["due_minor"], 0);
    let payments = get(&app, &t, &format!("{PAYMENTS}?account_id={account}")).await;
    let cards: Vec<&Value> = payments["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|p| p["method"] == "card")
        .collect();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["amount_minor"], 7_000);
    assert_eq!(cards[0]["invoice_id"], inv_id.as_str());
    let tb = app.assert_books_balance(&t).await;
    let clearing: i64 = tb["ledgers"]
        .as_array()
        .expect("ledgers")
        .iter()
        .filter(|l| l["ledger"] == "stripe_clearing")
        .map(|l| l["balance_minor"].as_i64().expect("balance"))
        .sum();
    assert_eq!(clearing, 7_000, "{tb}");
    assert!(
        audit_actions(&app, &t, "payment")
            .await
            .contains(&"payment.recorded".to_owned())
    );

    // Replays change nothing: the same event, and the same session under another event id.
    deliver(&app, &completed).await;
    deliver(
        &app,
        &event(&evt(), "checkout.session.completed", &acct, session.clone()),
    )
    .await;
    let after = get(&app, &t, &format!("{PAYMENTS}?account_id={account}")).await;
    assert_eq!(after["items"].as_array().expect("items").len(), 2);
    app.assert_books_balance(&t).await;
    // Paid: nothing due, no Checkout.
    problem(
        app.tenant_req(&t, Method::POST, &checkout).json(&json!({})),
        StatusCode::CONFLICT,
        "nothing-due",
    )
    .await;

    // A partial card payment.
    let inv2 = app.issued_invoice(&t, &account, 10_000).await;
    let inv2_id = inv2["id"].as_str().expect("id").to_owned();
    let part = call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{inv2_id}/checkout"))
            .json(&json!({"amount_minor": 4_000})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(part["amount_minor"], 4_000);
    deliver(
        &app,
        &event(
            &evt(),
            "checkout.session.completed",
            &acct,
            paid_session(&stripe, &acct),
        ),
    )
    .await;
    let inv2_now = get(&app, &t, &format!("{INVOICES}/{inv2_id}")).await;
    assert_eq!(inv2_now["status"], "partly_paid");
    assert_eq!(inv2_now["due_minor"], 6_000);
    app.assert_books_balance(&t).await;

    // A top-up: pays the open 6,000 and leaves 4,000 as prepaid credit.
    let top = call(
        app.tenant_req(&t, Method::POST, &format!("{ACCOUNTS}/{account}/top-up"))
            .header("Idempotency-Key", "top-up-1")
            .json(&json!({"amount_minor": 10_000})),
        StatusCode::OK,
    )
    .await;
    let top_again = call(
        app.tenant_req(&t, Method::POST, &format!("{ACCOUNTS}/{account}/top-up"))
            .header("Idempotency-Key", "top-up-1")
            .json(&json!({"amount_minor": 10_000})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        top["session_id"], top_again["session_id"],
        "a retry gets the same page"
    );
    // The same key with another amount is refused (API.md §1).
    problem(
        app.tenant_req(&t, Method::POST, &format!("{ACCOUNTS}/{account}/top-up"))
            .header("Idempotency-Key", "top-up-1")
            .json(&json!({"amount_minor": 10_001})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let req = stripe
        .requests("/v1/checkout/sessions")
        .pop()
        .expect("session");
    assert_eq!(req.form["metadata[kind]"], "top_up");
    assert_eq!(req.form["metadata[account_id]"], account);
    let top_session = paid_session(&stripe, &acct);
    let intent = top_session["payment_intent"]
        .as_str()
        .expect("pi")
        .to_owned();
    deliver(
        &app,
        &event(&evt(), "checkout.session.completed", &acct, top_session),
    )
    .await;
    let acc = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(acc["deposit_minor"], 4_000, "{acc}");
    assert_eq!(acc["receivable_minor"], 0, "{acc}");
    assert_eq!(
        get(&app, &t, &format!("{INVOICES}/{inv2_id}")).await["status"],
        "paid"
    );
    app.assert_books_balance(&t).await;

    // A card refund goes through Stripe on the tenant's account and is recorded.
    let top_payment = get(&app, &t, &format!("{PAYMENTS}?account_id={account}")).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["method"] == "card" && p["amount_minor"] == 10_000)
        .expect("top-up payment")
        .clone();
    let pay_id = top_payment["id"].as_str().expect("id").to_owned();
    let refund = call(
        app.tenant_req(&t, Method::POST, &format!("{PAYMENTS}/{pay_id}/refunds"))
            .json(&json!({"amount_minor": 3_000, "reason": "Lesson cancelled"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(refund["amount_minor"], 3_000);
    let r = stripe.requests("/v1/refunds").pop().expect("refund");
    assert_eq!(r.stripe_account.as_deref(), Some(acct.as_str()));
    assert_eq!(r.form["payment_intent"], intent);
    assert_eq!(r.form["amount"], "3000");
    assert!(r.idempotency_key.is_some());
    assert_eq!(
        get(&app, &t, &format!("{ACCOUNTS}/{account}")).await["deposit_minor"],
        1_000
    );
    app.assert_books_balance(&t).await;
    // Stripe's charge.refunded for that refund changes nothing; a refund made in Stripe's
    // dashboard is recorded once.
    let known_refund = stripe.last_refund_id().expect("a refund at Stripe");
    let charge = |refunds: Value, total: i64| {
        json!({"id": "ch_1", "object": "charge", "payment_intent": intent, "amount": 10_000,
               "amount_refunded": total, "refunded": false,
               "metadata": {"tenant_id": t.id},
               "refunds": {"object": "list", "data": refunds}})
    };
    let first = json!([{"id": known_refund, "amount": 3_000, "status": "succeeded"}]);
    deliver(
        &app,
        &event(
            &evt(),
            "charge.refunded",
            &acct,
            charge(first.clone(), 3_000),
        ),
    )
    .await;
    let p = get(&app, &t, &format!("{PAYMENTS}/{pay_id}")).await;
    assert_eq!(p["refunded_minor"], 3_000);
    let both = json!([{"id": known_refund, "amount": 3_000, "status": "succeeded"},
                      {"id": "re_dashboard", "amount": 1_000, "status": "succeeded"}]);
    let dashboard = event(
        &evt(),
        "charge.refunded",
        &acct,
        charge(both.clone(), 4_000),
    );
    deliver(&app, &dashboard).await;
    deliver(
        &app,
        &event(&evt(), "charge.refunded", &acct, charge(both, 4_000)),
    )
    .await;
    let p = get(&app, &t, &format!("{PAYMENTS}/{pay_id}")).await;
    assert_eq!(p["refunded_minor"], 4_000, "{p}");
    assert_eq!(p["refunds"].as_array().expect("refunds").len(), 2);
    assert_eq!(
        get(&app, &t, &format!("{ACCOUNTS}/{account}")).await["deposit_minor"],
        0
    );
    app.assert_books_balance(&t).await;
    let before = snapshot(&app, &t).await;

    // Another tenant's account, forged metadata, unknown accounts, bad signatures: nothing.
    let other = app.signup("flight_school").await;
    let other_acct = onboard(&app, &stripe, &other).await;
    let mut forged = paid_session(&stripe, &acct);
    forged["id"] = json!(format!("cs_{}", uuid::Uuid::new_v4().simple()));
    deliver(
        &app,
        &event(
            &evt(),
            "checkout.session.completed",
            &other_acct,
            forged.clone(),
        ),
    )
    .await;
    let mut claims_other = forged.clone();
    claims_other["metadata"]["tenant_id"] = json!(other.id);
    deliver(
        &app,
        &event(&evt(), "checkout.session.completed", &acct, claims_other),
    )
    .await;
    deliver(
        &app,
        &event(
            &evt(),
            "checkout.session.completed",
            "acct_nobody",
            forged.clone(),
        ),
    )
    .await;
    let signed_wrong = deliver_with(
        &app,
        "whsec_platform",
        &event(&evt(), "checkout.session.completed", &acct, forged.clone()),
    )
    .await;
    assert_eq!(signed_wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        signed_wrong.json::<Value>().await.expect("json")["code"],
        "signature-invalid"
    );
    let unsigned = app
        .req(Method::POST, "/webhooks/stripe/connect")
        .header("Content-Type", "application/json")
        .body(event(&evt(), "checkout.session.completed", &acct, forged).to_string())
        .send()
        .await
        .expect("webhook");
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    // A session the books cannot take (another currency than the account's): undone, logged,
    // acknowledged (a retry could never succeed).
    let mut euros = paid_session(&stripe, &acct);
    euros["currency"] = json!("eur");
    deliver(
        &app,
        &event(&evt(), "checkout.session.completed", &acct, euros),
    )
    .await;
    assert_eq!(snapshot(&app, &t).await, before, "nothing changed");
    assert_eq!(
        get(&app, &other, PAYMENTS).await["items"],
        json!([]),
        "the other tenant got nothing either"
    );
    app.assert_books_balance(&t).await;
    app.assert_books_balance(&other).await;

    // Another tenant's ids: 404; its own status is its own.
    assert_eq!(
        get(&app, &other, STRIPE).await["account_id"],
        other_acct.as_str()
    );
    for (path, body) in [
        (format!("{INVOICES}/{inv2_id}/checkout"), json!({})),
        (
            format!("{ACCOUNTS}/{account}/top-up"),
            json!({"amount_minor": 100}),
        ),
        (
            format!("{PAYMENTS}/{pay_id}/refunds"),
            json!({"amount_minor": 100}),
        ),
    ] {
        problem(
            app.tenant_req(&other, Method::POST, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }

    // Without finance.manage (an instructor has no finance permission at all): 403.
    let (_, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    problem(
        app.tenant_req(&instructor, Method::GET, STRIPE),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    for (path, body) in [
        (format!("{STRIPE}/onboarding"), json!({})),
        (format!("{INVOICES}/{inv2_id}/checkout"), json!({})),
        (
            format!("{ACCOUNTS}/{account}/top-up"),
            json!({"amount_minor": 100}),
        ),
        (
            format!("{PAYMENTS}/{pay_id}/refunds"),
            json!({"amount_minor": 100}),
        ),
    ] {
        problem(
            app.tenant_req(&instructor, Method::POST, &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    assert_eq!(snapshot(&app, &t).await, before, "nothing changed");
    app.assert_books_balance(&t).await;
}

/// What a tenant's books say: every payment with its refunds, and the trial balance.
async fn snapshot(app: &TestApp, t: &TestTenant) -> Value {
    json!({
        "payments": get(app, t, PAYMENTS).await["items"],
        "books": get(app, t, "/api/v1/finance/ledger/trial-balance").await,
    })
}

#[tokio::test]
async fn card_payments_are_off_without_stripe() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let account = app.finance_account(&t, "No Stripe").await;
    let inv = app.issued_invoice(&t, &account, 1_000).await;
    problem(
        app.tenant_req(&t, Method::GET, STRIPE),
        StatusCode::NOT_FOUND,
        "billing-disabled",
    )
    .await;
    for (path, body) in [
        (format!("{STRIPE}/onboarding"), json!({})),
        (
            format!("{INVOICES}/{}/checkout", inv["id"].as_str().expect("id")),
            json!({}),
        ),
        (
            format!("{ACCOUNTS}/{account}/top-up"),
            json!({"amount_minor": 100}),
        ),
    ] {
        problem(
            app.tenant_req(&t, Method::POST, &path).json(&body),
            StatusCode::NOT_FOUND,
            "billing-disabled",
        )
        .await;
    }
    problem(
        app.req(Method::POST, "/webhooks/stripe/connect").body("{}"),
        StatusCode::NOT_FOUND,
        "billing-disabled",
    )
    .await;
    // Card cannot be recorded by hand.
    problem(
        app.tenant_req(&t, Method::POST, PAYMENTS)
            .json(&json!({"account_id": account, "method": "card", "amount_minor": 100})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn the_customer_pays_from_the_secret_link() {
    let stripe = StripeFake::start().await;
    let app = TestApp::spawn_own_db("finance_link_pay", overrides(&stripe)).await;
    let t = app.signup("flight_school").await;
    let account = call(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/accounts").json(&json!({
            "kind": "person", "name": "Link Payer", "email": "payer@example.com", "currency": "USD"})),
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let inv = app.issued_invoice(&t, &account, 12_500).await;
    let inv_id = inv["id"].as_str().expect("id").to_owned();
    let sent = call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{inv_id}/send")),
        StatusCode::ACCEPTED,
    )
    .await;
    let url = sent["url"].as_str().expect("url");
    let path = url[url.find("/api/v1/public/links/").expect("path")..].to_owned();
    let token = path.rsplit('/').next().expect("token").to_owned();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let pay_url = format!("{}{path}/pay", app.base);

    // Before onboarding: no pay button, and paying is refused.
    let html = app
        .req(Method::GET, &path)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(!html.contains("/pay\""), "{html}");
    let r = no_redirect.post(&pay_url).send().await.expect("send");
    assert_eq!(r.status(), StatusCode::CONFLICT);

    onboard(&app, &stripe, &t).await;
    let html = app
        .req(Method::GET, &path)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&format!("action=\"{token}/pay\"")), "{html}");
    assert!(html.contains(&format!("href=\"{token}/pdf\"")), "{html}");
    // The button: 303 to Stripe Checkout on the organisation's account, for what is due.
    let r = no_redirect.post(&pay_url).send().await.expect("send");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .expect("location")
            .starts_with("http")
    );
    let acct = get(&app, &t, STRIPE).await["account_id"]
        .as_str()
        .expect("acct")
        .to_owned();
    // Checkout sends the customer back to this page, which says how it went.
    let req = stripe
        .requests("/v1/checkout/sessions")
        .pop()
        .expect("session");
    let public = &app.state.settings.server.public_url;
    assert_eq!(
        req.form["success_url"],
        format!("{public}{path}?payment=success&session_id={{CHECKOUT_SESSION_ID}}")
    );
    assert_eq!(
        req.form["cancel_url"],
        format!("{public}{path}?payment=cancelled")
    );
    let back = |query: &'static str| {
        let path = path.clone();
        let app = &app;
        async move {
            app.req(Method::GET, &format!("{path}?{query}"))
                .send()
                .await
                .expect("send")
                .text()
                .await
                .expect("html")
        }
    };
    let html = back("payment=cancelled").await;
    assert!(html.contains("nothing was charged"), "{html}");
    assert!(html.contains("/pay\""), "the button is back: {html}");
    // Back from a completed Checkout before the webhook: being confirmed, and no button (no
    // second payment while the first is on its way).
    let html = back("payment=success&session_id=cs_test_1").await;
    assert!(html.contains("being confirmed"), "{html}");
    assert!(!html.contains("/pay\""), "{html}");
    let session = paid_session(&stripe, &acct);
    assert_eq!(session["amount_total"], 12_500);
    assert_eq!(session["metadata"]["invoice_id"], inv_id.as_str());
    deliver(
        &app,
        &event(&evt(), "checkout.session.completed", &acct, session),
    )
    .await;
    let now = get(&app, &t, &format!("{INVOICES}/{inv_id}")).await;
    assert_eq!(now["status"], "paid");
    let html = back("payment=success&session_id=cs_test_1").await;
    assert!(html.contains("Paid in full"), "{html}");
    // Paid: no button, and nothing to pay.
    let html = app
        .req(Method::GET, &path)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(!html.contains("/pay\""), "{html}");
    let r = no_redirect.post(&pay_url).send().await.expect("send");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // A made-up link pays nothing.
    let r = no_redirect
        .post(format!(
            "{}/api/v1/public/links/fll_inv_{}_{}/pay",
            app.base,
            uuid::Uuid::new_v4().simple(),
            "a".repeat(43)
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.assert_books_balance(&t).await;
}
