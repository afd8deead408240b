//! Logbook CSV: export in ForeFlight's layout and in our own columns, import into another
//! person with identical totals, an invalid file stores nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{ENTRIES, TOTALS, entry, flown};
use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

const EXPORT: &str = "/api/v1/flights/logbook/export";
const IMPORT: &str = "/api/v1/flights/logbook/import";

async fn export(app: &TestApp, t: &TestTenant, person: &str, format: &str) -> String {
    let resp = app
        .tenant_req(
            t,
            Method::GET,
            &format!("{EXPORT}?person_id={person}&format={format}"),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv"),
        "{:?}",
        resp.headers()
    );
    resp.text().await.expect("body")
}

fn import(
    app: &TestApp,
    t: &TestTenant,
    person: &str,
    format: &str,
    body: String,
) -> reqwest::RequestBuilder {
    app.tenant_req(
        t,
        Method::POST,
        &format!("{IMPORT}?person_id={person}&format={format}"),
    )
    .header("content-type", "text/csv")
    .body(body)
}

async fn totals(app: &TestApp, t: &TestTenant, person: &str) -> Value {
    let mut v = call(
        app.tenant_req(t, Method::GET, &format!("{TOTALS}?person_id={person}")),
        StatusCode::OK,
    )
    .await;
    v.as_object_mut().expect("object").remove("person_id");
    v
}

#[tokio::test]
async fn export_then_import_gives_identical_totals() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (instructor_id, _) = app.user_with_roles(&t, &["instructor"]).await;
    let (a, pilot) = app.user_with_roles(&t, &["student"]).await;
    let (b, _) = app.user_with_roles(&t, &["student"]).await;
    let (c, _) = app.user_with_roles(&t, &["student"]).await;
    entry(&app, &pilot, flown("2026-01-05", 95)).await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-02-01", "registration": "N44DA", "type_code": "DA42", "category": "airplane",
               "class": "multi_engine_land", "departure": "KPAO", "destination": "KSQL", "stops": ["KHWD", "KOAK"],
               "minutes": {"total": 127, "dual_received": 127, "night": 61, "cross_country": 127,
                           "actual_instrument": 33, "simulated_instrument": 41},
               "day_landings": 2, "day_full_stop_landings": 1, "night_full_stop_landings": 3,
               "approaches": 4, "approach_details": [{"type": "ils", "runway": "31", "airport": "KSQL", "count": 2},
                                                     {"type": "lnav_vnav", "count": 1}],
               "holds": 2, "ipc": true, "instructor_id": instructor_id, "remarks": "IFR, \"hard\" day\nsecond line"}),
    )
    .await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-03-03", "minutes": {"simulator": 90, "simulated_instrument": 80, "dual_received": 90},
               "simulator_kind": "ftd", "approaches": 6, "holds": 1}),
    )
    .await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-03-04", "registration": "N3CUB", "type_code": "PA18", "category": "airplane",
               "class": "single_engine_land", "tailwheel": true, "flight_review": true,
               "minutes": {"total": 61, "pic": 61, "solo": 61}, "day_landings": 5, "day_full_stop_landings": 5}),
    )
    .await;
    entry(&app, &pilot, json!({"date": "2026-03-05", "registration": "D-KGLI", "type_code": "AS21", "category": "glider", "minutes": {"total": 200, "pic": 200}})).await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-03-06", "minutes": {"ground_training": 45}}),
    )
    .await;
    let want = totals(&app, &t, &a).await;
    assert_eq!(want["overall"]["entries"], 6);

    let ff = export(&app, &t, &a, "foreflight").await;
    assert!(ff.starts_with("ForeFlight Logbook Import,"), "{ff}");
    assert!(
        ff.contains("\nAircraft Table\n")
            && ff.contains("\nFlights Table\nDate,AircraftID,From,To,Route,TimeOut")
    );
    assert!(ff.contains("N44DA,aircraft,DA42,,,,Airplane,AMEL"), "{ff}");
    assert!(
        ff.contains("2;ILS;31;KSQL;;") && ff.contains("1;;;;;"),
        "{ff}"
    );
    let done = call(import(&app, &t, &b, "foreflight", ff), StatusCode::CREATED).await;
    assert_eq!(done["imported"], 6);
    assert_eq!(totals(&app, &t, &b).await, want);

    let plain = export(&app, &t, &a, "csv").await;
    assert!(
        plain.starts_with("date,registration,type_code,category,class,"),
        "{plain}"
    );
    call(import(&app, &t, &c, "csv", plain), StatusCode::CREATED).await;
    assert_eq!(totals(&app, &t, &c).await, want);
    let imported = call(
        app.tenant_req(&t, Method::GET, &format!("{ENTRIES}?person_id={c}")),
        StatusCode::OK,
    )
    .await;
    let items = imported["items"].as_array().expect("items");
    assert!(items.iter().all(|e| e["source"] == "import"));
    let ifr = items
        .iter()
        .find(|e| e["registration"] == "N44DA")
        .expect("DA42");
    assert_eq!(ifr["stops"], json!(["KHWD", "KOAK"]));
    assert_eq!(ifr["remarks"], "IFR, \"hard\" day\nsecond line");
    assert_eq!(ifr["approach_details"][1]["type"], "lnav_vnav");
    assert_eq!(
        audit_actions(&app, &t, "logbook").await,
        ["logbook.imported", "logbook.imported"]
    );
}

#[tokio::test]
async fn an_invalid_file_lists_every_row_error_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (p, pilot) = app.user_with_roles(&t, &["student"]).await;
    let ff = "ForeFlight Logbook Import,This row is required for importing into ForeFlight. Do not delete or modify.\n\
              \n\
              Aircraft Table\n\
              AircraftID,EquipmentType,TypeCode,Year,Make,Model,Category,Class,GearType\n\
              N172SP,aircraft,C172,,Cessna,172S,Airplane,ASEL,FT\n\
              \n\
              Flights Table\n\
              Date,AircraftID,From,To,Route,TotalTime,PIC,Night,AllLandings,DayLandingsFullStop,Approach1\n\
              2026-01-05,N172SP,KPAO,KSQL,,1.5,1.5,,2,1,1;ILS;31;KSQL;;\n\
              2026-13-05,N172SP,KPAO,KSQL,,1.5,1.6,,1,2,x;ILS\n\
              2026-01-07,N172SP,KPAO,K$QL,,abc,,,,,\n";
    let e = problem(
        import(&app, &pilot, &p, "foreflight", ff.into()),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for want in [
        "rows[10].Date",
        "rows[10].PIC",
        "rows[10].Approach1",
        "rows[11].To",
        "rows[11].TotalTime",
    ] {
        assert!(fields.contains(&want), "{want}: {fields:?}");
    }
    assert!(
        !fields.iter().any(|f| f.starts_with("rows[9]")),
        "{fields:?}"
    );
    let list = call(app.tenant_req(&pilot, Method::GET, ENTRIES), StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
    // Without the bad rows it is stored, in the student's own logbook.
    let good: String = ff.lines().take(9).map(|l| format!("{l}\n")).collect();
    let done = call(
        import(&app, &pilot, &p, "foreflight", good),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(done["imported"], 1);
    let list = call(app.tenant_req(&pilot, Method::GET, ENTRIES), StatusCode::OK).await;
    assert_eq!(list["items"][0]["minutes"]["total"], 90);
    assert_eq!(list["items"][0]["category"], "airplane");
    assert_eq!(list["items"][0]["day_landings"], 2);
    problem(
        import(&app, &pilot, &p, "csv", "registration\nN1\n".into()),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn csv_permissions_and_other_tenants() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("flight_school").await;
    let (p, pilot) = app.user_with_roles(&t, &["student"]).await;
    let (q, _) = app.user_with_roles(&t, &["student"]).await;
    let (_, mechanic) = app.user_with_roles(&t, &["mechanic"]).await;
    let body = "date,total_minutes,pic_minutes\n2026-01-01,60,60\n";
    problem(
        import(&app, &pilot, &q, "csv", body.into()),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&pilot, Method::GET, &format!("{EXPORT}?person_id={q}")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        import(&app, &mechanic, &p, "csv", body.into()),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&mechanic, Method::GET, EXPORT),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        import(&app, &other, &p, "csv", body.into()),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&other, Method::GET, &format!("{EXPORT}?person_id={p}")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        import(&app, &pilot, &p, "csv", body.into()),
        StatusCode::CREATED,
    )
    .await;
    let mine = export(&app, &pilot, &p, "csv").await;
    assert_eq!(mine.lines().count(), 2);
}
