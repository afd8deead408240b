//! `/api/v1/fbo`: parking locations and gates (deactivated, never deleted), visiting flights
//! from expected to departed on the day's board, one aircraft per spot at a time (refused by
//! the database however requests race), permissions (403), another tenant's ids (404), bad
//! input (422, nothing stored) and the module off for other kinds of tenant.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, id, post, problem};

const LOCATIONS: &str = "/api/v1/fbo/parking-locations";
const FLIGHTS: &str = "/api/v1/fbo/flights";

async fn location(app: &TestApp, t: &TestTenant, airport: &str, code: &str) -> Value {
    post(
        app,
        t,
        LOCATIONS,
        json!({"airport_code": airport, "location_code": code, "name": format!("Spot {code}"),
               "kind": "ramp"}),
    )
    .await
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

async fn flight(app: &TestApp, t: &TestTenant, tail: &str, eta: &str, etd: &str) -> Value {
    post(
        app,
        t,
        FLIGHTS,
        json!({"airport_code": "kteb", "tail_number": tail, "aircraft_type": "c25a",
               "eta": eta, "etd": etd, "passengers": 3, "services": ["fuel", "gpu"],
               "tags": ["vip"]}),
    )
    .await
}

async fn status(app: &TestApp, t: &TestTenant, f: &Value, body: Value) -> reqwest::RequestBuilder {
    app.tenant_req(t, Method::POST, &format!("{FLIGHTS}/{}/status", id(f)))
        .json(&body)
}

fn park(app: &TestApp, t: &TestTenant, f: &Value, body: Value) -> reqwest::RequestBuilder {
    app.tenant_req(t, Method::PUT, &format!("{FLIGHTS}/{}/parking", id(f)))
        .json(&body)
}

#[tokio::test]
async fn parking_locations_are_deactivated_never_deleted() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let a1 = location(&app, &t, "KTEB", "A1").await;
    assert_eq!(
        (
            a1["airport_code"].clone(),
            a1["display_order"].clone(),
            a1["active"].clone()
        ),
        (json!("KTEB"), json!(100), json!(true))
    );
    // The code is per airport: the same code elsewhere is fine, twice at one airport is not.
    location(&app, &t, "KHPN", "A1").await;
    let gate = post(
        &app,
        &t,
        LOCATIONS,
        json!({"airport_code": "TEB", "location_code": "GATE-3", "name": "Gate 3",
               "kind": "gate", "display_order": 5}),
    )
    .await;
    assert_eq!(
        gate["airport_code"], "KTEB",
        "an IATA code names the airport"
    );
    problem(
        app.tenant_req(&t, Method::POST, LOCATIONS).json(
            &json!({"airport_code": "KTEB", "location_code": "A1", "name": "Again", "kind": "ramp"}),
        ),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    for (body, field) in [
        (
            json!({"airport_code": "ZZZZ", "location_code": "B1", "name": "B", "kind": "ramp"}),
            "airport_code",
        ),
        (
            json!({"airport_code": "KTEB", "location_code": "b 1", "name": "B", "kind": "ramp"}),
            "location_code",
        ),
        (
            json!({"airport_code": "KTEB", "location_code": "B1", "name": "  ", "kind": "ramp"}),
            "name",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, LOCATIONS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(
            p["errors"][0]["field"]
                .as_str()
                .is_some_and(|f| f.contains(field)),
            "{p}"
        );
    }
    let at_teb = call(
        app.tenant_req(&t, Method::GET, &format!("{LOCATIONS}?airport=kteb")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(at_teb["items"].as_array().map(Vec::len), Some(2));
    let gates = call(
        app.tenant_req(&t, Method::GET, &format!("{LOCATIONS}?kind=gate")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(gates["items"][0]["location_code"], "GATE-3");

    // DELETE deactivates (display order 0) and keeps it; PATCH brings it back.
    let one = format!("{LOCATIONS}/{}", id(&a1));
    call(
        app.tenant_req(&t, Method::DELETE, &one),
        StatusCode::NO_CONTENT,
    )
    .await;
    let gone = call(app.tenant_req(&t, Method::GET, &one), StatusCode::OK).await;
    assert_eq!(
        (gone["active"].clone(), gone["display_order"].clone()),
        (json!(false), json!(0))
    );
    let listed = call(
        app.tenant_req(&t, Method::GET, &format!("{LOCATIONS}?airport=KTEB")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    let all = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{LOCATIONS}?airport=KTEB&include_inactive=true"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    problem(
        app.tenant_req(&t, Method::PATCH, &one)
            .json(&json!({"active": true, "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    let back = call(
        app.tenant_req(&t, Method::PATCH, &one)
            .json(&json!({"active": true, "name": "Alpha 1", "version": gone["version"]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            back["active"].clone(),
            back["display_order"].clone(),
            back["name"].clone()
        ),
        (json!(true), json!(100), json!("Alpha 1"))
    );
    assert_eq!(
        audit_actions(&app, &t, "fbo_parking_location").await[..3],
        [
            "fbo_parking_location.updated",
            "fbo_parking_location.deactivated",
            "fbo_parking_location.created"
        ]
    );

    // Permissions and other tenants.
    let (_, fueler) = app.user_with_roles(&t, &["fueler"]).await;
    call(app.tenant_req(&fueler, Method::GET, &one), StatusCode::OK).await;
    for (m, path, body) in [
        (
            Method::POST,
            LOCATIONS.to_owned(),
            json!({"airport_code": "KTEB", "location_code": "C1", "name": "C", "kind": "ramp"}),
        ),
        (Method::PATCH, one.clone(), json!({"name": "X"})),
        (Method::DELETE, one.clone(), json!({})),
    ] {
        problem(
            app.tenant_req(&fueler, m, &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let other = app.signup("fbo").await;
    for (m, body) in [
        (Method::GET, json!({})),
        (Method::PATCH, json!({"name": "X"})),
        (Method::DELETE, json!({})),
    ] {
        problem(
            app.tenant_req(&other, m, &one).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let theirs = call(
        app.tenant_req(&other, Method::GET, LOCATIONS),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn visiting_flights_go_from_expected_to_departed_on_the_board() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let customer = post(
        &app,
        &t,
        "/api/v1/contacts",
        json!({"kind": "organization", "name": "Acme Jets", "roles": ["customer"]}),
    )
    .await;
    let now = Utc::now().trunc_subsecs(0);
    let eta = (now - Duration::hours(1)).to_rfc3339();
    let etd = (now + Duration::hours(3)).to_rfc3339();
    let f = post(
        &app,
        &t,
        FLIGHTS,
        json!({"airport_code": "kteb", "tail_number": "n525cj", "aircraft_type": "c25a",
               "operator_name": " Acme Air ", "customer_id": id(&customer), "eta": eta,
               "etd": etd, "passengers": 4, "services": ["fuel", "lavatory", "crew_car"],
               "tags": ["vip", "repeat"]}),
    )
    .await;
    assert_eq!(
        (
            f["airport_code"].clone(),
            f["tail_number"].clone(),
            f["aircraft_type"].clone(),
            f["operator_name"].clone(),
            f["status"].clone(),
            f["parking"].clone()
        ),
        (
            json!("KTEB"),
            json!("N525CJ"),
            json!("C25A"),
            json!("Acme Air"),
            json!("expected"),
            Value::Null
        )
    );
    // Refused, storing nothing.
    for (body, field) in [
        (json!({"airport_code": "KTEB", "tail_number": "N1"}), "eta"),
        (
            json!({"airport_code": "KTEB", "tail_number": "N1", "eta": etd, "etd": eta}),
            "etd",
        ),
        (
            json!({"airport_code": "KTEB", "tail_number": "N1", "eta": eta,
                   "customer_id": uuid::Uuid::new_v4()}),
            "customer_id",
        ),
        (
            json!({"airport_code": "QQQQ", "tail_number": "N1", "eta": eta}),
            "airport_code",
        ),
        (
            json!({"airport_code": "KTEB", "tail_number": "N 1", "eta": eta}),
            "tail_number",
        ),
        (
            json!({"airport_code": "KTEB", "tail_number": "N1", "eta": eta,
                   "services": ["fuel", "fuel"]}),
            "services",
        ),
        (
            json!({"airport_code": "KTEB", "tail_number": "N1", "eta": eta, "tags": ["VIP"]}),
            "tags",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, FLIGHTS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(
            p["errors"][0]["field"]
                .as_str()
                .is_some_and(|x| x.contains(field)),
            "{field}: {p}"
        );
    }
    let all = call(app.tenant_req(&t, Method::GET, FLIGHTS), StatusCode::OK).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));

    // Status: expected → arrived → serviced → departed; anything else is refused.
    problem(
        status(&app, &t, &f, json!({"status": "departed"})).await,
        StatusCode::CONFLICT,
        "invalid-transition",
    )
    .await;
    problem(
        status(&app, &t, &f, json!({"status": "cancelled"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        status(
            &app,
            &t,
            &f,
            json!({"status": "arrived", "at": (now + Duration::hours(1)).to_rfc3339()}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let landed = (now - Duration::minutes(50)).to_rfc3339();
    let arrived = call(
        status(&app, &t, &f, json!({"status": "arrived", "at": landed})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(arrived["status"], "arrived");
    assert_eq!(at(arrived["arrived_at"].as_str().expect("at")), at(&landed));

    // The board of today at Teterboro (its local day) shows it arriving and leaving; the
    // filters find it.
    let today = now
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let board = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/fbo/board?airport=TEB&date={today}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (board["airport_code"].clone(), board["time_zone"].clone()),
        (json!("KTEB"), json!("America/New_York"))
    );
    let on = |list: &Value| {
        list.as_array()
            .expect("list")
            .iter()
            .any(|x| x["id"] == f["id"])
    };
    // Unless the visit straddles local midnight, it is on both halves of today's board.
    let (arr_day, dep_day) = (
        at(&landed)
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive(),
        at(&etd)
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive(),
    );
    assert_eq!(on(&board["arrivals"]), arr_day == today);
    assert_eq!(on(&board["departures"]), dep_day == today);
    let tomorrow = today.succ_opt().expect("date");
    let later = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/fbo/board?airport=KTEB&date={tomorrow}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(on(&later["departures"]), dep_day == tomorrow);
    problem(
        app.tenant_req(&t, Method::GET, "/api/v1/fbo/board?airport=QQQQ"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    for (query, found) in [
        ("active=true", true),
        ("active=false", false),
        ("airport=KTEB&status=arrived", true),
        ("airport=KHPN", false),
        ("tag=vip", true),
        ("tag=cargo", false),
    ] {
        let page = call(
            app.tenant_req(&t, Method::GET, &format!("{FLIGHTS}?{query}")),
            StatusCode::OK,
        )
        .await;
        assert_eq!(on(&page["items"]), found, "{query}");
    }

    let serviced = call(
        status(&app, &t, &f, json!({"status": "serviced"})).await,
        StatusCode::OK,
    )
    .await;
    let patched = call(
        app.tenant_req(&t, Method::PATCH, &format!("{FLIGHTS}/{}", id(&f)))
            .json(
                &json!({"passengers": 5, "tags": ["vip"], "notes": "Catering at 14:00",
                          "version": serviced["version"]}),
            ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (patched["passengers"].clone(), patched["tags"].clone()),
        (json!(5), json!(["vip"]))
    );
    problem(
        status(
            &app,
            &t,
            &f,
            json!({"status": "departed", "at": (now - Duration::hours(2)).to_rfc3339()}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let gone = call(
        status(&app, &t, &f, json!({"status": "departed"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(gone["status"], "departed");
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("{FLIGHTS}/{}", id(&f)))
            .json(&json!({"passengers": 1})),
        StatusCode::CONFLICT,
        "flight-closed",
    )
    .await;
    // A cancellation needs a reason.
    let g = flight(
        &app,
        &t,
        "N1FB",
        &etd,
        &(now + Duration::hours(5)).to_rfc3339(),
    )
    .await;
    let cancelled = call(
        status(
            &app,
            &t,
            &g,
            json!({"status": "cancelled", "reason": "Weather at origin"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["cancel_reason"], "Weather at origin");
    assert_eq!(
        audit_actions(&app, &t, "fbo_flight").await[..4],
        [
            "fbo_flight.status_changed",
            "fbo_flight.created",
            "fbo_flight.status_changed",
            "fbo_flight.updated"
        ]
    );
}

#[tokio::test]
async fn one_spot_holds_one_aircraft_at_a_time() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let a1 = location(&app, &t, "KTEB", "A1").await;
    let b1 = location(&app, &t, "KTEB", "B1").await;
    let elsewhere = location(&app, &t, "KHPN", "A1").await;
    let f = flight(
        &app,
        &t,
        "N100AA",
        "2027-05-01T14:00:00Z",
        "2027-05-01T20:00:00Z",
    )
    .await;
    let g = flight(
        &app,
        &t,
        "N200BB",
        "2027-05-01T18:00:00Z",
        "2027-05-02T10:00:00Z",
    )
    .await;
    let parked = call(
        park(&app, &t, &f, json!({"location_id": id(&a1)})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            parked["parking"]["location_code"].clone(),
            at(parked["parking"]["from"].as_str().expect("from")),
            at(parked["parking"]["to"].as_str().expect("to"))
        ),
        (
            json!("A1"),
            at("2027-05-01T14:00:00Z"),
            at("2027-05-01T20:00:00Z")
        )
    );
    // The second aircraft overlaps the first on A1: refused, naming the holder.
    let p = problem(
        park(&app, &t, &g, json!({"location_id": id(&a1)})),
        StatusCode::CONFLICT,
        "parking-conflict",
    )
    .await;
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("N100AA")),
        "{p}"
    );
    // A1 from the first one's departure on is free; another airport's spot or an inactive
    // one is no spot for it.
    call(
        park(
            &app,
            &t,
            &g,
            json!({"location_id": id(&a1), "from": "2027-05-01T20:00:00Z"}),
        ),
        StatusCode::OK,
    )
    .await;
    for loc in [&elsewhere, &json!({"id": uuid::Uuid::new_v4()})] {
        problem(
            park(&app, &t, &g, json!({"location_id": id(loc)})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
    problem(
        park(
            &app,
            &t,
            &g,
            json!({"location_id": id(&b1), "from": "2027-05-01T19:00:00Z",
                                  "to": "2027-05-01T18:00:00Z"}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    // A spot in use is not deactivated.
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("{LOCATIONS}/{}", id(&a1))),
        StatusCode::CONFLICT,
        "location-in-use",
    )
    .await;
    // Moving the second aircraft to B1 releases A1 for that time.
    let moved = call(
        park(
            &app,
            &t,
            &g,
            json!({"location_id": id(&b1), "from": "2027-05-01T20:00:00Z"}),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["parking"]["location_code"], "B1");
    let h = flight(
        &app,
        &t,
        "N300CC",
        "2027-05-01T21:00:00Z",
        "2027-05-01T23:00:00Z",
    )
    .await;
    call(
        park(&app, &t, &h, json!({"location_id": id(&a1)})),
        StatusCode::OK,
    )
    .await;

    // The database itself refuses an overlap, whatever the code above checked.
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let err = sqlx::query(
        "insert into fbo_parking_assignments (id, flight_id, location_id, starts_at, ends_at)
         values (gen_random_uuid(), $1, $2, '2027-05-01T22:00:00Z', '2027-05-01T22:30:00Z')",
    )
    .bind(uuid::Uuid::parse_str(&id(&g)).expect("uuid"))
    .bind(uuid::Uuid::parse_str(&id(&a1)).expect("uuid"))
    .execute(&mut *tx)
    .await
    .expect_err("overlap");
    assert_eq!(
        err.as_database_error().and_then(|d| d.constraint()),
        Some("fbo_parking_assignments_location_excl")
    );
    drop(tx);

    // Two requests racing for one free spot: exactly one wins.
    let c1 = location(&app, &t, "KTEB", "C1").await;
    let racers = [
        flight(
            &app,
            &t,
            "N401",
            "2027-06-01T10:00:00Z",
            "2027-06-01T12:00:00Z",
        )
        .await,
        flight(
            &app,
            &t,
            "N402",
            "2027-06-01T11:00:00Z",
            "2027-06-01T13:00:00Z",
        )
        .await,
    ];
    let (r1, r2) = tokio::join!(
        park(&app, &t, &racers[0], json!({"location_id": id(&c1)})).send(),
        park(&app, &t, &racers[1], json!({"location_id": id(&c1)})).send(),
    );
    let mut codes = [
        r1.expect("send").status().as_u16(),
        r2.expect("send").status().as_u16(),
    ];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409]);

    // Released, the spot's history stays; permissions and other tenants.
    call(
        app.tenant_req(&t, Method::DELETE, &format!("{FLIGHTS}/{}/parking", id(&h))),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("{FLIGHTS}/{}/parking", id(&h))),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let (_, fueler) = app.user_with_roles(&t, &["fueler"]).await;
    let (_, desk) = app.user_with_roles(&t, &["front_desk"]).await;
    call(
        park(&app, &desk, &h, json!({"location_id": id(&a1)})),
        StatusCode::OK,
    )
    .await;
    let one = format!("{FLIGHTS}/{}", id(&h));
    call(app.tenant_req(&fueler, Method::GET, &one), StatusCode::OK).await;
    let other = app.signup("fbo").await;
    for (m, path, body) in [
        (
            Method::POST,
            FLIGHTS.to_owned(),
            json!({"airport_code": "KTEB", "tail_number": "N9", "eta": "2027-05-01T10:00:00Z"}),
        ),
        (Method::PATCH, one.clone(), json!({"passengers": 1})),
        (
            Method::POST,
            format!("{one}/status"),
            json!({"status": "arrived"}),
        ),
        (
            Method::PUT,
            format!("{one}/parking"),
            json!({"location_id": id(&b1)}),
        ),
        (Method::DELETE, format!("{one}/parking"), json!({})),
    ] {
        problem(
            app.tenant_req(&fueler, m.clone(), &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        if path != FLIGHTS {
            problem(
                app.tenant_req(&other, m, &path).json(&body),
                StatusCode::NOT_FOUND,
                "not-found",
            )
            .await;
        }
    }
    problem(
        app.tenant_req(&other, Method::GET, &one),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let theirs = call(app.tenant_req(&other, Method::GET, FLIGHTS), StatusCode::OK).await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    let board = call(
        app.tenant_req(
            &other,
            Method::GET,
            "/api/v1/fbo/board?airport=KTEB&date=2027-05-01",
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(board["arrivals"].as_array().map(Vec::len), Some(0));
    // Their own flight cannot take our spot.
    let mine = flight(
        &app,
        &other,
        "N9",
        "2027-05-01T10:00:00Z",
        "2027-05-01T11:00:00Z",
    )
    .await;
    problem(
        park(&app, &other, &mine, json!({"location_id": id(&a1)})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Flight schools and charter operators have no FBO module.
    let school = app.signup("flight_school").await;
    problem(
        app.tenant_req(&school, Method::GET, FLIGHTS),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
}

const TANKS: &str = "/api/v1/fbo/fuel/tanks";

fn movement(
    app: &TestApp,
    t: &TestTenant,
    tank: &Value,
    what: &str,
    body: Value,
) -> reqwest::RequestBuilder {
    app.tenant_req(t, Method::POST, &format!("{TANKS}/{}/{what}", id(tank)))
        .json(&body)
}

/// Records a movement; the tank's computed inventory after it.
async fn moved(app: &TestApp, t: &TestTenant, tank: &Value, what: &str, body: Value) -> f64 {
    let r = call(movement(app, t, tank, what, body), StatusCode::CREATED).await;
    r["tank"]["level"]["computed"].as_f64().expect("computed")
}

#[tokio::test]
async fn the_fuel_farm_keeps_inventory_and_shows_the_variance() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/units").json(
            &json!({"value": {"distance": "nm", "altitude": "ft", "weight": "kg", "fuel": "l"}}),
        ),
        StatusCode::OK,
    )
    .await;
    let tank = |name: &str, kind: &str, product: &str, capacity: f64, low: f64| {
        json!({"airport_code": "KTEB", "name": name, "kind": kind, "product": product,
               "capacity": capacity, "low_level": low})
    };
    let a = post(
        &app,
        &t,
        TANKS,
        tank("Tank 1", "storage", "jet_a", 50_000.0, 5_000.0),
    )
    .await;
    let truck = post(
        &app,
        &t,
        TANKS,
        tank("Truck 7", "truck", "jet_a", 3_000.0, 0.0),
    )
    .await;
    let avgas = post(
        &app,
        &t,
        TANKS,
        tank("Tank 2", "storage", "avgas_100ll", 20_000.0, 0.0),
    )
    .await;
    assert_eq!(
        (
            a["unit"].clone(),
            a["capacity"].clone(),
            a["level"]["computed"].clone(),
            a["level"]["low"].clone(),
            a["level"]["quality_check_due"].clone(),
            a["level"]["last_reading"].clone()
        ),
        (
            json!("l"),
            json!(50_000.0),
            json!(0.0),
            json!(true),
            json!(true),
            Value::Null
        )
    );
    problem(
        app.tenant_req(&t, Method::POST, TANKS)
            .json(&tank("Tank 3", "storage", "jet_a", 100.0, 200.0)),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Readings, deliveries, dispensing and transfers: last reading + in - out.
    let first = call(
        movement(
            &app,
            &t,
            &a,
            "readings",
            json!({"quantity": 10_000.0, "method": "dip"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["movement"]["kind"], "reading");
    assert_eq!(
        first["tank"]["level"]["last_reading"]["variance"],
        Value::Null
    );
    let receipt = json!({"quantity": 30_000.0, "lot_number": "L-2026-118", "supplier": "World Fuel",
                         "density_kg_m3": 803});
    assert_eq!(moved(&app, &t, &a, "receipts", receipt).await, 40_000.0);
    let p = problem(
        movement(
            &app,
            &t,
            &a,
            "receipts",
            json!({"quantity": 20_000.0, "lot_number": "L-9"}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        p["errors"][0]["message"],
        "is more than the tank's free capacity (10000 l)"
    );
    assert_eq!(
        moved(&app, &t, &a, "dispenses", json!({"quantity": 1_234.5})).await,
        38_765.5
    );
    assert_eq!(
        moved(
            &app,
            &t,
            &a,
            "transfers",
            json!({"to_tank_id": id(&truck), "quantity": 2_500.0})
        )
        .await,
        36_265.5
    );
    for (from, body, message) in [
        (
            &a,
            json!({"to_tank_id": id(&avgas), "quantity": 10.0}),
            "holds avgas_100ll, not jet_a",
        ),
        (
            &truck,
            json!({"to_tank_id": id(&a), "quantity": 3_000.0}),
            "is more than the tank holds (2500 l)",
        ),
        (
            &a,
            json!({"to_tank_id": id(&truck), "quantity": 600.0}),
            "is more than Truck 7's free capacity",
        ),
        (
            &a,
            json!({"to_tank_id": id(&a), "quantity": 1.0}),
            "must be another tank than this one",
        ),
    ] {
        let p = problem(
            movement(&app, &t, from, "transfers", body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["message"], message, "{p}");
    }
    // The gauge reads 65.5 l less than the records say.
    let read = call(
        movement(
            &app,
            &t,
            &a,
            "readings",
            json!({"quantity": 36_200.0, "method": "gauge"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let last = &read["tank"]["level"]["last_reading"];
    assert_eq!(
        (
            last["measured"].clone(),
            last["expected"].clone(),
            last["variance"].clone()
        ),
        (json!(36_200.0), json!(36_265.5), json!(-65.5))
    );
    let truck_now = call(
        app.tenant_req(&t, Method::GET, &format!("{TANKS}/{}", id(&truck))),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            truck_now["level"]["computed"].clone(),
            truck_now["level"]["ullage"].clone()
        ),
        (json!(2_500.0), json!(500.0))
    );
    let kinds: Vec<String> = call(
        app.tenant_req(&t, Method::GET, &format!("{TANKS}/{}/movements", id(&a))),
        StatusCode::OK,
    )
    .await["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["kind"].as_str().expect("kind").to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["reading", "transfer_out", "dispense", "receipt", "reading"]
    );

    // Low-level alerts and the daily quality check.
    let low = call(
        app.tenant_req(&t, Method::GET, &format!("{TANKS}?low=true")),
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = low["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|x| x["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Tank 2"]);
    problem(
        movement(
            &app,
            &t,
            &a,
            "quality-checks",
            json!({"kind": "water", "result": "fail"}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        movement(
            &app,
            &t,
            &a,
            "quality-checks",
            json!({"kind": "sump", "result": "pass"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    call(
        movement(
            &app,
            &t,
            &avgas,
            "quality-checks",
            json!({"kind": "water", "result": "fail", "notes": "Water in the sump sample"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let all = call(app.tenant_req(&t, Method::GET, TANKS), StatusCode::OK).await;
    let due: Vec<(String, bool)> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|x| {
            (
                x["name"].as_str().expect("name").to_owned(),
                x["level"]["quality_check_due"].as_bool().expect("due"),
            )
        })
        .collect();
    assert_eq!(
        due,
        [
            ("Tank 1".to_owned(), false),
            ("Tank 2".to_owned(), true),
            ("Truck 7".to_owned(), true)
        ]
    );

    // A capacity below the contents is refused; out of service, a tank takes nothing.
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("{TANKS}/{}", id(&a)))
            .json(&json!({"capacity": 30_000.0})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        app.tenant_req(&t, Method::PATCH, &format!("{TANKS}/{}", id(&avgas)))
            .json(&json!({"active": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        movement(
            &app,
            &t,
            &avgas,
            "receipts",
            json!({"quantity": 10.0, "lot_number": "X"}),
        ),
        StatusCode::CONFLICT,
        "tank-inactive",
    )
    .await;

    // Two dispenses racing for the last fuel of a truck: one is refused.
    let (r1, r2) = tokio::join!(
        movement(&app, &t, &truck, "dispenses", json!({"quantity": 1_500.0})).send(),
        movement(&app, &t, &truck, "dispenses", json!({"quantity": 1_500.0})).send(),
    );
    let mut codes = [
        r1.expect("send").status().as_u16(),
        r2.expect("send").status().as_u16(),
    ];
    codes.sort_unstable();
    assert_eq!(codes, [201, 422]);
    let actions = audit_actions(&app, &t, "fbo_fuel_tank").await;
    for action in [
        "fbo_fuel_tank.created",
        "fbo_fuel.reading",
        "fbo_fuel.receipt",
        "fbo_fuel.dispense",
        "fbo_fuel.transfer_out",
        "fbo_fuel.transfer_in",
        "fbo_fuel.quality_check",
        "fbo_fuel_tank.updated",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }

    // Gallons when the tenant has not set its fuel unit.
    let us = app.signup("fbo").await;
    let g = post(
        &app,
        &us,
        TANKS,
        tank("Farm 1", "storage", "jet_a", 12_000.0, 1_000.0),
    )
    .await;
    assert_eq!(
        (g["unit"].clone(), g["capacity"].clone()),
        (json!("gal"), json!(12_000.0))
    );
    assert_eq!(
        moved(
            &app,
            &us,
            &g,
            "receipts",
            json!({"quantity": 2_500.0, "lot_number": "A1"})
        )
        .await,
        2_500.0
    );

    // Permissions and other tenants.
    let (_, desk) = app.user_with_roles(&t, &["front_desk"]).await;
    let (_, fueler) = app.user_with_roles(&t, &["fueler"]).await;
    call(app.tenant_req(&desk, Method::GET, TANKS), StatusCode::OK).await;
    problem(
        movement(
            &app,
            &desk,
            &a,
            "readings",
            json!({"quantity": 1.0, "method": "dip"}),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&fueler, Method::POST, TANKS)
            .json(&tank("Tank 9", "storage", "jet_a", 1.0, 0.0)),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    call(
        movement(
            &app,
            &fueler,
            &a,
            "readings",
            json!({"quantity": 36_000.0, "method": "dip"}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let one = format!("{TANKS}/{}", id(&a));
    for (m, path, body) in [
        (Method::GET, one.clone(), json!({})),
        (Method::PATCH, one.clone(), json!({"name": "X"})),
        (Method::GET, format!("{one}/movements"), json!({})),
        (Method::GET, format!("{one}/quality-checks"), json!({})),
        (
            Method::POST,
            format!("{one}/readings"),
            json!({"quantity": 1.0, "method": "dip"}),
        ),
        (
            Method::POST,
            format!("{one}/receipts"),
            json!({"quantity": 1.0, "lot_number": "X"}),
        ),
        (
            Method::POST,
            format!("{one}/dispenses"),
            json!({"quantity": 1.0}),
        ),
        (
            Method::POST,
            format!("{one}/transfers"),
            json!({"to_tank_id": id(&g), "quantity": 1.0}),
        ),
        (
            Method::POST,
            format!("{one}/quality-checks"),
            json!({"kind": "sump", "result": "pass"}),
        ),
    ] {
        problem(
            app.tenant_req(&us, m, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // Their tank cannot fill ours.
    problem(
        movement(
            &app,
            &us,
            &g,
            "transfers",
            json!({"to_tank_id": id(&a), "quantity": 1.0}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}

const ORDERS: &str = "/api/v1/fbo/fuel-orders";
const TRAINING: &str = "/api/v1/fbo/training-records";

/// A Jet A truck at KTEB holding `gallons`.
async fn truck(app: &TestApp, t: &TestTenant, name: &str, gallons: f64) -> Value {
    let truck = post(
        app,
        t,
        TANKS,
        json!({"airport_code": "KTEB", "name": name, "kind": "truck", "product": "jet_a",
               "capacity": 3000.0, "low_level": 0.0}),
    )
    .await;
    moved(
        app,
        t,
        &truck,
        "receipts",
        json!({"quantity": gallons, "lot_number": "LOT-1"}),
    )
    .await;
    truck
}

fn order_req(
    app: &TestApp,
    t: &TestTenant,
    o: &Value,
    what: &str,
    body: Value,
) -> reqwest::RequestBuilder {
    app.tenant_req(t, Method::POST, &format!("{ORDERS}/{}/{what}", id(o)))
        .json(&body)
}

/// Fire safety and fuel handling training for `user`, completed on `on`.
async fn trained(app: &TestApp, t: &TestTenant, user: &str, on: &str) {
    for kind in ["fire_safety", "fuel_safety"] {
        post(
            app,
            t,
            TRAINING,
            json!({"user_id": user, "kind": kind, "completed_on": on, "provider": "NATA"}),
        )
        .await;
    }
}

async fn tank_level(app: &TestApp, t: &TestTenant, tank: &Value) -> f64 {
    let now = call(
        app.tenant_req(t, Method::GET, &format!("{TANKS}/{}", id(tank))),
        StatusCode::OK,
    )
    .await;
    now["level"]["computed"].as_f64().expect("computed")
}

#[tokio::test]
async fn fuel_orders_are_dispatched_to_trained_fuelers_fueled_from_the_truck_and_billed() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let truck7 = truck(&app, &t, "Truck 7", 2000.0).await;
    // A contract customer: Jet A at 6.00 a gallon for the tier, 6.50 for everyone else.
    let account = call(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/accounts")
            .json(&json!({"kind": "organization", "name": "Acme Jets", "price_tier": "contract"})),
        StatusCode::CREATED,
    )
    .await;
    let customer = post(
        &app,
        &t,
        "/api/v1/contacts",
        json!({"kind": "organization", "name": "Acme Jets", "roles": ["customer"],
               "finance_account_id": account["id"]}),
    )
    .await;
    for (code, tier, price) in [
        ("jet-a", None, 650),
        ("jet-a-contract", Some("contract"), 600),
    ] {
        post(
            &app,
            &t,
            "/api/v1/finance/prices",
            json!({"code": code, "name": "Jet A", "category": "fuel", "unit": "gallon",
                   "unit_price_minor": price, "currency": "USD", "fuel_product": "jet_a",
                   "price_tier": tier}),
        )
        .await;
    }
    // A fuel product only with a fuel price per volume.
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/prices")
            .json(
                &json!({"code": "gpu", "name": "GPU", "category": "handling", "unit": "hour",
                   "unit_price_minor": 5000, "fuel_product": "jet_a"}),
            ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let eta = (Utc::now() + Duration::hours(1)).trunc_subsecs(0);
    let etd = eta + Duration::hours(2);
    let f = post(
        &app,
        &t,
        FLIGHTS,
        json!({"airport_code": "KTEB", "tail_number": "N100AA", "eta": eta, "etd": etd,
               "customer_id": customer["id"], "services": ["fuel"]}),
    )
    .await;

    // Bad orders change nothing.
    for (body, field) in [
        (
            json!({"flight_id": f["id"], "product": "jet_a"}),
            "quantity",
        ),
        (
            json!({"flight_id": f["id"], "product": "jet_a", "quantity": 10.0, "top_off": true}),
            "quantity",
        ),
        (
            json!({"flight_id": uuid::Uuid::now_v7(), "product": "jet_a", "quantity": 10.0}),
            "flight_id",
        ),
        (
            json!({"flight_id": f["id"], "product": "jet_a", "quantity": 0.0}),
            "quantity",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, ORDERS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(p.to_string().contains(field), "{p}");
    }
    let order = post(
        &app,
        &t,
        ORDERS,
        json!({"flight_id": f["id"], "product": "jet_a", "quantity": 100.0, "notes": "left wing first"}),
    )
    .await;
    assert_eq!(
        (
            order["status"].clone(),
            order["unit"].clone(),
            order["quantity"].clone(),
            order["tail_number"].clone(),
        ),
        (
            json!("requested"),
            json!("gal"),
            json!(100.0),
            json!("N100AA")
        )
    );
    assert_eq!(
        at(order["requested_for"].as_str().expect("present")),
        eta,
        "default: the ETA"
    );

    // Assigning: line staff only, and only with current training (14 CFR 139.321(e)).
    let (fid, fueler) = app.user_with_roles(&t, &["fueler"]).await;
    let (other_fid, other_fueler) = app.user_with_roles(&t, &["fueler"]).await;
    let (desk_id, desk) = app.user_with_roles(&t, &["front_desk"]).await;
    let p = problem(
        order_req(&app, &t, &order, "assign", json!({"fueler_id": desk_id})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(p.to_string().contains("fueler_id"), "{p}");
    let p = problem(
        order_req(&app, &t, &order, "assign", json!({"fueler_id": fid})),
        StatusCode::CONFLICT,
        "fueler-training-lapsed",
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .expect("present")
            .contains("no fire safety training"),
        "{p}"
    );
    // Lapsed: fire safety of January 2024 counts through 31 January 2026.
    trained(&app, &t, &other_fid, "2024-01-15").await;
    let p = problem(
        order_req(&app, &t, &order, "assign", json!({"fueler_id": other_fid})),
        StatusCode::CONFLICT,
        "fueler-training-lapsed",
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .expect("present")
            .contains("lapsed on 2026-01-31"),
        "{p}"
    );
    // In `warn` the order is assigned and keeps the finding.
    let rule = call(
        app.tenant_req(&t, Method::PUT, "/api/v1/fbo/rules/fueler_training")
            .json(&json!({"mode": "warn"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(rule["regulation"], "14 CFR 139.321(e)");
    let warned = call(
        order_req(&app, &t, &order, "assign", json!({"fueler_id": other_fid})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(warned["status"], "assigned");
    assert_eq!(
        warned["assignment_warnings"].as_array().map(Vec::len),
        Some(1)
    );
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/fbo/rules/fueler_training")
            .json(&json!({"mode": "block"})),
        StatusCode::OK,
    )
    .await;
    // Training records: not in the future, expiry not before completion.
    for (body, field) in [
        (
            json!({"user_id": fid, "kind": "fire_safety", "completed_on": "2099-01-01"}),
            "completed_on",
        ),
        (
            json!({"user_id": fid, "kind": "fire_safety", "completed_on": "2026-01-01",
                   "expires_on": "2025-01-01"}),
            "expires_on",
        ),
        (
            json!({"user_id": uuid::Uuid::now_v7(), "kind": "towing", "completed_on": "2026-01-01"}),
            "user_id",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, TRAINING).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(p.to_string().contains(field), "{p}");
    }
    trained(&app, &t, &fid, "2026-06-01").await;
    let fuelers = call(
        app.tenant_req(&t, Method::GET, "/api/v1/fbo/fuelers"),
        StatusCode::OK,
    )
    .await;
    let state = |user: &str| {
        fuelers["items"]
            .as_array()
            .expect("present")
            .iter()
            .find(|x| x["user_id"] == user)
            .map(|x| x["training"].clone())
    };
    assert_eq!(state(&fid), Some(json!("met")));
    assert_eq!(state(&other_fid), Some(json!("failed")));
    assert_eq!(state(&desk_id), None, "the front desk does not fuel");
    let current = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{TRAINING}?user_id={other_fid}&current=false"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(current["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(current["items"][0]["valid_until"], "2026-01-31");
    let assigned = call(
        order_req(
            &app,
            &t,
            &order,
            "assign",
            json!({"fueler_id": fid, "truck_id": truck7["id"]}),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            assigned["fueler_id"].clone(),
            assigned["truck_id"].clone(),
            assigned["assignment_warnings"].clone()
        ),
        (json!(fid), truck7["id"].clone(), json!([]))
    );

    // Progress: the assigned fueler (or a line manager), forward only.
    problem(
        order_req(
            &app,
            &other_fueler,
            &order,
            "progress",
            json!({"status": "en_route"}),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        order_req(
            &app,
            &desk,
            &order,
            "progress",
            json!({"status": "en_route"}),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    call(
        order_req(
            &app,
            &fueler,
            &order,
            "progress",
            json!({"status": "en_route"}),
        ),
        StatusCode::OK,
    )
    .await;
    problem(
        order_req(
            &app,
            &fueler,
            &order,
            "progress",
            json!({"status": "en_route"}),
        ),
        StatusCode::CONFLICT,
        "invalid-transition",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("{ORDERS}/{}", id(&order)))
            .json(&json!({"quantity": 120.0})),
        StatusCode::CONFLICT,
        "fuel-order-started",
    )
    .await;
    let fueling = call(
        order_req(
            &app,
            &fueler,
            &order,
            "progress",
            json!({"status": "fueling", "meter_start": 1000.0}),
        ),
        StatusCode::OK,
    )
    .await;
    assert!(fueling["started_at"].is_string());
    // The meter and the quantity must agree; more than the truck holds is refused; neither
    // changes anything.
    problem(
        order_req(
            &app,
            &fueler,
            &order,
            "progress",
            json!({"status": "completed", "meter_stop": 1100.4, "quantity": 90.0}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        order_req(
            &app,
            &fueler,
            &order,
            "progress",
            json!({"status": "completed", "quantity": 2500.0}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(tank_level(&app, &t, &truck7).await, 2000.0);
    let done = call(
        order_req(
            &app,
            &fueler,
            &order,
            "progress",
            json!({"status": "completed", "meter_stop": 1100.4}),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            done["status"].clone(),
            done["delivered"].clone(),
            done["meter_start"].clone(),
            done["meter_stop"].clone(),
            done["unbilled_reason"].clone(),
        ),
        (
            json!("completed"),
            json!(100.4),
            json!(1000.0),
            json!(1100.4),
            Value::Null
        )
    );
    assert_eq!(tank_level(&app, &t, &truck7).await, 1899.6);
    let movements = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{TANKS}/{}/movements", id(&truck7)),
        ),
        StatusCode::OK,
    )
    .await;
    assert!(
        movements["items"]
            .as_array()
            .expect("present")
            .iter()
            .any(|m| m["id"] == done["movement_id"] && m["flight_id"] == f["id"]),
        "{movements}"
    );
    // The fuel sale, at the customer's tier: 100.4 gal at 6.00.
    let invoice = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!(
                "/api/v1/finance/invoices/{}",
                done["invoice_id"].as_str().expect("present")
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(invoice["status"], "draft");
    assert_eq!(invoice["account_id"], account["id"]);
    let line = &invoice["lines"][0];
    assert_eq!(
        (
            line["category"].clone(),
            line["unit"].clone(),
            line["quantity_milli"].clone(),
            line["unit_price_minor"].clone(),
            line["net_minor"].clone()
        ),
        (
            json!("fuel"),
            json!("gallon"),
            json!(100_400),
            json!(600),
            json!(60_240)
        )
    );
    for (m, path, body, code) in [
        (
            Method::PATCH,
            format!("{ORDERS}/{}", id(&order)),
            json!({"notes": "x"}),
            "fuel-order-closed",
        ),
        (
            Method::POST,
            format!("{ORDERS}/{}/cancel", id(&order)),
            json!({"reason": "x"}),
            "fuel-order-closed",
        ),
    ] {
        problem(
            app.tenant_req(&t, m, &path).json(&body),
            StatusCode::CONFLICT,
            code,
        )
        .await;
    }

    // A top-off for a flight without a customer: fueled by a line manager, not billed.
    let walk_in = flight(&app, &t, "N200BB", &eta.to_rfc3339(), &etd.to_rfc3339()).await;
    let top = post(
        &app,
        &t,
        ORDERS,
        json!({"flight_id": walk_in["id"], "product": "jet_a", "top_off": true}),
    )
    .await;
    assert_eq!(
        (top["top_off"].clone(), top["quantity"].clone()),
        (json!(true), Value::Null)
    );
    call(
        order_req(&app, &t, &top, "assign", json!({"fueler_id": fid})),
        StatusCode::OK,
    )
    .await;
    let p = problem(
        order_req(
            &app,
            &t,
            &top,
            "progress",
            json!({"status": "completed", "quantity": 50.0}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(p.to_string().contains("truck_id"), "{p}");
    let unbilled = call(
        order_req(
            &app,
            &t,
            &top,
            "progress",
            json!({"status": "completed", "quantity": 50.0, "truck_id": truck7["id"]}),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            unbilled["invoice_id"].clone(),
            unbilled["unbilled_reason"].clone()
        ),
        (Value::Null, json!("no_customer"))
    );
    assert_eq!(tank_level(&app, &t, &truck7).await, 1849.6);
    let third = post(
        &app,
        &t,
        ORDERS,
        json!({"flight_id": walk_in["id"], "product": "jet_a", "quantity": 30.0}),
    )
    .await;
    let cancelled = call(
        order_req(
            &app,
            &t,
            &third,
            "cancel",
            json!({"reason": "customer left"}),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");

    // The board carries each flight's fuel orders.
    let date = (eta - Duration::hours(5)).date_naive();
    let board_url = format!("/api/v1/fbo/board?airport=KTEB&date={date}");
    let board_now =
        async || call(app.tenant_req(&t, Method::GET, &board_url), StatusCode::OK).await;
    let fuel_in = async |unit: &str| {
        call(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/units").json(
                &json!({"value": {"distance": "nm", "altitude": "ft", "weight": "kg", "fuel": unit}}),
            ),
            StatusCode::OK,
        )
        .await
    };
    let board = board_now().await;
    let on_board: Vec<(String, usize)> = board["arrivals"]
        .as_array()
        .expect("present")
        .iter()
        .map(|f| {
            (
                f["tail_number"].as_str().expect("present").to_owned(),
                f["fuel_orders"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert!(on_board.contains(&("N100AA".into(), 1)), "{on_board:?}");
    assert!(on_board.contains(&("N200BB".into(), 2)), "{on_board:?}");
    // In the tenant's fuel unit, which the board reads in its orders' statement.
    let ordered = |board: &Value| -> Vec<(String, String, f64)> {
        board["arrivals"]
            .as_array()
            .expect("present")
            .iter()
            .flat_map(|f| f["fuel_orders"].as_array().cloned().unwrap_or_default())
            .filter_map(|o| {
                Some((
                    o["id"].as_str()?.to_owned(),
                    o["unit"].as_str()?.to_owned(),
                    o["quantity"].as_f64()?,
                ))
            })
            .collect()
    };
    let in_gallons = ordered(&board);
    assert!(!in_gallons.is_empty() && in_gallons.iter().all(|o| o.1 == "gal"));
    fuel_in("l").await;
    let in_litres = ordered(&board_now().await);
    assert_eq!(in_litres.len(), in_gallons.len());
    for (gal, l) in in_gallons.iter().zip(&in_litres) {
        assert_eq!((&gal.0, l.1.as_str()), (&l.0, "l"));
        assert!((gal.2 * 3.785_411_784 - l.2).abs() < 0.1, "{gal:?} {l:?}");
    }
    fuel_in("gal").await;
    let active = call(
        app.tenant_req(&t, Method::GET, &format!("{ORDERS}?active=true")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(active["items"].as_array().map(Vec::len), Some(0));
    let mine = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{ORDERS}?fueler_id={fid}&status=completed"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2));
    let actions = audit_actions(&app, &t, "fbo_fuel_order").await;
    for a in ["created", "assigned", "progress", "completed", "cancelled"] {
        assert!(
            actions.contains(&format!("fbo_fuel_order.{a}")),
            "{actions:?}"
        );
    }

    // Permissions and other tenants.
    let open = post(
        &app,
        &t,
        ORDERS,
        json!({"flight_id": walk_in["id"], "product": "jet_a", "quantity": 10.0}),
    )
    .await;
    let one = format!("{ORDERS}/{}", id(&open));
    problem(
        app.tenant_req(&fueler, Method::POST, ORDERS)
            .json(&json!({"flight_id": walk_in["id"], "product": "jet_a", "quantity": 1.0})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    for (who, m, path, body) in [
        (
            &desk,
            Method::POST,
            format!("{one}/assign"),
            json!({"fueler_id": fid}),
        ),
        (
            &fueler,
            Method::PATCH,
            one.clone(),
            json!({"quantity": 2.0}),
        ),
        (
            &fueler,
            Method::POST,
            format!("{one}/cancel"),
            json!({"reason": "x"}),
        ),
        (
            &fueler,
            Method::POST,
            TRAINING.to_owned(),
            json!({"user_id": fid, "kind": "towing", "completed_on": "2026-01-01"}),
        ),
        (
            &desk,
            Method::PUT,
            "/api/v1/fbo/rules/fueler_training".to_owned(),
            json!({"mode": "off"}),
        ),
    ] {
        problem(
            app.tenant_req(who, m, &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let other = app.signup("fbo").await;
    for (m, path, body) in [
        (Method::GET, one.clone(), json!({})),
        (Method::PATCH, one.clone(), json!({"quantity": 2.0})),
        (
            Method::POST,
            format!("{one}/assign"),
            json!({"fueler_id": fid}),
        ),
        (
            Method::POST,
            format!("{one}/progress"),
            json!({"status": "en_route"}),
        ),
        (
            Method::POST,
            format!("{one}/cancel"),
            json!({"reason": "x"}),
        ),
        (
            Method::PUT,
            "/api/v1/fbo/rules/nope".to_owned(),
            json!({"mode": "off"}),
        ),
    ] {
        problem(
            app.tenant_req(&other, m, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    problem(
        app.tenant_req(&other, Method::POST, ORDERS)
            .json(&json!({"flight_id": walk_in["id"], "product": "jet_a", "quantity": 1.0})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let theirs = call(app.tenant_req(&other, Method::GET, ORDERS), StatusCode::OK).await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    let theirs = call(
        app.tenant_req(&other, Method::GET, TRAINING),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    // A training record entered by mistake: removed by a line manager only, audited.
    let wrong = post(
        &app,
        &t,
        TRAINING,
        json!({"user_id": fid, "kind": "marshalling", "completed_on": "2026-03-01"}),
    )
    .await;
    let wrong_path = format!("{TRAINING}/{}", id(&wrong));
    problem(
        app.tenant_req(&fueler, Method::DELETE, &wrong_path),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&other, Method::DELETE, &wrong_path),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(&t, Method::DELETE, &wrong_path),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, &wrong_path),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let actions = audit_actions(&app, &t, "fbo_training_record").await;
    assert!(
        actions.contains(&"fbo_training.deleted".to_owned()),
        "{actions:?}"
    );
    // Our fueler is no user of theirs.
    let (_, their_admin_fueler) = (0, &other);
    let p = problem(
        app.tenant_req(their_admin_fueler, Method::POST, TRAINING)
            .json(&json!({"user_id": fid, "kind": "towing", "completed_on": "2026-01-01"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(p.to_string().contains("user_id"), "{p}");
}

/// A Server-Sent Events stream read by hand: events split on blank lines.
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(app: &TestApp, t: &TestTenant, last: Option<i64>) -> Sse {
        let mut rb = app.tenant_req(t, Method::GET, "/api/v1/fbo/events");
        if let Some(l) = last {
            rb = rb.header("Last-Event-ID", l.to_string());
        }
        let resp = rb.send().await.expect("send");
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .expect("present")
                .starts_with("text/event-stream")
        );
        Sse {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (id, type, data) within `within`, skipping comments; `None` if none came.
    async fn next(&mut self, within: std::time::Duration) -> Option<(i64, String, Value)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(id) = id {
                    return Some((id, kind, serde_json::from_str(&data).expect("json")));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

#[tokio::test]
async fn the_live_feed_streams_one_tenants_fuel_orders_and_resumes_after_the_last_event_id() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let other = app.signup("fbo").await;
    let second = std::time::Duration::from_secs(1);
    let mut ours = Sse::open(&app, &t, None).await;
    let mut theirs = Sse::open(&app, &other, None).await;
    let f = flight(
        &app,
        &t,
        "N300CC",
        "2027-05-01T10:00:00Z",
        "2027-05-01T12:00:00Z",
    )
    .await;
    let order = post(
        &app,
        &t,
        ORDERS,
        json!({"flight_id": f["id"], "product": "jet_a", "quantity": 80.0}),
    )
    .await;
    let (first, kind, data) = ours.next(5 * second).await.expect("the created event");
    assert_eq!(kind, "fuel_order_created");
    assert_eq!(
        (data["id"].clone(), data["fuel_order"]["id"].clone()),
        (json!(first), order["id"].clone())
    );
    assert!(
        theirs.next(second).await.is_none(),
        "another tenant's stream sees nothing"
    );

    // Disconnected, two changes happen; reconnecting after `first` replays them in order, then
    // follows live ones, each once.
    drop(ours);
    call(
        app.tenant_req(&t, Method::PATCH, &format!("{ORDERS}/{}", id(&order)))
            .json(&json!({"quantity": 90.0})),
        StatusCode::OK,
    )
    .await;
    call(
        order_req(&app, &t, &order, "cancel", json!({"reason": "weather"})),
        StatusCode::OK,
    )
    .await;
    let mut again = Sse::open(&app, &t, Some(first)).await;
    let (a, kind_a, data_a) = again.next(5 * second).await.expect("replayed update");
    let (b, kind_b, _) = again.next(5 * second).await.expect("replayed cancel");
    assert_eq!(
        (kind_a.as_str(), kind_b.as_str()),
        ("fuel_order_updated", "fuel_order_cancelled")
    );
    assert!(first < a && a < b, "{first} {a} {b}");
    assert_eq!(data_a["fuel_order"]["quantity"], 90.0);
    post(
        &app,
        &t,
        ORDERS,
        json!({"flight_id": f["id"], "product": "jet_a", "top_off": true}),
    )
    .await;
    let (c, kind_c, _) = again.next(5 * second).await.expect("live after the replay");
    assert_eq!((kind_c.as_str(), c > b), ("fuel_order_created", true));
    assert!(again.next(second).await.is_none(), "nothing twice");
    assert!(
        theirs
            .next(std::time::Duration::from_millis(200))
            .await
            .is_none()
    );

    // Permission and module.
    let role = call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "Auditor", "permissions": ["audit.read"]})),
        StatusCode::CREATED,
    )
    .await;
    let _ = role;
    let (_, auditor) = app.user_with_roles(&t, &["Auditor"]).await;
    // Without `fbo.read` nothing of the FBO is readable.
    for path in [
        "/api/v1/fbo/events",
        ORDERS,
        TRAINING,
        "/api/v1/fbo/fuelers",
        "/api/v1/fbo/rules",
        "/api/v1/fbo/equipment",
        "/api/v1/fbo/line-tasks",
        FLIGHTS,
        TANKS,
    ] {
        problem(
            app.tenant_req(&auditor, Method::GET, path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let school = app.signup("flight_school").await;
    problem(
        app.tenant_req(&school, Method::GET, "/api/v1/fbo/events"),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
}

const EQUIPMENT: &str = "/api/v1/fbo/equipment";
const TASKS: &str = "/api/v1/fbo/line-tasks";

#[tokio::test]
async fn ground_equipment_serves_the_line_schedule_one_task_at_a_time() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let eq = |name: &str, kind: &str, extra: Value| {
        let mut body = json!({"airport_code": "TEB", "name": name, "kind": kind, "hours": 480.0});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let tug = post(
        &app,
        &t,
        EQUIPMENT,
        eq("Tug 1", "tug", json!({"maintenance_due_hours": 500.0})),
    )
    .await;
    assert_eq!(
        (
            tug["airport_code"].clone(),
            tug["maintenance_due"].clone(),
            tug["maintenance_due_soon"].clone(),
            tug["available"].clone()
        ),
        (json!("KTEB"), json!(false), json!(false), json!(true))
    );
    let gpu = post(
        &app,
        &t,
        EQUIPMENT,
        eq("GPU 1", "gpu", json!({"maintenance_due_on": "2020-01-01"})),
    )
    .await;
    assert_eq!(
        (gpu["maintenance_due"].clone(), gpu["available"].clone()),
        (json!(true), json!(false))
    );
    problem(
        app.tenant_req(&t, Method::POST, EQUIPMENT)
            .json(&eq("Tug 1", "tug", json!({}))),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let due = call(
        app.tenant_req(&t, Method::GET, &format!("{EQUIPMENT}?due=true")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(due["items"].as_array().map(Vec::len), Some(1));
    // The hour meter only goes up; out of service needs a reason.
    let tug_path = format!("{EQUIPMENT}/{}", id(&tug));
    let p = problem(
        app.tenant_req(&t, Method::PATCH, &tug_path)
            .json(&json!({"hours": 470.0})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(p.to_string().contains("current reading (480)"), "{p}");
    problem(
        app.tenant_req(&t, Method::PATCH, &tug_path)
            .json(&json!({"in_service": false})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let soon = call(
        app.tenant_req(&t, Method::PATCH, &tug_path)
            .json(&json!({"hours": 492.5})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            soon["maintenance_due_soon"].clone(),
            soon["available"].clone()
        ),
        (json!(true), json!(true))
    );
    // Maintenance on the GPU: next due after it, recorded and listed.
    let gpu_path = format!("{EQUIPMENT}/{}", id(&gpu));
    problem(
        app.tenant_req(&t, Method::POST, &format!("{gpu_path}/maintenance"))
            .json(&json!({"done_on": "2026-12-01", "description": "Service", "next_due_on": "2026-11-01"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        app.tenant_req(&t, Method::POST, &format!("{gpu_path}/maintenance"))
            .json(
                &json!({"done_on": "2026-12-01", "hours": 490.0, "description": "Annual service",
                   "next_due_on": "2099-12-01"}),
            ),
        StatusCode::CREATED,
    )
    .await;
    let gpu = call(app.tenant_req(&t, Method::GET, &gpu_path), StatusCode::OK).await;
    assert_eq!(
        (
            gpu["maintenance_due"].clone(),
            gpu["available"].clone(),
            gpu["hours"].clone()
        ),
        (json!(false), json!(true), json!(490.0))
    );
    let log = call(
        app.tenant_req(&t, Method::GET, &format!("{gpu_path}/maintenance")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(log["items"][0]["description"], "Annual service");

    // The line schedule.
    let f = flight(
        &app,
        &t,
        "N500EE",
        "2027-05-01T10:00:00Z",
        "2027-05-01T14:00:00Z",
    )
    .await;
    let g = flight(
        &app,
        &t,
        "N600FF",
        "2027-05-01T10:30:00Z",
        "2027-05-01T15:00:00Z",
    )
    .await;
    let gate = post(
        &app,
        &t,
        LOCATIONS,
        json!({"airport_code": "KTEB", "location_code": "GATE-1", "name": "Gate 1", "kind": "gate"}),
    )
    .await;
    let (line_id, line) = app.user_with_roles(&t, &["fueler"]).await;
    let (_, other_line) = app.user_with_roles(&t, &["fueler"]).await;
    let (desk_id, desk) = app.user_with_roles(&t, &["front_desk"]).await;
    let task = |flight: &Value, kind: &str, equipment: &Value| {
        json!({"flight_id": flight["id"], "kind": kind, "scheduled_for": "2027-05-01T10:15:00Z",
               "location_id": gate["id"], "equipment_id": equipment["id"], "assignee_id": line_id})
    };
    // What a task names must fit it, and nothing is stored otherwise.
    for (body, field) in [
        (task(&f, "gpu", &tug), "equipment_id"),
        (
            json!({"flight_id": f["id"], "kind": "tow", "assignee_id": desk_id}),
            "assignee_id",
        ),
        (
            json!({"flight_id": f["id"], "kind": "tow", "location_id": uuid::Uuid::now_v7()}),
            "location_id",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, TASKS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert!(p.to_string().contains(field), "{p}");
    }
    let tow = post(&app, &t, TASKS, task(&f, "tow", &tug)).await;
    assert_eq!(
        (
            tow["status"].clone(),
            tow["equipment_name"].clone(),
            tow["location_code"].clone()
        ),
        (json!("scheduled"), json!("Tug 1"), json!("GATE-1"))
    );
    let second = post(&app, &t, TASKS, task(&g, "hangar_move", &tug)).await;
    let power = post(&app, &t, TASKS, task(&f, "gpu", &gpu)).await;
    let step = |task: &Value, status: &str| {
        app.tenant_req(
            &line,
            Method::POST,
            &format!("{TASKS}/{}/progress", id(task)),
        )
        .json(&json!({"status": status}))
    };
    problem(
        app.tenant_req(
            &other_line,
            Method::POST,
            &format!("{TASKS}/{}/progress", id(&tow)),
        )
        .json(&json!({"status": "in_progress"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let started = call(step(&tow, "in_progress"), StatusCode::OK).await;
    assert!(started["started_at"].is_string());
    // One tug, one task at a time; the database refuses a second one however requests race.
    let p = problem(
        step(&second, "in_progress"),
        StatusCode::CONFLICT,
        "equipment-busy",
    )
    .await;
    assert!(
        p["detail"].as_str().expect("detail").contains(&id(&tow)),
        "{p}"
    );
    let tug_now = call(app.tenant_req(&t, Method::GET, &tug_path), StatusCode::OK).await;
    assert_eq!(tug_now["in_use_by_task_id"], tow["id"]);
    problem(
        app.tenant_req(&t, Method::PATCH, &tug_path)
            .json(&json!({"in_service": false, "out_of_service_reason": "hydraulic leak"})),
        StatusCode::CONFLICT,
        "equipment-in-use",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::PATCH, &format!("{TASKS}/{}", id(&tow)))
            .json(&json!({"notes": "x"})),
        StatusCode::CONFLICT,
        "line-task-started",
    )
    .await;
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let refused = sqlx::query(
        "update fbo_line_tasks set status = 'in_progress', started_at = now() where id = $1",
    )
    .bind(uuid::Uuid::parse_str(&id(&second)).expect("uuid"))
    .execute(&mut *tx)
    .await;
    assert!(
        matches!(&refused, Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("23505")),
        "{refused:?}"
    );
    drop(tx);
    let done = call(step(&tow, "done"), StatusCode::OK).await;
    assert_eq!(done["status"], "done");
    problem(
        step(&tow, "in_progress"),
        StatusCode::CONFLICT,
        "line-task-closed",
    )
    .await;
    call(step(&second, "in_progress"), StatusCode::OK).await;
    // Equipment out of service cannot start a task.
    call(
        app.tenant_req(&t, Method::PATCH, &gpu_path)
            .json(&json!({"in_service": false, "out_of_service_reason": "cable damaged"})),
        StatusCode::OK,
    )
    .await;
    problem(
        step(&power, "in_progress"),
        StatusCode::CONFLICT,
        "equipment-unavailable",
    )
    .await;
    let cancelled = call(
        app.tenant_req(
            &desk,
            Method::POST,
            &format!("{TASKS}/{}/cancel", id(&power)),
        )
        .json(&json!({"reason": "customer declined"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    // The board and the flight carry their tasks; the list filters.
    let board = call(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/fbo/board?airport=KTEB&date=2027-05-01",
        ),
        StatusCode::OK,
    )
    .await;
    let tasks_of = |tail: &str| {
        board["arrivals"]
            .as_array()
            .expect("arrivals")
            .iter()
            .find(|x| x["tail_number"] == tail)
            .and_then(|x| x["line_tasks"].as_array().map(Vec::len))
    };
    assert_eq!((tasks_of("N500EE"), tasks_of("N600FF")), (Some(2), Some(1)));
    // Landing and leaving that day, a flight is on both halves, each with its tasks.
    let leaving = board["departures"]
        .as_array()
        .expect("departures")
        .iter()
        .find(|x| x["tail_number"] == "N500EE")
        .and_then(|x| x["line_tasks"].as_array().map(Vec::len));
    assert_eq!(leaving, Some(2));
    let active = call(
        app.tenant_req(&t, Method::GET, &format!("{TASKS}?active=true")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(active["items"].as_array().map(Vec::len), Some(1));
    let actions = audit_actions(&app, &t, "fbo_line_task").await;
    for a in ["created", "started", "done", "cancelled"] {
        assert!(
            actions.contains(&format!("fbo_line_task.{a}")),
            "{actions:?}"
        );
    }
    assert!(
        audit_actions(&app, &t, "fbo_equipment")
            .await
            .contains(&"fbo_equipment.maintained".to_owned())
    );

    // Permissions and other tenants.
    for (who, m, path, body) in [
        (
            &desk,
            Method::POST,
            EQUIPMENT.to_owned(),
            eq("Tug 9", "tug", json!({})),
        ),
        (
            &line,
            Method::PATCH,
            tug_path.clone(),
            json!({"notes": "x"}),
        ),
        (
            &line,
            Method::POST,
            format!("{gpu_path}/maintenance"),
            json!({"done_on": "2026-12-01", "description": "x"}),
        ),
        (&line, Method::POST, TASKS.to_owned(), task(&g, "tow", &tug)),
        (
            &desk,
            Method::POST,
            format!("{TASKS}/{}/progress", id(&second)),
            json!({"status": "done"}),
        ),
        (
            &line,
            Method::POST,
            format!("{TASKS}/{}/cancel", id(&second)),
            json!({"reason": "x"}),
        ),
    ] {
        problem(
            app.tenant_req(who, m, &path).json(&body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let other = app.signup("fbo").await;
    let task_path = format!("{TASKS}/{}", id(&second));
    for (m, path, body) in [
        (Method::GET, tug_path.clone(), json!({})),
        (Method::PATCH, tug_path.clone(), json!({"notes": "x"})),
        (Method::GET, format!("{gpu_path}/maintenance"), json!({})),
        (
            Method::POST,
            format!("{gpu_path}/maintenance"),
            json!({"done_on": "2026-12-01", "description": "x"}),
        ),
        (Method::GET, task_path.clone(), json!({})),
        (Method::PATCH, task_path.clone(), json!({"notes": "x"})),
        (
            Method::POST,
            format!("{task_path}/progress"),
            json!({"status": "done"}),
        ),
        (
            Method::POST,
            format!("{task_path}/cancel"),
            json!({"reason": "x"}),
        ),
    ] {
        problem(
            app.tenant_req(&other, m, &path).json(&body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let p = problem(
        app.tenant_req(&other, Method::POST, TASKS)
            .json(&json!({"flight_id": f["id"], "kind": "tow"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(p.to_string().contains("flight_id"), "{p}");
    for path in [EQUIPMENT, TASKS] {
        let theirs = call(app.tenant_req(&other, Method::GET, path), StatusCode::OK).await;
        assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    }
}
