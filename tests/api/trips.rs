//! `/api/v1/charter/trips` and the quote's way to a trip: sent by e-mail with a secret link,
//! accepted online once (concurrently too) into exactly one trip; the availability constraint
//! shared by trips, bookings and maintenance blocks; the trip's status and release checks;
//! permissions (403), another tenant's ids (404) and bad input (422, nothing stored).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::charter::{Setup, id, post, request, setup};
use crate::helpers::{TestApp, TestTenant, audit_actions, call, override_kv, problem};
use crate::smtp::SmtpSink;

const QUOTES: &str = "/api/v1/charter/quotes";
const TRIPS: &str = "/api/v1/charter/trips";

fn link_path(url: &str) -> String {
    url[url.find("/api/v1/public/links/").expect("links path")..].to_owned()
}

/// The customer's accept form posted for the quote behind `path`, as a browser sends it
/// (`application/x-www-form-urlencoded`), by a client that does not follow the `303`.
fn accept_req(app: &TestApp, path: &str, name: &str) -> reqwest::RequestBuilder {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b if b.is_ascii_alphanumeric() => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}{path}/accept", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={encoded}"))
}

/// Accepts the quote behind `path` as `name`: the status and the `Location`.
async fn accept(app: &TestApp, path: &str, name: &str) -> (StatusCode, Option<String>) {
    let resp = accept_req(app, path, name).send().await.expect("send");
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    (resp.status(), location)
}

async fn give_email(app: &TestApp, t: &TestTenant, contact: &str) {
    call(
        app.tenant_req(t, Method::PATCH, &format!("/api/v1/contacts/{contact}"))
            .json(&json!({"email": "ops@acme.example"})),
        StatusCode::OK,
    )
    .await;
}

async fn trips(app: &TestApp, t: &TestTenant, query: &str) -> Vec<Value> {
    call(
        app.tenant_req(t, Method::GET, &format!("{TRIPS}{query}")),
        StatusCode::OK,
    )
    .await["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// A trip of one leg in the setup's aircraft, Teterboro to Aspen.
fn leg(s: &Setup, departs: &str, arrives: Option<&str>) -> Value {
    json!({"aircraft_id": s.aircraft, "from": "KTEB", "to": "KASE", "departs_at": departs,
           "arrives_at": arrives, "passengers": 2})
}

#[tokio::test]
async fn a_sent_quote_is_accepted_online_once_and_becomes_one_trip() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db(
        "charter_accept",
        override_kv("mail.smtp_url", sink.url()).merge(override_kv(
            "server.public_url",
            "https://console.flightline.test",
        )),
    )
    .await;
    let t = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let q = post(&app, &t, QUOTES, request(&s)).await;
    let quote = format!("{QUOTES}/{}", id(&q));
    let number = q["number"].as_str().expect("number").to_owned();
    // No e-mail address yet.
    problem(
        app.tenant_req(&t, Method::POST, &format!("{quote}/send")),
        StatusCode::CONFLICT,
        "no-email",
    )
    .await;
    give_email(&app, &t, &s.customer).await;
    let mark = sink.mark();
    let sent = call(
        app.tenant_req(&t, Method::POST, &format!("{quote}/send")),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(sent["sent_to"], "ops@acme.example");
    let url = sent["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("https://console.flightline.test/api/v1/public/links/fll_qte_"));
    let mail = sink
        .wait_for("ops@acme.example", &number, mark, Duration::from_secs(20))
        .await;
    assert!(mail.contains(&url), "the mail carries the link: {mail}");
    let path = link_path(&url);
    let got = call(app.tenant_req(&t, Method::GET, &quote), StatusCode::OK).await;
    assert_eq!(
        (&got["status"], &got["sent_to"], &got["acceptance"]),
        (&json!("sent"), &json!("ops@acme.example"), &Value::Null)
    );

    // The customer's page (no login) shows the legs, the total and the accept form.
    let page = app.req(Method::GET, &path).send().await.expect("send");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(&number) && html.contains("KASE"), "{html}");
    assert!(html.contains("/accept\"") && html.contains("Accept this quote"));
    let pdf = app
        .req(Method::GET, &format!("{path}/pdf"))
        .send()
        .await
        .expect("send");
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.expect("pdf").starts_with(b"%PDF"));

    // A name is needed.
    let (status, _) = accept(&app, &path, "  ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(trips(&app, &t, "").await.is_empty());

    // Two acceptances at once: both see it accepted, one trip is made.
    let (a, b) = tokio::join!(
        accept_req(&app, &path, "Jane Doe").send(),
        accept_req(&app, &path, "John Doe").send()
    );
    for r in [a.expect("a"), b.expect("b")] {
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], path.as_str());
    }
    let (status, _) = accept(&app, &path, "Jane Doe").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "accepting again changes nothing"
    );
    let all = trips(&app, &t, "").await;
    assert_eq!(all.len(), 1, "one trip: {all:?}");
    let trip = &all[0];
    let got = call(app.tenant_req(&t, Method::GET, &quote), StatusCode::OK).await;
    assert_eq!(got["status"], "accepted");
    let acceptance = &got["acceptance"];
    assert!(["Jane Doe", "John Doe"].contains(&acceptance["accepted_name"].as_str().expect("n")));
    assert_eq!(acceptance["accepted_from"], "127.0.0.1");
    assert_eq!(acceptance["accepted_version"], 1);
    assert_eq!(acceptance["trip_id"], trip["id"]);

    // The trip flies the legs as priced, positioning included, in the quote's aircraft.
    assert_eq!(
        (&trip["status"], &trip["quote_id"], &trip["customer_id"]),
        (&json!("scheduled"), &q["id"], &json!(s.customer))
    );
    let legs = trip["legs"].as_array().expect("legs");
    let priced = got["pricing"]["legs"].as_array().expect("priced");
    assert_eq!(legs.len(), priced.len());
    assert_eq!(legs.len(), 4, "positioning to HPN and back to TEB");
    for (l, p) in legs.iter().zip(priced) {
        assert_eq!(
            (&l["from"], &l["to"], &l["departs_at"], &l["positioning"]),
            (&p["from"], &p["to"], &p["departs_at"], &p["positioning"])
        );
        assert_eq!(l["aircraft_id"], json!(s.aircraft));
    }
    // The Aspen leg arrives at the FBO the quote priced, and the next leg leaves from it.
    assert_eq!(legs[1]["to"], "KASE");
    assert_eq!(legs[1]["to_fbo_id"], json!(s.aspen_fbo));
    assert_eq!(legs[2]["from_fbo_id"], json!(s.aspen_fbo));
    assert_eq!(legs[1]["from_time_zone"], "America/New_York");
    assert_eq!(legs[1]["to_time_zone"], "America/Denver");
    assert_eq!(legs[1]["departs_local"], "2026-12-24T09:00");

    let html = app
        .req(Method::GET, &path)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Accepted</strong> by"), "{html}");
    assert!(!html.contains("Accept this quote"));
    // Closed now: no revising, no sending.
    problem(
        app.tenant_req(&t, Method::POST, &format!("{quote}/versions"))
            .json(&request(&s)),
        StatusCode::CONFLICT,
        "quote-closed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &format!("{quote}/send")),
        StatusCode::CONFLICT,
        "quote-closed",
    )
    .await;
    // Invoiced through finance with the quote's lines (finance adds the taxes).
    let account = post(
        &app,
        &t,
        "/api/v1/finance/accounts",
        json!({"kind": "organization", "name": "Acme", "currency": "USD"}),
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/contacts/{}", s.customer),
        )
        .json(&json!({"finance_account_id": account["id"]})),
        StatusCode::OK,
    )
    .await;
    let invoiced = call(
        app.tenant_req(&t, Method::POST, &format!("{TRIPS}/{}/invoice", id(trip))),
        StatusCode::CREATED,
    )
    .await;
    let invoice = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "/api/v1/finance/invoices/{}",
                invoiced["invoice_id"].as_str().expect("id")
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(invoice["subtotal_minor"], got["pricing"]["subtotal_minor"]);
    let priced_lines = got["pricing"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| l["kind"] != "tax")
        .count();
    assert_eq!(
        invoice["lines"].as_array().map(Vec::len),
        Some(priced_lines)
    );
    // The trip's documents include the accepted quote.
    let doc = post(
        &app,
        &t,
        &format!("{TRIPS}/{}/documents", id(trip)),
        json!({"kind": "quote"}),
    )
    .await;
    assert_eq!(
        (&doc["kind"], &doc["version"]),
        (&json!("quote"), &json!(1))
    );
    let actions = audit_actions(&app, &t, "charter_quote").await;
    for a in ["charter_quote.sent", "charter_quote.accepted"] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn an_aircraft_is_never_on_two_things_at_once() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let trip = post(
        &app,
        &t,
        TRIPS,
        json!({"customer_id": s.customer, "legs": [
            leg(&s, "2027-01-10T14:00:00Z", None),
            {"aircraft_id": s.aircraft, "from": "KASE", "to": "KTEB",
             "departs_at": "2027-01-10T20:00:00Z", "arrives_at": "2027-01-11T00:30:00Z"}]}),
    )
    .await;
    assert_eq!(trip["status"], "scheduled");
    assert_eq!(
        trip["number"].as_str().map(|n| n.starts_with("T-")),
        Some(true)
    );
    // The ETA left out is the block time at the CJ2's 400 kt plus 15 minutes of taxi.
    let eta = trip["legs"][0]["arrives_at"].as_str().expect("eta");
    assert!(
        eta > "2027-01-10T17:00" && eta < "2027-01-10T18:30",
        "{eta}"
    );
    assert_eq!(trip["ends_at"], "2027-01-11T00:30:00+00:00");

    // A maintenance block in the aircraft while it is away (between the legs) is refused by
    // the database; so is a rental.
    let block = |from: &str, to: &str| json!({"kind": "maintenance", "aircraft_id": s.aircraft, "starts_at": from, "ends_at": to});
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&block("2027-01-10T18:00:00Z", "2027-01-10T19:00:00Z")),
        StatusCode::CONFLICT,
        "booking-conflict",
    )
    .await;
    // A block the day after is fine, and a trip over it is refused, storing nothing.
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&block("2027-01-12T08:00:00Z", "2027-01-12T17:00:00Z")),
        StatusCode::CREATED,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, TRIPS).json(
            &json!({"legs": [leg(&s, "2027-01-12T16:00:00Z", Some("2027-01-12T20:00:00Z"))]}),
        ),
        StatusCode::CONFLICT,
        "booking-conflict",
    )
    .await;
    assert_eq!(trips(&app, &t, "").await.len(), 1);
    // Another trip over the first is refused; a tentative (quoted) one holds nothing until it
    // is scheduled.
    problem(
        app.tenant_req(&t, Method::POST, TRIPS).json(
            &json!({"legs": [leg(&s, "2027-01-10T22:00:00Z", Some("2027-01-11T02:00:00Z"))]}),
        ),
        StatusCode::CONFLICT,
        "booking-conflict",
    )
    .await;
    let tentative = post(
        &app,
        &t,
        TRIPS,
        json!({"status": "quoted",
               "legs": [leg(&s, "2027-01-10T22:00:00Z", Some("2027-01-11T02:00:00Z"))]}),
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{TRIPS}/{}/status", id(&tentative)),
        )
        .json(&json!({"status": "scheduled"})),
        StatusCode::CONFLICT,
        "booking-conflict",
    )
    .await;
    // Cancelling the first trip frees the aircraft: now the tentative one is scheduled.
    let first = format!("{TRIPS}/{}", id(&trip));
    problem(
        app.tenant_req(&t, Method::POST, &format!("{first}/status"))
            .json(&json!({"status": "cancelled"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let cancelled = call(
        app.tenant_req(&t, Method::POST, &format!("{first}/status"))
            .json(&json!({"status": "cancelled", "reason": "Customer cancelled", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["cancel_reason"], "Customer cancelled");
    call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{TRIPS}/{}/status", id(&tentative)),
        )
        .json(&json!({"status": "scheduled"})),
        StatusCode::OK,
    )
    .await;

    // A quote whose aircraft was taken meanwhile cannot be accepted: 409, no trip, still sent.
    give_email(&app, &t, &s.customer).await;
    let q = post(
        &app,
        &t,
        QUOTES,
        json!({"customer_id": s.customer, "aircraft_id": s.aircraft, "legs": [
            {"from": "KTEB", "to": "KASE", "departs_at": "2027-01-12T12:00:00Z", "passengers": 2}]}),
    )
    .await;
    let sent = call(
        app.tenant_req(&t, Method::POST, &format!("{QUOTES}/{}/send", id(&q))),
        StatusCode::ACCEPTED,
    )
    .await;
    let path = link_path(sent["url"].as_str().expect("url"));
    let resp = accept_req(&app, &path, "Jane Doe")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.expect("problem");
    assert_eq!(body["code"], "booking-conflict");
    let got = call(
        app.tenant_req(&t, Method::GET, &format!("{QUOTES}/{}", id(&q))),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&got["status"], &got["acceptance"]),
        (&json!("sent"), &Value::Null)
    );
    assert_eq!(trips(&app, &t, "?status=scheduled").await.len(), 1);
}

#[tokio::test]
async fn a_trip_is_released_after_its_checks_and_flown() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let trip = post(
        &app,
        &t,
        TRIPS,
        json!({"legs": [leg(&s, "2027-02-01T14:00:00Z", Some("2027-02-01T18:30:00Z"))]}),
    )
    .await;
    let path = format!("{TRIPS}/{}", id(&trip));
    let status = |to: &str| {
        app.tenant_req(&t, Method::POST, &format!("{path}/status"))
            .json(&json!({"status": to}))
    };
    problem(
        status("completed"),
        StatusCode::CONFLICT,
        "invalid-transition",
    )
    .await;
    // A pilot in command (qualification by certificates is tested in crew.rs).
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/charter/crew-rules/qualification")
            .json(&json!({"mode": "off"})),
        StatusCode::OK,
    )
    .await;
    let (user, _) = app.user_with_roles(&t, &["pilot"]).await;
    let pilot = post(
        &app,
        &t,
        "/api/v1/charter/crew",
        json!({"user_id": user, "roles": ["pilot"]}),
    )
    .await;
    let pic = json!({"assignments": [{"crew_member_id": id(&pilot), "role": "pic"}]});
    call(
        app.tenant_req(&t, Method::PUT, &format!("{path}/crew"))
            .json(&pic),
        StatusCode::OK,
    )
    .await;
    // A grounding squawk blocks the release; nothing changes.
    let squawk = call(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/squawks")
            .json(
                &json!({"aircraft_id": s.aircraft, "title": "Left brake soft",
                          "severity": "grounding"}),
            ),
        StatusCode::CREATED,
    )
    .await;
    let blocked = problem(status("released"), StatusCode::CONFLICT, "release-blocked").await;
    assert!(
        blocked["detail"]
            .as_str()
            .is_some_and(|d| d.contains("N525CJ") && d.contains("Left brake soft")),
        "{blocked}"
    );
    let got = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
    assert_eq!(
        (&got["status"], &got["version"]),
        (&json!("scheduled"), &json!(2))
    );
    call(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/maintenance/squawks/{}", id(&squawk)),
        )
        .json(&json!({"status": "resolved", "resolution": "Brake pads replaced"})),
        StatusCode::OK,
    )
    .await;
    let released = call(status("released"), StatusCode::OK).await;
    assert_eq!(released["release_checks"][0]["rule"], "airworthiness");
    assert_eq!(released["release_checks"][0]["outcome"], "pass");
    assert!(released["released_at"].is_string());
    // A released trip's legs are frozen until it goes back to scheduled.
    let legs = json!({"legs": [leg(&s, "2027-02-01T15:00:00Z", None)]});
    problem(
        app.tenant_req(&t, Method::PUT, &format!("{path}/legs"))
            .json(&legs),
        StatusCode::CONFLICT,
        "trip-released",
    )
    .await;
    let back = call(status("scheduled"), StatusCode::OK).await;
    assert!(back["released_at"].is_null());
    let moved = call(
        app.tenant_req(&t, Method::PUT, &format!("{path}/legs"))
            .json(&legs),
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["starts_at"], "2027-02-01T15:00:00+00:00");
    assert_eq!(moved["crew"], json!([]), "new legs, crew to assign again");
    call(
        app.tenant_req(&t, Method::PUT, &format!("{path}/crew"))
            .json(&pic),
        StatusCode::OK,
    )
    .await;
    call(status("released"), StatusCode::OK).await;
    call(status("en_route"), StatusCode::OK).await;
    let done = call(status("completed"), StatusCode::OK).await;
    assert_eq!(done["status"], "completed");
    problem(
        app.tenant_req(&t, Method::POST, &format!("{path}/status"))
            .json(&json!({"status": "cancelled", "reason": "Too late"})),
        StatusCode::CONFLICT,
        "invalid-transition",
    )
    .await;
    let actions = audit_actions(&app, &t, "charter_trip").await;
    for a in [
        "charter_trip.created",
        "charter_trip.released",
        "charter_trip.legs_replaced",
        "charter_trip.en_route",
        "charter_trip.completed",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
    // Filters: by status and by time.
    assert_eq!(trips(&app, &t, "?status=completed").await.len(), 1);
    assert!(
        trips(&app, &t, "?from=2027-03-01T00:00:00Z")
            .await
            .is_empty()
    );
    assert_eq!(
        trips(&app, &t, &format!("?aircraft_id={}", s.aircraft))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn bad_trips_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let bad = [
        (json!({"legs": []}), "legs"),
        (
            json!({"legs": [{"aircraft_id": s.aircraft, "from": "KTEB", "to": "KTEB",
                             "departs_at": "2027-01-10T14:00:00Z"}]}),
            "legs[0].to",
        ),
        (
            json!({"legs": [{"aircraft_id": s.aircraft, "from": "ZZZZ", "to": "KTEB",
                             "departs_at": "2027-01-10T14:00:00Z"}]}),
            "legs[0].from",
        ),
        (
            json!({"legs": [leg(&s, "2027-01-10T14:00:00Z", Some("2027-01-10T13:00:00Z"))]}),
            "legs[0].arrives_at",
        ),
        (
            json!({"legs": [{"aircraft_id": s.aircraft, "from": "KTEB", "to": "KASE",
                             "departs_at": "2027-01-10T14:00:00Z", "passengers": 9}]}),
            "legs[0].passengers",
        ),
        (
            json!({"legs": [leg(&s, "2027-01-10T14:00:00Z", None),
                            leg(&s, "2027-01-10T15:00:00Z", None)]}),
            "legs[1].departs_at",
        ),
        (
            json!({"legs": [{"aircraft_id": s.customer, "from": "KTEB", "to": "KASE",
                             "departs_at": "2027-01-10T14:00:00Z"}]}),
            "legs[0].aircraft_id",
        ),
        (
            json!({"customer_id": s.aspen_fbo,
                   "legs": [leg(&s, "2027-01-10T14:00:00Z", None)]}),
            "customer_id",
        ),
        (
            json!({"status": "released", "legs": [leg(&s, "2027-01-10T14:00:00Z", None)]}),
            "status",
        ),
    ];
    for (body, field) in bad {
        let p = problem(
            app.tenant_req(&t, Method::POST, TRIPS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(
            p["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["field"] == field)),
            "{field}: {p}"
        );
    }
    assert!(trips(&app, &t, "").await.is_empty());
    problem(
        app.tenant_req(&t, Method::GET, &format!("{TRIPS}?cursor=nonsense")),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn trip_permissions_other_tenants_and_links() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let other = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let trip = post(
        &app,
        &t,
        TRIPS,
        json!({"legs": [leg(&s, "2027-03-01T14:00:00Z", None)]}),
    )
    .await;
    let path = format!("{TRIPS}/{}", id(&trip));
    let q = post(&app, &t, QUOTES, request(&s)).await;
    let send = format!("{QUOTES}/{}/send", id(&q));
    let create = json!({"legs": [leg(&s, "2027-04-01T14:00:00Z", None)]});
    let legs = json!({"legs": [leg(&s, "2027-03-01T15:00:00Z", None)]});
    let status = json!({"status": "released"});
    // A pilot reads trips but neither makes nor changes them, nor sends quotes.
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    for p in [TRIPS, &path] {
        call(app.tenant_req(&pilot, Method::GET, p), StatusCode::OK).await;
    }
    let writes = [
        (Method::POST, TRIPS.to_owned(), create.clone()),
        (Method::PUT, format!("{path}/legs"), legs.clone()),
        (Method::POST, format!("{path}/status"), status.clone()),
        (Method::POST, send.clone(), json!({})),
    ];
    for (m, p, body) in &writes {
        problem(
            app.tenant_req(&pilot, m.clone(), p).json(body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Sales sends quotes but does not dispatch trips.
    let (_, sales) = app.user_with_roles(&t, &["sales"]).await;
    problem(
        app.tenant_req(&sales, Method::POST, TRIPS).json(&create),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "Nobody", "permissions": []})),
        StatusCode::CREATED,
    )
    .await;
    let (_, nobody) = app.user_with_roles(&t, &["Nobody"]).await;
    for p in [TRIPS, &path] {
        problem(
            app.tenant_req(&nobody, Method::GET, p),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Another tenant: the trip and the quote do not exist there, nor does the aircraft.
    for (m, p, body) in [
        (Method::GET, path.clone(), json!({})),
        (Method::PUT, format!("{path}/legs"), legs.clone()),
        (Method::POST, format!("{path}/status"), status.clone()),
        (Method::POST, send.clone(), json!({})),
    ] {
        problem(
            app.tenant_req(&other, m, &p).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    problem(
        app.tenant_req(&other, Method::POST, TRIPS).json(&create),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(trips(&app, &other, "").await.is_empty());

    // Links: made up, of a draft (revised) quote, or with the module off: 404.
    give_email(&app, &t, &s.customer).await;
    let sent = call(
        app.tenant_req(&t, Method::POST, &send),
        StatusCode::ACCEPTED,
    )
    .await;
    let link = link_path(sent["url"].as_str().expect("url"));
    problem(
        app.req(Method::GET, &format!("{link}x")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/charter")
            .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        app.req(Method::GET, &link),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let (st, _) = accept(&app, &link, "Jane Doe").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/charter")
            .json(&json!({"enabled": true})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, &format!("{QUOTES}/{}/versions", id(&q)))
            .json(&request(&s)),
        StatusCode::OK,
    )
    .await;
    problem(
        app.req(Method::GET, &link),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let (st, _) = accept(&app, &link, "Jane Doe").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Revising made it a draft again.
    let got = call(
        app.tenant_req(&t, Method::GET, &format!("{QUOTES}/{}", id(&q))),
        StatusCode::OK,
    )
    .await;
    assert_eq!(got["status"], "draft");
}

#[tokio::test]
async fn the_passenger_manifest_checks_documents_and_seats() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let other = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    // Teterboro to Nassau and back: both legs international.
    let trip = post(
        &app,
        &t,
        TRIPS,
        json!({"legs": [
            {"aircraft_id": s.aircraft, "from": "KTEB", "to": "MYNN",
             "departs_at": "2027-03-01T14:00:00Z", "passengers": 2},
            {"aircraft_id": s.aircraft, "from": "MYNN", "to": "KTEB",
             "departs_at": "2027-03-05T14:00:00Z", "passengers": 2}]}),
    )
    .await;
    let manifest = format!("{TRIPS}/{}/passengers", id(&trip));
    let jane = json!({"name": "Jane Doe", "date_of_birth": "1980-02-29", "nationality": "US",
                      "passport_number": "X1234567", "passport_expiry": "2027-03-05",
                      "weight_kg": 70});
    for (change, field) in [
        (json!({"nationality": null}), "nationality"),
        (json!({"passport_number": null}), "passport_number"),
        // Expiring the day before the return leg.
        (json!({"passport_expiry": "2027-03-04"}), "passport_expiry"),
        (json!({"legs": [3]}), "legs"),
        (json!({"date_of_birth": "2999-01-01"}), "date_of_birth"),
    ] {
        let mut body = jane.clone();
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let p = problem(
            app.tenant_req(&t, Method::POST, &manifest).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    // Valid through the day of the return leg: aboard both legs.
    let p = post(&app, &t, &manifest, jane.clone()).await;
    assert_eq!(p["legs"], json!([1, 2]));
    // Seven more fill the eight seats; a ninth is refused.
    for n in 0..7 {
        let mut body = jane.clone();
        body["name"] = json!(format!("Passenger {n}"));
        post(&app, &t, &manifest, body).await;
    }
    let mut ninth = jane.clone();
    ninth["name"] = json!("One too many");
    let full = problem(
        app.tenant_req(&t, Method::POST, &manifest).json(&ninth),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(full.to_string().contains("seats of N525CJ"), "{full}");
    let one = format!("{manifest}/{}", id(&p));
    let mut changed = jane.clone();
    changed["weight_kg"] = json!(72);
    changed["version"] = json!(1);
    let updated = call(
        app.tenant_req(&t, Method::PUT, &one).json(&changed),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&updated["weight_kg"], &updated["version"]),
        (&json!(72), &json!(2))
    );
    problem(
        app.tenant_req(&t, Method::PUT, &one).json(&changed),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    let list = call(app.tenant_req(&t, Method::GET, &manifest), StatusCode::OK).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(8));
    // The audit names the passenger, never the travel document.
    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?resource_type=charter_passenger&limit=200",
        ),
        StatusCode::OK,
    )
    .await;
    assert!(audit.to_string().contains("Jane Doe"));
    assert!(!audit.to_string().contains("X1234567"), "{audit}");

    // A domestic trip needs no passport.
    let domestic = post(
        &app,
        &t,
        TRIPS,
        json!({"legs": [leg(&s, "2027-04-01T14:00:00Z", None)]}),
    )
    .await;
    post(
        &app,
        &t,
        &format!("{TRIPS}/{}/passengers", id(&domestic)),
        json!({"name": "John Doe"}),
    )
    .await;

    // A reader lists but does not change; another tenant finds nothing.
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    call(
        app.tenant_req(&pilot, Method::GET, &manifest),
        StatusCode::OK,
    )
    .await;
    for (m, path, body) in [
        (Method::POST, manifest.clone(), jane.clone()),
        (Method::PUT, one.clone(), jane.clone()),
        (Method::DELETE, one.clone(), json!({})),
    ] {
        problem(
            app.tenant_req(&pilot, m.clone(), &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        problem(
            app.tenant_req(&other, m, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    problem(
        app.tenant_req(&other, Method::GET, &manifest),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let resp = app
        .tenant_req(&t, Method::DELETE, &one)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let actions = audit_actions(&app, &t, "charter_passenger").await;
    for a in [
        "charter_passenger.created",
        "charter_passenger.updated",
        "charter_passenger.deleted",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}");
    }
}

#[tokio::test]
async fn patient_records_are_sealed_logged_and_for_medical_crew_only() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let other = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let trip = post(
        &app,
        &t,
        TRIPS,
        json!({"legs": [leg(&s, "2027-05-01T14:00:00Z", None)]}),
    )
    .await;
    let patients = format!("{TRIPS}/{}/patients", id(&trip));
    let record = json!({"name": "Ann Patient", "date_of_birth": "1950-06-30",
                        "weight_kg": 80, "diagnosis": "STEMI, post-PCI",
                        "mobility": "stretcher", "oxygen_lpm": 4, "isolation": false,
                        "attending_physician": "Dr. Who", "receiving_facility": "Aspen Valley",
                        "medical_crew_needs": "ICU nurse, cardiac monitor"});
    let (medic_id, medic) = app.user_with_roles(&t, &["medical_crew"]).await;
    let (_, dispatcher) = app.user_with_roles(&t, &["dispatcher"]).await;
    // Without medical.* nobody reads or records patients, even a dispatcher.
    for who in [&dispatcher] {
        problem(
            app.tenant_req(who, Method::GET, &patients),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        problem(
            app.tenant_req(who, Method::POST, &patients)
                .json(&json!({"record": record})),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let made = call(
        app.tenant_req(&medic, Method::POST, &patients)
            .json(&json!({"record": record})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["record"], record);
    assert_eq!(made["legs"], json!([1]));
    let one = format!("{patients}/{}", id(&made));
    problem(
        app.tenant_req(&dispatcher, Method::GET, &one),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // At rest: sealed, nothing of the record in the clear.
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let sealed: Vec<u8> = sqlx::query_scalar("select sealed from charter_patients")
        .fetch_one(&mut *tx)
        .await
        .expect("sealed");
    drop(tx);
    for clear in ["STEMI", "Ann Patient", "Aspen Valley"] {
        assert!(
            !sealed.windows(clear.len()).any(|w| w == clear.as_bytes()),
            "{clear} in the clear"
        );
    }
    // Every read is logged, with who and from where.
    let got = call(app.tenant_req(&medic, Method::GET, &one), StatusCode::OK).await;
    assert_eq!(got["record"]["diagnosis"], "STEMI, post-PCI");
    call(
        app.tenant_req(&medic, Method::GET, &patients),
        StatusCode::OK,
    )
    .await;
    let mut changed = record.clone();
    changed["oxygen_lpm"] = json!(6);
    let updated = call(
        app.tenant_req(&medic, Method::PUT, &one)
            .json(&json!({"record": changed, "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["record"]["oxygen_lpm"], 6);
    let log = call(
        app.tenant_req(&medic, Method::GET, &format!("{one}/access-log")),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["updated", "listed", "read", "created"]);
    assert!(
        log["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["user_id"] == json!(medic_id) && i["ip"] == "127.0.0.1")
    );
    // The audit keeps ids and legs, never the record.
    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?resource_type=charter_patient&limit=200",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(2));
    assert!(!audit.to_string().contains("STEMI") && !audit.to_string().contains("Ann"));
    // Bad input stores nothing; another tenant finds nothing.
    let mut blank = record.clone();
    blank["name"] = json!("  ");
    problem(
        app.tenant_req(&medic, Method::POST, &patients)
            .json(&json!({"record": blank})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&medic, Method::POST, &patients)
            .json(&json!({"record": record, "legs": [2]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    for (m, path, body) in [
        (Method::GET, patients.clone(), json!({})),
        (Method::POST, patients.clone(), json!({"record": record})),
        (Method::GET, one.clone(), json!({})),
        (Method::PUT, one.clone(), json!({"record": record})),
        (Method::GET, format!("{one}/access-log"), json!({})),
    ] {
        problem(
            app.tenant_req(&other, m, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let listed = call(
        app.tenant_req(&medic, Method::GET, &patients),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn trip_documents_are_versioned_pdfs_with_an_access_log() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let other = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let trip = post(
        &app,
        &t,
        TRIPS,
        json!({"legs": [leg(&s, "2027-06-01T14:00:00Z", None)]}),
    )
    .await;
    let docs = format!("{TRIPS}/{}/documents", id(&trip));
    post(
        &app,
        &t,
        &format!("{TRIPS}/{}/passengers", id(&trip)),
        json!({"name": "Jane Doe"}),
    )
    .await;
    // The organisation's logo is printed at the head of each document.
    call(
        crate::settings::put_logo(&app, &t, "image/png", crate::settings::PNG),
        StatusCode::OK,
    )
    .await;
    let mut made = Vec::new();
    for kind in [
        "general_declaration",
        "itinerary",
        "passenger_manifest",
        "general_declaration",
    ] {
        made.push(post(&app, &t, &docs, json!({"kind": kind})).await);
    }
    assert_eq!(made[0]["version"], 1);
    assert_eq!(
        made[3]["version"], 2,
        "a second generation is the next version"
    );
    assert_eq!(made[3]["sha256"].as_str().map(str::len), Some(64));
    problem(
        app.tenant_req(&t, Method::POST, &docs)
            .json(&json!({"kind": "quote"})),
        StatusCode::CONFLICT,
        "no-quote",
    )
    .await;
    let list = call(app.tenant_req(&t, Method::GET, &docs), StatusCode::OK).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(4));
    let one = format!("{docs}/{}", id(&made[0]));
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    let resp = app
        .tenant_req(&pilot, Method::GET, &format!("{one}/pdf"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let pdf = resp.bytes().await.expect("pdf");
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(
        flightline::kernel::pdf::pdf_images(&pdf),
        1,
        "the logo, once"
    );
    let log = call(
        app.tenant_req(&t, Method::GET, &format!("{one}/access-log")),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["downloaded", "generated"]);
    // A reader downloads but neither generates nor reads the access log; another tenant
    // finds nothing.
    problem(
        app.tenant_req(&pilot, Method::POST, &docs)
            .json(&json!({"kind": "itinerary"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&pilot, Method::GET, &format!("{one}/access-log")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    for (m, path, body) in [
        (Method::GET, docs.clone(), json!({})),
        (Method::POST, docs.clone(), json!({"kind": "itinerary"})),
        (Method::GET, format!("{one}/pdf"), json!({})),
        (Method::GET, format!("{one}/access-log"), json!({})),
    ] {
        problem(
            app.tenant_req(&other, m, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
}

#[tokio::test]
async fn trips_are_invoiced_through_finance_once() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let s = setup(&app, &t).await;
    let account = post(
        &app,
        &t,
        "/api/v1/finance/accounts",
        json!({"kind": "organization", "name": "Acme", "currency": "USD"}),
    )
    .await;
    // Without a finance account on the customer: refused, and a trip without a customer too.
    let bare = post(
        &app,
        &t,
        TRIPS,
        json!({"customer_id": s.customer, "legs": [
            leg(&s, "2027-07-01T14:00:00Z", Some("2027-07-01T18:30:00Z"))]}),
    )
    .await;
    let invoice_of = |trip: &Value| format!("{TRIPS}/{}/invoice", id(trip));
    problem(
        app.tenant_req(&t, Method::POST, &invoice_of(&bare)),
        StatusCode::CONFLICT,
        "no-finance-account",
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/contacts/{}", s.customer),
        )
        .json(&json!({"finance_account_id": account["id"]})),
        StatusCode::OK,
    )
    .await;
    // A trip made by hand: each leg's block time at the rate ($4,500 an hour, 4.5 hours).
    let made = call(
        app.tenant_req(&t, Method::POST, &invoice_of(&bare)),
        StatusCode::CREATED,
    )
    .await;
    let again = call(
        app.tenant_req(&t, Method::POST, &invoice_of(&bare)),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["invoice_id"], again["invoice_id"], "once");
    let invoice = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "/api/v1/finance/invoices/{}",
                made["invoice_id"].as_str().expect("id")
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(invoice["status"], "draft");
    assert_eq!(invoice["subtotal_minor"], 2_025_000);
    assert_eq!(invoice["lines"][0]["unit"], "block_hour");
    let got = call(
        app.tenant_req(&t, Method::GET, &format!("{TRIPS}/{}", id(&bare))),
        StatusCode::OK,
    )
    .await;
    assert_eq!(got["invoice_id"], made["invoice_id"]);
    // A tentative trip is not invoiced.
    let tentative = post(
        &app,
        &t,
        TRIPS,
        json!({"status": "quoted", "customer_id": s.customer,
               "legs": [leg(&s, "2027-07-10T14:00:00Z", None)]}),
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &invoice_of(&tentative)),
        StatusCode::CONFLICT,
        "not-invoiceable",
    )
    .await;
    // Completing a trip invoices it.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/charter/crew-rules/qualification")
            .json(&json!({"mode": "off"})),
        StatusCode::OK,
    )
    .await;
    let (user, _) = app.user_with_roles(&t, &["pilot"]).await;
    let pilot = post(
        &app,
        &t,
        "/api/v1/charter/crew",
        json!({"user_id": user, "roles": ["pilot"]}),
    )
    .await;
    let flown = post(
        &app,
        &t,
        TRIPS,
        json!({"customer_id": s.customer,
               "legs": [leg(&s, "2027-07-20T14:00:00Z", Some("2027-07-20T16:00:00Z"))]}),
    )
    .await;
    let path = format!("{TRIPS}/{}", id(&flown));
    call(
        app.tenant_req(&t, Method::PUT, &format!("{path}/crew"))
            .json(&json!({"assignments": [{"crew_member_id": id(&pilot), "role": "pic"}]})),
        StatusCode::OK,
    )
    .await;
    let mut last = Value::Null;
    for status in ["released", "en_route", "completed"] {
        last = call(
            app.tenant_req(&t, Method::POST, &format!("{path}/status"))
                .json(&json!({"status": status})),
            StatusCode::OK,
        )
        .await;
    }
    assert!(last["invoice_id"].is_string(), "{last}");
    assert_ne!(last["invoice_id"], made["invoice_id"]);
    // Another tenant cannot invoice it; a pilot may not.
    let other = app.signup("charter_operator").await;
    problem(
        app.tenant_req(&other, Method::POST, &invoice_of(&bare)),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let (_, reader) = app.user_with_roles(&t, &["pilot"]).await;
    problem(
        app.tenant_req(&reader, Method::POST, &invoice_of(&bare)),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}
