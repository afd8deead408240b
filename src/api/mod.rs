//! The one assembly point: every OpenAPI struct, the middleware stack, and the routes.
//!
//! The generated document is patched in `document` (its passes in `schema`, the declared
//! patterns in `patterns`); `allow` answers a `405` with the methods of the path.

use std::sync::Arc;

use poem::endpoint::make_sync;
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoResponse, Route};
use poem_openapi::OpenApiService;

use crate::auth::api::AuthApi;
use crate::billing::api::BillingApi;
use crate::billing::webhook::WebhooksApi;
use crate::calendar::CalendarFeedApi;
use crate::connect::webhook::ConnectWebhooksApi;
use crate::http::middleware::Observe;
use crate::links::PublicLinkApi;
use crate::ops::OpsApi;
use crate::platform::auth::PlatformAuthApi;
use crate::platform::plans::PlansApi;
use crate::platform::signup::SignupApi;
use crate::platform::tenants::PlatformTenantsApi;
use crate::state::AppState;
use crate::tenancy::TenantResolver;

mod allow;
mod document;
mod patterns;
mod schema;

use allow::AllowTable;
use document::document;

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
    (OpsApi, SignupApi, PlansApi, CalendarFeedApi, PublicLinkApi),
    (
        PlatformAuthApi,
        PlatformTenantsApi,
        BillingApi,
        WebhooksApi,
        ConnectWebhooksApi,
    ),
    AuthApi,
    crate::domains::Apis,
);

fn apis() -> Apis {
    (
        (OpsApi, SignupApi, PlansApi, CalendarFeedApi, PublicLinkApi),
        (
            PlatformAuthApi,
            PlatformTenantsApi,
            BillingApi,
            WebhooksApi,
            ConnectWebhooksApi,
        ),
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
