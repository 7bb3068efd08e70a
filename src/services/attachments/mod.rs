//! Files on tickets' steps (issue 25). An upload streams to a temporary
//! file while it is hashed (never held whole), is judged by its content
//! (`inspect`), has a photo's metadata removed, and is written to the
//! object store under its SHA-256 before its row exists (pending, its
//! uploader's); an image's thumbnail is made after the answer, by a job
//! (`thumbnails`). The step that uses it (a filing, an answer, a
//! resolution, an opinion, a comment) takes it in the step's own
//! transaction ([`claim_in`]). Reading follows the ticket
//! (`domain::access::may_read_attachment`); the sweep (`sweep`) deletes
//! objects no row points at.

use std::io::{Seek, SeekFrom, Write};

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::configuration::AttachmentSettings;
use crate::domain::access::{may_read_attachment, may_read_ticket, may_upload_attachments, Caller};
use crate::domain::attachments::{
    object_key, sanitize_file_name, LimitBreach, Limits, MediaType, Visibility, SNIFF_BYTES,
};
use crate::storage::attachments::{self as rows, Attachment, NewAttachment, Touch};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

mod heif;
mod inspect;
mod objects;
mod sweep;
mod thumbnails;

pub use objects::ObjectStore;
pub use sweep::{sweep, SweepReport};
pub use thumbnails::{make_due as make_due_thumbnails, ImageWorkers};

/// Why a file or a step's files were refused.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// A kind not taken; what the content is (`image/svg+xml`).
    #[error("type not allowed: {0}")]
    TypeRefused(String),
    /// A zip whose directory declares more than a document holds.
    #[error("zip bomb")]
    ZipBomb,
    #[error("limit")]
    Limit(LimitBreach),
    /// An empty file.
    #[error("empty file")]
    Empty,
    /// An upload request without any file in it.
    #[error("no file")]
    NoFile,
    /// The request body is larger than a step's files can be.
    #[error("request too large")]
    RequestTooLarge(u64),
    /// The multipart body could not be read.
    #[error("unreadable upload: {0}")]
    Unreadable(String),
    /// Not there, or not the caller's to see.
    #[error("not found")]
    NotFound,
    /// The caller may not upload files (administrators).
    #[error("not permitted")]
    NotPermitted,
    /// The object store failed or is unreachable.
    #[error("store: {0}")]
    Store(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for AttachmentError {
    fn from(e: diesel::result::Error) -> Self {
        AttachmentError::Storage(e.into())
    }
}

/// Why a step could not take the files it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// An id that is not one of the caller's uploads waiting for a step
    /// (someone else's, used already, made for another ticket, or swept).
    UnknownUpload,
    /// The action carries no files (only filing, provide_info,
    /// request_info, resolve, post_opinion and comment do).
    NotOnThisStep,
    Limit(LimitBreach),
}

/// Raised inside a step's transaction when its files cannot be taken; the
/// step's caller turns it back into [`ClaimRefusal`] ([`refused_claim`]).
#[derive(Debug, thiserror::Error)]
#[error("the step's files cannot be taken")]
struct ClaimRefused(ClaimRefusal);

/// The uploads a step takes, and the limits it is held to.
#[derive(Debug, Clone, Default)]
pub struct StepFiles {
    pub ids: Vec<i64>,
    pub limits: Limits,
}

/// The object store, the limits and the work areas, shared by every request.
pub struct Attachments {
    pub store: ObjectStore,
    pub settings: AttachmentSettings,
    /// Photos cleaned of their metadata at once: each is held whole.
    image_work: tokio::sync::Semaphore,
    /// The threads that decode images for thumbnails.
    image_workers: ImageWorkers,
    /// Woken when an upload leaves a thumbnail due (`jobs::thumbnails`).
    pub thumbnails_wanted: tokio::sync::Notify,
}

/// An upload being received: streamed to an unnamed temporary file (gone
/// with the process, however it ends) and hashed as it comes, unless it is
/// a photo: a photo is hashed once it is cleaned, as it will be stored.
pub struct Incoming {
    file: std::io::BufWriter<std::fs::File>,
    hashing: Hashing,
    size: u64,
    limit: u64,
    head: Vec<u8>,
    name: String,
}

impl Incoming {
    /// Takes the next piece; past the file limit the upload is cut off.
    pub fn push(&mut self, piece: &[u8]) -> Result<(), AttachmentError> {
        self.size += piece.len() as u64;
        if self.size > self.limit {
            return Err(AttachmentError::Limit(LimitBreach::FileTooLarge {
                limit: self.limit,
            }));
        }
        let mut rest = piece;
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(piece.len());
            self.head.extend_from_slice(&piece[..take]);
            rest = &piece[take..];
            if self.head.len() == SNIFF_BYTES {
                self.hashing = Hashing::decided_by(&self.head);
            }
        }
        if let Hashing::On(hasher) = &mut self.hashing {
            hasher.update(rest);
        }
        self.file
            .write_all(piece)
            .map_err(|e| AttachmentError::Store(format!("cannot receive: {e}")))
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The received file's SHA-256, unless it is a photo (hashed later).
    fn sha256(hashing: Hashing, head: &[u8]) -> Option<String> {
        match hashing {
            Hashing::On(hasher) => Some(hex(&hasher.finalize())),
            // Shorter than the head: the head is the whole file.
            Hashing::Undecided => Some(hex(&Sha256::digest(head))),
            Hashing::Photo => None,
        }
    }
}

/// Whether an upload is hashed as it arrives: decided by its first
/// [`SNIFF_BYTES`], which are held until then (they begin the hash).
enum Hashing {
    Undecided,
    On(Sha256),
    /// Cleaned before it is stored, and hashed then, once.
    Photo,
}

impl Hashing {
    fn decided_by(head: &[u8]) -> Hashing {
        if is_photo(head) {
            Hashing::Photo
        } else {
            let mut hasher = Sha256::new();
            hasher.update(head);
            Hashing::On(hasher)
        }
    }
}

fn is_photo(head: &[u8]) -> bool {
    matches!(
        crate::domain::attachments::sniff(head),
        crate::domain::attachments::Sniffed::Is(t) if t.is_photo()
    )
}

/// A file as a step shows it, with who may see it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub row: Attachment,
    pub media: Option<MediaType>,
    pub visibility: Visibility,
    /// Its step's number in the ticket's history (the timeline's `seq`).
    pub step_seq: Option<i32>,
}

impl Shown {
    fn of(row: Attachment) -> Shown {
        Shown {
            media: MediaType::parse(&row.media_type),
            visibility: Visibility::parse(&row.visibility),
            row,
            step_seq: None,
        }
    }
}

/// A file to send: its row and its bytes as they are read from the store.
pub struct Download {
    pub shown: Shown,
    pub size: u64,
    pub body: futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
}

impl Attachments {
    pub async fn new(settings: &AttachmentSettings) -> Result<Attachments, String> {
        Ok(Attachments {
            store: ObjectStore::open(settings).await?,
            settings: settings.clone(),
            image_work: tokio::sync::Semaphore::new(settings.thumbnail_workers.max(1)),
            image_workers: ImageWorkers::start(settings.thumbnail_workers),
            thumbnails_wanted: tokio::sync::Notify::new(),
        })
    }

    pub fn limits(&self) -> Limits {
        self.settings.limits()
    }

    /// The files a step names, under this instance's limits.
    pub fn step(&self, ids: Vec<i64>) -> StepFiles {
        StepFiles {
            ids,
            limits: self.limits(),
        }
    }

    /// Where uploads are received. By default a local store's own
    /// directory: there an upload is stored by naming the file it was
    /// received in, not by a copy.
    fn incoming_dir(&self) -> std::path::PathBuf {
        match self.settings.incoming_dir.trim() {
            "" => self
                .store
                .local_root()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_else(std::env::temp_dir),
            d => std::path::PathBuf::from(d),
        }
    }

    /// Starts receiving a file named `name` (as the uploader's device named it).
    pub fn receive(&self, name: &str) -> Result<Incoming, AttachmentError> {
        let file = tempfile::tempfile_in(self.incoming_dir())
            .map_err(|e| AttachmentError::Store(format!("no room for uploads: {e}")))?;
        Ok(Incoming {
            file: std::io::BufWriter::with_capacity(64 * 1024, file),
            hashing: Hashing::Undecided,
            size: 0,
            limit: self.settings.max_file_bytes,
            head: Vec::with_capacity(SNIFF_BYTES),
            name: name.to_string(),
        })
    }

    /// Judges, cleans and stores a received file, for a step of ticket
    /// `ticket` (when the upload names it) or of the caller's next filing.
    /// Returns its pending row, the caller's to name in a step.
    pub async fn store(
        &self,
        db: &Database,
        caller: &Caller,
        ticket: Option<i64>,
        incoming: Incoming,
        now: NaiveDateTime,
    ) -> Result<Shown, AttachmentError> {
        if !may_upload_attachments(caller) {
            return Err(AttachmentError::NotPermitted);
        }
        if let Some(id) = ticket {
            self.check_ticket(db, caller, id).await?;
        }
        if incoming.size == 0 {
            return Err(AttachmentError::Empty);
        }
        let Incoming {
            file,
            hashing,
            size,
            head,
            name,
            ..
        } = incoming;
        let mut file = file
            .into_inner()
            .map_err(|e| AttachmentError::Store(format!("cannot receive: {}", e.error())))?;
        let sha = Incoming::sha256(hashing, &head);
        let photo = is_photo(&head);
        // Photos are read whole to be cleaned: a few at a time.
        let _permit = if photo {
            Some(
                self.image_work
                    .acquire()
                    .await
                    .map_err(|e| AttachmentError::Store(format!("image work stopped: {e}")))?,
            )
        } else {
            None
        };
        let incoming = self.incoming_dir();
        let judged = tokio::task::spawn_blocking(move || {
            file.seek(SeekFrom::Start(0))
                .map_err(|e| AttachmentError::Store(e.to_string()))?;
            inspect::judge(file, &head, size, sha, &incoming)
        })
        .await
        .map_err(|e| AttachmentError::Store(format!("inspection failed: {e}")))??;
        drop(_permit);
        let key = object_key(&judged.sha256);
        self.register(db, vec![key.clone()], now).await?;
        self.store
            .put_file_once(&key, judged.file, judged.size)
            .await?;
        let thumbnail_due = judged.media.has_thumbnail();
        let new = NewAttachment {
            ticket_id: ticket,
            uploader_id: caller.user_id,
            file_name: sanitize_file_name(&name, judged.media),
            media_type: judged.media.mime().to_string(),
            size_bytes: judged.size as i64,
            sha256: judged.sha256,
            object_key: key,
            thumbnail_key: None,
            created_at: now,
            thumbnail_due_at: thumbnail_due.then_some(now),
        };
        let row = db
            .run_write(move |conn| Ok(Attachment::insert(conn, &new)?))
            .await?;
        if thumbnail_due {
            self.thumbnails_wanted.notify_one();
        }
        metrics::counter!("yizhan_attachments_stored_total").increment(1);
        Ok(Shown::of(row))
    }

    /// The ticket must be the caller's to see.
    async fn check_ticket(
        &self,
        db: &Database,
        caller: &Caller,
        id: i64,
    ) -> Result<(), AttachmentError> {
        let caller = caller.clone();
        let seen = db
            .run(move |conn| {
                Ok(crate::services::tickets::load(conn, id)?
                    .is_some_and(|l| may_read_ticket(&caller, &l.facts)))
            })
            .await?;
        if seen {
            Ok(())
        } else {
            Err(AttachmentError::NotFound)
        }
    }

    /// Registers the objects before they are written, waiting while a
    /// sweep deletes one of the same content.
    pub(super) async fn register(
        &self,
        db: &Database,
        keys: Vec<String>,
        now: NaiveDateTime,
    ) -> Result<(), AttachmentError> {
        let timeout = sweep::doom_timeout();
        for _ in 0..80 {
            let keys = keys.clone();
            let touched = db
                .run_write(move |conn| {
                    Ok(write_transaction(conn, |conn| {
                        let mut all = Touch::Ready;
                        for k in &keys {
                            if rows::touch(conn, k, now, timeout)? == Touch::Busy {
                                all = Touch::Busy;
                            }
                        }
                        Ok::<_, diesel::result::Error>(all)
                    })?)
                })
                .await?;
            if touched == Touch::Ready {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        Err(AttachmentError::Store("a sweep holds the object".into()))
    }

    /// The files on a ticket's steps that the caller may see.
    pub async fn list(
        &self,
        db: &Database,
        caller: &Caller,
        ticket_id: i64,
    ) -> Result<Vec<Shown>, AttachmentError> {
        let caller = caller.clone();
        db.run(move |conn| {
            let Some(loaded) = crate::services::tickets::load(conn, ticket_id)? else {
                return Ok(Err(AttachmentError::NotFound));
            };
            if !may_read_ticket(&caller, &loaded.facts) {
                return Ok(Err(AttachmentError::NotFound));
            }
            Ok(Ok(Attachment::of_ticket(conn, ticket_id)?
                .into_iter()
                .map(|(row, seq)| Shown {
                    step_seq: Some(seq),
                    ..Shown::of(row)
                })
                .filter(|s| {
                    may_read_attachment(
                        &caller,
                        &loaded.facts,
                        s.visibility == Visibility::Internal,
                    )
                })
                .collect()))
        })
        .await?
    }

    /// One file of a ticket (or its thumbnail), if the caller may read it.
    pub async fn open(
        &self,
        db: &Database,
        caller: &Caller,
        ticket_id: i64,
        id: i64,
        thumbnail: bool,
    ) -> Result<Download, AttachmentError> {
        let caller = caller.clone();
        let shown = db
            .run(move |conn| Ok(readable(conn, &caller, ticket_id, id)?))
            .await?
            .ok_or(AttachmentError::NotFound)?;
        let key = if thumbnail {
            shown
                .row
                .thumbnail_key
                .clone()
                .ok_or(AttachmentError::NotFound)?
        } else {
            shown.row.object_key.clone()
        };
        let (size, body) = self.store.get(&key).await?;
        Ok(Download { shown, size, body })
    }
}

/// A file of the ticket on one of its steps that the caller may read.
fn readable(
    conn: &mut AnyConnection,
    caller: &Caller,
    ticket_id: i64,
    id: i64,
) -> diesel::QueryResult<Option<Shown>> {
    let Some(row) = Attachment::find(conn, id)? else {
        return Ok(None);
    };
    if row.ticket_id != Some(ticket_id) || row.event_id.is_none() {
        return Ok(None);
    }
    let Some(loaded) = crate::services::tickets::load(conn, ticket_id)? else {
        return Ok(None);
    };
    let shown = Shown::of(row);
    let internal = shown.visibility == Visibility::Internal;
    Ok(may_read_attachment(caller, &loaded.facts, internal).then_some(shown))
}

/// Takes the caller's pending uploads `files` onto the step `event_id` of
/// ticket `ticket_id`, inside the step's transaction: each must be the
/// caller's, waiting, and made for this ticket or none; the step and the
/// ticket must stay within the limits. A refusal rolls the step back
/// (read it with [`refused_claim`]).
pub fn claim_in(
    conn: &mut AnyConnection,
    files: &StepFiles,
    uploader_id: i64,
    ticket_id: i64,
    event_id: i64,
    internal: bool,
    at: NaiveDateTime,
) -> diesel::QueryResult<()> {
    if files.ids.is_empty() {
        return Ok(());
    }
    let refuse = |r| {
        Err(diesel::result::Error::QueryBuilderError(Box::new(
            ClaimRefused(r),
        )))
    };
    let mut ids = files.ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let pending = Attachment::pending_of(conn, uploader_id, &ids)?;
    if pending.len() != ids.len()
        || pending
            .iter()
            .any(|a| a.ticket_id.is_some_and(|t| t != ticket_id))
    {
        return refuse(ClaimRefusal::UnknownUpload);
    }
    let used = Attachment::bytes_of_ticket(conn, ticket_id)? as u64;
    let sizes: Vec<u64> = pending.iter().map(|a| a.size_bytes as u64).collect();
    if let Err(breach) = files.limits.check_step(&sizes, used) {
        return refuse(ClaimRefusal::Limit(breach));
    }
    let visibility = Visibility::of_step(internal).as_str();
    if Attachment::attach(conn, &ids, ticket_id, event_id, visibility, at)? != ids.len() {
        return refuse(ClaimRefusal::UnknownUpload);
    }
    Ok(())
}

/// The refusal [`claim_in`] raised, if this error is one.
pub fn refused_claim(e: &diesel::result::Error) -> Option<ClaimRefusal> {
    match e {
        diesel::result::Error::QueryBuilderError(inner) => {
            inner.downcast_ref::<ClaimRefused>().map(|c| c.0.clone())
        }
        _ => None,
    }
}

/// Checks a step's files before its transaction: the step must carry files.
pub fn check_step_kind(
    action: crate::domain::access::TicketAction,
    files: &StepFiles,
) -> Result<(), ClaimRefusal> {
    if files.ids.is_empty() || crate::domain::attachments::carries_files(action) {
        Ok(())
    } else {
        Err(ClaimRefusal::NotOnThisStep)
    }
}

/// The file names on these tickets' steps, as `who` may see them, for exports.
pub fn names_for_export(
    conn: &mut AnyConnection,
    ticket_ids: &[i64],
    staff: bool,
) -> diesel::QueryResult<std::collections::HashMap<i64, Vec<String>>> {
    let mut names: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (ticket, name, visibility) in Attachment::names_of_tickets(conn, ticket_ids)? {
        if staff || Visibility::parse(&visibility) == Visibility::Public {
            names.entry(ticket).or_default().push(name);
        }
    }
    Ok(names)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG of `w`×`h` noise (larger than the sniffed head), with an
    /// EXIF segment naming a place when `gps`.
    fn photo(w: u32, h: u32, gps: bool) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                ((x * 31) ^ (y * 17)) as u8,
                (x * y) as u8,
                (x + y * 3) as u8,
            ])
        });
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
            .encode_image(&img)
            .unwrap();
        if !gps {
            return plain;
        }
        let exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 31.2304N GPSLongitude 121.4737E";
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(exif);
        out.extend_from_slice(&plain[2..]);
        out
    }

    /// Receives `bytes` in pieces of `piece`, judges it, and returns the
    /// hash it is stored under and the bytes stored.
    fn received_and_judged(bytes: &[u8], piece: usize) -> (String, Vec<u8>) {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let mut incoming = Incoming {
            file: std::io::BufWriter::new(tempfile::tempfile_in(dir.path()).unwrap()),
            hashing: Hashing::Undecided,
            size: 0,
            limit: 1 << 30,
            head: Vec::new(),
            name: "x".into(),
        };
        for p in bytes.chunks(piece) {
            incoming.push(p).unwrap();
        }
        let sha = Incoming::sha256(incoming.hashing, &incoming.head);
        let mut file = incoming.file.into_inner().unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        let judged = inspect::judge(file, &incoming.head, incoming.size, sha, dir.path())
            .unwrap_or_else(|e| panic!("judged: {e}"));
        let mut stored = Vec::new();
        let mut file = judged.file;
        file.read_to_end(&mut stored).unwrap();
        assert_eq!(judged.size, stored.len() as u64);
        (judged.sha256, stored)
    }

    fn sha(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    #[test]
    fn every_file_is_stored_under_the_hash_of_what_is_stored() {
        // A photo with nothing to remove: stored as received.
        let plain = photo(300, 200, false);
        assert!(plain.len() > SNIFF_BYTES);
        let (hash, stored) = received_and_judged(&plain, 1000);
        assert_eq!(stored, plain);
        assert_eq!(hash, sha(&plain));
        // A photo with its location: stored without it, named by what is left.
        let located = photo(300, 200, true);
        let (hash, stored) = received_and_judged(&located, 777);
        assert!(!stored.windows(3).any(|w| w == b"GPS"));
        assert_eq!(stored.len(), plain.len());
        assert_eq!(hash, sha(&stored));
        // Text larger than the head, in pieces across its end, and text
        // shorter than the head: hashed as received.
        let text = "堵点：物流受阻。\n".repeat(800).into_bytes();
        for piece in [1, 4095, 4096, 4097, 60_000] {
            let (hash, stored) = received_and_judged(&text, piece);
            assert_eq!(
                (hash, stored.len()),
                (sha(&text), text.len()),
                "pieces of {piece}"
            );
        }
        let (hash, _) = received_and_judged(b"staff only", 3);
        assert_eq!(hash, sha(b"staff only"));
    }
}
