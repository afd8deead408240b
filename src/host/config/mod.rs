//! Typed, layered configuration (API.md §5).
//!
//! `config/default.toml`, then `config/<FLIGHTLINE_ENV>.toml`, then `FLIGHTLINE__<SECTION>__<KEY>`
//! environment variables, then `DATABASE_URL` / `REDIS_URL`. The result is validated once at
//! start; an error names the offending key. Secrets are [`SecretString`]s, so `Debug` and logs
//! never show them.

mod load;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The environment the service runs in; selects `config/<env>.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    fn parse(value: &str) -> Result<Self, ConfigError> {
        match value {
            "development" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" => Ok(Self::Production),
            other => Err(ConfigError::Invalid {
                key: "FLIGHTLINE_ENV".into(),
                message: format!("`{other}` is not one of development, test, production"),
            }),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(skip, default = "default_env")]
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    #[serde(default)]
    pub redis: RedisSettings,
    pub tenancy: TenancySettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub mail: MailSettings,
    #[serde(default)]
    pub billing: BillingSettings,
    #[serde(default)]
    pub platform: PlatformSettings,
    pub storage: StorageSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub weather: WeatherSettings,
    #[serde(default)]
    pub security: SecuritySettings,
}

/// Keys of data kept encrypted at rest (`crate::crypto`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecuritySettings {
    /// The master key (32 bytes, standard base64) that wraps each tenant's data key: set
    /// `FLIGHTLINE__SECURITY__DATA_KEY`. Required in production; development and tests use a
    /// fixed key that production refuses.
    pub data_key: Option<SecretString>,
}

fn default_env() -> Environment {
    Environment::Development
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub public_url: String,
    pub body_limit_bytes: usize,
    /// Proxies (CIDRs) whose `X-Forwarded-For` names the client; nobody else's is believed.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// May carry a password, hence secret.
    pub url: Option<SecretString>,
    pub max_connections: u32,
    /// Tenant-affine pools the connections are split into (1 disables affinity).
    pub tenant_shards: u32,
    /// Prepared statements each connection keeps (least recently used evicted), shared ones and
    /// the per-tenant ones of `TenantRead` together.
    pub statement_cache_capacity: usize,
    /// Hot reads of one statement (`TenantRead`) without a transaction: one round trip.
    /// Off, they run inside a transaction as every other read does (ignored behind PgBouncer,
    /// where they always do).
    #[serde(default = "default_true")]
    pub one_round_trip_reads: bool,
    pub min_connections: u32,
    pub acquire_timeout_seconds: u64,
    pub max_lifetime_seconds: u64,
    pub idle_timeout_seconds: u64,
    /// `database.url` is a PgBouncer in transaction mode: no statement cache and no startup
    /// `options` (the role's default search_path must be `fl_none`); see docs/operations.md.
    #[serde(default)]
    pub pgbouncer: bool,
    /// A direct PostgreSQL URL (or a PgBouncer database in session mode) for LISTEN and for
    /// platform SQL; defaults to `url`, required when `pgbouncer` is on. May carry a password.
    #[serde(default)]
    pub direct_url: Option<SecretString>,
}

fn default_true() -> bool {
    true
}

impl DatabaseSettings {
    pub fn direct_url(&self) -> Option<&str> {
        self.direct_url.as_ref().map(|u| u.expose_secret())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RedisSettings {
    pub url: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TenancySettings {
    #[serde(default)]
    pub base_domain: String,
    pub warm_schemas: u32,
    pub migration_concurrency: usize,
    pub cache_ttl_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: Option<SecretString>,
    pub access_ttl_seconds: u64,
    pub refresh_ttl_seconds: u64,
    pub max_failed_logins: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: u32,
    pub max_concurrent_hashes: usize,
    /// Password checks that may wait for a hashing thread; past that `503 busy`.
    pub hash_queue: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub auth_per_second: u32,
    pub api_per_second: u32,
    /// Signups per client IP per hour, and as many self-registrations (`POST /auth/register`,
    /// counted apart); 0 disables.
    #[serde(default)]
    pub signups_per_hour: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    pub smtp_url: Option<SecretString>,
    pub from: String,
    /// Without `smtp_url`, mail stays in the outbox (only id and subject logged). Outside
    /// development that must be chosen explicitly: production refuses to start otherwise.
    #[serde(default)]
    pub log_only: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BillingSettings {
    pub stripe_secret_key: Option<SecretString>,
    pub stripe_webhook_secret: Option<SecretString>,
    /// Signing secret of the Connect webhook endpoint (`/webhooks/stripe/connect`): events of
    /// the tenants' own connected accounts. Unset: card payments through tenants' Stripe
    /// accounts are off.
    pub stripe_connect_webhook_secret: Option<SecretString>,
    pub stripe_api_base: Option<String>,
    /// Stripe price id per paid plan (`starter = "price_..."`).
    #[serde(default)]
    pub prices: std::collections::HashMap<String, String>,
    /// Days a tenant stays `past_due` after a failed payment before it is suspended.
    #[serde(default = "default_grace_days")]
    pub grace_days: u32,
}

fn default_grace_days() -> u32 {
    7
}

impl BillingSettings {
    pub fn enabled(&self) -> bool {
        self.stripe_secret_key.is_some()
    }

    /// Card payments through tenants' connected accounts (Stripe Connect): billing on and the
    /// Connect webhook secret set.
    pub fn connect_enabled(&self) -> bool {
        self.enabled() && self.stripe_connect_webhook_secret.is_some()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlatformSettings {
    pub bootstrap_email: Option<String>,
    pub bootstrap_password: Option<SecretString>,
    /// Signups per admin e-mail whose address is not yet confirmed, within a day, beyond which
    /// signup answers `429`.
    #[serde(default = "default_pending_signups")]
    pub max_pending_signups_per_email: u32,
}

fn default_pending_signups() -> u32 {
    3
}

/// Where files (attachments, tenant archives) are kept; see `crate::storage`.
#[derive(Debug, Clone, Deserialize)]
pub struct StorageSettings {
    pub backend: StorageBackend,
    /// Root directory of the `local` backend.
    pub local_dir: PathBuf,
    /// Ceiling for any upload in bytes; a tenant's `attachments.max_size_bytes` setting may
    /// lower it, never raise it.
    pub max_upload_bytes: u64,
    /// `http(s)://host[:port]` of the S3-compatible service.
    #[serde(default)]
    pub s3_endpoint: Option<String>,
    #[serde(default)]
    pub s3_bucket: Option<String>,
    #[serde(default = "default_region")]
    pub s3_region: String,
    #[serde(default)]
    pub s3_access_key_id: Option<SecretString>,
    #[serde(default)]
    pub s3_secret_access_key: Option<SecretString>,
    /// `<bucket>.<host>` addressing (AWS) instead of `<host>/<bucket>` (MinIO and most others).
    #[serde(default)]
    pub s3_virtual_hosted: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    Local,
    S3,
}

/// METAR and TAF reports fetched for the airports that are asked about (docs/airports.md,
/// "Weather").
#[derive(Debug, Clone, Deserialize)]
pub struct WeatherSettings {
    /// Base URL of a provider speaking the aviationweather.gov Data API
    /// (`https://aviationweather.gov`: `GET {base}/api/data/metar?ids=...&format=json`). Unset:
    /// no fetching at all, and weather answers say it is unavailable (the product runs offline).
    #[serde(default)]
    pub provider_url: Option<String>,
    /// How often the wanted stations are fetched again.
    #[serde(default = "default_weather_refresh")]
    pub refresh_seconds: u64,
    /// Bound of one request to the provider (connecting included).
    #[serde(default = "default_weather_timeout")]
    pub timeout_seconds: u64,
}

impl Default for WeatherSettings {
    fn default() -> Self {
        Self {
            provider_url: None,
            refresh_seconds: default_weather_refresh(),
            timeout_seconds: default_weather_timeout(),
        }
    }
}

fn default_weather_refresh() -> u64 {
    600
}

fn default_weather_timeout() -> u64 {
    10
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(Box<figment::Error>),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

/// The development-only data master key (32 bytes of `d`, base64); refused in production.
const DEV_DATA_KEY: &str = "ZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGQ=";

/// The development-only JWT key; refused in any other environment.
const DEV_JWT_SECRET: &str = "flightline-development-only-secret-do-not-use";
const DEV_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/flightline";
