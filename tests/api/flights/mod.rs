//! Flights and the pilot logbook: entries (who may see, change and sign which), totals over
//! the windows of the tenant's calendar, permissions, other tenants and the feature flag.

mod csv;
mod logbook;
mod records;
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
