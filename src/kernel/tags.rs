//! The OpenAPI tags of the core (non-domain) APIs. Each domain defines its own tags in its
//! `mod.rs`, so adding one never edits this file.

use poem_openapi::Tags;

#[derive(Tags)]
pub enum CoreTags {
    /// Liveness, readiness and metrics.
    Operations,
    /// Online signup and public lookups (no tenant, no authentication).
    Signup,
    /// Tenant user authentication, sessions, password reset and e-mail verification.
    Auth,
    /// Platform operators: tenant administration, migrations, the platform audit log.
    Platform,
    /// Calendar feeds: secret, revocable iCal URLs that calendar applications subscribe to.
    Calendars,
    /// Stripe billing: the tenant's subscription, Checkout, the Customer Portal, webhooks.
    Billing,
    /// Secret public links to a document (an invoice a customer was sent), without login.
    Links,
}
