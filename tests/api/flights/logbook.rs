//! `/api/v1/flights/logbook/entries`: hand entries, the student's own logbook, signatures.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{ENTRIES, TOTALS, entry, flown, id};
use crate::helpers::{TestApp, audit_actions, call, problem};

#[tokio::test]
async fn entries_are_kept_signed_and_audited() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aircraft = app.create_aircraft(&t, "N172SP").await;
    let (instructor_id, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;

    // The student logs a lesson in their own logbook; the aircraft fills what it knows.
    let e = entry(
        &app,
        &student,
        json!({"date": "2026-11-02", "aircraft_id": aircraft["id"], "departure": "kpao",
               "destination": "KSQL", "stops": ["khwd"],
               "minutes": {"total": 72, "dual_received": 72, "cross_country": 30},
               "day_landings": 3, "day_full_stop_landings": 1,
               "approaches": 2, "approach_details": [{"type": "ils", "runway": "30", "airport": "KSQL", "count": 2}],
               "instructor_id": instructor_id, "remarks": "Steep turns"}),
    )
    .await;
    assert_eq!(e["person_id"], student_id.as_str());
    assert_eq!(
        (
            &e["registration"],
            &e["type_code"],
            &e["category"],
            &e["class"]
        ),
        (
            &json!("N172SP"),
            &json!("C172"),
            &json!("airplane"),
            &json!(null)
        )
    );
    assert_eq!(
        (&e["departure"], &e["stops"]),
        (&json!("KPAO"), &json!(["KHWD"]))
    );
    assert_eq!(
        (e["source"].as_str(), e["version"].as_i64()),
        (Some("manual"), Some(1))
    );
    let path = format!("{ENTRIES}/{}", id(&e));

    let list = call(
        app.tenant_req(&student, Method::GET, ENTRIES),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"][0]["id"], e["id"]);
    let updated = call(
        app.tenant_req(&student, Method::PATCH, &path)
            .json(&json!({"remarks": null, "class": "single_engine_land", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (updated["version"].as_i64(), updated["remarks"].is_null()),
        (Some(2), true)
    );
    assert_eq!(updated["class"], "single_engine_land");
    problem(
        app.tenant_req(&student, Method::PATCH, &path)
            .json(&json!({"holds": 1, "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;

    // Only its instructor signs it; then it never changes, for anyone.
    let (_, other_instructor) = app.user_with_roles(&t, &["instructor"]).await;
    let sign = format!("{path}/sign");
    problem(
        app.tenant_req(&other_instructor, Method::POST, &sign)
            .json(&json!({"certificate_number": "1"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&student, Method::POST, &sign)
            .json(&json!({"certificate_number": "1"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let signed = call(
        app.tenant_req(&instructor, Method::POST, &sign)
            .json(&json!({"certificate_number": " 3456789CFI "})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["signed_by"], instructor_id.as_str());
    assert_eq!(signed["instructor_certificate_number"], "3456789CFI");
    assert!(signed["signed_at"].is_string());
    for who in [&student, &t] {
        problem(
            app.tenant_req(who, Method::PATCH, &path)
                .json(&json!({"holds": 1})),
            StatusCode::CONFLICT,
            "entry-signed",
        )
        .await;
        problem(
            app.tenant_req(who, Method::DELETE, &path),
            StatusCode::CONFLICT,
            "entry-signed",
        )
        .await;
    }
    problem(
        app.tenant_req(&instructor, Method::POST, &sign)
            .json(&json!({"certificate_number": "1"})),
        StatusCode::CONFLICT,
        "entry-signed",
    )
    .await;

    // The admin (flights.manage) records in the student's logbook and deletes it again.
    let mine = entry(
        &app,
        &t,
        json!({"person_id": student_id, "date": "2026-11-03", "minutes": {"ground_training": 45}}),
    )
    .await;
    assert_eq!(mine["person_id"], student_id.as_str());
    call(
        app.tenant_req(&t, Method::DELETE, &format!("{ENTRIES}/{}", id(&mine))),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &format!("{ENTRIES}/{}", id(&mine))),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(
        audit_actions(&app, &t, "logbook_entry").await,
        [
            "logbook_entry.deleted",
            "logbook_entry.created",
            "logbook_entry.signed",
            "logbook_entry.updated",
            "logbook_entry.created"
        ]
    );
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn a_student_keeps_only_their_own_logbook() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (alice_id, alice) = app.user_with_roles(&t, &["student"]).await;
    let (_, bob) = app.user_with_roles(&t, &["student"]).await;
    let (_, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    let e = entry(&app, &alice, flown("2026-10-01", 60)).await;
    let path = format!("{ENTRIES}/{}", id(&e));

    let others = format!("{ENTRIES}?person_id={alice_id}");
    let totals = format!("{TOTALS}?person_id={alice_id}");
    for (method, p) in [
        (Method::GET, others.as_str()),
        (Method::GET, totals.as_str()),
        (Method::GET, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::DELETE, path.as_str()),
    ] {
        problem(
            app.tenant_req(&bob, method, p).json(&json!({"holds": 1})),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let mut body = flown("2026-10-02", 30);
    body["person_id"] = json!(alice_id);
    problem(
        app.tenant_req(&bob, Method::POST, ENTRIES).json(&body),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let list = call(app.tenant_req(&bob, Method::GET, ENTRIES), StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
    // An instructor (flights.manage) reads it; nobody signs an entry without instruction.
    call(
        app.tenant_req(&instructor, Method::GET, &path),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&instructor, Method::POST, &format!("{path}/sign"))
            .json(&json!({"certificate_number": "1"})),
        StatusCode::CONFLICT,
        "not-dual-received",
    )
    .await;
    // Without an instructor named, a student may not sign someone's entry; an instructor may,
    // and becomes its instructor.
    let dual = entry(
        &app,
        &alice,
        json!({"date": "2026-10-03", "minutes": {"total": 50, "dual_received": 50}}),
    )
    .await;
    let sign = format!("{ENTRIES}/{}/sign", id(&dual));
    problem(
        app.tenant_req(&bob, Method::POST, &sign)
            .json(&json!({"certificate_number": "1"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let signed = call(
        app.tenant_req(&instructor, Method::POST, &sign)
            .json(&json!({"certificate_number": "CFI 1"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["instructor_id"], signed["signed_by"]);
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn bad_entries_are_422_and_store_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (me, _) = app.user_with_roles(&t, &["student"]).await;
    let cases = [
        (json!({"minutes": {"total": 60}}), "date"),
        (
            json!({"date": "2026-10-01", "minutes": {"total": 60, "pic": 61}}),
            "minutes.pic",
        ),
        (
            json!({"date": "2026-10-01", "minutes": {"total": -1}}),
            "minutes.total",
        ),
        (
            json!({"date": "2026-10-01", "minutes": {"total": 30, "dual_received": 30, "solo": 30}}),
            "minutes.solo",
        ),
        (
            json!({"date": "2026-10-01", "minutes": {"simulator": 60}}),
            "simulator_kind",
        ),
        (
            json!({"date": "2026-10-01", "departure": "K$SQ"}),
            "departure",
        ),
        (
            json!({"date": "2026-10-01", "stops": ["KSQL", "X"]}),
            "stops",
        ),
        (
            json!({"date": "2026-10-01", "day_landings": 1, "day_full_stop_landings": 2}),
            "day_full_stop_landings",
        ),
        (
            json!({"date": "2026-10-01", "approaches": 1, "approach_details": [{"type": "ils", "count": 2}]}),
            "approach_details",
        ),
        (
            json!({"date": "2026-10-01", "aircraft_id": uuid::Uuid::now_v7()}),
            "aircraft_id",
        ),
        (
            json!({"date": "2026-10-01", "category": "spaceship"}),
            "category",
        ),
        (
            json!({"date": "2026-10-01", "instructor_id": me}),
            "instructor_id",
        ),
        (
            json!({"date": "2026-10-01", "person_id": uuid::Uuid::now_v7()}),
            "person_id",
        ),
    ];
    for (mut body, field) in cases {
        if field != "person_id" {
            body["person_id"] = json!(me);
        }
        let p = problem(
            app.tenant_req(&t, Method::POST, ENTRIES).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(
            p["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["field"].as_str().is_some_and(|f| f.starts_with(field))),
            "{field}: {p}"
        );
    }
    let list = call(
        app.tenant_req(&t, Method::GET, &format!("{ENTRIES}?person_id={me}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"], json!([]));
    let mine = call(app.tenant_req(&t, Method::GET, ENTRIES), StatusCode::OK).await;
    assert_eq!(mine["items"], json!([]));
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("charter_operator").await;
    let e = entry(&app, &t, flown("2026-09-09", 42)).await;
    let path = format!("{ENTRIES}/{}", id(&e));
    let sign = format!("{path}/sign");

    // A mechanic holds neither flights permission.
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let mut body = flown("2026-09-10", 1);
    body["certificate_number"] = json!("1");
    for (method, p) in [
        (Method::GET, ENTRIES),
        (Method::POST, ENTRIES),
        (Method::GET, TOTALS),
        (Method::GET, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::DELETE, path.as_str()),
        (Method::POST, sign.as_str()),
    ] {
        problem(
            app.tenant_req(&mechanic, method, p).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Another tenant: the entry and the person do not exist there.
    for (method, p) in [
        (Method::GET, path.clone()),
        (Method::PATCH, path.clone()),
        (Method::DELETE, path.clone()),
        (Method::POST, sign.clone()),
        (
            Method::GET,
            format!(
                "{ENTRIES}?person_id={}",
                e["person_id"].as_str().unwrap_or_default()
            ),
        ),
        (
            Method::GET,
            format!(
                "{TOTALS}?person_id={}",
                e["person_id"].as_str().unwrap_or_default()
            ),
        ),
    ] {
        problem(
            app.tenant_req(&other, method, &p)
                .json(&json!({"certificate_number": "1"})),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // The module switched off: 404 feature-disabled, and back.
    for enabled in [false, true] {
        call(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/flights")
                .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        for p in [ENTRIES, TOTALS, path.as_str()] {
            let resp = app
                .tenant_req(&t, Method::GET, p)
                .send()
                .await
                .expect("send");
            let want = if enabled {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(resp.status(), want, "{p}");
        }
    }
}
