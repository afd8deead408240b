//! Stripe's signature scheme: `t=<unix time>,v1=<hex HMAC-SHA256>` checked in constant time
//! within [`TOLERANCE_SECONDS`].

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::Result;

/// How far a signature's timestamp may be from now.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No `t=` or no `v1=` in the header.
    Malformed,
    /// `t` is more than five minutes from now.
    Stale,
    /// No `v1` matches.
    Mismatch,
}

/// Verifies `header` for `payload` under `secret` at `now` (unix seconds). Returns `t`.
pub fn verify(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<i64, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                if let Ok(bytes) = hex::decode(v) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    // verify_slice compares in constant time.
    if signatures
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok())
    {
        Ok(t)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A `Stripe-Signature` header for `payload` at `t` (what Stripe sends; used by tests and tools).
pub fn sign(secret: &str, payload: &[u8], t: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn signatures_verify_like_stripe() {
        let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
        let now = 1_700_000_000;
        let header = sign(SECRET, body, now);
        assert_eq!(verify(SECRET, &header, body, now + 10), Ok(now));
        // Several v1 signatures (a secret roll): any match counts; v0 and unknown parts ignored.
        let other = sign("whsec_other", body, now);
        let rolled = format!(
            "t={now},v0=abc,{},{}",
            other.split(',').nth(1).unwrap_or_default(),
            header.split(',').nth(1).unwrap_or_default()
        );
        assert_eq!(verify(SECRET, &rolled, body, now), Ok(now));
        assert_eq!(
            verify(SECRET, &other, body, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &header, br#"{"id":"evt_2"}"#, now),
            Err(SignatureError::Mismatch),
            "a changed body"
        );
        assert_eq!(
            verify(SECRET, &header, body, now + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, &header, body, now - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, "v1=00", body, now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, &format!("t={now}"), body, now),
            Err(SignatureError::Malformed)
        );
    }
}
