//! Theory: ground school (courses, modules, lessons, materials, enrolment, progress,
//! prerequisites) and exams (banks, seeded draws, grading of each kind, answer-key secrecy, the
//! deadline with its grace, retake rules); students see only their own records, other tenants'
//! ids are `404`, a role without the permission `403`, and the feature flag.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

const COURSES: &str = "/api/v1/theory/courses";
const BANKS: &str = "/api/v1/theory/question-banks";
const EXAMS: &str = "/api/v1/theory/exams";
const ENROLLMENTS: &str = "/api/v1/theory/enrollments";
const ATTEMPTS: &str = "/api/v1/theory/attempts";

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

async fn post(app: &TestApp, t: &TestTenant, path: &str, body: Value) -> Value {
    call(
        app.tenant_req(t, Method::POST, path).json(&body),
        StatusCode::CREATED,
    )
    .await
}

/// A published course with one module of `lessons` lessons; returns (course, lesson ids).
async fn course(app: &TestApp, t: &TestTenant, code: &str, lessons: usize) -> (Value, Vec<String>) {
    let c = post(
        app,
        t,
        COURSES,
        json!({"code": code, "title": format!("Course {code}"), "category": "ppl",
               "difficulty": "beginner", "duration_weeks": 6, "status": "published"}),
    )
    .await;
    let m = post(
        app,
        t,
        &format!("{COURSES}/{}/modules", id(&c)),
        json!({"position": 1, "title": "Basics", "duration_hours": 2.5}),
    )
    .await;
    let mut ids = Vec::new();
    for i in 1..=lessons {
        let l = post(
            app,
            t,
            &format!("/api/v1/theory/modules/{}/lessons", id(&m)),
            json!({"position": i, "title": format!("Lesson {i}"), "content": "text"}),
        )
        .await;
        ids.push(id(&l));
    }
    (c, ids)
}

async fn bank(app: &TestApp, t: &TestTenant, name: &str) -> String {
    id(&post(app, t, BANKS, json!({"name": name})).await)
}

async fn question(app: &TestApp, t: &TestTenant, bank: &str, body: Value) -> Value {
    post(app, t, &format!("{BANKS}/{bank}/questions"), body).await
}

async fn exam(app: &TestApp, t: &TestTenant, banks: &[&str], extra: Value) -> String {
    let mut body = json!({"title": "Exam", "bank_ids": banks, "question_count": 1,
                          "time_limit_minutes": 30, "pass_mark_percent": 75, "published": true});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    id(&post(app, t, EXAMS, body).await)
}

async fn start(app: &TestApp, t: &TestTenant, exam: &str) -> Value {
    post(app, t, &format!("{EXAMS}/{exam}/attempts"), json!({})).await
}

async fn submit(app: &TestApp, t: &TestTenant, attempt: &str, answers: Value) -> Value {
    call(
        app.tenant_req(t, Method::POST, &format!("{ATTEMPTS}/{attempt}/submit"))
            .json(&json!({"answers": answers})),
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn ground_school_enrolment_and_progress() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student, st) = app.user_with_roles(&t, &["student"]).await;
    let (_, other) = app.user_with_roles(&t, &["student"]).await;
    let (c, lessons) = course(&app, &t, "PPL-TH", 2).await;
    let cid = id(&c);
    assert_eq!(c["status"], "published");
    problem(
        app.tenant_req(&t, Method::POST, COURSES)
            .json(&json!({"code": "PPL-TH",
            "title": "Again", "category": "ppl", "difficulty": "advanced", "duration_weeks": 1})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &format!("{COURSES}/{cid}/modules"))
            .json(&json!({"position": 1, "title": "Dup", "duration_hours": 1})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let material = post(
        &app,
        &t,
        &format!("/api/v1/theory/lessons/{}/materials", lessons[0]),
        json!({"title": "PHAK ch. 12", "url": "https://www.faa.gov/phak"}),
    )
    .await;
    let lesson = call(
        app.tenant_req(
            &st,
            Method::GET,
            &format!("/api/v1/theory/lessons/{}", lessons[0]),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(lesson["materials"][0]["id"], id(&material).as_str());
    let modules = call(
        app.tenant_req(&st, Method::GET, &format!("{COURSES}/{cid}/modules")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(modules["items"][0]["duration_hours"], 2.5);
    assert_eq!(modules["items"][0]["lessons"][1]["title"], "Lesson 2");

    // The student enrols themselves, once.
    let e = post(&app, &st, &format!("{COURSES}/{cid}/enroll"), json!({})).await;
    assert_eq!(
        (e["student_id"].as_str(), e["progress_percent"].as_i64()),
        (Some(student.as_str()), Some(0))
    );
    problem(
        app.tenant_req(&st, Method::POST, &format!("{COURSES}/{cid}/enroll"))
            .json(&json!({})),
        StatusCode::CONFLICT,
        "already-enrolled",
    )
    .await;
    // Only theory.manage enrols someone else.
    problem(
        app.tenant_req(&st, Method::POST, &format!("{COURSES}/{cid}/enroll"))
            .json(&json!({"student_id": t.id})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let path = format!("{ENROLLMENTS}/{}", id(&e));
    let (_, other_course) = course(&app, &t, "IR-TH", 1).await;
    problem(
        app.tenant_req(
            &st,
            Method::POST,
            &format!("{path}/lessons/{}/complete", other_course[0]),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let half = call(
        app.tenant_req(
            &st,
            Method::POST,
            &format!("{path}/lessons/{}/complete", lessons[0]),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(half["progress_percent"], 50);
    assert!(half["completed_at"].is_null());
    let done = call(
        app.tenant_req(
            &st,
            Method::POST,
            &format!("{path}/lessons/{}/complete", lessons[1]),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["progress_percent"], 100);
    assert!(done["completed_at"].is_string());
    assert_eq!(done["completed_lesson_ids"], json!(lessons));
    // Another student: 404 on the record, 403 on a list filtered to it, their own list empty.
    problem(
        app.tenant_req(&other, Method::GET, &path),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(
            &other,
            Method::GET,
            &format!("{ENROLLMENTS}?student_id={student}"),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let theirs = call(
        app.tenant_req(&other, Method::GET, ENROLLMENTS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"], json!([]));
    let all = call(
        app.tenant_req(&t, Method::GET, &format!("{ENROLLMENTS}?course_id={cid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));

    // A draft is the authors' only; a course not published takes no enrolment.
    let draft = post(
        &app,
        &t,
        COURSES,
        json!({"code": "DRAFT1", "title": "Draft", "category": "ppl",
               "difficulty": "intermediate", "duration_weeks": 2}),
    )
    .await;
    problem(
        app.tenant_req(&st, Method::GET, &format!("{COURSES}/{}", id(&draft))),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let visible = call(app.tenant_req(&st, Method::GET, COURSES), StatusCode::OK).await;
    assert_eq!(visible["items"].as_array().map(Vec::len), Some(2));
    problem(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{COURSES}/{}/enroll", id(&draft)),
        )
        .json(&json!({"student_id": student})),
        StatusCode::CONFLICT,
        "course-not-open",
    )
    .await;
    let renamed = call(
        app.tenant_req(&t, Method::PATCH, &format!("{COURSES}/{cid}"))
            .json(&json!({"title": "Private pilot theory", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["version"], 2);
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("{COURSES}/{cid}")),
        StatusCode::CONFLICT,
        "course-in-use",
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &format!("{COURSES}/{}", id(&draft))),
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        audit_actions(&app, &t, "theory_course").await,
        [
            "theory_course.deleted",
            "theory_course.updated",
            "theory_course.created",
            "theory_course.created",
            "theory_course.created"
        ]
    );
    assert_eq!(
        audit_actions(&app, &t, "theory_enrollment").await,
        [
            "theory_enrollment.lesson_completed",
            "theory_enrollment.lesson_completed",
            "theory_enrollment.created"
        ]
    );
}

#[tokio::test]
async fn prerequisites_gate_enrolment_and_course_bound_exams() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, st) = app.user_with_roles(&t, &["student"]).await;
    let (basic, basic_lessons) = course(&app, &t, "BASIC", 1).await;
    let (adv, adv_lessons) = course(&app, &t, "ADV", 1).await;
    let adv_path = format!("{COURSES}/{}", id(&adv));
    call(
        app.tenant_req(&t, Method::PATCH, &adv_path)
            .json(&json!({"prerequisite_ids": [id(&basic)]})),
        StatusCode::OK,
    )
    .await;
    // No cycles, no self-reference, no unknown course.
    for ids in [json!([id(&adv)]), json!([uuid::Uuid::new_v4()])] {
        let p = problem(
            app.tenant_req(&t, Method::PATCH, &format!("{COURSES}/{}", id(&basic)))
                .json(&json!({"prerequisite_ids": ids})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "prerequisite_ids");
    }
    let p = problem(
        app.tenant_req(&st, Method::POST, &format!("{adv_path}/enroll"))
            .json(&json!({})),
        StatusCode::CONFLICT,
        "prerequisites-not-met",
    )
    .await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("BASIC")
    );
    // A course-bound exam waits for the course.
    let b = bank(&app, &t, "Bank").await;
    question(
        &app,
        &t,
        &b,
        json!({"kind": "true_false", "prompt": "VFR is visual?", "correct_bool": true,
               "subject": "air-law"}),
    )
    .await;
    let x = exam(&app, &t, &[&b], json!({"course_id": id(&adv)})).await;
    problem(
        app.tenant_req(&st, Method::POST, &format!("{EXAMS}/{x}/attempts")),
        StatusCode::CONFLICT,
        "prerequisites-not-met",
    )
    .await;
    let e = post(
        &app,
        &st,
        &format!("{COURSES}/{}/enroll", id(&basic)),
        json!({}),
    )
    .await;
    call(
        app.tenant_req(
            &st,
            Method::POST,
            &format!(
                "{ENROLLMENTS}/{}/lessons/{}/complete",
                id(&e),
                basic_lessons[0]
            ),
        ),
        StatusCode::OK,
    )
    .await;
    let e2 = post(&app, &st, &format!("{adv_path}/enroll"), json!({})).await;
    call(
        app.tenant_req(
            &st,
            Method::POST,
            &format!(
                "{ENROLLMENTS}/{}/lessons/{}/complete",
                id(&e2),
                adv_lessons[0]
            ),
        ),
        StatusCode::OK,
    )
    .await;
    start(&app, &st, &x).await;
}

#[tokio::test]
async fn bad_input_is_422_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let good = json!({"code": "OK", "title": "T", "category": "c", "difficulty": "beginner",
                      "duration_weeks": 1});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("code", json!("X".repeat(21))), "code"),
        (with("code", json!("bad code")), "code"),
        (with("title", json!("  ")), "title"),
        (with("difficulty", json!("expert")), "difficulty"),
        (with("duration_weeks", json!(0)), "duration_weeks"),
        (
            with("prerequisite_ids", json!([uuid::Uuid::new_v4()])),
            "prerequisite_ids",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, COURSES).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let b = bank(&app, &t, "B").await;
    for (body, field) in [
        (
            json!({"kind": "single_choice", "prompt": "p", "options": ["a", "b"],
                   "correct_options": [0, 1], "subject": "met"}),
            "correct_options",
        ),
        (
            json!({"kind": "multiple_choice", "prompt": "p", "options": ["a", "b"],
                   "correct_options": [2], "subject": "met"}),
            "correct_options",
        ),
        (
            json!({"kind": "single_choice", "prompt": "p", "options": ["a"],
                   "correct_options": [0], "subject": "met"}),
            "options",
        ),
        (
            json!({"kind": "numeric", "prompt": "p", "correct_number": 1, "subject": "met"}),
            "tolerance",
        ),
        (
            json!({"kind": "true_false", "prompt": "p", "correct_bool": true,
                   "options": ["a", "b"], "subject": "met"}),
            "options",
        ),
        (
            json!({"kind": "true_false", "prompt": "p", "correct_bool": true, "subject": "Met"}),
            "subject",
        ),
        (
            json!({"kind": "numeric", "prompt": "p", "correct_number": 1, "tolerance": -1,
                   "subject": "met"}),
            "tolerance",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, &format!("{BANKS}/{b}/questions"))
                .json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    for (body, field) in [
        (
            json!({"title": "E", "bank_ids": [], "question_count": 1, "time_limit_minutes": 1,
                "pass_mark_percent": 50}),
            "bank_ids",
        ),
        (
            json!({"title": "E", "bank_ids": [uuid::Uuid::new_v4()], "question_count": 1,
                "time_limit_minutes": 1, "pass_mark_percent": 50}),
            "bank_ids",
        ),
        (
            json!({"title": "E", "bank_ids": [b], "question_count": 1, "time_limit_minutes": 1,
                "pass_mark_percent": 0}),
            "pass_mark_percent",
        ),
        (
            json!({"title": "E", "bank_ids": [b], "question_count": 1, "time_limit_minutes": 0,
                "pass_mark_percent": 50}),
            "time_limit_minutes",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, EXAMS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    for path in [
        COURSES.to_owned(),
        EXAMS.to_owned(),
        format!("{BANKS}/{b}/questions"),
    ] {
        let list = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
        assert_eq!(list["items"], json!([]), "{path}");
    }
}

/// The words of an answer key; none of them may appear in an attempt before it is finished.
const KEY_WORDS: [&str; 6] = [
    "correct_options",
    "correct_bool",
    "correct_number",
    "tolerance",
    "explanation",
    "\"key\"",
];

#[tokio::test]
async fn exams_grade_every_kind_and_keep_the_key_secret_until_submitted() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student, st) = app.user_with_roles(&t, &["student"]).await;
    let (_, other) = app.user_with_roles(&t, &["student"]).await;
    let b = bank(&app, &t, "PPL").await;
    for q in [
        json!({"kind": "single_choice", "prompt": "Q-single", "options": ["a", "b", "c"],
               "correct_options": [1], "subject": "meteorology", "explanation": "because"}),
        json!({"kind": "multiple_choice", "prompt": "Q-multi", "options": ["a", "b", "c"],
               "correct_options": [0, 2], "subject": "meteorology", "points": 2}),
        json!({"kind": "true_false", "prompt": "Q-tf", "correct_bool": false,
               "subject": "air-law"}),
        json!({"kind": "numeric", "prompt": "Q-num", "correct_number": 10, "tolerance": 0.5,
               "subject": "navigation"}),
    ] {
        question(&app, &t, &b, q).await;
    }
    let x = exam(
        &app,
        &t,
        &[&b],
        json!({"question_count": 4, "pass_mark_percent": 75}),
    )
    .await;
    let attempt = start(&app, &st, &x).await;
    let aid = id(&attempt);
    assert_eq!(
        (attempt["status"].as_str(), attempt["number"].as_i64()),
        (Some("in_progress"), Some(1))
    );
    assert!(attempt["result"].is_null());
    let read = call(
        app.tenant_req(&st, Method::GET, &format!("{ATTEMPTS}/{aid}")),
        StatusCode::OK,
    )
    .await;
    for body in [&attempt, &read] {
        let text = body.to_string();
        for word in KEY_WORDS {
            assert!(!text.contains(word), "{word} in {text}");
        }
    }
    // Students never read the banks.
    problem(
        app.tenant_req(&st, Method::GET, &format!("{BANKS}/{b}/questions")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Another student: 404 on the attempt, on submitting it, 403 on a list filtered to it.
    problem(
        app.tenant_req(&other, Method::GET, &format!("{ATTEMPTS}/{aid}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&other, Method::POST, &format!("{ATTEMPTS}/{aid}/submit"))
            .json(&json!({"answers": []})),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(
            &other,
            Method::GET,
            &format!("{ATTEMPTS}?student_id={student}"),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let pos = |prompt: &str| {
        attempt["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .find(|q| q["prompt"] == prompt)
            .and_then(|q| q["position"].as_i64())
            .expect("position")
    };
    // An answer that does not fit its question: 422, nothing graded.
    for (answers, field) in [
        (
            json!([{"position": pos("Q-tf"), "number": 1}]),
            "answers[0].true_false",
        ),
        (
            json!([{"position": pos("Q-single"), "selected": [0, 1]}]),
            "answers[0].selected",
        ),
        (
            json!([{"position": pos("Q-multi"), "selected": [3]}]),
            "answers[0].selected",
        ),
        (
            json!([{"position": 9, "true_false": true}]),
            "answers[0].position",
        ),
    ] {
        let p = problem(
            app.tenant_req(&st, Method::POST, &format!("{ATTEMPTS}/{aid}/submit"))
                .json(&json!({"answers": answers})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field);
    }
    // Single right (1), multiple right (2), true/false wrong (0 of 1), numeric at the upper
    // bound of its tolerance (1): 4 of 5 = 80 % ≥ 75 %.
    let graded = submit(
        &app,
        &st,
        &aid,
        json!([
            {"position": pos("Q-single"), "selected": [1]},
            {"position": pos("Q-multi"), "selected": [2, 0]},
            {"position": pos("Q-tf"), "true_false": true},
            {"position": pos("Q-num"), "number": 10.5},
        ]),
    )
    .await;
    let r = &graded["result"];
    assert_eq!(graded["status"], "submitted");
    assert_eq!(
        (
            r["awarded_points"].as_i64(),
            r["max_points"].as_i64(),
            r["passed"].as_bool()
        ),
        (Some(4), Some(5), Some(true))
    );
    assert_eq!(r["score_percent"], 80.0);
    assert_eq!(
        r["subjects"],
        json!([
            {"subject": "air-law", "awarded_points": 0, "max_points": 1, "percent": 0.0},
            {"subject": "meteorology", "awarded_points": 3, "max_points": 3, "percent": 100.0},
            {"subject": "navigation", "awarded_points": 1, "max_points": 1, "percent": 100.0},
        ])
    );
    // The key shows now (the exam reveals answers).
    let single = r["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .find(|a| a["position"].as_i64() == Some(pos("Q-single")))
        .expect("single")
        .clone();
    assert_eq!(single["key"]["correct_options"], json!([1]));
    assert_eq!(single["key"]["explanation"], "because");
    problem(
        app.tenant_req(&st, Method::POST, &format!("{ATTEMPTS}/{aid}/submit"))
            .json(&json!({"answers": []})),
        StatusCode::CONFLICT,
        "attempt-finished",
    )
    .await;
    problem(
        app.tenant_req(&st, Method::POST, &format!("{EXAMS}/{x}/attempts")),
        StatusCode::CONFLICT,
        "already-passed",
    )
    .await;
    // An exam that keeps its key: the student sees the grade, not the key; authors see both.
    call(
        app.tenant_req(&t, Method::PATCH, &format!("{EXAMS}/{x}"))
            .json(&json!({"reveal_answers": false})),
        StatusCode::OK,
    )
    .await;
    let mine = call(
        app.tenant_req(&st, Method::GET, &format!("{ATTEMPTS}/{aid}")),
        StatusCode::OK,
    )
    .await;
    assert!(mine["result"]["answers"][0]["key"].is_null());
    assert_eq!(mine["result"]["awarded_points"], 4);
    let staff = call(
        app.tenant_req(&t, Method::GET, &format!("{ATTEMPTS}/{aid}")),
        StatusCode::OK,
    )
    .await;
    assert!(staff["result"]["answers"][0]["key"].is_object());
    assert_eq!(
        audit_actions(&app, &t, "theory_attempt").await,
        ["theory_attempt.submitted", "theory_attempt.started"]
    );
}

#[tokio::test]
async fn numeric_tolerance_boundaries_and_the_attempt_limit() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, st) = app.user_with_roles(&t, &["student"]).await;
    let b = bank(&app, &t, "Numbers").await;
    question(
        &app,
        &t,
        &b,
        json!({"kind": "numeric", "prompt": "Wind correction?", "correct_number": 10,
               "tolerance": 0.5, "subject": "navigation"}),
    )
    .await;
    let x = exam(
        &app,
        &t,
        &[&b],
        json!({"max_attempts": 2, "pass_mark_percent": 100}),
    )
    .await;
    for (n, value, right) in [(1, 10.51, false), (2, 9.5, true)] {
        let a = start(&app, &st, &x).await;
        assert_eq!(a["number"], n);
        let g = submit(
            &app,
            &st,
            &id(&a),
            json!([{"position": 1, "number": value}]),
        )
        .await;
        assert_eq!(g["result"]["answers"][0]["right"], right, "{value}");
        assert_eq!(g["result"]["passed"], right);
    }
    // Two attempts used (and passed): no third.
    let y = exam(
        &app,
        &t,
        &[&b],
        json!({"max_attempts": 2, "pass_mark_percent": 100}),
    )
    .await;
    for _ in 0..2 {
        let a = start(&app, &st, &y).await;
        submit(&app, &st, &id(&a), json!([{"position": 1, "number": 11}])).await;
    }
    problem(
        app.tenant_req(&st, Method::POST, &format!("{EXAMS}/{y}/attempts")),
        StatusCode::CONFLICT,
        "attempt-limit-reached",
    )
    .await;
    // A wait between attempts, and one attempt at a time.
    let z = exam(&app, &t, &[&b], json!({"retake_wait_minutes": 60})).await;
    let a = start(&app, &st, &z).await;
    problem(
        app.tenant_req(&st, Method::POST, &format!("{EXAMS}/{z}/attempts")),
        StatusCode::CONFLICT,
        "attempt-in-progress",
    )
    .await;
    submit(&app, &st, &id(&a), json!([])).await;
    let resp = app
        .tenant_req(&st, Method::POST, &format!("{EXAMS}/{z}/attempts"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let wait: u64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((3500..=3601).contains(&wait), "{wait}");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "retake-too-soon");
}

/// Moves an attempt's start and deadline `seconds` into the past.
async fn backdate(app: &TestApp, t: &TestTenant, attempt: &str, seconds: i64) {
    let tenant = app.tenant(t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::query(
        "update theory_attempts set started_at = started_at - make_interval(secs => $2),
             deadline_at = deadline_at - make_interval(secs => $2) where id = $1::uuid",
    )
    .bind(attempt)
    .bind(seconds as f64)
    .execute(&mut *tx)
    .await
    .expect("backdate");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn the_deadline_is_enforced_with_a_short_grace() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, st) = app.user_with_roles(&t, &["student"]).await;
    let b = bank(&app, &t, "Timed").await;
    question(
        &app,
        &t,
        &b,
        json!({"kind": "true_false", "prompt": "Sure?", "correct_bool": true, "subject": "x"}),
    )
    .await;
    let x = exam(&app, &t, &[&b], json!({"time_limit_minutes": 1})).await;
    // 1 minute and 10 seconds after the start: within the 30-second grace, graded.
    let a = start(&app, &st, &x).await;
    let deadline = a["deadline_at"].as_str().expect("deadline").to_owned();
    let started = a["started_at"].as_str().expect("start").to_owned();
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("time");
    assert_eq!((parse(&deadline) - parse(&started)).num_seconds(), 60);
    backdate(&app, &t, &id(&a), 70).await;
    let g = submit(
        &app,
        &st,
        &id(&a),
        json!([{"position": 1, "true_false": false}]),
    )
    .await;
    assert_eq!(g["status"], "submitted");
    // 2 minutes after the start: refused, closed as expired with no points.
    let late = start(&app, &st, &x).await;
    let path = format!("{ATTEMPTS}/{}", id(&late));
    backdate(&app, &t, &id(&late), 120).await;
    let shown = call(app.tenant_req(&st, Method::GET, &path), StatusCode::OK).await;
    assert_eq!(shown["status"], "expired");
    problem(
        app.tenant_req(&st, Method::POST, &format!("{path}/submit"))
            .json(&json!({"answers": [{"position": 1, "true_false": true}]})),
        StatusCode::CONFLICT,
        "attempt-expired",
    )
    .await;
    let closed = call(app.tenant_req(&st, Method::GET, &path), StatusCode::OK).await;
    assert_eq!(closed["status"], "expired");
    assert_eq!(closed["result"]["awarded_points"], 0);
    assert_eq!(closed["result"]["passed"], false);
    assert!(closed["result"]["answers"][0]["given"].is_null());
    // An attempt left to run out is closed when the next one starts.
    backdate(&app, &t, &id(&start(&app, &st, &x).await), 600).await;
    let next = start(&app, &st, &x).await;
    assert_eq!(next["number"], 4);
    let list = call(
        app.tenant_req(&st, Method::GET, &format!("{ATTEMPTS}?exam_id={x}")),
        StatusCode::OK,
    )
    .await;
    let statuses: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["status"].as_str())
        .collect();
    assert_eq!(statuses, ["in_progress", "expired", "expired", "submitted"]);
}

#[tokio::test]
async fn the_same_seed_draws_the_same_questions_in_the_same_order() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, st) = app.user_with_roles(&t, &["student"]).await;
    let b = bank(&app, &t, "Big").await;
    for i in 0..30 {
        question(
            &app,
            &t,
            &b,
            json!({"kind": "true_false", "prompt": format!("Q{i}"), "correct_bool": true,
                   "subject": if i % 2 == 0 { "even" } else { "odd" }}),
        )
        .await;
    }
    let x = exam(
        &app,
        &t,
        &[&b],
        json!({"question_count": 10, "subjects": ["even"]}),
    )
    .await;
    let prompts = |a: &Value| -> Vec<String> {
        a["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .filter_map(|q| q["prompt"].as_str().map(str::to_owned))
            .collect()
    };
    let mut draws = Vec::new();
    for seed in [42, 42, 43] {
        let a = post(
            &app,
            &t,
            &format!("{EXAMS}/{x}/attempts?seed={seed}"),
            json!({}),
        )
        .await;
        assert_eq!(a["seed"], seed);
        draws.push(prompts(&a));
        submit(&app, &t, &id(&a), json!([])).await;
    }
    assert_eq!(draws[0], draws[1]);
    assert_ne!(draws[0], draws[2]);
    assert_eq!(draws[0].len(), 10);
    // Only the even subject was drawn.
    assert!(
        draws
            .iter()
            .flatten()
            .all(|p| p[1..].parse::<u32>().is_ok_and(|n| n % 2 == 0))
    );
    // A student cannot choose the seed.
    problem(
        app.tenant_req(&st, Method::POST, &format!("{EXAMS}/{x}/attempts?seed=42")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Too few questions for the draw.
    let y = exam(&app, &t, &[&b], json!({"question_count": 31})).await;
    problem(
        app.tenant_req(&st, Method::POST, &format!("{EXAMS}/{y}/attempts")),
        StatusCode::CONFLICT,
        "exam-not-ready",
    )
    .await;
}

#[tokio::test]
async fn permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("flight_school").await;
    let (_, st) = app.user_with_roles(&t, &["student"]).await;
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let (c, lessons) = course(&app, &t, "ROUTES", 1).await;
    let cid = id(&c);
    let module = call(
        app.tenant_req(&t, Method::GET, &format!("{COURSES}/{cid}/modules")),
        StatusCode::OK,
    )
    .await["items"][0]["id"]
        .as_str()
        .expect("module")
        .to_owned();
    let lesson = &lessons[0];
    let material = id(&post(
        &app,
        &t,
        &format!("/api/v1/theory/lessons/{lesson}/materials"),
        json!({"title": "L", "url": "http://example.com/x"}),
    )
    .await);
    let b = bank(&app, &t, "Routes").await;
    let q = id(&question(
        &app,
        &t,
        &b,
        json!({"kind": "true_false", "prompt": "p", "correct_bool": true, "subject": "s"}),
    )
    .await);
    let x = exam(&app, &t, &[&b], json!({})).await;
    let enrollment = id(&post(&app, &st, &format!("{COURSES}/{cid}/enroll"), json!({})).await);
    let attempt = id(&start(&app, &st, &x).await);

    let course_body = json!({"code": "NEW", "title": "t", "category": "c",
                             "difficulty": "beginner", "duration_weeks": 1});
    let module_body = json!({"position": 2, "title": "t", "duration_hours": 1});
    let lesson_body = json!({"position": 2, "title": "t"});
    let material_body = json!({"title": "t", "url": "https://example.com"});
    let question_body = json!({"kind": "true_false", "prompt": "p", "correct_bool": true,
                               "subject": "s"});
    let exam_body = json!({"title": "E", "bank_ids": [b], "question_count": 1,
                           "time_limit_minutes": 1, "pass_mark_percent": 50});
    let t_ = "/api/v1/theory";
    // (method, path, body, a student may call it)
    let routes: Vec<(Method, String, Value, bool)> = vec![
        (Method::GET, COURSES.into(), json!({}), true),
        (Method::POST, COURSES.into(), course_body, false),
        (Method::GET, format!("{COURSES}/{cid}"), json!({}), true),
        (
            Method::PATCH,
            format!("{COURSES}/{cid}"),
            json!({"title": "x"}),
            false,
        ),
        (Method::DELETE, format!("{COURSES}/{cid}"), json!({}), false),
        (
            Method::GET,
            format!("{COURSES}/{cid}/modules"),
            json!({}),
            true,
        ),
        (
            Method::POST,
            format!("{COURSES}/{cid}/modules"),
            module_body,
            false,
        ),
        (
            Method::PATCH,
            format!("{t_}/modules/{module}"),
            json!({"title": "x"}),
            false,
        ),
        (
            Method::DELETE,
            format!("{t_}/modules/{module}"),
            json!({}),
            false,
        ),
        (
            Method::POST,
            format!("{t_}/modules/{module}/lessons"),
            lesson_body,
            false,
        ),
        (
            Method::GET,
            format!("{t_}/lessons/{lesson}"),
            json!({}),
            true,
        ),
        (
            Method::PATCH,
            format!("{t_}/lessons/{lesson}"),
            json!({"title": "x"}),
            false,
        ),
        (
            Method::DELETE,
            format!("{t_}/lessons/{lesson}"),
            json!({}),
            false,
        ),
        (
            Method::POST,
            format!("{t_}/lessons/{lesson}/materials"),
            material_body,
            false,
        ),
        (
            Method::DELETE,
            format!("{t_}/materials/{material}"),
            json!({}),
            false,
        ),
        (
            Method::POST,
            format!("{COURSES}/{cid}/enroll"),
            json!({}),
            true,
        ),
        (Method::GET, ENROLLMENTS.into(), json!({}), true),
        (
            Method::GET,
            format!("{ENROLLMENTS}/{enrollment}"),
            json!({}),
            true,
        ),
        (
            Method::POST,
            format!("{ENROLLMENTS}/{enrollment}/lessons/{lesson}/complete"),
            json!({}),
            true,
        ),
        (Method::GET, BANKS.into(), json!({}), false),
        (Method::POST, BANKS.into(), json!({"name": "n"}), false),
        (Method::GET, format!("{BANKS}/{b}"), json!({}), false),
        (Method::DELETE, format!("{BANKS}/{b}"), json!({}), false),
        (
            Method::GET,
            format!("{BANKS}/{b}/questions"),
            json!({}),
            false,
        ),
        (
            Method::POST,
            format!("{BANKS}/{b}/questions"),
            question_body,
            false,
        ),
        (Method::GET, format!("{t_}/questions/{q}"), json!({}), false),
        (
            Method::PATCH,
            format!("{t_}/questions/{q}"),
            json!({"prompt": "x"}),
            false,
        ),
        (
            Method::DELETE,
            format!("{t_}/questions/{q}"),
            json!({}),
            false,
        ),
        (Method::GET, EXAMS.into(), json!({}), true),
        (Method::POST, EXAMS.into(), exam_body, false),
        (Method::GET, format!("{EXAMS}/{x}"), json!({}), true),
        (
            Method::PATCH,
            format!("{EXAMS}/{x}"),
            json!({"title": "x"}),
            false,
        ),
        (
            Method::POST,
            format!("{EXAMS}/{x}/attempts"),
            json!({}),
            true,
        ),
        (Method::GET, ATTEMPTS.into(), json!({}), true),
        (
            Method::GET,
            format!("{ATTEMPTS}/{attempt}"),
            json!({}),
            true,
        ),
        (
            Method::POST,
            format!("{ATTEMPTS}/{attempt}/submit"),
            json!({"answers": []}),
            true,
        ),
    ];
    for (method, path, body, students) in &routes {
        // A mechanic holds neither permission; a student only theory.read.
        problem(
            app.tenant_req(&mechanic, method.clone(), path).json(body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        if !students {
            problem(
                app.tenant_req(&st, method.clone(), path).json(body),
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
        }
        // Another tenant's admin: every id of this tenant is unknown there.
        if path.matches('/').count() > 4 {
            problem(
                app.tenant_req(&other, method.clone(), path).json(body),
                StatusCode::NOT_FOUND,
                "not-found",
            )
            .await;
        }
    }
    // The module switched off: 404 feature-disabled, and back; off by default for a charter
    // operator.
    for enabled in [false, true] {
        call(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/theory")
                .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        let resp = app
            .tenant_req(&t, Method::GET, COURSES)
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
    let charter = app.signup("charter_operator").await;
    problem(
        app.tenant_req(&charter, Method::GET, EXAMS),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
}
