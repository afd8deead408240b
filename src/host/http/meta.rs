//! Who made a request and from where, read from the request. The type is the audit log's
//! (`crate::audit::RequestMeta`, plain data), so that `audit` needs neither `http` nor `auth`.

use poem::Request;
use poem::http::header;

use crate::error::current_request_id;
use crate::kernel::net::ClientAddr;

pub use crate::audit::RequestMeta;

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
