//! Airports: the shipped reference data loaded once, search by code and name (prefix, contains,
//! fuzzy), one airport by ICAO, IATA or local code, distance, course and block time, private
//! landing sites; permissions, other tenants and the flag.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, audit_actions, call, problem};

const AIRPORTS: &str = "/api/v1/airports";
const SITES: &str = "/api/v1/airports/sites";

fn codes(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["code"].as_str().expect("code").to_owned())
        .collect()
}

#[tokio::test]
async fn the_reference_data_is_loaded_once_and_found_by_code_and_name() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    // Loaded at start; loading again with the same version does nothing.
    let again = flightline::db::load_reference(app.state.db(), &flightline::domains::CATALOG)
        .await
        .expect("load");
    assert!(again.is_empty(), "{again:?}");
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    let (version, rows): (String, i32) =
        sqlx::query_as("select version, rows from reference.datasets where name = 'airports'")
            .fetch_one(&mut *conn)
            .await
            .expect("dataset");
    assert_eq!(version, flightline::domains::airports::reference::VERSION);
    assert_eq!(rows, 28_298);

    // By ICAO, IATA (any case) and the FAA's local identifier.
    let zrh = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/zrh")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(zrh["code"], "LSZH");
    assert_eq!(zrh["iata"], "ZRH");
    assert_eq!(zrh["country"], "CH");
    assert_eq!(zrh["elevation_ft"], 1416);
    assert_eq!(zrh["time_zone"], "Europe/Zurich");
    assert_eq!(zrh["source"], "reference");
    assert!(zrh["longest_runway_ft"].is_null());
    let thigpen = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/00M")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(thigpen["code"], "K00M");
    // Decimal elevations are rounded to the foot.
    let livingston = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/K00R")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(livingston["elevation_ft"], 151);
    problem(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/QQQQ")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Search: the exact code first, then names starting with the term, containing it, and
    // spelled like it.
    let by_code = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}?q=LHR")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(codes(&by_code)[0], "EGLL");
    let by_name = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}?q=heathrow")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(codes(&by_name)[..2], ["TE17", "EGLL"]);
    let typo = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}?q=zuric%20airprt")),
        StatusCode::OK,
    )
    .await;
    assert!(codes(&typo).contains(&"LSZH".to_owned()), "{typo}");
    let city = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}?q=zurich&country=CH&limit=5"),
        ),
        StatusCode::OK,
    )
    .await;
    let found = codes(&city);
    assert!(found.len() <= 5);
    assert!(found.contains(&"LSZH".to_owned()) && found.contains(&"LSMD".to_owned()));
    assert!(
        city["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|a| a["country"] == "CH")
    );
    // One or two characters: codes and prefixes only; wildcards are literal.
    let short = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}?q=zu&limit=200")),
        StatusCode::OK,
    )
    .await;
    assert!(
        short["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|a| a["name"]
                .as_str()
                .expect("name")
                .to_lowercase()
                .starts_with("zu")
                || a["city"]
                    .as_str()
                    .unwrap_or("")
                    .to_lowercase()
                    .starts_with("zu")
                || a["code"] == "ZU"),
        "{short}"
    );
    let wild = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}?q=%25%25%25")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(wild["items"], json!([]));
    for q in ["q=%20", "q=", "q=a&country=ch", "q=a&limit=0"] {
        problem(
            app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}?{q}")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
}

#[tokio::test]
async fn distance_course_and_block_time() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/fleet")
            .json(&json!({"enabled": true})),
        StatusCode::OK,
    )
    .await;
    let r = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}/distance?from=KJFK&to=lhr&cruise_kts=480"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(r["from"]["code"], "KJFK");
    assert_eq!(r["to"]["code"], "EGLL");
    let d = r["distance_nm"].as_f64().expect("nm");
    assert!((d - 2991.0).abs() < 5.0, "{d}");
    let course = r["initial_course_deg"].as_f64().expect("course");
    assert!((course - 51.0).abs() < 1.0, "{course}");
    let flight = r["flight_minutes"].as_i64().expect("minutes");
    assert_eq!(flight, (d / 480.0 * 60.0).ceil() as i64);
    assert_eq!(r["block_minutes"], flight + 15);
    assert_eq!(r["cruise_source"], "request");

    // The aircraft's cruise speed (an aircraft takes its type's when created without one).
    let ty = call(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/aircraft-types")
            .json(&json!({
            "designator": "C25B", "manufacturer": "Cessna", "model": "Citation CJ3",
            "category": "airplane", "class": "multi_engine_land", "engine_type": "turbofan",
            "seats": 9, "cruise_speed_kts": 416})),
        StatusCode::CREATED,
    )
    .await;
    let jet = call(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/aircraft")
            .json(&json!({
            "registration": "N525CJ", "aircraft_type_id": ty["id"]})),
        StatusCode::CREATED,
    )
    .await;
    let r = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "{AIRPORTS}/distance?from=LSZH&to=LSGG&aircraft_id={}&taxi_out_minutes=0&taxi_in_minutes=0",
                jet["id"].as_str().expect("id")
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(r["cruise_kts"], 416);
    assert_eq!(r["cruise_source"], "aircraft");
    assert_eq!(r["block_minutes"], r["flight_minutes"]);
    for (q, field) in [
        ("from=LSZH&to=LSGG", "cruise_kts"),
        ("from=QQQQ&to=LSGG&cruise_kts=100", "from"),
        ("from=LSZH&to=QQQQ&cruise_kts=100", "to"),
        (
            "from=LSZH&to=LSGG&aircraft_id=0190b1d4-6b2e-7000-8000-000000000000",
            "aircraft_id",
        ),
        ("from=LSZH&to=LSGG&cruise_kts=0", "cruise_kts"),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/distance?{q}")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{q}");
    }
}

#[tokio::test]
async fn landing_sites_permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let other = app.signup("charter_operator").await;
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "Nobody", "permissions": []})),
        StatusCode::CREATED,
    )
    .await;
    let (_, nobody) = app.user_with_roles(&t, &["Nobody"]).await;
    let helipad = json!({"code": "XHUZ", "name": "Universitätsspital Zürich helipad",
        "kind": "hospital_helipad", "latitude": 47.3769, "longitude": 8.5509,
        "elevation_ft": 1600, "time_zone": "Europe/Zurich", "country": "CH"});
    let site = call(
        app.tenant_req(&t, Method::POST, SITES).json(&helipad),
        StatusCode::CREATED,
    )
    .await;
    let sid = site["id"].as_str().expect("id").to_owned();
    assert_eq!(site["active"], true);
    // A code in use, a reference airport's code, a time zone the server does not know.
    problem(
        app.tenant_req(&t, Method::POST, SITES).json(&helipad),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let mut taken = helipad.clone();
    taken["code"] = json!("LSZH");
    problem(
        app.tenant_req(&t, Method::POST, SITES).json(&taken),
        StatusCode::CONFLICT,
        "code-taken",
    )
    .await;
    for (field, value) in [
        ("time_zone", json!("Mars/Olympus")),
        ("latitude", json!(91)),
        ("code", json!("x")),
        ("name", json!(" ")),
    ] {
        let mut bad = helipad.clone();
        bad["code"] = json!("XBAD");
        bad[field] = value;
        problem(
            app.tenant_req(&t, Method::POST, SITES).json(&bad),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
    let list = call(app.tenant_req(&t, Method::GET, SITES), StatusCode::OK).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);

    // Found by search and by code; usable in a distance.
    let found = call(
        app.tenant_req(
            &pilot,
            Method::GET,
            &format!("{AIRPORTS}?q=Universit%C3%A4tsspital"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["items"][0]["code"], "XHUZ");
    assert_eq!(found["items"][0]["source"], "private");
    assert_eq!(found["items"][0]["kind"], "hospital_helipad");
    let r = call(
        app.tenant_req(
            &pilot,
            Method::GET,
            &format!("{AIRPORTS}/distance?from=LSZH&to=XHUZ&cruise_kts=120"),
        ),
        StatusCode::OK,
    )
    .await;
    assert!(r["distance_nm"].as_f64().expect("nm") < 10.0);
    // Inactive: kept and found by code, not by search.
    let updated = call(
        app.tenant_req(&t, Method::PATCH, &format!("{SITES}/{sid}"))
            .json(&json!({"active": false, "notes": "Closed for works", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["version"], 2);
    let hidden = call(
        app.tenant_req(&pilot, Method::GET, &format!("{AIRPORTS}?q=XHUZ")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(hidden["items"], json!([]));
    call(
        app.tenant_req(&pilot, Method::GET, &format!("{AIRPORTS}/XHUZ")),
        StatusCode::OK,
    )
    .await;

    // Another organisation sees none of it.
    for path in [format!("{AIRPORTS}/XHUZ"), format!("{SITES}/{sid}")] {
        problem(
            app.tenant_req(&other, Method::GET, &path),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    for (method, body) in [
        (Method::PATCH, json!({"name": "Mine"})),
        (Method::DELETE, json!(null)),
    ] {
        let mut rb = app.tenant_req(&other, method, &format!("{SITES}/{sid}"));
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::NOT_FOUND, "not-found").await;
    }
    let theirs = call(app.tenant_req(&other, Method::GET, SITES), StatusCode::OK).await;
    assert_eq!(theirs["items"], json!([]));

    // A pilot reads but does not manage; without airports.read nothing.
    for (method, path, body) in [
        (Method::POST, SITES.to_owned(), {
            let mut b = helipad.clone();
            b["code"] = json!("XNEW");
            b
        }),
        (
            Method::PATCH,
            format!("{SITES}/{sid}"),
            json!({"name": "N"}),
        ),
        (Method::DELETE, format!("{SITES}/{sid}"), json!(null)),
    ] {
        let mut rb = app.tenant_req(&pilot, method, &path);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::FORBIDDEN, "forbidden").await;
    }
    for path in [
        format!("{AIRPORTS}?q=zurich"),
        format!("{AIRPORTS}/LSZH"),
        format!("{AIRPORTS}/distance?from=LSZH&to=LSGG&cruise_kts=100"),
        SITES.to_owned(),
        format!("{SITES}/{sid}"),
    ] {
        problem(
            app.tenant_req(&nobody, Method::GET, &path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }

    call(
        app.tenant_req(&t, Method::DELETE, &format!("{SITES}/{sid}")),
        StatusCode::NO_CONTENT,
    )
    .await;
    let actions = audit_actions(&app, &t, "landing_site").await;
    for a in [
        "landing_site.created",
        "landing_site.updated",
        "landing_site.deleted",
    ] {
        assert!(actions.contains(&a.to_owned()), "{actions:?}");
    }
    // With the module off, the routes are gone.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/airports")
            .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    let resp = app
        .tenant_req(&t, Method::GET, &format!("{AIRPORTS}/LSZH"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
