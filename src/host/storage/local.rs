//! Objects as files under a root directory: `<root>/<key>`.

use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use tokio_util::io::ReaderStream;

use super::{ByteStream, ObjectKey, StorageError};

pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &ObjectKey) -> PathBuf {
        // Keys are server-made `[0-9a-z/-]` (ObjectKey), so this stays under the root.
        self.root.join(key.as_str())
    }

    pub async fn put_file(&self, key: &ObjectKey, source: &Path) -> Result<(), StorageError> {
        let target = self.path(key);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Same filesystem (the spool is under the root): an atomic rename. Otherwise copy to a
        // temporary name beside the target and rename that, so a reader never sees half a file.
        if tokio::fs::rename(source, &target).await.is_err() {
            let partial = target.with_extension(format!("part-{}", uuid::Uuid::new_v4().simple()));
            let copied = tokio::fs::copy(source, &partial).await;
            let _ = tokio::fs::remove_file(source).await;
            copied?;
            tokio::fs::rename(&partial, &target).await?;
        }
        Ok(())
    }

    pub async fn open(&self, key: &ObjectKey) -> Result<Option<(u64, ByteStream)>, StorageError> {
        let file = match tokio::fs::File::open(self.path(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let len = file.metadata().await?.len();
        let stream: ByteStream = Box::pin(ReaderStream::new(file).map_ok(Into::into));
        Ok(Some((len, stream)))
    }

    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
