//! Secret public links: a document a customer opens without an account (an invoice today), at
//! `<public_url>/api/v1/public/links/fll_<kind>_<tenant id>_<secret>` (its page) and `.../pdf`.
//!
//! As with calendar feeds (`crate::calendar`), the tenant id only routes the lookup; the secret
//! (256 random bits) is the credential, and the domain that issued the link keeps only its
//! SHA-256 digest. A domain declares each [`LinkKind`] (key, flag, renderer) in its manifest and
//! issues links with [`issue`]; this module never names a domain. An unknown, replaced or
//! malformed link, a link of a module the tenant switched off and a link of a tenant that is not
//! serving all answer `404`.

pub use crate::kernel::manifest::{LinkBody, LinkKind, LinkView};

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Response};
use poem_openapi::{ApiResponse, OpenApi};
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

async fn open(state: &AppState, token: &str, view: LinkView) -> Result<LinkBody> {
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
    let mut tx = tenant.begin(&state.db).await?;
    let body = (kind.render)(&mut tx, tokens::digest(secret), view, tenant.name.clone())
        .await?
        .ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(body)
}

pub struct PublicLinkApi;

#[OpenApi(prefix_path = "/api/v1/public/links", tag = "CoreTags::Links")]
impl PublicLinkApi {
    /// A document a customer was sent a secret link to (an invoice): its page, `text/html`. No
    /// header or login: the secret URL is the credential. Unknown, replaced or malformed links,
    /// and links of a module the tenant switched off, answer `404`.
    #[oai(path = "/:token", method = "get")]
    async fn page(
        &self,
        state: Data<&Arc<AppState>>,
        token: Path<String>,
    ) -> Result<Response<Page>> {
        let b = open(&state, &token.0, LinkView::Page).await?;
        Ok(Response::new(Page::Ok(Binary(b.body)))
            .header("cache-control", "private, no-store")
            .header("x-content-type-options", "nosniff")
            .header("referrer-policy", "no-referrer")
            .header(
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https:",
            ))
    }

    /// The same document as a PDF (`application/pdf`), under the same rules as its page.
    #[oai(path = "/:token/pdf", method = "get")]
    async fn pdf(&self, state: Data<&Arc<AppState>>, token: Path<String>) -> Result<Response<Pdf>> {
        let b = open(&state, &token.0, LinkView::Pdf).await?;
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
