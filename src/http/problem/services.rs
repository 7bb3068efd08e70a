//! How each service's refusals read as problems (RFC 9457), for both faces:
//! the JSON API returns them, the pages render them.

use super::{ApiError, Message, ProblemKind};
use crate::domain::calendar::LineProblem;
use crate::domain::enterprise::FieldIssue;
use crate::domain::ticket::Refusal;
use crate::http::caller::unauthorized;
use crate::services::accounts::SelfServiceError;
use crate::services::auth::AuthError;
use crate::services::calendar::CalendarError;
use crate::services::catalogue::CatalogueError;
use crate::services::departments::DepartmentError;
use crate::services::enterprises::EnterpriseError;
use crate::services::join_requests::JoinError;
use crate::services::mail::{OverrideError, ResendError, UnknownTarget};
use crate::services::metrics::MetricsError;
use crate::services::tickets::TicketError;
use crate::services::users::AccountError;

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
            )
            .typed("department-not-found"),
            DepartmentError::Invalid(issue) => invalid(vec![issue]),
            DepartmentError::Storage(s) => s.into(),
        }
    }
}

impl From<crate::services::imports::ImportError> for ApiError {
    fn from(e: crate::services::imports::ImportError) -> Self {
        match e {
            crate::services::imports::ImportError::File { zh, en } => {
                ApiError::new(ProblemKind::Validation)
                    .with_detail(zh, en)
                    .typed("import-file-unreadable")
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
            )])
            .typed("template-broken"),
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
                    .typed("message-not-found")
            }
            ResendError::NotDead(status) => ApiError::new(ProblemKind::Conflict).with_detail(
                format!(
                    "只有发送失败的消息可以重发，这条消息{}。",
                    match status.as_str() {
                        "pending" => "正等待发送",
                        "sending" => "正在发送",
                        "sent" => "已经发出",
                        _ => "不在失败之列",
                    }
                ),
                format!("Only dead messages can be sent again; this one is {status}."),
            )
            .typed("message-not-dead"),
            ResendError::OneTimeLink => ApiError::new(ProblemKind::Conflict).with_detail(
                "激活和重置密码邮件中的链接只能发送一次，请让用户重新申请。",
                "Activation and password-reset links are not sent again; ask the person to request a new one.",
            )
            .typed("one-time-link"),
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
            )
            .typed("unknown-message-kind"),
            UnknownTarget::Locale => {
                ApiError::not_found("语言应为 zh 或 en。", "The language is `zh` or `en`.")
                    .typed("unknown-locale")
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
            )
            .typed("calendar-invalid"),
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
            )
            .typed("metrics-not-permitted"),
            MetricsError::OutsideJurisdiction => ApiError::not_found(
                "该地区或产业链不在本部门管辖范围内。",
                "That region or chain is outside the department's jurisdiction.",
            )
            .typed("outside-jurisdiction"),
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
            )
            .typed("bad-cursor"),
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
            RuleError::NotFound => ApiError::not_found("没有这条规则。", "There is no such rule.")
                .typed("rule-not-found"),
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
            )
            .typed("unknown-action"),
            ActionInputError::Fields(issues) => invalid(issues),
            ActionInputError::Storage(s) => s.into(),
        }
    }
}

impl From<JoinError> for ApiError {
    fn from(e: JoinError) -> Self {
        match e {
            JoinError::NotFound => {
                ApiError::not_found("没有这个加入申请。", "There is no such request to join.")
                    .typed("join-request-not-found")
            }
            JoinError::Decided => ApiError::new(ProblemKind::Conflict)
                .with_detail(
                    "这个申请已经处理过了。",
                    "The request has been decided already.",
                )
                .typed("join-request-decided"),
            JoinError::EmailTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail(
                    "申请人的邮箱已有账号，无法再批准。",
                    "The applicant's address has an account by now.",
                )
                .typed("email-taken"),
            JoinError::Storage(s) => s.into(),
        }
    }
}

impl From<EnterpriseError> for ApiError {
    fn from(e: EnterpriseError) -> Self {
        match e {
            EnterpriseError::Invalid(issues) => invalid(issues),
            EnterpriseError::CodeTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail(
                    "该统一社会信用代码已登记。",
                    "An enterprise with this credit code is registered.",
                )
                .typed("credit-code-taken"),
            EnterpriseError::NotFound => ApiError::not_found(
                "没有这个企业或记录。",
                "There is no such enterprise or entry.",
            )
            .typed("enterprise-not-found"),
            EnterpriseError::Storage(s) => s.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials => ApiError::new(ProblemKind::Unauthorized)
                .with_detail("电子邮箱或密码不正确。", "Wrong e-mail or password.")
                .typed("wrong-credentials"),
            AuthError::Throttled(secs) => {
                let (zh, en) = if secs < 60 {
                    (format!("{secs} 秒"), format!("{secs} seconds"))
                } else {
                    let m = secs.div_ceil(60);
                    (format!("{m} 分钟"), format!("{m} minutes"))
                };
                let mut err = ApiError::new(ProblemKind::TooManyRequests)
                    .with_detail(
                        format!("密码错误次数过多，请 {zh}后再试。"),
                        format!("Too many wrong passwords from here; try again in {en}."),
                    )
                    .typed("login-throttled");
                err.retry_after_secs = Some(secs);
                err
            }
            AuthError::InvalidRefreshToken => ApiError::new(ProblemKind::Unauthorized)
                .with_detail(
                    "刷新令牌无效或已过期，请重新登录。",
                    "The refresh token is not valid or has expired; log in again.",
                )
                .typed("invalid-refresh-token"),
            AuthError::InvalidAccessToken(_) => unauthorized(false),
            AuthError::DemoAccountRefused => ApiError::new(ProblemKind::Forbidden)
                .with_detail(
                    "演示账号不能在生产环境中使用。",
                    "Demo accounts are refused in the production profile.",
                )
                .typed("demo-account-refused"),
            AuthError::WrongCurrentPassword => ApiError::invalid_fields(vec![(
                "current_password".into(),
                Message::new("当前密码不正确。", "The current password is wrong."),
            )])
            .typed("wrong-current-password"),
            AuthError::PasswordRejected(rules) => ApiError::invalid_fields(
                rules
                    .into_iter()
                    .map(|r| {
                        (
                            "new_password".to_string(),
                            Message::new(r.message_zh(), r.message_en()),
                        )
                    })
                    .collect(),
            )
            .typed("weak-password"),
            AuthError::Storage(s) => s.into(),
            AuthError::Internal(reason) => {
                tracing::error!(%reason, "authentication failed internally");
                ApiError::new(ProblemKind::Internal)
            }
        }
    }
}

impl From<CatalogueError> for ApiError {
    fn from(e: CatalogueError) -> Self {
        match e {
            CatalogueError::Forbidden => {
                ApiError::not_found("没有这个接口。", "There is no such endpoint.")
            }
            CatalogueError::Invalid(issues) => invalid(issues),
            CatalogueError::Storage(s) => s.into(),
        }
    }
}

impl From<SelfServiceError> for ApiError {
    fn from(e: SelfServiceError) -> Self {
        match e {
            SelfServiceError::Invalid(issues) => invalid(issues),
            SelfServiceError::InvalidLink => ApiError::invalid_fields(vec![(
                "token".into(),
                Message::new(
                    "链接无效、已使用或已过期，请重新申请。",
                    "The link is invalid, used or expired; please ask for a new one.",
                ),
            )])
            .typed("invalid-link"),
            SelfServiceError::PasswordRejected(rules) => ApiError::invalid_fields(
                rules
                    .into_iter()
                    .map(|r| {
                        (
                            "password".to_string(),
                            Message::new(r.message_zh(), r.message_en()),
                        )
                    })
                    .collect(),
            )
            .typed("weak-password"),
            SelfServiceError::EmailTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail(
                    "该电子邮箱已有账号，请直接登录或重置密码。",
                    "This e-mail already has an account; log in or reset the password.",
                )
                .typed("email-taken"),
            SelfServiceError::Auth(a) => a.into(),
            SelfServiceError::Storage(s) => s.into(),
        }
    }
}

impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::Invalid(issues) => invalid(issues),
            TicketError::NotFound => {
                ApiError::not_found("没有这个工单。", "There is no such ticket.").typed("ticket-not-found")
            }
            TicketError::Refused(r) => {
                let kind = match r {
                    Refusal::NotPermitted { .. } => ProblemKind::Forbidden,
                    Refusal::WrongStatus { .. } => ProblemKind::Conflict,
                    Refusal::MissingText { field } => {
                        return ApiError::invalid_fields(vec![(field.to_string(), Message::new(r.message_zh(), r.message_en()))])
                            .typed(r.code())
                    }
                    Refusal::Rule { .. } => ProblemKind::Validation,
                };
                ApiError::new(kind).with_detail(r.message_zh(), r.message_en()).typed(r.code())
            }
            TicketError::Conflict(current) => ApiError::new(ProblemKind::Conflict).with_detail(
                format!(
                    "工单已被他人更新（当前为第 {} 版，状态“{}”），请刷新后重试。",
                    current.version,
                    current.status.name_zh()
                ),
                format!(
                    "The ticket was changed by someone else (now version {}, {}); reload and retry.",
                    current.version,
                    current.status.as_str()
                ),
            )
            .typed("ticket-changed"),
            TicketError::Stale(current) => ApiError::new(ProblemKind::PreconditionFailed)
                .with_detail(
                    format!(
                        "工单已被他人更新（当前为第 {} 版），您读到的版本已过期，请刷新后重试。",
                        current.version
                    ),
                    format!(
                        "The ticket was changed by someone else (now v{}); the version you read is stale: reload and retry.",
                        current.version
                    ),
                )
                .typed("stale-version"),
            TicketError::KeyReused => ApiError::new(ProblemKind::Validation).with_detail(
                "这个幂等键已用于内容不同的另一件诉求，本次没有提交。请换一个新的键再提交。",
                "This Idempotency-Key was used for a different problem; nothing was filed. Send it again under a new key.",
            )
            .typed("idempotency-key-reused"),
            TicketError::Throttled(secs) => {
                let mut e = ApiError::new(ProblemKind::TooManyRequests).with_detail(
                    format!("提交过于频繁，请 {secs} 秒后再试。"),
                    format!("Filing too fast; try again in {secs} s."),
                )
                .typed("filing-throttled");
                e.retry_after_secs = Some(secs);
                e
            }
            TicketError::Storage(s) => s.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(problems) => ApiError::invalid_fields(
                problems
                    .into_iter()
                    .map(|p| (p.field.to_string(), Message::new(p.zh, p.en)))
                    .collect(),
            ),
            AccountError::EmailTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail(
                    "该电子邮箱已有账号。",
                    "An account with this e-mail already exists.",
                )
                .typed("email-taken"),
            AccountError::NotFound => {
                ApiError::not_found("没有这个用户。", "There is no such user.")
                    .typed("user-not-found")
            }
            AccountError::Auth(a) => a.into(),
            AccountError::Storage(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The quoted slugs after each `marker` in a source text.
    fn slugs_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.match_indices(marker)
            .filter_map(|(i, m)| {
                let rest = &text[i + m.len()..];
                rest.split('"').next()
            })
            .collect()
    }

    #[test]
    fn every_problem_type_is_documented() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
        let docs = read("docs/api.md");
        let mut slugs = slugs_after(include_str!("services.rs"), ".typed(\"");
        let domain = read("src/domain/ticket.rs");
        for line in domain.lines().filter(|l| l.contains("Refusal::")) {
            slugs.extend(slugs_after(line, "{ .. } => \""));
        }
        let (decide, act) = (
            read("src/domain/ticket/decide.rs"),
            read("src/services/tickets/act.rs"),
        );
        slugs.extend(slugs_after(&decide, "code: \""));
        slugs.extend(slugs_after(&act, "code: \""));
        assert!(slugs.len() > 40, "{slugs:?}");
        for slug in slugs {
            assert!(
                docs.contains(&format!("| `{slug}` |")),
                "docs/api.md does not list urn:yizhan:problem:{slug}"
            );
        }
    }
}
