//! The one assembly point: every OpenAPI struct, the middleware stack, and the routes.

use std::sync::Arc;

use poem::endpoint::make_sync;
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoResponse, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::auth::api::AuthApi;
use crate::billing::api::BillingApi;
use crate::billing::webhook::WebhooksApi;
use crate::calendar::CalendarFeedApi;
use crate::domains::fleet::api::AircraftApi;
use crate::domains::fleet::meters::MetersApi;
use crate::domains::fleet::simulators::SimulatorsApi;
use crate::domains::fleet::types::AircraftTypesApi;
use crate::domains::identity::me::MeApi;
use crate::domains::identity::roles::RolesApi;
use crate::domains::identity::teams::TeamsApi;
use crate::domains::identity::users::UsersApi;
use crate::domains::maintenance::inspections::InspectionsApi;
use crate::domains::maintenance::logs::LogsApi;
use crate::domains::maintenance::mel::MelApi;
use crate::domains::maintenance::squawks::SquawksApi;
use crate::domains::scheduling::api::BookingsApi;
use crate::domains::scheduling::calendar::CalendarApi;
use crate::domains::scheduling::config::SchedulingConfigApi;
use crate::domains::scheduling::feeds::FeedsApi;
use crate::domains::scheduling::waitlist::WaitlistApi;
use crate::domains::settings::api::SettingsApi;
use crate::domains::settings::audit::AuditApi;
use crate::domains::settings::flags::FlagsApi;
use crate::domains::tools::api::NotesApi;
use crate::domains::tools::attachments::AttachmentsApi;
use crate::domains::tools::calls::CallsApi;
use crate::domains::tools::events::EventsApi;
use crate::domains::tools::reviews::ReviewsApi;
use crate::domains::tools::tasks::TasksApi;
use crate::http::middleware::Observe;
use crate::ops::OpsApi;
use crate::platform::auth::PlatformAuthApi;
use crate::platform::plans::PlansApi;
use crate::platform::signup::SignupApi;
use crate::platform::tenants::PlatformTenantsApi;
use crate::state::AppState;
use crate::tenancy::{TenantResolver, is_tenant_scoped};

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness, readiness and metrics.
    Operations,
    /// Online signup and public lookups (no tenant, no authentication).
    Signup,
    /// Tenant user authentication, sessions, password reset and e-mail verification.
    Auth,
    /// Users, roles, permissions, teams, and each user's own sessions and API keys.
    Users,
    /// Settings, feature flags and the audit log.
    Settings,
    /// Notes, tasks, call logs, attachments, events and their calendar feeds, reviews.
    Tools,
    /// Platform operators: tenant administration, migrations, the platform audit log.
    Platform,
    /// Stripe billing: the tenant's subscription, Checkout, the Customer Portal, webhooks.
    Billing,
    /// Aircraft (with airworthiness), aircraft types, simulators, meter readings.
    Fleet,
    /// Inspection programmes and what is due, squawks, MEL deferrals, the maintenance log.
    Maintenance,
    /// Bookings, dispatch rules, check-out and check-in, waitlist, calendar, availability.
    Scheduling,
}

const DESCRIPTION: &str = "Flightline runs flight schools, charter / air-ambulance operators and FBOs as tenants.\n\n\
Every route under `/api/v1` is tenant-scoped except `/api/v1/signup`, `/api/v1/platform/**` and \
`/api/v1/public/**`: name the tenant with the `X-Tenant-ID` header (slug or UUID) or call \
`<slug>.<base_domain>`. Errors are `application/problem+json` documents with a stable `code`; \
lists are `{items, next_cursor}` with `limit` (1..=200, default 50) and an opaque `cursor`. \
Each operation's description names the permission it requires.";

/// Every API of the service, one entry per `#[OpenApi]` struct, grouped by area (poem-openapi
/// implements `OpenApi` for tuples of up to 16, and for tuples of tuples). A new domain adds
/// itself here, in the type and in [`apis`].
type Apis = (
    (OpsApi, SignupApi, PlansApi, CalendarFeedApi),
    (PlatformAuthApi, PlatformTenantsApi, BillingApi, WebhooksApi),
    (AuthApi, MeApi, RolesApi, TeamsApi, UsersApi),
    (AuditApi, FlagsApi, SettingsApi),
    (
        NotesApi,
        TasksApi,
        CallsApi,
        AttachmentsApi,
        EventsApi,
        ReviewsApi,
    ),
    (AircraftApi, MetersApi, AircraftTypesApi, SimulatorsApi),
    (InspectionsApi, SquawksApi, MelApi, LogsApi),
    (
        BookingsApi,
        CalendarApi,
        SchedulingConfigApi,
        WaitlistApi,
        FeedsApi,
    ),
);

fn apis() -> Apis {
    (
        (OpsApi, SignupApi, PlansApi, CalendarFeedApi),
        (PlatformAuthApi, PlatformTenantsApi, BillingApi, WebhooksApi),
        (AuthApi, MeApi, RolesApi, TeamsApi, UsersApi),
        (AuditApi, FlagsApi, SettingsApi),
        (
            NotesApi,
            TasksApi,
            CallsApi,
            AttachmentsApi,
            EventsApi,
            ReviewsApi,
        ),
        (AircraftApi, MetersApi, AircraftTypesApi, SimulatorsApi),
        (InspectionsApi, SquawksApi, MelApi, LogsApi),
        (
            BookingsApi,
            CalendarApi,
            SchedulingConfigApi,
            WaitlistApi,
            FeedsApi,
        ),
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
    if let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) {
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

/// Builds the whole HTTP application around `state`.
pub fn routes(state: Arc<AppState>) -> impl Endpoint {
    let service = openapi_service("/");
    let generated = service.spec();
    let spec = document(&generated);
    let docs_html = service.swagger_ui_html().replace(&generated, &spec);
    let docs = make_sync(move |_| Html(docs_html.clone()).into_response());
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
        .at("/docs", docs)
        .nest(
            "/",
            service
                .with(resolver)
                .with(state.rate_limit.clone())
                .with(crate::billing::BillingGate::new(state.billing.is_some())),
        )
        .data(state)
        .with(Observe)
}
