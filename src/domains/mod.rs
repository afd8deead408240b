//! Operational domains, one folder each: `api.rs` (one `#[OpenApi]` struct per tag), `dto.rs`
//! (request and response objects), `repo.rs` (SQL over a `TenantTx`).

pub mod fleet;
pub mod identity;
pub mod maintenance;
pub mod scheduling;
pub mod settings;
pub mod tools;
