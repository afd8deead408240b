//! Envelope encryption of personal data at rest (patients' health data): each tenant has its
//! own data key, made on first use and kept in its schema (`data_keys`) only wrapped
//! (AES-256-GCM) by the master key of the configuration (`security.data_key`); a domain seals a
//! field with the tenant's data key (AES-256-GCM, a random 96-bit nonce per seal) and an
//! associated context (the record's kind and id), so a sealed value copied to another record,
//! another field or another tenant does not open. Rotating the master key means re-wrapping
//! the data keys, never re-encrypting the data.
//!
//! A sealed value is `1 | key id (16) | nonce (12) | ciphertext | tag (16)`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::ExposeSecret;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::Settings;

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// Sealing or opening failed: a wrong master key, a value altered or moved, or the random
/// source. Never says more (no key material in messages or logs).
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the data could not be decrypted")]
    Open,
    #[error("encryption failed")]
    Seal,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The configuration's master key.
pub struct MasterKey(LessSafeKey);

impl MasterKey {
    /// 32 bytes in standard base64, else `None`.
    pub fn parse(b64: &str) -> Option<Self> {
        let bytes = STANDARD.decode(b64.trim()).ok()?;
        key(&bytes).map(Self)
    }

    /// The master key of `settings` (validated at start, so present).
    pub fn of(settings: &Settings) -> Result<Self, CryptoError> {
        settings
            .security
            .data_key
            .as_ref()
            .and_then(|k| Self::parse(k.expose_secret()))
            .ok_or(CryptoError::Seal)
    }
}

fn key(bytes: &[u8]) -> Option<LessSafeKey> {
    (bytes.len() == 32)
        .then(|| {
            UnboundKey::new(&AES_256_GCM, bytes)
                .ok()
                .map(LessSafeKey::new)
        })
        .flatten()
}

fn nonce() -> Result<[u8; NONCE_LEN], CryptoError> {
    let mut n = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut n)
        .map_err(|_| CryptoError::Seal)?;
    Ok(n)
}

/// `nonce | ciphertext | tag` of `plain` under `key` with `aad`.
fn seal_with(key: &LessSafeKey, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let n = nonce()?;
    let mut body = plain.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(n), Aad::from(aad), &mut body)
        .map_err(|_| CryptoError::Seal)?;
    let mut out = Vec::with_capacity(NONCE_LEN + body.len());
    out.extend_from_slice(&n);
    out.extend_from_slice(&body);
    Ok(out)
}

fn open_with(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Open);
    }
    let (n, body) = sealed.split_at(NONCE_LEN);
    let n: [u8; NONCE_LEN] = n.try_into().map_err(|_| CryptoError::Open)?;
    let mut body = body.to_vec();
    let plain = key
        .open_in_place(Nonce::assume_unique_for_key(n), Aad::from(aad), &mut body)
        .map_err(|_| CryptoError::Open)?;
    Ok(plain.to_vec())
}

/// The context a data key is wrapped under: its id and its tenant.
fn wrap_aad(tenant: Uuid, key_id: Uuid) -> Vec<u8> {
    format!("flightline data key {tenant} {key_id}").into_bytes()
}

/// The tenant's data key (made and stored wrapped on first use), with its id.
async fn data_key(
    conn: &mut PgConnection,
    master: &MasterKey,
    tenant: Uuid,
) -> Result<(Uuid, LessSafeKey), CryptoError> {
    let found: Option<(Uuid, Vec<u8>)> =
        sqlx::query_as("select id, wrapped from data_keys where purpose = 'personal'")
            .fetch_optional(&mut *conn)
            .await?;
    let (id, wrapped) = match found {
        Some(k) => k,
        None => {
            let mut fresh = [0u8; 32];
            SystemRandom::new()
                .fill(&mut fresh)
                .map_err(|_| CryptoError::Seal)?;
            let id = Uuid::now_v7();
            let wrapped = seal_with(&master.0, &wrap_aad(tenant, id), &fresh)?;
            // Two first uses at once: one insert wins, both read the winner.
            sqlx::query(
                "insert into data_keys (purpose, id, wrapped) values ('personal', $1, $2)
                 on conflict (purpose) do nothing",
            )
            .bind(id)
            .bind(&wrapped)
            .execute(&mut *conn)
            .await?;
            sqlx::query_as("select id, wrapped from data_keys where purpose = 'personal'")
                .fetch_one(&mut *conn)
                .await?
        }
    };
    let raw = open_with(&master.0, &wrap_aad(tenant, id), &wrapped)?;
    Ok((id, key(&raw).ok_or(CryptoError::Open)?))
}

/// Seals `plain` for `tenant` (whose schema `conn` is in) under `context` (the record's kind,
/// id and field, e.g. `charter_patient:<id>`).
pub async fn seal(
    conn: &mut PgConnection,
    master: &MasterKey,
    tenant: Uuid,
    context: &str,
    plain: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (id, key) = data_key(conn, master, tenant).await?;
    let body = seal_with(&key, context.as_bytes(), plain)?;
    let mut out = Vec::with_capacity(1 + 16 + body.len());
    out.push(VERSION);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens what [`seal`] sealed for the same tenant and context.
pub async fn open(
    conn: &mut PgConnection,
    master: &MasterKey,
    tenant: Uuid,
    context: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (&version, rest) = sealed.split_first().ok_or(CryptoError::Open)?;
    if version != VERSION || rest.len() < 16 {
        return Err(CryptoError::Open);
    }
    let (key_id, body) = rest.split_at(16);
    let (id, key) = data_key(conn, master, tenant).await?;
    if id.as_bytes() != key_id {
        return Err(CryptoError::Open);
    }
    open_with(&key, context.as_bytes(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let k = key(&[7u8; 32]).expect("key");
        let other = key(&[8u8; 32]).expect("key");
        let sealed = seal_with(&k, b"charter_patient:1", b"hypoxia").expect("seal");
        assert!(!sealed.windows(7).any(|w| w == b"hypoxia"));
        assert_eq!(
            open_with(&k, b"charter_patient:1", &sealed).expect("open"),
            b"hypoxia"
        );
        assert!(open_with(&k, b"charter_patient:2", &sealed).is_err());
        assert!(open_with(&other, b"charter_patient:1", &sealed).is_err());
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(open_with(&k, b"charter_patient:1", &altered).is_err());
        assert!(open_with(&k, b"x", &[1, 2, 3]).is_err());
        // A fresh nonce each time: the same value never seals the same.
        assert_ne!(
            sealed,
            seal_with(&k, b"charter_patient:1", b"hypoxia").expect("seal")
        );
    }

    #[test]
    fn master_keys_are_32_bytes_of_base64() {
        assert!(MasterKey::parse("ZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGQ=").is_some());
        assert!(MasterKey::parse("c2hvcnQ=").is_none());
        assert!(MasterKey::parse("not base64!").is_none());
    }
}
