//! Training: syllabi authored as drafts and frozen when published, enrollments that stay on
//! their version until moved, graded lesson records (prerequisites, stage checks, scales,
//! acknowledgement), progress with hours from the logbook and pace; permissions, other tenants
//! and the flag.

use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

const SYLLABI: &str = "/api/v1/training/syllabi";
const ENROLLMENTS: &str = "/api/v1/training/enrollments";

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn days_ago(n: i64) -> NaiveDate {
    (Utc::now() - Duration::days(n)).date_naive()
}

/// Three lessons in two stages: G1 (ground, one topic), F1 (flight, two manoeuvres, after G1),
/// and the stage check SC1 (after F1); 61.109(a)-style requirements.
fn content() -> Value {
    json!({
        "lessons_per_week": 2,
        "stages": [
            {"title": "Pre-solo", "lessons": [
                {"code": "G1", "title": "Aircraft systems", "kind": "ground", "planned_minutes": 60,
                 "items": [{"name": "Engine and fuel system", "kind": "topic"}]},
                {"code": "F1", "title": "Straight and level", "kind": "flight", "planned_minutes": 90,
                 "prerequisites": ["G1"], "standards": "Altitude within 200 ft",
                 "items": [{"name": "Straight and level", "kind": "maneuver"},
                           {"name": "Climbs and descents", "kind": "maneuver"}]}
            ]},
            {"title": "Stage check", "lessons": [
                {"code": "SC1", "title": "Stage 1 check", "kind": "flight", "planned_minutes": 60,
                 "stage_check": true, "prerequisites": ["F1"], "items": []}
            ]}
        ],
        "requirements": [
            {"description": "40 hours total", "regulation": "14 CFR 61.109(a)", "column": "total", "minimum": 2400},
            {"description": "3 hours night training", "regulation": "14 CFR 61.109(a)(2)",
             "column": "dual_received", "with_column": "night", "minimum": 180}
        ]
    })
}

/// A published syllabus `code` with [`content`]; returns its id.
pub(crate) async fn published(app: &TestApp, t: &TestTenant, code: &str, scale: &str) -> String {
    let s = call(
        app.tenant_req(t, Method::POST, SYLLABI)
            .json(&json!({"code": code, "title": "Private pilot", "grading_scale": scale})),
        StatusCode::CREATED,
    )
    .await;
    let sid = id(&s);
    call(
        app.tenant_req(t, Method::PUT, &format!("{SYLLABI}/{sid}/versions/1"))
            .json(&content()),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(
            t,
            Method::POST,
            &format!("{SYLLABI}/{sid}/versions/1/publish"),
        ),
        StatusCode::OK,
    )
    .await;
    sid
}

pub(crate) async fn grade(app: &TestApp, who: &TestTenant, enrollment: &str, body: Value) -> Value {
    call(
        app.tenant_req(
            who,
            Method::POST,
            &format!("{ENROLLMENTS}/{enrollment}/records"),
        )
        .json(&body),
        StatusCode::CREATED,
    )
    .await
}

pub(crate) async fn item_ids(
    app: &TestApp,
    t: &TestTenant,
    sid: &str,
    number: i64,
    lesson: &str,
) -> Vec<String> {
    let v = call(
        app.tenant_req(
            t,
            Method::GET,
            &format!("{SYLLABI}/{sid}/versions/{number}"),
        ),
        StatusCode::OK,
    )
    .await;
    v["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .flat_map(|s| s["lessons"].as_array().expect("lessons").clone())
        .find(|l| l["code"] == lesson)
        .expect("lesson")["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect()
}

#[tokio::test]
async fn syllabi_are_drafted_published_frozen_and_versioned() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let s = call(
        app.tenant_req(&t, Method::POST, SYLLABI).json(
            &json!({"code": "PPL-A", "title": "Private pilot", "grading_scale": "five_point"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let sid = id(&s);
    assert_eq!(
        s["versions"],
        json!([{"number": 1, "status": "draft", "lessons_per_week": 2, "published_at": null}])
    );
    problem(
        app.tenant_req(&t, Method::POST, SYLLABI)
            .json(&json!({"code": "PPL-A", "title": "Again", "grading_scale": "satisfactory"})),
        StatusCode::CONFLICT,
        "code-taken",
    )
    .await;
    let v1 = format!("{SYLLABI}/{sid}/versions/1");
    // Nothing to publish yet.
    problem(
        app.tenant_req(&t, Method::POST, &format!("{v1}/publish")),
        StatusCode::CONFLICT,
        "version-empty",
    )
    .await;
    // A prerequisite that comes later, and a code used twice: 422, nothing stored.
    let mut bad = content();
    bad["stages"][0]["lessons"][0]["prerequisites"] = json!(["F1"]);
    let p = problem(
        app.tenant_req(&t, Method::PUT, &v1).json(&bad),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        p["errors"][0]["field"],
        "stages[0].lessons[0].prerequisites[0]"
    );
    let mut bad = content();
    bad["stages"][1]["lessons"][0]["code"] = json!("G1");
    let p = problem(
        app.tenant_req(&t, Method::PUT, &v1).json(&bad),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "stages[1].lessons[0].code");
    let v = call(app.tenant_req(&t, Method::GET, &v1), StatusCode::OK).await;
    assert_eq!(v["stages"], json!([]));

    let v = call(
        app.tenant_req(&t, Method::PUT, &v1).json(&content()),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        v["stages"][0]["lessons"][1]["items"][1]["name"],
        "Climbs and descents"
    );
    assert_eq!(v["requirements"][1]["with_column"], "night");
    // A student does not see a draft.
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    problem(
        app.tenant_req(&student, Method::GET, &v1),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    let v = call(
        app.tenant_req(&t, Method::POST, &format!("{v1}/publish")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(v["status"], "published");
    call(app.tenant_req(&student, Method::GET, &v1), StatusCode::OK).await;
    // Frozen: written again, 409; published again, 409.
    problem(
        app.tenant_req(&t, Method::PUT, &v1).json(&content()),
        StatusCode::CONFLICT,
        "version-published",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &format!("{v1}/publish")),
        StatusCode::CONFLICT,
        "version-published",
    )
    .await;
    // The next version starts as a copy; one draft at a time.
    let v2 = call(
        app.tenant_req(&t, Method::POST, &format!("{SYLLABI}/{sid}/versions")),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (v2["number"].as_i64(), v2["status"].as_str()),
        (Some(2), Some("draft"))
    );
    assert_eq!(v2["stages"][1]["lessons"][0]["code"], "SC1");
    problem(
        app.tenant_req(&t, Method::POST, &format!("{SYLLABI}/{sid}/versions")),
        StatusCode::CONFLICT,
        "draft-exists",
    )
    .await;
    let s = call(
        app.tenant_req(&t, Method::PATCH, &format!("{SYLLABI}/{sid}"))
            .json(&json!({"title": "PPL(A) course", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(s["title"], "PPL(A) course");
    assert_eq!(
        audit_actions(&app, &t, "syllabus").await,
        [
            "syllabus.updated",
            "syllabus_version.created",
            "syllabus_version.published",
            "syllabus_version.updated",
            "syllabus.created"
        ]
    );
}

#[tokio::test]
async fn lessons_are_graded_acknowledged_and_counted() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let sid = published(&app, &t, "PPL-A", "five_point").await;
    let (sid_user, student) = app.user_with_roles(&t, &["student"]).await;
    let (_, other_student) = app.user_with_roles(&t, &["student"]).await;
    let (cfi_id, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let e = call(
        app.tenant_req(&t, Method::POST, ENROLLMENTS).json(&json!({
            "student_id": sid_user, "syllabus_id": sid, "instructor_ids": [cfi_id],
            "started_on": days_ago(3)})),
        StatusCode::CREATED,
    )
    .await;
    let eid = id(&e);
    assert_eq!(e["syllabus_version"], 1);
    assert_eq!(e["progress"]["lessons_total"], 3);
    assert_eq!(e["progress"]["next_lesson"], "G1");
    problem(
        app.tenant_req(&t, Method::POST, ENROLLMENTS)
            .json(&json!({"student_id": sid_user, "syllabus_id": sid})),
        StatusCode::CONFLICT,
        "already-enrolled",
    )
    .await;

    // F1 before G1: its prerequisite is missing.
    let f1_items = item_ids(&app, &t, &sid, 1, "F1").await;
    let g1_items = item_ids(&app, &t, &sid, 1, "G1").await;
    problem(
        app.tenant_req(&cfi, Method::POST, &format!("{ENROLLMENTS}/{eid}/records"))
            .json(&json!({"lesson_code": "F1", "result": "incomplete"})),
        StatusCode::CONFLICT,
        "prerequisites-not-met",
    )
    .await;
    // Grades off the scale, of another lesson's item, or missing on a completed lesson: 422.
    for (body, field) in [
        (
            json!({"lesson_code": "G1", "result": "completed",
                "grades": [{"item_id": g1_items[0], "grade": "S"}]}),
            "grades[0].grade",
        ),
        (
            json!({"lesson_code": "G1", "result": "incomplete",
                "grades": [{"item_id": f1_items[0], "grade": "4"}]}),
            "grades[0].item_id",
        ),
        (
            json!({"lesson_code": "G1", "result": "completed", "grades": []}),
            "grades",
        ),
        (
            json!({"lesson_code": "G1", "result": "completed",
                "grades": [{"item_id": g1_items[0], "grade": "2"}]}),
            "result",
        ),
        (
            json!({"lesson_code": "G1", "result": "completed", "date": days_ago(-1),
                "grades": [{"item_id": g1_items[0], "grade": "4"}]}),
            "date",
        ),
        (
            json!({"lesson_code": "X9", "result": "incomplete"}),
            "lesson_code",
        ),
    ] {
        let p = problem(
            app.tenant_req(&cfi, Method::POST, &format!("{ENROLLMENTS}/{eid}/records"))
                .json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let r = grade(
        &app,
        &cfi,
        &eid,
        json!({"lesson_code": "G1", "result": "completed",
        "grades": [{"item_id": g1_items[0], "grade": "4", "comment": "Good"}]}),
    )
    .await;
    assert_eq!(r["next_lesson_code"], "F1");
    assert!(r["acknowledged_at"].is_null());
    let rec = format!("/api/v1/training/records/{}", id(&r));
    // Only the student acknowledges, once; another student does not even see it.
    problem(
        app.tenant_req(&other_student, Method::GET, &rec),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&cfi, Method::POST, &format!("{rec}/acknowledge")),
        StatusCode::FORBIDDEN,
        "not-the-student",
    )
    .await;
    let acked = call(
        app.tenant_req(&student, Method::POST, &format!("{rec}/acknowledge")),
        StatusCode::OK,
    )
    .await;
    assert!(acked["acknowledged_at"].is_string());
    problem(
        app.tenant_req(&student, Method::POST, &format!("{rec}/acknowledge")),
        StatusCode::CONFLICT,
        "already-acknowledged",
    )
    .await;
    // F1 incomplete, then completed: the latest counts.
    let r = grade(
        &app,
        &cfi,
        &eid,
        json!({"lesson_code": "F1", "result": "incomplete",
        "grades": [{"item_id": f1_items[0], "grade": "2"}]}),
    )
    .await;
    assert_eq!(r["next_lesson_code"], "F1");
    grade(&app, &cfi, &eid, json!({"lesson_code": "F1", "result": "completed",
        "grades": [{"item_id": f1_items[0], "grade": "3"}, {"item_id": f1_items[1], "grade": "5"}]})).await;
    // The stage check: only a designated instructor.
    problem(
        app.tenant_req(&cfi, Method::POST, &format!("{ENROLLMENTS}/{eid}/records"))
            .json(&json!({"lesson_code": "SC1", "result": "completed"})),
        StatusCode::FORBIDDEN,
        "stage-check-not-designated",
    )
    .await;
    let (examiner_id, examiner) = app.user_with_roles(&t, &["instructor"]).await;
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            &format!("{SYLLABI}/{sid}/stage-check-instructors"),
        )
        .json(&json!({"user_ids": [examiner_id]})),
        StatusCode::OK,
    )
    .await;

    // Hours from the student's logbook since the start: 90 min dual, 60 of it at night.
    call(
        app.tenant_req(&student, Method::POST, "/api/v1/flights/logbook/entries")
            .json(&json!({
            "date": days_ago(1), "registration": "N172SP", "type_code": "C172",
            "category": "airplane", "class": "single_engine_land",
            "minutes": {"total": 90, "dual_received": 90, "night": 60}})),
        StatusCode::CREATED,
    )
    .await;
    let e = call(
        app.tenant_req(&student, Method::GET, &format!("{ENROLLMENTS}/{eid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(e["progress"]["lessons_completed"], 2);
    assert_eq!(e["progress"]["next_lesson"], "SC1");
    assert_eq!(e["progress"]["requirements"][0]["logged"], 90);
    assert_eq!(e["progress"]["requirements"][1]["logged"], 60);
    assert_eq!(e["progress"]["requirements"][1]["met"], false);
    problem(
        app.tenant_req(&other_student, Method::GET, &format!("{ENROLLMENTS}/{eid}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // Not completed while a lesson remains.
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("{ENROLLMENTS}/{eid}"))
            .json(&json!({"status": "completed"})),
        StatusCode::CONFLICT,
        "lessons-remaining",
    )
    .await;

    // Version 2 adds a lesson: the enrollment stays on version 1 until moved on purpose.
    call(
        app.tenant_req(&t, Method::POST, &format!("{SYLLABI}/{sid}/versions")),
        StatusCode::CREATED,
    )
    .await;
    let mut c2 = content();
    c2["stages"][1]["lessons"]
        .as_array_mut()
        .expect("lessons")
        .insert(0, json!({"code": "F2", "title": "Slow flight", "kind": "flight", "planned_minutes": 90, "items": []}));
    c2["stages"][1]["lessons"][1]["prerequisites"] = json!(["F2"]);
    call(
        app.tenant_req(&t, Method::PUT, &format!("{SYLLABI}/{sid}/versions/2"))
            .json(&c2),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{SYLLABI}/{sid}/versions/2/publish"),
        ),
        StatusCode::OK,
    )
    .await;
    let e = call(
        app.tenant_req(&t, Method::GET, &format!("{ENROLLMENTS}/{eid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            e["syllabus_version"].as_i64(),
            e["progress"]["lessons_total"].as_i64()
        ),
        (Some(1), Some(3))
    );
    let e = call(
        app.tenant_req(&t, Method::POST, &format!("{ENROLLMENTS}/{eid}/move"))
            .json(&json!({"syllabus_version": 2})),
        StatusCode::OK,
    )
    .await;
    // G1 and F1 keep counting by code; F2 is next.
    assert_eq!(e["syllabus_version"], 2);
    assert_eq!(
        (
            e["progress"]["lessons_total"].as_i64(),
            e["progress"]["lessons_completed"].as_i64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(e["progress"]["next_lesson"], "F2");
    grade(
        &app,
        &cfi,
        &eid,
        json!({"lesson_code": "F2", "result": "completed"}),
    )
    .await;
    grade(
        &app,
        &examiner,
        &eid,
        json!({"lesson_code": "SC1", "result": "completed"}),
    )
    .await;
    let done = call(
        app.tenant_req(&t, Method::PATCH, &format!("{ENROLLMENTS}/{eid}"))
            .json(&json!({"status": "completed"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["status"], "completed");
    assert!(done["progress"]["forecast_completion"].is_null());
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("{ENROLLMENTS}/{eid}"))
            .json(&json!({"notes": "x"})),
        StatusCode::CONFLICT,
        "enrollment-closed",
    )
    .await;
    let records = call(
        app.tenant_req(
            &student,
            Method::GET,
            &format!("{ENROLLMENTS}/{eid}/records"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(records["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        audit_actions(&app, &t, "lesson_record").await.len(),
        6,
        "five created, one acknowledged"
    );
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn the_school_list_puts_who_is_behind_first() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let sid = published(&app, &t, "PPL-A", "satisfactory").await;
    let sid2 = published(&app, &t, "IR-A", "satisfactory").await;
    let (a, _) = app.user_with_roles(&t, &["student"]).await;
    let (b, bt) = app.user_with_roles(&t, &["student"]).await;
    // A started 15 days ago at 1 a week: 2 expected, 0 done, within one? No: 2 behind is
    // behind. B started 7 days ago at 1 a week: 1 expected, 0 done: on track.
    let ea = call(
        app.tenant_req(&t, Method::POST, ENROLLMENTS).json(&json!({
        "student_id": a, "syllabus_id": sid, "started_on": days_ago(15), "lessons_per_week": 1})),
        StatusCode::CREATED,
    )
    .await;
    let eb = call(
        app.tenant_req(&t, Method::POST, ENROLLMENTS).json(&json!({
        "student_id": b, "syllabus_id": sid2, "started_on": days_ago(7), "lessons_per_week": 1})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            ea["progress"]["lessons_expected"].as_i64(),
            ea["progress"]["pace"].as_str()
        ),
        (Some(2), Some("behind"))
    );
    assert_eq!(
        (
            eb["progress"]["lessons_expected"].as_i64(),
            eb["progress"]["pace"].as_str()
        ),
        (Some(1), Some("on_track"))
    );
    // Forecast: A, after two weeks with nothing done, at the plan's 1 a week: 3 lessons, 21 days.
    assert_eq!(
        ea["progress"]["forecast_completion"],
        json!((days_ago(0) + Duration::days(21)).to_string())
    );
    let list = call(app.tenant_req(&t, Method::GET, ENROLLMENTS), StatusCode::OK).await;
    let order: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(order, [id(&ea), id(&eb)]);
    assert_eq!(list["truncated"], false);
    // A student lists only their own.
    let mine = call(
        app.tenant_req(&bt, Method::GET, ENROLLMENTS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["items"][0]["id"], eb["id"]);
    // Two weeks on hold are left out of the pace: 1 day of training, nothing expected yet.
    let path_a = format!("{ENROLLMENTS}/{}", id(&ea));
    call(
        app.tenant_req(&t, Method::PATCH, &path_a)
            .json(&json!({"status": "on_hold"})),
        StatusCode::OK,
    )
    .await;
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::query(
        "update training_enrollments set on_hold_since = current_date - 14 where id = $1::uuid",
    )
    .bind(id(&ea))
    .execute(&mut *tx)
    .await
    .expect("back-date the hold");
    tx.commit().await.expect("commit");
    let held = call(app.tenant_req(&t, Method::GET, &path_a), StatusCode::OK).await;
    assert_eq!(held["days_on_hold"], 14);
    assert_eq!(
        (
            held["progress"]["lessons_expected"].as_i64(),
            held["progress"]["pace"].as_str()
        ),
        (Some(0), Some("on_track"))
    );
    // Back to active: the 14 days are kept; withdrawn closes it and frees the syllabus.
    let back = call(
        app.tenant_req(&t, Method::PATCH, &path_a)
            .json(&json!({"status": "active"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(back["days_on_hold"], 14);
    call(
        app.tenant_req(&t, Method::PATCH, &path_a)
            .json(&json!({"status": "withdrawn"})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, ENROLLMENTS)
            .json(&json!({"student_id": a, "syllabus_id": sid})),
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("flight_school").await;
    let sid = published(&app, &t, "PPL-A", "five_point").await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let e = call(
        app.tenant_req(&t, Method::POST, ENROLLMENTS)
            .json(&json!({"student_id": student_id, "syllabus_id": sid})),
        StatusCode::CREATED,
    )
    .await;
    let eid = id(&e);
    let r = grade(
        &app,
        &t,
        &eid,
        json!({"lesson_code": "G1", "result": "incomplete"}),
    )
    .await;
    let rid = id(&r);
    let none = json!(null);
    let routes = [
        (Method::GET, SYLLABI.to_owned(), true, none.clone()),
        (
            Method::POST,
            SYLLABI.to_owned(),
            false,
            json!({"code": "X", "title": "X", "grading_scale": "satisfactory"}),
        ),
        (Method::GET, format!("{SYLLABI}/{sid}"), true, none.clone()),
        (
            Method::PATCH,
            format!("{SYLLABI}/{sid}"),
            false,
            json!({"title": "X"}),
        ),
        (
            Method::PUT,
            format!("{SYLLABI}/{sid}/stage-check-instructors"),
            false,
            json!({"user_ids": []}),
        ),
        (
            Method::POST,
            format!("{SYLLABI}/{sid}/versions"),
            false,
            none.clone(),
        ),
        (
            Method::GET,
            format!("{SYLLABI}/{sid}/versions/1"),
            true,
            none.clone(),
        ),
        (
            Method::PUT,
            format!("{SYLLABI}/{sid}/versions/1"),
            false,
            content(),
        ),
        (
            Method::POST,
            format!("{SYLLABI}/{sid}/versions/1/publish"),
            false,
            none.clone(),
        ),
        (Method::GET, ENROLLMENTS.to_owned(), true, none.clone()),
        (
            Method::POST,
            ENROLLMENTS.to_owned(),
            false,
            json!({"student_id": student_id, "syllabus_id": sid}),
        ),
        (
            Method::GET,
            format!("{ENROLLMENTS}/{eid}"),
            true,
            none.clone(),
        ),
        (
            Method::PATCH,
            format!("{ENROLLMENTS}/{eid}"),
            false,
            json!({"notes": "x"}),
        ),
        (
            Method::POST,
            format!("{ENROLLMENTS}/{eid}/move"),
            false,
            json!({"syllabus_version": 1}),
        ),
        (
            Method::GET,
            format!("{ENROLLMENTS}/{eid}/records"),
            true,
            none.clone(),
        ),
        (
            Method::POST,
            format!("{ENROLLMENTS}/{eid}/records"),
            false,
            json!({"lesson_code": "G1", "result": "incomplete"}),
        ),
        (
            Method::POST,
            format!("{ENROLLMENTS}/{eid}/next-booking"),
            false,
            json!({"starts_at": "2030-01-01T09:00:00Z"}),
        ),
        (
            Method::GET,
            format!("/api/v1/training/records/{rid}"),
            true,
            none.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/training/records/{rid}/acknowledge"),
            true,
            none.clone(),
        ),
    ];
    let req = |who: &TestTenant, method: &Method, path: &str, body: &Value| {
        let rb = app.tenant_req(who, method.clone(), path);
        if body.is_null() { rb } else { rb.json(body) }
    };
    // A mechanic holds neither permission; a student only `training.read`.
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    for (method, path, read, body) in &routes {
        problem(
            req(&mechanic, method, path, body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        if !read {
            problem(
                req(&student, method, path, body),
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
        }
    }
    // Another organisation's admin: every id is unknown there.
    for (method, path, _, body) in routes
        .iter()
        .filter(|r| r.1.contains(&sid) || r.1.contains(&eid) || r.1.contains(&rid))
    {
        problem(
            req(&other, method, path, body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // Enrolling another organisation's user or syllabus: 422.
    let (foreign, _) = app.user_with_roles(&other, &["student"]).await;
    let p = problem(
        app.tenant_req(&t, Method::POST, ENROLLMENTS)
            .json(&json!({"student_id": foreign, "syllabus_id": sid})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "student_id");
    // The module switched off: 404 feature-disabled, and back.
    for enabled in [false, true] {
        call(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/training")
                .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        let resp = app
            .tenant_req(&t, Method::GET, SYLLABI)
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

#[tokio::test]
async fn the_next_lesson_is_booked_through_scheduling() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let sid = published(&app, &t, "PPL-A", "five_point").await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let (cfi_id, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let aircraft = id(&app.create_aircraft(&t, "HB-TRN").await);
    let e = call(
        app.tenant_req(&t, Method::POST, ENROLLMENTS).json(
            &json!({"student_id": student_id, "syllabus_id": sid, "instructor_ids": [cfi_id]}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let path = format!("{ENROLLMENTS}/{}/next-booking", id(&e));
    let start = (Utc::now() + Duration::days(2))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .expect("time")
        .and_utc();
    // The next lesson, G1: a ground lesson of 60 minutes with the enrollment's instructor.
    let b = call(
        app.tenant_req(&cfi, Method::POST, &path)
            .json(&json!({"starts_at": start})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(b["kind"], "ground");
    assert_eq!(b["pilot_id"], student_id.as_str());
    assert_eq!(b["instructor_id"], cfi_id.as_str());
    assert_eq!(b["title"], "PPL-A G1: Aircraft systems");
    let ends = chrono::DateTime::parse_from_rfc3339(b["ends_at"].as_str().expect("ends_at"))
        .expect("time");
    assert_eq!(ends.with_timezone(&Utc) - start, Duration::minutes(60));
    // F1 is a flight: an aircraft is required; with one, a 90-minute dual booking.
    let p = problem(
        app.tenant_req(&cfi, Method::POST, &path)
            .json(&json!({"lesson_code": "F1", "starts_at": start + Duration::hours(2)})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "aircraft_id");
    let f = call(
        app.tenant_req(&cfi, Method::POST, &path).json(&json!({
            "lesson_code": "F1", "starts_at": start + Duration::hours(2), "aircraft_id": aircraft})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (f["kind"].as_str(), f["aircraft_id"].as_str()),
        (Some("dual"), Some(aircraft.as_str()))
    );
    // The instructor is busy then: scheduling's own conflict answer.
    problem(
        app.tenant_req(&cfi, Method::POST, &path).json(&json!({
            "lesson_code": "F1", "starts_at": start + Duration::hours(2), "aircraft_id": aircraft})),
        StatusCode::CONFLICT,
        "booking-conflict",
    )
    .await;
    // A student does not book lessons for themselves this way; an unknown lesson is 422.
    problem(
        app.tenant_req(&student, Method::POST, &path)
            .json(&json!({"starts_at": start})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let p = problem(
        app.tenant_req(&cfi, Method::POST, &path)
            .json(&json!({"lesson_code": "X9", "starts_at": start})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "lesson_code");
}
