//! The OpenAPI document: snapshot (API drift shows in review) and completeness checks.

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, call};

#[test]
fn openapi_snapshot() {
    let spec: serde_json::Value =
        serde_json::from_str(&flightline::api::openapi_json()).expect("json");
    insta::assert_json_snapshot!("openapi", spec);
}

/// The permissions an operation's text names (`Permission: \`x\``, several for an
/// operation that needs more than one).
fn named_permissions(text: &str) -> Vec<&str> {
    text.match_indices("Permission: `")
        .filter_map(|(i, m)| text[i + m.len()..].split('`').next())
        .collect()
}

#[test]
fn every_operation_is_described_and_names_an_existing_permission() {
    let spec: serde_json::Value =
        serde_json::from_str(&flightline::api::openapi_json()).expect("json");
    let catalog = &flightline::domains::CATALOG;
    let prefixes: Vec<&str> = catalog
        .manifests
        .iter()
        .flat_map(|m| m.prefixes.iter().copied())
        .collect();
    let paths = spec["paths"].as_object().expect("paths");
    let mut walked = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            walked += 1;
            let text = format!(
                "{} {}",
                op["summary"].as_str().unwrap_or(""),
                op["description"].as_str().unwrap_or("")
            );
            assert!(
                !text.trim().is_empty(),
                "{method} {path} has no description"
            );
            let named = named_permissions(&text);
            for name in &named {
                assert!(
                    catalog.is_permission(name),
                    "{method} {path} names `{name}`, which no manifest declares"
                );
            }
            let in_a_domain = prefixes.iter().any(|p| {
                path.strip_prefix(p)
                    .is_some_and(|r| r.is_empty() || r.starts_with('/'))
            });
            if in_a_domain {
                assert!(
                    !named.is_empty() || text.contains("Any authenticated user"),
                    "{method} {path} does not name its permission"
                );
            }
        }
    }
    assert!(walked > 150, "only {walked} operations walked");
    assert_eq!(
        named_permissions("Permission: `fleet.read`; and Permission: `x.y`."),
        ["fleet.read", "x.y"]
    );
}

/// Generated clients trust `nullable`: every property that may be absent is one the service may
/// also send as `null` (poem-openapi writes `None` as `null`), so it must say so.
#[test]
fn every_optional_property_is_nullable() {
    let spec: serde_json::Value =
        serde_json::from_str(&flightline::api::openapi_json()).expect("json");
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    let mut checked = 0;
    for (name, schema) in schemas {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        for (prop, def) in schema["properties"].as_object().into_iter().flatten() {
            if !required.contains(&prop.as_str()) {
                checked += 1;
                assert_eq!(
                    def["nullable"], true,
                    "{name}.{prop} is optional but not nullable"
                );
                assert!(
                    def.get("$ref").is_none(),
                    "{name}.{prop}: a $ref with siblings"
                );
            }
        }
    }
    assert!(checked > 100, "only {checked} optional properties");
}

/// Every `limit` declares its range, and every operation with a body documents the `413` and
/// `415` the body layer answers.
#[test]
fn shared_limits_and_body_errors_are_declared() {
    let spec: serde_json::Value =
        serde_json::from_str(&flightline::api::openapi_json()).expect("json");
    let (mut limits, mut bodies) = (0, 0);
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "limit" && p["in"] == "query" {
                    limits += 1;
                    assert_eq!(
                        (
                            p["schema"]["minimum"].as_f64(),
                            p["schema"]["maximum"].as_f64(),
                            p["schema"]["default"].as_f64()
                        ),
                        (Some(1.0), Some(200.0), Some(50.0)),
                        "{method} {path}"
                    );
                }
            }
            if op.get("requestBody").is_some() {
                bodies += 1;
                for status in ["413", "415", "422"] {
                    assert!(
                        op["responses"][status].is_object(),
                        "{method} {path}: {status}"
                    );
                }
            }
        }
    }
    assert!(
        limits > 30 && bodies > 50,
        "{limits} limits, {bodies} bodies"
    );
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
