//! The one assembly point: every OpenAPI struct, the middleware stack, and the routes.

use std::sync::Arc;

use poem::endpoint::make_sync;
use poem::{Endpoint, EndpointExt, IntoResponse, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::auth::api::AuthApi;
use crate::domains::tools::api::NotesApi;
use crate::http::middleware::Observe;
use crate::ops::OpsApi;
use crate::platform::signup::SignupApi;
use crate::state::AppState;
use crate::tenancy::TenantResolver;

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness, readiness and metrics.
    Operations,
    /// Online signup and public lookups (no tenant, no authentication).
    Signup,
    /// Tenant user authentication.
    Auth,
    /// Notes, tasks, call logs, attachments, events, reviews.
    Tools,
}

const DESCRIPTION: &str = "Flightline runs flight schools, charter / air-ambulance operators and FBOs as tenants.\n\n\
Every route under `/api/v1` is tenant-scoped except `/api/v1/signup`, `/api/v1/platform/**` and \
`/api/v1/public/**`: name the tenant with the `X-Tenant-ID` header (slug or UUID) or call \
`<slug>.<base_domain>`. Errors are `application/problem+json` documents with a stable `code`; \
lists are `{items, next_cursor}` with `limit` (1..=200, default 50) and an opaque `cursor`. \
Each operation's description names the permission it requires.";

pub fn openapi_service(
    server_url: &str,
) -> OpenApiService<(OpsApi, SignupApi, AuthApi, NotesApi), ()> {
    OpenApiService::new(
        (OpsApi, SignupApi, AuthApi, NotesApi),
        "Flightline API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
    .server(server_url)
}

/// The OpenAPI document as JSON (also served at `/openapi.json`).
pub fn openapi_json() -> String {
    openapi_service("/").spec()
}

/// Builds the whole HTTP application around `state`.
pub fn routes(state: Arc<AppState>) -> impl Endpoint {
    let service = openapi_service("/");
    let spec = service.spec();
    let docs = service.swagger_ui();
    let resolver = TenantResolver::new(state.registry.clone(), &state.settings.tenancy.base_domain);
    Route::new()
        .at(
            "/openapi.json",
            make_sync(move |_| {
                spec.clone()
                    .with_content_type("application/json")
                    .into_response()
            }),
        )
        .nest("/docs", docs)
        .nest("/", service.with(resolver))
        .data(state)
        .with(Observe)
}
