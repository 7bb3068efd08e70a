//! Request bodies are bounded before they are read: a `Content-Length` over
//! the route's limit is refused at once, and a body without one (chunked) is
//! cut off the moment it passes the limit. Extractors' own limits apply only
//! to what they buffer, after the fact, so without this a client could make
//! the server read (and hold) any amount first.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, Error, HttpMessage, ResponseError};
use futures_util::{Stream, StreamExt};
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::problem::{ApiError, ProblemKind};
use super::AppState;

/// Paths that take file uploads and so get `server.upload_limit_bytes`;
/// every other route gets `server.json_limit_bytes`.
const UPLOAD_PATHS: &[&str] = &[
    "/api/v1/admin/imports/",
    "/api/v1/admin/calendar/import",
    "/admin/enterprises/import",
];

/// The largest body the path accepts.
pub fn limit_for(path: &str, json_limit: usize, upload_limit: usize) -> usize {
    if UPLOAD_PATHS.iter().any(|p| path.starts_with(p)) {
        upload_limit
    } else {
        json_limit
    }
}

/// Paths whose bodies carry a step's files (issue 25): the API's uploads,
/// the filing form and the ticket page's action forms. Their limit is what
/// a step's files can be (`attachments.*`); a multipart body is streamed
/// to disk, a form of text fields still gets the form limit.
pub fn carries_files(path: &str) -> bool {
    let ticket_part = |rest: &str| {
        rest.split_once('/').is_some_and(|(id, tail)| {
            id.bytes().all(|b| b.is_ascii_digit()) && !id.is_empty() && {
                tail == "attachments" || tail.starts_with("act/")
            }
        })
    };
    path == "/api/v1/attachments"
        || path == "/tickets/new"
        || path
            .strip_prefix("/api/v1/tickets/")
            .is_some_and(|r| ticket_part(r) && r.ends_with("/attachments"))
        || path
            .strip_prefix("/tickets/")
            .is_some_and(|r| ticket_part(r) && r.contains("/act/"))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ProblemKind::PayloadTooLarge)
        .with_detail_with("problem.body_too_large", [("limit", limit.to_string())])
}

pub async fn limit_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return next.call(req).await.map(|r| r.map_into_left_body());
    };
    let server = &state.settings.server;
    let carries_files = carries_files(req.path());
    let limit = if carries_files {
        state.attachments.limits().request_bytes() as usize
    } else {
        limit_for(
            req.path(),
            server.json_limit_bytes,
            server.upload_limit_bytes,
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        // The API answers a problem; a page form, a page.
        let mut res = if carries_files && req.path().starts_with("/api/") {
            super::problem::request_too_large(limit as u64).error_response()
        } else if req.path().starts_with("/api/") {
            too_large(limit).error_response()
        } else {
            super::pages::PageError::form_too_large(req.request()).error_response()
        };
        // The unread body would otherwise have to be drained first.
        res.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(req.into_response(res).map_into_right_body());
    }
    let payload = Rc::new(RefCell::new(req.take_payload()));
    req.set_payload(Payload::from(Box::pin(Limited {
        inner: payload.clone(),
        seen: 0,
        limit,
        over: false,
    })
        as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>));
    let mut res = next.call(req).await?;
    if res.status() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
        // Otherwise actix would go on reading (and discarding) the rest of
        // a chunked body to keep the connection: close it instead.
        res.response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    // Held until the response is sent (`keep_body_until_sent` moves it into
    // the response body): actix drains a request body nobody holds, reading
    // a chunked one to its end however long it is, but closes the
    // connection after answering a request whose body is still unread.
    res.response_mut()
        .extensions_mut()
        .insert(HeldPayload(payload));
    Ok(res.map_into_left_body())
}

/// The request body, kept alive with the response (see above).
struct HeldPayload(#[allow(dead_code)] Rc<RefCell<Payload>>);

/// The outermost middleware: moves the request body `limit_body` held into
/// the response body, which actix keeps until the last byte is sent, when
/// it decides between closing and draining. (Response extensions are
/// dropped as soon as the head is written.)
pub async fn keep_body_until_sent(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut res = next.call(req).await?;
    let Some(held) = res.response_mut().extensions_mut().remove::<HeldPayload>() else {
        return Ok(res);
    };
    Ok(res.map_body(|_, body| {
        BoxBody::new(Holding {
            body,
            _held: Some(held),
        })
    }))
}

/// A response body that holds the request body until it is dropped.
pub struct Holding {
    body: BoxBody,
    _held: Option<HeldPayload>,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// The body, ending with an overflow error once it passes the limit; after
/// that nothing more is read from the socket.
struct Limited {
    inner: Rc<RefCell<Payload>>,
    seen: usize,
    limit: usize,
    over: bool,
}

impl Stream for Limited {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.over {
            return Poll::Ready(None);
        }
        let polled = this.inner.borrow_mut().poll_next_unpin(cx);
        match polled {
            Poll::Ready(Some(Ok(bytes))) => {
                this.seen += bytes.len();
                if this.seen > this.limit {
                    this.over = true;
                    Poll::Ready(Some(Err(PayloadError::Overflow)))
                } else {
                    Poll::Ready(Some(Ok(bytes)))
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_get_the_upload_limit_and_everything_else_the_json_limit() {
        assert_eq!(limit_for("/api/v1/admin/imports/enterprises", 1, 9), 9);
        assert_eq!(limit_for("/admin/enterprises/import", 1, 9), 9);
        assert_eq!(limit_for("/api/v1/tickets/1/actions/comment", 1, 9), 1);
        assert_eq!(limit_for("/tickets/new", 1, 9), 1);
    }

    #[test]
    fn the_paths_that_carry_files() {
        assert!(carries_files("/api/v1/attachments"));
        assert!(carries_files("/api/v1/tickets/12/attachments"));
        assert!(carries_files("/tickets/new"));
        assert!(carries_files("/tickets/12/act/resolve"));
        assert!(!carries_files("/api/v1/tickets/12/actions/resolve"));
        assert!(!carries_files("/api/v1/tickets/x/attachments"));
        assert!(!carries_files("/tickets/12/print"));
        assert!(!carries_files("/api/v1/tickets"));
    }
}
