//! argon2id password hashing (OWASP parameters: 19 MiB, 2 passes, 1 lane) on a small pool of
//! dedicated threads (`auth.max_concurrent_hashes`), so logins cannot starve the async runtime;
//! further requests queue, up to `auth.hash_queue` of them: past that the answer is
//! `503 busy` with `Retry-After` at once, rather than a queue (and its memory and latency) that
//! grows without bound under a flood of logins.
//!
//! Dedicated threads rather than tokio's blocking pool on purpose: each hash allocates 19 MiB,
//! and the allocator keeps that memory in the arena of the thread that freed it. A fixed set of
//! threads reuses its own blocks (memory bounded by threads × 19 MiB); the blocking pool, which
//! grows and shrinks, would spread them over many arenas and inflate the resident size.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use poem::http::StatusCode;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::AppError;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::SyncSender<Job>,
    /// Verified against when the e-mail is unknown, so both paths cost the same.
    dummy: Arc<str>,
}

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 256;

/// A new password in a request body. The schema declares the policy's lengths (so generated
/// clients and fuzzers know them), while the handler checks them with [`check_policy`] next to
/// the body's other fields, so one answer names every field that is wrong. Any JSON string
/// parses; anything else is a type error, as for every string.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl std::ops::Deref for Password {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl poem_openapi::types::Type for Password {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "string(password)".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
            poem_openapi::registry::MetaSchema {
                format: Some("password"),
                description: Some("At least 10 and at most 256 characters."),
                min_length: Some(MIN_PASSWORD_LEN),
                max_length: Some(MAX_PASSWORD_LEN),
                ..poem_openapi::registry::MetaSchema::new("string")
            },
        ))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ParseFromJSON for Password {
    fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
        match value.unwrap_or_default() {
            serde_json::Value::String(s) => Ok(Self(s)),
            other => Err(poem_openapi::types::ParseError::expected_type(other)),
        }
    }
}

impl poem_openapi::types::ToJSON for Password {
    fn to_json(&self) -> Option<serde_json::Value> {
        // Request-only; never echoed.
        None
    }
}

impl Passwords {
    /// `threads` hashing threads; at most `queue` requests wait for one.
    pub fn new(threads: usize, queue: usize) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(queue);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            // Every `Passwords` is gone: the thread ends.
                            Err(_) => return,
                        }
                    }
                })?;
        }
        let dummy = hash_blocking(&uuid::Uuid::new_v4().to_string())?;
        Ok(Self {
            jobs,
            dummy: dummy.into(),
        })
    }

    /// Runs `f` on a hashing thread; `503 busy` when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(move || {
                let _ = done.send(f());
            }))
            .map_err(|e| match e {
                mpsc::TrySendError::Full(_) => busy(),
                mpsc::TrySendError::Disconnected(_) => {
                    AppError::Internal(anyhow::anyhow!("password hashing threads have stopped"))
                }
            })?;
        result
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing: {e}")))
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password))
            .await?
            .map_err(AppError::Internal)
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is none (unknown
    /// user, or an invited user without a password): the time taken reveals nothing. `503 busy`
    /// when the hashing queue is full.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        let known = hash.is_some();
        let hash: String = hash
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy.to_string());
        let password = password.to_owned();
        let ok = self
            .run(move || {
                PasswordHash::new(&hash).ok().is_some_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
            })
            .await?;
        Ok(ok && known)
    }
}

/// The hashing queue is full: `503 busy`, retry in a second.
fn busy() -> AppError {
    AppError::Status {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "busy",
        detail: "the server is busy checking passwords; retry in a moment".into(),
        retry_after: Some(1),
    }
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Checks the password policy; returns a message for the field error.
pub fn check_policy(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(format!("must be at least {MIN_PASSWORD_LEN} characters"));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(format!("must be at most {MAX_PASSWORD_LEN} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new(2, 8).expect("init");
        let h = p.hash("correct horse battery").await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(
            p.verify("correct horse battery", Some(&h))
                .await
                .expect("ok")
        );
        assert!(!p.verify("wrong", Some(&h)).await.expect("ok"));
        assert!(!p.verify("correct horse battery", None).await.expect("ok"));
    }

    /// One thread and room for one waiting job: of six hashes asked for at once, at most two
    /// are taken (one running, one queued) and the rest answer `503 busy` at once.
    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_growing() {
        let p = Passwords::new(1, 1).expect("init");
        let results =
            futures_util::future::join_all((0..6).map(|_| p.hash("correct horse battery"))).await;
        let busy = results
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Err(AppError::Status {
                        code: "busy",
                        retry_after: Some(1),
                        ..
                    })
                )
            })
            .count();
        let done = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(busy + done, 6);
        assert!((1..=2).contains(&done), "{done} hashed");
        // Once the queue drains, hashing works again.
        assert!(p.hash("correct horse battery").await.is_ok());
    }
}
