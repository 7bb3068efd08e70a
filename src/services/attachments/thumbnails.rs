//! Thumbnails of images, made by a job after the upload is answered:
//! decoding a photo costs several times what receiving and storing it does,
//! so an upload only marks its thumbnail due (`thumbnail_due_at`) and wakes
//! the job. Any instance's job may take a due image ([`claim_thumbnails`]
//! leases it); the thumbnail's key is its image's hash, so an image made
//! twice by two instances is the same object, stored once. Decoding runs
//! on threads of their own at a lower scheduling priority, so that a
//! backlog of thumbnails never slows the requests being served.

use std::io::Cursor;
use std::sync::{mpsc, Arc, Mutex};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use super::inspect::orientation_of;
use super::{AttachmentError, Attachments};
use crate::domain::attachments::{thumbnail_key, MediaType};
use crate::storage::attachments::{claim_thumbnails, thumbnail_made, ThumbnailDue};
use crate::storage::{write_transaction, Database};

/// Seconds a job has to make a thumbnail it took before another may.
const LEASE_SECS: i64 = 120;

/// How far below the request threads the decoding threads run (`nice`).
const LOWER_PRIORITY: i32 = 10;

type Work = Box<dyn FnOnce() + Send>;

/// A few threads that decode images, at a lower priority than the rest.
pub struct ImageWorkers {
    queue: Mutex<mpsc::Sender<Work>>,
}

impl ImageWorkers {
    pub fn start(count: usize) -> ImageWorkers {
        let (queue, work) = mpsc::channel::<Work>();
        let work = Arc::new(Mutex::new(work));
        for n in 0..count.max(1) {
            let work = work.clone();
            std::thread::Builder::new()
                .name(format!("yizhan-thumbnails-{n}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        let next = work.lock().map(|w| w.recv());
                        match next {
                            Ok(Ok(job)) => job(),
                            _ => return,
                        }
                    }
                })
                .expect("a thread for thumbnails");
        }
        ImageWorkers {
            queue: Mutex::new(queue),
        }
    }

    /// Runs `f` on a decoding thread; `None` if it panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Work = Box::new(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
            let _ = done.send(out);
        });
        self.queue.lock().ok()?.send(job).ok()?;
        result.await.ok().flatten()
    }
}

#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // On Linux a thread is its own scheduling entity: this lowers this
    // thread alone (setpriority(2), "NOTES"). Refused or not, it still works.
    // SAFETY: plain system calls on the calling thread's own id.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, LOWER_PRIORITY);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

/// Makes the thumbnails due now, a batch at a time, until none is left
/// for this instance to take; how many it made (or found undecodable).
pub async fn make_due(
    db: &Database,
    attachments: &Attachments,
    now: DateTime<Utc>,
) -> Result<usize, AttachmentError> {
    let now = now.naive_utc();
    let lease_until = now + chrono::Duration::seconds(LEASE_SECS);
    let workers = attachments.settings.thumbnail_workers.max(1);
    let batch = workers as i64 * 4;
    let mut made = 0;
    loop {
        let due = db
            .run_write(move |conn| {
                Ok(write_transaction(conn, |conn| {
                    claim_thumbnails(conn, now, lease_until, batch)
                })?)
            })
            .await?;
        let taken = due.len();
        let results: Vec<Result<(), AttachmentError>> = futures_util::stream::iter(due)
            .map(|d| make_one(db, attachments, d, now))
            .buffer_unordered(workers)
            .collect()
            .await;
        for r in results {
            r?;
            made += 1;
        }
        if (taken as i64) < batch {
            return Ok(made);
        }
    }
}

async fn make_one(
    db: &Database,
    attachments: &Attachments,
    due: ThumbnailDue,
    now: chrono::NaiveDateTime,
) -> Result<(), AttachmentError> {
    let media = MediaType::parse(&due.media_type).filter(|m| m.has_thumbnail());
    let bytes = match media {
        Some(_) => match attachments.store.get_bytes(&due.object_key).await {
            Ok(bytes) => Some(bytes),
            // Gone with its row (a forgotten upload): nothing to show.
            Err(AttachmentError::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let px = attachments.settings.thumbnail_px;
    let small = match (media, bytes) {
        (Some(media), Some(bytes)) => attachments
            .image_workers
            .run(move || thumbnail(&bytes, media, px))
            .await
            .flatten(),
        _ => None,
    };
    let key = match small {
        Some(small) => {
            let key = thumbnail_key(&due.sha256);
            attachments.register(db, vec![key.clone()], now).await?;
            attachments.store.put_bytes_once(&key, small).await?;
            Some(key)
        }
        None => None,
    };
    let id = due.id;
    db.run_write(move |conn| Ok(thumbnail_made(conn, id, key.as_deref())?))
        .await?;
    metrics::counter!("yizhan_attachment_thumbnails_made_total").increment(1);
    Ok(())
}

/// A JPEG of at most `px` on its longer side, turned as the stored photo's
/// orientation says, or none when the image does not decode within bounds
/// (it is still stored; the page shows an icon).
pub fn thumbnail(bytes: &[u8], media: MediaType, px: u32) -> Option<Vec<u8>> {
    let orientation = orientation_of(media, bytes);
    let format = match media {
        MediaType::Jpeg => image::ImageFormat::Jpeg,
        MediaType::Png => image::ImageFormat::Png,
        MediaType::Webp => image::ImageFormat::WebP,
        _ => return None,
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let picture = reader.decode().ok()?;
    let mut small = picture.thumbnail(px, px);
    // The thumbnail is turned as the photo shows, and carries no EXIF.
    if let Some(o) = orientation {
        small.apply_orientation(o);
    }
    let small = small.to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .ok()?;
    Some(out)
}
