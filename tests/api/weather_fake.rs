//! A local fake of the aviationweather.gov Data API (the provider format Flightline reads):
//! `GET /api/data/metar?ids=...&format=json` and `GET /api/data/taf?ids=...&format=json`
//! answer the JSON arrays of the stations it holds (`204` when it holds none of them, as the
//! real service does). A test sets what it holds and how it behaves: answering, failing with
//! a status, or hanging past the client's timeout. It records the `ids` of every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Duration as Span, Utc};
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Data, Query};
use poem::{EndpointExt, Response, Route, get, handler};
use serde_json::{Value, json};

/// How the fake answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Answer,
    /// Every request answers this status.
    Fail(u16),
    /// Every request waits this long first.
    Hang(Duration),
}

#[derive(Default)]
struct Inner {
    metars: HashMap<String, Value>,
    tafs: HashMap<String, Value>,
    mode: Option<Mode>,
    /// (product, ids) of each request.
    requests: Vec<(String, String)>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Inner>>);

pub struct WeatherFake {
    /// The provider URL to configure (`weather.provider_url`).
    pub base: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

/// `DDHHMM` of `at`.
pub fn ddhhmm(at: DateTime<Utc>) -> String {
    at.format("%d%H%M").to_string()
}

/// `DDHH` of `at`.
pub fn ddhh(at: DateTime<Utc>) -> String {
    at.format("%d%H").to_string()
}

impl WeatherFake {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind");
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("addr");
        let app = Route::new()
            .at("/api/data/metar", get(metar))
            .at("/api/data/taf", get(taf))
            .data(shared.clone());
        let task = tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
        });
        Self {
            base: format!("http://{addr}"),
            shared,
            task,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.0.lock().expect("lock").mode = Some(mode);
    }

    /// Holds a METAR observed `ago` before now: `body` is the text after station and time
    /// (`31012KT 10SM FEW050 M02/M09 A3012`).
    pub fn metar(&self, station: &str, ago: Span, body: &str) {
        let at = Utc::now() - ago;
        let at = at - Span::seconds(i64::from(chrono::Timelike::second(&at)));
        let raw = format!("METAR {station} {}Z {body}", ddhhmm(at));
        self.shared.0.lock().expect("lock").metars.insert(
            station.to_owned(),
            json!({
                "icaoId": station,
                "receiptTime": at.to_rfc3339(),
                "obsTime": at.timestamp(),
                "reportTime": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "temp": -2, "wdir": 310, "wspd": 12, "visib": "10+",
                "rawOb": raw,
                "clouds": [], "fltCat": "VFR", "name": "Somewhere"
            }),
        );
    }

    /// Holds a TAF issued 40 minutes ago, valid from the start of this hour for 24 hours:
    /// `base` is the base forecast, then `FM` six hours in with `later`.
    pub fn taf(&self, station: &str, base: &str, later: &str) {
        let now = Utc::now();
        let issued = now - Span::minutes(40);
        let issued = issued - Span::seconds(i64::from(chrono::Timelike::second(&issued)));
        let from = now
            - Span::minutes(i64::from(chrono::Timelike::minute(&now)))
            - Span::seconds(i64::from(chrono::Timelike::second(&now)));
        let fm = from + Span::hours(6);
        let to = from + Span::hours(24);
        let raw = format!(
            "TAF {station} {}Z {}/{} {base} FM{} {later}",
            ddhhmm(issued),
            ddhh(from),
            ddhh(to),
            ddhhmm(fm)
        );
        self.shared.0.lock().expect("lock").tafs.insert(
            station.to_owned(),
            json!({
                "icaoId": station,
                "issueTime": issued.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "validTimeFrom": from.timestamp(),
                "validTimeTo": to.timestamp(),
                "rawTAF": raw,
                "mostRecent": 1,
                "fcsts": []
            }),
        );
    }

    /// The `ids` of each request for `product` (`metar`, `taf`), in order.
    pub fn requests(&self, product: &str) -> Vec<String> {
        self.shared
            .0
            .lock()
            .expect("lock")
            .requests
            .iter()
            .filter(|(p, _)| p == product)
            .map(|(_, ids)| ids.clone())
            .collect()
    }
}

impl Drop for WeatherFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(serde::Deserialize)]
struct Params {
    ids: String,
    format: String,
}

async fn answer(product: &str, params: &Params, shared: &Shared) -> Response {
    let (mode, body) = {
        let mut inner = shared.0.lock().expect("lock");
        inner
            .requests
            .push((product.to_owned(), params.ids.clone()));
        let held = if product == "metar" {
            &inner.metars
        } else {
            &inner.tafs
        };
        let items: Vec<Value> = params
            .ids
            .split(',')
            .filter_map(|id| held.get(id).cloned())
            .collect();
        (inner.mode.unwrap_or(Mode::Answer), items)
    };
    match mode {
        Mode::Fail(status) => {
            return Response::builder()
                .status(StatusCode::from_u16(status).expect("status"))
                .body("upstream failure");
        }
        Mode::Hang(d) => tokio::time::sleep(d).await,
        Mode::Answer => {}
    }
    assert_eq!(params.format, "json", "Flightline asks for JSON");
    if body.is_empty() {
        return Response::builder().status(StatusCode::NO_CONTENT).finish();
    }
    Response::builder()
        .content_type("application/json")
        .body(Value::Array(body).to_string())
}

#[handler]
async fn metar(params: Query<Params>, shared: Data<&Shared>) -> Response {
    answer("metar", &params, &shared).await
}

#[handler]
async fn taf(params: Query<Params>, shared: Data<&Shared>) -> Response {
    answer("taf", &params, &shared).await
}
