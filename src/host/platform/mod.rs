//! The platform side: operators and their audit log, tenant administration (provision,
//! suspend, migrate, archive and restore), plans, online signup and public endpoints.

pub mod admin;
pub mod archive;
pub mod auth;
pub mod onboarding;
pub mod operators;
pub mod plans;
pub mod signup;
pub mod tenants;
