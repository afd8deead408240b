//! Validation: the checks run once at start over the loaded [`Settings`]; an error names the
//! offending key.

use secrecy::ExposeSecret;

use super::{
    ConfigError, DEV_DATA_KEY, DEV_DATABASE_URL, DEV_JWT_SECRET, Environment, Settings,
    StorageBackend,
};

impl Settings {
    pub(super) fn validate(&mut self) -> Result<(), ConfigError> {
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
        match &self.security.data_key {
            Some(key)
                if base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    key.expose_secret().trim(),
                )
                .map_or(true, |k| k.len() != 32) =>
            {
                return Err(invalid(
                    "security.data_key",
                    "must be 32 bytes in standard base64",
                ));
            }
            Some(key)
                if self.environment == Environment::Production
                    && key.expose_secret() == DEV_DATA_KEY =>
            {
                return Err(invalid(
                    "security.data_key",
                    "the development key is not allowed in production",
                ));
            }
            Some(_) => {}
            None if self.environment != Environment::Production => {
                self.security.data_key = Some(DEV_DATA_KEY.into());
            }
            None => {
                return Err(invalid(
                    "security.data_key",
                    "FLIGHTLINE__SECURITY__DATA_KEY is required (32 random bytes, base64)",
                ));
            }
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
        if self.billing.stripe_connect_webhook_secret.is_some() && !self.billing.enabled() {
            return Err(invalid(
                "billing.stripe_connect_webhook_secret",
                "needs billing.stripe_secret_key (Connect calls Stripe with the platform's key)",
            ));
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
        self.validate_weather()?;
        Ok(())
    }

    fn validate_weather(&mut self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        let w = &mut self.weather;
        if let Some(url) = &w.provider_url {
            let url = url.trim().trim_end_matches('/');
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if !rest.is_some_and(|r| !r.is_empty() && !r.contains(['?', '#', ' '])) {
                return Err(invalid(
                    "weather.provider_url",
                    "must be an http:// or https:// base URL without query (https://aviationweather.gov)",
                ));
            }
            w.provider_url = Some(url.to_owned());
        }
        if !(1..=86_400).contains(&w.refresh_seconds) {
            return Err(invalid("weather.refresh_seconds", "must be 1 to 86400"));
        }
        if self.environment == Environment::Production && w.refresh_seconds < 60 {
            return Err(invalid(
                "weather.refresh_seconds",
                "must be at least 60 in production (the provider is a shared public service)",
            ));
        }
        if !(1..=120).contains(&w.timeout_seconds) {
            return Err(invalid("weather.timeout_seconds", "must be 1 to 120"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use figment::Figment;
    use figment::providers::Serialized;

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
                    .merge(Serialized::default(
                        "security.data_key",
                        "cHJvZHVjdGlvbi1kYXRhLWtleS0zMi1ieXRlcy0wMDA=",
                    ))
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
    fn the_connect_secret_needs_billing() {
        let load = |with_key: bool| {
            let mut f = Figment::new().merge(Serialized::default(
                "billing.stripe_connect_webhook_secret",
                "whsec_connect",
            ));
            if with_key {
                f = f
                    .merge(Serialized::default(
                        "billing.stripe_secret_key",
                        "sk_test_x",
                    ))
                    .merge(Serialized::default(
                        "billing.stripe_webhook_secret",
                        "whsec_x",
                    ));
                for plan in ["starter", "professional", "enterprise"] {
                    f = f.merge(Serialized::default(
                        &format!("billing.prices.{plan}"),
                        format!("price_{plan}"),
                    ));
                }
            }
            Settings::load_from(&dir(), Environment::Test, f)
        };
        let err = load(false).expect_err("must fail");
        assert!(
            err.to_string()
                .contains("billing.stripe_connect_webhook_secret"),
            "{err}"
        );
        let s = load(true).expect("valid");
        assert!(s.billing.connect_enabled());
        assert!(!format!("{s:?}").contains("whsec_connect"), "a secret");
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
    fn weather_provider_is_optional_and_checked() {
        let load = |key: &str, value: &str| {
            Settings::load_from(
                &dir(),
                Environment::Test,
                Figment::new().merge(Serialized::default(key, value)),
            )
        };
        let offline =
            Settings::load_from(&dir(), Environment::Test, Figment::new()).expect("valid");
        assert_eq!(offline.weather.provider_url, None);
        assert_eq!(offline.weather.refresh_seconds, 600);
        let s = load("weather.provider_url", "https://aviationweather.gov/").expect("valid");
        assert_eq!(
            s.weather.provider_url.as_deref(),
            Some("https://aviationweather.gov")
        );
        for (key, value) in [
            ("weather.provider_url", "aviationweather.gov"),
            ("weather.provider_url", "https://x.example/api?ids=1"),
            ("weather.refresh_seconds", "0"),
            ("weather.timeout_seconds", "600"),
        ] {
            let err = load(key, value).expect_err(value);
            assert!(err.to_string().contains(key), "{err}");
        }
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
