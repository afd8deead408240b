//! What the service writes to its log: route templates, never raw paths (a calendar feed URL
//! is a credential), and never a mail body (reset and invitation links carry tokens). Each test
//! runs in its own process under nextest, so it can install the global subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, call, override_kv};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[tokio::test]
async fn logs_name_route_templates_and_never_feed_tokens_or_mail_bodies() {
    let captured = Captured::default();
    let writer = captured.clone();
    let installed = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_env_filter("info")
        .with_writer(move || writer.clone())
        .try_init();
    if installed.is_err() {
        // Another test of this process installed one first (plain `cargo test`): nothing to see.
        return;
    }
    let app = TestApp::spawn_with(override_kv("mail.log_only", true)).await;
    let t = app.signup("flight_school").await;
    let feed = call(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/events/feed"),
        StatusCode::CREATED,
    )
    .await;
    let url = feed["url"].as_str().expect("url");
    let path = &url[url.find("/api/v1/").expect("path")..];
    // `flc_<tenant id>_<secret>.ics`; the secret itself may contain `_`.
    let token = path.rsplit('/').next().expect("token");
    let (_, secret) = token
        .strip_prefix("flc_")
        .and_then(|t| t.split_once('_'))
        .expect("feed token");
    let secret = secret.trim_end_matches(".ics");
    assert_eq!(secret.len(), 43);
    call(app.req(Method::GET, path), StatusCode::OK).await;
    let resp = app
        .req(Method::POST, "/api/v1/auth/password-reset/request")
        .header("X-Tenant-ID", &t.slug)
        .json(&json!({"email": t.admin_email}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    // The outbox worker logs the message it kept; wait for it.
    let mut logged = String::new();
    for _ in 0..100 {
        logged = captured.text();
        if logged.contains("mail kept in the outbox") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(logged.contains("mail kept in the outbox"), "{logged}");
    assert!(
        logged.contains(r#""route":"/api/v1/public/calendars/:"#),
        "{logged}"
    );
    assert!(!logged.contains(secret), "the feed token is in the log");
    assert!(
        !logged.contains("reset-password?"),
        "a mail body is in the log"
    );
    assert!(
        !logged.contains(&t.admin_email),
        "an e-mail address is in the log"
    );
}
