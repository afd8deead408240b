//! Every collection honours `limit` and `cursor` (API.md §6), the short ones kept in code (plans,
//! the permission catalogue, feature flags) included.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, TestTenant, call, problem};

/// Walks `path` `limit` items at a time; returns the keys in order.
async fn walk(
    app: &TestApp,
    t: Option<&TestTenant>,
    path: &str,
    limit: usize,
    key: &str,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut url = format!("{path}?limit={limit}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let rb = match t {
            Some(t) => app.tenant_req(t, Method::GET, &url),
            None => app.req(Method::GET, &url),
        };
        let page = call(rb, StatusCode::OK).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit, "{url}: {} items", items.len());
        keys.extend(
            items
                .iter()
                .map(|i| i[key].as_str().expect("key").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return keys,
        }
    }
    panic!("{path} never ended");
}

#[tokio::test]
async fn short_catalogues_page_like_every_list() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    for (tenant, path, key, total) in [
        (None, "/api/v1/public/plans", "key", 4),
        (
            Some(&t),
            "/api/v1/users/permissions",
            "name",
            flightline::domains::CATALOG.permissions().count(),
        ),
        (
            Some(&t),
            "/api/v1/settings/feature-flags",
            "key",
            flightline::domains::CATALOG.flags().count(),
        ),
    ] {
        let keys = walk(&app, tenant, path, 3, key).await;
        assert_eq!(keys.len(), total, "{path}");
        assert_eq!(
            keys.iter().collect::<HashSet<_>>().len(),
            total,
            "{path}: duplicates"
        );
        let whole = walk(&app, tenant, path, 200, key).await;
        assert_eq!(keys, whole, "{path}: pages and one page differ");
        for bad in ["?limit=0", "?limit=201", "?cursor=bm9wZQ"] {
            let url = format!("{path}{bad}");
            let rb = match tenant {
                Some(t) => app.tenant_req(t, Method::GET, &url),
                None => app.req(Method::GET, &url),
            };
            problem(rb, StatusCode::UNPROCESSABLE_ENTITY, "validation-failed").await;
        }
    }
}
