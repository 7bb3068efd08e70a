//! The object store behind attachments, through the `object_store` crate:
//! a local directory (written to a staging file, then renamed: a crash
//! leaves no half object under a key) or any S3-compatible service.
//! Objects are written a bounded piece at a time, never whole in memory
//! when large. A local object is flushed to the disk (file and directory)
//! before `put` returns: its row, committed next, must never outlive it
//! in a power cut (S3 services acknowledge only what they keep).

use std::io::Read;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore as _, ObjectStoreExt as _, PutPayload};

use super::AttachmentError;
use crate::configuration::{AttachmentSettings, AttachmentStore};

/// Larger objects are sent in parts of this size (S3's least is 5 MiB).
const PART_BYTES: usize = 8 << 20;

pub struct ObjectStore {
    inner: Arc<dyn object_store::ObjectStore>,
    /// The directory of a local store, whose writes are synced.
    local_root: Option<std::path::PathBuf>,
    /// Where the objects are, for logs (no secrets).
    pub describe: String,
}

fn store_error(e: object_store::Error) -> AttachmentError {
    AttachmentError::Store(e.to_string())
}

impl ObjectStore {
    pub async fn open(s: &AttachmentSettings) -> Result<ObjectStore, String> {
        use secrecy::ExposeSecret;
        match s.store {
            AttachmentStore::Local => {
                std::fs::create_dir_all(&s.root)
                    .map_err(|e| format!("cannot create attachments.root {}: {e}", s.root))?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(&s.root)
                    .map_err(|e| format!("attachments.root {}: {e}", s.root))?;
                Ok(ObjectStore {
                    inner: Arc::new(fs),
                    local_root: Some(std::path::PathBuf::from(&s.root)),
                    describe: format!("directory {}", s.root),
                })
            }
            AttachmentStore::S3 => {
                let s3 = object_store::aws::AmazonS3Builder::new()
                    .with_endpoint(s.s3_endpoint.trim())
                    .with_bucket_name(s.s3_bucket.trim())
                    .with_region(s.s3_region.trim())
                    .with_access_key_id(s.s3_access_key.trim())
                    .with_secret_access_key(s.s3_secret_key.expose_secret().trim())
                    .with_allow_http(s.s3_allow_http)
                    .build()
                    .map_err(|e| format!("attachments: the S3 store is misconfigured: {e}"))?;
                Ok(ObjectStore {
                    inner: Arc::new(s3),
                    local_root: None,
                    describe: format!("bucket {} at {}", s.s3_bucket, s.s3_endpoint),
                })
            }
        }
    }

    /// Whether an object is stored under `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, AttachmentError> {
        match self.inner.head(&Path::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Stores the file under `key` unless an object is there already (the
    /// key is the content's hash: the same bytes).
    pub async fn put_file_once(
        &self,
        key: &str,
        file: std::fs::File,
        size: u64,
    ) -> Result<(), AttachmentError> {
        if self.exists(key).await? {
            return Ok(());
        }
        let path = Path::from(key);
        if size as usize <= PART_BYTES {
            let (bytes, _) = read_from(file, PART_BYTES).await?;
            self.inner
                .put(&path, PutPayload::from(bytes))
                .await
                .map_err(store_error)?;
            return self.synced(key).await;
        }
        // Large: one part in memory at a time; aborted on any failure.
        let mut upload = self.inner.put_multipart(&path).await.map_err(store_error)?;
        let mut file = Some(file);
        let result = async {
            loop {
                let f = file.take().expect("handed back after each part");
                let (bytes, f) = read_from(f, PART_BYTES).await?;
                file = Some(f);
                if bytes.is_empty() {
                    break;
                }
                upload
                    .put_part(PutPayload::from(bytes))
                    .await
                    .map_err(store_error)?;
            }
            upload.complete().await.map_err(store_error)?;
            Ok::<_, AttachmentError>(())
        }
        .await;
        if result.is_err() {
            let _ = upload.abort().await;
            return result;
        }
        self.synced(key).await
    }

    /// Flushes a local object and its directory entry to the disk.
    async fn synced(&self, key: &str) -> Result<(), AttachmentError> {
        let Some(root) = &self.local_root else {
            return Ok(());
        };
        let file = root.join(key);
        tokio::task::spawn_blocking(move || {
            std::fs::File::open(&file)?.sync_all()?;
            match file.parent() {
                Some(dir) => std::fs::File::open(dir)?.sync_all(),
                None => Ok(()),
            }
        })
        .await
        .map_err(|e| AttachmentError::Store(e.to_string()))?
        .map_err(|e| AttachmentError::Store(format!("cannot flush the object to disk: {e}")))
    }

    /// Stores small bytes (a thumbnail) under `key` unless already there.
    pub async fn put_bytes_once(&self, key: &str, bytes: Vec<u8>) -> Result<(), AttachmentError> {
        if self.exists(key).await? {
            return Ok(());
        }
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(store_error)?;
        self.synced(key).await
    }

    /// An object's size and its bytes as they are read.
    pub async fn get(
        &self,
        key: &str,
    ) -> Result<
        (
            u64,
            futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
        ),
        AttachmentError,
    > {
        let got = self
            .inner
            .get(&Path::from(key))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => AttachmentError::NotFound,
                other => store_error(other),
            })?;
        let size = got.meta.size;
        Ok((
            size,
            got.into_stream().map_err(std::io::Error::other).boxed(),
        ))
    }

    /// Deletes an object; one already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), AttachmentError> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Every key in the store (for checks and the reliability scenario).
    pub async fn keys(&self) -> Result<Vec<String>, AttachmentError> {
        self.inner
            .list(None)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .map_err(store_error)
    }
}

async fn read_from(
    mut f: std::fs::File,
    limit: usize,
) -> Result<(Vec<u8>, std::fs::File), AttachmentError> {
    tokio::task::spawn_blocking(move || {
        let mut buf = Vec::with_capacity(limit);
        (&mut f).take(limit as u64).read_to_end(&mut buf)?;
        Ok::<_, std::io::Error>((buf, f))
    })
    .await
    .map_err(|e| AttachmentError::Store(e.to_string()))?
    .map_err(|e| AttachmentError::Store(format!("cannot read the upload: {e}")))
}
