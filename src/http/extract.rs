//! Extractor settings: every malformed body, path or query becomes a problem.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::web::{JsonConfig, PathConfig, QueryConfig};
use actix_web::HttpRequest;

use super::problem::{ApiError, ProblemKind};

pub fn json_config(limit: usize) -> JsonConfig {
    JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req: &HttpRequest| json_error(err, limit).into())
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { length, limit } => {
            ApiError::new(ProblemKind::PayloadTooLarge).with_detail_with(
                "problem.body_length_too_large",
                [("length", length.to_string()), ("limit", limit.to_string())],
            )
        }
        JsonPayloadError::Overflow { .. } => ApiError::new(ProblemKind::PayloadTooLarge)
            .with_detail_with("problem.body_too_large", [("limit", limit.to_string())]),
        JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            ApiError::new(ProblemKind::PayloadTooLarge)
                .with_detail_with("problem.body_too_large", [("limit", limit.to_string())])
        }
        JsonPayloadError::ContentType => ApiError::new(ProblemKind::UnsupportedMediaType)
            .with_detail("problem.body_not_json_type"),
        JsonPayloadError::Deserialize(e) => {
            let what = e.to_string();
            if e.is_data() {
                ApiError::new(ProblemKind::Validation)
                    .with_detail_with("problem.json_field_wrong", [("what", what.to_string())])
            } else {
                ApiError::new(ProblemKind::BadRequest)
                    .with_detail_with("problem.body_not_json", [("what", what.to_string())])
            }
        }
        other => ApiError::new(ProblemKind::BadRequest)
            .with_detail_with("problem.body_unreadable", [("other", other.to_string())]),
    }
}

/// Page forms: as large as a JSON body may be, so that a form takes what
/// the API takes (a 5,000-character Chinese description is some 45 KB
/// encoded); past that, a readable page instead of a bare 413.
pub fn form_config(limit: usize) -> actix_web::web::FormConfig {
    actix_web::web::FormConfig::default()
        .limit(limit)
        .error_handler(|err, req| match err {
            actix_web::error::UrlencodedError::Overflow { .. }
            | actix_web::error::UrlencodedError::Payload(
                actix_web::error::PayloadError::Overflow,
            ) => crate::http::pages::PageError::form_too_large(req).into(),
            other => actix_web::error::ErrorBadRequest(other),
        })
}

pub fn path_config() -> PathConfig {
    PathConfig::default().error_handler(|err: PathError, _req| {
        ApiError::new(ProblemKind::NotFound)
            .with_detail_with("problem.invalid_path_parameter", [("err", err.to_string())])
            .into()
    })
}

pub fn query_config() -> QueryConfig {
    QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::new(ProblemKind::BadRequest)
            .with_detail_with(
                "problem.invalid_query_parameter",
                [("err", err.to_string())],
            )
            .into()
    })
}
