//! How each service's refusals read as problems (RFC 9457), for both faces:
//! the JSON API returns them, the pages render them.

use super::{ApiError, Message};
use crate::domain::enterprise::FieldIssue;
use crate::services::departments::DepartmentError;

/// Field problems as a 422 naming each field.
pub fn invalid(issues: Vec<FieldIssue>) -> ApiError {
    ApiError::invalid_fields(
        issues
            .into_iter()
            .map(|i| (i.field.to_string(), Message::new(i.zh, i.en)))
            .collect(),
    )
}

impl From<DepartmentError> for ApiError {
    fn from(e: DepartmentError) -> Self {
        match e {
            DepartmentError::NotFound => ApiError::not_found(
                "没有这个部门，或您无权修改。",
                "There is no such department for you to change.",
            ),
            DepartmentError::Invalid(issue) => invalid(vec![issue]),
            DepartmentError::Storage(s) => s.into(),
        }
    }
}
