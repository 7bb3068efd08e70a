//! The object store behind attachments, through the `object_store` crate:
//! a local directory or any S3-compatible service. A local object is never
//! half there under its key: an upload received in the store's file system
//! is linked into place once synced (`link_into_place`), anything else is
//! written to a staging file and renamed.
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

    /// The directory of a local store (where uploads are best received:
    /// on the same file system, a stored upload is linked, not copied).
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.local_root.as_deref()
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
        let file = match &self.local_root {
            Some(root) => match link_into_place(root.clone(), key.to_string(), file).await? {
                None => return Ok(()),
                Some(file) => file,
            },
            None => file,
        };
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
        let got = self.fetch(key).await?;
        let size = got.meta.size;
        Ok((
            size,
            got.into_stream().map_err(std::io::Error::other).boxed(),
        ))
    }

    async fn fetch(&self, key: &str) -> Result<object_store::GetResult, AttachmentError> {
        self.inner.get(&Path::from(key)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => AttachmentError::NotFound,
            other => store_error(other),
        })
    }

    /// A whole object in memory (an image to decode: at most the file limit).
    pub async fn get_bytes(&self, key: &str) -> Result<bytes::Bytes, AttachmentError> {
        let got = self.fetch(key).await?;
        got.bytes().await.map_err(store_error)
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

/// Gives a received file (unnamed, `O_TMPFILE`, in the store's file
/// system) its object's name, synced first: the upload is written once,
/// not received and then copied. The file comes back when it cannot be
/// linked (received elsewhere, or a system without `O_TMPFILE`); it is
/// then copied as any store's would be.
async fn link_into_place(
    root: std::path::PathBuf,
    key: String,
    file: std::fs::File,
) -> Result<Option<std::fs::File>, AttachmentError> {
    let failed = |e: std::io::Error| AttachmentError::Store(format!("cannot store the file: {e}"));
    tokio::task::spawn_blocking(move || {
        let target = root.join(&key);
        let Some(dir) = target.parent() else {
            return Ok(Some(file));
        };
        let created = create_dirs(&root, dir)?;
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::PermissionsExt;
            use std::os::unix::io::AsRawFd;
            file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
            file.sync_all()?;
            let from = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
                .expect("no NUL in a path of digits");
            let to = std::ffi::CString::new(target.as_os_str().as_encoded_bytes())
                .map_err(std::io::Error::other)?;
            // SAFETY: two NUL-terminated paths; linkat(2) reads them only.
            let linked = unsafe {
                libc::linkat(
                    libc::AT_FDCWD,
                    from.as_ptr(),
                    libc::AT_FDCWD,
                    to.as_ptr(),
                    libc::AT_SYMLINK_FOLLOW,
                )
            };
            if linked != 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    // Not linkable here: copied instead.
                    return Ok(Some(file));
                }
                // The same content is stored already.
            }
            // The new name, and each directory made for it, reach the disk.
            std::fs::File::open(dir)?.sync_all()?;
            for made in created {
                if let Some(parent) = made.parent() {
                    std::fs::File::open(parent)?.sync_all()?;
                }
            }
            Ok(None)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = created;
            Ok(Some(file))
        }
    })
    .await
    .map_err(|e| AttachmentError::Store(e.to_string()))?
    .map_err(failed)
}

/// Makes `dir` (inside `root`) and the directories above it that are
/// missing; the ones it made, outermost first.
fn create_dirs(
    root: &std::path::Path,
    dir: &std::path::Path,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if d == root || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    missing.reverse();
    for d in &missing {
        match std::fs::create_dir(d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(missing)
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::{Read, Write};

    /// An upload received in the store's directory is named into place,
    /// not copied: the fast path is really taken here, and the stored
    /// object holds the bytes. A second of the same key finds it there.
    #[tokio::test]
    async fn a_file_received_in_the_store_is_linked_into_place() {
        let root = tempfile::tempdir().unwrap();
        for round in 0..2 {
            let mut file = tempfile::tempfile_in(root.path()).unwrap();
            file.write_all(b"the driver's pass").unwrap();
            let back = super::link_into_place(root.path().into(), "sha256/ab/cd/abcd".into(), file)
                .await
                .unwrap();
            assert!(
                back.is_none(),
                "round {round}: linked, not handed back to copy"
            );
        }
        let mut stored = String::new();
        std::fs::File::open(root.path().join("sha256/ab/cd/abcd"))
            .unwrap()
            .read_to_string(&mut stored)
            .unwrap();
        assert_eq!(stored, "the driver's pass");
        // Nothing else is left in the directory: the received file had no name.
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }
}
