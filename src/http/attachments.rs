//! Attachments (issue 25), upload first: files are uploaded (multipart,
//! field `file`, repeated), each answered with its id; a step then names
//! them in `attachment_ids` (filing, provide_info, request_info, resolve,
//! post_opinion, comment) and takes them in its own transaction. An upload
//! no step takes within `attachments.pending_hours` is swept.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Authenticated;
use super::problem::{ApiError, Problem};
use super::views::attachments::{file_response, read_form, AttachmentView};
use super::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<AttachmentView>,
}

/// The form of an upload: one or more files, each under the name `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A file (repeat the part for several, at most a step's limit).
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<String>,
}

async fn upload(
    state: &AppState,
    who: &Authenticated,
    ticket: Option<i64>,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let a = &state.attachments;
    let received = read_form(form, a, state.settings.server.json_limit_bytes).await;
    if let Some(e) = received.error {
        return Err(e.into());
    }
    if received.files.is_empty() {
        return Err(crate::services::attachments::AttachmentError::NoFile.into());
    }
    let mut items = Vec::new();
    for incoming in received.files {
        let now = state.sla.now().naive_utc();
        let stored = a
            .store(&state.db, &who.caller, ticket, incoming, now)
            .await?;
        items.push(AttachmentView::of(&stored));
    }
    Ok(HttpResponse::Created().json(AttachmentList { items }))
}

/// Uploads files for a filing (or any step): each is checked by its content
/// (JPEG, PNG, WebP, HEIC/HEIF, PDF, OFD, DOCX, XLSX, UTF-8 text), a
/// photo's location and other metadata removed, and stored once by its
/// SHA-256. The answer's ids go into the step's `attachment_ids`; until a
/// step takes them they are the uploader's alone.
#[utoipa::path(
    tag = "attachments",
    security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored, waiting for a step", body = AttachmentList),
        (status = 400, description = "The multipart body cannot be read (`attachment-upload-unreadable`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators attach nothing (`attachment-not-permitted`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file over the file limit (`attachment-too-large`, cut off as it arrives), or a body over a step's files, refused from its Content-Length unread (`attachment-request-too-large`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A kind not taken; the detail names the kind found (`attachment-type-refused`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file (`attachment-no-file`), an empty one (`attachment-empty`), more than a step carries (`attachment-too-many-files`), a zip whose directory declares more than a document holds (`attachment-zip-bomb`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The object store is unreachable (`attachment-store-unavailable`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/attachments")]
pub async fn upload_pending(
    state: web::Data<AppState>,
    who: Authenticated,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    upload(&state, &who, None, form).await
}

/// Uploads files for a step of this ticket, as `POST /attachments` does;
/// the ticket must be the caller's to see, and only a step of this ticket
/// may take them.
#[utoipa::path(
    tag = "attachments",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored, waiting for a step of the ticket", body = AttachmentList),
        (status = 400, description = "`attachment-upload-unreadable`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators attach nothing (`attachment-not-permitted`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not the caller's to see (`ticket-not-found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`attachment-too-large`, `attachment-request-too-large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`attachment-type-refused`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`attachment-no-file`, `attachment-empty`, `attachment-too-many-files`, `attachment-zip-bomb`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`attachment-store-unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{id}/attachments")]
pub async fn upload_for_ticket(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    upload(&state, &who, Some(path.into_inner()), form)
        .await
        .map_err(|e| match e.kind {
            super::problem::ProblemKind::NotFound => {
                ApiError::not_found("problem.no_such_ticket").typed("ticket-not-found")
            }
            _ => e,
        })
}

/// The files on the ticket's steps that the caller may see (internal ones
/// to staff only), oldest first.
#[utoipa::path(
    tag = "attachments",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = AttachmentList),
        (status = 404, description = "No such ticket, or not the caller's to see (`attachment-not-found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{id}/attachments")]
pub async fn list(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<AttachmentList>, ApiError> {
    let shown = state
        .attachments
        .list(&state.db, &who.caller, path.into_inner())
        .await?;
    Ok(web::Json(AttachmentList {
        items: shown.iter().map(AttachmentView::of).collect(),
    }))
}

/// Downloads a file: always as an attachment (`Content-Disposition` with
/// the name in RFC 5987 form), typed by its content, with `nosniff`.
#[utoipa::path(
    tag = "attachments",
    security(("bearer" = [])),
    params(("id" = i64, Path), ("aid" = i64, Path)),
    responses(
        (status = 200, description = "The file, byte for byte as stored", content_type = "application/octet-stream"),
        (status = 404, description = "No such file on the ticket, or not the caller's to see (`attachment-not-found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`attachment-store-unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{id}/attachments/{aid}")]
pub async fn download(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (ticket, id) = path.into_inner();
    let d = state
        .attachments
        .open(&state.db, &who.caller, ticket, id, false)
        .await?;
    Ok(file_response(d, false))
}

/// A small JPEG of an image file (JPEG, PNG, WebP; HEIC has none).
#[utoipa::path(
    tag = "attachments",
    security(("bearer" = [])),
    params(("id" = i64, Path), ("aid" = i64, Path)),
    responses(
        (status = 200, description = "The thumbnail", content_type = "image/jpeg"),
        (status = 404, description = "No such file, none for this kind, or not the caller's to see (`attachment-not-found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{id}/attachments/{aid}/thumbnail")]
pub async fn thumbnail(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (ticket, id) = path.into_inner();
    let d = state
        .attachments
        .open(&state.db, &who.caller, ticket, id, true)
        .await?;
    Ok(file_response(d, true))
}
