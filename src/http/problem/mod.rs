//! RFC 9457 problem details: the one shape of every API error.
//!
//! Handlers return [`ApiError`]; its response carries the error in its
//! extensions, and the observing middleware renders the final body in the
//! caller's language with the request id (see `http::middleware`).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::lang::Lang;
use crate::storage::StorageError;
use crate::words::{phrase, text};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// What went wrong, by kind: each has a status, a stable type URI and a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    BadRequest,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Internal,
    ServiceUnavailable,
}

impl ProblemKind {
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::BadRequest => StatusCode::BAD_REQUEST,
            ProblemKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemKind::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::Validation => "validation",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::NotAcceptable => "not-acceptable",
            ProblemKind::Conflict => "conflict",
            ProblemKind::PreconditionFailed => "precondition-failed",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::Internal => "internal",
            ProblemKind::ServiceUnavailable => "service-unavailable",
        }
    }

    /// A stable, absolute URI naming the problem type.
    pub fn type_uri(self) -> String {
        format!("urn:yizhan:problem:{}", self.slug())
    }

    /// The kind's title, from the catalogue (`problem_title.*`).
    pub fn title(self, lang: Lang) -> &'static str {
        use ProblemKind::*;
        let key = match self {
            BadRequest => "problem_title.bad_request",
            Validation => "problem_title.validation",
            Unauthorized => "problem_title.unauthorized",
            Forbidden => "problem_title.forbidden",
            NotFound => "problem_title.not_found",
            MethodNotAllowed => "problem_title.method_not_allowed",
            NotAcceptable => "problem_title.not_acceptable",
            Conflict => "problem_title.conflict",
            PreconditionFailed => "problem_title.precondition_failed",
            PayloadTooLarge => "problem_title.payload_too_large",
            UnsupportedMediaType => "problem_title.unsupported_media_type",
            TooManyRequests => "problem_title.too_many_requests",
            Internal => "problem_title.internal",
            ServiceUnavailable => "problem_title.service_unavailable",
        };
        text(lang, key)
    }

    /// The kind for a bare error status produced outside our handlers.
    pub fn from_status(status: StatusCode) -> ProblemKind {
        match status.as_u16() {
            401 => ProblemKind::Unauthorized,
            403 => ProblemKind::Forbidden,
            404 => ProblemKind::NotFound,
            405 => ProblemKind::MethodNotAllowed,
            406 => ProblemKind::NotAcceptable,
            409 => ProblemKind::Conflict,
            412 => ProblemKind::PreconditionFailed,
            413 => ProblemKind::PayloadTooLarge,
            415 => ProblemKind::UnsupportedMediaType,
            422 => ProblemKind::Validation,
            429 => ProblemKind::TooManyRequests,
            503 => ProblemKind::ServiceUnavailable,
            s if s >= 500 => ProblemKind::Internal,
            _ => ProblemKind::BadRequest,
        }
    }
}

/// One invalid field of a request, for validation problems.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as named in the request (`parent`, `items[2].name`).
    pub field: String,
    pub message: String,
}

/// A problem details document (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the problem type, `urn:yizhan:problem:<slug>`: one per
    /// kind of failure (`urn:yizhan:problem:not-found`), and one per domain
    /// refusal (`urn:yizhan:problem:transfer-to-parent`,
    /// `urn:yizhan:problem:stale-version`), so that clients tell refusals
    /// apart without reading the prose. The list is in docs/api.md.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary in the caller's language (Simplified Chinese by default).
    pub title: String,
    pub status: u16,
    /// What happened in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Echo of the request id, to quote when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Each invalid field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// A message for the caller: a key of the word catalogues with its
/// arguments, rendered in the caller's language when the body is written.
pub use crate::words::Phrase as Message;

/// An error an API handler returns.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ProblemKind,
    /// A more specific problem type than the kind's (`transfer-to-parent`
    /// rather than `validation`): the slug of `urn:yizhan:problem:<slug>`.
    pub problem_type: Option<&'static str>,
    /// Boxed: an error travels in every handler's `Result`.
    pub detail: Option<Box<Message>>,
    pub errors: Vec<(String, Message)>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(kind: ProblemKind) -> ApiError {
        ApiError {
            kind,
            problem_type: None,
            detail: None,
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// What happened, as a catalogue key (`problem.*`) without placeholders.
    pub fn with_detail(mut self, key: &'static str) -> ApiError {
        self.detail = Some(Box::new(Message::new(key)));
        self
    }

    /// What happened, as a catalogue key and its placeholders' values.
    pub fn with_detail_with<const N: usize>(
        mut self,
        key: &'static str,
        args: [(&'static str, String); N],
    ) -> ApiError {
        self.detail = Some(Box::new(Message::with(key, args)));
        self
    }

    /// What happened, as a phrase built elsewhere (a refusal's).
    pub fn with_phrase(mut self, phrase: Message) -> ApiError {
        self.detail = Some(Box::new(phrase));
        self
    }

    /// Names the problem more precisely than its kind does.
    pub fn typed(mut self, slug: &'static str) -> ApiError {
        self.problem_type = Some(slug);
        self
    }

    /// The problem type: the specific one when set, else the kind's.
    pub fn type_uri(&self) -> String {
        match self.problem_type {
            Some(slug) => format!("urn:yizhan:problem:{slug}"),
            None => self.kind.type_uri(),
        }
    }

    pub fn not_found(key: &'static str) -> ApiError {
        ApiError::new(ProblemKind::NotFound).with_detail(key)
    }

    pub fn not_found_with<const N: usize>(
        key: &'static str,
        args: [(&'static str, String); N],
    ) -> ApiError {
        ApiError::new(ProblemKind::NotFound).with_detail_with(key, args)
    }

    /// A validation problem listing every bad field.
    pub fn invalid_fields(errors: Vec<(String, Message)>) -> ApiError {
        ApiError {
            errors,
            ..ApiError::new(ProblemKind::Validation)
        }
    }

    pub fn to_problem(&self, lang: Lang) -> Problem {
        Problem {
            type_: self.type_uri(),
            title: self.kind.title(lang).to_string(),
            status: self.kind.status().as_u16(),
            detail: self.detail.as_ref().map(|m| phrase(lang, m)),
            instance: None,
            request_id: None,
            errors: self
                .errors
                .iter()
                .map(|(field, m)| FieldError {
                    field: field.clone(),
                    message: phrase(lang, m),
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind.title(Lang::En))?;
        if let Some(d) = &self.detail {
            write!(f, ": {}", phrase(Lang::En, d))?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = problem_response(&self.to_problem(Lang::Zh), self.retry_after_secs);
        res.extensions_mut().insert(self.clone());
        res
    }
}

/// Serializes a problem with its media type.
pub fn problem_response(problem: &Problem, retry_after_secs: Option<u64>) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
    if let Some(secs) = retry_after_secs {
        builder.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    builder.body(serde_json::to_string(problem).unwrap_or_default())
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                ApiError::new(ProblemKind::ServiceUnavailable)
                    .with_detail("problem.database_unreachable")
            }
            // PostgreSQL refuses NUL in text (SQLSTATE 22021); fields the
            // services do not check for it get a clear answer, not a 500.
            StorageError::Query(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("0x00") =>
            {
                ApiError::new(ProblemKind::Validation).with_detail("problem.text_contains_nul")
            }
            StorageError::Query(err) => {
                tracing::error!(error = %err, "database query failed");
                ApiError::new(ProblemKind::Internal)
            }
        }
    }
}

mod monitoring;
mod services;
pub use services::invalid;
mod attachments;
pub use attachments::request_too_large;
