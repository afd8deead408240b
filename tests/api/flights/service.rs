//! `flights::service`, the interface other domains call: the currency facts of a person's
//! logbook and the last day they flew a type.

use chrono::NaiveDate;
use flightline::domains::flights::service::{
    CurrencyColumns, currency_entries, currency_lateral_sql, last_flown,
};
use flightline::kernel::UserId;
use serde_json::json;

use super::{entry, flown};
use crate::helpers::TestApp;

#[tokio::test]
async fn currency_entries_and_last_flown() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (id, pilot) = app.user_with_roles(&t, &["student"]).await;
    let (_, other) = app.user_with_roles(&t, &["student"]).await;
    let mut night = flown("2026-10-02", 80);
    night["night_full_stop_landings"] = json!(3);
    night["approaches"] = json!(6);
    night["holds"] = json!(1);
    night["intercept_track"] = json!(true);
    night["tailwheel"] = json!(true);
    entry(&app, &pilot, night).await;
    entry(&app, &pilot, flown("2026-09-01", 60)).await;
    entry(
        &app,
        &pilot,
        json!({"date": "2026-10-05", "type_code": "C172", "minutes": {"simulator": 60, "simulated_instrument": 60},
               "simulator_kind": "ftd", "approaches": 2, "ipc": true}),
    )
    .await;
    entry(&app, &other, flown("2026-11-01", 60)).await;

    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let person = UserId(id.parse().expect("uuid"));
    let since = NaiveDate::from_ymd_opt(2026, 9, 15).expect("date");
    let got = currency_entries(&mut tx, person, since)
        .await
        .expect("entries");
    // The packed column (what the compliance engine reads in its one statement) decodes to the
    // same entries.
    let packed: CurrencyColumns = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select e.* from {}",
        currency_lateral_sql("$1", "$2", "e")
    )))
    .bind(person)
    .bind(since)
    .fetch_one(&mut *tx)
    .await
    .expect("packed");
    let mut unpacked = packed.entries().expect("decodes");
    unpacked.sort_by_key(|e| std::cmp::Reverse(e.date));
    assert_eq!(unpacked, got);
    assert_eq!(got.len(), 2, "{got:?}");
    let (device, flight) = (&got[0], &got[1]);
    assert_eq!(device.date.to_string(), "2026-10-05");
    assert_eq!(
        (
            device.category.as_deref(),
            device.class.as_deref(),
            device.ipc
        ),
        (None, None, true)
    );
    assert_eq!(flight.category.as_deref(), Some("airplane"));
    assert_eq!(flight.class.as_deref(), Some("single_engine_land"));
    assert_eq!(
        (
            flight.night_full_stop_landings,
            flight.approaches,
            flight.holds
        ),
        (3, 6, 1)
    );
    assert!(flight.intercept_track && flight.tailwheel);
    assert_eq!(flight.type_code.as_deref(), Some("C172"));

    // The device session has no flight time: the last C172 flight is the night one.
    assert_eq!(
        last_flown(&mut tx, person, "c172")
            .await
            .expect("last")
            .map(|d| d.to_string()),
        Some("2026-10-02".to_owned())
    );
    assert_eq!(
        last_flown(&mut tx, person, "PA28").await.expect("last"),
        None
    );
    app.assert_currency_days_match(&t).await;
}
