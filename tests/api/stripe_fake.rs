//! A local fake of the part of Stripe's HTTP API Flightline calls (Stripe's own stripe-mock
//! cannot be installed here; see ../shared/STACK.md): customers, Checkout sessions and billing
//! portal sessions, with form-encoded bodies, bearer authentication and idempotency keys that
//! replay the first answer, as Stripe does; and for Stripe Connect, Express accounts (created,
//! read, switched on by the test as Stripe's onboarding would), account links, Checkout sessions
//! and refunds on a connected account (`Stripe-Account` header; an unknown account is refused).
//! It records every request for assertions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Request, Response, Route, get, handler, post};
use serde_json::{Value, json};

pub const SECRET_KEY: &str = "sk_test_flightline_fake";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub form: HashMap<String, String>,
    pub idempotency_key: Option<String>,
    /// The `Stripe-Account` header: the connected account the call acts on.
    pub stripe_account: Option<String>,
}

#[derive(Default)]
struct Inner {
    /// Ids are `<prefix>_<run><n>`: unique across runs, since test databases outlive them.
    run: String,
    counter: u64,
    requests: Vec<Recorded>,
    /// Idempotency key -> the first response body.
    replays: HashMap<String, Value>,
    /// Answer the next N requests with 500 (a Stripe outage).
    fail_next: u32,
    /// Connected accounts: id -> (charges_enabled, details_submitted).
    accounts: HashMap<String, (bool, bool)>,
    /// Ids of the refunds made, oldest first.
    refunds: Vec<String>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Inner>>);

pub struct StripeFake {
    pub base: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl StripeFake {
    pub async fn start() -> Self {
        let shared = Shared::default();
        shared.0.lock().expect("lock").run =
            uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind");
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("addr");
        let app = Route::new()
            .at("/v1/customers", post(customers))
            .at("/v1/checkout/sessions", post(checkout))
            .at("/v1/billing_portal/sessions", post(portal))
            .at("/v1/accounts", post(create_account))
            .at("/v1/accounts/:id", get(read_account))
            .at("/v1/account_links", post(account_link))
            .at("/v1/refunds", post(refunds))
            .data(shared.clone());
        let task = tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
        });
        Self {
            base: format!("http://{addr}/"),
            shared,
            task,
        }
    }

    pub fn requests(&self, path: &str) -> Vec<Recorded> {
        self.shared
            .0
            .lock()
            .expect("lock")
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Stripe's onboarding finished for `account`: it takes card payments.
    pub fn enable_account(&self, account: &str) {
        self.shared
            .0
            .lock()
            .expect("lock")
            .accounts
            .insert(account.to_owned(), (true, true));
    }

    /// The id of the last refund made.
    pub fn last_refund_id(&self) -> Option<String> {
        self.shared.0.lock().expect("lock").refunds.last().cloned()
    }

    /// The next `n` requests answer 500.
    pub fn fail_next(&self, n: u32) {
        self.shared.0.lock().expect("lock").fail_next = n;
    }
}

impl Drop for StripeFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// Authenticates, parses the form, honours `Idempotency-Key`, and builds the object with `make`.
fn answer(
    req: &Request,
    body: &str,
    shared: &Shared,
    make: impl FnOnce(String, &HashMap<String, String>) -> Value,
) -> Response {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth != format!("Bearer {SECRET_KEY}") {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
        );
    }
    let form: HashMap<String, String> = url_decode_form(body);
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let stripe_account = req
        .headers()
        .get("stripe-account")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut inner = shared.0.lock().expect("lock");
    inner.requests.push(Recorded {
        path: req.uri().path().to_owned(),
        form: form.clone(),
        idempotency_key: key.clone(),
        stripe_account: stripe_account.clone(),
    });
    if let Some(a) = &stripe_account
        && !inner.accounts.contains_key(a)
    {
        return json_response(
            StatusCode::FORBIDDEN,
            &json!({"error": {"type": "invalid_request_error", "code": "account_invalid",
                              "message": "The provided key does not have access to account"}}),
        );
    }
    if inner.fail_next > 0 {
        inner.fail_next -= 1;
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": {"type": "api_error", "message": "An unknown error occurred"}}),
        );
    }
    if let Some(previous) = key.as_ref().and_then(|k| inner.replays.get(k)) {
        return json_response(StatusCode::OK, previous);
    }
    inner.counter += 1;
    let object = make(format!("{}{}", inner.run, inner.counter), &form);
    if let Some(k) = key {
        inner.replays.insert(k, object.clone());
    }
    json_response(StatusCode::OK, &object)
}

#[handler]
fn customers(req: &Request, body: String, shared: Data<&Shared>) -> Response {
    answer(req, &body, &shared, |n, form| {
        json!({
            "id": format!("cus_{n}"),
            "object": "customer",
            "email": form.get("email"),
            "name": form.get("name"),
            "metadata": {"tenant_id": form.get("metadata[tenant_id]")},
            "livemode": false,
        })
    })
}

#[handler]
fn checkout(req: &Request, body: String, shared: Data<&Shared>) -> Response {
    answer(req, &body, &shared, |n, form| {
        json!({
            "id": format!("cs_test_{n}"),
            "object": "checkout.session",
            "mode": form.get("mode"),
            "customer": form.get("customer"),
            "url": format!("https://checkout.stripe.test/c/pay/cs_test_{n}"),
            "livemode": false,
        })
    })
}

#[handler]
fn create_account(req: &Request, body: String, shared: Data<&Shared>) -> Response {
    let mut created = None;
    let response = answer(req, &body, &shared, |n, form| {
        let id = format!("acct_{n}");
        created = Some(id.clone());
        json!({
            "id": id,
            "object": "account",
            "type": form.get("type"),
            "charges_enabled": false,
            "details_submitted": false,
            "metadata": {"tenant_id": form.get("metadata[tenant_id]")},
        })
    });
    if let Some(id) = created {
        shared
            .0
            .0
            .lock()
            .expect("lock")
            .accounts
            .insert(id, (false, false));
    }
    response
}

#[handler]
fn read_account(req: &Request, shared: Data<&Shared>) -> Response {
    let id = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let state = shared.0.0.lock().expect("lock").accounts.get(&id).copied();
    let Some((charges, details)) = state else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": {"type": "invalid_request_error", "message": "No such account"}}),
        );
    };
    answer(req, "", &shared, |_, _| {
        json!({"id": id, "object": "account", "charges_enabled": charges,
               "details_submitted": details})
    })
}

#[handler]
fn account_link(req: &Request, body: String, shared: Data<&Shared>) -> Response {
    answer(req, &body, &shared, |n, form| {
        json!({
            "object": "account_link",
            "url": format!("https://connect.stripe.test/setup/e/{}/{n}",
                           form.get("account").cloned().unwrap_or_default()),
            "expires_at": 0,
        })
    })
}

#[handler]
fn refunds(req: &Request, body: String, shared: Data<&Shared>) -> Response {
    let mut made = None;
    let response = answer(req, &body, &shared, |n, form| {
        made = Some(format!("re_{n}"));
        json!({
            "id": format!("re_{n}"),
            "object": "refund",
            "amount": form.get("amount").and_then(|a| a.parse::<i64>().ok()),
            "payment_intent": form.get("payment_intent"),
            "status": "succeeded",
        })
    });
    if let Some(id) = made {
        shared.0.0.lock().expect("lock").refunds.push(id);
    }
    response
}

#[handler]
fn portal(req: &Request, body: String, shared: Data<&Shared>) -> Response {
    answer(req, &body, &shared, |n, form| {
        json!({
            "id": format!("bps_{n}"),
            "object": "billing_portal.session",
            "customer": form.get("customer"),
            "url": format!("https://billing.stripe.test/p/session/{n}"),
            "livemode": false,
        })
    })
}

/// `a=1&b%5Bc%5D=2` → {a: 1, "b[c]": 2}.
fn url_decode_form(body: &str) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let Some(b) = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}
