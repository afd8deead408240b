//! Skills and achievements: the catalogue, assessments with evidence, required skills at
//! enrolment (warn and refuse), achievements by rules (inline and by the job) with their audit
//! trail, completion certificates with a public verification link; permissions, other tenants.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};
use crate::training::{grade, item_ids, published};

const SKILLS: &str = "/api/v1/training/skills";
const USER_SKILLS: &str = "/api/v1/training/user-skills";
const REQUIREMENTS: &str = "/api/v1/training/skill-requirements";
const RULES: &str = "/api/v1/training/achievement-rules";
const ACHIEVEMENTS: &str = "/api/v1/training/achievements";
const CERTIFICATES: &str = "/api/v1/training/certificates";
const ENROLLMENTS: &str = "/api/v1/training/enrollments";
const COURSES: &str = "/api/v1/theory/courses";

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

async fn radio(app: &TestApp, t: &TestTenant) -> String {
    id(&post(
        app,
        t,
        SKILLS,
        json!({"name": "Radio telephony", "category": "communication",
               "level_criteria": ["Reads back clearances", "Handles a busy frequency",
                                  "Teaches it"]}),
    )
    .await)
}

async fn assess(app: &TestApp, t: &TestTenant, user: &str, skill: &str, level: i64) -> Value {
    post(
        app,
        t,
        USER_SKILLS,
        json!({"user_id": user, "skill_id": skill, "level": level,
               "evidence": "observation", "note": "Observed on a cross-country"}),
    )
    .await
}

/// A published ground-school course of one lesson; returns (course id, lesson id).
async fn course(app: &TestApp, t: &TestTenant, code: &str) -> (String, String) {
    let c = post(
        app,
        t,
        COURSES,
        json!({"code": code, "title": format!("Ground school {code}"), "category": "ppl",
               "difficulty": "beginner", "duration_weeks": 4, "status": "published"}),
    )
    .await;
    let m = post(
        app,
        t,
        &format!("{COURSES}/{}/modules", id(&c)),
        json!({"position": 1, "title": "Basics", "duration_hours": 2}),
    )
    .await;
    let l = post(
        app,
        t,
        &format!("/api/v1/theory/modules/{}/lessons", id(&m)),
        json!({"position": 1, "title": "Air law", "content": "text"}),
    )
    .await;
    (id(&c), id(&l))
}

/// `student` enrols in and completes the one-lesson course; returns the enrollment.
async fn complete_course(app: &TestApp, student: &TestTenant, course: &str, lesson: &str) -> Value {
    let e = call(
        app.tenant_req(student, Method::POST, &format!("{COURSES}/{course}/enroll"))
            .json(&json!({})),
        StatusCode::CREATED,
    )
    .await;
    call(
        app.tenant_req(
            student,
            Method::POST,
            &format!(
                "/api/v1/theory/enrollments/{}/lessons/{lesson}/complete",
                id(&e)
            ),
        ),
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn the_catalogue_assessments_and_who_sees_them() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let (other_id, other) = app.user_with_roles(&t, &["student"]).await;
    let skill = radio(&app, &t).await;
    // Names are unique whatever their case; bad input is 422 and stores nothing.
    problem(
        app.tenant_req(&t, Method::POST, SKILLS).json(&json!({
            "name": "RADIO TELEPHONY", "category": "x", "level_criteria": ["a"]})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    for body in [
        json!({"name": "A", "category": "x", "level_criteria": []}),
        json!({"name": " ", "category": "x", "level_criteria": ["a"]}),
        json!({"name": "B", "category": "x", "level_criteria": ["a", " "]}),
        json!({"name": "C", "category": "x", "level_criteria": vec!["a"; 11]}),
    ] {
        problem(
            app.tenant_req(&t, Method::POST, SKILLS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
    let list = call(
        app.tenant_req(&student, Method::GET, SKILLS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_eq!(list["items"][0]["max_level"], 3);

    // Assessments: evidence is checked, the level is at most the skill's highest.
    for (body, field) in [
        (
            json!({"user_id": student_id, "skill_id": skill, "level": 4, "evidence": "observation", "note": "x"}),
            "level",
        ),
        (
            json!({"user_id": student_id, "skill_id": skill, "level": 1, "evidence": "observation"}),
            "note",
        ),
        (
            json!({"user_id": student_id, "skill_id": skill, "level": 1, "evidence": "lesson_record"}),
            "lesson_record_id",
        ),
        (
            json!({"user_id": student_id, "skill_id": skill, "level": 1, "evidence": "lesson_record",
                   "lesson_record_id": skill}),
            "lesson_record_id",
        ),
        (
            json!({"user_id": student_id, "skill_id": skill, "level": 1, "evidence": "exam_attempt",
                   "attempt_id": skill}),
            "attempt_id",
        ),
        (
            json!({"user_id": t.id, "skill_id": skill, "level": 1, "evidence": "observation", "note": "x"}),
            "user_id",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, USER_SKILLS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    assess(&app, &t, &student_id, &skill, 3).await;
    let latest = assess(&app, &t, &student_id, &skill, 2).await;
    assert_eq!(latest["evidence"], "observation");
    // The latest assessment is the level; every one is kept.
    let mine = call(
        app.tenant_req(&student, Method::GET, USER_SKILLS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"][0]["level"], 2);
    assert_eq!(mine["items"][0]["assessment_id"], latest["id"]);
    let history = call(
        app.tenant_req(&t, Method::GET, &format!("{SKILLS}/{skill}/assessments")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(history["items"].as_array().expect("items").len(), 2);
    // A student sees only their own.
    for path in [
        format!("{USER_SKILLS}?user_id={student_id}"),
        format!("{SKILLS}/{skill}/assessments?user_id={student_id}"),
    ] {
        problem(
            app.tenant_req(&other, Method::GET, &path),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let theirs = call(
        app.tenant_req(
            &other,
            Method::GET,
            &format!("{SKILLS}/{skill}/assessments"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"], json!([]));
    let none = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{USER_SKILLS}?user_id={other_id}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["items"], json!([]));

    // Fewer levels than someone holds; deleting a skill in use.
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("{SKILLS}/{skill}"))
            .json(&json!({"level_criteria": ["only"]})),
        StatusCode::CONFLICT,
        "level-in-use",
    )
    .await;
    let renamed = call(
        app.tenant_req(&t, Method::PATCH, &format!("{SKILLS}/{skill}"))
            .json(&json!({"name": "R/T", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["version"], 2);
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("{SKILLS}/{skill}")),
        StatusCode::CONFLICT,
        "skill-in-use",
    )
    .await;
    let unused = id(&post(
        &app,
        &t,
        SKILLS,
        json!({"name": "Knots", "category": "ground", "level_criteria": ["Ties a bowline"]}),
    )
    .await);
    call(
        app.tenant_req(&t, Method::DELETE, &format!("{SKILLS}/{unused}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    let actions = audit_actions(&app, &t, "skill").await;
    for a in ["skill.created", "skill.updated", "skill.deleted"] {
        assert!(actions.contains(&a.to_owned()), "{actions:?}");
    }
    assert!(
        audit_actions(&app, &t, "skill_assessment")
            .await
            .contains(&"skill.assessed".to_owned())
    );
}

#[tokio::test]
async fn required_skills_warn_or_refuse_at_enrolment() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let skill = radio(&app, &t).await;
    let sid = published(&app, &t, "PPL-S", "five_point").await;
    let (course, _) = course(&app, &t, "RT-1").await;
    // Exactly one target; a lesson only of a syllabus; the level within the skill's.
    for (body, field) in [
        (json!({"skill_id": skill, "min_level": 1}), "syllabus_id"),
        (
            json!({"skill_id": skill, "min_level": 1, "syllabus_id": sid, "course_id": course}),
            "syllabus_id",
        ),
        (
            json!({"skill_id": skill, "min_level": 1, "course_id": course, "lesson_code": "F1"}),
            "lesson_code",
        ),
        (
            json!({"skill_id": skill, "min_level": 1, "syllabus_id": sid, "lesson_code": "ZZ9"}),
            "lesson_code",
        ),
        (
            json!({"skill_id": skill, "min_level": 4, "syllabus_id": sid}),
            "min_level",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, REQUIREMENTS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    post(
        &app,
        &t,
        REQUIREMENTS,
        json!({"skill_id": skill, "min_level": 1, "syllabus_id": sid}),
    )
    .await;
    post(
        &app,
        &t,
        REQUIREMENTS,
        json!({"skill_id": skill, "min_level": 2, "syllabus_id": sid, "lesson_code": "G1"}),
    )
    .await;
    let on_course = post(
        &app,
        &t,
        REQUIREMENTS,
        json!({"skill_id": skill, "min_level": 1, "course_id": course}),
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, REQUIREMENTS)
            .json(&json!({"skill_id": skill, "min_level": 3, "course_id": course})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let listed = call(
        app.tenant_req(
            &student,
            Method::GET,
            &format!("{REQUIREMENTS}?syllabus_id={sid}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);

    // Refuse: 409 naming the skill, and nothing is created.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/training.required_skills")
            .json(&json!({"value": "refuse"})),
        StatusCode::OK,
    )
    .await;
    let p = problem(
        app.tenant_req(&t, Method::POST, ENROLLMENTS)
            .json(&json!({"student_id": student_id, "syllabus_id": sid})),
        StatusCode::CONFLICT,
        "skills-missing",
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("Radio telephony")
    );
    problem(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("{COURSES}/{course}/enroll"),
        )
        .json(&json!({})),
        StatusCode::CONFLICT,
        "skills-missing",
    )
    .await;
    let none = call(app.tenant_req(&t, Method::GET, ENROLLMENTS), StatusCode::OK).await;
    assert_eq!(none["items"], json!([]));
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/training.required_skills")
            .json(&json!({"value": "sometimes"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Level 1 meets the syllabus's requirement; its first lesson G1 asks for 2: the
    // enrollment shows the shortfall.
    assess(&app, &t, &student_id, &skill, 1).await;
    let e = call(
        app.tenant_req(&t, Method::POST, ENROLLMENTS)
            .json(&json!({"student_id": student_id, "syllabus_id": sid})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        e["skill_shortfalls"],
        json!([{"skill_id": skill, "skill_name": "Radio telephony", "min_level": 2,
                "level": 1, "lesson_code": "G1"}])
    );
    // Warn: the course enrolment goes ahead and says what is missing.
    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            "/api/v1/settings/training.required_skills",
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("{REQUIREMENTS}/{}", id(&on_course)),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    post(
        &app,
        &t,
        REQUIREMENTS,
        json!({"skill_id": skill, "min_level": 3, "course_id": course}),
    )
    .await;
    let ce = call(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("{COURSES}/{course}/enroll"),
        )
        .json(&json!({})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(ce["skill_shortfalls"][0]["min_level"], 3);
    assert_eq!(ce["skill_shortfalls"][0]["level"], 1);
    let actions = audit_actions(&app, &t, "skill_requirement").await;
    assert!(
        actions.contains(&"skill_requirement.deleted".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn achievements_are_awarded_by_rules_audited_and_revoked() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let (_, other) = app.user_with_roles(&t, &["student"]).await;
    let (cfi_id, cfi) = app.user_with_roles(&t, &["instructor"]).await;
    let rules = call(app.tenant_req(&student, Method::GET, RULES), StatusCode::OK).await;
    let codes: Vec<&str> = rules["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        [
            "checkride-passed",
            "course-completed",
            "first-solo",
            "hours-100"
        ]
    );

    // The end-of-course check (SC1, the stage check of the last stage) earns the checkride.
    let sid = published(&app, &t, "PPL-A", "five_point").await;
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            &format!("/api/v1/training/syllabi/{sid}/stage-check-instructors"),
        )
        .json(&json!({"user_ids": [cfi_id]})),
        StatusCode::OK,
    )
    .await;
    let e = post(
        &app,
        &t,
        ENROLLMENTS,
        json!({"student_id": student_id, "syllabus_id": sid, "instructor_ids": [cfi_id]}),
    )
    .await;
    let eid = id(&e);
    let g1 = item_ids(&app, &t, &sid, 1, "G1").await;
    let f1 = item_ids(&app, &t, &sid, 1, "F1").await;
    grade(
        &app,
        &cfi,
        &eid,
        json!({"lesson_code": "G1", "result": "completed",
        "grades": [{"item_id": g1[0], "grade": "4"}]}),
    )
    .await;
    grade(
        &app,
        &cfi,
        &eid,
        json!({"lesson_code": "F1", "result": "completed",
        "grades": [{"item_id": f1[0], "grade": "4"}, {"item_id": f1[1], "grade": "4"}]}),
    )
    .await;
    let mine = call(
        app.tenant_req(&student, Method::GET, ACHIEVEMENTS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"], json!([]));
    let sc = grade(
        &app,
        &cfi,
        &eid,
        json!({"lesson_code": "SC1", "result": "completed"}),
    )
    .await;
    let mine = call(
        app.tenant_req(&student, Method::GET, ACHIEVEMENTS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"][0]["rule_code"], "checkride-passed");
    assert_eq!(mine["items"][0]["evidence"]["kind"], "lesson_record");
    assert_eq!(mine["items"][0]["evidence"]["id"], sc["id"]);
    let checkride = id(&mine["items"][0]);

    // The logbook earns first solo and hours through the job; a new rule awards at once
    // what was earned already.
    call(
        app.tenant_req(&student, Method::POST, "/api/v1/flights/logbook/entries")
            .json(&json!({
            "date": chrono::Utc::now().date_naive(), "registration": "N172SP", "type_code": "C172",
            "category": "airplane", "class": "single_engine_land",
            "minutes": {"total": 72, "solo": 42, "pic": 42, "dual_received": 30}})),
        StatusCode::CREATED,
    )
    .await;
    let job = &flightline::domains::training::ACHIEVEMENTS;
    flightline::jobs::run_for_every_tenant(app.state.db(), job)
        .await
        .expect("achievements job");
    flightline::jobs::run_for_every_tenant(app.state.db(), job)
        .await
        .expect("a second pass awards nothing twice");
    let one_hour = post(
        &app,
        &t,
        RULES,
        json!({"code": "hours-1", "name": "One hour", "kind": "hours_total", "hours": 1}),
    )
    .await;
    assert_eq!(one_hour["active"], true);
    let mine = call(
        app.tenant_req(&student, Method::GET, ACHIEVEMENTS),
        StatusCode::OK,
    )
    .await;
    let mut got: Vec<&str> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["rule_code"].as_str().expect("code"))
        .collect();
    got.sort_unstable();
    assert_eq!(got, ["checkride-passed", "first-solo", "hours-1"]);
    let awarded = audit_actions(&app, &t, "achievement").await;
    assert_eq!(
        awarded
            .iter()
            .filter(|a| *a == "achievement.awarded")
            .count(),
        3,
        "{awarded:?}"
    );
    // Rules are checked: hours only with hours_total, scopes only where they apply.
    for (body, field) in [
        (
            json!({"code": "h", "name": "H", "kind": "hours_total"}),
            "hours",
        ),
        (
            json!({"code": "s", "name": "S", "kind": "first_solo", "hours": 5}),
            "hours",
        ),
        (
            json!({"code": "x", "name": "X", "kind": "first_solo", "syllabus_id": sid}),
            "syllabus_id",
        ),
        (
            json!({"code": "y", "name": "Y", "kind": "exam_passed", "exam_id": sid}),
            "exam_id",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, RULES).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    problem(
        app.tenant_req(&t, Method::POST, RULES)
            .json(&json!({"code": "hours-1", "name": "Again", "kind": "hours_total", "hours": 2})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let paused = call(
        app.tenant_req(&t, Method::PATCH, &format!("{RULES}/{}", id(&one_hour)))
            .json(&json!({"active": false, "hours": 2, "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(paused["hours"], 2);

    // Completing a course earns "course completed".
    let (course, lesson) = course(&app, &t, "GS-1").await;
    complete_course(&app, &student, &course, &lesson).await;
    let mine = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{ACHIEVEMENTS}?user_id={student_id}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"][0]["rule_code"], "course-completed");
    assert_eq!(mine["items"][0]["evidence"]["kind"], "theory_enrollment");

    // Who sees and revokes.
    problem(
        app.tenant_req(
            &other,
            Method::GET,
            &format!("{ACHIEVEMENTS}?user_id={student_id}"),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("{ACHIEVEMENTS}/{checkride}/revoke"),
        )
        .json(&json!({"reason": "mine"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let revoked = call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{ACHIEVEMENTS}/{checkride}/revoke"),
        )
        .json(&json!({"reason": "Graded on the wrong enrollment"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(revoked["revoke_reason"], "Graded on the wrong enrollment");
    problem(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{ACHIEVEMENTS}/{checkride}/revoke"),
        )
        .json(&json!({"reason": "again"})),
        StatusCode::CONFLICT,
        "already-revoked",
    )
    .await;
    // Revoked stays revoked: the job does not award it again.
    flightline::jobs::run_for_every_tenant(app.state.db(), job)
        .await
        .expect("achievements job");
    let all = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{ACHIEVEMENTS}?user_id={student_id}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["items"].as_array().expect("items").len(), 4);
    assert!(
        audit_actions(&app, &t, "achievement")
            .await
            .contains(&"achievement.revoked".to_owned())
    );
}

#[tokio::test]
async fn completion_certificates_are_issued_verified_and_revoked() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let (_, other) = app.user_with_roles(&t, &["student"]).await;
    let (course, lesson) = course(&app, &t, "GS-2").await;
    // Not completed yet: 409.
    let open = call(
        app.tenant_req(
            &student,
            Method::POST,
            &format!("{COURSES}/{course}/enroll"),
        )
        .json(&json!({})),
        StatusCode::CREATED,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, CERTIFICATES)
            .json(&json!({"theory_enrollment_id": id(&open)})),
        StatusCode::CONFLICT,
        "not-completed",
    )
    .await;
    let done = call(
        app.tenant_req(
            &student,
            Method::POST,
            &format!(
                "/api/v1/theory/enrollments/{}/lessons/{lesson}/complete",
                id(&open)
            ),
        ),
        StatusCode::OK,
    )
    .await;
    for body in [
        json!({}),
        json!({"theory_enrollment_id": id(&done), "training_enrollment_id": id(&done)}),
        json!({"training_enrollment_id": id(&done)}),
    ] {
        problem(
            app.tenant_req(&t, Method::POST, CERTIFICATES).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
    problem(
        app.tenant_req(&student, Method::POST, CERTIFICATES)
            .json(&json!({"theory_enrollment_id": id(&done)})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let cert = post(
        &app,
        &t,
        CERTIFICATES,
        json!({"theory_enrollment_id": id(&done)}),
    )
    .await;
    assert_eq!(cert["user_id"], student_id.as_str());
    assert_eq!(cert["title"], "Ground school GS-2");
    assert_eq!(cert["holder_name"], "Someone");
    problem(
        app.tenant_req(&t, Method::POST, CERTIFICATES)
            .json(&json!({"theory_enrollment_id": id(&done)})),
        StatusCode::CONFLICT,
        "certificate-exists",
    )
    .await;
    let cid = id(&cert);
    // The holder sees and downloads it; another student does not.
    let pdf = app
        .tenant_req(&student, Method::GET, &format!("{CERTIFICATES}/{cid}/pdf"))
        .send()
        .await
        .expect("send");
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.expect("pdf").starts_with(b"%PDF"));
    for path in [
        format!("{CERTIFICATES}/{cid}"),
        format!("{CERTIFICATES}/{cid}/pdf"),
    ] {
        problem(
            app.tenant_req(&other, Method::GET, &path),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let theirs = call(
        app.tenant_req(&other, Method::GET, CERTIFICATES),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"], json!([]));

    // Anyone with the URL verifies it, without an account.
    let url = cert["verification_url"].as_str().expect("url");
    let path = url[url
        .find("/api/v1/public/links/fll_cert_")
        .expect("cert link")..]
        .to_owned();
    let page = app.req(Method::GET, &path).send().await.expect("send");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("genuine and in force"), "{html}");
    assert!(html.contains("Ground school GS-2"), "{html}");
    let public_pdf = app
        .req(Method::GET, &format!("{path}/pdf"))
        .send()
        .await
        .expect("send");
    assert_eq!(public_pdf.status(), StatusCode::OK);
    assert!(public_pdf.bytes().await.expect("pdf").starts_with(b"%PDF"));
    let forged = format!("{}X", &path[..path.len() - 1]);
    let resp = app.req(Method::GET, &forged).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Revoked: the page says so; another can be issued.
    let revoked = call(
        app.tenant_req(&t, Method::POST, &format!("{CERTIFICATES}/{cid}/revoke"))
            .json(&json!({"reason": "Issued in error"})),
        StatusCode::OK,
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    let html = app
        .req(Method::GET, &path)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(html.contains("was revoked"), "{html}");
    assert!(html.contains("Issued in error"), "{html}");
    post(
        &app,
        &t,
        CERTIFICATES,
        json!({"theory_enrollment_id": id(&done)}),
    )
    .await;
    let actions = audit_actions(&app, &t, "certificate").await;
    for a in ["certificate.issued", "certificate.revoked"] {
        assert!(actions.contains(&a.to_owned()), "{actions:?}");
    }
}

#[tokio::test]
async fn permissions_and_other_tenants() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other_tenant = app.signup("flight_school").await;
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let skill = radio(&app, &t).await;
    let (course, lesson) = course(&app, &t, "GS-3").await;
    let done = complete_course(&app, &student, &course, &lesson).await;
    let cert = post(
        &app,
        &t,
        CERTIFICATES,
        json!({"theory_enrollment_id": id(&done)}),
    )
    .await;
    let req = post(
        &app,
        &t,
        REQUIREMENTS,
        json!({"skill_id": skill, "min_level": 1, "course_id": course}),
    )
    .await;
    let mine = call(
        app.tenant_req(&student, Method::GET, ACHIEVEMENTS),
        StatusCode::OK,
    )
    .await;
    let award = id(&mine["items"][0]);
    let rule = id(&call(app.tenant_req(&t, Method::GET, RULES), StatusCode::OK).await["items"][0]);
    let cid = id(&cert);
    let reads = [
        SKILLS.to_owned(),
        format!("{SKILLS}/{skill}"),
        format!("{SKILLS}/{skill}/assessments"),
        USER_SKILLS.to_owned(),
        REQUIREMENTS.to_owned(),
        RULES.to_owned(),
        ACHIEVEMENTS.to_owned(),
        CERTIFICATES.to_owned(),
        format!("{CERTIFICATES}/{cid}"),
        format!("{CERTIFICATES}/{cid}/pdf"),
    ];
    // Without training.read: 403 everywhere.
    for path in &reads {
        problem(
            app.tenant_req(&mechanic, Method::GET, path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Writes need training.manage: a student gets 403 (bodies valid, so the check is reached).
    let writes = [
        (
            Method::POST,
            SKILLS.to_owned(),
            json!({"name": "N", "category": "c", "level_criteria": ["a"]}),
        ),
        (
            Method::PATCH,
            format!("{SKILLS}/{skill}"),
            json!({"name": "N"}),
        ),
        (Method::DELETE, format!("{SKILLS}/{skill}"), json!(null)),
        (
            Method::POST,
            USER_SKILLS.to_owned(),
            json!({"user_id": t.id, "skill_id": skill, "level": 1,
            "evidence": "observation", "note": "x"}),
        ),
        (
            Method::POST,
            REQUIREMENTS.to_owned(),
            json!({"skill_id": skill, "min_level": 1, "course_id": course}),
        ),
        (
            Method::DELETE,
            format!("{REQUIREMENTS}/{}", id(&req)),
            json!(null),
        ),
        (
            Method::POST,
            RULES.to_owned(),
            json!({"code": "z", "name": "Z", "kind": "first_solo"}),
        ),
        (
            Method::PATCH,
            format!("{RULES}/{rule}"),
            json!({"active": false}),
        ),
        (
            Method::POST,
            format!("{ACHIEVEMENTS}/{award}/revoke"),
            json!({"reason": "r"}),
        ),
        (
            Method::POST,
            CERTIFICATES.to_owned(),
            json!({"theory_enrollment_id": id(&done)}),
        ),
        (
            Method::POST,
            format!("{CERTIFICATES}/{cid}/revoke"),
            json!({"reason": "r"}),
        ),
    ];
    for (method, path, body) in &writes {
        let mut rb = app.tenant_req(&student, method.clone(), path);
        if !body.is_null() {
            rb = rb.json(body);
        }
        problem(rb, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Another organisation's admin: every id is unknown.
    for path in [
        format!("{SKILLS}/{skill}"),
        format!("{SKILLS}/{skill}/assessments"),
        format!("{CERTIFICATES}/{cid}"),
        format!("{CERTIFICATES}/{cid}/pdf"),
    ] {
        problem(
            app.tenant_req(&other_tenant, Method::GET, &path),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    for (method, path, body) in &writes[1..] {
        // Creating a rule or a skill is the other organisation's own business.
        if path == RULES || path == SKILLS {
            continue;
        }
        let mut rb = app.tenant_req(&other_tenant, method.clone(), path);
        if !body.is_null() {
            rb = rb.json(body);
        }
        let resp = rb.send().await.expect("send");
        assert!(
            matches!(
                resp.status(),
                StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{method} {path}: {}",
            resp.status()
        );
    }
    // With the training module off, the whole domain is gone.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/training")
            .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    let resp = app
        .tenant_req(&t, Method::GET, SKILLS)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let url = cert["verification_url"].as_str().expect("url");
    let path = &url[url.find("/api/v1/public/links/").expect("link")..];
    let resp = app.req(Method::GET, path).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
