//! Judging a received file by its content: its kind (the domain's sniff,
//! a zip's directory read without inflating anything, text checked piece
//! by piece), a photo's metadata removed (EXIF with its location, XMP,
//! IPTC, text chunks). Thumbnails are made later, by a job (`thumbnails`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

use crate::domain::attachments::{
    classify_zip, sniff, MediaType, Sniffed, TextCheck, ZipEntry, ZipRefusal, ZIP_MAX_ENTRIES,
};

use sha2::Digest;

use super::AttachmentError;

/// A file judged fit to store, as it will be stored.
pub struct Judged {
    pub media: MediaType,
    pub file: File,
    pub size: u64,
    pub sha256: String,
}

/// Judges a received file (read from its start): refused, or what to
/// store. `sha256` and `size` are the file's as received; a photo's hash
/// is left out (`None`): it is taken here, of the photo as stored.
pub fn judge(
    mut file: File,
    head: &[u8],
    size: u64,
    sha256: Option<String>,
    incoming: &std::path::Path,
) -> Result<Judged, AttachmentError> {
    let media = match sniff(head) {
        Sniffed::Is(t) => t,
        Sniffed::Zip => zip_kind(&mut file)?,
        Sniffed::MaybeText if is_text(&mut file)? => MediaType::Text,
        Sniffed::Refused(found) => return Err(AttachmentError::TypeRefused(found.into())),
        Sniffed::MaybeText | Sniffed::Unknown => {
            return Err(AttachmentError::TypeRefused(found_in(head)))
        }
    };
    if !media.is_photo() {
        let sha256 = match sha256 {
            Some(sha) => sha,
            None => hash_file(&mut file)?,
        };
        return Ok(Judged {
            media,
            file,
            size,
            sha256,
        });
    }
    // A photo is at most the file limit. It is mapped rather than read:
    // the cleaned photo's pieces are slices of the received file, so it is
    // copied once, into the file stored.
    // SAFETY: the file is this request's unnamed temporary file; nothing
    // else opens it, so it does not change while it is mapped.
    let whole = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    let whole = img_parts::Bytes::from_owner(whole);
    let (file, size, sha256) = match strip_metadata(media, whole.clone()) {
        Cleaned::Same => {
            let sha = super::hex(&sha2::Sha256::digest(&whole));
            drop(whole);
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            (file, size, sha)
        }
        // A new unnamed file rather than the received one cut short: a
        // truncation waits for the file system's journal, and the received
        // file goes with its handle.
        Cleaned::Changed(pieces) => {
            drop(whole);
            let mut cleaned = tempfile::tempfile_in(incoming).map_err(io)?;
            let mut hasher = sha2::Sha256::new();
            let mut written = 0u64;
            {
                let mut out = std::io::BufWriter::with_capacity(64 * 1024, &mut cleaned);
                for piece in pieces {
                    hasher.update(&piece);
                    out.write_all(&piece).map_err(io)?;
                    written += piece.len() as u64;
                }
                out.flush().map_err(io)?;
            }
            cleaned.seek(SeekFrom::Start(0)).map_err(io)?;
            (cleaned, written, super::hex(&hasher.finalize()))
        }
    };
    Ok(Judged {
        media,
        file,
        size,
        sha256,
    })
}

/// A file's SHA-256, read from its start; left at its start.
fn hash_file(file: &mut File) -> Result<String, AttachmentError> {
    let mut hasher = sha2::Sha256::new();
    std::io::copy(file, &mut hasher).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(super::hex(&hasher.finalize()))
}

fn io(e: std::io::Error) -> AttachmentError {
    AttachmentError::Store(format!("cannot read the upload: {e}"))
}

/// What a refused file is, as far as its first bytes tell.
fn found_in(head: &[u8]) -> String {
    infer::get(head)
        .map(|t| t.mime_type().to_string())
        .unwrap_or_else(|| "application/octet-stream".into())
}

fn is_text(file: &mut File) -> Result<bool, AttachmentError> {
    let mut check = TextCheck::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        check.feed(&buf[..n]);
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(check.is_text())
}

/// What a zip is, from its central directory alone: the entry count the
/// end record declares is checked before the directory is even parsed.
fn zip_kind(file: &mut File) -> Result<MediaType, AttachmentError> {
    let not_a_document = || AttachmentError::TypeRefused("application/zip".into());
    match declared_entries(file).map_err(io)? {
        Some(n) if n <= ZIP_MAX_ENTRIES => {}
        Some(_) => return Err(AttachmentError::ZipBomb),
        None => return Err(not_a_document()),
    }
    let mut archive = zip::ZipArchive::new(&mut *file).map_err(|_| not_a_document())?;
    let mut entries = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| not_a_document())?;
        entries.push(ZipEntry {
            name: entry.name().map_err(|_| not_a_document())?.into_owned(),
            compressed: entry.compressed_size(),
            uncompressed: entry.size(),
        });
    }
    drop(archive);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    classify_zip(&entries).map_err(|r| match r {
        ZipRefusal::Bomb => AttachmentError::ZipBomb,
        ZipRefusal::NotADocument => not_a_document(),
    })
}

/// The entry count in a zip's end-of-central-directory record (the last
/// 22 bytes, or up to 64 KiB before them when the zip has a comment); a
/// ZIP64 count (0xFFFF) reads as more than any document holds.
fn declared_entries(file: &mut File) -> std::io::Result<Option<usize>> {
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail)?;
    file.seek(SeekFrom::Start(0))?;
    let Some(at) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(None);
    };
    let Some(record) = tail.get(at..at + 22) else {
        return Ok(None);
    };
    let total = u16::from_le_bytes([record[10], record[11]]);
    Ok(Some(if total == u16::MAX {
        usize::MAX
    } else {
        total as usize
    }))
}

enum Cleaned {
    /// Nothing to remove: stored byte for byte as received.
    Same,
    /// The photo to store, in pieces (most of them slices of the one
    /// received).
    Changed(Vec<img_parts::Bytes>),
}

/// How a photo's EXIF says to turn it for display (a phone held upright
/// stores its picture sideways and says so here).
pub fn orientation_of(media: MediaType, bytes: &[u8]) -> Option<image::metadata::Orientation> {
    use img_parts::{Bytes, ImageEXIF};
    let whole = Bytes::copy_from_slice(bytes);
    let exif = match media {
        MediaType::Jpeg => img_parts::jpeg::Jpeg::from_bytes(whole).ok()?.exif(),
        MediaType::Png => img_parts::png::Png::from_bytes(whole).ok()?.exif(),
        MediaType::Webp => img_parts::webp::WebP::from_bytes(whole).ok()?.exif(),
        _ => None,
    };
    turned(exif)
}

/// The orientation an EXIF block asks for, unless it is none.
fn turned(exif: Option<img_parts::Bytes>) -> Option<image::metadata::Orientation> {
    image::metadata::Orientation::from_exif_chunk(&exif?)
        .filter(|o| *o != image::metadata::Orientation::NoTransforms)
}

/// An EXIF block that says the orientation and nothing else: a TIFF
/// header and one IFD with one SHORT entry (tag 0x0112).
fn orientation_exif(o: image::metadata::Orientation) -> img_parts::Bytes {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0*");
    tiff.extend_from_slice(&8u32.to_be_bytes());
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&u16::from(o.to_exif()).to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    img_parts::Bytes::from(tiff)
}

/// Removes what a photo says about where and by whom it was taken: EXIF
/// (GPS), XMP, IPTC and comments; colour profiles stay, and so does the
/// orientation (an EXIF of that one entry), or the photo shows sideways.
fn strip_metadata(media: MediaType, whole: img_parts::Bytes) -> Cleaned {
    use img_parts::ImageEXIF;
    let kept_orientation = |exif| turned(exif).map(orientation_exif);
    match media {
        MediaType::Jpeg => {
            let Ok(mut jpeg) = img_parts::jpeg::Jpeg::from_bytes(whole) else {
                return Cleaned::Same;
            };
            let kept = kept_orientation(jpeg.exif());
            let before = jpeg.segments().len();
            for marker in [
                img_parts::jpeg::markers::APP1,
                img_parts::jpeg::markers::APP13,
                img_parts::jpeg::markers::COM,
            ] {
                jpeg.remove_segments_by_marker(marker);
            }
            if jpeg.segments().len() == before {
                return Cleaned::Same;
            }
            if kept.is_some() {
                jpeg.set_exif(kept);
            }
            Cleaned::Changed(jpeg.encoder().collect())
        }
        MediaType::Png => {
            let Ok(mut png) = img_parts::png::Png::from_bytes(whole) else {
                return Cleaned::Same;
            };
            let kept = kept_orientation(png.exif());
            let before = png.chunks().len();
            for kind in [*b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt"] {
                png.remove_chunks_by_type(kind);
            }
            if png.chunks().len() == before {
                return Cleaned::Same;
            }
            if kept.is_some() {
                png.set_exif(kept);
            }
            Cleaned::Changed(png.encoder().collect())
        }
        MediaType::Webp => {
            let Ok(mut webp) = img_parts::webp::WebP::from_bytes(whole) else {
                return Cleaned::Same;
            };
            let had = webp.has_chunk(img_parts::webp::CHUNK_EXIF)
                || webp.has_chunk(img_parts::webp::CHUNK_XMP);
            if !had {
                return Cleaned::Same;
            }
            let kept = kept_orientation(webp.exif());
            webp.remove_chunks_by_id(img_parts::webp::CHUNK_XMP);
            // Also clears the VP8X flags that announced the metadata.
            webp.set_exif(kept);
            Cleaned::Changed(webp.encoder().collect())
        }
        MediaType::Heic => {
            // HEIF's metadata is blanked in place, in a copy.
            let mut bytes = whole.to_vec();
            if super::heif::blank_metadata(&mut bytes) {
                Cleaned::Changed(vec![img_parts::Bytes::from(bytes)])
            } else {
                Cleaned::Same
            }
        }
        _ => Cleaned::Same,
    }
}
