//! `TestApp`: starts the real service on port 0 and makes tenants through the real signup.

use std::path::PathBuf;
use std::sync::Arc;

use figment::Figment;
use figment::providers::Serialized;
use flightline::config::{Environment, Settings};
use flightline::state::AppState;
use flightline::tenancy::Tenant;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::OnceCell;

pub const PASSWORD: &str = "correct horse battery staple";

static DATABASE: OnceCell<()> = OnceCell::const_new();

pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

pub fn settings(overrides: Figment) -> Settings {
    Settings::load_from(&config_dir(), Environment::Test, overrides).expect("test settings")
}

/// Creates the test database once per run if it does not exist.
async fn ensure_database(settings: &Settings) {
    DATABASE
        .get_or_init(|| create_database(settings.database_url()))
        .await;
}

/// Creates the database named in `url` if it does not exist.
pub async fn create_database(url: &str) {
    let (server, name) = url.rsplit_once('/').expect("database url has a name");
    let name = name.split('?').next().unwrap_or(name).to_owned();
    let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("PostgreSQL must be running (see README: scripts/test starts it)");
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .expect("query pg_database");
    if !exists {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database \"{name}\"")))
            .execute(&mut conn)
            .await;
    }
}

/// Drops and creates the database of `url`: for a test's own database, so a run never meets
/// what an earlier run (or an earlier text of an unreleased migration) left in it.
pub async fn recreate_database(url: &str) {
    let (server, name) = url.rsplit_once('/').expect("database url has a name");
    let name = name.split('?').next().unwrap_or(name).to_owned();
    let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("PostgreSQL must be running (see README: scripts/test starts it)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "drop database if exists \"{name}\" with (force)"
    )))
    .execute(&mut conn)
    .await
    .expect("drop the test's own database");
    create_database(url).await;
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    _server: flightline::RunningServer,
}

/// A tenant made through `POST /api/v1/signup`, with its admin logged in.
#[derive(Clone, Debug)]
pub struct TestTenant {
    pub id: String,
    pub slug: String,
    pub admin_email: String,
    pub token: String,
}

pub fn unique_slug(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Figment::new()).await
    }

    pub async fn spawn_with(overrides: Figment) -> Self {
        let settings = settings(overrides);
        ensure_database(&settings).await;
        let server = flightline::start(settings).await.expect("start the app");
        Self::around(server)
    }

    /// An app on a database of its own (`flightline_test_<name>`), for tests that watch
    /// something every instance shares, such as the mail outbox that all workers drain.
    pub async fn spawn_own_db(name: &str, overrides: Figment) -> Self {
        let base = settings(Figment::new());
        let url = base.database_url();
        let (server, _) = url.rsplit_once('/').expect("database url has a name");
        let url = format!("{server}/flightline_test_{name}");
        recreate_database(&url).await;
        let settings = settings(overrides.merge(Serialized::default("database.url", &url)));
        let server = flightline::start(settings).await.expect("start the app");
        Self::around(server)
    }

    pub fn around(server: flightline::RunningServer) -> Self {
        // Warnings and errors of the service show with a failing test's output.
        flightline::telemetry::init_tracing(&server.state.settings.log);
        Self {
            base: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
            state: server.state.clone(),
            _server: server,
        }
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// A request in `tenant` with its admin's token.
    pub fn tenant_req(&self, tenant: &TestTenant, method: Method, path: &str) -> RequestBuilder {
        self.req(method, path)
            .header("X-Tenant-ID", &tenant.slug)
            .bearer_auth(&tenant.token)
    }

    pub async fn signup(&self, kind: &str) -> TestTenant {
        let slug = unique_slug("t");
        let email = format!("admin@{slug}.example");
        let body = call(
            self.req(Method::POST, "/api/v1/signup").json(&json!({
                "organization_name": format!("Org {slug}"),
                "slug": slug,
                "kind": kind,
                "admin_email": email,
                "admin_password": PASSWORD,
                "admin_name": "Admin",
                "plan": "trial",
            })),
            StatusCode::CREATED,
        )
        .await;
        let token = self.login(&slug, &email, PASSWORD).await;
        TestTenant {
            id: body["tenant"]["id"].as_str().expect("tenant id").to_owned(),
            slug,
            admin_email: email,
            token,
        }
    }

    pub async fn login(&self, slug: &str, email: &str, password: &str) -> String {
        let body = call(
            self.req(Method::POST, "/api/v1/auth/login")
                .header("X-Tenant-ID", slug)
                .json(&json!({"email": email, "password": password})),
            StatusCode::OK,
        )
        .await;
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    pub async fn tenant(&self, t: &TestTenant) -> Arc<Tenant> {
        self.state
            .registry
            .by_slug(&t.slug)
            .await
            .expect("registry")
            .expect("tenant exists")
    }

    /// The id of the tenant with `slug`, from the platform registry table.
    pub async fn tenant_id_of(&self, slug: &str) -> uuid::Uuid {
        let mut conn = sqlx::PgConnection::connect(self.state.settings.database_url())
            .await
            .expect("connect");
        sqlx::query_scalar("select id from platform.tenants where slug = $1")
            .bind(slug)
            .fetch_one(&mut conn)
            .await
            .expect("tenant id")
    }

    pub async fn create_note(&self, t: &TestTenant, title: &str) -> Value {
        call(
            self.tenant_req(t, Method::POST, "/api/v1/tools/notes")
                .json(&json!({"title": title})),
            StatusCode::CREATED,
        )
        .await
    }
}

/// Sends `rb`, asserts the status, and returns the JSON body (Null when empty).
/// The `id` of a created record.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// `POST`s `body` to `path` as the tenant's admin, expecting `201`; the created record.
pub async fn post(app: &TestApp, t: &TestTenant, path: &str, body: Value) -> Value {
    call(
        app.tenant_req(t, Method::POST, path).json(&body),
        StatusCode::CREATED,
    )
    .await
}

pub async fn call(rb: RequestBuilder, expected: StatusCode) -> Value {
    let resp = rb.send().await.expect("request sent");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, expected, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// Sends `rb`, asserts the status and that the body is a problem document with `code`.
pub async fn problem(rb: RequestBuilder, expected: StatusCode, code: &str) -> Value {
    let resp = rb.send().await.expect("request sent");
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let request_id = resp
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let text = resp.text().await.expect("body");
    assert_eq!(status, expected, "unexpected status; body: {text}");
    assert_eq!(ct, "application/problem+json", "body: {text}");
    let body: Value = serde_json::from_str(&text).expect("problem is JSON");
    assert_eq!(body["code"], code, "body: {text}");
    assert_eq!(body["status"], expected.as_u16());
    assert_eq!(
        body["type"],
        format!("https://flightline.dev/problems/{code}")
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "body: {text}"
    );
    assert_eq!(
        body["request_id"].as_str(),
        request_id.as_deref(),
        "request_id matches X-Request-Id"
    );
    body
}

pub fn override_kv(key: &str, value: impl serde::Serialize) -> Figment {
    Figment::new().merge(Serialized::default(key, value))
}

/// The audit actions recorded for `resource_type` in `t`, newest first (through the API).
pub async fn audit_actions(app: &TestApp, t: &TestTenant, resource_type: &str) -> Vec<String> {
    let page = call(
        app.tenant_req(
            t,
            Method::GET,
            &format!("/api/v1/settings/audit-logs?resource_type={resource_type}&limit=200"),
        ),
        StatusCode::OK,
    )
    .await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["action"].as_str().map(str::to_owned))
        .collect()
}
