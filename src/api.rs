//! The one assembly point: every OpenAPI struct, the middleware stack, and the routes.

use std::sync::Arc;

use poem::endpoint::make_sync;
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoResponse, Route};
use poem_openapi::OpenApiService;

use crate::auth::api::AuthApi;
use crate::billing::api::BillingApi;
use crate::billing::webhook::WebhooksApi;
use crate::calendar::CalendarFeedApi;
use crate::http::middleware::Observe;
use crate::ops::OpsApi;
use crate::platform::auth::PlatformAuthApi;
use crate::platform::plans::PlansApi;
use crate::platform::signup::SignupApi;
use crate::platform::tenants::PlatformTenantsApi;
use crate::state::AppState;
use crate::tenancy::{TenantResolver, is_tenant_scoped};

const DESCRIPTION: &str = "Flightline runs flight schools, charter / air-ambulance operators and FBOs as tenants.\n\n\
Every route under `/api/v1` is tenant-scoped except `/api/v1/signup`, `/api/v1/platform/**` and \
`/api/v1/public/**`: name the tenant with the `X-Tenant-ID` header (slug or UUID) or call \
`<slug>.<base_domain>`. Errors are `application/problem+json` documents with a stable `code`; \
lists are `{items, next_cursor}` with `limit` (1..=200, default 50) and an opaque `cursor`. \
Each operation's description names the permission it requires.";

/// Every API of the service: the core's, then every domain's (`crate::domains::apis`, built from
/// the one list of domains; poem-openapi implements `OpenApi` for tuples of up to 16 and for
/// nested tuples).
type Apis = (
    (OpsApi, SignupApi, PlansApi, CalendarFeedApi),
    (PlatformAuthApi, PlatformTenantsApi, BillingApi, WebhooksApi),
    AuthApi,
    crate::domains::Apis,
);

fn apis() -> Apis {
    (
        (OpsApi, SignupApi, PlansApi, CalendarFeedApi),
        (PlatformAuthApi, PlatformTenantsApi, BillingApi, WebhooksApi),
        AuthApi,
        crate::domains::apis(),
    )
}

pub fn openapi_service(server_url: &str) -> OpenApiService<Apis, ()> {
    OpenApiService::new(apis(), "Flightline API", env!("CARGO_PKG_VERSION"))
        .description(DESCRIPTION)
        .server(server_url)
}

/// The OpenAPI document as JSON, served at `/openapi.json` and embedded in `/docs`.
///
/// The one addition to what poem-openapi generates: every tenant-scoped operation documents the
/// `X-Tenant-ID` header (resolved by middleware, so no handler declares it).
pub fn openapi_json() -> String {
    document(&openapi_service("/").spec())
}

fn document(generated: &str) -> String {
    let Ok(mut spec) = serde_json::from_str::<serde_json::Value>(generated) else {
        return generated.to_owned();
    };
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        for schema in schemas.values_mut() {
            optional_is_nullable(schema);
        }
    }
    if let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for op in paths
            .values_mut()
            .filter_map(|i| i.as_object_mut())
            .flat_map(|o| o.values_mut())
        {
            declare_shared_limits(op);
        }
        for (path, item) in paths.iter_mut() {
            if !is_tenant_scoped(path) {
                continue;
            }
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                let header = serde_json::json!({
                    "name": "X-Tenant-ID",
                    "in": "header",
                    "required": false,
                    "description": "The tenant: its slug or UUID. Optional when calling `<slug>.<base_domain>`; \
                                    without either the answer is `400 tenant-required`.",
                    "schema": {"type": "string"},
                    "example": "alpine-flight",
                });
                match op.get_mut("parameters").and_then(|p| p.as_array_mut()) {
                    Some(params) => params.insert(0, header),
                    None => {
                        op["parameters"] = serde_json::json!([header]);
                    }
                }
            }
        }
    }
    serde_json::to_string_pretty(&spec).unwrap_or_else(|_| generated.to_owned())
}

/// What every operation shares but no handler declares: `limit` is 1..=200 (`http::page`), and
/// an operation with a body also answers `413 payload-too-large` and `415
/// unsupported-media-type` (`http::body`, the framework).
fn declare_shared_limits(op: &mut serde_json::Value) {
    if let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) {
        for param in params.iter_mut() {
            if param["in"] == "query"
                && param["name"] == "limit"
                && let Some(schema) = param.get_mut("schema").and_then(|s| s.as_object_mut())
            {
                schema.insert("minimum".into(), 1.into());
                schema.insert("maximum".into(), crate::http::page::MAX_LIMIT.into());
            }
        }
    }
    if op.get("requestBody").is_none() {
        return;
    }
    let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
        return;
    };
    let problem = serde_json::json!({"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}});
    for (status, description) in [
        (
            "413",
            "The body exceeds `server.body_limit_bytes` (`payload-too-large`)",
        ),
        (
            "415",
            "The body's Content-Type is not the operation's (`unsupported-media-type`)",
        ),
    ] {
        responses
            .entry(status)
            .or_insert_with(|| serde_json::json!({"description": description, "content": problem}));
    }
}

/// poem-openapi leaves an `Option` field out of `required` but does not mark it `nullable`, yet
/// it writes `None` as `null` and reads `null` as `None`: a typed client generated from the
/// document would reject real responses. Every property that is not required is nullable.
fn optional_is_nullable(schema: &mut serde_json::Value) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (name, prop) in props.iter_mut() {
        if required.contains(name) {
            continue;
        }
        match prop.as_object_mut() {
            // A `$ref` takes no siblings in OpenAPI 3.0: wrap it.
            Some(p) if p.contains_key("$ref") => {
                *prop = serde_json::json!({"allOf": [prop.clone()], "nullable": true});
            }
            Some(p) => {
                p.insert("nullable".into(), serde_json::Value::Bool(true));
            }
            None => {}
        }
    }
}

/// Builds the whole HTTP application around `state`.
pub fn routes(state: Arc<AppState>) -> impl Endpoint {
    let service = openapi_service("/");
    let generated = service.spec();
    let spec = document(&generated);
    let docs_html = service.swagger_ui_html().replace(&generated, &spec);
    let docs = make_sync(move |_| Html(docs_html.clone()).into_response());
    let resolver = TenantResolver::new(state.registry.clone(), &state.settings.tenancy.base_domain);
    let allow = Arc::new(AllowTable::from_spec(&spec));
    Route::new()
        .at(
            "/openapi.json",
            make_sync(move |_| {
                spec.clone()
                    .with_content_type("application/json")
                    .into_response()
            }),
        )
        .at("/docs", docs)
        .nest(
            "/",
            service
                .with(state.rate_limit.per_tenant())
                .with(resolver)
                .with(state.rate_limit.clone())
                .with(crate::billing::BillingGate::new(state.billing.is_some())),
        )
        .data(state)
        .with(Observe)
        .around(move |ep, req| {
            let allow = allow.clone();
            async move {
                let path = req.uri().path().to_owned();
                let mut resp = ep.call(req).await?;
                // RFC 9110 §15.5.6: a 405 names the methods the resource supports.
                if resp.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
                    && let Some(methods) = allow.methods(&path)
                    && let Ok(v) = poem::http::HeaderValue::from_str(&methods)
                {
                    resp.headers_mut().insert(poem::http::header::ALLOW, v);
                }
                Ok(resp)
            }
        })
}

/// The methods of every path template of the document, to answer a 405 with `Allow`.
struct AllowTable(Vec<(Vec<String>, String)>);

impl AllowTable {
    fn from_spec(spec: &str) -> Self {
        let doc: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let mut rows = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<String> = item
                .as_object()
                .into_iter()
                .flat_map(|o| o.keys())
                .map(|m| m.to_uppercase())
                .collect();
            methods.sort();
            let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
            rows.push((segments, methods.join(", ")));
        }
        // Literal segments before parameters: `/users/me` wins over `/users/{id}`.
        rows.sort_by_key(|(segments, _)| segments.iter().filter(|s| s.starts_with('{')).count());
        Self(rows)
    }

    /// The `Allow` value of the template `path` matches (`{param}` matches any one segment).
    fn methods(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == parts.len()
                    && template
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| t.starts_with('{') || t == p)
            })
            .map(|(_, methods)| methods.clone())
    }
}
