//! Tenant resolution (API.md §2): `X-Tenant-ID` (slug or UUID) or `<slug>.<base_domain>`.
//!
//! Runs before authentication on every tenant-scoped path and answers every tenancy error as
//! problem+json. Nothing from the request reaches SQL except as a bound parameter, and only after
//! it matched the slug pattern or parsed as a UUID.

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use uuid::Uuid;

use super::{CurrentTenant, RESERVED_LABELS, Tenant, TenantRegistry, TenantStatus, is_valid_slug};
use crate::error::AppError;

/// Paths under `/api/v1` that carry no tenant.
const UNSCOPED_PREFIXES: &[&str] = &["/api/v1/signup", "/api/v1/platform/", "/api/v1/public/"];

/// Whether `path` needs a tenant.
pub fn is_tenant_scoped(path: &str) -> bool {
    path.starts_with("/api/v1/")
        && !UNSCOPED_PREFIXES
            .iter()
            .any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
}

#[derive(Clone)]
pub struct TenantResolver {
    registry: Arc<TenantRegistry>,
    base_domain: Arc<str>,
}

/// Routes a tenant suspended for non-payment (or an ended trial) may still use: signing in and
/// out, the current user, and billing (subscription, Checkout, the Customer Portal).
pub fn opens_while_unpaid(path: &str) -> bool {
    [
        "/api/v1/billing",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
    ]
    .iter()
    .any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl TenantResolver {
    pub fn new(registry: Arc<TenantRegistry>, base_domain: &str) -> Self {
        Self {
            registry,
            base_domain: base_domain.into(),
        }
    }
}

impl<E: Endpoint> Middleware<E> for TenantResolver {
    type Output = ResolveEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        ResolveEndpoint {
            inner: ep,
            resolver: self.clone(),
        }
    }
}

pub struct ResolveEndpoint<E> {
    inner: E,
    resolver: TenantResolver,
}

/// What the request named, before lookup.
#[derive(Debug, PartialEq, Eq)]
enum TenantRef {
    Id(Uuid),
    Slug(String),
}

fn parse_header(raw: Option<&[u8]>) -> Result<Option<TenantRef>, AppError> {
    let Some(raw) = raw else { return Ok(None) };
    let value = std::str::from_utf8(raw)
        .map_err(|_| AppError::bad_request("tenant-invalid", "X-Tenant-ID is not a valid tenant"))?
        .trim();
    if value.is_empty() {
        return Err(AppError::bad_request(
            "tenant-required",
            "X-Tenant-ID is empty",
        ));
    }
    if value.len() == 36
        && let Ok(id) = Uuid::parse_str(value)
    {
        return Ok(Some(TenantRef::Id(id)));
    }
    if is_valid_slug(value) {
        return Ok(Some(TenantRef::Slug(value.to_owned())));
    }
    Err(AppError::bad_request(
        "tenant-invalid",
        "X-Tenant-ID must be a tenant slug or UUID",
    ))
}

fn parse_host(host: Option<&str>, base_domain: &str) -> Result<Option<TenantRef>, AppError> {
    if base_domain.is_empty() {
        return Ok(None);
    }
    let Some(host) = host else { return Ok(None) };
    let host = host.trim().trim_end_matches('.');
    // Strip a port; IPv6 literals never carry a tenant.
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
    .to_ascii_lowercase();
    let Some(label) = host
        .strip_suffix(base_domain)
        .and_then(|rest| rest.strip_suffix('.'))
    else {
        // The bare base domain, or another host altogether: no tenant.
        return Ok(None);
    };
    if RESERVED_LABELS.contains(&label) {
        return Ok(None);
    }
    if is_valid_slug(label) {
        Ok(Some(TenantRef::Slug(label.to_owned())))
    } else {
        Err(AppError::bad_request(
            "tenant-invalid",
            "the host names no valid tenant",
        ))
    }
}

impl TenantResolver {
    async fn lookup(&self, r: &TenantRef) -> Result<Option<Arc<Tenant>>, AppError> {
        Ok(match r {
            TenantRef::Id(id) => self.registry.by_id(*id).await?,
            TenantRef::Slug(slug) => self.registry.by_slug(slug).await?,
        })
    }

    async fn resolve(&self, req: &Request) -> Result<Arc<Tenant>, AppError> {
        let from_header = parse_header(req.headers().get("x-tenant-id").map(|v| v.as_bytes()))?;
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().host());
        let from_host = parse_host(host, &self.base_domain)?;
        let not_found =
            || AppError::status(StatusCode::NOT_FOUND, "tenant-not-found", "no such tenant");
        let tenant = match (from_header, from_host) {
            (None, None) => {
                return Err(AppError::bad_request(
                    "tenant-required",
                    "send X-Tenant-ID or use the tenant's subdomain",
                ));
            }
            (Some(r), None) | (None, Some(r)) => self.lookup(&r).await?.ok_or_else(not_found)?,
            (Some(h), Some(s)) => {
                let a = self.lookup(&h).await?;
                let b = self.lookup(&s).await?;
                match (a, b) {
                    (Some(a), Some(b)) if a.id == b.id => a,
                    (None, None) => return Err(not_found()),
                    _ => {
                        return Err(AppError::bad_request(
                            "tenant-mismatch",
                            "X-Tenant-ID and the host name different tenants",
                        ));
                    }
                }
            }
        };
        match tenant.status {
            TenantStatus::Active | TenantStatus::PastDue => Ok(tenant),
            TenantStatus::Archived => Err(not_found()),
            // Suspended for non-payment or an ended trial: the way back is paying, so signing
            // in and billing stay open (their permissions still apply).
            TenantStatus::Suspended
                if matches!(
                    tenant.status_reason.as_deref(),
                    Some("billing" | "trial_ended")
                ) && opens_while_unpaid(req.uri().path()) =>
            {
                Ok(tenant)
            }
            TenantStatus::Suspended => Err(AppError::status(
                StatusCode::FORBIDDEN,
                "tenant-suspended",
                "this tenant is suspended",
            )),
            TenantStatus::Provisioning => Err(AppError::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "tenant-provisioning",
                detail: "this tenant is still being set up".into(),
                retry_after: Some(2),
            }),
        }
    }
}

impl<E: Endpoint> Endpoint for ResolveEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        if !is_tenant_scoped(req.uri().path()) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let tenant = self.resolver.resolve(&req).await?;
        tracing::Span::current().record("tenant.id", tracing::field::display(tenant.id));
        if let Some(flag) = self
            .resolver
            .registry
            .catalog()
            .flag_for_path(req.uri().path())
            // A caller without credentials learns nothing about the modules: the operation's
            // own authentication answers `401` first (every operation under a flag needs it).
            && req.headers().contains_key(header::AUTHORIZATION)
            && !super::flags::effective(self.resolver.registry.catalog(), &tenant, flag).0
        {
            return Err(AppError::status(
                StatusCode::NOT_FOUND,
                "feature-disabled",
                format!("the `{flag}` module is not enabled for this organisation"),
            )
            .into());
        }
        req.extensions_mut().insert(CurrentTenant(tenant));
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_paths() {
        assert!(is_tenant_scoped("/api/v1/tools/notes"));
        assert!(is_tenant_scoped("/api/v1/auth/login"));
        assert!(!is_tenant_scoped("/api/v1/signup"));
        assert!(!is_tenant_scoped("/api/v1/public/plans"));
        assert!(!is_tenant_scoped("/api/v1/platform/tenants"));
        assert!(!is_tenant_scoped("/health"));
    }

    #[test]
    fn host_parsing() {
        let d = "flightline.test";
        assert_eq!(
            parse_host(Some("alpine.flightline.test:8080"), d)
                .ok()
                .flatten(),
            Some(TenantRef::Slug("alpine".into()))
        );
        assert_eq!(
            parse_host(Some("ALPINE.flightline.test"), d).ok().flatten(),
            Some(TenantRef::Slug("alpine".into()))
        );
        assert_eq!(parse_host(Some("flightline.test"), d).ok().flatten(), None);
        assert_eq!(
            parse_host(Some("api.flightline.test"), d).ok().flatten(),
            None
        );
        assert_eq!(parse_host(Some("127.0.0.1:8080"), d).ok().flatten(), None);
        assert!(parse_host(Some("a.b.flightline.test"), d).is_err());
        assert_eq!(
            parse_host(Some("alpine.flightline.test"), "")
                .ok()
                .flatten(),
            None
        );
    }

    #[test]
    fn header_parsing() {
        assert!(matches!(
            parse_header(Some(b"")),
            Err(AppError::BadRequest {
                code: "tenant-required",
                ..
            })
        ));
        assert!(matches!(
            parse_header(Some(b"pg_catalog")),
            Err(AppError::BadRequest {
                code: "tenant-invalid",
                ..
            })
        ));
        assert!(matches!(
            parse_header(Some(&[0xff, 0xfe])),
            Err(AppError::BadRequest {
                code: "tenant-invalid",
                ..
            })
        ));
        assert_eq!(
            parse_header(Some(b"alpine")).ok().flatten(),
            Some(TenantRef::Slug("alpine".into()))
        );
    }
}
