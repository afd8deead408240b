//! HTTP plumbing shared by every domain: the JSON body, pagination, common responses, the
//! observability middleware and the error mapping of framework errors.

pub mod body;
/// The client address (`kernel::net`, below `config`, which validates the proxy list).
pub use crate::kernel::net as client;

pub mod meta;
pub mod middleware;
pub use crate::kernel::page;
pub mod ratelimit;
pub mod serde_json_payload;
pub mod upload;

use poem_openapi::ApiResponse;

pub use body::JsonBody;
pub use meta::RequestMeta;
pub use serde_json_payload::SerdeJson;

/// `204 No Content`.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done; nothing to return.
    #[oai(status = 204)]
    NoContent,
}
