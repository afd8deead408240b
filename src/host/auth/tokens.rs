//! Opaque tokens: refresh tokens, one-time tokens (reset, verify, invitation) and API key
//! secrets. Only SHA-256 digests are stored; the tokens are 256-bit random, base64url.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

/// A fresh random token and its digest.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = digest(&token);
    (token, hash)
}

pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerify,
    Invitation,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerify => "email_verify",
            Self::Invitation => "invitation",
        }
    }

    pub fn lifetime_seconds(self) -> f64 {
        match self {
            Self::PasswordReset => 3600.0,
            Self::EmailVerify => 48.0 * 3600.0,
            Self::Invitation => 7.0 * 24.0 * 3600.0,
        }
    }
}

/// Issues a one-time token for `user`; earlier unused tokens of the same purpose stop working.
pub async fn issue_one_time(
    conn: &mut PgConnection,
    user: Uuid,
    purpose: Purpose,
) -> Result<String, sqlx::Error> {
    sqlx::query("update one_time_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null")
        .bind(user)
        .bind(purpose.as_str())
        .execute(&mut *conn)
        .await?;
    let (token, hash) = new_token();
    sqlx::query(
        "insert into one_time_tokens (id, user_id, purpose, token_hash, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(secs => $5))",
    )
    .bind(Uuid::now_v7())
    .bind(user)
    .bind(purpose.as_str())
    .bind(hash)
    .bind(purpose.lifetime_seconds())
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Spends a one-time token of one of `purposes`: returns its user and purpose, or `None` when
/// the token is unknown, spent or expired.
/// Whether `token` is an unspent, unexpired one-time token of one of `purposes` (a read: the
/// caller checks before expensive work, then spends it with [`spend_one_time`], which decides).
pub async fn is_live(
    conn: &mut PgConnection,
    token: &str,
    purposes: &[Purpose],
) -> Result<bool, sqlx::Error> {
    let names: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    sqlx::query_scalar(
        "select exists(select 1 from one_time_tokens
         where token_hash = $1 and purpose = any($2) and used_at is null and expires_at > now())",
    )
    .bind(digest(token))
    .bind(&names)
    .fetch_one(conn)
    .await
}

pub async fn spend_one_time(
    conn: &mut PgConnection,
    token: &str,
    purposes: &[Purpose],
) -> Result<Option<(Uuid, Purpose)>, sqlx::Error> {
    let names: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "update one_time_tokens set used_at = now()
         where token_hash = $1 and purpose = any($2) and used_at is null and expires_at > now()
         returning user_id, purpose",
    )
    .bind(digest(token))
    .bind(&names)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.and_then(|(user, p)| {
        let purpose = [
            Purpose::PasswordReset,
            Purpose::EmailVerify,
            Purpose::Invitation,
        ]
        .into_iter()
        .find(|x| x.as_str() == p)?;
        Some((user, purpose))
    }))
}

/// Creates a login session and its first refresh token; returns (session id, refresh token).
pub async fn new_session(
    conn: &mut PgConnection,
    user: Uuid,
    ip: Option<&str>,
    user_agent: Option<&str>,
    ttl_seconds: u64,
) -> Result<(Uuid, String), sqlx::Error> {
    let session_id = Uuid::now_v7();
    let (refresh, hash) = new_token();
    sqlx::query(
        "insert into sessions (id, user_id, refresh_token_hash, ip, user_agent, expires_at)
         values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
    )
    .bind(session_id)
    .bind(user)
    .bind(&hash)
    .bind(ip)
    .bind(user_agent)
    .bind(ttl_seconds as f64)
    .execute(&mut *conn)
    .await?;
    sqlx::query("insert into refresh_tokens (token_hash, session_id) values ($1, $2)")
        .bind(&hash)
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
    Ok((session_id, refresh))
}

/// Revokes sessions; returns the ids revoked.
pub async fn revoke_sessions(
    conn: &mut PgConnection,
    user: Uuid,
    only: Option<Uuid>,
    reason: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update sessions set revoked_at = now(), revoked_reason = $3
         where user_id = $1 and ($2::uuid is null or id = $2) and revoked_at is null
         returning id",
    )
    .bind(user)
    .bind(only)
    .bind(reason)
    .fetch_all(&mut *conn)
    .await
}

/// Whether a session is still usable at `now`.
pub fn live(revoked_at: Option<DateTime<Utc>>, expires_at: DateTime<Utc>) -> bool {
    revoked_at.is_none() && expires_at > Utc::now()
}
