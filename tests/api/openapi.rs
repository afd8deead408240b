//! The OpenAPI document: snapshot (API drift shows in review) and completeness checks.

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, call};

#[test]
fn openapi_snapshot() {
    let spec: serde_json::Value =
        serde_json::from_str(&flightline::api::openapi_json()).expect("json");
    insta::assert_json_snapshot!("openapi", spec);
}

#[test]
fn every_operation_is_described_and_names_its_permission() {
    let spec: serde_json::Value =
        serde_json::from_str(&flightline::api::openapi_json()).expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            let text = format!(
                "{} {}",
                op["summary"].as_str().unwrap_or(""),
                op["description"].as_str().unwrap_or("")
            );
            assert!(
                !text.trim().is_empty(),
                "{method} {path} has no description"
            );
            if [
                "/api/v1/tools",
                "/api/v1/fleet",
                "/api/v1/maintenance",
                "/api/v1/scheduling",
            ]
            .iter()
            .any(|p| path.starts_with(p))
            {
                assert!(
                    text.contains("Permission: `"),
                    "{method} {path} does not name its permission"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_document_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let spec = call(app.req(Method::GET, "/openapi.json"), StatusCode::OK).await;
    assert_eq!(spec["info"]["title"], "Flightline API");
    assert!(spec["paths"]["/api/v1/tools/notes"].is_object());
    let docs = app.req(Method::GET, "/docs").send().await.expect("send");
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap_or_default();
    assert!(html.contains("swagger") && html.contains("X-Tenant-ID"));
}
