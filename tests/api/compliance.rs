//! The compliance endpoints and their uses: the answer about one person, the list of what
//! lapses, the reminders through the outbox, scheduling's crew dispatch rules; who may ask,
//! other tenants' ids and the feature flag.

use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, call, problem};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn days_ago(n: i64) -> NaiveDate {
    (Utc::now() - Duration::days(n)).date_naive()
}

async fn post(app: &TestApp, t: &TestTenant, path: &str, body: Value) -> Value {
    call(
        app.tenant_req(t, Method::POST, path).json(&body),
        StatusCode::CREATED,
    )
    .await
}

/// A student with a third-class medical (born 1995) and, when `solo_days_ago` is set, a solo
/// endorsement for the C172 given that many days ago by `cfi`.
async fn student(
    app: &TestApp,
    t: &TestTenant,
    cfi: &TestTenant,
    solo_days_ago: Option<i64>,
) -> (String, TestTenant) {
    let (s, st) = app.user_with_roles(t, &["student"]).await;
    post(
        app,
        t,
        "/api/v1/certificates/medicals",
        json!({"person_id": s, "authority": "faa", "class": "third",
               "examined_on": days_ago(100), "date_of_birth": "1995-03-01"}),
    )
    .await;
    if let Some(n) = solo_days_ago {
        post(
            app,
            cfi,
            "/api/v1/certificates/endorsements",
            json!({"person_id": s, "kind": "solo", "type_code": "C172", "given_on": days_ago(n),
                   "instructor_certificate_number": "1234567CFI"}),
        )
        .await;
    }
    (s, st)
}

fn rules(answer: &Value) -> Vec<(String, String)> {
    answer["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_answer_names_every_requirement_with_its_evidence() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let aircraft = id(&app.create_aircraft(&t, "HB-CMP").await);
    let (s, st) = student(&app, &t, &cfi, Some(80)).await;
    let ask = |role: &str| {
        format!("/api/v1/compliance/people/{s}?aircraft_id={aircraft}&role={role}&warn_days=30")
    };
    // Endorsed 80 days ago: 10 days left, inside the 30-day warning.
    let a = call(
        app.tenant_req(&st, Method::GET, &ask("solo_student")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        rules(&a),
        [
            ("faa.61.23".into(), "met".into()),
            ("faa.61.87.n".into(), "expiring".into())
        ]
    );
    assert_eq!(a["state"], "expiring");
    assert_eq!(a["type_code"], "C172");
    assert_eq!(a["authority"], "faa");
    assert_eq!(a["findings"][1]["evidence"], json!([days_ago(80)]));
    // As pilot in command with passengers: no flight review, no landings.
    let pic = call(
        app.tenant_req(&st, Method::GET, &ask("pic_with_passengers")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(pic["state"], "failed");
    assert!(rules(&pic).contains(&("faa.61.56".into(), "failed".into())));
    // Asked for a day after the endorsement lapses.
    let later = Utc::now() + Duration::days(11);
    let a = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "{}&at={}",
                ask("solo_student"),
                later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(a["findings"][1]["state"], "failed");
    // Under the EASA authority an FAA medical does not count.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/compliance.authority")
            .json(&json!({"value": "easa"})),
        StatusCode::OK,
    )
    .await;
    let easa = call(
        app.tenant_req(&t, Method::GET, &ask("solo_student")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(easa["authority"], "easa");
    assert_eq!(easa["findings"][0]["rule"], "easa.med.a.045");
    assert_eq!(easa["findings"][0]["state"], "failed");
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/compliance.authority")
            .json(&json!({"value": "caa"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    // Bad parameters.
    for bad in [
        format!("/api/v1/compliance/people/{s}"),
        format!("/api/v1/compliance/people/{s}?aircraft_id={aircraft}&role=captain"),
        format!("/api/v1/compliance/people/{s}?aircraft_id={aircraft}&warn_days=400"),
        format!(
            "/api/v1/compliance/people/{s}?aircraft_id={}",
            uuid::Uuid::new_v4()
        ),
    ] {
        problem(
            app.tenant_req(&t, Method::GET, &bad),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
}

#[tokio::test]
async fn the_logbook_and_endorsements_make_a_pilot_current() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let aircraft = id(&post(
        &app,
        &t,
        "/api/v1/fleet/aircraft",
        json!({"registration": "HB-LOG", "make": "Cessna", "model": "172S", "type_designator": "C172",
               "category": "airplane", "class": "single_engine_land"}),
    )
    .await);
    let (p, pt) = student(&app, &t, &cfi, None).await;
    let ask =
        format!("/api/v1/compliance/people/{p}?aircraft_id={aircraft}&role=pic_with_passengers");
    let before = call(app.tenant_req(&pt, Method::GET, &ask), StatusCode::OK).await;
    assert_eq!(
        rules(&before),
        [
            ("faa.61.23".into(), "met".into()),
            ("faa.61.56".into(), "failed".into()),
            ("faa.61.57.a".into(), "failed".into())
        ]
    );
    // A flight review endorsed, and three landings logged in the pilot's own logbook.
    post(
        &app,
        &cfi,
        "/api/v1/certificates/endorsements",
        json!({"person_id": p, "kind": "flight_review", "given_on": days_ago(100),
               "instructor_certificate_number": "1234567CFI"}),
    )
    .await;
    post(
        &app,
        &pt,
        "/api/v1/flights/logbook/entries",
        json!({"date": days_ago(10), "aircraft_id": aircraft, "minutes": {"total": 60, "pic": 60},
               "day_landings": 3, "day_full_stop_landings": 1}),
    )
    .await;
    let after = call(app.tenant_req(&pt, Method::GET, &ask), StatusCode::OK).await;
    assert_eq!(after["state"], "met", "{after}");
    assert_eq!(after["findings"][2]["evidence"], json!([days_ago(10)]));
    assert_eq!(
        after["findings"][2]["valid_until"],
        json!((days_ago(10) + Duration::days(90)).to_string())
    );
}

#[tokio::test]
async fn crew_roles_read_certificates_and_easa_reads_part_fcl() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let aircraft = id(&post(
        &app,
        &t,
        "/api/v1/fleet/aircraft",
        json!({"registration": "HB-SIC", "make": "Cessna", "model": "172S", "type_designator": "C172",
               "category": "airplane", "class": "single_engine_land"}),
    )
    .await);
    let (p, pt) = student(&app, &t, &cfi, None).await;
    let ask =
        |role: &str| format!("/api/v1/compliance/people/{p}?aircraft_id={aircraft}&role={role}");
    let certs = "/api/v1/certificates/pilot-certificates";
    // A student certificate with the class rating, and an expired private one: neither counts.
    post(
        &app,
        &t,
        certs,
        json!({"person_id": p, "authority": "faa", "kind": "student", "issued_on": days_ago(400),
               "ratings": ["airplane_single_engine_land"]}),
    )
    .await;
    post(
        &app,
        &t,
        certs,
        json!({"person_id": p, "authority": "faa", "kind": "private", "issued_on": days_ago(400),
               "expires_on": days_ago(1), "ratings": ["airplane_single_engine_land"]}),
    )
    .await;
    let safety = call(
        app.tenant_req(&pt, Method::GET, &ask("safety_pilot")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        rules(&safety),
        [
            ("faa.61.23".into(), "met".into()),
            ("faa.91.109.c".into(), "failed".into())
        ]
    );
    post(
        &app,
        &t,
        certs,
        json!({"person_id": p, "authority": "faa", "kind": "private", "issued_on": days_ago(30),
               "ratings": ["airplane_single_engine_land"]}),
    )
    .await;
    let safety = call(
        app.tenant_req(&pt, Method::GET, &ask("safety_pilot")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(safety["state"], "met", "{safety}");
    // Second in command under IFR: the class rating is there, the instrument rating is not.
    let sic = call(
        app.tenant_req(
            &pt,
            Method::GET,
            &format!("{}&flight_rules=ifr", ask("sic")),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        rules(&sic),
        [
            ("faa.61.23".into(), "met".into()),
            ("faa.61.55.a.1".into(), "met".into()),
            ("faa.61.55.a.2".into(), "failed".into())
        ]
    );

    // Under EASA: a class 2 medical, FCL.060(b) instead of 61.57, no flight review.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/compliance.authority")
            .json(&json!({"value": "easa"})),
        StatusCode::OK,
    )
    .await;
    post(
        &app,
        &t,
        "/api/v1/certificates/medicals",
        json!({"person_id": p, "authority": "easa", "class": "class_2",
               "examined_on": days_ago(100), "date_of_birth": "1995-03-01"}),
    )
    .await;
    let night = format!("{}&night=true", ask("pic_with_passengers"));
    let before = call(app.tenant_req(&pt, Method::GET, &night), StatusCode::OK).await;
    assert_eq!(
        rules(&before),
        [
            ("easa.med.a.045".into(), "met".into()),
            ("easa.fcl.060.b.1".into(), "failed".into()),
            ("easa.fcl.060.b.2".into(), "failed".into())
        ]
    );
    // Two touch-and-goes by day and one full stop at night, 20 days ago: current.
    post(
        &app,
        &pt,
        "/api/v1/flights/logbook/entries",
        json!({"date": days_ago(20), "aircraft_id": aircraft,
               "minutes": {"total": 60, "pic": 60, "night": 30},
               "day_landings": 2, "night_full_stop_landings": 1}),
    )
    .await;
    let after = call(app.tenant_req(&pt, Method::GET, &night), StatusCode::OK).await;
    assert_eq!(after["state"], "met", "{after}");
    assert_eq!(
        after["findings"][2]["valid_until"],
        json!((days_ago(20) + Duration::days(90)).to_string())
    );
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn what_lapses_soon_and_the_reminders_at_30_7_and_0_days() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    // 83 days ago: 7 days left; 50 days ago: 40 days left (outside 30); 90 days ago: last day.
    let (a, at) = student(&app, &t, &cfi, Some(83)).await;
    let (b, _) = student(&app, &t, &cfi, Some(50)).await;
    let (c, _) = student(&app, &t, &cfi, Some(90)).await;
    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/compliance/expiring"),
        StatusCode::OK,
    )
    .await;
    let items: Vec<(String, String)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["person_id"].as_str().unwrap_or_default().to_owned(),
                i["valid_until"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let today = Utc::now().date_naive();
    assert_eq!(
        items,
        [
            (c.clone(), today.to_string()),
            (a.clone(), (today + Duration::days(7)).to_string())
        ]
    );
    let wide = call(
        app.tenant_req(&t, Method::GET, "/api/v1/compliance/expiring?days=45"),
        StatusCode::OK,
    )
    .await;
    assert!(
        wide["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["person_id"] == b.as_str())
    );
    // A student sees their own only.
    let own = call(
        app.tenant_req(&at, Method::GET, "/api/v1/compliance/expiring"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(own["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(own["items"][0]["person_id"], a.as_str());

    let job = &flightline::domains::certificates::reminders::COMPLIANCE_REMINDERS;
    flightline::jobs::run_for_every_tenant(app.state.db(), job)
        .await
        .expect("reminders");
    let subjects = || async {
        let mut conn = app.state.db().raw_connection().await.expect("conn");
        let rows: Vec<String> = sqlx::query_scalar(
            "select subject from platform.mail_outbox
             where tenant_id = $1::uuid and subject like 'Lapsing:%' order by subject",
        )
        .bind(&t.id)
        .fetch_all(&mut *conn)
        .await
        .expect("outbox");
        rows
    };
    let first = subjects().await;
    // a: the 7-day reminder; b: the 30-day one is not due yet (40 days); c: the last day.
    assert_eq!(first.len(), 2, "{first:?}");
    // Once per item and threshold.
    flightline::jobs::run_for_every_tenant(app.state.db(), job)
        .await
        .expect("again");
    assert_eq!(subjects().await, first);
}

#[tokio::test]
async fn crew_dispatch_rules_ask_the_engine_and_block_when_told_to() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let aircraft = id(&app.create_aircraft(&t, "HB-DSP").await);
    let (s, _) = app.user_with_roles(&t, &["student"]).await;
    let start = Utc::now() + Duration::days(2);
    let booking = |kind: &str, overrides: Value| {
        json!({"kind": kind, "aircraft_id": aircraft, "pilot_id": s,
               "starts_at": start, "ends_at": start + Duration::hours(1),
               "override_rules": overrides})
    };
    // Default warn: the booking goes ahead with the warnings recorded.
    let b = call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&booking("solo", json!([]))),
        StatusCode::CREATED,
    )
    .await;
    let warned: Vec<&str> = b["dispatch"]
        .as_array()
        .expect("dispatch")
        .iter()
        .filter_map(|d| d["rule"].as_str())
        .collect();
    assert_eq!(
        warned,
        ["pilot_medical", "solo_endorsement", "aircraft_checkout"]
    );
    call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/cancel", id(&b)),
        )
        .json(&json!({"reason": "test"})),
        StatusCode::OK,
    )
    .await;
    // Switched to block: 409 naming each rule, unless overridden by name.
    for rule in ["pilot_medical", "solo_endorsement"] {
        call(
            app.tenant_req(
                &t,
                Method::PUT,
                &format!("/api/v1/scheduling/dispatch-rules/{rule}"),
            )
            .json(&json!({"mode": "block"})),
            StatusCode::OK,
        )
        .await;
    }
    let p = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&booking("solo", json!([]))),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["rules.pilot_medical", "rules.solo_endorsement"],
        "{p}"
    );
    // With a medical and an endorsement it passes; only the checkout is still warned.
    post(
        &app,
        &t,
        "/api/v1/certificates/medicals",
        json!({"person_id": s, "authority": "faa", "class": "third",
               "examined_on": days_ago(10), "date_of_birth": "1995-03-01"}),
    )
    .await;
    post(
        &app,
        &cfi,
        "/api/v1/certificates/endorsements",
        json!({"person_id": s, "kind": "solo", "type_code": "C172",
               "instructor_certificate_number": "1234567CFI"}),
    )
    .await;
    let ok = call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&booking("solo", json!([]))),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(ok["dispatch"].as_array().map(Vec::len), Some(1), "{ok}");
    assert_eq!(ok["dispatch"][0]["rule"], "aircraft_checkout");
    // The same rules run again at check-out: the checkout rule switched to block stops it
    // there, and an override by name lets it go.
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/aircraft_checkout",
        )
        .json(&json!({"mode": "block"})),
        StatusCode::OK,
    )
    .await;
    let check_out = format!("/api/v1/scheduling/bookings/{}/check-out", id(&ok));
    let p = problem(
        app.tenant_req(&t, Method::POST, &check_out)
            .json(&json!({})),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "rules.aircraft_checkout", "{p}");
    let out = call(
        app.tenant_req(&t, Method::POST, &check_out)
            .json(&json!({"override_rules": ["aircraft_checkout"]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(out["dispatch"].as_array().map(Vec::len), Some(2), "{out}");
    assert_eq!(out["dispatch"][1]["outcome"], "overridden");
    // The rules list shows them with their modes.
    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/scheduling/dispatch-rules"),
        StatusCode::OK,
    )
    .await;
    let modes: Vec<(&str, &str)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| Some((r["rule"].as_str()?, r["mode"].as_str()?)))
        .filter(|(r, _)| ["pilot_medical", "instrument_currency"].contains(r))
        .collect();
    assert_eq!(
        modes,
        [("pilot_medical", "block"), ("instrument_currency", "warn")]
    );
}

#[tokio::test]
async fn permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("flight_school").await;
    let (_, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let aircraft = id(&app.create_aircraft(&t, "HB-PRM").await);
    let (s, st) = student(&app, &t, &cfi, Some(5)).await;
    let (s2, _) = student(&app, &t, &cfi, None).await;
    let medical = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/certificates/medicals?person_id={s}"),
        ),
        StatusCode::OK,
    )
    .await["items"][0]
        .clone();
    let endorsement = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/certificates/endorsements?person_id={s}"),
        ),
        StatusCode::OK,
    )
    .await["items"][0]
        .clone();
    let cert = post(
        &app,
        &t,
        "/api/v1/certificates/pilot-certificates",
        json!({"person_id": s, "authority": "faa", "kind": "student", "issued_on": "2025-01-01"}),
    )
    .await;
    let m = format!("/api/v1/certificates/medicals/{}", id(&medical));
    let e = format!("/api/v1/certificates/endorsements/{}", id(&endorsement));
    let c = format!("/api/v1/certificates/pilot-certificates/{}", id(&cert));
    // A student reads their own, records nothing, endorses nobody.
    call(app.tenant_req(&st, Method::GET, &m), StatusCode::OK).await;
    call(app.tenant_req(&st, Method::GET, &c), StatusCode::OK).await;
    let valid_medical = json!({"person_id": s, "authority": "faa", "class": "third",
                               "examined_on": "2025-01-01", "date_of_birth": "1990-01-01"});
    let valid_cert =
        json!({"person_id": s, "authority": "faa", "kind": "private", "issued_on": "2025-01-01"});
    let valid_endorsement =
        json!({"person_id": s2, "kind": "complex", "instructor_certificate_number": "1"});
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/certificates/medicals".to_owned(),
            valid_medical,
        ),
        (
            Method::POST,
            "/api/v1/certificates/pilot-certificates".to_owned(),
            valid_cert,
        ),
        (
            Method::POST,
            "/api/v1/certificates/endorsements".to_owned(),
            valid_endorsement,
        ),
        (Method::PATCH, m.clone(), json!({})),
        (Method::DELETE, m.clone(), json!({})),
        (Method::PATCH, c.clone(), json!({})),
        (Method::DELETE, c.clone(), json!({})),
        (Method::POST, format!("{e}/revoke"), json!({"reason": "x"})),
    ] {
        problem(
            app.tenant_req(&st, method, &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Another student's records and answers are not theirs to see.
    problem(
        app.tenant_req(
            &st,
            Method::GET,
            &format!("/api/v1/compliance/people/{s2}?aircraft_id={aircraft}"),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // Another tenant: none of these ids exists there.
    for (method, path) in [
        (Method::GET, m.clone()),
        (Method::PATCH, m.clone()),
        (Method::DELETE, m.clone()),
        (Method::GET, c.clone()),
        (Method::PATCH, c.clone()),
        (Method::DELETE, c.clone()),
        (Method::GET, e.clone()),
        (Method::POST, format!("{e}/revoke")),
    ] {
        problem(
            app.tenant_req(&other, method, &path)
                .json(&json!({"reason": "x"})),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let other_aircraft = id(&app.create_aircraft(&other, "HB-OTH").await);
    problem(
        app.tenant_req(
            &other,
            Method::GET,
            &format!("/api/v1/compliance/people/{s}?aircraft_id={other_aircraft}"),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // The module off: 404 feature-disabled under /api/v1/certificates, and back.
    for enabled in [false, true] {
        call(
            app.tenant_req(
                &t,
                Method::PUT,
                "/api/v1/settings/feature-flags/certificates",
            )
            .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        let resp = app
            .tenant_req(&t, Method::GET, &m)
            .send()
            .await
            .expect("send");
        let want = if enabled {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(resp.status(), want);
    }
}
