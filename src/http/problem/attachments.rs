//! How attachments' refusals read as problems, each with its own type.

use super::{ApiError, Message, ProblemKind};
use crate::domain::attachments::LimitBreach;
use crate::services::attachments::{AttachmentError, ClaimRefusal};

/// Sizes in words, as the pages say them (`20MB`).
fn mb(bytes: u64) -> String {
    crate::http::views::attachments::size_words(bytes as i64)
}

impl From<LimitBreach> for ApiError {
    fn from(b: LimitBreach) -> Self {
        match b {
            LimitBreach::FileTooLarge { limit } => ApiError::new(ProblemKind::PayloadTooLarge)
                .with_detail_with("evidence.problem_file_too_large", [("size", mb(limit))])
                .typed("attachment-too-large"),
            LimitBreach::TooManyFiles { limit } => ApiError::new(ProblemKind::Validation)
                .with_detail_with(
                    "evidence.problem_too_many_files",
                    [("n", limit.to_string())],
                )
                .typed("attachment-too-many-files"),
            LimitBreach::TicketFull { limit, used } => ApiError::new(ProblemKind::Validation)
                .with_phrase(Message::with(
                    "evidence.problem_ticket_full",
                    [("size", mb(limit)), ("used", mb(used))],
                ))
                .typed("attachment-ticket-full"),
        }
    }
}

impl From<AttachmentError> for ApiError {
    fn from(e: AttachmentError) -> Self {
        match e {
            AttachmentError::TypeRefused(found) => ApiError::new(ProblemKind::UnsupportedMediaType)
                .with_detail_with("evidence.problem_type_refused", [("found", found)])
                .typed("attachment-type-refused"),
            AttachmentError::ZipBomb => ApiError::new(ProblemKind::Validation)
                .with_detail("evidence.problem_zip_bomb")
                .typed("attachment-zip-bomb"),
            AttachmentError::Limit(b) => b.into(),
            AttachmentError::Empty => ApiError::new(ProblemKind::Validation)
                .with_detail("evidence.problem_empty")
                .typed("attachment-empty"),
            AttachmentError::NoFile => ApiError::new(ProblemKind::Validation)
                .with_detail("evidence.problem_no_file")
                .typed("attachment-no-file"),
            AttachmentError::RequestTooLarge(limit) => request_too_large(limit),
            AttachmentError::Unreadable(why) => ApiError::new(ProblemKind::BadRequest)
                .with_detail_with("evidence.problem_unreadable", [("why", why)])
                .typed("attachment-upload-unreadable"),
            AttachmentError::NotFound => {
                ApiError::not_found("evidence.problem_not_found").typed("attachment-not-found")
            }
            AttachmentError::NotPermitted => ApiError::new(ProblemKind::Forbidden)
                .with_detail("evidence.problem_not_permitted")
                .typed("attachment-not-permitted"),
            AttachmentError::Store(why) => {
                tracing::error!(error = %why, "the attachment store failed");
                ApiError::new(ProblemKind::ServiceUnavailable)
                    .with_detail("evidence.problem_store_unavailable")
                    .typed("attachment-store-unavailable")
            }
            AttachmentError::Storage(s) => s.into(),
        }
    }
}

/// A request body over what a step's files can be, refused unread.
pub fn request_too_large(limit: u64) -> ApiError {
    ApiError::new(ProblemKind::PayloadTooLarge)
        .with_detail_with("evidence.problem_request_too_large", [("size", mb(limit))])
        .typed("attachment-request-too-large")
}

impl From<ClaimRefusal> for ApiError {
    fn from(r: ClaimRefusal) -> Self {
        match r {
            ClaimRefusal::UnknownUpload => ApiError::new(ProblemKind::Validation)
                .with_detail("evidence.problem_unknown_upload")
                .typed("attachment-unknown-upload"),
            ClaimRefusal::NotOnThisStep => ApiError::new(ProblemKind::Validation)
                .with_detail("evidence.problem_not_on_this_step")
                .typed("attachment-not-on-this-step"),
            ClaimRefusal::Limit(b) => b.into(),
        }
    }
}
