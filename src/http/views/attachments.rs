//! Files on tickets' steps as both faces take and give them: a multipart
//! form read part by part (each file streamed into the service, never held
//! whole), a file's description, and a download that no browser can take
//! for a page: `Content-Disposition: attachment` with the name in RFC 5987
//! form, the type decided by content, `nosniff` and a sandboxing policy.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::HttpResponse;
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use crate::services::attachments::{AttachmentError, Attachments, Download, Incoming, Shown};

/// A file on a ticket's step, or an upload waiting for one.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    /// As the uploader named it, without any path or control characters.
    pub file_name: String,
    /// Decided by the content: `image/jpeg`, `image/png`, `image/webp`,
    /// `image/heic`, `application/pdf`, `application/ofd`, DOCX, XLSX or
    /// `text/plain; charset=utf-8`.
    pub media_type: String,
    pub size_bytes: i64,
    /// Of the bytes stored (a photo's after its metadata was removed).
    pub sha256: String,
    /// `public`, or `internal` (staff only, on an internal comment).
    pub visibility: String,
    /// The step it is on; none while it waits for one.
    pub event_id: Option<i64>,
    /// The step's `seq` in the ticket's timeline (in lists of a ticket's files).
    pub event_seq: Option<i32>,
    pub ticket_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Where to download it (on a step only).
    pub download_url: Option<String>,
    /// A small JPEG of an image (JPEG, PNG, WebP; not HEIC), once made.
    pub thumbnail_url: Option<String>,
    /// True while an image's thumbnail is still being made (it is made
    /// after the upload is answered, usually within seconds).
    pub thumbnail_pending: bool,
}

impl AttachmentView {
    pub fn of(s: &Shown) -> AttachmentView {
        let r = &s.row;
        let url = match (r.ticket_id, r.event_id) {
            (Some(t), Some(_)) => Some(format!("/api/v1/tickets/{t}/attachments/{}", r.id)),
            _ => None,
        };
        AttachmentView {
            id: r.id,
            file_name: r.file_name.clone(),
            media_type: r.media_type.clone(),
            size_bytes: r.size_bytes,
            sha256: r.sha256.clone(),
            visibility: r.visibility.clone(),
            event_id: r.event_id,
            event_seq: s.step_seq,
            ticket_id: r.ticket_id,
            created_at: r.created_at.and_utc(),
            thumbnail_url: url
                .as_ref()
                .filter(|_| r.thumbnail_key.is_some())
                .map(|u| format!("{u}/thumbnail")),
            thumbnail_pending: r.thumbnail_due_at.is_some(),
            download_url: url,
        }
    }
}

/// A multipart form as read: its text fields, and its files received.
#[derive(Default)]
pub struct Received {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Incoming>,
    /// Why reading stopped early, with what was read before kept (a page
    /// shows the form again as typed).
    pub error: Option<AttachmentError>,
}

impl Received {
    /// The value of a text field (the last one sent under the name).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value sent under the name.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Reads a multipart form: parts with a file name are files (an empty one,
/// as a browser sends for a file field left empty, is skipped), streamed to
/// the service as they arrive; the others are text, at most `text_limit`
/// bytes in all. More files than a step may carry, or a file over the
/// limit, stop the reading at once.
pub async fn read_form(form: Multipart, attachments: &Attachments, text_limit: usize) -> Received {
    let mut got = Received::default();
    if let Err(e) = read_parts(form, attachments, text_limit, &mut got).await {
        got.error = Some(e);
    }
    got
}

async fn read_parts(
    mut form: Multipart,
    attachments: &Attachments,
    text_limit: usize,
    got: &mut Received,
) -> Result<(), AttachmentError> {
    let mut text_bytes = 0usize;
    let limits = attachments.limits();
    let request_limit = limits.request_bytes();
    let unreadable = |e: actix_multipart::MultipartError| match e {
        actix_multipart::MultipartError::Payload(actix_web::error::PayloadError::Overflow) => {
            AttachmentError::RequestTooLarge(request_limit)
        }
        other => AttachmentError::Unreadable(other.to_string()),
    };
    while let Some(part) = form.next().await {
        let mut part = part.map_err(unreadable)?;
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename().map(str::to_string));
        if let Some(file_name) = file_name {
            let mut incoming = None;
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(unreadable)?;
                if chunk.is_empty() {
                    continue;
                }
                if incoming.is_none() {
                    if got.files.len() >= limits.files_per_step {
                        return Err(AttachmentError::Limit(
                            crate::domain::attachments::LimitBreach::TooManyFiles {
                                limit: limits.files_per_step,
                            },
                        ));
                    }
                    incoming = Some(attachments.receive(&file_name)?);
                }
                incoming.as_mut().expect("just made").push(&chunk)?;
            }
            match incoming {
                Some(f) => got.files.push(f),
                // A file field left empty.
                None if file_name.is_empty() => {}
                None => return Err(AttachmentError::Empty),
            }
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            text_bytes += chunk.len();
            if text_bytes > text_limit {
                return Err(AttachmentError::RequestTooLarge(request_limit));
            }
            value.extend_from_slice(&chunk);
        }
        got.fields
            .push((name, String::from_utf8_lossy(&value).into_owned()));
    }
    Ok(())
}

/// Bytes in words: `820KB`, `3.1MB`, `20MB`.
pub fn size_words(bytes: i64) -> String {
    if bytes < 1 << 20 {
        format!("{}KB", (bytes + 1023) / 1024)
    } else if bytes % (1 << 20) == 0 {
        format!("{}MB", bytes >> 20)
    } else {
        format!("{:.1}MB", bytes as f64 / (1 << 20) as f64)
    }
}

/// `filename*=` in RFC 5987 form: UTF-8, percent-encoded but for the
/// characters RFC 5987 lets through.
fn rfc5987(name: &str) -> String {
    let mut out = String::from("UTF-8''");
    for b in name.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The plain `filename=` for old clients: ASCII, quotes and backslashes
/// and anything else replaced.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The file (or its thumbnail) as a response that a browser saves, never
/// renders as a page.
pub fn file_response(d: Download, thumbnail: bool) -> HttpResponse {
    let row = &d.shown.row;
    let content_type = if thumbnail {
        "image/jpeg".to_string()
    } else {
        d.shown
            .media
            .map(|m| m.mime().to_string())
            .unwrap_or_else(|| "application/octet-stream".into())
    };
    let disposition = if thumbnail {
        "inline".to_string()
    } else {
        format!(
            "attachment; filename=\"{}\"; filename*={}",
            ascii_fallback(&row.file_name),
            rfc5987(&row.file_name)
        )
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .insert_header((header::ETAG, format!("\"{}\"", row.sha256)))
        .no_chunking(d.size)
        .streaming(d.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sent_in_both_forms() {
        assert_eq!(
            rfc5987("通行证 1.jpg"),
            "UTF-8''%E9%80%9A%E8%A1%8C%E8%AF%81%201.jpg"
        );
        assert_eq!(ascii_fallback("通行证 \"1\".jpg"), "___ _1_.jpg");
        assert_eq!(rfc5987("a;b=c\r\n"), "UTF-8''a%3Bb%3Dc%0D%0A");
    }
}
