//! Streaming uploads: a part of a `multipart/form-data` body written to a spool file while it
//! arrives, counted and hashed on the way, and cut off at a byte limit (so a large upload costs
//! neither memory nor more disk than the limit).

use std::path::{Path, PathBuf};

use poem::http::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::error::AppError;

/// A spooled file. Dropping it removes the file unless [`Spooled::take_path`] handed it on.
pub struct Spooled {
    path: Option<PathBuf>,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// The first bytes (at most the `head` length asked for), for type sniffing.
    pub head: Vec<u8>,
}

impl Spooled {
    /// The file's path; from now on the caller owns the file.
    pub fn take_path(&mut self) -> Option<PathBuf> {
        self.path.take()
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl Drop for Spooled {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// `413 payload-too-large` naming the limit.
pub fn too_large(limit: u64) -> AppError {
    AppError::status(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!("the file exceeds the limit of {limit} bytes"),
    )
}

/// Copies `reader` into a new file in `dir`; more than `limit` bytes → `413` and no file left.
pub async fn spool(
    reader: impl AsyncRead + Send,
    dir: &Path,
    limit: u64,
    head_len: usize,
) -> Result<Spooled, AppError> {
    let path = dir.join(format!("upload-{}", uuid::Uuid::new_v4().simple()));
    let mut spooled = Spooled {
        path: Some(path.clone()),
        size: 0,
        sha256: String::new(),
        head: Vec::new(),
    };
    let io =
        |e: std::io::Error| AppError::Internal(anyhow::Error::new(e).context("spooling an upload"));
    let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
    let mut reader = std::pin::pin!(reader);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(n) => n,
            // The client's multipart body broke off or is malformed.
            Err(e) => {
                return Err(AppError::bad_request(
                    "malformed-multipart",
                    format!("the upload could not be read: {e}"),
                ));
            }
        };
        if n == 0 {
            break;
        }
        spooled.size += n as u64;
        if spooled.size > limit {
            return Err(too_large(limit));
        }
        let chunk = &buf[..n];
        if spooled.head.len() < head_len {
            let take = (head_len - spooled.head.len()).min(n);
            spooled.head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(chunk);
        file.write_all(chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    spooled.sha256 = hex::encode(hasher.finalize());
    Ok(spooled)
}

/// Reads a small text part (at most `max_chars` characters) of a multipart body.
pub async fn text_part(
    reader: impl AsyncRead + Send,
    field: &str,
    max_chars: usize,
) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    // Four bytes per character at most, plus one to notice an overlong value.
    let cap = (max_chars * 4 + 1) as u64;
    std::pin::pin!(reader)
        .take(cap)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| {
            AppError::bad_request(
                "malformed-multipart",
                format!("the upload could not be read: {e}"),
            )
        })?;
    let text =
        String::from_utf8(bytes).map_err(|_| AppError::validation(field, "must be UTF-8 text"))?;
    if text.chars().count() > max_chars {
        return Err(AppError::validation(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(text)
}
