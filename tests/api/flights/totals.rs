//! `GET /api/v1/flights/logbook/totals`: known numbers on both sides of the 30, 90 and 365-day
//! boundaries, and the breakdowns by category and class and by type.

use chrono::{Days, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{TOTALS, entry, flown};
use crate::helpers::{TestApp, call};

#[tokio::test]
async fn totals_over_the_windows_and_breakdowns() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, pilot) = app.user_with_roles(&t, &["student"]).await;
    let empty = call(app.tenant_req(&pilot, Method::GET, TOTALS), StatusCode::OK).await;
    assert_eq!(empty["overall"]["entries"], 0);
    let today: NaiveDate = empty["as_of"]
        .as_str()
        .expect("as_of")
        .parse()
        .expect("date");
    let day = |ago: u64| (today - Days::new(ago)).to_string();

    // (days ago, minutes): inside 30 = 0, 29; inside 90 = + 30, 89; inside 365 = + 90, 364.
    for (ago, minutes) in [
        (0, 60),
        (29, 30),
        (30, 45),
        (89, 20),
        (90, 10),
        (364, 5),
        (365, 7),
        (800, 100),
    ] {
        let mut body = flown(&day(ago), minutes);
        body["day_landings"] = json!(2);
        body["day_full_stop_landings"] = json!(1);
        entry(&app, &pilot, body).await;
    }
    // A multi-engine flight with night and instrument time, and a simulator session.
    entry(
        &app,
        &pilot,
        json!({"date": day(3), "registration": "N44DA", "type_code": "DA42", "category": "airplane",
               "class": "multi_engine_land",
               "minutes": {"total": 120, "pic": 0, "dual_received": 120, "night": 60,
                           "actual_instrument": 30, "simulated_instrument": 20},
               "night_full_stop_landings": 3, "approaches": 2, "holds": 1}),
    )
    .await;
    entry(
        &app,
        &pilot,
        json!({"date": day(100), "minutes": {"simulator": 90, "simulated_instrument": 90, "dual_received": 90},
               "simulator_kind": "ftd", "approaches": 6, "holds": 1}),
    )
    .await;
    // Tomorrow's entry counts overall but in no window.
    entry(&app, &pilot, flown(&(today + Days::new(1)).to_string(), 1)).await;

    let got = call(app.tenant_req(&pilot, Method::GET, TOTALS), StatusCode::OK).await;
    let m = |w: &str, k: &str| got[w]["minutes"][k].as_i64().expect("number");
    assert_eq!(got["overall"]["entries"], 11);
    assert_eq!(
        m("overall", "total"),
        60 + 30 + 45 + 20 + 10 + 5 + 7 + 100 + 120 + 1
    );
    assert_eq!(
        m("overall", "pic"),
        60 + 30 + 45 + 20 + 10 + 5 + 7 + 100 + 1
    );
    assert_eq!(m("overall", "dual_received"), 120 + 90);
    assert_eq!(m("overall", "simulator"), 90);
    assert_eq!(m("overall", "simulated_instrument"), 110);
    assert_eq!(got["overall"]["day_landings"], 16);
    assert_eq!(got["overall"]["approaches"], 8);
    assert_eq!(
        (
            m("last_30_days", "total"),
            got["last_30_days"]["entries"].as_i64()
        ),
        (60 + 30 + 120, Some(3))
    );
    assert_eq!(m("last_30_days", "night"), 60);
    assert_eq!(got["last_30_days"]["night_full_stop_landings"], 3);
    assert_eq!(m("last_90_days", "total"), 60 + 30 + 45 + 20 + 120);
    assert_eq!(m("last_90_days", "simulator"), 0);
    assert_eq!(
        m("last_365_days", "total"),
        60 + 30 + 45 + 20 + 10 + 5 + 120
    );
    assert_eq!(m("last_365_days", "simulator"), 90);
    assert_eq!(got["last_365_days"]["entries"], 8);

    let by_class = got["by_category_class"].as_array().expect("by class");
    let class = |c: &str| {
        by_class
            .iter()
            .find(|x| x["class"] == c)
            .map(|x| x["totals"]["minutes"]["total"].as_i64().expect("total"))
    };
    assert_eq!(class("single_engine_land"), Some(278));
    assert_eq!(class("multi_engine_land"), Some(120));
    assert_eq!(by_class.len(), 3, "{by_class:?}");
    let by_type = got["by_type"].as_array().expect("by type");
    assert_eq!(by_type[0]["type_code"], "C172");
    assert_eq!(by_type[0]["totals"]["entries"], 9);
    assert_eq!(by_type[1]["type_code"], "DA42");
    assert_eq!(by_type[2]["type_code"], json!(null));
    assert_eq!(by_type[2]["totals"]["minutes"]["simulator"], 90);
    app.assert_currency_days_match(&t).await;
}
