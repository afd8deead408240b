//! [`BillingGate`]: the middleware that answers `404 billing-disabled` on billing routes while
//! billing is off.

use super::api;

/// While billing is off, every billing route (`/api/v1/billing/**`, `/webhooks/stripe`)
/// answers `404 billing-disabled` before anything else looks at the request.
#[derive(Clone, Copy)]
pub struct BillingGate {
    enabled: bool,
}

impl BillingGate {
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }
}

/// Whether `path` is a billing route.
pub fn is_billing_path(path: &str) -> bool {
    ["/api/v1/billing", "/webhooks/stripe"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl<E: poem::Endpoint> poem::Middleware<E> for BillingGate {
    type Output = BillingGateEndpoint<E>;
    fn transform(&self, inner: E) -> Self::Output {
        BillingGateEndpoint { inner, gate: *self }
    }
}

pub struct BillingGateEndpoint<E> {
    inner: E,
    gate: BillingGate,
}

impl<E: poem::Endpoint> poem::Endpoint for BillingGateEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: poem::Request) -> poem::Result<Self::Output> {
        // Without credentials a tenant billing route answers the operation's own `401`; the
        // webhook (no credentials of ours) answers `billing-disabled` as before.
        let path = req.uri().path();
        let unauthenticated_api = path.starts_with("/api/")
            && !req
                .headers()
                .contains_key(poem::http::header::AUTHORIZATION);
        if !self.gate.enabled && is_billing_path(path) && !unauthenticated_api {
            return Err(api::disabled().into());
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_paths() {
        assert!(is_billing_path("/api/v1/billing/checkout"));
        assert!(is_billing_path("/webhooks/stripe"));
        assert!(!is_billing_path("/api/v1/billingx"));
        assert!(!is_billing_path("/api/v1/tools/notes"));
    }
}
