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
            ApiError::new(ProblemKind::PayloadTooLarge).with_detail(
                format!("请求体 {length} 字节，超过上限 {limit} 字节。"),
                format!("The body is {length} bytes; the limit is {limit} bytes."),
            )
        }
        JsonPayloadError::Overflow { .. } => ApiError::new(ProblemKind::PayloadTooLarge)
            .with_detail(
                format!("请求体超过上限 {limit} 字节。"),
                format!("The body exceeds the limit of {limit} bytes."),
            ),
        JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            ApiError::new(ProblemKind::PayloadTooLarge).with_detail(
                format!("请求体超过上限 {limit} 字节。"),
                format!("The body exceeds the limit of {limit} bytes."),
            )
        }
        JsonPayloadError::ContentType => ApiError::new(ProblemKind::UnsupportedMediaType)
            .with_detail(
                "请求体须为 JSON（Content-Type: application/json）。",
                "The body must be JSON (Content-Type: application/json).",
            ),
        JsonPayloadError::Deserialize(e) => {
            let what = e.to_string();
            if e.is_data() {
                ApiError::new(ProblemKind::Validation).with_detail(
                    format!("JSON 字段不符合要求：{what}"),
                    format!("A JSON field is not as expected: {what}"),
                )
            } else {
                ApiError::new(ProblemKind::BadRequest).with_detail(
                    format!("请求体不是有效的 JSON：{what}"),
                    format!("The body is not valid JSON: {what}"),
                )
            }
        }
        other => ApiError::new(ProblemKind::BadRequest).with_detail(
            format!("无法读取请求体：{other}"),
            format!("The body could not be read: {other}"),
        ),
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
            .with_detail(
                format!("路径参数无效：{err}"),
                format!("Invalid path parameter: {err}"),
            )
            .into()
    })
}

pub fn query_config() -> QueryConfig {
    QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::new(ProblemKind::BadRequest)
            .with_detail(
                format!("查询参数无效：{err}"),
                format!("Invalid query parameter: {err}"),
            )
            .into()
    })
}
