//! The host: everything a domain plugs into. The database and the tenant transaction, tenancy
//! and the flags, identity plumbing (principals, tokens, passwords, the access cache), audit,
//! HTTP (errors, bodies, paging, rate limits), mail, storage, jobs, the platform and billing.
//!
//! It sits between `crate::kernel` (below: plain data, imports nothing of the service) and
//! `crate::domains` (above). It is a module of its own so that visibility can draw the line
//! DESIGN.md §2 draws in words: what only the host may touch (the application's pool and its
//! platform, listener and raw connections, `AppState`'s database handle) is
//! `pub(in crate::host)`, and `src/domains` lies outside `crate::host`, so the compiler refuses
//! it there (`scripts/check-new-domain` proves it on a generated domain). The host never imports
//! `crate::domains` or `crate::api`: what it needs of them (the catalogue of manifests) is
//! handed down as a value.
//!
//! The crate root re-exports each module (`crate::db`, `crate::tenancy`, ...), so paths read as
//! before; the restricted items stay restricted through the re-export.

pub mod audit;
pub mod auth;
pub mod billing;
pub mod calendar;
pub mod config;
pub mod connect;
pub mod crypto;
pub mod db;
pub mod error;
pub mod http;
pub mod jobs;
pub mod links;
pub mod live;
pub mod mail;
pub mod ops;
pub mod platform;
pub mod record;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tenancy;
pub mod timezone;
