//! Secret public links: a document a customer opens without an account (an invoice today), at
//! `<public_url>/api/v1/public/links/fll_<kind>_<tenant id>_<secret>` (its page) and `.../pdf`.
//!
//! As with calendar feeds (`crate::calendar`), the tenant id only routes the lookup; the secret
//! (256 random bits) is the credential, and the domain that issued the link keeps only its
//! SHA-256 digest. A domain declares each [`LinkKind`] (key, flag, renderer) in its manifest and
//! issues links with [`issue`]; this module never names a domain. An unknown, replaced or
//! malformed link, a link of a module the tenant switched off and a link of a tenant that is not
//! serving all answer `404`.

pub use crate::kernel::manifest::{
    LinkAccept, LinkAcceptance, LinkAccepted, LinkBody, LinkCharge, LinkKind, LinkPay, LinkPayment,
    LinkRequest, LinkReturn, LinkView,
};

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Form, Response};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use crate::auth::tokens;
use crate::error::{AppError, Result};
use crate::kernel::tags::CoreTags;
use crate::state::AppState;
use crate::tenancy::{TenantStatus, flags};

const PREFIX: &str = "fll_";

/// A new link of `kind` in `tenant`: its URL (shown once) and the digest the domain stores.
pub fn issue(state: &AppState, tenant: Uuid, kind: &LinkKind) -> (String, Vec<u8>) {
    let (secret, digest) = tokens::new_token();
    (
        format!(
            "{}/api/v1/public/links/{PREFIX}{}_{}_{secret}",
            state.settings.server.public_url,
            kind.key,
            tenant.simple()
        ),
        digest,
    )
}

/// Splits `fll_<kind>_<32 hex>_<secret>` into the kind's key, the tenant id and the secret.
fn parse(raw: &str) -> Option<(&str, Uuid, &str)> {
    let rest = raw.strip_prefix(PREFIX)?;
    let (kind, rest) = rest.split_once('_')?;
    if !(2..=12).contains(&kind.len()) || !kind.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let (tenant, secret) = rest.split_at_checked(32)?;
    let secret = secret.strip_prefix('_')?;
    if secret.len() != 43
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some((kind, Uuid::try_parse(tenant).ok()?, secret))
}

fn not_found() -> AppError {
    AppError::NotFound("link")
}

#[derive(ApiResponse)]
enum Page {
    /// The document's page.
    #[oai(status = 200, content_type = "text/html; charset=utf-8")]
    Ok(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
enum Pdf {
    /// The document as a PDF.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// The link's kind and tenant, when the tenant serves and has the kind's module on.
async fn resolve(
    state: &AppState,
    token: &str,
) -> Result<(&'static LinkKind, Arc<crate::tenancy::Tenant>, Vec<u8>)> {
    let (key, tenant_id, secret) = parse(token).ok_or_else(not_found)?;
    let catalog = state.registry.catalog();
    let kind = catalog.link(key).ok_or_else(not_found)?;
    let tenant = state
        .registry
        .by_id(tenant_id)
        .await?
        .ok_or_else(not_found)?;
    if !matches!(tenant.status, TenantStatus::Active | TenantStatus::PastDue)
        || !flags::effective(catalog, &tenant, kind.flag).0
    {
        return Err(not_found());
    }
    tracing::Span::current().record("tenant.id", tracing::field::display(tenant.id));
    Ok((kind, tenant, tokens::digest(secret)))
}

/// How the customer came back from Stripe Checkout (the `payment` query parameter of the
/// return addresses the pay button gives Checkout).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "LinkPaymentReturn", rename_all = "snake_case")]
enum Returned {
    /// Checkout completed; the page says the payment is being confirmed until it is.
    Success,
    /// The customer left Checkout without paying.
    Cancelled,
}

async fn open(
    state: &AppState,
    token: &str,
    view: LinkView,
    returned: Option<LinkReturn>,
) -> Result<LinkBody> {
    let (kind, tenant, digest) = resolve(state, token).await?;
    let payable = match (&state.connect, kind.pay) {
        (Some(connect), Some(_)) => connect
            .account(tenant.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|a| a.charges_enabled),
        _ => false,
    };
    let mut tx = tenant.begin(&state.db).await?;
    let body = (kind.render)(
        &mut tx,
        LinkRequest {
            digest,
            view,
            issuer: tenant.name.clone(),
            token: token.to_owned(),
            payable,
            returned,
        },
    )
    .await?
    .ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(body)
}

#[derive(ApiResponse)]
enum Pay {
    /// Off to Stripe Checkout on the organisation's own Stripe account (`Location`).
    #[oai(status = 303)]
    SeeOther(#[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
enum Accept {
    /// Accepted (now or before): back to the document's page, which says so (`Location`).
    #[oai(status = 303)]
    SeeOther(#[oai(header = "Location")] String),
}

/// What the customer fills in to accept a document (the page's form).
#[derive(Object, serde::Deserialize)]
#[oai(rename = "LinkAcceptForm")]
struct AcceptForm {
    /// The name of the person accepting, 1 to 200 characters.
    #[oai(validator(max_length = 200))]
    name: String,
}

pub struct PublicLinkApi;

#[OpenApi(prefix_path = "/api/v1/public/links", tag = "CoreTags::Links")]
impl PublicLinkApi {
    /// A document a customer was sent a secret link to (an invoice): its page, `text/html`. No
    /// header or login: the secret URL is the credential. Unknown, replaced or malformed links,
    /// and links of a module the tenant switched off, answer `404`. Stripe Checkout sends the
    /// customer back here (`payment=success` with Checkout's `session_id`, or
    /// `payment=cancelled`), and the page says so; what is paid is still only what Stripe's
    /// webhook confirmed.
    #[oai(path = "/:token", method = "get")]
    async fn page(
        &self,
        state: Data<&Arc<AppState>>,
        token: Path<String>,
        /// Set by the return addresses given to Stripe Checkout.
        payment: Query<Option<Returned>>,
        /// Stripe Checkout's session id, appended to the success address; not read (the
        /// webhook, not the address, records a payment).
        session_id: Query<Option<String>>,
    ) -> Result<Response<Page>> {
        let _ = session_id;
        let returned = payment.0.map(|p| match p {
            Returned::Success => LinkReturn::Paid,
            Returned::Cancelled => LinkReturn::Cancelled,
        });
        let b = open(&state, &token.0, LinkView::Page, returned).await?;
        Ok(Response::new(Page::Ok(Binary(b.body)))
            .header("cache-control", "private, no-store")
            .header("x-content-type-options", "nosniff")
            .header("referrer-policy", "no-referrer")
            .header(
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https:",
            ))
    }

    /// Pay what is due on the document by card: a `303` to a Stripe Checkout page on the
    /// organisation's own Stripe account (the page's pay button posts here). The payment is
    /// recorded when Stripe's webhook says it is paid. `404` as for the page, and when card
    /// payments are off (`billing-disabled`) or the link's kind takes none; `409 nothing-due`;
    /// `409 stripe-account-not-enabled` before the organisation finished Stripe's onboarding;
    /// `503 stripe-unavailable` when Stripe cannot be reached.
    #[oai(path = "/:token/pay", method = "post")]
    async fn pay(&self, state: Data<&Arc<AppState>>, token: Path<String>) -> Result<Pay> {
        let (kind, tenant, digest) = resolve(&state, &token.0).await?;
        let (Some(connect), Some(pay)) = (&state.connect, kind.pay) else {
            return Err(AppError::Status {
                status: poem::http::StatusCode::NOT_FOUND,
                code: "billing-disabled",
                detail: "card payments are not available".into(),
                retry_after: None,
            });
        };
        let mut tx = tenant.begin(&state.db).await?;
        let charge = match pay(&mut tx, digest).await? {
            LinkPayment::NoLink => return Err(not_found()),
            LinkPayment::NothingDue => {
                return Err(AppError::Conflict {
                    code: "nothing-due",
                    detail: "nothing is due".into(),
                    field: None,
                });
            }
            LinkPayment::Charge(c) => c,
        };
        tx.end_read();
        let metadata: Vec<(&str, String)> = charge
            .metadata
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        let session = connect
            .checkout(
                tenant.id,
                &crate::connect::CheckoutRequest {
                    kind: charge.kind,
                    metadata: &metadata,
                    description: &charge.description,
                    amount_minor: charge.amount_minor,
                    currency: &charge.currency,
                    // Back to this page, which says how it went.
                    success_path: &format!("/api/v1/public/links/{}?payment=success", token.0),
                    cancel_path: &format!("/api/v1/public/links/{}?payment=cancelled", token.0),
                    idempotency_key: &charge.idempotency_key,
                },
            )
            .await
            .map_err(|e| match e {
                crate::connect::ConnectError::NoAccount
                | crate::connect::ConnectError::NotEnabled => AppError::Conflict {
                    code: "stripe-account-not-enabled",
                    detail: "the organisation cannot take card payments yet".into(),
                    field: None,
                },
                crate::connect::ConnectError::Failed(e) => {
                    tracing::error!(error = %format!("{e:#}"), "a Stripe Checkout call failed");
                    AppError::Status {
                        status: poem::http::StatusCode::SERVICE_UNAVAILABLE,
                        code: "stripe-unavailable",
                        detail: "Stripe could not be reached; try again shortly".into(),
                        retry_after: Some(5),
                    }
                }
            })?;
        Ok(Pay::SeeOther(session.url))
    }

    /// Accept the document (a charter quote) as the person named: the time and the client's
    /// address are recorded with the name, and the domain does what accepting means (a quote
    /// becomes a trip). Accepting again changes nothing. A `303` back to the page, which shows
    /// the acceptance. `404` as for the page, and for a link whose kind takes no acceptance;
    /// `422` without a name; `409` when it can no longer be accepted (`quote-expired`,
    /// `quote-closed`) or the aircraft is no longer free (`booking-conflict`).
    #[oai(path = "/:token/accept", method = "post")]
    async fn accept(
        &self,
        state: Data<&Arc<AppState>>,
        req: &poem::Request,
        token: Path<String>,
        body: Form<AcceptForm>,
    ) -> Result<Accept> {
        let (kind, tenant, digest) = resolve(&state, &token.0).await?;
        let accept = kind.accept.ok_or_else(not_found)?;
        let name = body.0.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(AppError::validation(
                "name",
                "must be 1 to 200 characters without control characters",
            ));
        }
        let address = crate::audit::RequestMeta::from_request(req).ip;
        let mut tx = tenant.begin(&state.db).await?;
        let outcome = accept(
            &mut tx,
            LinkAcceptance {
                digest,
                name,
                at: chrono::Utc::now(),
                address,
            },
        )
        .await?;
        match outcome {
            LinkAccepted::NoLink => Err(not_found()),
            LinkAccepted::Refused { code, detail } => Err(AppError::Conflict {
                code,
                detail,
                field: None,
            }),
            LinkAccepted::Accepted => {
                tx.commit().await?;
                Ok(Accept::SeeOther(format!(
                    "/api/v1/public/links/{}",
                    token.0
                )))
            }
        }
    }

    /// The same document as a PDF (`application/pdf`), under the same rules as its page.
    #[oai(path = "/:token/pdf", method = "get")]
    async fn pdf(&self, state: Data<&Arc<AppState>>, token: Path<String>) -> Result<Response<Pdf>> {
        let b = open(&state, &token.0, LinkView::Pdf, None).await?;
        let name = b.filename.unwrap_or_else(|| "document.pdf".into());
        Ok(Response::new(Pdf::Ok(
            Binary(b.body),
            format!("inline; filename=\"{name}\""),
        ))
        .header("cache-control", "private, no-store")
        .header("x-content-type-options", "nosniff"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_strictly() {
        let t = Uuid::new_v4();
        let secret = "a".repeat(43);
        let raw = format!("fll_inv_{}_{secret}", t.simple());
        assert_eq!(parse(&raw), Some(("inv", t, secret.as_str())));
        for bad in [
            "",
            "fll_",
            &format!("fll_i_{}_{secret}", t.simple()),
            &format!("fll_INV_{}_{secret}", t.simple()),
            &format!("fll_inv_{}_{}", t.simple(), "a".repeat(42)),
            &format!("flc_inv_{}_{secret}", t.simple()),
            &format!("fll_inv_{}{secret}", t.simple()),
            &format!("fll_inv_{}_{}", t.simple(), "../".repeat(15)),
            "fll_é",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
