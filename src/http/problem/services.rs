//! How each service's refusals read as problems (RFC 9457), for both faces:
//! the JSON API returns them, the pages render them.

use super::{ApiError, Message, ProblemKind};
use crate::domain::calendar::LineProblem;
use crate::domain::enterprise::FieldIssue;
use crate::services::calendar::CalendarError;
use crate::services::departments::DepartmentError;
use crate::services::mail::{OverrideError, ResendError, UnknownTarget};
use crate::services::metrics::MetricsError;

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

impl From<crate::services::imports::ImportError> for ApiError {
    fn from(e: crate::services::imports::ImportError) -> Self {
        match e {
            crate::services::imports::ImportError::File { zh, en } => {
                ApiError::new(ProblemKind::Validation).with_detail(zh, en)
            }
            crate::services::imports::ImportError::Storage(s) => s.into(),
        }
    }
}

/// Why a template override was refused.
impl From<OverrideError> for ApiError {
    fn from(e: OverrideError) -> Self {
        match e {
            OverrideError::Broken(t) => ApiError::invalid_fields(vec![(
                t.part.to_string(),
                Message::new(
                    format!("模板无法使用：{}", t.reason),
                    format!("The template cannot be used: {}", t.reason),
                ),
            )]),
            OverrideError::Storage(s) => s.into(),
        }
    }
}

/// Why a message was not sent again.
impl From<ResendError> for ApiError {
    fn from(e: ResendError) -> Self {
        match e {
            ResendError::NotFound => {
                ApiError::not_found("没有这条消息。", "There is no such message.")
            }
            ResendError::NotDead(status) => ApiError::new(ProblemKind::Conflict).with_detail(
                format!("只有发送失败（dead）的消息可以重发，这条消息的状态是 {status}。"),
                format!("Only dead messages can be sent again; this one is {status}."),
            ),
            ResendError::OneTimeLink => ApiError::new(ProblemKind::Conflict).with_detail(
                "激活和重置密码邮件中的链接只能发送一次，请让用户重新申请。",
                "Activation and password-reset links are not sent again; ask the person to request a new one.",
            ),
            ResendError::Storage(s) => s.into(),
        }
    }
}

impl From<UnknownTarget> for ApiError {
    fn from(e: UnknownTarget) -> Self {
        match e {
            UnknownTarget::Kind(kind) => ApiError::not_found(
                format!("没有“{kind}”这种消息。"),
                format!("There is no `{kind}` message."),
            ),
            UnknownTarget::Locale => {
                ApiError::not_found("语言应为 zh 或 en。", "The language is `zh` or `en`.")
            }
        }
    }
}

impl From<CalendarError> for ApiError {
    fn from(e: CalendarError) -> Self {
        match e {
            CalendarError::Invalid(lines) => ApiError::invalid_fields(
                lines
                    .into_iter()
                    .map(|LineProblem { line, zh, en }| {
                        (format!("line {line}"), Message::new(zh, en))
                    })
                    .collect(),
            )
            .with_detail(
                "日历有误，未作任何修改。",
                "The calendar is invalid; nothing was changed.",
            ),
            CalendarError::InvalidPolicy(fields) => ApiError::invalid_fields(
                fields
                    .into_iter()
                    .map(|(f, zh, en)| (f.to_string(), Message::new(zh, en)))
                    .collect(),
            ),
            CalendarError::Storage(s) => s.into(),
        }
    }
}

impl From<MetricsError> for ApiError {
    fn from(e: MetricsError) -> Self {
        match e {
            MetricsError::NotPermitted => ApiError::not_found(
                "只有部门的督查人员和负责人可以查看统计。",
                "Only a department's supervisors and leads read metrics.",
            ),
            MetricsError::OutsideJurisdiction => ApiError::not_found(
                "该地区或产业链不在本部门管辖范围内。",
                "That region or chain is outside the department's jurisdiction.",
            ),
            MetricsError::Storage(e) => e.into(),
        }
    }
}

impl From<crate::services::queue::QueueInputError> for ApiError {
    fn from(e: crate::services::queue::QueueInputError) -> Self {
        use crate::services::queue::QueueInputError;
        match e {
            QueueInputError::Fields(issues) => invalid(issues),
            QueueInputError::BadCursor => ApiError::new(ProblemKind::BadRequest).with_detail(
                "翻页游标无效：请使用上一页返回的 next_cursor，并保持排序方式不变。",
                "The cursor is not valid: pass the next_cursor of the previous page, with the same sort.",
            ),
        }
    }
}

impl From<crate::services::sla_policies::PolicyError> for ApiError {
    fn from(e: crate::services::sla_policies::PolicyError) -> Self {
        match e {
            crate::services::sla_policies::PolicyError::Fields(issues) => invalid(issues),
            crate::services::sla_policies::PolicyError::Calendar(c) => c.into(),
        }
    }
}

impl From<crate::services::routing_rules::RuleError> for ApiError {
    fn from(e: crate::services::routing_rules::RuleError) -> Self {
        use crate::services::routing_rules::RuleError;
        match e {
            RuleError::Fields(issues) => invalid(issues),
            RuleError::NotFound => ApiError::not_found("没有这条规则。", "There is no such rule."),
            RuleError::Storage(s) => s.into(),
        }
    }
}

impl From<crate::services::ticket_actions::ActionInputError> for ApiError {
    fn from(e: crate::services::ticket_actions::ActionInputError) -> Self {
        use crate::services::ticket_actions::ActionInputError;
        match e {
            ActionInputError::Unknown(other) => ApiError::not_found(
                format!("没有“{other}”这个操作。"),
                format!("There is no action `{other}`."),
            ),
            ActionInputError::Fields(issues) => invalid(issues),
            ActionInputError::Storage(s) => s.into(),
        }
    }
}
