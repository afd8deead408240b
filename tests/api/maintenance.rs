//! Maintenance: inspections and what is due, completion with the 100-hour overrun, squawks,
//! MEL deferrals, the log and its sign-off, airworthiness shown on the aircraft.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, call, problem};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn inspections_due_and_completion_with_overrun() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let a = app.create_aircraft(&t, "HB-MXA").await; // tach 1,000.0
    let aid = id(&a);
    let today = chrono::Utc::now().date_naive();
    // 100-hour last done at 905.0 tach: due at 1,005.0, limit 1,015.0.
    let hh = call(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/inspections").json(&json!({
            "aircraft_id": aid, "kind": "hundred_hour", "last_done_on": today, "last_done_hours": 905.0
        })),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            &hh["interval_hours"],
            &hh["overrun_hours"],
            &hh["next_due_hours"],
            &hh["hours_limit"],
            &hh["status"]
        ),
        (
            &json!(100.0),
            &json!(10.0),
            &json!(1005.0),
            &json!(1015.0),
            &json!("due_soon")
        )
    );
    // An annual never done: overdue, so the aircraft is unairworthy.
    let annual = call(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/inspections")
            .json(&json!({"aircraft_id": aid, "kind": "annual"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (&annual["interval_months"], &annual["status"]),
        (&json!(12), &json!("overdue"))
    );
    let shown = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/fleet/aircraft/{aid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(shown["airworthiness"]["airworthy"], false);
    assert_eq!(
        shown["airworthiness"]["reasons"][0]["kind"],
        "inspection_overdue"
    );

    // Validation: a custom item needs an interval; an unknown aircraft is 422.
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/inspections")
            .json(&json!({"aircraft_id": aid, "kind": "custom", "name": "Oil change"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/inspections")
            .json(&json!({"aircraft_id": uuid::Uuid::new_v4(), "kind": "elt"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // The due list: overdue first.
    let due = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/maintenance/due?aircraft_id={aid}"),
        ),
        StatusCode::OK,
    )
    .await;
    let order: Vec<&str> = due["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert_eq!(order, ["annual", "hundred_hour"]);

    // The instructor (no sign-off permission) cannot complete; the mechanic can.
    let (_, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let complete = format!("/api/v1/maintenance/inspections/{}/complete", id(&hh));
    problem(
        app.tenant_req(&instructor, Method::POST, &complete)
            .json(&json!({"work_done": "x"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Done at 1,012.0 (7 hours into the overrun): the next is due at 1,105.0, not 1,112.0.
    let done = call(
        app.tenant_req(&mechanic, Method::POST, &complete)
            .json(&json!({"hours": 1012.0, "work_done": "100-hour inspection IAW checklist", "certificate_number": "A&P 1234567"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["inspection"]["next_due_hours"], 1105.0);
    assert_eq!(done["inspection"]["basis_hours"], 1005.0);
    assert!(done["log"]["signed_off_at"].is_string());
    problem(
        app.tenant_req(&mechanic, Method::POST, &complete)
            .json(&json!({"work_done": " "})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let annual_done = call(
        app.tenant_req(
            &mechanic,
            Method::POST,
            &format!("/api/v1/maintenance/inspections/{}/complete", id(&annual)),
        )
        .json(&json!({"work_done": "Annual inspection"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(annual_done["inspection"]["status"], "ok");
    let shown = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/fleet/aircraft/{aid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        shown["airworthiness"],
        json!({"airworthy": true, "reasons": []})
    );

    // Update and delete.
    let patched = call(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/maintenance/inspections/{}", id(&annual)),
        )
        .json(&json!({"notes": "With the engine borescope", "version": 2})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["version"], 3);
    problem(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/maintenance/inspections/{}", id(&annual)),
        )
        .json(&json!({"interval_months": null})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Permissions and isolation.
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    problem(
        app.tenant_req(&student, Method::GET, "/api/v1/maintenance/inspections"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&student, Method::GET, "/api/v1/maintenance/due"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&instructor, Method::POST, "/api/v1/maintenance/inspections")
            .json(&json!({"aircraft_id": aid, "kind": "elt"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let other = app.signup("flight_school").await;
    let iid = id(&annual);
    for (m, path, body) in [
        (
            Method::GET,
            format!("/api/v1/maintenance/inspections/{iid}"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/v1/maintenance/inspections/{iid}"),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/maintenance/inspections/{iid}"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/maintenance/inspections/{iid}/complete"),
            json!({"work_done": "x"}),
        ),
    ] {
        let mut rb = app.tenant_req(&other, m, &path);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::NOT_FOUND, "not-found").await;
    }
    assert_eq!(
        call(
            app.tenant_req(&other, Method::GET, "/api/v1/maintenance/due"),
            StatusCode::OK
        )
        .await["items"],
        json!([])
    );
    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/maintenance/inspections/{iid}"),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
}

#[tokio::test]
async fn squawks_mel_and_the_log() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-MXB").await);
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let (_, student) = app.user_with_roles(&t, &["student"]).await;

    // A grounding squawk grounds the aircraft; resolving it needs a resolution.
    let sq = call(
        app.tenant_req(&mechanic, Method::POST, "/api/v1/maintenance/squawks")
            .json(
                &json!({"aircraft_id": aid, "title": "Left brake soft", "severity": "grounding"}),
            ),
        StatusCode::CREATED,
    )
    .await;
    let sid = id(&sq);
    let shown = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/fleet/aircraft/{aid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        shown["airworthiness"]["reasons"][0]["kind"],
        "grounding_squawk"
    );
    problem(
        app.tenant_req(
            &mechanic,
            Method::PATCH,
            &format!("/api/v1/maintenance/squawks/{sid}"),
        )
        .json(&json!({"status": "resolved"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/squawks")
            .json(&json!({"aircraft_id": aid, "title": "x", "severity": "cosmetic"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // The aircraft now has maintenance history: deleting it is refused and keeps everything.
    let refused = problem(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/fleet/aircraft/{aid}")),
        StatusCode::CONFLICT,
        "in-use",
    )
    .await;
    assert!(refused["detail"].as_str().unwrap_or("").contains("retire"));
    call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/maintenance/squawks/{sid}"),
        ),
        StatusCode::OK,
    )
    .await;

    // Deferred under the MEL (category B, found 5 days ago: expired after 3 days).
    let found = (chrono::Utc::now() - chrono::Duration::days(5)).date_naive();
    let mel = call(
        app.tenant_req(&mechanic, Method::POST, "/api/v1/maintenance/mel").json(&json!({
            "aircraft_id": aid, "squawk_id": sid, "item": "32-42-01", "description": "Left brake", "category": "B",
            "discovered_on": found
        })),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        mel["expires_on"],
        json!((found + chrono::Duration::days(3)).to_string())
    );
    assert_eq!(mel["expired"], true);
    let shown = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/fleet/aircraft/{aid}")),
        StatusCode::OK,
    )
    .await;
    let kinds: Vec<&str> = shown["airworthiness"]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["mel_expired"],
        "the deferred squawk no longer grounds, the expiry does"
    );
    // Category A needs the remarks' interval; D runs 120 days.
    problem(
        app.tenant_req(&mechanic, Method::POST, "/api/v1/maintenance/mel")
            .json(&json!({"aircraft_id": aid, "item": "1", "description": "d", "category": "A"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let d = call(
        app.tenant_req(&mechanic, Method::POST, "/api/v1/maintenance/mel")
            .json(&json!({"aircraft_id": aid, "item": "25-10-01", "description": "Cabin light", "category": "D"})),
        StatusCode::CREATED,
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        d["expires_on"],
        json!((today + chrono::Duration::days(120)).to_string())
    );
    let expired = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/maintenance/mel?aircraft_id={aid}&expired=true"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(expired["items"].as_array().map(Vec::len), Some(1));

    // Clearing the deferral resolves its squawk; the aircraft is airworthy again.
    problem(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("/api/v1/maintenance/mel/{}/clear", id(&mel)),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    call(
        app.tenant_req(
            &mechanic,
            Method::POST,
            &format!("/api/v1/maintenance/mel/{}/clear", id(&mel)),
        ),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(
            &mechanic,
            Method::POST,
            &format!("/api/v1/maintenance/mel/{}/clear", id(&mel)),
        ),
        StatusCode::CONFLICT,
        "already-cleared",
    )
    .await;
    let sq = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/maintenance/squawks/{sid}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(sq["status"], "resolved");
    let shown = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/fleet/aircraft/{aid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(shown["airworthiness"]["airworthy"], true);

    // The log: recorded by maintenance.manage, signed off once by maintenance.sign_off.
    let entry = call(
        app.tenant_req(&mechanic, Method::POST, "/api/v1/maintenance/logs").json(&json!({
            "aircraft_id": aid, "performed_on": today, "tach": 1001.2, "work_done": "Replaced brake pads", "squawk_id": sid
        })),
        StatusCode::CREATED,
    )
    .await;
    assert!(entry["signed_off_at"].is_null());
    let lid = id(&entry);
    let unsigned = call(
        app.tenant_req(&t, Method::GET, "/api/v1/maintenance/logs?signed=false"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(unsigned["items"].as_array().map(Vec::len), Some(1));
    let signed = call(
        app.tenant_req(
            &mechanic,
            Method::POST,
            &format!("/api/v1/maintenance/logs/{lid}/sign-off"),
        )
        .json(&json!({"certificate_number": "A&P 42"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["certificate_number"], "A&P 42");
    problem(
        app.tenant_req(
            &mechanic,
            Method::POST,
            &format!("/api/v1/maintenance/logs/{lid}/sign-off"),
        )
        .json(&json!({})),
        StatusCode::CONFLICT,
        "already-signed",
    )
    .await;
    problem(
        app.tenant_req(&mechanic, Method::POST, "/api/v1/maintenance/logs")
            .json(&json!({"aircraft_id": aid, "performed_on": "not a date", "work_done": "x"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Permissions: a student neither reads nor writes maintenance.
    for (m, path) in [
        (Method::GET, "/api/v1/maintenance/squawks"),
        (Method::GET, "/api/v1/maintenance/mel"),
        (Method::GET, "/api/v1/maintenance/logs"),
    ] {
        problem(
            app.tenant_req(&student, m, path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let (_, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    for (path, body) in [
        (
            "/api/v1/maintenance/squawks",
            json!({"aircraft_id": aid, "title": "x", "severity": "grounding"}),
        ),
        (
            "/api/v1/maintenance/mel",
            json!({"aircraft_id": aid, "item": "1", "description": "d", "category": "C"}),
        ),
        (
            "/api/v1/maintenance/logs",
            json!({"aircraft_id": aid, "performed_on": today, "work_done": "x"}),
        ),
    ] {
        problem(
            app.tenant_req(&instructor, Method::POST, path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    problem(
        app.tenant_req(
            &instructor,
            Method::POST,
            &format!("/api/v1/maintenance/logs/{lid}/sign-off"),
        )
        .json(&json!({})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Another tenant.
    let other = app.signup("flight_school").await;
    for (m, path, body) in [
        (
            Method::GET,
            format!("/api/v1/maintenance/squawks/{sid}"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/v1/maintenance/squawks/{sid}"),
            json!({}),
        ),
        (
            Method::GET,
            format!("/api/v1/maintenance/mel/{}", id(&d)),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/maintenance/mel/{}/clear", id(&d)),
            Value::Null,
        ),
        (
            Method::GET,
            format!("/api/v1/maintenance/logs/{lid}"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/maintenance/logs/{lid}/sign-off"),
            json!({}),
        ),
    ] {
        let mut rb = app.tenant_req(&other, m, &path);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::NOT_FOUND, "not-found").await;
    }
    for path in [
        "/api/v1/maintenance/squawks",
        "/api/v1/maintenance/mel",
        "/api/v1/maintenance/logs",
    ] {
        assert_eq!(
            call(app.tenant_req(&other, Method::GET, path), StatusCode::OK).await["items"],
            json!([])
        );
    }
}

/// An unknown (or another organisation's) aircraft or squawk is answered by the foreign keys:
/// `422 validation-failed` naming the field, as the pre-checks that used to run did.
#[tokio::test]
async fn unknown_ids_are_named_by_the_foreign_keys() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-MXF").await);
    let other = id(&app.create_aircraft(&t, "HB-MXG").await);
    let today = chrono::Utc::now().date_naive();
    let nobody = uuid::Uuid::new_v4();
    let squawk_of_other = id(&call(
        app.tenant_req(&t, Method::POST, "/api/v1/maintenance/squawks")
            .json(
                &json!({"aircraft_id": other, "title": "Flat tyre", "severity": "non_grounding"}),
            ),
        StatusCode::CREATED,
    )
    .await);
    for (path, body, field) in [
        (
            "/api/v1/maintenance/inspections",
            json!({"aircraft_id": nobody, "kind": "elt"}),
            "aircraft_id",
        ),
        (
            "/api/v1/maintenance/squawks",
            json!({"aircraft_id": nobody, "title": "x", "severity": "grounding"}),
            "aircraft_id",
        ),
        (
            "/api/v1/maintenance/mel",
            json!({"aircraft_id": nobody, "item": "1", "description": "d", "category": "C"}),
            "aircraft_id",
        ),
        (
            "/api/v1/maintenance/mel",
            json!({"aircraft_id": aid, "squawk_id": nobody, "item": "1", "description": "d", "category": "C"}),
            "squawk_id",
        ),
        (
            "/api/v1/maintenance/mel",
            json!({"aircraft_id": aid, "squawk_id": squawk_of_other, "item": "1", "description": "d", "category": "C"}),
            "squawk_id",
        ),
        (
            "/api/v1/maintenance/logs",
            json!({"aircraft_id": nobody, "performed_on": today, "work_done": "x"}),
            "aircraft_id",
        ),
        (
            "/api/v1/maintenance/logs",
            json!({"aircraft_id": aid, "performed_on": today, "work_done": "x", "squawk_id": nobody}),
            "squawk_id",
        ),
        (
            "/api/v1/maintenance/logs",
            json!({"aircraft_id": aid, "performed_on": today, "work_done": "x", "squawk_id": squawk_of_other}),
            "squawk_id",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, path).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{path} {body}: {p}");
    }
    // Nothing was written by the refused requests.
    let mel = call(
        app.tenant_req(&t, Method::GET, "/api/v1/maintenance/mel"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mel["items"].as_array().map(Vec::len), Some(0));
    let logs = call(
        app.tenant_req(&t, Method::GET, "/api/v1/maintenance/logs"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(logs["items"].as_array().map(Vec::len), Some(0));
}
