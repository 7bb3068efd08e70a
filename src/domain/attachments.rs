//! Files on a ticket's steps (issue 25): which kinds are taken, decided by
//! their content and never by their name; their names made safe to show
//! and to send back; the limits of a file, a step and a ticket; which steps
//! carry files; and where the store keeps each object. Pure: the service
//! reads the bytes and the zip directory and asks here.

use super::access::TicketAction;

/// The kinds of file taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    /// HEIC/HEIF: what phones take photos in.
    Heic,
    Pdf,
    /// GB/T 33190, the Chinese e-document format: a zip with `OFD.xml`.
    Ofd,
    Docx,
    Xlsx,
    /// Valid UTF-8 without NULs, and not markup.
    Text,
}

impl MediaType {
    pub const ALL: [MediaType; 9] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Webp,
        MediaType::Heic,
        MediaType::Pdf,
        MediaType::Ofd,
        MediaType::Docx,
        MediaType::Xlsx,
        MediaType::Text,
    ];

    /// The type as stored and as served (`Content-Type`).
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Heic => "image/heic",
            MediaType::Pdf => "application/pdf",
            MediaType::Ofd => "application/ofd",
            MediaType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            MediaType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            MediaType::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn parse(mime: &str) -> Option<MediaType> {
        MediaType::ALL.into_iter().find(|t| t.mime() == mime)
    }

    /// A short code for the kind (`jpeg`, `pdf`, ...): the pages' icon and
    /// word for it.
    pub fn code(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpeg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Heic => "heic",
            MediaType::Pdf => "pdf",
            MediaType::Ofd => "ofd",
            MediaType::Docx => "docx",
            MediaType::Xlsx => "xlsx",
            MediaType::Text => "text",
        }
    }

    /// The file name's ending that fits the content.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Text => "txt",
            other => other.code(),
        }
    }

    /// A photo: its location and other metadata are removed before storing.
    pub fn is_photo(self) -> bool {
        matches!(
            self,
            MediaType::Jpeg | MediaType::Png | MediaType::Webp | MediaType::Heic
        )
    }

    /// An image the server can decode for a thumbnail (there is no decoder
    /// of HEIC in pure Rust: a HEIC photo shows as a file icon).
    pub fn has_thumbnail(self) -> bool {
        matches!(self, MediaType::Jpeg | MediaType::Png | MediaType::Webp)
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    Is(MediaType),
    /// A zip: its directory decides (OFD, DOCX, XLSX or refused).
    Zip,
    /// Maybe plain text: the whole file must be valid UTF-8 without NULs.
    MaybeText,
    /// A kind that is refused, named (`image/svg+xml`, `text/html`).
    Refused(&'static str),
    /// Not a kind taken; the service names what it found.
    Unknown,
}

/// The bytes a sniff wants: the start of the file.
pub const SNIFF_BYTES: usize = 4096;

/// Decides the kind from the first [`SNIFF_BYTES`] of a file. A PDF must
/// start with `%PDF-`: a file that starts as HTML and holds a PDF further
/// on is HTML, and refused.
pub fn sniff(head: &[u8]) -> Sniffed {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"\xFF\xD8\xFF") {
        return Sniffed::Is(MediaType::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Is(MediaType::Png);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Sniffed::Is(MediaType::Webp);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                Sniffed::Is(MediaType::Heic)
            }
            b"avif" | b"avis" => Sniffed::Refused("image/avif"),
            _ => Sniffed::Unknown,
        };
    }
    if starts(b"%PDF-") {
        return Sniffed::Is(MediaType::Pdf);
    }
    if starts(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    if let Some(markup) = markup_in(head) {
        return Sniffed::Refused(markup);
    }
    if head.contains(&0) {
        return Sniffed::Unknown;
    }
    Sniffed::MaybeText
}

/// Markup a browser would render (HTML, SVG, XML), looked for where a
/// browser's sniffer looks: at the start, after white space and a BOM.
fn markup_in(head: &[u8]) -> Option<&'static str> {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    if !text.starts_with(b"<") {
        return None;
    }
    let lower: Vec<u8> = text.iter().take(1024).map(u8::to_ascii_lowercase).collect();
    let has = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
    if has(b"<svg") {
        Some("image/svg+xml")
    } else if [
        "<html",
        "<!doctype html",
        "<script",
        "<head",
        "<body",
        "<iframe",
    ]
    .iter()
    .any(|n| has(n.as_bytes()))
    {
        Some("text/html")
    } else if has(b"<?xml") {
        Some("application/xml")
    } else {
        None
    }
}

/// Checks a text file piece by piece, so that a large one is never held
/// whole: valid UTF-8 (a character may straddle two pieces) and no NUL.
#[derive(Debug, Default)]
pub struct TextCheck {
    carry: Vec<u8>,
    bad: bool,
}

impl TextCheck {
    pub fn feed(&mut self, piece: &[u8]) {
        if self.bad {
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(piece);
        if bytes.contains(&0) {
            self.bad = true;
            return;
        }
        match std::str::from_utf8(&bytes) {
            Ok(_) => {}
            // An incomplete character at the end: kept for the next piece.
            Err(e) if e.error_len().is_none() => self.carry = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => self.bad = true,
        }
    }

    /// Whether everything fed was text.
    pub fn is_text(&self) -> bool {
        !self.bad && self.carry.is_empty()
    }
}

/// One entry of a zip's central directory, as the zip says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub compressed: u64,
    pub uncompressed: u64,
}

/// More entries than any real document has.
pub const ZIP_MAX_ENTRIES: usize = 10_000;
/// The most a zip may inflate to, all entries together, as declared.
pub const ZIP_MAX_INFLATED: u64 = 1 << 30;
/// Deflate squeezes real documents ten- or twentyfold; a bomb a
/// thousandfold. Only entries over a megabyte inflated are judged.
pub const ZIP_MAX_RATIO: u64 = 200;

/// Why a zip was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipRefusal {
    /// More inflated bytes, entries or compression than a document has.
    Bomb,
    /// A zip, but not OFD, DOCX or XLSX.
    NotADocument,
}

/// Decides what a zip is from its directory, never inflating anything:
/// OFD (`OFD.xml` at the root), DOCX or XLSX (`[Content_Types].xml` and the
/// main part of each).
pub fn classify_zip(entries: &[ZipEntry]) -> Result<MediaType, ZipRefusal> {
    if entries.len() > ZIP_MAX_ENTRIES {
        return Err(ZipRefusal::Bomb);
    }
    let mut inflated: u64 = 0;
    for e in entries {
        inflated = inflated.saturating_add(e.uncompressed);
        if e.uncompressed > 1 << 20 && e.uncompressed / e.compressed.max(1) > ZIP_MAX_RATIO {
            return Err(ZipRefusal::Bomb);
        }
    }
    if inflated > ZIP_MAX_INFLATED {
        return Err(ZipRefusal::Bomb);
    }
    let has = |name: &str| entries.iter().any(|e| e.name == name);
    if has("OFD.xml") {
        return Ok(MediaType::Ofd);
    }
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Ok(MediaType::Docx);
        }
        if has("xl/workbook.xml") {
            return Ok(MediaType::Xlsx);
        }
    }
    Err(ZipRefusal::NotADocument)
}

/// The longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// A file name as the uploader gave it, made safe to store, show and send
/// back in `Content-Disposition`: the last part of any path, no control or
/// direction-changing characters, no leading dots, at most
/// [`MAX_NAME_CHARS`] characters (the ending kept); `fallback` (named by
/// the content's kind) when nothing is left.
pub fn sanitize_file_name(raw: &str, fallback: MediaType) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '.') {
        return format!("file.{}", fallback.extension());
    }
    let count = trimmed.chars().count();
    if count <= MAX_NAME_CHARS {
        return trimmed.to_string();
    }
    // Keep a short ending (`.pdf`) and cut the stem.
    let ending: String = match trimmed.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.chars().count() <= 10 => format!(".{ext}"),
        _ => String::new(),
    };
    let keep = MAX_NAME_CHARS - ending.chars().count();
    let stem: String = trimmed.chars().take(keep).collect();
    format!("{}{ending}", stem.trim_end())
}

/// Characters that change how text around them reads (bidirectional
/// overrides that make `exe.pdf` show as `fdp.exe`, zero-width marks).
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// How much a file, a step and a ticket may carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub file_bytes: u64,
    pub files_per_step: usize,
    pub ticket_bytes: u64,
}

/// A limit a step would pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitBreach {
    FileTooLarge { limit: u64 },
    TooManyFiles { limit: usize },
    TicketFull { limit: u64, used: u64 },
}

/// Room for the multipart framing and a form's text fields besides the files.
const REQUEST_SLACK: u64 = 1 << 20;

impl Limits {
    /// The largest request body that can carry a step's files: more is
    /// refused from its `Content-Length` before a byte is read.
    pub fn request_bytes(&self) -> u64 {
        self.file_bytes
            .saturating_mul(self.files_per_step as u64)
            .saturating_add(REQUEST_SLACK)
    }

    /// Whether files of these sizes may go on one step of a ticket that
    /// already holds `ticket_used` bytes.
    pub fn check_step(&self, sizes: &[u64], ticket_used: u64) -> Result<(), LimitBreach> {
        if sizes.len() > self.files_per_step {
            return Err(LimitBreach::TooManyFiles {
                limit: self.files_per_step,
            });
        }
        if sizes.iter().any(|s| *s > self.file_bytes) {
            return Err(LimitBreach::FileTooLarge {
                limit: self.file_bytes,
            });
        }
        let total = ticket_used.saturating_add(sizes.iter().sum());
        if total > self.ticket_bytes {
            return Err(LimitBreach::TicketFull {
                limit: self.ticket_bytes,
                used: ticket_used,
            });
        }
        Ok(())
    }
}

/// Who may read an attachment besides those who may read its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    /// Staff only: on an internal comment.
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Visibility {
        if s == "internal" {
            Visibility::Internal
        } else {
            Visibility::Public
        }
    }

    /// An attachment is as visible as the step it is on.
    pub fn of_step(internal: bool) -> Visibility {
        if internal {
            Visibility::Internal
        } else {
            Visibility::Public
        }
    }
}

/// The steps that carry files (besides filing): information asked for and
/// given, a resolution, a co-handler's opinion, a comment.
pub fn carries_files(action: TicketAction) -> bool {
    use TicketAction::*;
    matches!(
        action,
        ProvideInfo | RequestInfo | Resolve | PostOpinion | Comment | CommentInternal
    )
}

/// Where the store keeps a file with this SHA-256 (lower-case hex): the
/// same content is one object, however often it is attached.
pub fn object_key(sha256: &str) -> String {
    format!("sha256/{}/{}/{sha256}", &sha256[..2], &sha256[2..4])
}

/// Where the store keeps the thumbnail of the image with this SHA-256.
pub fn thumbnail_key(sha256: &str) -> String {
    format!("thumbs/{}/{sha256}.jpg", &sha256[..2])
}

#[cfg(test)]
#[path = "attachments_tests.rs"]
mod tests;
