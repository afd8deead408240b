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
        ff.contains(&format!("\nAircraft Table{}\n", ",".repeat(55)))
            && ff.contains(&format!(
                "\nFlights Table{}\nDate,AircraftID,From,To,Route,TimeOut",
                ",".repeat(55)
            ))
    );
    assert!(ff.contains("N44DA,aircraft,DA42,,,,Airplane,AMEL"), "{ff}");
    // Approach cells of five fields, ForeFlight's type names, the minima in the comments.
    assert!(
        ff.contains(",2;ILS;31;KSQL;,1;RNAV (GPS);;;LNAV/VNAV,1;;;;,"),
        "{ff}"
    );
    // The instructor as a person too, without an email address.
    assert!(ff.contains(",Someone,,Someone;Instructor;,"), "{ff}");
    // Hours with one decimal when exact, else HH:MM (95 minutes).
    assert!(
        ff.contains("2026-01-05,N172SP,,,,,,,,,,01:35,01:35,"),
        "{ff}"
    );
    assert!(ff.contains(",1.5,1.5,"), "{ff}");
    // Every row as wide as the Flights Table; no aircraft without an ID or a class.
    let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(ff.as_bytes())
        .records()
        .collect::<Result<_, _>>()
        .expect("csv");
    assert_eq!(rows[0].len(), 56);
    assert!(rows.iter().all(|r| r.len() == 56), "{ff}");
    assert!(
        ff.contains("\nNOREG,aircraft,,,,,Airplane,ASEL,")
            && ff.contains("\nSIM-FTD,ftd,,,,,Simulator,FTD,")
            && ff.contains("\nD-KGLI,aircraft,AS21,,,,Glider,Glider,")
            && ff.contains("\n2026-03-06,NOREG,"),
        "{ff}"
    );
    let aircraft = rows
        .iter()
        .skip_while(|r| &r[0] != "AircraftID")
        .skip(1)
        .take_while(|r| !r[0].is_empty());
    for r in aircraft {
        assert!(!r[0].is_empty() && !r[7].is_empty(), "{r:?}");
    }
    let flights = rows.iter().skip_while(|r| &r[0] != "Date").skip(1);
    assert!(flights.clone().count() == 6 && flights.clone().all(|r| !r[1].is_empty()));
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
    app.assert_currency_days_match(&t).await;
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
    app.assert_currency_days_match(&t).await;
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

const FIRST_LINE: &str = "ForeFlight Logbook Import,This row is required for importing into ForeFlight. Do not delete or modify.";

#[tokio::test]
async fn files_made_from_foreflight_templates_import() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (p, pilot) = app.user_with_roles(&t, &["student"]).await;
    // 2022 template: a type-hint row above each header, the Flights hint row starts with `Date`.
    let t2022 = format!(
        "{FIRST_LINE}\n\nAircraft Table\n\
         Text,Text,Text,YYYY,Text,Text,Text,Text,Text,Text,Boolean,Boolean,Boolean,Boolean\n\
         AircraftID,EquipmentType,TypeCode,Year,Make,Model,Category,Class,GearType,EngineType,Complex,HighPerformance,Pressurized,TAA\n\
         N172SP,aircraft,C172,2001,Cessna,172S,Airplane,ASEL,FT,Piston,,,,\n\n\
         Flights Table,,,,#;type;runway;airport;comments\n\
         Date,Text,Text,Text,Text,hhmm,Decimal,Decimal,Number,Number,Number,Packed Detail,Packed Detail,Boolean\n\
         Date,AircraftID,From,To,Route,TimeOut,TotalTime,PIC,DayLandingsFullStop,NightLandingsFullStop,AllLandings,Approach1,Person1,FlightReview\n\
         2026-01-05,N172SP,KPAO,KSQL,,1805,1.5,1.5,1,1,3,1;RNAV (GPS);31;KSQL;LPV,Eric Lee;Safety Pilot;eric@abc.com,TRUE\n"
    );
    // 2025 template: padded cells, `Category/Class`, `Flight Review`, persons with a phone.
    let t2025 = format!(
        "{FIRST_LINE} ,    ,\n      ,  ,\nAircraft Table   ,  ,\n\
         Text  ,Text,Text,YYYY,Text,Text,Text,Text,Text,Boolean,Boolean,Boolean,Boolean\n\
         AircraftID  ,EquipmentType,TypeCode,Year,Make,Model,GearType,EngineType,Category/Class,Complex,High Performance,Pressurized,TAA\n\
         N3CUB   ,aircraft,PA18,,Piper,PA-18,FC,Piston,airplane_single_engine_land,,,,\n\
         Flights Table  ,,,,#;type;runway;airport;comments,name;role;email;phone\n\
         Date,Text,Text,Text,Decimal or HH:MM,Decimal or HH:MM,Number,Number,Number,Packed Detail,Packed Detail,Boolean\n\
         Date,AircraftID,From,To,TotalTime,DualReceived,DayLandingsFullStop,NightLandingsFullStop,AllLandings,Approach1,Person1,Flight Review\n\
         2026-01-06 ,N3CUB ,KPAO,KPAO,1:06,1:06,2,0,4,1;ASR/SRA;31;KPAO;,Ann Roe;Instructor;ann@x.org;555-0100,\n"
    );
    // 2026 template: `equipType`, the new landing columns and no `AllLandings`.
    let t2026 = format!(
        "{FIRST_LINE}\n\nAircraft Table\n\
         Text,Text,Text,YYYY,Text,Text,Text,Text,Text,Boolean,Boolean,Boolean,Boolean\n\
         AircraftID,equipType,TypeCode,Year,Make,Model,GearType,EngineType,Category/Class,complexAircraft,highPerformance,pressurized,taa\n\
         N44DA,aircraft,DA42,,,,RT,Piston,airplane_multi_engine_land,TRUE,,,\n\n\
         Flights Table\n\
         Date,Text,Text,Text,Decimal or HH:MM,Decimal or HH:MM,Decimal or HH:MM,Number,Number,Number,Number,Number,Number,Packed Detail,Boolean,Boolean\n\
         Date,AircraftID,From,To,TotalTime,PIC,Night,Takeoff Day,Takeoff Night,Landing Full-Stop Day,Landing Full-Stop Night,Landing Touch-and-Go Day,Landing Touch-and-Go Night,Approach1,Flight Review,IPC\n\
         2026-01-07,N44DA,KSQL,KSQL,2.0,2.0,1.0,4,3,1,3,3,0,2;ILS CAT II/III;30;KSFO;,,TRUE\n"
    );
    for body in [t2022, t2025, t2026] {
        let done = call(
            import(&app, &pilot, &p, "foreflight", body),
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(done["imported"], 1);
    }
    let list = call(app.tenant_req(&pilot, Method::GET, ENTRIES), StatusCode::OK).await;
    let items = list["items"].as_array().expect("items");
    let by = |reg: &str| items.iter().find(|e| e["registration"] == reg).expect(reg);
    let c172 = by("N172SP");
    assert_eq!(
        (c172["category"].as_str(), c172["class"].as_str()),
        (Some("airplane"), Some("single_engine_land"))
    );
    assert_eq!(
        (
            c172["day_landings"].as_i64(),
            c172["night_full_stop_landings"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(c172["approach_details"][0]["type"], "lpv");
    assert_eq!(c172["flight_review"], true);
    assert_eq!(c172["remarks"], "Safety Pilot: Eric Lee");
    let cub = by("N3CUB");
    assert_eq!(cub["tailwheel"], true);
    assert_eq!(cub["class"], "single_engine_land");
    assert_eq!(cub["minutes"]["dual_received"], 66);
    assert_eq!(cub["approach_details"][0]["type"], "asr");
    assert_eq!(cub["remarks"], "Instructor: Ann Roe");
    let da42 = by("N44DA");
    assert_eq!(da42["class"], "multi_engine_land");
    assert_eq!(
        (
            da42["day_landings"].as_i64(),
            da42["day_full_stop_landings"].as_i64(),
            da42["night_full_stop_landings"].as_i64()
        ),
        (Some(4), Some(1), Some(3))
    );
    assert_eq!(da42["approach_details"][0]["type"], "ils");
    assert_eq!(
        (da42["ipc"].as_bool(), da42["flight_review"].as_bool()),
        (Some(true), Some(false))
    );
}

#[tokio::test]
async fn a_foreflight_export_imports_with_its_aircraft_and_persons() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (p, pilot) = app.user_with_roles(&t, &["student"]).await;
    // As ForeFlight exports: no hint rows, `(FAA)` columns, gear by name, a BATD, the
    // deprecated landing block last.
    let export = format!(
        "{FIRST_LINE},,,,\n,,,,\nAircraft Table,,,,\n\
         AircraftID,TypeCode,Year,Make,Model,GearType,EngineType,equipType (FAA),aircraftClass (FAA),complexAircraft (FAA),taa (FAA),highPerformance (FAA),pressurized (FAA)\n\
         N3CUB,PA18,,Piper,PA-18,fixed_tailwheel,Piston,aircraft,airplane_single_engine_land,,,,\n\
         N12345,C172,,Cessna,152,fixed_tricycle,Piston,batd,airplane_single_engine_land,,,,\n\
         N80643,C172,,Cessna,172M,fixed_tricycle,Piston,aircraft,airplane_single_engine_land,,,,\n\
         ,,,,\n\
         Flights Table , , , ,Deprecated: Do not edit manually\n\
         Date,AircraftID,From,To,Route,TotalTime,PIC,Night,NVG Ops,SimulatedFlight,SimulatedInstrument,DualReceived,Approach1,InstructorName,Person1,Person2,PilotComments,Flight Review (FAA),IPC (FAA),DayTakeoffs,DayLandingsFullStop,NightTakeoffs,NightLandingsFullStop,AllLandings\n\
         2026-02-01,N3CUB,KSBA,KSBA,,1.0,1.0,,0,,,,,,,,\"\"\"pattern\"\"\",TRUE,,2,2,0,0,2\n\
         2026-02-02,N12345,KSBA,,,,,,,2.1,2.0,2.1,1;RNAV (RNP);25;KSBA;,Ann Roe,Ann Roe;Instructor;ann@x.org;,Bo Diaz;Tow Pilot;,,,TRUE,,,,,\n\
         2026-02-03,N80643,KSBA,KSBA,,0.9,0.9,0.9,,,,,,,Eric Lee;Safety Pilot;e@x.org,,night currency,,,0,0,3,3,3\n"
    );
    let done = call(
        import(&app, &pilot, &p, "foreflight", export.clone()),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(done["imported"], 3);
    let list = call(app.tenant_req(&pilot, Method::GET, ENTRIES), StatusCode::OK).await;
    let items = list["items"].as_array().expect("items");
    let on = |date: &str| items.iter().find(|e| e["date"] == date).expect(date);
    let cub = on("2026-02-01");
    assert_eq!(
        (cub["tailwheel"].as_bool(), cub["flight_review"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (cub["category"].as_str(), cub["class"].as_str()),
        (Some("airplane"), Some("single_engine_land"))
    );
    let sim = on("2026-02-02");
    assert_eq!(sim["simulator_kind"], "atd");
    assert_eq!(sim["minutes"]["simulator"], 126);
    assert_eq!(
        (sim["category"].clone(), sim["ipc"].clone()),
        (Value::Null, json!(true))
    );
    assert_eq!(sim["approach_details"][0]["type"], "rnav");
    assert_eq!(
        sim["remarks"],
        "Instructor: Ann Roe\nPerson: Bo Diaz (Tow Pilot)"
    );
    let night = on("2026-02-03");
    assert_eq!(
        (
            night["day_landings"].as_i64(),
            night["night_full_stop_landings"].as_i64()
        ),
        (Some(0), Some(3))
    );
    assert_eq!(night["tailwheel"], false);
    assert_eq!(night["remarks"], "night currency\nSafety Pilot: Eric Lee");

    // A person cell without a name, or with a fifth field: 422 naming the cell, nothing stored.
    let (q, other) = app.user_with_roles(&t, &["student"]).await;
    let bad = export.replace("Bo Diaz;Tow Pilot;", ";Tow Pilot;").replace(
        "Eric Lee;Safety Pilot;e@x.org",
        "Eric Lee;Safety Pilot;e@x.org;555;x",
    );
    let e = problem(
        import(&app, &other, &q, "foreflight", bad),
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
    assert_eq!(fields, ["rows[12].Person2", "rows[13].Person1"]);
    let list = call(app.tenant_req(&other, Method::GET, ENTRIES), StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
    app.assert_currency_days_match(&t).await;
}

#[tokio::test]
async fn export_fills_aircraft_id_and_class_foreflight_requires() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (a, pilot) = app.user_with_roles(&t, &["student"]).await;
    let (b, _) = app.user_with_roles(&t, &["student"]).await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-01-01", "registration": "N77BA", "category": "lighter_than_air",
                               "minutes": {"total": 60, "pic": 60}}),
    )
    .await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-01-02", "type_code": "C172", "category": "airplane",
                               "minutes": {"total": 30, "pic": 30}}),
    )
    .await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-01-03", "category": "rotorcraft",
                               "minutes": {"total": 42, "pic": 42}}),
    )
    .await;
    let ff = export(&app, &t, &a, "foreflight").await;
    for row in [
        "\nN77BA,aircraft,,,,,Lighter Than Air,LB,",
        "\nNOREG-C172,aircraft,C172,,,,Airplane,ASEL,",
        "\nNOREG-RH,aircraft,,,,,Rotorcraft,RH,",
        "\n2026-01-02,NOREG-C172,",
        "\n2026-01-03,NOREG-RH,,,,,,,,,,0.7,0.7,",
    ] {
        assert!(ff.contains(row), "{row}: {ff}");
    }
    // Read back: no registration for NOREG aircraft; the balloon keeps no class; the C172
    // now has the class the export gave it.
    call(import(&app, &t, &b, "foreflight", ff), StatusCode::CREATED).await;
    let list = call(
        app.tenant_req(&t, Method::GET, &format!("{ENTRIES}?person_id={b}")),
        StatusCode::OK,
    )
    .await;
    let items = list["items"].as_array().expect("items");
    let on = |date: &str| items.iter().find(|e| e["date"] == date).expect(date);
    assert_eq!(
        (
            on("2026-01-01")["category"].as_str(),
            on("2026-01-01")["class"].as_str()
        ),
        (Some("lighter_than_air"), None)
    );
    let c172 = on("2026-01-02");
    assert_eq!(
        (
            c172["registration"].as_str(),
            c172["type_code"].as_str(),
            c172["class"].as_str()
        ),
        (None, Some("C172"), Some("single_engine_land"))
    );
    assert_eq!(on("2026-01-03")["class"], "helicopter");
}
