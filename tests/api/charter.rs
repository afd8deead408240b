//! `/api/v1/charter`: rates per aircraft type and quotes priced from them (positioning from
//! base, FBO fees per type, daily minimum, overnights, margin, taxes), versions, validation,
//! permissions (403), another tenant's ids (404) and the flag.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};
pub(crate) use crate::helpers::{id, post};

const QUOTES: &str = "/api/v1/charter/quotes";
const RATES: &str = "/api/v1/charter/rates";

pub(crate) struct Setup {
    pub type_id: String,
    pub aircraft: String,
    pub customer: String,
    pub aspen_fbo: String,
}

/// A Citation CJ2 based at Teterboro with its rate, a customer, and FBOs at Teterboro and
/// Aspen (Aspen's handling fee for the CJ2 differs from its general one).
pub(crate) async fn setup(app: &TestApp, t: &TestTenant) -> Setup {
    let cj2 = post(
        app,
        t,
        "/api/v1/fleet/aircraft-types",
        json!({
        "designator": "C25A", "manufacturer": "Cessna", "model": "Citation CJ2",
        "category": "airplane", "engine_type": "turbofan", "engine_count": 2,
        "seats": 8, "cruise_speed_kts": 400}),
    )
    .await;
    let aircraft = post(
        app,
        t,
        "/api/v1/fleet/aircraft",
        json!({
        "registration": "N525CJ", "make": "Cessna", "model": "Citation CJ2",
        "aircraft_type_id": cj2["id"], "hobbs": 3000.0, "tach": 3000.0,
        "home_base": "KTEB"}),
    )
    .await;
    let fet = post(
        app,
        t,
        "/api/v1/finance/tax-rates",
        json!({"name": "US federal excise tax", "rate_ppm": 75000}),
    )
    .await;
    call(
        app.tenant_req(t, Method::PUT, &format!("{RATES}/{}", id(&cj2)))
            .json(&json!({
            "currency": "USD", "hourly_minor": 450000, "positioning_hourly_minor": 350000,
            "daily_minimum_minutes": 120, "crew_overnight_minor": 60000,
            "catering_per_passenger_minor": 7500, "margin_ppm": 100000,
            "tax_rate_ids": [fet["id"]]})),
        StatusCode::OK,
    )
    .await;
    let customer = post(
        app,
        t,
        "/api/v1/contacts",
        json!({"kind": "organization", "name": "Acme", "roles": ["customer"]}),
    )
    .await;
    let aspen = post(
        app,
        t,
        "/api/v1/contacts",
        json!({"kind": "organization",
        "name": "Atlantic ASE", "roles": ["fbo"], "airport_code": "KASE"}),
    )
    .await;
    call(
        app.tenant_req(
            t,
            Method::PUT,
            &format!("/api/v1/contacts/{}/fbo", id(&aspen)),
        )
        .json(&json!({"currency": "USD", "fees": [
                {"kind": "landing", "amount_minor": 40000},
                {"kind": "handling", "amount_minor": 90000},
                {"kind": "handling", "aircraft_type": "C25A", "amount_minor": 75000}]})),
        StatusCode::OK,
    )
    .await;
    let teb = post(
        app,
        t,
        "/api/v1/contacts",
        json!({"kind": "organization",
        "name": "Signature TEB", "roles": ["fbo"], "airport_code": "KTEB"}),
    )
    .await;
    call(
        app.tenant_req(
            t,
            Method::PUT,
            &format!("/api/v1/contacts/{}/fbo", id(&teb)),
        )
        .json(&json!({"currency": "USD", "fees": [
                {"kind": "landing", "amount_minor": 20000}]})),
        StatusCode::OK,
    )
    .await;
    Setup {
        type_id: id(&cj2),
        aircraft: id(&aircraft),
        customer: id(&customer),
        aspen_fbo: id(&aspen),
    }
}

pub(crate) fn request(s: &Setup) -> Value {
    json!({"customer_id": s.customer, "aircraft_id": s.aircraft, "legs": [
        {"from": "HPN", "to": "ASE", "departs_at": "2026-12-24T14:00:00Z", "passengers": 4,
         "catering": true},
        {"from": "KASE", "to": "KHPN", "departs_at": "2026-12-27T18:00:00Z", "passengers": 4}]})
}

fn lines(q: &Value, kind: &str) -> Vec<i64> {
    q["pricing"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| l["kind"] == kind)
        .map(|l| l["amount_minor"].as_i64().expect("amount"))
        .collect()
}

#[tokio::test]
async fn a_quote_prices_positioning_fees_minimums_and_taxes_and_keeps_versions() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let q = post(&app, &t, QUOTES, request(&s)).await;
    assert_eq!(q["status"], "draft");
    assert!(q["number"].as_str().expect("number").starts_with("Q-"));
    let legs = q["pricing"]["legs"].as_array().expect("legs");
    let route: Vec<_> = legs
        .iter()
        .map(|l| {
            (
                l["from"].as_str().expect("str"),
                l["to"].as_str().expect("str"),
                l["positioning"].as_bool().expect("bool"),
            )
        })
        .collect();
    assert_eq!(
        route,
        [
            ("KTEB", "KHPN", true),
            ("KHPN", "KASE", false),
            ("KASE", "KHPN", false),
            ("KHPN", "KTEB", true)
        ]
    );
    // Aspen is on Mountain time: 18:00 UTC is 11:00 there.
    assert_eq!(legs[2]["departs_local"], "2026-12-27T11:00");
    // Landing at Aspen and Teterboro (no FBO known at White Plains); handling at Aspen at the
    // CJ2's own fee.
    assert_eq!(lines(&q, "landing"), [40000, 20000]);
    assert_eq!(lines(&q, "handling"), [75000]);
    assert_eq!(lines(&q, "catering"), [4 * 7500]);
    // Three nights away (24th to 27th), idle days below the daily minimum.
    assert_eq!(lines(&q, "crew_overnight"), [180000]);
    assert_eq!(lines(&q, "daily_minimum").len(), 1);
    let warnings = q["pricing"]["warnings"].to_string();
    assert!(
        warnings.contains("no landing fee known at KHPN"),
        "{warnings}"
    );
    let subtotal = q["pricing"]["subtotal_minor"].as_i64().expect("subtotal");
    let tax = (subtotal * 75000 + 500_000) / 1_000_000;
    assert_eq!(q["pricing"]["tax_minor"], tax);
    assert_eq!(q["total_minor"], subtotal + tax);
    assert_eq!(q["pricing"]["total_minor"], subtotal + tax);

    // A new version with fewer passengers and no catering; the old one stays as priced.
    let url = format!("{QUOTES}/{}", id(&q));
    let mut changed = request(&s);
    changed["legs"][0]["catering"] = json!(false);
    let v2 = call(
        app.tenant_req(&t, Method::POST, &format!("{url}/versions?version=1"))
            .json(&changed),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&v2["current_version"], &v2["version"]),
        (&json!(2), &json!(2))
    );
    assert!(lines(&v2, "catering").is_empty());
    problem(
        app.tenant_req(&t, Method::POST, &format!("{url}/versions?version=1"))
            .json(&changed),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    let versions = call(
        app.tenant_req(&t, Method::GET, &format!("{url}/versions")),
        StatusCode::OK,
    )
    .await;
    let totals: Vec<_> = versions["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().expect("int"),
                v["total_minor"].as_i64().expect("int"),
            )
        })
        .collect();
    assert_eq!(totals.len(), 2);
    assert_eq!(totals[1], (1, q["total_minor"].as_i64().expect("int")));
    assert_eq!(totals[0].0, 2);
    assert!(totals[0].1 < totals[1].1);
    let list = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{QUOTES}?customer_id={}", s.customer),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"][0]["id"], q["id"]);
    // The customer drives from Aspen to Eagle: the aircraft flies there empty.
    let mut gap = request(&s);
    gap["legs"][1]["from"] = json!("EGE");
    let v3 = call(
        app.tenant_req(&t, Method::POST, &format!("{url}/versions?version=2"))
            .json(&gap),
        StatusCode::OK,
    )
    .await;
    let route: Vec<_> = v3["pricing"]["legs"]
        .as_array()
        .expect("legs")
        .iter()
        .map(|l| {
            format!(
                "{}-{}{}",
                l["from"].as_str().expect("str"),
                l["to"].as_str().expect("str"),
                if l["positioning"] == true { "*" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        route,
        [
            "KTEB-KHPN*",
            "KHPN-KASE",
            "KASE-KEGE*",
            "KEGE-KHPN",
            "KHPN-KTEB*"
        ]
    );
    // The rate changes: the quote keeps its price.
    call(
        app.tenant_req(&t, Method::PUT, &format!("{RATES}/{}", s.type_id))
            .json(&json!({"currency": "USD", "hourly_minor": 1, "version": 1})),
        StatusCode::OK,
    )
    .await;
    let again = call(app.tenant_req(&t, Method::GET, &url), StatusCode::OK).await;
    assert_eq!(again["total_minor"], v3["total_minor"]);
    assert_eq!(
        audit_actions(&app, &t, "charter_quote").await,
        [
            "charter_quote.revised",
            "charter_quote.revised",
            "charter_quote.created"
        ]
    );
}

#[tokio::test]
async fn bad_requests_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let mut cases = Vec::new();
    let mut r = request(&s);
    r["legs"][0]["from"] = json!("QQQQ");
    cases.push((r, "legs[0].from"));
    let mut r = request(&s);
    r["legs"][0]["to"] = json!("KHPN");
    r["legs"][0]["from"] = json!("HPN");
    cases.push((r, "legs[0].to"));
    let mut r = request(&s);
    r["legs"][1]["departs_at"] = json!("2026-12-24T14:30:00Z");
    cases.push((r, "legs[1].departs_at"));
    let mut r = request(&s);
    r["legs"][0]["passengers"] = json!(9);
    cases.push((r, "legs[0].passengers"));
    let mut r = request(&s);
    r["customer_id"] = json!(s.aspen_fbo);
    cases.push((r, "customer_id"));
    let mut r = request(&s);
    r["legs"][0]["fbo_id"] = json!(s.customer);
    cases.push((r, "legs[0].fbo_id"));
    let mut r = request(&s);
    r["legs"] = json!([]);
    cases.push((r, "legs"));
    for (body, field) in cases {
        let p = problem(
            app.tenant_req(&t, Method::POST, QUOTES).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    // An aircraft whose type has no rate.
    let other_type = post(
        &app,
        &t,
        "/api/v1/fleet/aircraft-types",
        json!({
        "designator": "PC12", "manufacturer": "Pilatus", "model": "PC-12",
        "category": "airplane", "engine_type": "turboprop", "cruise_speed_kts": 280}),
    )
    .await;
    let pc12 = post(
        &app,
        &t,
        "/api/v1/fleet/aircraft",
        json!({
        "registration": "N12PC", "make": "Pilatus", "model": "PC-12",
        "aircraft_type_id": other_type["id"], "hobbs": 1.0, "tach": 1.0}),
    )
    .await;
    let mut r = request(&s);
    r["aircraft_id"] = pc12["id"].clone();
    problem(
        app.tenant_req(&t, Method::POST, QUOTES).json(&r),
        StatusCode::CONFLICT,
        "no-charter-rate",
    )
    .await;
    let list = call(app.tenant_req(&t, Method::GET, QUOTES), StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let other = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let q = post(&app, &t, QUOTES, request(&s)).await;
    let quote = format!("{QUOTES}/{}", id(&q));
    let versions = format!("{quote}/versions");
    let rate = format!("{RATES}/{}", s.type_id);
    let rate_body = json!({"currency": "USD", "hourly_minor": 1});
    // A pilot reads quotes and rates but neither prices nor sets them.
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    for path in [QUOTES, &quote, &versions, RATES, &rate] {
        call(app.tenant_req(&pilot, Method::GET, path), StatusCode::OK).await;
    }
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "Nobody", "permissions": []})),
        StatusCode::CREATED,
    )
    .await;
    let (_, nobody) = app.user_with_roles(&t, &["Nobody"]).await;
    let writes = [
        (Method::POST, QUOTES.to_owned(), request(&s)),
        (Method::POST, versions.clone(), request(&s)),
        (Method::PUT, rate.clone(), rate_body.clone()),
        (Method::DELETE, rate.clone(), json!({})),
    ];
    for (m, path, body) in &writes {
        problem(
            app.tenant_req(&pilot, m.clone(), path).json(body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    for path in [QUOTES, &quote, &versions, RATES, &rate] {
        problem(
            app.tenant_req(&nobody, Method::GET, path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Another tenant: the quote and the aircraft type do not exist there.
    for (m, path, body) in [
        (Method::GET, quote.clone(), json!({})),
        (Method::GET, versions.clone(), json!({})),
        (Method::POST, versions.clone(), request(&s)),
        (Method::GET, rate.clone(), json!({})),
        (Method::PUT, rate.clone(), rate_body.clone()),
        (Method::DELETE, rate.clone(), json!({})),
    ] {
        problem(
            app.tenant_req(&other, m, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // Its own quote naming our customer and aircraft: they do not exist there either.
    problem(
        app.tenant_req(&other, Method::POST, QUOTES)
            .json(&request(&s)),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    // A flight school has no charter module; switched off, the operator loses it too.
    let school = app.signup("flight_school").await;
    problem(
        app.tenant_req(&school, Method::GET, QUOTES),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/charter")
            .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, QUOTES),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    // Deleting the rate leaves the quote as priced.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/charter")
            .json(&json!({"enabled": true})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &rate),
        StatusCode::NO_CONTENT,
    )
    .await;
    let kept = call(app.tenant_req(&t, Method::GET, &quote), StatusCode::OK).await;
    assert_eq!(kept["total_minor"], q["total_minor"]);
}
