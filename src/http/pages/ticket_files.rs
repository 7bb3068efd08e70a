//! Files on the ticket page (issue 25): the forms that carry files post
//! `multipart/form-data`; each file is stored (`services::attachments`)
//! and the action then takes it. A refused file shows the form again as
//! typed, the files already stored kept for the next try. The timeline
//! shows each step's files, images as thumbnails, and downloads go
//! through the viewer's session with the same rules as the API.

use actix_multipart::Multipart;
use actix_web::{guard, web, HttpRequest, HttpResponse};

use super::session::{check_csrf, Viewer};
use super::ticket::{act_on, failed_form, Draft};
use super::{fill, lang_of, AppState, Chrome, FormErrors, PageError};
use crate::domain::access::Caller;
use crate::http::problem::ApiError;
use crate::http::views::attachments::{file_response, read_form, size_words, Received};
use crate::services::attachments::{AttachmentError, Shown};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Before the ticket page's own route of the same path, which reads
    // url-encoded forms: a multipart post is this one's.
    cfg.service(
        web::resource("/tickets/{id}/act/{action}")
            .guard(guard::fn_guard(|ctx| is_multipart(ctx.head())))
            .route(web::post().to(act_with_files)),
    )
    .route("/tickets/{id}/files/{aid}", web::get().to(download))
    .route(
        "/tickets/{id}/files/{aid}/thumbnail",
        web::get().to(thumbnail),
    );
}

pub fn is_multipart(head: &actix_web::dev::RequestHead) -> bool {
    head.headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"))
}

/// A file on a step, as the timeline shows it.
pub struct FileShown {
    pub name: String,
    pub size: String,
    /// What kind it is, in words (a photo without thumbnail says so).
    pub kind: String,
    pub url: String,
    pub thumbnail: Option<String>,
    /// An image whose thumbnail is still being made.
    pub thumbnail_pending: bool,
    pub internal: bool,
}

/// What a file field takes, in words: how many, how large, which kinds.
pub fn hint(l: &crate::domain::attachments::Limits, en: bool) -> String {
    fill(
        lang_of(en),
        "evidence.limits",
        &[
            ("n", &l.files_per_step),
            ("size", &size_words(l.file_bytes as i64)),
            ("total", &size_words(l.ticket_bytes as i64)),
        ],
    )
}

fn shown(s: &Shown, ticket: i64, en: bool) -> FileShown {
    let r = &s.row;
    let url = format!("/tickets/{ticket}/files/{}", r.id);
    use crate::domain::attachments::MediaType as M;
    let kind = match s.media {
        Some(M::Jpeg) => "evidence.kind_jpeg",
        Some(M::Png) => "evidence.kind_png",
        Some(M::Webp) => "evidence.kind_webp",
        Some(M::Heic) => "evidence.kind_heic",
        Some(M::Pdf) => "evidence.kind_pdf",
        Some(M::Ofd) => "evidence.kind_ofd",
        Some(M::Docx) => "evidence.kind_docx",
        Some(M::Xlsx) => "evidence.kind_xlsx",
        Some(M::Text) => "evidence.kind_text",
        None => "evidence.kind_other",
    };
    FileShown {
        name: r.file_name.clone(),
        size: size_words(r.size_bytes),
        kind: super::say(lang_of(en), kind),
        thumbnail: r.thumbnail_key.as_ref().map(|_| format!("{url}/thumbnail")),
        thumbnail_pending: r.thumbnail_due_at.is_some(),
        url,
        internal: s.visibility == crate::domain::attachments::Visibility::Internal,
    }
}

/// The files of a ticket the viewer may see, each with its step's number.
pub async fn of_ticket(
    state: &AppState,
    caller: &Caller,
    ticket: i64,
    en: bool,
) -> Result<Vec<(Option<i32>, FileShown)>, ApiError> {
    let found = state.attachments.list(&state.db, caller, ticket).await;
    match found {
        Ok(list) => Ok(list
            .iter()
            .map(|s| (s.step_seq, shown(s, ticket, en)))
            .collect()),
        Err(AttachmentError::NotFound) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The files of the step numbered `seq`, taken out of the ticket's files.
pub fn take_step(files: &mut Vec<(Option<i32>, FileShown)>, seq: Option<i32>) -> Vec<FileShown> {
    let (mine, rest): (Vec<_>, Vec<_>) = files
        .drain(..)
        .partition(|(s, _)| *s == seq && seq.is_some());
    *files = rest;
    mine.into_iter().map(|(_, f)| f).collect()
}

/// Stores the files a form carried, for ticket `ticket` (none: a filing);
/// their ids, or why one was refused with the ids stored before it.
pub async fn store_all(
    state: &AppState,
    caller: &Caller,
    ticket: Option<i64>,
    received: &mut Received,
) -> (Vec<i64>, Option<AttachmentError>) {
    let mut ids = Vec::new();
    if let Some(e) = received.error.take() {
        return (ids, Some(e));
    }
    for incoming in std::mem::take(&mut received.files) {
        let now = state.sla.now().naive_utc();
        match state
            .attachments
            .store(&state.db, caller, ticket, incoming, now)
            .await
        {
            Ok(s) => ids.push(s.row.id),
            Err(e) => return (ids, Some(e)),
        }
    }
    (ids, None)
}

/// Uploads kept from an earlier try (a hidden field), and the new ones.
pub fn joined_ids(kept: &str, new: &[i64]) -> String {
    kept.split(',')
        .map(str::trim)
        .filter(|s| s.parse::<i64>().is_ok())
        .map(str::to_string)
        .chain(new.iter().map(i64::to_string))
        .collect::<Vec<_>>()
        .join(",")
}

/// The draft a multipart form carried (its text fields).
fn draft_of(received: &Received) -> Draft {
    let map: serde_json::Map<String, serde_json::Value> = received
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default()
}

/// An action's form with files: the files stored first, then the action.
async fn act_with_files(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, String)>,
    form: Multipart,
) -> Result<HttpResponse, actix_web::Error> {
    let (id, name) = path.into_inner();
    let text_limit = state.settings.server.json_limit_bytes;
    let mut received = read_form(form, &state.attachments, text_limit).await;
    let mut draft = draft_of(&received);
    check_csrf(&req, &draft.csrf)?;
    let (ids, refused) = store_all(&state, &v.caller, Some(id), &mut received).await;
    draft.attachment_ids = joined_ids(&draft.attachment_ids, &ids);
    if let Some(e) = refused {
        let c = Chrome::for_viewer(&req, &v);
        let lang = c.lang();
        let e = ApiError::from(e);
        if e.kind.status().is_server_error() {
            return Err(PageError::from_api(&req, e).into());
        }
        let status = e.kind.status();
        let mut errors = FormErrors::of(e, lang);
        errors.general.push(fill(
            lang,
            "evidence.choose_again",
            &[("n", &ids_count(&draft.attachment_ids))],
        ));
        return failed_form(&state, &req, &v, c, id, &name, draft, errors, status).await;
    }
    act_on(&state, &req, &v, id, &name, draft).await
}

fn ids_count(ids: &str) -> usize {
    ids.split(',').filter(|s| !s.trim().is_empty()).count()
}

async fn send(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    ticket: i64,
    id: i64,
    thumbnail: bool,
) -> Result<HttpResponse, actix_web::Error> {
    match state
        .attachments
        .open(&state.db, &v.caller, ticket, id, thumbnail)
        .await
    {
        Ok(d) => Ok(file_response(d, thumbnail)),
        Err(AttachmentError::NotFound) => Err(PageError::not_found(req).into()),
        Err(e) => Err(PageError::from_api(req, ApiError::from(e)).into()),
    }
}

async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, actix_web::Error> {
    let (ticket, id) = path.into_inner();
    send(&state, &req, &v, ticket, id, false).await
}

async fn thumbnail(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, actix_web::Error> {
    let (ticket, id) = path.into_inner();
    send(&state, &req, &v, ticket, id, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_kept_ids() {
        assert_eq!(size_words(1), "1KB");
        assert_eq!(size_words(3 << 20), "3MB");
        assert_eq!(size_words((3 << 20) + (1 << 19)), "3.5MB");
        assert_eq!(joined_ids("4, 5,x", &[9]), "4,5,9");
        assert_eq!(joined_ids("", &[]), "");
        assert_eq!(ids_count("4,5,9"), 3);
    }
}
