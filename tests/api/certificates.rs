//! Certificates and the compliance endpoints: medicals with computed validity, pilot
//! certificates and ratings, endorsements given and revoked by instructors, the compliance
//! answer and the list of what lapses, reminders through the outbox, the dispatch rules that
//! ask the engine; permissions (own records only for students), other tenants' ids (404) and
//! the feature flag.

use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

const MEDICALS: &str = "/api/v1/certificates/medicals";
const CERTS: &str = "/api/v1/certificates/pilot-certificates";
const ENDORSEMENTS: &str = "/api/v1/certificates/endorsements";

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

fn endorsement(person: &str, kind: &str, extra: Value) -> Value {
    let mut body =
        json!({"person_id": person, "kind": kind, "instructor_certificate_number": "CFI 1234567"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

#[tokio::test]
async fn medicals_compute_their_validity_and_corrections_are_audited() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student, _) = app.user_with_roles(&t, &["student"]).await;
    // Third class at 34: 60 calendar months after the month of the exam (14 CFR 61.23(d)(3)).
    let m = post(
        &app,
        &t,
        MEDICALS,
        json!({"person_id": student, "authority": "faa", "class": "third",
               "examined_on": "2024-05-01", "date_of_birth": "1990-05-01"}),
    )
    .await;
    assert_eq!(
        m["validity"],
        json!([{"privileges": "private", "valid_until": "2029-05-31", "regulation": "14 CFR 61.23(d)(3)"}])
    );
    let path = format!("{MEDICALS}/{}", id(&m));
    // Corrected: first class, and the pilot was 40 at the exam: 6 / 12 / 24 months.
    let fixed = call(
        app.tenant_req(&t, Method::PATCH, &path)
            .json(&json!({"date_of_birth": "1984-04-30", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(fixed["validity"][0]["valid_until"], "2026-05-31");
    assert_eq!(fixed["version"], 2);
    problem(
        app.tenant_req(&t, Method::PATCH, &path)
            .json(&json!({"limitations": "glasses", "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    let first = post(
        &app,
        &t,
        MEDICALS,
        json!({"person_id": student, "authority": "faa", "class": "first",
               "examined_on": "2026-03-10", "date_of_birth": "1984-04-30"}),
    )
    .await;
    let validity: Vec<(&str, &str)> = first["validity"]
        .as_array()
        .expect("validity")
        .iter()
        .map(|v| {
            (
                v["privileges"].as_str().unwrap_or_default(),
                v["valid_until"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        validity,
        [
            ("airline_transport", "2026-09-30"),
            ("commercial", "2027-03-31"),
            ("private", "2028-03-31")
        ]
    );
    // EASA class 2 at 41: 24 months, the same day.
    let easa = post(
        &app,
        &t,
        MEDICALS,
        json!({"person_id": student, "authority": "easa", "class": "class_2",
               "examined_on": "2025-06-15", "date_of_birth": "1984-01-01"}),
    )
    .await;
    assert_eq!(easa["validity"][0]["valid_until"], "2027-06-15");
    assert_eq!(
        easa["validity"][0]["regulation"],
        "Part-MED MED.A.045(a)(3)(ii)"
    );
    let list = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{MEDICALS}?person_id={student}&limit=2"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    assert!(list["next_cursor"].is_string());
    call(
        app.tenant_req(&t, Method::DELETE, &path),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &path),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(
        audit_actions(&app, &t, "medical_certificate").await,
        [
            "medical_certificate.deleted",
            "medical_certificate.created",
            "medical_certificate.created",
            "medical_certificate.updated",
            "medical_certificate.created"
        ]
    );
}

#[tokio::test]
async fn bad_input_is_422_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student, _) = app.user_with_roles(&t, &["student"]).await;
    let tomorrow2 = (Utc::now() + Duration::days(2)).date_naive();
    let m = |extra: Value| {
        let mut b = json!({"person_id": student, "authority": "faa", "class": "third",
                           "examined_on": "2025-01-01", "date_of_birth": "1990-01-01"});
        if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        b
    };
    for (body, field) in [
        (m(json!({"class": "class_1"})), "class"),
        (m(json!({"authority": "other"})), "authority"),
        (m(json!({"class": "basic_med"})), "course_on"),
        (m(json!({"course_on": "2025-01-01"})), "course_on"),
        (m(json!({"date_of_birth": "2025-02-01"})), "date_of_birth"),
        (m(json!({"examined_on": tomorrow2})), "examined_on"),
        (m(json!({"person_id": uuid::Uuid::new_v4()})), "person_id"),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, MEDICALS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    for (body, field) in [
        (
            json!({"authority": "faa", "kind": "private", "issued_on": "2020-01-01", "ratings": ["airplane_single_engine_land", "jet_pilot"]}),
            "ratings[1]",
        ),
        (
            json!({"authority": "faa", "kind": "private", "issued_on": "2020-01-01", "ratings": ["glider", "glider"]}),
            "ratings",
        ),
        (
            json!({"authority": "faa", "kind": "student", "issued_on": "2020-01-01", "expires_on": "2019-01-01"}),
            "expires_on",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, CERTS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    for (body, field) in [
        (endorsement(&student, "solo", json!({})), "type_code"),
        (
            endorsement(&student, "checkout", json!({"type_code": "C172"})),
            "recency_days",
        ),
        (
            endorsement(
                &student,
                "solo",
                json!({"type_code": "C172", "recency_days": 90}),
            ),
            "recency_days",
        ),
        (
            endorsement(
                &student,
                "solo",
                json!({"type_code": "C172", "given_on": tomorrow2}),
            ),
            "given_on",
        ),
        (
            endorsement(&student, "solo", json!({"type_code": "c172"})),
            "type_code",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, ENDORSEMENTS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    for path in [MEDICALS, CERTS, ENDORSEMENTS] {
        let list = call(app.tenant_req(&t, Method::GET, path), StatusCode::OK).await;
        assert_eq!(list["items"], json!([]), "{path}");
    }
}

#[tokio::test]
async fn pilot_certificates_with_ratings() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (pilot, _) = app.user_with_roles(&t, &["student"]).await;
    let c = post(
        &app,
        &t,
        CERTS,
        json!({"person_id": pilot, "authority": "faa", "kind": "commercial", "number": "3456789",
               "issued_on": "2021-06-01",
               "ratings": ["airplane_single_engine_land", "instrument_airplane", "type:CE-525"]}),
    )
    .await;
    assert_eq!(c["number"], "3456789");
    let path = format!("{CERTS}/{}", id(&c));
    let u = call(
        app.tenant_req(&t, Method::PATCH, &path)
            .json(&json!({"ratings": ["airplane_multi_engine_land"], "number": null})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(u["ratings"], json!(["airplane_multi_engine_land"]));
    assert!(u["number"].is_null());
    call(
        app.tenant_req(&t, Method::DELETE, &path),
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        audit_actions(&app, &t, "pilot_certificate").await,
        [
            "pilot_certificate.deleted",
            "pilot_certificate.updated",
            "pilot_certificate.created"
        ]
    );
}

#[tokio::test]
async fn instructors_endorse_students_see_their_own_and_revocations_are_kept() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student, student_t) = app.user_with_roles(&t, &["student"]).await;
    let (other, other_t) = app.user_with_roles(&t, &["student"]).await;
    let (cfi, cfi_t) = app.user_with_roles(&t, &["instructor"]).await;
    let (_, cfi2_t) = app.user_with_roles(&t, &["instructor"]).await;
    let given = days_ago(10);
    let solo = post(
        &app,
        &cfi_t,
        ENDORSEMENTS,
        endorsement(
            &student,
            "solo",
            json!({"type_code": "C172", "given_on": given, "text": "I certify ..."}),
        ),
    )
    .await;
    assert_eq!(solo["instructor_id"], cfi.as_str());
    assert_eq!(solo["instructor_name"], "Someone");
    assert_eq!(
        solo["valid_until"],
        json!((given + Duration::days(90)).to_string())
    );
    post(
        &app,
        &cfi_t,
        ENDORSEMENTS,
        endorsement(
            &other,
            "checkout",
            json!({"type_code": "PA28", "recency_days": 60}),
        ),
    )
    .await;
    // Nobody endorses themselves.
    problem(
        app.tenant_req(&cfi_t, Method::POST, ENDORSEMENTS)
            .json(&endorsement(&cfi, "complex", json!({}))),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // A student sees their own, not another's.
    let mine = call(
        app.tenant_req(&student_t, Method::GET, ENDORSEMENTS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    problem(
        app.tenant_req(
            &student_t,
            Method::GET,
            &format!("{ENDORSEMENTS}?person_id={other}"),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let path = format!("{ENDORSEMENTS}/{}", id(&solo));
    call(
        app.tenant_req(&student_t, Method::GET, &path),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&other_t, Method::GET, &path),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // Only its instructor (or certificates.manage) revokes it; once.
    let revoke = format!("{path}/revoke");
    problem(
        app.tenant_req(&cfi2_t, Method::POST, &revoke)
            .json(&json!({"reason": "mine"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let revoked = call(
        app.tenant_req(&cfi_t, Method::POST, &revoke)
            .json(&json!({"reason": "wrong type"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(revoked["revoke_reason"], "wrong type");
    problem(
        app.tenant_req(&t, Method::POST, &revoke)
            .json(&json!({"reason": "again"})),
        StatusCode::CONFLICT,
        "already-revoked",
    )
    .await;
    let list = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{ENDORSEMENTS}?person_id={student}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"], json!([]));
    let all = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{ENDORSEMENTS}?person_id={student}&include_revoked=true"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["items"][0]["id"], id(&solo).as_str());
    assert_eq!(
        audit_actions(&app, &t, "endorsement").await,
        [
            "endorsement.revoked",
            "endorsement.created",
            "endorsement.created"
        ]
    );
}

#[tokio::test]
async fn a_user_with_records_is_kept() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (kept, _) = app.user_with_roles(&t, &["student"]).await;
    let (gone, _) = app.user_with_roles(&t, &["student"]).await;
    post(
        &app,
        &t,
        MEDICALS,
        json!({"person_id": kept, "authority": "faa", "class": "third",
               "examined_on": "2024-05-01", "date_of_birth": "1990-05-01"}),
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/users/{kept}")),
        StatusCode::CONFLICT,
        "user-has-records",
    )
    .await;
    let list = call(
        app.tenant_req(&t, Method::GET, &format!("{MEDICALS}?person_id={kept}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    // Without records the delete goes ahead.
    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/users/{gone}")),
        StatusCode::NO_CONTENT,
    )
    .await;
}
