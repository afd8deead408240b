//! `/api/v1/flights`: drafts, signing into the crew's logbooks, corrections with their
//! revisions, the draft a check-in makes, permissions, other tenants and the flag.

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{ENTRIES, id};
use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

const FLIGHTS: &str = "/api/v1/flights";

fn at(days: i64, hour: u32) -> DateTime<Utc> {
    let d = (Utc::now() + Duration::days(days)).date_naive();
    d.and_hms_opt(hour, 0, 0).expect("time").and_utc()
}

async fn logbook(app: &TestApp, who: &TestTenant) -> Vec<Value> {
    call(app.tenant_req(who, Method::GET, ENTRIES), StatusCode::OK).await["items"]
        .as_array()
        .expect("items")
        .clone()
}

#[tokio::test]
async fn flights_are_drafted_signed_into_logbooks_and_corrected() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aircraft = app.create_aircraft(&t, "N172SP").await;
    let (instructor_id, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let (_, bystander) = app.user_with_roles(&t, &["student"]).await;

    let out = at(-1, 15);
    let draft = call(
        app.tenant_req(&t, Method::POST, FLIGHTS).json(&json!({
            "aircraft_id": aircraft["id"], "date": out.date_naive(), "departure": "kpao", "destination": "KPAO",
            "out_at": out, "off_at": out + Duration::minutes(10), "on_at": out + Duration::minutes(80),
            "in_at": out + Duration::minutes(90),
            "day_landings": 3, "day_full_stop_landings": 1, "holds": 1, "intercept_track": true,
            "approaches": [{"type": "ils", "runway": "31", "airport": "KPAO", "count": 1}],
            "minutes": {"simulated_instrument": 20}, "fuel_uplift": {"quantity": 12.5, "unit": "us_gallon"},
            "crew": [{"person_id": student_id, "role": "student"}, {"person_id": instructor_id, "role": "instructor"}]
        })),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            &draft["status"],
            &draft["total_minutes"],
            &draft["departure"]
        ),
        (&json!("draft"), &json!(90), &json!("KPAO"))
    );
    let path = format!("{FLIGHTS}/{}", id(&draft));

    // The student sees the flights they were on; another student sees none of them.
    let mine = call(
        app.tenant_req(&student, Method::GET, FLIGHTS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"][0]["id"], draft["id"]);
    let theirs = call(
        app.tenant_req(&bystander, Method::GET, FLIGHTS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"], json!([]));
    problem(
        app.tenant_req(&bystander, Method::GET, &path),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(
            &bystander,
            Method::GET,
            &format!("{FLIGHTS}?person_id={student_id}"),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let changed = call(
        app.tenant_req(&t, Method::PATCH, &path)
            .json(&json!({"remarks": "Pattern work", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["version"], 2);
    problem(
        app.tenant_req(&t, Method::PATCH, &path)
            .json(&json!({"holds": 2, "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;

    // Signing enters it in both logbooks as their roles log it.
    let signed = call(
        app.tenant_req(&t, Method::POST, &format!("{path}/sign"))
            .json(&json!({})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["status"], "signed");
    let s = logbook(&app, &student).await;
    assert_eq!(s.len(), 1);
    assert_eq!(
        (&s[0]["source"], &s[0]["flight_id"]),
        (&json!("flight"), &draft["id"])
    );
    assert_eq!(
        (
            &s[0]["minutes"]["total"],
            &s[0]["minutes"]["dual_received"],
            &s[0]["minutes"]["pic"]
        ),
        (&json!(90), &json!(90), &json!(0))
    );
    assert_eq!(
        (
            &s[0]["day_landings"],
            &s[0]["approaches"],
            &s[0]["minutes"]["simulated_instrument"]
        ),
        (&json!(3), &json!(1), &json!(20))
    );
    assert_eq!(
        (&s[0]["instructor_id"], &s[0]["registration"]),
        (&json!(instructor_id), &json!("N172SP"))
    );
    let i = logbook(&app, &instructor).await;
    assert_eq!(
        (
            &i[0]["minutes"]["dual_given"],
            &i[0]["minutes"]["pic"],
            &i[0]["day_landings"]
        ),
        (&json!(90), &json!(90), &json!(0))
    );
    for (method, code) in [
        (Method::PATCH, "flight-signed"),
        (Method::DELETE, "flight-signed"),
    ] {
        problem(
            app.tenant_req(&t, method, &path).json(&json!({"holds": 2})),
            StatusCode::CONFLICT,
            code,
        )
        .await;
    }
    problem(
        app.tenant_req(&t, Method::POST, &format!("{path}/sign"))
            .json(&json!({})),
        StatusCode::CONFLICT,
        "flight-signed",
    )
    .await;
    let generated = format!("{ENTRIES}/{}", id(&s[0]));
    problem(
        app.tenant_req(&student, Method::PATCH, &generated)
            .json(&json!({"holds": 2})),
        StatusCode::CONFLICT,
        "entry-from-flight",
    )
    .await;

    // A correction keeps the signed version and regenerates the entries.
    let corrected = call(
        app.tenant_req(&t, Method::POST, &format!("{path}/corrections"))
            .json(&json!({"reason": "Block in was 10 minutes later", "changes": {"in_at": out + Duration::minutes(100)}})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&corrected["revision"], &corrected["total_minutes"]),
        (&json!(1), &json!(100))
    );
    let s = logbook(&app, &student).await;
    assert_eq!((s.len(), &s[0]["minutes"]["total"]), (1, &json!(100)));
    let revisions = call(
        app.tenant_req(&student, Method::GET, &format!("{path}/revisions")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(revisions[0]["revision"], 0);
    assert_eq!(revisions[0]["snapshot"]["total_minutes"], 90);
    assert_eq!(revisions[0]["reason"], "Block in was 10 minutes later");

    // Once the instructor signed the student's entry, a correction names it and changes nothing.
    call(
        app.tenant_req(
            &instructor,
            Method::POST,
            &format!("{ENTRIES}/{}/sign", id(&s[0])),
        )
        .json(&json!({"certificate_number": "CFI 123"})),
        StatusCode::OK,
    )
    .await;
    let p = problem(
        app.tenant_req(&t, Method::POST, &format!("{path}/corrections"))
            .json(&json!({"reason": "Typo", "changes": {"holds": 2}})),
        StatusCode::CONFLICT,
        "entries-signed",
    )
    .await;
    assert!(
        p["errors"][0]["field"]
            .as_str()
            .is_some_and(|f| f.contains(&id(&s[0]))),
        "{p}"
    );
    let still = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
    assert_eq!(
        (&still["holds"], &still["revision"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(
        audit_actions(&app, &t, "flight").await,
        [
            "flight.corrected",
            "flight.signed",
            "flight.updated",
            "flight.created"
        ]
    );

    // A draft is deleted; a correction of a draft is refused.
    let other = call(
        app.tenant_req(&t, Method::POST, FLIGHTS).json(&json!({
            "aircraft_id": aircraft["id"], "date": out.date_naive(), "hobbs_out": 1.0, "hobbs_in": 2.0,
            "crew": [{"person_id": student_id, "role": "pic"}]})),
        StatusCode::CREATED,
    )
    .await;
    let other_path = format!("{FLIGHTS}/{}", id(&other));
    problem(
        app.tenant_req(&t, Method::POST, &format!("{other_path}/corrections"))
            .json(&json!({"reason": "x", "changes": {}})),
        StatusCode::CONFLICT,
        "flight-draft",
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &other_path),
        StatusCode::NO_CONTENT,
    )
    .await;
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn bad_flights_are_422_and_store_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aircraft = app.create_aircraft(&t, "N172SP").await;
    let (pilot, _) = app.user_with_roles(&t, &["student"]).await;
    let out = at(-1, 15);
    let ok = json!({"aircraft_id": aircraft["id"], "date": out.date_naive(),
                    "crew": [{"person_id": pilot, "role": "pic"}]});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (
            with(
                "crew",
                json!([{"person_id": pilot, "role": "pic"}, {"person_id": pilot, "role": "sic"}]),
            ),
            "crew",
        ),
        (
            with("crew", json!([{"person_id": pilot, "role": "sic"}])),
            "crew",
        ),
        (
            with("hobbs_out", json!(10.0))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("hobbs_in".into(), json!(9.0));
                    Value::Object(o)
                })
                .expect("obj"),
            "hobbs_in",
        ),
        (
            with("aircraft_id", json!(uuid::Uuid::now_v7())),
            "aircraft_id",
        ),
        (with("departure", json!("K-PA")), "departure"),
        (
            with("day_full_stop_landings", json!(1)),
            "day_full_stop_landings",
        ),
        (with("minutes", json!({"night": 30})), "minutes.night"),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, FLIGHTS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(
            p["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {p}"
        );
    }
    let mut backwards = ok.clone();
    backwards["out_at"] = json!(out);
    backwards["in_at"] = json!(out - Duration::minutes(5));
    let p = problem(
        app.tenant_req(&t, Method::POST, FLIGHTS).json(&backwards),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "in_at");
    let list = call(app.tenant_req(&t, Method::GET, FLIGHTS), StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
    // A draft without flight time is not signed.
    let empty = call(
        app.tenant_req(&t, Method::POST, FLIGHTS).json(&ok),
        StatusCode::CREATED,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &format!("{FLIGHTS}/{}/sign", id(&empty)))
            .json(&json!({})),
        StatusCode::CONFLICT,
        "no-flight-time",
    )
    .await;
}

#[tokio::test]
async fn check_in_makes_the_draft_flight_once() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aircraft = app.create_aircraft(&t, "HB-FLT").await;
    let (instructor_id, _) = app.user_with_roles(&t, &["instructor"]).await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let booking = call(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/bookings")
            .json(&json!({
            "kind": "dual", "aircraft_id": aircraft["id"], "instructor_id": instructor_id,
            "starts_at": at(2, 8), "ends_at": at(2, 10)})),
        StatusCode::CREATED,
    )
    .await;
    let b = format!("/api/v1/scheduling/bookings/{}", id(&booking));
    call(
        app.tenant_req(&student, Method::POST, &format!("{b}/check-out"))
            .json(&json!({})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&student, Method::POST, &format!("{b}/check-in"))
            .json(&json!({"hobbs_in": 1201.6, "tach_in": 1001.3})),
        StatusCode::OK,
    )
    .await;
    let list = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{FLIGHTS}?aircraft_id={}", id(&aircraft)),
        ),
        StatusCode::OK,
    )
    .await;
    let flights = list["items"].as_array().expect("items");
    assert_eq!(flights.len(), 1);
    let f = &flights[0];
    assert_eq!(
        (&f["booking_id"], &f["status"]),
        (&booking["id"], &json!("draft"))
    );
    assert_eq!(
        (&f["hobbs_out"], &f["hobbs_in"], &f["total_minutes"]),
        (&json!(1200.0), &json!(1201.6), &json!(96))
    );
    assert_eq!(
        f["crew"],
        json!([{"person_id": instructor_id, "role": "instructor"}, {"person_id": student_id, "role": "student"}])
    );
    assert!(f["out_at"].is_string() && f["in_at"].is_string());
    assert_eq!(audit_actions(&app, &t, "flight").await, ["flight.created"]);
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn flight_permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("flight_school").await;
    let aircraft = app.create_aircraft(&t, "N172SP").await;
    let (pilot, student) = app.user_with_roles(&t, &["student"]).await;
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let body = json!({"aircraft_id": aircraft["id"], "date": "2026-11-01", "hobbs_out": 1.0, "hobbs_in": 2.0,
                      "crew": [{"person_id": pilot, "role": "pic"}], "reason": "x", "changes": {}});
    let f = call(
        app.tenant_req(&t, Method::POST, FLIGHTS).json(&body),
        StatusCode::CREATED,
    )
    .await;
    let path = format!("{FLIGHTS}/{}", id(&f));
    let routes = [
        (Method::GET, path.clone()),
        (Method::PATCH, path.clone()),
        (Method::DELETE, path.clone()),
        (Method::POST, format!("{path}/sign")),
        (Method::POST, format!("{path}/corrections")),
        (Method::GET, format!("{path}/revisions")),
    ];
    for (method, p) in routes.iter().cloned().chain([
        (Method::GET, FLIGHTS.to_owned()),
        (Method::POST, FLIGHTS.to_owned()),
    ]) {
        problem(
            app.tenant_req(&mechanic, method, &p).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // A student on board reads it but records nothing.
    call(app.tenant_req(&student, Method::GET, &path), StatusCode::OK).await;
    for (method, p) in [
        (Method::POST, FLIGHTS.to_owned()),
        (Method::PATCH, path.clone()),
        (Method::POST, format!("{path}/sign")),
    ] {
        problem(
            app.tenant_req(&student, method, &p).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    for (method, p) in routes.iter().cloned() {
        problem(
            app.tenant_req(&other, method, &p).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    for enabled in [false, true] {
        call(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/flights")
                .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        let resp = app
            .tenant_req(&t, Method::GET, &path)
            .send()
            .await
            .expect("send");
        assert_eq!(
            resp.status(),
            if enabled {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }
        );
    }
}
