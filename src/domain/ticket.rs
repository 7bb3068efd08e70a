//! The ticket (诉求工单) state machine: states x actions x actor -> the next
//! state, or a typed refusal saying why. Pure: the caller supplies the facts
//! and the clock, and writes the outcome and its event in one transaction.

use chrono::{DateTime, Duration, Utc};

use super::access::{may_act_on_ticket, Caller, DepartmentRef, TicketAction, TicketFacts};
use super::role::Role;
use super::words::Phrase;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Status {
    /// 待签收: routed to a department, not yet signed for.
    PendingSign,
    /// 办理中: signed for, being handled.
    Handling,
    /// 待补充: the enterprise was asked for more; the resolve clock pauses.
    AwaitingInfo,
    /// 已办结: resolved, awaiting the enterprise's rating.
    Resolved,
    /// 已关闭: rated, or closed automatically.
    Closed,
    /// 不予受理: declined with a reason.
    Rejected,
    /// 已撤回: withdrawn by the enterprise.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::PendingSign,
        Status::Handling,
        Status::AwaitingInfo,
        Status::Resolved,
        Status::Closed,
        Status::Rejected,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingSign => "pending_sign",
            Status::Handling => "handling",
            Status::AwaitingInfo => "awaiting_info",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The statuses of a ticket still waiting for someone to act.
    pub const OPEN: [Status; 3] = [Status::PendingSign, Status::Handling, Status::AwaitingInfo];

    /// Still waiting for someone to act.
    pub fn is_open(self) -> bool {
        Status::OPEN.contains(&self)
    }

    /// Nothing leaves these but a reopen (and rejected/withdrawn not even that).
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Closed | Status::Rejected | Status::Withdrawn)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Satisfaction {
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Satisfaction> {
        [
            Satisfaction::Satisfied,
            Satisfaction::BasicallySatisfied,
            Satisfaction::Dissatisfied,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// How a department other than the handling one is part of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Involvement {
    /// 曾承办: handled it before a transfer, escalation or return.
    Passed,
    /// 协办: asked for its opinion.
    Cohandler,
}

impl Involvement {
    pub fn as_str(self) -> &'static str {
        match self {
            Involvement::Passed => "passed",
            Involvement::Cohandler => "cohandler",
        }
    }

    pub fn parse(s: &str) -> Option<Involvement> {
        [Involvement::Passed, Involvement::Cohandler]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A co-handling department (协办) and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohandler {
    pub department: DepartmentRef,
    pub opinion_posted: bool,
    /// The main department let it go without an opinion.
    pub released: bool,
}

impl Cohandler {
    fn settled(&self) -> bool {
        self.opinion_posted || self.released
    }
}

/// What the state machine needs to know of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub status: Status,
    pub handling: DepartmentRef,
    /// The department that last sent the ticket here (a return goes back there).
    pub sent_from: Option<DepartmentRef>,
    pub assignee: Option<i64>,
    pub cohandlers: Vec<Cohandler>,
    pub extension_pending: bool,
    pub resolve_due: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it closed: rated, or closed automatically.
    pub closed_at: Option<DateTime<Utc>>,
    pub rating: Option<Satisfaction>,
    /// The enterprise's answer to "was it solved", with its rating.
    pub solved: Option<bool>,
    /// Transfers, escalations and returns so far.
    pub sent_on: i32,
    pub returns: i32,
    pub urged: i32,
    pub reopened: i32,
}

/// An action with its fields, as a request carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    SignFor,
    Assign {
        assignee: i64,
    },
    // The reasons of moving a ticket are written for colleagues: the
    // enterprise reads one only when `reason_public` says so.
    Transfer {
        target: DepartmentRef,
        reason: String,
        reason_public: bool,
    },
    Escalate {
        reason: String,
        reason_public: bool,
    },
    TakeOver {
        reason: String,
        reason_public: bool,
    },
    Return {
        reason: String,
        reason_public: bool,
    },
    AddCohandler {
        department: DepartmentRef,
    },
    PostOpinion {
        opinion: String,
    },
    ReleaseCohandler {
        department_id: i64,
    },
    RequestInfo {
        question: String,
    },
    ProvideInfo {
        answer: String,
    },
    RequestExtension {
        reason: String,
        working_days: i32,
    },
    DecideExtension {
        approve: bool,
        note: String,
    },
    Urge {
        note: String,
    },
    Resolve {
        resolution: String,
    },
    Rate {
        satisfaction: Satisfaction,
        solved: bool,
        comment: String,
    },
    Reopen {
        reason: String,
    },
    Reject {
        reason: String,
    },
    Withdraw {
        reason: String,
    },
    Comment {
        text: String,
        internal: bool,
    },
}

impl Action {
    /// The authorization module's name for the action.
    pub fn kind(&self) -> TicketAction {
        match self {
            Action::SignFor => TicketAction::SignFor,
            Action::Assign { .. } => TicketAction::Assign,
            Action::Transfer { .. } => TicketAction::Transfer,
            Action::Escalate { .. } => TicketAction::Escalate,
            Action::TakeOver { .. } => TicketAction::TakeOver,
            Action::Return { .. } => TicketAction::Return,
            Action::AddCohandler { .. } => TicketAction::AddCohandler,
            Action::PostOpinion { .. } => TicketAction::PostOpinion,
            Action::ReleaseCohandler { .. } => TicketAction::ReleaseCohandler,
            Action::RequestInfo { .. } => TicketAction::RequestInfo,
            Action::ProvideInfo { .. } => TicketAction::ProvideInfo,
            Action::RequestExtension { .. } => TicketAction::RequestExtension,
            Action::DecideExtension { .. } => TicketAction::DecideExtension,
            Action::Urge { .. } => TicketAction::Urge,
            Action::Resolve { .. } => TicketAction::Resolve,
            Action::Rate { .. } => TicketAction::Rate,
            Action::Reopen { .. } => TicketAction::Reopen,
            Action::Reject { .. } => TicketAction::Reject,
            Action::Withdraw { .. } => TicketAction::Withdraw,
            Action::Comment {
                internal: false, ..
            } => TicketAction::Comment,
            Action::Comment { internal: true, .. } => TicketAction::CommentInternal,
        }
    }

    /// The event name written to the ticket's log.
    pub fn name(&self) -> &'static str {
        match self {
            Action::SignFor => "sign_for",
            Action::Assign { .. } => "assign",
            Action::Transfer { .. } => "transfer",
            Action::Escalate { .. } => "escalate",
            Action::TakeOver { .. } => "take_over",
            Action::Return { .. } => "return",
            Action::AddCohandler { .. } => "add_cohandler",
            Action::PostOpinion { .. } => "post_opinion",
            Action::ReleaseCohandler { .. } => "release_cohandler",
            Action::RequestInfo { .. } => "request_info",
            Action::ProvideInfo { .. } => "provide_info",
            Action::RequestExtension { .. } => "request_extension",
            Action::DecideExtension { .. } => "decide_extension",
            Action::Urge { .. } => "urge",
            Action::Resolve { .. } => "resolve",
            Action::Rate { .. } => "rate",
            Action::Reopen { .. } => "reopen",
            Action::Reject { .. } => "reject",
            Action::Withdraw { .. } => "withdraw",
            Action::Comment { .. } => "comment",
        }
    }

    /// The states the action may start from.
    pub fn allowed_from(&self) -> &'static [Status] {
        offer::allowed_from(self.kind())
    }
}

/// Why an action was refused; the ticket stays as it was. Each says why
/// as a key of the word catalogues ([`Refusal::phrase`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not take this action on this ticket; `key` says who
    /// may (`refusal.only_officer`).
    NotPermitted { key: &'static str },
    /// Not from the ticket's current status.
    WrongStatus {
        action: &'static str,
        status: Status,
    },
    /// A required text is missing or too long.
    MissingText { field: &'static str },
    /// Anything else the rules forbid; `code` names the rule (kebab-case,
    /// stable: the API's problem type) and its text is `refusal.<code>`.
    Rule { code: &'static str },
}

/// The text fields of actions that have a word of their own
/// (`text_field.<name>`); any other reads as `text_field.other`.
const TEXT_FIELDS: [&str; 5] = ["reason", "opinion", "question", "answer", "resolution"];

impl Refusal {
    /// A stable name of the refusal, for clients that tell refusals apart
    /// without reading the text (the API's problem type).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotPermitted { .. } => "action-not-permitted",
            Refusal::WrongStatus { .. } => "status-forbids-action",
            Refusal::MissingText { .. } => "text-missing",
            Refusal::Rule { code, .. } => code,
        }
    }

    /// Why, as a key of the word catalogues with its arguments.
    pub fn phrase(&self) -> Phrase {
        match self {
            Refusal::NotPermitted { key } => Phrase::new(*key),
            Refusal::Rule { code } => Phrase::new(format!("refusal.{code}")),
            Refusal::WrongStatus { action, status } => Phrase::new("refusal.wrong_status")
                .word("status", format!("status.{}", status.as_str()))
                .word("action", format!("action.{action}")),
            Refusal::MissingText { field } => {
                let name = TEXT_FIELDS.iter().find(|f| *f == field).unwrap_or(&"other");
                Phrase::new("refusal.missing_text").word("field", format!("text_field.{name}"))
            }
        }
    }
}

/// How long after closing (or, while resolved, after resolution) a ticket
/// may still be reopened, and an auto-closed one still rated.
pub const REOPEN_WINDOW_DAYS: i64 = 30;

/// Whether a ticket may still be reopened: within the window from its
/// closing, or from its resolution while it awaits a rating.
pub fn within_reopen_window(state: &TicketState, now: DateTime<Utc>) -> bool {
    let since = match state.status {
        Status::Closed => state.closed_at.or(state.resolved_at),
        _ => state.resolved_at,
    };
    since.is_some_and(|at| now - at <= Duration::days(REOPEN_WINDOW_DAYS))
}

/// Whether the enterprise may reopen: a resolved ticket always; a closed
/// one when it said it was dissatisfied or not solved.
pub fn enterprise_may_reopen(state: &TicketState) -> bool {
    state.status != Status::Closed
        || state.rating == Some(Satisfaction::Dissatisfied)
        || state.solved == Some(false)
}

/// Whether an auto-closed ticket (closed with no rating) may still be rated.
pub fn may_rate_late(state: &TicketState, now: DateTime<Utc>) -> bool {
    state.status == Status::Closed
        && state.rating.is_none()
        && state
            .closed_at
            .is_some_and(|at| now - at <= Duration::days(REOPEN_WINDOW_DAYS))
}
/// Sent on more than this many times, a ticket is flagged bounced (多次流转).
pub const BOUNCE_THRESHOLD: i32 = 3;

/// Whether text holds a control character other than a tab or line break:
/// none is typed by a person, and PostgreSQL cannot store NUL in text.
pub fn has_control_characters(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Sent on more than three times: the supervision list should see it.
pub fn is_bounced(state: &TicketState) -> bool {
    state.sent_on > BOUNCE_THRESHOLD
}

/// The system closes a resolved ticket nobody rated in time.
pub fn auto_close(state: &TicketState, now: DateTime<Utc>) -> Option<TicketState> {
    (state.status == Status::Resolved).then(|| TicketState {
        status: Status::Closed,
        closed_at: Some(now),
        ..state.clone()
    })
}

mod decide;
mod fields;
pub mod filing;
mod offer;
pub mod plan;
#[cfg(test)]
use decide::not_permitted;
use decide::parent_of;
pub use decide::{decide, may_transfer_to};
pub use fields::{ActionField, FieldKind};
pub use offer::offered;
pub use plan::{plan, wants_officer, Plan, PlanInput};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod refusal_words {
    use super::*;

    #[test]
    fn chinese_refusals_name_no_code() {
        let all = [
            Refusal::WrongStatus {
                action: "sign_for",
                status: Status::Handling,
            },
            Refusal::MissingText { field: "reason" },
            Refusal::MissingText {
                field: "resolution",
            },
        ];
        for r in all {
            let p = r.phrase();
            assert!(p.key.starts_with("refusal."), "{p:?}");
        }
    }
}
