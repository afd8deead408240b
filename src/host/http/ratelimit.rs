//! Rate limits (governor): per client address and resolved tenant, `rate_limit.auth_per_second` on the
//! authentication routes (login, refresh, password reset, self-registration, signup) and
//! `rate_limit.api_per_second` on the rest of `/api/v1`, and `rate_limit.signups_per_hour` on
//! signups and, separately counted, on self-registrations per client IP. `0` disables a limit. Over the limit: `429 rate-limited` with
//! `Retry-After`.
//!
//! Two layers. The outer one, before tenant resolution, decides the client's address (the peer,
//! or `X-Forwarded-For` from a proxy in `server.trusted_proxies`: [`super::client`]) and applies
//! the per-address signup limit. The inner one runs after the tenant resolver and keys the
//! per-second limits by that address and the resolved tenant's id, so `Host: slug.base:1`, a
//! re-cased tenant UUID or the slug instead of the id all land in the same bucket.
//!
//! The counters live in this process: with N replicas behind a load balancer a client gets up
//! to N times the limit. To make them global, put the counters in Redis (a GCRA script keyed the
//! same way) or enforce them at the ingress; docs/operations.md says how.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use poem::http::StatusCode;
use poem::{Endpoint, Middleware, Request};

use super::client::{ClientAddr, TrustedProxies};
use crate::config::RateLimitSettings;
use crate::error::AppError;
use crate::tenancy::CurrentTenant;

type Limiter = Arc<DefaultKeyedRateLimiter<String>>;

#[derive(Clone)]
pub struct RateLimit {
    auth: Option<Limiter>,
    api: Option<Limiter>,
    /// Signups, and self-registrations, per client IP per hour, on top of the per-second limit
    /// (keyed `signup|<ip>` and `register|<ip>`: each has the whole budget).
    signup: Option<Limiter>,
    proxies: Arc<TrustedProxies>,
}

fn limiter(per_second: u32) -> Option<Limiter> {
    NonZeroU32::new(per_second).map(|n| Arc::new(RateLimiter::keyed(Quota::per_second(n))))
}

/// Routes that take credentials or create accounts: the strict limit.
fn is_auth_route(path: &str) -> bool {
    path.starts_with("/api/v1/auth/")
        || path == "/api/v1/signup"
        || path.starts_with("/api/v1/platform/auth/")
}

impl RateLimit {
    pub fn new(settings: &RateLimitSettings, proxies: TrustedProxies) -> Self {
        Self {
            proxies: Arc::new(proxies),
            auth: limiter(settings.auth_per_second),
            api: limiter(settings.api_per_second),
            signup: NonZeroU32::new(settings.signups_per_hour)
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_hour(n)))),
        }
    }

    /// Forgets idle clients so memory stays bounded; call periodically.
    pub fn spawn_cleanup(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                for l in [&this.auth, &this.api, &this.signup].into_iter().flatten() {
                    l.retain_recent();
                    l.shrink_to_fit();
                }
            }
        })
    }

    /// The outer layer: records the client's address, applies the signup limit.
    fn check_outer(&self, req: &mut Request) -> Result<(), AppError> {
        let client = self.proxies.client_of(req);
        if let Some(ip) = client {
            req.extensions_mut().insert(ClientAddr(ip));
        }
        let class = match req.uri().path() {
            "/api/v1/signup" => Some("signup"),
            "/api/v1/auth/register" => Some("register"),
            _ => None,
        };
        if let Some(class) = class
            && req.method() == poem::http::Method::POST
            && let Some(l) = &self.signup
        {
            let ip = client.map(|ip| ip.to_string()).unwrap_or_default();
            if let Err(not_until) = l.check_key(&format!("{class}|{ip}")) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(AppError::Status {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: "rate-limited",
                    detail: format!("too many {class} requests from this address; try again later"),
                    retry_after: Some(wait.as_secs().max(1)),
                });
            }
        }
        Ok(())
    }

    /// The inner layer, after the tenant resolver: the per-second limits keyed by client
    /// address and resolved tenant id (`-` for routes without a tenant).
    fn check_inner(&self, req: &Request) -> Result<(), AppError> {
        let path = req.uri().path();
        if !path.starts_with("/api/v1/") {
            return Ok(());
        }
        let limiter = if is_auth_route(path) {
            &self.auth
        } else {
            &self.api
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        let ip = req
            .extensions()
            .get::<ClientAddr>()
            .map(|c| c.0.to_string())
            .unwrap_or_default();
        let tenant = req
            .extensions()
            .get::<CurrentTenant>()
            .map(|t| t.0.id.to_string())
            .unwrap_or_else(|| "-".into());
        match limiter.check_key(&format!("{ip}|{tenant}")) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(AppError::Status {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: "rate-limited",
                    detail: "too many requests; slow down".into(),
                    retry_after: Some(
                        wait.as_secs().max(1)
                            + u64::from(wait.subsec_nanos() > 0 && wait.as_secs() >= 1),
                    ),
                })
            }
        }
    }
}

impl RateLimit {
    /// The layer that goes inside the tenant resolver (the outer one is `self`).
    pub fn per_tenant(&self) -> PerTenant {
        PerTenant(self.clone())
    }
}

/// The inner layer (see the module documentation).
pub struct PerTenant(RateLimit);

impl<E: Endpoint> Middleware<E> for RateLimit {
    type Output = RateLimitEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RateLimitEndpoint {
            inner: ep,
            limits: self.clone(),
            outer: true,
        }
    }
}

impl<E: Endpoint> Middleware<E> for PerTenant {
    type Output = RateLimitEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RateLimitEndpoint {
            inner: ep,
            limits: self.0.clone(),
            outer: false,
        }
    }
}

pub struct RateLimitEndpoint<E> {
    inner: E,
    limits: RateLimit,
    outer: bool,
}

impl<E: Endpoint> Endpoint for RateLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        if self.outer {
            self.limits.check_outer(&mut req)?;
        } else {
            self.limits.check_inner(&req)?;
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_classified() {
        assert!(is_auth_route("/api/v1/auth/login"));
        assert!(is_auth_route("/api/v1/signup"));
        assert!(!is_auth_route("/api/v1/tools/notes"));
    }
}
