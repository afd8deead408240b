//! Weather (docs/airports.md, "Weather"): METAR and TAF fetched in the background from a
//! local fake of the aviationweather.gov Data API, decoded into flight categories; the fake
//! failing, hanging and gone (the last good data kept and marked, never a 500 from us); no
//! provider configured; permissions, the flag, unknown codes, landing sites.
//!
//! The tests with a provider run on a database of their own: the weather table is shared by
//! every tenant and every service on a database, so a provider of one test would otherwise
//! fetch (and fail) the stations another test asked for.

use std::time::Duration;

use chrono::{Duration as Span, Utc};
use figment::Figment;
use figment::providers::Serialized;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, call, problem};
use crate::weather_fake::{Mode, WeatherFake};

const AIRPORTS: &str = "/api/v1/airports";

fn provider(url: &str, refresh_seconds: u64, timeout_seconds: u64) -> Figment {
    Figment::new()
        .merge(Serialized::default("weather.provider_url", url))
        .merge(Serialized::default(
            "weather.refresh_seconds",
            refresh_seconds,
        ))
        .merge(Serialized::default(
            "weather.timeout_seconds",
            timeout_seconds,
        ))
}

/// `GET .../{code}/weather` until `done` holds for the answer (30 s at most).
async fn weather_until(
    app: &TestApp,
    t: &TestTenant,
    code: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let w = call(
            app.tenant_req(t, Method::GET, &format!("{AIRPORTS}/{code}/weather")),
            StatusCode::OK,
        )
        .await;
        if done(&w) {
            return w;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "weather at {code} never got there: {w}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn without_a_provider_weather_is_unavailable_and_the_routes_are_guarded() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let other = app.signup("charter_operator").await;
    let w = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/jfk/weather")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(w["code"], "KJFK");
    assert_eq!(w["station"], "KJFK");
    assert_eq!(w["station_source"], "own");
    assert_eq!(w["available"], false);
    assert_eq!(w["reason"], "not_configured");
    assert!(w["metar"].is_null() && w["taf"].is_null() && w["fetched_at"].is_null());
    assert_eq!(w["stale"], false);

    // Several at once, in the order asked, duplicates once.
    let list = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}/weather?codes=lhr,KJFK,EGLL"),
        ),
        StatusCode::OK,
    )
    .await;
    let codes: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["EGLL", "KJFK"]);

    // A landing site has no reports: the nearest airport with scheduled service stands in.
    call(
        app.tenant_req(&t, Method::POST, &format!("{AIRPORTS}/sites"))
            .json(&json!({
            "code": "XUSZ", "name": "USZ helipad", "kind": "hospital_helipad",
            "latitude": 47.3769, "longitude": 8.5509, "time_zone": "Europe/Zurich"})),
        StatusCode::CREATED,
    )
    .await;
    let site = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/XUSZ/weather")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(site["station"], "LSZH");
    assert_eq!(site["station_source"], "nearest");
    assert!(site["station_distance_nm"].as_f64().expect("nm") < 10.0);
    assert_eq!(site["reason"], "not_configured");
    // Far from any airport with scheduled service: no station at all.
    call(
        app.tenant_req(&t, Method::POST, &format!("{AIRPORTS}/sites"))
            .json(&json!({
            "code": "XMID", "name": "Mid-Atlantic platform", "kind": "heliport",
            "latitude": 40.0, "longitude": -40.0, "time_zone": "UTC"})),
        StatusCode::CREATED,
    )
    .await;
    let nowhere = call(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/XMID/weather")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(nowhere["station_source"], "none");
    assert!(nowhere["station"].is_null());

    // Unknown codes: 404 for one, 422 naming it among several; malformed lists 422.
    problem(
        app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/QQQQ/weather")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let bad = problem(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}/weather?codes=KJFK,QQQQ"),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "codes");
    assert!(
        bad["errors"][0]["message"]
            .as_str()
            .expect("message")
            .ends_with("QQQQ")
    );
    for q in ["codes=", "codes=KJFK,,EGLL", "codes=KJFK%20EGLL", "x=1"] {
        problem(
            app.tenant_req(&t, Method::GET, &format!("{AIRPORTS}/weather?{q}")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
    }
    let too_many = vec!["KJFK"; 21].join(",");
    problem(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}/weather?codes={too_many}"),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Another organisation's landing site is no place of this one.
    problem(
        app.tenant_req(&other, Method::GET, &format!("{AIRPORTS}/XUSZ/weather")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(
            &other,
            Method::GET,
            &format!("{AIRPORTS}/weather?codes=XUSZ"),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Without airports.read: 403 on both routes.
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/users/roles")
            .json(&json!({"name": "Nobody", "permissions": []})),
        StatusCode::CREATED,
    )
    .await;
    let (_, nobody) = app.user_with_roles(&t, &["Nobody"]).await;
    for path in [
        format!("{AIRPORTS}/KJFK/weather"),
        format!("{AIRPORTS}/weather?codes=KJFK"),
    ] {
        problem(
            app.tenant_req(&nobody, Method::GET, &path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // A pilot reads it.
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    call(
        app.tenant_req(&pilot, Method::GET, &format!("{AIRPORTS}/KJFK/weather")),
        StatusCode::OK,
    )
    .await;

    // The module off: the routes are gone.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/airports")
            .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    for path in [
        format!("{AIRPORTS}/KJFK/weather"),
        format!("{AIRPORTS}/weather?codes=KJFK"),
    ] {
        problem(
            app.tenant_req(&t, Method::GET, &path),
            StatusCode::NOT_FOUND,
            "feature-disabled",
        )
        .await;
    }
}

#[tokio::test]
async fn reports_are_fetched_decoded_and_shared_by_every_tenant() {
    let fake = WeatherFake::start().await;
    fake.metar(
        "KJFK",
        Span::minutes(9),
        "31012G22KT 10SM FEW050 BKN250 M02/M09 A3012",
    );
    fake.taf("KJFK", "31012KT P6SM SCT050", "30010KT 3SM BR OVC008");
    fake.metar(
        "KBOS",
        Span::minutes(12),
        "05015KT 1 1/2SM -SN BR OVC007 M01/M02 A2990",
    );
    fake.metar(
        "KSFO",
        Span::minutes(20),
        "00000KT 1/4SM FG VV001 09/09 A3001",
    );
    fake.metar(
        "EGLL",
        Span::minutes(5),
        "24008KT 9999 -RA FEW010 BKN020 15/13 Q1006 TEMPO 3000",
    );
    fake.taf("EGLL", "24010KT 9999 BKN035", "27015G28KT 4000 RA BKN012");
    // Three hours old: shown, but stale.
    fake.metar("KORD", Span::hours(3), "27010KT 5SM BR OVC030 01/01 A3000");
    let app = TestApp::spawn_own_db("weather_fetch", provider(&fake.base, 600, 5)).await;
    let t = app.signup("charter_operator").await;
    let school = app.signup("flight_school").await;

    // Asked once: the background refresh fetches every station named, in one request each.
    let first = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}/weather?codes=KJFK,BOS,KSFO,LHR,ORD,00M"),
        ),
        StatusCode::OK,
    )
    .await;
    for item in first["items"].as_array().expect("items") {
        assert!(
            item["available"] == true || item["reason"] == "pending",
            "{item}"
        );
    }
    let jfk = weather_until(&app, &t, "KJFK", |w| w["available"] == true).await;
    let metars = fake.requests("metar");
    assert_eq!(metars[0], "EGLL,K00M,KBOS,KJFK,KORD,KSFO", "{metars:?}");
    assert_eq!(fake.requests("taf")[0], metars[0]);

    assert_eq!(jfk["station_source"], "own");
    assert_eq!(jfk["stale"], false);
    assert!(jfk["refresh_failed_at"].is_null() && jfk["reason"].is_null());
    assert!(jfk["fetched_at"].is_string());
    let m = &jfk["metar"];
    assert!(m["raw"].as_str().expect("raw").starts_with("METAR KJFK "));
    assert_eq!(m["category"], "VFR");
    assert_eq!(m["ceiling_ft"], 25_000);
    assert_eq!(m["visibility_sm"], 10.0);
    assert_eq!(m["visibility_qualifier"], "exact");
    assert_eq!(m["wind_direction_deg"], 310);
    assert_eq!(m["wind_speed_kt"], 12);
    assert_eq!(m["wind_gust_kt"], 22);
    assert_eq!(m["temperature_c"], -2);
    assert_eq!(m["dewpoint_c"], -9);
    assert_eq!(m["altimeter_hpa"], 1020.0);
    assert_eq!(m["stale"], false);
    let taf = &jfk["taf"];
    assert!(taf["raw"].as_str().expect("raw").starts_with("TAF KJFK "));
    assert_eq!(taf["worst_category"], "IFR");
    assert_eq!(taf["stale"], false);
    let periods = taf["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 2);
    assert_eq!(
        (&periods[0]["change"], &periods[0]["category"]),
        (&json!("base"), &json!("VFR"))
    );
    assert_eq!(
        (&periods[1]["change"], &periods[1]["category"]),
        (&json!("from"), &json!("IFR"))
    );
    assert_eq!(periods[1]["ceiling_ft"], 800);
    assert_eq!(periods[0]["to"], periods[1]["from"]);
    assert_eq!(taf["valid_to"], periods[1]["to"]);

    // Every category, from the raw text.
    let all = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}/weather?codes=KBOS,KSFO,EGLL,KORD,K00M"),
        ),
        StatusCode::OK,
    )
    .await;
    let items = all["items"].as_array().expect("items");
    assert_eq!(items[0]["metar"]["category"], "IFR");
    assert_eq!(items[0]["metar"]["visibility_sm"], 1.5);
    assert_eq!(items[0]["metar"]["ceiling_ft"], 700);
    assert!(items[0]["taf"].is_null(), "no TAF held for KBOS");
    assert_eq!(items[1]["metar"]["category"], "LIFR");
    assert_eq!(items[1]["metar"]["ceiling_ft"], 100);
    assert_eq!(items[1]["metar"]["visibility_qualifier"], "exact");
    let egll = &items[2];
    assert_eq!(
        egll["metar"]["category"], "MVFR",
        "BKN020; the TEMPO is a trend"
    );
    assert_eq!(egll["metar"]["visibility_qualifier"], "or_more");
    assert_eq!(egll["metar"]["altimeter_hpa"], 1006.0);
    assert_eq!(egll["taf"]["worst_category"], "IFR"); // 4000 m is 2.49 SM
    // Old: shown and marked.
    let ord = &items[3];
    assert_eq!(ord["available"], true);
    assert_eq!(ord["metar"]["category"], "MVFR");
    assert_eq!(ord["metar"]["stale"], true);
    assert_eq!(ord["stale"], true);
    // The provider has nothing for Thigpen Field.
    let thigpen = &items[4];
    assert_eq!(thigpen["code"], "K00M");
    assert_eq!(thigpen["available"], false);
    assert_eq!(thigpen["reason"], "no_report");
    assert!(thigpen["fetched_at"].is_string());

    // The same stored reports for another organisation: nothing fetched again.
    let before = fake.requests("metar").len();
    let theirs = call(
        app.tenant_req(&school, Method::GET, &format!("{AIRPORTS}/KJFK/weather")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["metar"], jfk["metar"]);
    assert_eq!(fake.requests("metar").len(), before);

    // Another domain wants a station for an upcoming trip: fetched without anyone asking
    // over the API.
    fake.metar(
        "KLAX",
        Span::minutes(3),
        "25008KT 6SM HZ SCT012 OVC025 14/12 A2995",
    );
    flightline::domains::airports::service::want_weather(
        &app.state.settings,
        &["klax"],
        Utc::now() + Span::hours(12),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !fake.requests("metar").iter().any(|ids| ids == "KLAX") {
        assert!(tokio::time::Instant::now() < deadline, "KLAX never fetched");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lax = weather_until(&app, &t, "KLAX", |w| w["available"] == true).await;
    assert_eq!(lax["metar"]["category"], "MVFR");
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    let (until, category): (chrono::DateTime<Utc>, Option<String>) = sqlx::query_as(
        "select wanted_until, metar_category from reference.weather where station = 'KLAX'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("row");
    assert!(
        until > Utc::now() + Span::hours(11),
        "the trip's end, not six hours"
    );
    assert_eq!(category.as_deref(), Some("MVFR"));
}

#[tokio::test]
async fn a_failing_provider_keeps_the_last_good_data_and_says_so() {
    let fake = WeatherFake::start().await;
    fake.metar(
        "KJFK",
        Span::minutes(9),
        "31012KT 10SM FEW050 M02/M09 A3012",
    );
    fake.taf("KJFK", "31012KT P6SM SCT050", "30010KT P6SM BKN040");
    // Refresh every second; a request bound of one second.
    let app = TestApp::spawn_own_db("weather_down", provider(&fake.base, 1, 1)).await;
    let t = app.signup("charter_operator").await;
    let good = weather_until(&app, &t, "KJFK", |w| w["available"] == true).await;
    assert!(good["refresh_failed_at"].is_null());

    // The provider fails: the stored reports stay, marked with when and how.
    fake.set_mode(Mode::Fail(500));
    let failing = weather_until(&app, &t, "KJFK", |w| w["refresh_failed_at"].is_string()).await;
    assert_eq!(failing["available"], true);
    assert_eq!(failing["metar"], good["metar"]);
    assert_eq!(failing["taf"]["raw"], good["taf"]["raw"]);
    assert!(
        failing["detail"]
            .as_str()
            .expect("detail")
            .contains("HTTP 500"),
        "{failing}"
    );
    // A station first asked for while it fails: unavailable, and why.
    let lax = weather_until(&app, &t, "KLAX", |w| w["reason"] != "pending").await;
    assert_eq!(lax["available"], false);
    assert_eq!(lax["reason"], "provider_unavailable");
    assert!(lax["refresh_failed_at"].is_string());

    // It hangs past the request bound: the same, "timed out".
    fake.set_mode(Mode::Hang(Duration::from_secs(3)));
    weather_until(&app, &t, "KJFK", |w| {
        w["detail"]
            .as_str()
            .is_some_and(|d| d.contains("timed out"))
    })
    .await;
    let many = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{AIRPORTS}/weather?codes=KJFK,KLAX"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(many["items"][0]["available"], true);
    assert_eq!(many["items"][1]["reason"], "provider_unavailable");

    // Back: fresh data, nothing marked.
    fake.set_mode(Mode::Answer);
    let back = weather_until(&app, &t, "KJFK", |w| w["refresh_failed_at"].is_null()).await;
    assert_eq!(back["available"], true);
    assert!(back["detail"].is_null());
    let lax = weather_until(&app, &t, "KLAX", |w| w["reason"] == "no_report").await;
    assert!(lax["refresh_failed_at"].is_null());
}

#[tokio::test]
async fn a_provider_that_is_not_there_is_unavailable_not_an_error() {
    // A port nothing listens on: connection refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let app = TestApp::spawn_own_db(
        "weather_refused",
        provider(&format!("http://127.0.0.1:{port}"), 1, 1),
    )
    .await;
    let t = app.signup("flight_school").await;
    let w = weather_until(&app, &t, "KJFK", |w| w["reason"] != "pending").await;
    assert_eq!(w["available"], false);
    assert_eq!(w["reason"], "provider_unavailable");
    assert!(
        w["detail"]
            .as_str()
            .expect("detail")
            .contains("could not be reached"),
        "{w}"
    );
    assert!(w["metar"].is_null() && w["fetched_at"].is_null());
}
