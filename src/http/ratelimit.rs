//! Rate limits (governor): per client IP and tenant, `rate_limit.auth_per_second` on the
//! authentication routes (login, refresh, password reset, signup) and `rate_limit.api_per_second`
//! on the rest of `/api/v1`, and `rate_limit.signups_per_hour` on signups per client IP. `0`
//! disables a limit. Over the limit: `429 rate-limited` with
//! `Retry-After`.
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

use crate::config::RateLimitSettings;
use crate::error::AppError;

type Limiter = Arc<DefaultKeyedRateLimiter<String>>;

#[derive(Clone)]
pub struct RateLimit {
    auth: Option<Limiter>,
    api: Option<Limiter>,
    /// Signups per client IP per hour, on top of the per-second limit.
    signup: Option<Limiter>,
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
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
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

    fn check(&self, req: &Request) -> Result<(), AppError> {
        let path = req.uri().path();
        if !path.starts_with("/api/v1/") {
            return Ok(());
        }
        if path == "/api/v1/signup"
            && req.method() == poem::http::Method::POST
            && let Some(l) = &self.signup
        {
            let ip = req
                .remote_addr()
                .as_socket_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            if let Err(not_until) = l.check_key(&ip) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(AppError::Status {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: "rate-limited",
                    detail: "too many signups from this address; try again later".into(),
                    retry_after: Some(wait.as_secs().max(1)),
                });
            }
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
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        let tenant: String = req
            .headers()
            .get("x-tenant-id")
            .or_else(|| req.headers().get("host"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(64)
            .collect();
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

impl<E: Endpoint> Middleware<E> for RateLimit {
    type Output = RateLimitEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RateLimitEndpoint {
            inner: ep,
            limits: self.clone(),
        }
    }
}

pub struct RateLimitEndpoint<E> {
    inner: E,
    limits: RateLimit,
}

impl<E: Endpoint> Endpoint for RateLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        self.limits.check(&req)?;
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
