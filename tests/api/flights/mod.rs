//! Flights and the pilot logbook: entries (who may see, change and sign which), totals over
//! the windows of the tenant's calendar, permissions, other tenants and the feature flag.

mod csv;
mod logbook;
mod records;
mod service;
mod totals;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, call};

pub const ENTRIES: &str = "/api/v1/flights/logbook/entries";
pub const TOTALS: &str = "/api/v1/flights/logbook/totals";

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Creates a logbook entry with `body` as `who` and returns it.
pub async fn entry(app: &TestApp, who: &TestTenant, body: Value) -> Value {
    call(
        app.tenant_req(who, Method::POST, ENTRIES).json(&body),
        StatusCode::CREATED,
    )
    .await
}

/// A minimal valid entry body dated `date` with `total` minutes as PIC.
pub fn flown(date: &str, total: i64) -> Value {
    json!({"date": date, "registration": "N172SP", "type_code": "C172",
           "category": "airplane", "class": "single_engine_land",
           "minutes": {"total": total, "pic": total}})
}

impl TestApp {
    /// The compliance engine's per-day summary (`currency_days`, kept by the logbook's
    /// triggers) equals the logbook summed afresh: same rows, same counts.
    pub async fn assert_currency_days_match(&self, t: &TestTenant) {
        let tenant = self.tenant(t).await;
        let mut tx = tenant.begin(self.state.db()).await.expect("tx");
        let (kept, fresh, rows): (i64, i64, i64) = sqlx::query_as(
            "with fresh as (
                 select person_id, date,
                        case when total_minutes = 0 and simulator_minutes > 0 then null else category end as category,
                        case when total_minutes = 0 and simulator_minutes > 0 then null else class end as class,
                        type_code, tailwheel, count(*)::int as entries, sum(day_landings)::int as day_landings,
                        sum(day_full_stop_landings)::int as day_full_stop_landings,
                        sum(night_full_stop_landings)::int as night_full_stop_landings,
                        sum(approaches)::int as approaches, sum(holds)::int as holds,
                        (count(*) filter (where intercept_track))::int as intercept_track,
                        (count(*) filter (where ipc))::int as ipc,
                        (count(*) filter (where flight_review))::int as flight_review
                   from logbook_entries group by 1, 2, 3, 4, 5, 6),
             kept as (
                 select person_id, date, category, class, type_code, tailwheel, entries, day_landings,
                        day_full_stop_landings, night_full_stop_landings, approaches, holds,
                        intercept_track, ipc, flight_review
                   from currency_days)
             select (select count(*) from (select * from kept except select * from fresh) a),
                    (select count(*) from (select * from fresh except select * from kept) b),
                    (select count(*) from kept)",
        )
        .fetch_one(&mut *tx)
        .await
        .expect("compare");
        assert_eq!(
            (kept, fresh),
            (0, 0),
            "currency_days differs from the logbook ({rows} rows kept)"
        );
    }
}
