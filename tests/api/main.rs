//! Integration tests: the real application on port 0 against a real PostgreSQL, fresh tenants
//! per test (so tests isolate each other and exercise isolation at the same time).

mod architecture;
mod attachments;
mod audit;
mod auth;
mod billing;
mod certificates;
mod cli;
mod compliance;
mod events;
mod finance;
mod finance_stripe;
mod flags;
mod fleet;
mod flights;
mod helpers;
mod identity;
mod logs;
mod maintenance;
mod migrations;
mod notes;
mod openapi;
mod ops;
mod paging;
mod pgbouncer;
mod platform;
mod provisioning;
mod scheduling;
mod settings;
mod signup;
mod smtp;
mod strict;
mod stripe_fake;
mod tenancy;
mod theory;
mod tools;
