//! Access tokens: HS256 JWTs bound to a tenant and a session (API.md §3).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Audience of tenant tokens; platform operator tokens carry `platform` and are refused here.
pub const TENANT_AUDIENCE: &str = "tenant";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub tenant_id: Uuid,
    pub email: String,
    pub sid: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
    pub aud: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl_seconds: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[TENANT_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_seconds: i64::try_from(access_ttl_seconds).unwrap_or(3600),
        }
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        tenant_id: Uuid,
        email: &str,
        session_id: Uuid,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            tenant_id,
            email: email.to_owned(),
            sid: session_id,
            jti: Uuid::new_v4(),
            iat: now,
            exp: now + self.access_ttl_seconds,
            typ: "access".into(),
            aud: TENANT_AUDIENCE.into(),
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, expiry and audience. `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.typ == "access").then_some(data.claims)
    }
}

/// Audience of platform operator tokens.
pub const PLATFORM_AUDIENCE: &str = "platform";

/// Claims of a platform operator's access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlatformClaims {
    /// The operator.
    pub sub: Uuid,
    pub email: String,
    /// `owner` or `support`.
    pub role: String,
    pub sid: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
    pub aud: String,
}

/// Keys of platform tokens: derived from the same secret under another label, so even a
/// verifier that forgot to check the audience could not accept a tenant token.
#[derive(Clone)]
pub struct PlatformKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_seconds: i64,
}

impl PlatformKeys {
    pub fn new(secret: &[u8], access_ttl_seconds: u64) -> Self {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"flightline-platform-tokens:");
        h.update(secret);
        let key = h.finalize();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[PLATFORM_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            access_ttl_seconds: i64::try_from(access_ttl_seconds).unwrap_or(3600),
        }
    }

    pub fn issue(
        &self,
        operator: Uuid,
        email: &str,
        role: &str,
        session: Uuid,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = PlatformClaims {
            sub: operator,
            email: email.to_owned(),
            role: role.to_owned(),
            sid: session,
            jti: Uuid::new_v4(),
            iat: now,
            exp: now + self.access_ttl_seconds,
            typ: "access".into(),
            aud: PLATFORM_AUDIENCE.into(),
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Option<PlatformClaims> {
        let data = decode::<PlatformClaims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.typ == "access").then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let keys = JwtKeys::new(&[7u8; 32], 60);
        let (u, t, s) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let token = keys.issue(u, t, "a@b.c", s).expect("issue");
        let claims = keys.verify(&token).expect("valid");
        assert_eq!((claims.sub, claims.tenant_id, claims.sid), (u, t, s));
        assert!(JwtKeys::new(&[8u8; 32], 60).verify(&token).is_none());
        assert!(keys.verify(&format!("{token}x")).is_none());
    }

    #[test]
    fn platform_and_tenant_tokens_do_not_mix() {
        let secret = [7u8; 32];
        let tenant = JwtKeys::new(&secret, 60);
        let platform = PlatformKeys::new(&secret, 60);
        let (u, t, s) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let tenant_token = tenant.issue(u, t, "a@b.c", s).expect("issue");
        let platform_token = platform.issue(u, "ops@b.c", "owner", s).expect("issue");
        assert!(platform.verify(&platform_token).is_some());
        assert!(platform.verify(&tenant_token).is_none());
        assert!(tenant.verify(&platform_token).is_none());
    }
}
