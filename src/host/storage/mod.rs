//! Object storage for files: attachments now, tenant archives later. One interface
//! ([`Storage`]) over two backends, a directory on local disk and an S3-compatible bucket.
//!
//! Every object lives under a per-tenant prefix, `tenants/<tenant id>/<area>/<object id>`, and
//! an [`ObjectKey`] can only be made from a tenant and server-made ids, never from request text
//! (a file name never reaches a path or an object key).

mod local;
mod s3;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use uuid::Uuid;

use crate::config::{StorageBackend, StorageSettings};
use crate::tenancy::Tenant;

pub use s3::{S3Store, SigningInput, sign_v4};

/// The bytes of an object, streamed.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// What kind of object a key names (the third segment of the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Attachments,
    Archives,
}

impl Area {
    fn as_str(self) -> &'static str {
        match self {
            Self::Attachments => "attachments",
            Self::Archives => "archives",
        }
    }
}

/// `tenants/<tenant id>/<area>/<object id>`: only `[0-9a-z/-]`, so it is safe as a relative
/// path and as an S3 key without escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn new(tenant: &Tenant, area: Area, id: Uuid) -> Self {
        Self::for_tenant_id(tenant.id, area, id)
    }

    /// For work that holds only the tenant's id (an archive of a tenant being dropped).
    pub fn for_tenant_id(tenant_id: Uuid, area: Area, id: Uuid) -> Self {
        Self(format!(
            "tenants/{}/{}/{}",
            tenant_id.hyphenated(),
            area.as_str(),
            id.hyphenated()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("object storage request: {0}")]
    Http(#[from] reqwest::Error),
    #[error("object storage answered {status}: {body}")]
    Status { status: u16, body: String },
}

/// The configured object store. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    backend: Arc<Backend>,
    spool: PathBuf,
}

enum Backend {
    Local(local::LocalStore),
    S3(S3Store),
}

impl Storage {
    pub fn from_settings(settings: &StorageSettings) -> anyhow::Result<Self> {
        let (backend, spool) = match settings.backend {
            StorageBackend::Local => {
                let root = settings.local_dir.clone();
                // The spool sits beside the objects, so a finished upload is a rename.
                let spool = root.join(".spool");
                (Backend::Local(local::LocalStore::new(root)), spool)
            }
            StorageBackend::S3 => (
                Backend::S3(S3Store::from_settings(settings)?),
                std::env::temp_dir().join("flightline-spool"),
            ),
        };
        Ok(Self {
            backend: Arc::new(backend),
            spool,
        })
    }

    /// A directory for staging uploads before they are stored (created on demand).
    pub async fn spool_dir(&self) -> std::io::Result<&Path> {
        tokio::fs::create_dir_all(&self.spool).await?;
        Ok(&self.spool)
    }

    /// Stores the file at `path` (which it consumes: moved or deleted) under `key`.
    pub async fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageError> {
        match &*self.backend {
            Backend::Local(l) => l.put_file(key, path).await,
            Backend::S3(s) => {
                let result = s.put_file(key, path, content_type).await;
                let _ = tokio::fs::remove_file(path).await;
                result
            }
        }
    }

    /// The object's length and bytes, or `None` when there is no such object.
    pub async fn open(&self, key: &ObjectKey) -> Result<Option<(u64, ByteStream)>, StorageError> {
        match &*self.backend {
            Backend::Local(l) => l.open(key).await,
            Backend::S3(s) => s.open(key).await,
        }
    }

    /// Removes the object; removing one that does not exist is not an error.
    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match &*self.backend {
            Backend::Local(l) => l.delete(key).await,
            Backend::S3(s) => s.delete(key).await,
        }
    }

    /// The S3 backend, when configured (tests and `flightline` setup create the bucket).
    pub fn s3(&self) -> Option<&S3Store> {
        match &*self.backend {
            Backend::S3(s) => Some(s),
            Backend::Local(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_tenant_and_nothing_from_requests() {
        let t = Uuid::new_v4();
        let id = Uuid::new_v4();
        let key = ObjectKey::for_tenant_id(t, Area::Attachments, id);
        assert_eq!(
            key.as_str(),
            format!("tenants/{}/attachments/{}", t.hyphenated(), id.hyphenated())
        );
        assert!(
            key.as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'/' || b == b'-')
        );
    }
}
