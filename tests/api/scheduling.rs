//! Scheduling: bookings, no double booking under concurrency, dispatch rules and overrides,
//! idempotency, check-out and check-in, cancellation and the waitlist e-mail, calendar views
//! in the tenant's time zone across a DST change, permissions and isolation.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, call, override_kv, problem};
use crate::smtp::SmtpSink;

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// The dispatch outcomes other than the crew rules' (medical, currency, endorsements: they warn
/// by default about people without records; tests/api/compliance.rs covers them).
fn not_crew(dispatch: &Value) -> Value {
    const CREW: &[&str] = &[
        "pilot_medical",
        "flight_review",
        "solo_endorsement",
        "passenger_currency",
        "instrument_currency",
        "instructor_certificate",
        "aircraft_checkout",
    ];
    Value::Array(
        dispatch
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| !CREW.contains(&d["rule"].as_str().unwrap_or_default()))
            .cloned()
            .collect(),
    )
}

/// `days` from now at `hour`:00 UTC.
fn slot(days: i64, hour: u32) -> DateTime<Utc> {
    let d = (Utc::now() + chrono::Duration::days(days)).date_naive();
    d.and_hms_opt(hour, 0, 0).expect("time").and_utc()
}

async fn book(app: &TestApp, t: &TestTenant, body: Value, expected: StatusCode) -> Value {
    call(
        app.tenant_req(t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&body),
        expected,
    )
    .await
}

#[tokio::test]
async fn many_clients_booking_one_slot_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-CON").await);
    let body = json!({"kind": "rental", "aircraft_id": aid, "starts_at": slot(3, 9), "ends_at": slot(3, 11)});
    let sends = (0..16).map(|i| {
        // Different but overlapping windows, so no two requests are identical.
        let mut b = body.clone();
        b["ends_at"] = json!(slot(3, 11) + chrono::Duration::minutes(i));
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&b)
            .send()
    });
    let results = futures_util::future::join_all(sends).await;
    let mut statuses = Vec::new();
    let mut winner = None;
    let mut details = Vec::new();
    for r in results {
        let r = r.expect("sent");
        statuses.push(r.status());
        let v: Value = r.json().await.expect("json");
        if v["id"].is_string() {
            winner = Some(id(&v));
        } else {
            assert_eq!(v["code"], "booking-conflict", "{v}");
            details.push(v["detail"].as_str().unwrap_or_default().to_owned());
        }
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
        15
    );
    let winner = winner.expect("one booking");
    assert!(
        details.iter().all(|d| d.contains(&winner)),
        "the 409 names the holder: {details:?}"
    );
    let list = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/scheduling/bookings?aircraft_id={aid}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn bookings_rules_overrides_idempotency_and_check_in() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let a = app.create_aircraft(&t, "HB-SCH").await;
    let aid = id(&a);
    let (instructor_id, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let (_, other_student) = app.user_with_roles(&t, &["student"]).await;

    // A dual lesson holds the aircraft and the instructor.
    let dual = book(
        &app,
        &student,
        json!({"kind": "dual", "aircraft_id": aid, "instructor_id": instructor_id,
               "starts_at": slot(2, 8), "ends_at": slot(2, 10), "title": "Lesson 4"}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (&dual["pilot_id"], &dual["status"]),
        (&json!(student_id), &json!("scheduled"))
    );
    // The instructor is taken: a ground lesson at the same time conflicts on the instructor.
    let c = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings").json(&json!({
            "kind": "ground", "instructor_id": instructor_id, "starts_at": slot(2, 9), "ends_at": slot(2, 12)
        })),
        StatusCode::CONFLICT,
        "booking-conflict",
    )
    .await;
    assert!(
        c["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(&id(&dual)),
        "{c}"
    );
    assert_eq!(c["errors"][0]["field"], "instructor");
    // Back to back is fine (half-open ranges).
    book(
        &app,
        &t,
        json!({"kind": "ground", "instructor_id": instructor_id, "starts_at": slot(2, 10), "ends_at": slot(2, 11)}),
        StatusCode::CREATED,
    )
    .await;

    // Validation changes nothing.
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&json!({
                "kind": "joyride", "starts_at": "yesterday", "ends_at": slot(2, 8)
            })),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"].as_array().map(Vec::len), Some(2), "{bad}");
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .json(&json!({"kind": "solo", "starts_at": slot(2, 8), "ends_at": slot(2, 7)})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings").json(&json!({
            "kind": "solo", "aircraft_id": uuid::Uuid::new_v4(), "starts_at": slot(2, 14), "ends_at": slot(2, 15)
        })),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // A student books only for themselves and sees only their own bookings.
    let blocked = problem(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/bookings").json(&json!({
            "kind": "solo", "aircraft_id": aid, "pilot_id": instructor_id, "starts_at": slot(4, 8), "ends_at": slot(4, 9)
        })),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    assert_eq!(blocked["errors"][0]["field"], "rules.own_bookings_only");
    assert_eq!(
        call(
            app.tenant_req(&other_student, Method::GET, "/api/v1/scheduling/bookings"),
            StatusCode::OK
        )
        .await["items"],
        json!([])
    );
    problem(
        app.tenant_req(
            &other_student,
            Method::GET,
            &format!("/api/v1/scheduling/bookings/{}", id(&dual)),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(
            &instructor,
            Method::GET,
            &format!("/api/v1/scheduling/bookings/{}", id(&dual)),
        ),
        StatusCode::OK,
    )
    .await;

    // A grounding squawk: the aircraft is unairworthy, the squawk lists the booking it affects,
    // booking it is blocked, and only a role with scheduling.override may override.
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let sq = call(
        app.tenant_req(&mechanic, Method::POST, "/api/v1/maintenance/squawks")
            .json(&json!({"aircraft_id": aid, "title": "Oil leak", "severity": "grounding"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sq["affected_booking_ids"], json!([id(&dual)]));
    let solo = json!({"kind": "solo", "aircraft_id": aid, "starts_at": slot(5, 8), "ends_at": slot(5, 9),
                      "override_rules": ["aircraft_unairworthy"]});
    let blocked = problem(
        app.tenant_req(&instructor, Method::POST, "/api/v1/scheduling/bookings")
            .json(&solo),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    assert_eq!(blocked["errors"][0]["field"], "rules.aircraft_unairworthy");
    let overridden = book(&app, &t, solo.clone(), StatusCode::CREATED).await;
    assert_eq!(overridden["dispatch"][0]["outcome"], "overridden");
    // Check-out of the affected booking is blocked too; the scheduler moves it to another aircraft.
    problem(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/check-out", id(&dual)),
        )
        .json(&json!({})),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    let spare = id(&app.create_aircraft(&t, "HB-SPR").await);
    let moved = call(
        app.tenant_req(
            &instructor,
            Method::PATCH,
            &format!("/api/v1/scheduling/bookings/{}", id(&dual)),
        )
        .json(&json!({"aircraft_id": spare, "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["aircraft_id"], json!(spare));
    // Warn mode lets it through with a recorded warning.
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/aircraft_unairworthy",
        )
        .json(&json!({"mode": "warn"})),
        StatusCode::OK,
    )
    .await;
    let warned = book(
        &app,
        &instructor,
        json!({"kind": "solo", "aircraft_id": aid, "starts_at": slot(6, 8), "ends_at": slot(6, 9)}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(warned["dispatch"][0]["outcome"], "warned");
    problem(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/no_such_rule",
        )
        .json(&json!({"mode": "off"})),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(
            &instructor,
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/maintenance_due",
        )
        .json(&json!({"mode": "off"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let rules = call(
        app.tenant_req(&student, Method::GET, "/api/v1/scheduling/dispatch-rules"),
        StatusCode::OK,
    )
    .await;
    assert!(
        rules["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["rule"] == "aircraft_unairworthy" && r["mode"] == "warn")
    );

    // Idempotency-Key: the same key and body return the first booking; another body is 422.
    let body = json!({"kind": "rental", "aircraft_id": spare, "starts_at": slot(7, 8), "ends_at": slot(7, 10)});
    let first = call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .header("Idempotency-Key", "k-1")
            .json(&body),
        StatusCode::CREATED,
    )
    .await;
    let again = call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .header("Idempotency-Key", "k-1")
            .json(&body),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["id"], again["id"]);
    let mut other = body.clone();
    other["ends_at"] = json!(slot(7, 11));
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings")
            .header("Idempotency-Key", "k-1")
            .json(&other),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Check-out and check-in: meters in become the aircraft's; a squawk is reported.
    let out = call(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/check-out", id(&dual)),
        )
        .json(&json!({})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&out["status"], &out["hobbs_out"]),
        (&json!("checked_out"), &json!(1200.0))
    );
    problem(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/check-in", id(&dual)),
        )
        .json(&json!({"hobbs_in": 1100.0, "tach_in": 1001.0})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let done = call(
        app.tenant_req(&student, Method::POST, &format!("/api/v1/scheduling/bookings/{}/check-in", id(&dual)))
            .json(&json!({"hobbs_in": 1201.6, "tach_in": 1001.3,
                          "squawks": [{"title": "Landing light out", "severity": "non_grounding"}]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["booking"]["status"], "completed");
    assert_eq!(done["squawk_ids"].as_array().map(Vec::len), Some(1));
    let now = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/fleet/aircraft/{spare}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&now["hobbs"], &now["tach"]),
        (&json!(1201.6), &json!(1001.3))
    );
    problem(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/cancel", id(&dual)),
        )
        .json(&json!({"reason": "too late"})),
        StatusCode::CONFLICT,
        "booking-state",
    )
    .await;

    // Cancel: a reason is required; within 24 hours of the start it is late.
    let soon = book(
        &app,
        &t,
        json!({"kind": "rental", "aircraft_id": spare, "starts_at": Utc::now() + chrono::Duration::hours(3),
               "ends_at": Utc::now() + chrono::Duration::hours(4)}),
        StatusCode::CREATED,
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/cancel", id(&soon)),
        )
        .json(&json!({"reason": ""})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let cancelled = call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/cancel", id(&soon)),
        )
        .json(&json!({"reason": "weather"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&cancelled["status"], &cancelled["late_cancellation"]),
        (&json!("cancelled"), &json!(true))
    );
    let early = call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/cancel", id(&first)),
        )
        .json(&json!({"reason": "plans changed"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(early["late_cancellation"], false);

    // The audit trail of a booking.
    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "/api/v1/settings/audit-logs?resource_type=booking&resource_id={}",
                id(&dual)
            ),
        ),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "booking.checked_in",
            "booking.checked_out",
            "booking.updated",
            "booking.created"
        ]
    );
}

#[tokio::test]
async fn permissions_and_isolation_of_every_scheduling_route() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-ISO").await);
    let b = book(
        &app,
        &t,
        json!({"kind": "rental", "aircraft_id": aid, "starts_at": slot(3, 8), "ends_at": slot(3, 9)}),
        StatusCode::CREATED,
    )
    .await;
    let bid = id(&b);
    let av = call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/availability")
            .json(&json!({"starts_at": slot(3, 8), "ends_at": slot(3, 18), "available": true})),
        StatusCode::CREATED,
    )
    .await;
    let w = call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/waitlist")
            .json(&json!({"aircraft_id": aid, "starts_at": slot(3, 8), "ends_at": slot(3, 9)})),
        StatusCode::CREATED,
    )
    .await;
    // A charter medical crew member has no scheduling permission at all.
    let c = app.signup("charter_operator").await;
    let (_, medic) = app.user_with_roles(&c, &["medical_crew"]).await;
    for path in [
        "/api/v1/scheduling/bookings",
        "/api/v1/scheduling/calendar",
        "/api/v1/scheduling/availability",
        "/api/v1/scheduling/opening-hours",
        "/api/v1/scheduling/dispatch-rules",
        "/api/v1/scheduling/waitlist",
    ] {
        problem(
            app.tenant_req(&medic, Method::GET, path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let (_, pilot) = app.user_with_roles(&c, &["pilot"]).await; // reads, cannot book
    for (m, path, body) in [
        (
            Method::POST,
            "/api/v1/scheduling/bookings".to_owned(),
            json!({"kind": "solo", "aircraft_id": aid, "starts_at": slot(3, 8), "ends_at": slot(3, 9)}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/scheduling/bookings/{bid}"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/scheduling/bookings/{bid}/cancel"),
            json!({"reason": "x"}),
        ),
        (
            Method::POST,
            format!("/api/v1/scheduling/bookings/{bid}/check-out"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/scheduling/bookings/{bid}/check-in"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/scheduling/availability".into(),
            json!({"starts_at": slot(3, 8), "ends_at": slot(3, 9), "available": false}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/scheduling/availability/{}", id(&av)),
            Value::Null,
        ),
        (
            Method::POST,
            "/api/v1/scheduling/waitlist".into(),
            json!({"aircraft_id": aid, "starts_at": slot(3, 8), "ends_at": slot(3, 9)}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/scheduling/waitlist/{}", id(&w)),
            Value::Null,
        ),
        (
            Method::PUT,
            "/api/v1/scheduling/opening-hours".into(),
            json!({"items": []}),
        ),
        (
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/booking_window".into(),
            json!({"mode": "off"}),
        ),
    ] {
        let mut rb = app.tenant_req(&pilot, m, &path);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // The other tenant's admin: 404 for every id, and nothing listed.
    for (m, path, body) in [
        (
            Method::GET,
            format!("/api/v1/scheduling/bookings/{bid}"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/v1/scheduling/bookings/{bid}"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/scheduling/bookings/{bid}/cancel"),
            json!({"reason": "x"}),
        ),
        (
            Method::POST,
            format!("/api/v1/scheduling/bookings/{bid}/check-out"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/scheduling/bookings/{bid}/check-in"),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/scheduling/availability/{}", id(&av)),
            Value::Null,
        ),
        (
            Method::DELETE,
            format!("/api/v1/scheduling/waitlist/{}", id(&w)),
            Value::Null,
        ),
    ] {
        let mut rb = app.tenant_req(&c, m, &path);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::NOT_FOUND, "not-found").await;
    }
    for path in [
        "/api/v1/scheduling/bookings",
        "/api/v1/scheduling/availability",
        "/api/v1/scheduling/waitlist",
    ] {
        assert_eq!(
            call(app.tenant_req(&c, Method::GET, path), StatusCode::OK).await["items"],
            json!([])
        );
    }
    // Another tenant's aircraft cannot be booked here (unknown id: 422, nothing written).
    problem(
        app.tenant_req(&c, Method::POST, "/api/v1/scheduling/bookings")
            .json(&json!({"kind": "rental", "aircraft_id": aid, "starts_at": slot(9, 8), "ends_at": slot(9, 9)})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    // Deletes by the owner work.
    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/scheduling/availability/{}", id(&av)),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/scheduling/waitlist/{}", id(&w)),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
}

#[tokio::test]
async fn calendar_weeks_opening_hours_and_availability_across_dst() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/settings")
            .json(&json!({"key": "timezone", "value": "Europe/Zurich"})),
        StatusCode::CREATED,
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/booking_window",
        )
        .json(&json!({"mode": "off"})),
        StatusCode::OK,
    )
    .await;
    let hours = call(
        app.tenant_req(&t, Method::PUT, "/api/v1/scheduling/opening-hours").json(&json!({"items": [
            {"weekday": 1, "opens": "08:00", "closes": "18:00"}, {"weekday": 7, "opens": "08:00", "closes": "18:00"}
        ]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(hours["timezone"], "Europe/Zurich");
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/scheduling/opening-hours")
            .json(&json!({"items": [{"weekday": 1, "opens": "18:00", "closes": "08:00"}]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let aid = id(&app.create_aircraft(&t, "HB-DST").await);
    let (iid, _) = app.user_with_roles(&t, &["instructor"]).await;
    // Sunday 29 March 2027? No: the change is on Sunday 28 March 2027 in Europe.
    // Sunday 08:00-09:00 local on the change day is 06:00-07:00 UTC (summer time).
    let sunday = book(
        &app,
        &t,
        json!({"kind": "dual", "aircraft_id": aid, "instructor_id": iid,
               "starts_at": "2027-03-28T06:00:00Z", "ends_at": "2027-03-28T07:00:00Z"}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        not_crew(&sunday["dispatch"]),
        json!([]),
        "inside opening hours in local time"
    );
    // Monday 07:00 UTC is 09:00 local: fine; Monday 06:30 UTC is 08:30 local: fine too; 05:30 is not.
    let early = book(
        &app,
        &t,
        json!({"kind": "solo", "aircraft_id": aid, "starts_at": "2027-03-29T05:30:00Z", "ends_at": "2027-03-29T06:30:00Z"}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(early["dispatch"][0]["rule"], "outside_opening_hours");
    // Instructor time off blocks (default mode block).
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/availability").json(&json!({
            "instructor_id": iid, "starts_at": "2027-03-29T08:00:00Z", "ends_at": "2027-03-29T12:00:00Z", "available": false
        })),
        StatusCode::CREATED,
    )
    .await;
    let off = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings").json(&json!({
            "kind": "ground", "instructor_id": iid, "starts_at": "2027-03-29T09:00:00Z", "ends_at": "2027-03-29T10:00:00Z"
        })),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    assert_eq!(off["errors"][0]["field"], "rules.instructor_unavailable");

    // The week of Monday 22 March 2027 in Zurich: 7 local days, 167 hours (spring forward).
    let week = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/scheduling/calendar?start=2027-03-22&days=7",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&week["from"], &week["to"]),
        (
            &json!("2027-03-21T23:00:00+00:00"),
            &json!("2027-03-28T22:00:00+00:00")
        )
    );
    let aircraft_row = week["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["resource_type"] == "aircraft")
        .expect("aircraft row")
        .clone();
    assert_eq!(
        aircraft_row["bookings"].as_array().map(Vec::len),
        Some(1),
        "the Sunday lesson only"
    );
    let instructor_row = week["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["resource_id"] == json!(iid))
        .expect("instructor row")
        .clone();
    assert_eq!(instructor_row["bookings"][0]["id"], sunday["id"]);
    // The Monday: one local day from 22:00 UTC on the Sunday.
    let monday = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/scheduling/calendar?start=2027-03-29&days=1&resource_type=aircraft",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(monday["from"], "2027-03-28T22:00:00+00:00");
    assert_eq!(monday["rows"][0]["bookings"][0]["id"], early["id"]);
    // By user.
    let mine = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/scheduling/calendar?start=2027-03-22&days=14&user_id={iid}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        mine["rows"][0]["bookings"].as_array().map(Vec::len),
        Some(1)
    );
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/scheduling/calendar?days=40"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn a_freed_slot_notifies_the_waitlist_by_mail() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_own_db("waitlist", override_kv("mail.smtp_url", sink.url())).await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-WAI").await);
    let taken = book(
        &app,
        &t,
        json!({"kind": "rental", "aircraft_id": aid, "starts_at": slot(4, 8), "ends_at": slot(4, 12)}),
        StatusCode::CREATED,
    )
    .await;
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    let entry = call(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/waitlist")
            .json(&json!({"aircraft_id": aid, "starts_at": slot(4, 9), "ends_at": slot(4, 11)})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(entry["status"], "waiting");
    problem(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/waitlist")
            .json(&json!({"aircraft_id": aid, "simulator_id": aid, "starts_at": slot(4, 9), "ends_at": slot(4, 11)})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let since = sink.mark();
    call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("/api/v1/scheduling/bookings/{}/cancel", id(&taken)),
        )
        .json(&json!({"reason": "owner away"})),
        StatusCode::OK,
    )
    .await;
    let mail = sink
        .wait_for(
            &student.admin_email,
            "A slot is free",
            since,
            Duration::from_secs(10),
        )
        .await;
    assert!(
        mail.contains("HB-WAI") && mail.contains("A slot is free"),
        "{mail}"
    );
    let mine = call(
        app.tenant_req(&student, Method::GET, "/api/v1/scheduling/waitlist"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"][0]["status"], "notified");
}

/// Fetches a feed URL as a calendar application would: no headers, no token.
async fn fetch_feed(app: &TestApp, url: &str) -> reqwest::Response {
    let path = url.find("/api/v1/").map(|i| &url[i..]).expect("feed path");
    app.req(Method::GET, path).send().await.expect("feed")
}

#[tokio::test]
async fn ical_feeds_per_user_and_per_aircraft() {
    use icalendar::Component;
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-ICS").await);
    let (sid, student) = app.user_with_roles(&t, &["student"]).await;
    let mine = book(
        &app,
        &student,
        json!({"kind": "solo", "aircraft_id": aid, "starts_at": slot(2, 8), "ends_at": slot(2, 10), "title": "Solo cross-country"}),
        StatusCode::CREATED,
    )
    .await;
    book(
        &app,
        &t,
        json!({"kind": "maintenance", "aircraft_id": aid, "starts_at": slot(3, 8), "ends_at": slot(3, 18)}),
        StatusCode::CREATED,
    )
    .await;

    // The student's feed: their own booking, with its title.
    let issued = call(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/feeds/me"),
        StatusCode::CREATED,
    )
    .await;
    let url = issued["url"].as_str().expect("url").to_owned();
    let resp = fetch_feed(&app, &url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.expect("text");
    let cal: icalendar::Calendar = text.parse().expect("a valid iCalendar document");
    let events: Vec<&icalendar::Event> = cal.events().collect();
    assert_eq!(events.len(), 1, "{text}");
    assert_eq!(events[0].get_summary(), Some("Solo cross-country"));
    assert_eq!(
        events[0].get_uid(),
        Some(format!("{}@flightline", id(&mine)).as_str())
    );
    let status = call(
        app.tenant_req(&student, Method::GET, "/api/v1/scheduling/feeds/me"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&status["kind"], &status["id"]),
        (&json!("bookings"), &issued["id"])
    );

    // The aircraft's feed: both bookings, as busy time without names.
    let plane = call(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("/api/v1/scheduling/feeds/aircraft/{aid}"),
        ),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(plane["subject_id"], json!(aid));
    let text = fetch_feed(&app, plane["url"].as_str().expect("url"))
        .await
        .text()
        .await
        .expect("text");
    let cal: icalendar::Calendar = text.parse().expect("a valid iCalendar document");
    let summaries: Vec<&str> = cal.events().filter_map(|e| e.get_summary()).collect();
    assert_eq!(
        summaries,
        ["HB-ICS: booked", "HB-ICS: maintenance"],
        "{text}"
    );
    assert!(!text.contains("Solo cross-country") && !text.contains(&sid));

    // Revoked: 404. The scheduling flag off: 404. Unknown aircraft, other tenant: 404.
    call(
        app.tenant_req(&student, Method::DELETE, "/api/v1/scheduling/feeds/me"),
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(fetch_feed(&app, &url).await.status(), StatusCode::NOT_FOUND);
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/scheduling")
            .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        fetch_feed(&app, plane["url"].as_str().expect("url"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/scheduling")
            .json(&json!({"enabled": true})),
        StatusCode::OK,
    )
    .await;
    let other = app.signup("flight_school").await;
    for m in [Method::GET, Method::POST, Method::DELETE] {
        problem(
            app.tenant_req(
                &other,
                m,
                &format!("/api/v1/scheduling/feeds/aircraft/{aid}"),
            ),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let c = app.signup("charter_operator").await;
    let (_, medic) = app.user_with_roles(&c, &["medical_crew"]).await;
    problem(
        app.tenant_req(&medic, Method::POST, "/api/v1/scheduling/feeds/me"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

/// Every operation of the three domains without a request body, taken from the OpenAPI
/// document: a user without the domain's permissions gets 403, before any lookup.
#[tokio::test]
async fn every_bodiless_operation_checks_its_permission() {
    let app = TestApp::spawn().await;
    let c = app.signup("charter_operator").await;
    let (_, medic) = app.user_with_roles(&c, &["medical_crew"]).await;
    let spec: Value = serde_json::from_str(&flightline::api::openapi_json()).expect("spec");
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        if !["/api/v1/fleet", "/api/v1/maintenance", "/api/v1/scheduling"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            continue;
        }
        let concrete = path
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{rule}", "booking_window");
        for (method, op) in item.as_object().expect("item") {
            if op.get("requestBody").is_some() {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            problem(
                app.tenant_req(&medic, m, &concrete),
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations checked");
}

#[tokio::test]
async fn maintenance_falling_due_during_a_booking_warns() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-DUE").await); // tach 1,000.0
    let today = Utc::now().date_naive();
    // A 100-hour due at 1,001.0 tach: a two-hour booking would run past it.
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/inspections").json(&json!({
            "aircraft_id": aid, "kind": "hundred_hour", "last_done_on": today, "last_done_hours": 901.0
        })),
        StatusCode::CREATED,
    )
    .await;
    let b = book(
        &app,
        &t,
        json!({"kind": "rental", "aircraft_id": aid, "starts_at": slot(2, 8), "ends_at": slot(2, 10)}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (&b["dispatch"][0]["rule"], &b["dispatch"][0]["outcome"]),
        (&json!("maintenance_due"), &json!("warned"))
    );
    // A half-hour booking ends before it falls due.
    let short = book(
        &app,
        &t,
        json!({"kind": "rental", "aircraft_id": aid, "starts_at": slot(3, 8), "ends_at": slot(3, 8) + chrono::Duration::minutes(30)}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(not_crew(&short["dispatch"]), json!([]));
    // Blocking mode refuses it; a path id that is not a UUID is a 404.
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/maintenance_due",
        )
        .json(&json!({"mode": "block"})),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/scheduling/bookings").json(
            &json!({"kind": "rental", "aircraft_id": aid, "starts_at": slot(4, 8), "ends_at": slot(4, 10)}),
        ),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    let resp = app
        .tenant_req(&t, Method::GET, "/api/v1/scheduling/bookings/not-a-uuid")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
