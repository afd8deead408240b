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
        for (name, schema) in schemas.iter_mut() {
            enumerate_catalogue_values(name, schema);
        }
        // A setting's value is any JSON but null (`DELETE` removes a setting): what `{}` says
        // minus null, in OpenAPI 3.0 terms (no `type: null` to exclude).
        for name in ["SettingCreate", "SettingPut"] {
            if let Some(value) = schemas
                .get_mut(name)
                .and_then(|s| s.pointer_mut("/properties/value"))
                && let Some(v) = value.as_object_mut()
            {
                v.insert(
                    "anyOf".into(),
                    serde_json::json!([
                        {"type": "string"}, {"type": "number"}, {"type": "boolean"},
                        {"type": "object"}, {"type": "array", "items": {}}
                    ]),
                );
            }
        }
        for (name, property, pattern) in CHECKED_PATTERNS {
            if let Some(p) = schemas
                .get_mut(*name)
                .and_then(|s| s.pointer_mut(&format!("/properties/{property}")))
            {
                declare_pattern(p, pattern);
            }
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
            if path.starts_with("/api/v1/tools/attachments") {
                enumerate(item, "resource_type", &attachment_owners());
            }
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
    standard_formats(&mut spec);
    // Only a login locks an account (docs/identity.md, docs/platform.md).
    for path in ["/api/v1/auth/login", "/api/v1/platform/auth/login"] {
        if let Some(responses) = spec
            .pointer_mut(&format!(
                "/paths/{}/post/responses",
                path.replace('/', "~1")
            ))
            .and_then(|r| r.as_object_mut())
        {
            responses.insert(
                "423".into(),
                serde_json::json!({
                    "description": "Too many failed logins (`account-locked`); retry after \
                                    `Retry-After` seconds",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    "headers": {"Retry-After": {
                        "description": "Seconds to wait before retrying.",
                        "required": true,
                        "schema": {"type": "integer", "format": "int64"}
                    }}
                }),
            );
        }
    }
    // An upload takes the parts it names and no other (`tools::attachments` refuses the rest).
    if let Some(schema) = spec.pointer_mut(
        "/paths/~1api~1v1~1tools~1attachments/post/requestBody/content/multipart~1form-data/schema",
    ) && schema.get("properties").is_some()
    {
        schema["additionalProperties"] = serde_json::json!(false);
    }
    // An attachment's content goes out with the type it was uploaded with.
    if let Some(content) = spec.pointer_mut(
        "/paths/~1api~1v1~1tools~1attachments~1{id}~1content/get/responses/200/content",
    ) {
        *content = serde_json::json!({"*/*": {"schema": {"type": "string", "format": "binary"}}});
    }
    serde_json::to_string_pretty(&spec).unwrap_or_else(|_| generated.to_owned())
}

/// poem-openapi names a `chrono::NaiveDate` `format: naive-date`, which no client or validator
/// knows (so any string passes for one); JSON Schema's own `date` is the same RFC 3339
/// `full-date`.
fn standard_formats(node: &mut serde_json::Value) {
    match node {
        serde_json::Value::Object(map) => {
            if map.get("format").and_then(|f| f.as_str()) == Some("naive-date") {
                map.insert("format".into(), serde_json::json!("date"));
            }
            for child in map.values_mut() {
                standard_formats(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

/// Patterns the handlers check themselves, with their other rules, so that a request with
/// several bad fields hears of all of them at once (a `#[oai(validator(pattern))]` would refuse
/// it at parsing, before any handler rule is looked at): declared here so that the document
/// still says what is accepted. `tests/schemathesis` holds the two to each other.
const CHECKED_PATTERNS: &[(&str, &str, &str)] = &[
    ("UserCreate", "email", EMAIL_PATTERN),
    ("OperatorCreate", "email", EMAIL_PATTERN),
    ("SignupRequest", "admin_email", EMAIL_PATTERN),
    ("SignupRequest", "slug", SLUG_PATTERN),
    ("SignupRequest", "plan", PLAN_PATTERN),
    ("PlatformTenantCreate", "admin_email", EMAIL_PATTERN),
    ("PlatformTenantCreate", "slug", SLUG_PATTERN),
    ("PlatformTenantCreate", "plan", PLAN_PATTERN),
    ("PlatformTenantUpdate", "plan", PLAN_PATTERN),
    ("AircraftCreate", "currency", CURRENCY_PATTERN),
    ("AircraftUpdate", "currency", CURRENCY_PATTERN),
    ("SimulatorCreate", "currency", CURRENCY_PATTERN),
    ("SimulatorUpdate", "currency", CURRENCY_PATTERN),
    ("AircraftTypeCreate", "designator", DESIGNATOR_PATTERN),
    ("AircraftTypeUpdate", "designator", DESIGNATOR_PATTERN),
    ("OpeningDay", "opens", TIME_OF_DAY_PATTERN),
    ("OpeningDay", "closes", TIME_OF_DAY_PATTERN),
    ("AircraftCreate", "equipment", TAG_PATTERN),
    ("AircraftUpdate", "equipment", TAG_PATTERN),
    ("AircraftCreate", "registration", REGISTRATION_PATTERN),
    ("AircraftUpdate", "registration", REGISTRATION_PATTERN),
    (
        "AircraftCreate",
        "type_designator",
        UPPER_DESIGNATOR_PATTERN,
    ),
    (
        "AircraftUpdate",
        "type_designator",
        UPPER_DESIGNATOR_PATTERN,
    ),
    ("AircraftCreate", "home_base", LOCATION_PATTERN),
    ("AircraftUpdate", "home_base", LOCATION_PATTERN),
];
const EMAIL_PATTERN: &str = crate::kernel::email::EMAIL_PATTERN;
const PLAN_PATTERN: &str = crate::kernel::plans::PLAN_PATTERN;
/// `tenancy::is_valid_slug` (reserved slugs aside).
const SLUG_PATTERN: &str = "^[a-z][a-z0-9-]{2,39}$";
/// ISO 4217 alphabetic code.
const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";
/// ICAO type designator, any case (stored upper-case).
const DESIGNATOR_PATTERN: &str = "^[A-Za-z0-9]{2,4}$";
/// A registration (tail number), any case (stored upper-case).
const REGISTRATION_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9-]{1,9}$";
/// An aircraft's own ICAO type designator.
const UPPER_DESIGNATOR_PATTERN: &str = "^[A-Z0-9]{2,4}$";
/// An ICAO or FAA location identifier.
const LOCATION_PATTERN: &str = "^[A-Z0-9]{3,4}$";
/// An aircraft's equipment tag.
const TAG_PATTERN: &str = "^[a-z0-9_]{1,40}$";
/// `HH:MM`, 00:00 to 23:59.
const TIME_OF_DAY_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

/// Adds `pattern` to a string property (to the string inside a nullable `allOf`, to the items
/// of an array).
fn declare_pattern(property: &mut serde_json::Value, pattern: &str) {
    if property.get("type").and_then(|t| t.as_str()) == Some("string") {
        property["pattern"] = serde_json::json!(pattern);
    } else if let Some(items) = property.get_mut("items") {
        declare_pattern(items, pattern);
    } else if let Some(all) = property.get_mut("allOf").and_then(|a| a.as_array_mut()) {
        all.iter_mut().for_each(|p| declare_pattern(p, pattern));
    }
}

/// Strings whose values come from the catalogue of manifests (so no literal in a DTO can list
/// them) are enums in the document: a permission name wherever `permissions` lists them, and
/// an attachment's `resource_type`.
fn enumerate_catalogue_values(name: &str, schema: &mut serde_json::Value) {
    let permissions: Vec<&str> = crate::domains::CATALOG
        .permissions()
        .map(|p| p.name)
        .collect();
    enumerate(schema, "permissions", &permissions);
    if name.starts_with("Attachment") {
        enumerate(schema, "resource_type", &attachment_owners());
    }
}

fn attachment_owners() -> Vec<&'static str> {
    crate::domains::CATALOG
        .attachment_owners()
        .map(|o| o.resource_type)
        .collect()
}

/// Gives every string schema of a property (or parameter) called `field` under `node` the enum
/// `values` (with `null` where the property is nullable); for an array, its items.
fn enumerate(node: &mut serde_json::Value, field: &str, values: &[&str]) {
    fn strings(schema: &mut serde_json::Value, values: &[&str]) {
        match schema.get("type").and_then(|t| t.as_str()) {
            Some("string") => {
                let mut list: Vec<serde_json::Value> =
                    values.iter().map(|v| serde_json::json!(v)).collect();
                if schema.get("nullable") == Some(&serde_json::Value::Bool(true)) {
                    list.push(serde_json::Value::Null);
                }
                schema["enum"] = serde_json::Value::Array(list);
            }
            Some("array") => {
                if let Some(items) = schema.get_mut("items") {
                    strings(items, values);
                }
            }
            _ => {
                if let Some(all) = schema.get_mut("allOf").and_then(|a| a.as_array_mut()) {
                    for s in all {
                        strings(s, values);
                    }
                }
            }
        }
    }
    match node {
        serde_json::Value::Object(map) => {
            if let Some(prop) = map.get_mut("properties").and_then(|p| p.get_mut(field)) {
                strings(prop, values);
            }
            if map.get("name").and_then(|n| n.as_str()) == Some(field)
                && let Some(schema) = map.get_mut("schema")
            {
                strings(schema, values);
            }
            for (key, child) in map.iter_mut() {
                if key != "properties" {
                    enumerate(child, field, values);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for child in items {
                enumerate(child, field, values);
            }
        }
        _ => {}
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A renamed DTO or property would silently drop its declared pattern.
    #[test]
    fn every_checked_pattern_is_in_the_document() {
        let spec: serde_json::Value = serde_json::from_str(&openapi_json()).expect("json");
        for (name, property, pattern) in CHECKED_PATTERNS {
            let p = spec
                .pointer(&format!("/components/schemas/{name}/properties/{property}"))
                .unwrap_or_else(|| panic!("{name}.{property} is not in the document"));
            assert!(
                p.to_string()
                    .contains(&serde_json::json!(pattern).to_string()),
                "{name}.{property}: {p}"
            );
        }
    }

    #[test]
    fn the_slug_pattern_is_the_slug_rule() {
        let re = regex::Regex::new(SLUG_PATTERN).expect("pattern");
        for s in [
            "abc",
            "a-1",
            "ab",
            "1ab",
            "Abc",
            "abc_",
            &"a".repeat(40),
            &"a".repeat(41),
        ] {
            assert_eq!(re.is_match(s), crate::tenancy::is_valid_slug(s), "{s}");
        }
    }
}
