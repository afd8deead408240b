//! Fleet: aircraft (with airworthiness), aircraft types, simulators, meter readings.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, call, problem};

impl TestApp {
    pub async fn create_aircraft(&self, t: &TestTenant, registration: &str) -> Value {
        call(
            self.tenant_req(t, Method::POST, "/api/v1/fleet/aircraft").json(&json!({
                "registration": registration, "make": "Cessna", "model": "172S",
                "type_designator": "C172", "hobbs": 1200.0, "tach": 1000.0,
                "equipment": ["ifr", "g1000"], "wet_rate": 26500, "currency": "CHF", "home_base": "LSZH"
            })),
            StatusCode::CREATED,
        )
        .await
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn fleet_aircraft_types_simulators_and_meters() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;

    // An aircraft type fills in what the aircraft leaves out.
    let ty = call(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/aircraft-types").json(&json!({
            "designator": "da40", "manufacturer": "Diamond", "model": "DA40 NG",
            "category": "airplane", "class": "single_engine_land", "engine_type": "piston", "seats": 4
        })),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(ty["designator"], "DA40");
    let a = call(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/aircraft")
            .json(&json!({"registration": "hb-sda", "aircraft_type_id": ty["id"], "tach": 10.04})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            &a["registration"],
            &a["make"],
            &a["type_designator"],
            &a["seats"],
            &a["tach"]
        ),
        (
            &json!("HB-SDA"),
            &json!("Diamond"),
            &json!("DA40"),
            &json!(4),
            &json!(10.0)
        )
    );
    assert_eq!(
        a["airworthiness"],
        json!({"airworthy": true, "reasons": []})
    );
    let aid = id(&a);

    // Duplicate registration: 409 naming the field; bad fields: 422 each.
    let dup = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/aircraft")
            .json(&json!({"registration": "HB-SDA", "make": "X", "model": "Y"})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(dup["errors"][0]["field"], "registration");
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/aircraft")
            .json(&json!({
                "registration": "HB SDA", "currency": "chf", "home_base": "zh", "seats": 0
            })),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"seats"), "{bad}");
    let bad = problem(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/aircraft")
            .json(&json!({"registration": "HB SDA", "currency": "chf", "home_base": "z9!"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"].as_array().map(Vec::len), Some(5), "{bad}");

    // Update with version; a stale version answers 409.
    let patched = call(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/fleet/aircraft/{aid}"))
            .json(&json!({"status": "inactive", "home_base": "LSZR", "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&patched["status"], &patched["version"]),
        (&json!("inactive"), &json!(2))
    );
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/fleet/aircraft/{aid}"))
            .json(&json!({"notes": "x", "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;

    // Filters.
    app.create_aircraft(&t, "HB-KFA").await;
    let ifr = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/fleet/aircraft?equipment=g1000&limit=1",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(ifr["items"][0]["registration"], "HB-KFA");
    assert!(ifr["next_cursor"].is_null());
    let inactive = call(
        app.tenant_req(&t, Method::GET, "/api/v1/fleet/aircraft?status=inactive"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(inactive["items"].as_array().map(Vec::len), Some(1));
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/fleet/aircraft?limit=0"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Meters only move forward; a correction needs a reason and is audited.
    let readings = format!("/api/v1/fleet/aircraft/{aid}/meter-readings");
    problem(
        app.tenant_req(&t, Method::POST, &readings)
            .json(&json!({"hobbs": 0.0, "tach": 5.0})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &readings)
            .json(&json!({"hobbs": 0.0, "tach": 5.0, "correction": true})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, &readings)
            .json(&json!({"hobbs": 12.5, "tach": 11.0})),
        StatusCode::CREATED,
    )
    .await;
    let corrected = call(
        app.tenant_req(&t, Method::POST, &readings).json(
            &json!({"hobbs": 12.0, "tach": 10.5, "correction": true, "reason": "typo at entry"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(corrected["source"], "correction");
    let history = call(app.tenant_req(&t, Method::GET, &readings), StatusCode::OK).await;
    let sources: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["source"].as_str())
        .collect();
    assert_eq!(sources, ["correction", "manual", "initial"]);
    let now = call(
        app.tenant_req(&t, Method::GET, &format!("/api/v1/fleet/aircraft/{aid}")),
        StatusCode::OK,
    )
    .await;
    assert_eq!((&now["hobbs"], &now["tach"]), (&json!(12.0), &json!(10.5)));
    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?action=aircraft.meters_corrected",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        audit["items"][0]["before"],
        json!({"hobbs": 12.5, "tach": 11.0})
    );

    // Simulators.
    let sim = call(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/simulators")
            .json(&json!({
                "name": "Redbird FMX", "device_type": "aatd", "hourly_rate": 9000, "currency": "USD"
            })),
        StatusCode::CREATED,
    )
    .await;
    let sid = id(&sim);
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/simulators")
            .json(&json!({"name": "redbird fmx", "device_type": "aatd"})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/fleet/simulators")
            .json(&json!({"name": "X", "device_type": "holodeck"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/fleet/simulators/{sid}"),
        )
        .json(&json!({"qualification": "FNPT II"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        call(
            app.tenant_req(&t, Method::GET, "/api/v1/fleet/simulators"),
            StatusCode::OK
        )
        .await["items"][0]["qualification"],
        "FNPT II"
    );

    // Permissions: a student reads the fleet but changes nothing; a charter "medical_crew"
    // does not even read it.
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    call(
        app.tenant_req(&student, Method::GET, "/api/v1/fleet/aircraft"),
        StatusCode::OK,
    )
    .await;
    let tid = id(&ty);
    for (m, path, body) in [
        (
            Method::POST,
            "/api/v1/fleet/aircraft".to_owned(),
            json!({"registration": "N1", "make": "a", "model": "b"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/fleet/aircraft/{aid}"),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/fleet/aircraft/{aid}"),
            Value::Null,
        ),
        (
            Method::POST,
            readings.clone(),
            json!({"hobbs": 99.0, "tach": 99.0}),
        ),
        (
            Method::POST,
            "/api/v1/fleet/aircraft-types".into(),
            json!({"designator": "C152", "manufacturer": "Cessna", "model": "152", "category": "airplane", "engine_type": "piston"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/fleet/aircraft-types/{tid}"),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/fleet/aircraft-types/{tid}"),
            Value::Null,
        ),
        (
            Method::POST,
            "/api/v1/fleet/simulators".into(),
            json!({"name": "FTD", "device_type": "ftd"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/fleet/simulators/{sid}"),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/fleet/simulators/{sid}"),
            Value::Null,
        ),
    ] {
        let mut rb = app.tenant_req(&student, m, &path);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let c = app.signup("charter_operator").await;
    let (_, medic) = app.user_with_roles(&c, &["medical_crew"]).await;
    for path in [
        "/api/v1/fleet/aircraft",
        "/api/v1/fleet/aircraft-types",
        "/api/v1/fleet/simulators",
    ] {
        problem(
            app.tenant_req(&medic, Method::GET, path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }

    // Another tenant: every id route answers 404, lists are empty.
    for (m, path, body) in [
        (
            Method::GET,
            format!("/api/v1/fleet/aircraft/{aid}"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/v1/fleet/aircraft/{aid}"),
            json!({"notes": "x"}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/fleet/aircraft/{aid}"),
            Value::Null,
        ),
        (Method::GET, readings.clone(), Value::Null),
        (
            Method::POST,
            readings.clone(),
            json!({"hobbs": 99.0, "tach": 99.0}),
        ),
        (
            Method::GET,
            format!("/api/v1/fleet/aircraft-types/{tid}"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/v1/fleet/aircraft-types/{tid}"),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/fleet/aircraft-types/{tid}"),
            Value::Null,
        ),
        (
            Method::GET,
            format!("/api/v1/fleet/simulators/{sid}"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/v1/fleet/simulators/{sid}"),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/fleet/simulators/{sid}"),
            Value::Null,
        ),
    ] {
        let mut rb = app.tenant_req(&c, m, &path);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        problem(rb, StatusCode::NOT_FOUND, "not-found").await;
    }
    assert_eq!(
        call(
            app.tenant_req(&c, Method::GET, "/api/v1/fleet/aircraft"),
            StatusCode::OK
        )
        .await["items"],
        json!([])
    );

    // Deletes, audited.
    for path in [
        format!("/api/v1/fleet/simulators/{sid}"),
        format!("/api/v1/fleet/aircraft/{aid}"),
        format!("/api/v1/fleet/aircraft-types/{tid}"),
    ] {
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
    }
    let audit = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/settings/audit-logs?resource_type=aircraft&limit=200",
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
    assert_eq!(actions.first(), Some(&"aircraft.deleted"));
    assert!(actions.contains(&"aircraft.updated") && actions.contains(&"aircraft.created"));
}

#[tokio::test]
async fn the_fleet_flag_switches_the_domain_off() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/fleet/aircraft"),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
}

#[tokio::test]
async fn the_photo_is_an_image_attachment() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let aid = id(&app.create_aircraft(&t, "HB-PIC").await);
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let upload = |bytes: &'static [u8], name: &str| {
        app.tenant_req(&t, Method::POST, "/api/v1/tools/attachments")
            .multipart(Form::new().part(
                "file",
                Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
            ))
    };
    let photo = call(upload(png, "hb-pic.png"), StatusCode::CREATED).await;
    let text = call(upload(b"just some notes", "notes.txt"), StatusCode::CREATED).await;
    let path = format!("/api/v1/fleet/aircraft/{aid}");
    problem(
        app.tenant_req(&t, Method::PATCH, &path)
            .json(&json!({"photo_attachment_id": text["id"]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let a = call(
        app.tenant_req(&t, Method::PATCH, &path)
            .json(&json!({"photo_attachment_id": photo["id"]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(a["photo_attachment_id"], photo["id"]);
    // Deleting the attachment clears the photo.
    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/tools/attachments/{}", id(&photo)),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    let a = call(app.tenant_req(&t, Method::GET, &path), StatusCode::OK).await;
    assert!(a["photo_attachment_id"].is_null());
}

/// An unknown aircraft type on update: `422` naming `aircraft_type_id` (the foreign key's answer).
#[tokio::test]
async fn an_unknown_aircraft_type_is_named_on_update() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let a = app.create_aircraft(&t, "HB-TYP").await;
    let aid = a["id"].as_str().expect("id");
    let p = problem(
        app.tenant_req(&t, Method::PATCH, &format!("/api/v1/fleet/aircraft/{aid}"))
            .json(&json!({"aircraft_type_id": uuid::Uuid::new_v4()})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "aircraft_type_id", "{p}");
}
