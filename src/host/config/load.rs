//! Loading: the layers (files, environment, overrides) merged and extracted into [`Settings`],
//! and the accessors that fall back to development defaults.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::ExposeSecret;

use super::{ConfigError, DEV_DATABASE_URL, DEV_JWT_SECRET, Environment, Settings};

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
