//! Who made a request and from where, as audit rows record it. Here, below `auth` and
//! `audit`, so that neither needs the other for it.

use poem::Request;
use poem::http::header;

use crate::error::current_request_id;
use crate::kernel::net::ClientAddr;

/// Who made the request and from where; written into audit rows.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn from_request(req: &Request) -> Self {
        Self {
            request_id: current_request_id(),
            ip: req
                .extensions()
                .get::<ClientAddr>()
                .map(|c| c.0)
                .or_else(|| req.remote_addr().as_socket_addr().map(|a| a.ip()))
                .map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
        }
    }
}
