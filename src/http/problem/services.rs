//! How each service's refusals read as problems (RFC 9457), for both faces:
//! the JSON API returns them, the pages render them.

use super::{ApiError, Message, ProblemKind};
use crate::domain::calendar::LineProblem;
use crate::domain::enterprise::FieldIssue;
use crate::domain::ticket::Refusal;
use crate::http::caller::unauthorized;
use crate::services::accounts::ResetLinkError;
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
            .map(|i| (i.field.to_string(), i.what))
            .collect(),
    )
}

impl From<DepartmentError> for ApiError {
    fn from(e: DepartmentError) -> Self {
        match e {
            DepartmentError::NotFound => {
                ApiError::not_found("problem.no_department_to_change").typed("department-not-found")
            }
            DepartmentError::Invalid(issue) => invalid(vec![issue]),
            DepartmentError::Storage(s) => s.into(),
        }
    }
}

impl From<crate::services::imports::ImportError> for ApiError {
    fn from(e: crate::services::imports::ImportError) -> Self {
        match e {
            crate::services::imports::ImportError::File(why) => {
                ApiError::new(ProblemKind::Validation)
                    .with_phrase(why)
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
                Message::with("problem.template_broken", [("why", t.reason.to_string())]),
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
                ApiError::not_found("problem.no_such_message").typed("message-not-found")
            }
            ResendError::NotDead(status) => ApiError::new(ProblemKind::Conflict)
                .with_phrase(Message::new("problem.message_not_dead").word(
                    "state",
                    match status.as_str() {
                        "pending" => "outbox_state.pending",
                        "sending" => "outbox_state.sending",
                        "sent" => "outbox_state.sent",
                        _ => "outbox_state.other",
                    },
                ))
                .typed("message-not-dead"),
            ResendError::OneTimeLink => ApiError::new(ProblemKind::Conflict)
                .with_detail("problem.one_time_link")
                .typed("one-time-link"),
            ResendError::Storage(s) => s.into(),
        }
    }
}

impl From<UnknownTarget> for ApiError {
    fn from(e: UnknownTarget) -> Self {
        match e {
            UnknownTarget::Kind(kind) => ApiError::not_found_with(
                "problem.no_such_message_kind",
                [("kind", kind.to_string())],
            )
            .typed("unknown-message-kind"),
            UnknownTarget::Locale => {
                ApiError::not_found("problem.no_such_language").typed("unknown-locale")
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
                    .map(|LineProblem { line, what }| (format!("line {line}"), what))
                    .collect(),
            )
            .with_detail("problem.calendar_invalid")
            .typed("calendar-invalid"),
            CalendarError::InvalidPolicy(fields) => ApiError::invalid_fields(
                fields
                    .into_iter()
                    .map(|i| (i.field.to_string(), i.what))
                    .collect(),
            ),
            CalendarError::Storage(s) => s.into(),
        }
    }
}

impl From<MetricsError> for ApiError {
    fn from(e: MetricsError) -> Self {
        match e {
            MetricsError::NotPermitted => {
                ApiError::not_found("problem.metrics_not_permitted").typed("metrics-not-permitted")
            }
            MetricsError::OutsideJurisdiction => {
                ApiError::not_found("problem.outside_jurisdiction").typed("outside-jurisdiction")
            }
            MetricsError::Storage(e) => e.into(),
        }
    }
}

impl From<crate::services::queue::QueueInputError> for ApiError {
    fn from(e: crate::services::queue::QueueInputError) -> Self {
        use crate::services::queue::QueueInputError;
        match e {
            QueueInputError::Fields(issues) => invalid(issues),
            QueueInputError::BadCursor => ApiError::new(ProblemKind::BadRequest)
                .with_detail("problem.bad_cursor")
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
            RuleError::NotFound => {
                ApiError::not_found("problem.no_such_rule").typed("rule-not-found")
            }
            RuleError::Storage(s) => s.into(),
        }
    }
}

impl From<crate::services::ticket_actions::ActionInputError> for ApiError {
    fn from(e: crate::services::ticket_actions::ActionInputError) -> Self {
        use crate::services::ticket_actions::ActionInputError;
        match e {
            ActionInputError::Unknown(other) => {
                ApiError::not_found_with("problem.no_such_action", [("other", other.to_string())])
                    .typed("unknown-action")
            }
            ActionInputError::Fields(issues) => invalid(issues),
            ActionInputError::Storage(s) => s.into(),
        }
    }
}

impl From<JoinError> for ApiError {
    fn from(e: JoinError) -> Self {
        match e {
            JoinError::NotFound => {
                ApiError::not_found("problem.no_such_join_request").typed("join-request-not-found")
            }
            JoinError::Decided => ApiError::new(ProblemKind::Conflict)
                .with_detail("problem.join_request_decided")
                .typed("join-request-decided"),
            JoinError::EmailTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail("problem.applicant_has_account")
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
                .with_detail("problem.credit_code_taken")
                .typed("credit-code-taken"),
            EnterpriseError::NotFound => ApiError::not_found("problem.no_such_enterprise_or_entry")
                .typed("enterprise-not-found"),
            EnterpriseError::Storage(s) => s.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials => ApiError::new(ProblemKind::Unauthorized)
                .with_detail("problem.wrong_credentials")
                .typed("wrong-credentials"),
            AuthError::Throttled(secs) => {
                let detail = if secs < 60 {
                    Message::with("problem.login_throttled_seconds", [("n", secs.to_string())])
                } else {
                    let m = secs.div_ceil(60);
                    Message::with("problem.login_throttled_minutes", [("n", m.to_string())])
                };
                let mut err = ApiError::new(ProblemKind::TooManyRequests)
                    .with_phrase(detail)
                    .typed("login-throttled");
                err.retry_after_secs = Some(secs);
                err
            }
            AuthError::InvalidRefreshToken => ApiError::new(ProblemKind::Unauthorized)
                .with_detail("problem.invalid_refresh_token")
                .typed("invalid-refresh-token"),
            AuthError::InvalidAccessToken(_) => unauthorized(false),
            AuthError::DemoAccountRefused => ApiError::new(ProblemKind::Forbidden)
                .with_detail("problem.demo_account_refused")
                .typed("demo-account-refused"),
            AuthError::WrongCurrentPassword => ApiError::invalid_fields(vec![(
                "current_password".into(),
                Message::new("problem.current_password_wrong"),
            )])
            .typed("wrong-current-password"),
            AuthError::PasswordRejected(rules) => ApiError::invalid_fields(
                rules
                    .into_iter()
                    .map(|r| ("new_password".to_string(), r.phrase()))
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
            CatalogueError::Forbidden => ApiError::not_found("problem.no_endpoint"),
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
                Message::new("problem.invalid_link"),
            )])
            .typed("invalid-link"),
            SelfServiceError::PasswordRejected(rules) => ApiError::invalid_fields(
                rules
                    .into_iter()
                    .map(|r| ("password".to_string(), r.phrase()))
                    .collect(),
            )
            .typed("weak-password"),
            SelfServiceError::EmailTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail("problem.email_taken_log_in")
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
                ApiError::not_found("problem.no_such_ticket").typed("ticket-not-found")
            }
            TicketError::Refused(r) => {
                let kind = match r {
                    Refusal::NotPermitted { .. } => ProblemKind::Forbidden,
                    Refusal::WrongStatus { .. } => ProblemKind::Conflict,
                    Refusal::MissingText { field } => {
                        return ApiError::invalid_fields(vec![(field.to_string(), r.phrase())])
                            .typed(r.code())
                    }
                    Refusal::Rule { .. } => ProblemKind::Validation,
                };
                ApiError::new(kind).with_phrase(r.phrase()).typed(r.code())
            }
            TicketError::Conflict(current) => ApiError::new(ProblemKind::Conflict)
                .with_phrase(
                    Message::with(
                        "problem.ticket_changed",
                        [("version", current.version.to_string())],
                    )
                    .word("status", format!("status.{}", current.status.as_str())),
                )
                .typed("ticket-changed"),
            TicketError::Stale(current) => ApiError::new(ProblemKind::PreconditionFailed)
                .with_detail_with(
                    "problem.ticket_stale",
                    [("version", current.version.to_string())],
                )
                .typed("stale-version"),
            TicketError::KeyReused => ApiError::new(ProblemKind::Validation)
                .with_detail("problem.idempotency_key_reused")
                .typed("idempotency-key-reused"),
            TicketError::Throttled(secs) => {
                let mut e = ApiError::new(ProblemKind::TooManyRequests)
                    .with_detail_with("problem.filing_throttled", [("secs", secs.to_string())])
                    .typed("filing-throttled");
                e.retry_after_secs = Some(secs);
                e
            }
            TicketError::Files(r) => r.into(),
            TicketError::Storage(s) => s.into(),
        }
    }
}

impl From<ResetLinkError> for ApiError {
    fn from(e: ResetLinkError) -> Self {
        match e {
            ResetLinkError::NotFound => {
                ApiError::not_found("problem.no_such_user").typed("user-not-found")
            }
            ResetLinkError::Inactive => ApiError::new(ProblemKind::Conflict)
                .with_detail("problem.account_deactivated_no_link")
                .typed("account-deactivated"),
            ResetLinkError::Storage(s) => s.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(problems) => ApiError::invalid_fields(
                problems
                    .into_iter()
                    .map(|p| (p.field.to_string(), p.what))
                    .collect(),
            ),
            AccountError::EmailTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail("problem.email_has_account")
                .typed("email-taken"),
            AccountError::NotFound => {
                ApiError::not_found("problem.no_such_user").typed("user-not-found")
            }
            AccountError::Auth(a) => a.into(),
            AccountError::Storage(s) => s.into(),
        }
    }
}

/// A bulk request not started (issue 24).
impl From<crate::services::bulk::BulkError> for ApiError {
    fn from(e: crate::services::bulk::BulkError) -> Self {
        match e {
            crate::services::bulk::BulkError::Fields(issues) => invalid(issues),
            crate::services::bulk::BulkError::Action(a) => a.into(),
        }
    }
}

/// A saved view refused (issue 24).
impl From<crate::services::saved_views::SavedViewError> for ApiError {
    fn from(e: crate::services::saved_views::SavedViewError) -> Self {
        use crate::services::saved_views::SavedViewError;
        match e {
            SavedViewError::Invalid(issues) => invalid(issues),
            SavedViewError::NotFound => {
                ApiError::not_found("problem.no_such_saved_view").typed("saved-view-not-found")
            }
            SavedViewError::Storage(s) => s.into(),
        }
    }
}

impl From<crate::services::robots::RobotError> for ApiError {
    fn from(e: crate::services::robots::RobotError) -> Self {
        use crate::services::robots::RobotError;
        match e {
            RobotError::NotFound => {
                ApiError::not_found("robots_sms.no_robot").typed("robot-not-found")
            }
            RobotError::Invalid(issues) => invalid(issues),
            RobotError::TestFailed(why) => ApiError::new(ProblemKind::Validation)
                .with_detail_with("robots_sms.test_failed", [("why", why)])
                .typed("robot-test-failed"),
            RobotError::Storage(s) => s.into(),
        }
    }
}

impl From<crate::services::sms_numbers::SmsNumberError> for ApiError {
    fn from(e: crate::services::sms_numbers::SmsNumberError) -> Self {
        use crate::services::sms_numbers::SmsNumberError;
        match e {
            SmsNumberError::NotFound => {
                ApiError::not_found("robots_sms.no_enterprise").typed("enterprise-not-found")
            }
            SmsNumberError::Invalid(issues) => invalid(issues).typed("invalid-mobile"),
            SmsNumberError::Storage(s) => s.into(),
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
