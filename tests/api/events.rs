//! `/api/v1/tools/events` and the iCal feeds: CRUD, time zones, attendees, permissions,
//! isolation, and feeds parsed by a real iCalendar parser.

use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventLike};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

async fn create(app: &TestApp, t: &TestTenant, body: Value) -> Value {
    call(
        app.tenant_req(t, Method::POST, "/api/v1/tools/events")
            .json(&body),
        StatusCode::CREATED,
    )
    .await
}

/// An RFC 3339 instant of a response, normalised to `...Z`.
fn instant(v: &Value) -> String {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn events_crud_time_zones_attendees_and_audit() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (instructor_id, _) = app.user_with_roles(&t, &["instructor"]).await;

    let briefing = create(
        &app,
        &t,
        json!({"title": "Winter ops briefing", "location": "Room 2",
               "starts_at": "2026-12-12T08:00:00Z", "ends_at": "2026-12-12T10:00:00Z",
               "attendee_ids": [instructor_id, instructor_id]}),
    )
    .await;
    let bid = briefing["id"].as_str().expect("id").to_owned();
    assert_eq!(briefing["all_day"], false);
    assert_eq!(briefing["attendee_ids"], json!([instructor_id]));
    assert_eq!(briefing["version"], 1);

    // All-day events are whole days in the tenant's time zone, across the DST change.
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/settings")
            .json(&json!({"key": "timezone", "value": "Europe/Zurich"})),
        StatusCode::CREATED,
    )
    .await;
    let fly_in = create(
        &app,
        &t,
        json!({"title": "Fly-in", "all_day": true, "start_date": "2026-03-28", "end_date": "2026-03-29"}),
    )
    .await;
    assert_eq!(instant(&fly_in["starts_at"]), "2026-03-27T23:00:00Z");
    assert_eq!(
        instant(&fly_in["ends_at"]),
        "2026-03-29T22:00:00Z",
        "the 29th ends at CEST midnight"
    );
    let one_day = create(
        &app,
        &t,
        json!({"title": "Leap day", "all_day": true, "start_date": "2028-02-29"}),
    )
    .await;
    assert_eq!(one_day["end_date"], "2028-02-29");

    // A time zone PostgreSQL does not know is refused.
    problem(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/timezone")
            .json(&json!({"value": "Mars/Olympus"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Validation: one entry per field, nothing written.
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/events")
            .json(&json!({"title": "x", "starts_at": "2026-01-01T10:00:00Z", "ends_at": "2026-01-01T09:00:00Z", "start_date": "2026-01-01"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let mut fields: Vec<&str> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort();
    assert_eq!(fields, ["ends_at", "start_date"]);
    for body in [
        json!({"title": "x", "all_day": true}),
        json!({"title": "", "starts_at": "2026-01-01T10:00:00Z", "ends_at": "2026-01-01T11:00:00Z"}),
        json!({"title": "x", "starts_at": "2026-01-01T10:00:00Z", "ends_at": "2026-01-01T11:00:00Z", "attendee_ids": [uuid::Uuid::new_v4()]}),
        json!({"title": "x", "all_day": true, "start_date": "2026-02-30"}),
    ] {
        problem(
            app.tenant_req(&t, Method::POST, "/api/v1/tools/events")
                .json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }

    // Range and attendee filters; ordered by start.
    let march = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/tools/events?from=2026-03-29T00:00:00Z&to=2026-03-30T00:00:00Z",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&march), [fly_in["id"].as_str().unwrap_or_default()]);
    let theirs = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/tools/events?attendee_id={instructor_id}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&theirs), [bid.as_str()]);
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tools/events?limit=1&cursor={c}"),
            None => "/api/v1/tools/events?limit=1".into(),
        };
        let page = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
        walked.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        walked,
        [
            fly_in["id"].as_str().unwrap_or_default(),
            bid.as_str(),
            one_day["id"].as_str().unwrap_or_default()
        ]
    );
    problem(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/tools/events?from=2026-03-29T00:00:00Z&to=2026-03-28T00:00:00Z",
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Updates: optimistic concurrency, attendees replaced, switching to all-day.
    let moved = call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/events/{bid}"))
            .json(&json!({"ends_at": "2026-12-12T11:00:00Z", "attendee_ids": [], "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            instant(&moved["ends_at"]),
            moved["attendee_ids"].clone(),
            moved["version"].clone()
        ),
        ("2026-12-12T11:00:00Z".to_owned(), json!([]), json!(2))
    );
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/events/{bid}"))
            .json(&json!({"title": "stale", "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/events/{bid}"))
            .json(&json!({"all_day": true})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let whole_day = call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/tools/events/{bid}"))
            .json(&json!({"all_day": true, "start_date": "2026-12-12"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            instant(&whole_day["starts_at"]),
            instant(&whole_day["ends_at"])
        ),
        (
            "2026-12-11T23:00:00Z".to_owned(),
            "2026-12-12T23:00:00Z".to_owned()
        )
    );

    call(
        app.tenant_req(&t, Method::DELETE, &format!("/api/v1/tools/events/{bid}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/tools/events/{bid}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let actions = audit_actions(&app, &t, "event").await;
    assert_eq!(
        actions,
        [
            "event.deleted",
            "event.updated",
            "event.updated",
            "event.created",
            "event.created",
            "event.created"
        ]
    );
}

#[tokio::test]
async fn events_permissions_and_other_tenants() {
    let app = TestApp::spawn().await;
    let a = app.signup("flight_school").await;
    let b = app.signup("flight_school").await;
    let e = create(
        &app,
        &a,
        json!({"title": "Safety day", "all_day": true, "start_date": "2026-06-01"}),
    )
    .await;
    let id = e["id"].as_str().expect("id");

    // Students read the calendar but may not change it; mechanics do not see it.
    let (_, student) = app.user_with_roles(&a, &["student"]).await;
    call(
        app.tenant_req(&student, Method::GET, &format!("/api/v1/tools/events/{id}")),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(&student, Method::POST, "/api/v1/tools/events")
            .json(&json!({"title": "x", "all_day": true, "start_date": "2026-06-02"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    for method in [Method::PATCH, Method::DELETE] {
        problem(
            app.tenant_req(&student, method, &format!("/api/v1/tools/events/{id}"))
                .json(&json!({"title": "y"})),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let (_, mechanic) = app.user_with_roles(&a, &["mechanic"]).await;
    for (method, path) in [
        (Method::GET, "/api/v1/tools/events".to_owned()),
        (Method::GET, format!("/api/v1/tools/events/{id}")),
        (Method::POST, "/api/v1/tools/events/feed".to_owned()),
    ] {
        problem(
            app.tenant_req(&mechanic, method, &path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }

    // Another tenant: 404 for the id on every route, an empty list.
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        problem(
            app.tenant_req(&b, method, &format!("/api/v1/tools/events/{id}"))
                .json(&json!({"title": "mine"})),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let listed = call(
        app.tenant_req(&b, Method::GET, "/api/v1/tools/events"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"], json!([]));
    call(
        app.tenant_req(&a, Method::GET, &format!("/api/v1/tools/events/{id}")),
        StatusCode::OK,
    )
    .await;
}

/// Fetches a feed URL as a calendar application would: no headers, no token.
async fn fetch_feed(app: &TestApp, url: &str) -> reqwest::Response {
    let path = url.find("/api/v1/").map(|i| &url[i..]).expect("feed path");
    app.req(Method::GET, path).send().await.expect("feed")
}

fn utc_start(e: &icalendar::Event) -> Option<String> {
    match e.get_start()? {
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => Some(t.to_rfc3339()),
        DatePerhapsTime::Date(d) => Some(d.to_string()),
        _ => None,
    }
}

#[tokio::test]
async fn ical_feeds_parse_and_revoke() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let b = app.signup("flight_school").await;
    let (instructor_id, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    let soon = chrono::Utc::now() + chrono::Duration::days(3);
    let soon = soon
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .expect("time")
        .and_utc();
    create(
        &app,
        &t,
        json!({"title": "Checkride prep, stage 3", "description": "Bring logbook; W&B", "location": "LSZH",
               "starts_at": soon, "ends_at": soon + chrono::Duration::hours(1), "attendee_ids": [instructor_id]}),
    )
    .await;
    create(
        &app,
        &t,
        json!({"title": "Hangar party", "all_day": true, "start_date": (soon.date_naive() + chrono::Duration::days(1)).to_string()}),
    )
    .await;
    create(
        &app,
        &t,
        json!({"title": "Old news", "starts_at": "2020-01-01T10:00:00Z", "ends_at": "2020-01-01T11:00:00Z", "attendee_ids": [instructor_id]}),
    )
    .await;

    // The instructor's feed holds the event they attend (not the admin's party, not the past).
    let issued = call(
        app.tenant_req(&instructor, Method::POST, "/api/v1/tools/events/feed"),
        StatusCode::CREATED,
    )
    .await;
    let url = issued["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&app.state.settings.server.public_url),
        "{url}"
    );
    let resp = fetch_feed(&app, &url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/calendar")
    );
    let text = resp.text().await.expect("text");
    let cal: icalendar::Calendar = text.parse().expect("a valid iCalendar document");
    let events: Vec<&icalendar::Event> = cal.events().collect();
    assert_eq!(events.len(), 1, "{text}");
    assert!(
        events[0]
            .get_summary()
            .is_some_and(|s| s.starts_with("Checkride prep")),
        "{text}"
    );
    assert_eq!(utc_start(events[0]), Some(soon.to_rfc3339()));
    assert_eq!(events[0].get_location(), Some("LSZH"));

    // The admin's feed: the all-day party they organise, as a DATE.
    let admin_feed = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/events/feed"),
        StatusCode::CREATED,
    )
    .await;
    let admin_text = fetch_feed(&app, admin_feed["url"].as_str().expect("url"))
        .await
        .text()
        .await
        .expect("text");
    let admin_cal: icalendar::Calendar = admin_text.parse().expect("valid");
    let starts: Vec<Option<String>> = admin_cal.events().map(utc_start).collect();
    assert_eq!(starts.len(), 2, "{admin_text}");
    assert!(
        starts.contains(&Some(
            (soon.date_naive() + chrono::Duration::days(1)).to_string()
        )),
        "{admin_text}"
    );

    // Status without the URL, with the last use.
    let status = call(
        app.tenant_req(&instructor, Method::GET, "/api/v1/tools/events/feed"),
        StatusCode::OK,
    )
    .await;
    assert!(status["last_used_at"].is_string() && status.get("url").is_none());

    // A tampered URL, or the secret under another tenant's id, is 404.
    let stem = url.trim_end_matches(".ics");
    let flipped = if stem.ends_with('A') { 'B' } else { 'A' };
    let tampered = format!("{}{flipped}.ics", &stem[..stem.len() - 1]);
    assert_eq!(
        fetch_feed(&app, &tampered).await.status(),
        StatusCode::NOT_FOUND
    );
    let t_id = app.tenant(&t).await.id.simple().to_string();
    let b_id = app.tenant(&b).await.id.simple().to_string();
    let moved = url.replace(&t_id, &b_id);
    assert_eq!(
        fetch_feed(&app, &moved).await.status(),
        StatusCode::NOT_FOUND
    );

    // Issuing again revokes the first URL.
    let reissued = call(
        app.tenant_req(&instructor, Method::POST, "/api/v1/tools/events/feed"),
        StatusCode::CREATED,
    )
    .await;
    let url2 = reissued["url"].as_str().expect("url").to_owned();
    assert_ne!(url, url2);
    assert_eq!(fetch_feed(&app, &url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(fetch_feed(&app, &url2).await.status(), StatusCode::OK);

    // The module switched off: the feed is gone with it, and back with it.
    for enabled in [false, true] {
        call(
            app.tenant_req(
                &t,
                Method::PUT,
                "/api/v1/settings/feature-flags/tools.events",
            )
            .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        let expected = if enabled {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(fetch_feed(&app, &url2).await.status(), expected);
        if !enabled {
            problem(
                app.tenant_req(&t, Method::GET, "/api/v1/tools/events"),
                StatusCode::NOT_FOUND,
                "feature-disabled",
            )
            .await;
        }
    }

    // The owner loses the permission to read events (moved to a role without it): the feed
    // stops at once, and serves again when the permission comes back.
    let bare = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "No events", "permissions": ["tools.notes.read"]})),
        StatusCode::CREATED,
    )
    .await;
    let instructor_role = app.role_id(&t, "instructor").await;
    for (role, expected) in [
        (
            bare["id"].as_str().expect("id").to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (instructor_role, StatusCode::OK),
    ] {
        call(
            app.tenant_req(
                &t,
                Method::PUT,
                &format!("/api/v1/users/{instructor_id}/roles"),
            )
            .json(&json!({"role_ids": [role]})),
            StatusCode::OK,
        )
        .await;
        assert_eq!(fetch_feed(&app, &url2).await.status(), expected);
    }
    assert_eq!(
        flightline::domains::CATALOG
            .feeds()
            .map(|f| f.key)
            .collect::<Vec<_>>(),
        ["events", "bookings", "aircraft_bookings", "charter_crew"]
    );

    // Revoked: 404 from now on; revoking again is 404 too.
    call(
        app.tenant_req(&instructor, Method::DELETE, "/api/v1/tools/events/feed"),
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        fetch_feed(&app, &url2).await.status(),
        StatusCode::NOT_FOUND
    );
    problem(
        app.tenant_req(&instructor, Method::DELETE, "/api/v1/tools/events/feed"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // A deactivated user's feed stops too.
    let admin_url = admin_feed["url"].as_str().expect("url");
    assert_eq!(fetch_feed(&app, admin_url).await.status(), StatusCode::OK);
    let (other_id, other) = app.user_with_roles(&t, &["staff"]).await;
    let other_feed = call(
        app.tenant_req(&other, Method::POST, "/api/v1/tools/events/feed"),
        StatusCode::CREATED,
    )
    .await;
    call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/users/{other_id}"))
            .json(&json!({"is_active": false})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        fetch_feed(&app, other_feed["url"].as_str().expect("url"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let actions = audit_actions(&app, &t, "calendar_feed").await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "calendar_feed.issued")
            .count(),
        4
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "calendar_feed.revoked")
            .count(),
        1
    );
}
