//! Typed, layered configuration (API.md §5).
//!
//! `config/default.toml`, then `config/<FLIGHTLINE_ENV>.toml`, then `FLIGHTLINE__<SECTION>__<KEY>`
//! environment variables, then `DATABASE_URL` / `REDIS_URL`. The result is validated once at
//! start; an error names the offending key. Secrets are [`SecretString`]s, so `Debug` and logs
//! never show them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
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
    /// the per-tenant ones of `TenantTx::own_plan` together.
    pub statement_cache_capacity: usize,
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
    /// Signups per client IP per hour; 0 disables.
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

/// The development-only JWT key; refused in any other environment.
const DEV_JWT_SECRET: &str = "flightline-development-only-secret-do-not-use";
const DEV_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/flightline";

impl Settings {
    /// Loads from `FLIGHTLINE_CONFIG_DIR` (default `./config`) for `FLIGHTLINE_ENV`
    /// (default `development`) and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let dir = std::env::var_os("FLIGHTLINE_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        let env = Environment::parse(
            &std::env::var("FLIGHTLINE_ENV").unwrap_or_else(|_| "development".into()),
        )?;
        Self::load_from(&dir, env, Figment::new())
    }

    /// Loads the layers for `env` from `dir`, then the process environment, then `overrides`
    /// (tests use these to point at their own database).
    pub fn load_from(
        dir: &Path,
        env: Environment,
        overrides: Figment,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::new()
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::file(dir.join(format!("{}.toml", env.as_str()))))
            .merge(Env::prefixed("FLIGHTLINE__").split("__"));
        for (var, key) in [("DATABASE_URL", "database.url"), ("REDIS_URL", "redis.url")] {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                figment = figment.merge(Serialized::default(key, value));
            }
        }
        let mut settings: Settings = figment
            .merge(overrides)
            .extract()
            .map_err(|e| ConfigError::Load(Box::new(e)))?;
        settings.environment = env;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        let dev = self.environment == Environment::Development;
        match &self.database.url {
            Some(url) if !url.expose_secret().starts_with("postgres") => {
                return Err(invalid("database.url", "must be a postgres:// URL"));
            }
            Some(_) => {}
            None if dev => self.database.url = Some(DEV_DATABASE_URL.into()),
            None => return Err(invalid("database.url", "DATABASE_URL is required")),
        }
        match self.database.direct_url() {
            Some(url) if !url.starts_with("postgres") => {
                return Err(invalid("database.direct_url", "must be a postgres:// URL"));
            }
            None if self.database.pgbouncer => {
                return Err(invalid(
                    "database.direct_url",
                    "required when database.pgbouncer is true (LISTEN and platform SQL bypass PgBouncer)",
                ));
            }
            _ => {}
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.database.statement_cache_capacity > 10_000 {
            return Err(invalid(
                "database.statement_cache_capacity",
                "must be at most 10000 (each cached statement holds backend memory)",
            ));
        }
        if self.database.min_connections > self.database.max_connections {
            return Err(invalid(
                "database.min_connections",
                "must not exceed max_connections",
            ));
        }
        match &self.auth.jwt_secret {
            Some(secret) if secret.expose_secret().len() < 32 => {
                return Err(invalid("auth.jwt_secret", "must be at least 32 bytes"));
            }
            Some(_) => {}
            None if self.environment != Environment::Production => {
                self.auth.jwt_secret = Some(DEV_JWT_SECRET.into());
            }
            None => {
                return Err(invalid(
                    "auth.jwt_secret",
                    "FLIGHTLINE__AUTH__JWT_SECRET is required",
                ));
            }
        }
        if self.environment == Environment::Production
            && self.auth.jwt_secret.as_ref().map(|s| s.expose_secret()) == Some(DEV_JWT_SECRET)
        {
            return Err(invalid(
                "auth.jwt_secret",
                "the development key is not allowed in production",
            ));
        }
        if self.environment == Environment::Production
            && self.mail.smtp_url.is_none()
            && !self.mail.log_only
        {
            return Err(invalid(
                "mail.smtp_url",
                "FLIGHTLINE__MAIL__SMTP_URL is required in production (or set mail.log_only = \
                 true to keep mail in the outbox only)",
            ));
        }
        if self.auth.access_ttl_seconds == 0 || self.auth.refresh_ttl_seconds == 0 {
            return Err(invalid(
                "auth.access_ttl_seconds",
                "token lifetimes must be positive",
            ));
        }
        if self.auth.max_failed_logins == 0 {
            return Err(invalid("auth.max_failed_logins", "must be at least 1"));
        }
        if self.auth.max_concurrent_hashes == 0 {
            return Err(invalid("auth.max_concurrent_hashes", "must be at least 1"));
        }
        if self.tenancy.migration_concurrency == 0 {
            return Err(invalid(
                "tenancy.migration_concurrency",
                "must be at least 1",
            ));
        }
        let domain = &self.tenancy.base_domain;
        if !domain.is_empty()
            && !domain
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(invalid(
                "tenancy.base_domain",
                "must be a DNS name like flightline.localhost",
            ));
        }
        self.tenancy.base_domain = domain.to_ascii_lowercase();
        if !(self.server.public_url.starts_with("http://")
            || self.server.public_url.starts_with("https://"))
        {
            return Err(invalid(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        self.server.public_url = self.server.public_url.trim_end_matches('/').to_owned();
        if let Err(m) = crate::kernel::net::TrustedProxies::parse(&self.server.trusted_proxies) {
            return Err(invalid("server.trusted_proxies", &m));
        }
        if self.server.body_limit_bytes < 1024 {
            return Err(invalid("server.body_limit_bytes", "must be at least 1024"));
        }
        if self.billing.enabled() {
            if self.billing.stripe_webhook_secret.is_none() {
                return Err(invalid(
                    "billing.stripe_webhook_secret",
                    "required when billing.stripe_secret_key is set (webhooks are verified)",
                ));
            }
            for plan in crate::kernel::plans::CATALOGUE.iter().filter(|p| p.paid) {
                if !self.billing.prices.contains_key(plan.key) {
                    return Err(invalid(
                        &format!("billing.prices.{}", plan.key),
                        "every paid plan needs its Stripe price id when billing is enabled",
                    ));
                }
            }
        }
        if self
            .billing
            .stripe_api_base
            .as_deref()
            .is_some_and(|b| !(b.starts_with("http://") || b.starts_with("https://")))
        {
            return Err(invalid(
                "billing.stripe_api_base",
                "must start with http:// or https://",
            ));
        }
        if self.storage.max_upload_bytes == 0 {
            return Err(invalid("storage.max_upload_bytes", "must be at least 1"));
        }
        if self.storage.backend == StorageBackend::S3 {
            let s = &self.storage;
            for (key, missing) in [
                ("storage.s3_endpoint", s.s3_endpoint.is_none()),
                ("storage.s3_bucket", s.s3_bucket.is_none()),
                ("storage.s3_access_key_id", s.s3_access_key_id.is_none()),
                (
                    "storage.s3_secret_access_key",
                    s.s3_secret_access_key.is_none(),
                ),
            ] {
                if missing {
                    return Err(invalid(key, "required when storage.backend is s3"));
                }
            }
            if !s
                .s3_endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://") || e.starts_with("https://"))
            {
                return Err(invalid(
                    "storage.s3_endpoint",
                    "must start with http:// or https://",
                ));
            }
            let bucket_ok = s.s3_bucket.as_deref().is_some_and(|b| {
                (3..=63).contains(&b.len())
                    && b.bytes().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.'
                    })
            });
            if !bucket_ok {
                return Err(invalid(
                    "storage.s3_bucket",
                    "must be a valid S3 bucket name",
                ));
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> &str {
        // validate() guarantees a URL.
        self.database
            .url
            .as_ref()
            .map(|u| u.expose_secret())
            .unwrap_or(DEV_DATABASE_URL)
    }

    pub fn jwt_secret(&self) -> &[u8] {
        self.auth
            .jwt_secret
            .as_ref()
            .map(|s| s.expose_secret().as_bytes())
            .unwrap_or(DEV_JWT_SECRET.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
    }

    #[test]
    fn bad_key_is_named() {
        let err = Settings::load_from(
            &dir(),
            Environment::Test,
            Figment::new().merge(Serialized::default("database.max_connections", "many")),
        )
        .expect_err("must fail");
        assert!(err.to_string().contains("max_connections"), "{err}");
    }

    #[test]
    fn production_requires_secrets_and_hides_them() {
        let err = Settings::load_from(
            &dir(),
            Environment::Production,
            Figment::new().merge(Serialized::default("database.url", "postgres://u:pw@h/db")),
        )
        .expect_err("jwt secret required");
        assert!(err.to_string().contains("auth.jwt_secret"), "{err}");

        // With the secrets: SMTP is required too, unless mail.log_only says so.
        let production = |log_only: bool| {
            Settings::load_from(
                &dir(),
                Environment::Production,
                Figment::new()
                    .merge(Serialized::default(
                        "database.url",
                        "postgres://u:hunter2@h/db",
                    ))
                    .merge(Serialized::default("auth.jwt_secret", "x".repeat(40)))
                    .merge(Serialized::default("mail.log_only", log_only)),
            )
        };
        let err = production(false).expect_err("SMTP required");
        assert!(err.to_string().contains("mail.smtp_url"), "{err}");
        let s = production(true).expect("valid");
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains(&"x".repeat(40)),
            "{debug}"
        );
    }

    #[test]
    fn invalid_base_domain_is_rejected() {
        let err = Settings::load_from(
            &dir(),
            Environment::Test,
            Figment::new().merge(Serialized::default("tenancy.base_domain", "bad domain")),
        )
        .expect_err("must fail");
        assert!(err.to_string().contains("tenancy.base_domain"), "{err}");
    }

    #[test]
    fn statement_cache_is_bounded() {
        let load = |n: usize| {
            Settings::load_from(
                &dir(),
                Environment::Test,
                Figment::new().merge(Serialized::default("database.statement_cache_capacity", n)),
            )
        };
        assert_eq!(
            load(512).expect("valid").database.statement_cache_capacity,
            512
        );
        let err = load(10_001).expect_err("must fail");
        assert!(
            err.to_string()
                .contains("database.statement_cache_capacity"),
            "{err}"
        );
    }
}
