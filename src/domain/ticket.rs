//! The ticket (诉求工单) state machine: states x actions x actor -> the next
//! state, or a typed refusal saying why. Pure: the caller supplies the facts
//! and the clock, and writes the outcome and its event in one transaction.

use chrono::{Duration, NaiveDateTime};

use super::access::{may_act_on_ticket, Caller, DepartmentRef, TicketAction, TicketFacts};
use super::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    pub fn name_zh(self) -> &'static str {
        match self {
            Status::PendingSign => "待签收",
            Status::Handling => "办理中",
            Status::AwaitingInfo => "待补充",
            Status::Resolved => "已办结",
            Status::Closed => "已关闭",
            Status::Rejected => "不予受理",
            Status::Withdrawn => "已撤回",
        }
    }

    /// Still waiting for someone to act.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::PendingSign | Status::Handling | Status::AwaitingInfo
        )
    }

    /// Nothing leaves these but a reopen (and rejected/withdrawn not even that).
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Closed | Status::Rejected | Status::Withdrawn)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub resolve_due: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    /// When it closed: rated, or closed automatically.
    pub closed_at: Option<NaiveDateTime>,
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

/// Why an action was refused; the ticket stays as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not take this action on this ticket.
    NotPermitted { zh: &'static str, en: &'static str },
    /// Not from the ticket's current status.
    WrongStatus {
        action: &'static str,
        status: Status,
    },
    /// A required text is missing or too long.
    MissingText { field: &'static str },
    /// Anything else the rules forbid, with the reason.
    Rule { zh: &'static str, en: &'static str },
}

impl Refusal {
    pub fn message_zh(&self) -> String {
        match self {
            Refusal::NotPermitted { zh, .. } | Refusal::Rule { zh, .. } => zh.to_string(),
            Refusal::WrongStatus { action, status } => {
                format!("工单当前为“{}”，不能执行 {action}。", status.name_zh())
            }
            Refusal::MissingText { field } => {
                format!("请填写 {field}（1 到 2000 个字符，不含控制字符）。")
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Refusal::NotPermitted { en, .. } | Refusal::Rule { en, .. } => en.to_string(),
            Refusal::WrongStatus { action, status } => {
                format!(
                    "The ticket is {}; {action} is not possible now.",
                    status.as_str()
                )
            }
            Refusal::MissingText { field } => {
                format!("`{field}` is required (1 to 2,000 characters, no control characters).")
            }
        }
    }
}

/// How long after closing (or, while resolved, after resolution) a ticket
/// may still be reopened, and an auto-closed one still rated.
pub const REOPEN_WINDOW_DAYS: i64 = 30;

/// Whether a ticket may still be reopened: within the window from its
/// closing, or from its resolution while it awaits a rating.
pub fn within_reopen_window(state: &TicketState, now: NaiveDateTime) -> bool {
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
pub fn may_rate_late(state: &TicketState, now: NaiveDateTime) -> bool {
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

fn text(field: &'static str, value: &str) -> Result<(), Refusal> {
    let n = value.trim().chars().count();
    if (1..=2000).contains(&n) && !has_control_characters(value) {
        Ok(())
    } else {
        Err(Refusal::MissingText { field })
    }
}

fn not_permitted(action: TicketAction) -> Refusal {
    use TicketAction::*;
    let (zh, en) = match action {
        SignFor | Transfer | Escalate | Return | RequestInfo | RequestExtension | Resolve
        | Reject | AddCohandler | ReleaseCohandler => (
            "只有承办部门的经办人可以执行此操作。",
            "Only an officer of the handling department may do this.",
        ),
        Assign => (
            "只有承办部门的负责人可以指派。",
            "Only a lead of the handling department may assign.",
        ),
        TakeOver => (
            "只有上级部门或产业链平台的负责人可以提级办理。",
            "Only a lead of a department above, or of the chain platform, may take over.",
        ),
        DecideExtension => (
            "只有上一级部门的负责人可以审批延期。",
            "Only a lead of the parent department may decide an extension.",
        ),
        PostOpinion => (
            "只有协办部门可以提交协办意见。",
            "Only a co-handling department may post an opinion.",
        ),
        Urge => (
            "只有督查、产业链平台或上级负责人可以督办。",
            "Only a supervisor, the chain platform or a lead above may urge.",
        ),
        ProvideInfo | Rate | Withdraw => (
            "只有提交诉求的企业可以执行此操作。",
            "Only the filing enterprise may do this.",
        ),
        Reopen => (
            "只有企业（不满意时）或督查可以重办。",
            "Only the enterprise (when dissatisfied) or a supervisor may reopen.",
        ),
        Comment | CommentInternal => (
            "您不能在此工单留言。",
            "You may not comment on this ticket.",
        ),
    };
    Refusal::NotPermitted { zh, en }
}

/// Whether a department may send the ticket to `target` directly: inside
/// its parent's jurisdiction (siblings and their subtrees) or its own
/// subtree; the ministry anywhere. Further away, escalate.
pub fn may_transfer_to(from: &DepartmentRef, target: &DepartmentRef) -> bool {
    // Going up to one's own parent is escalating, with its own rules.
    if from.id == target.id || from.parent_id() == Some(target.id) {
        return false;
    }
    let parent_path = match from.parent_id() {
        // The ministry sends anywhere.
        None => return true,
        Some(_) => {
            let trimmed = from.path.trim_end_matches('/');
            &from.path[..trimmed.rfind('/').map_or(0, |i| i + 1)]
        }
    };
    target.path.starts_with(parent_path)
}

/// Decides an action: who may, from which status, with which fields. On
/// success returns the next state; the ticket's history records the action.
pub fn decide(
    caller: &Caller,
    facts: &TicketFacts,
    state: &TicketState,
    action: &Action,
    now: NaiveDateTime,
) -> Result<TicketState, Refusal> {
    let kind = action.kind();
    if !may_act_on_ticket(caller, facts, kind) {
        return Err(not_permitted(kind));
    }
    if !action.allowed_from().contains(&state.status) {
        return Err(Refusal::WrongStatus {
            action: action.name(),
            status: state.status,
        });
    }
    let mut next = state.clone();
    let own_department = caller.department.as_ref().map(|d| d.as_ref());
    match action {
        Action::SignFor => next.status = Status::Handling,
        Action::Assign { .. } => {}
        Action::Transfer { target, reason, .. } => {
            text("reason", reason)?;
            if state.handling.parent_id() == Some(target.id) {
                return Err(Refusal::Rule {
                    zh: "这是本部门的上级部门：向上级提交请使用“上报”，不是转办。",
                    en: "That is this department's parent: going up is escalate, not transfer.",
                });
            }
            if !may_transfer_to(&state.handling, target) {
                return Err(Refusal::Rule {
                    zh: "只能转办给同级相邻部门或下级部门；更远的请上报。",
                    en: "Transfer goes to a sibling or a department below; further away, escalate.",
                });
            }
            send_on(&mut next, target.clone());
        }
        Action::Escalate { reason, .. } => {
            text("reason", reason)?;
            let Some(parent) = parent_of(&state.handling) else {
                return Err(Refusal::Rule {
                    zh: "工业和信息化部已是最高一级，无法上报。",
                    en: "The ministry is the top; there is nowhere to escalate.",
                });
            };
            send_on(&mut next, parent);
        }
        Action::TakeOver { reason, .. } => {
            text("reason", reason)?;
            let Some(mine) = own_department else {
                return Err(not_permitted(kind));
            };
            next.sent_from = Some(state.handling.clone());
            next.handling = mine;
            next.status = Status::Handling;
            next.assignee = None;
            next.extension_pending = false;
        }
        Action::Return { reason, .. } => {
            text("reason", reason)?;
            let back = state
                .sent_from
                .clone()
                .or_else(|| parent_of(&state.handling));
            let Some(back) = back else {
                return Err(Refusal::Rule {
                    zh: "没有可以退回的部门。",
                    en: "There is no department to return the ticket to.",
                });
            };
            send_on(&mut next, back);
            next.returns += 1;
        }
        Action::AddCohandler { department } => {
            if department.id == state.handling.id
                || state
                    .cohandlers
                    .iter()
                    .any(|c| c.department.id == department.id)
            {
                return Err(Refusal::Rule {
                    zh: "该部门已是承办或协办部门。",
                    en: "That department already handles or co-handles the ticket.",
                });
            }
            next.cohandlers.push(Cohandler {
                department: department.clone(),
                opinion_posted: false,
                released: false,
            });
        }
        Action::PostOpinion { opinion } => {
            text("opinion", opinion)?;
            let mine = own_department.map(|d| d.id);
            if let Some(c) = next
                .cohandlers
                .iter_mut()
                .find(|c| Some(c.department.id) == mine)
            {
                c.opinion_posted = true;
            }
        }
        Action::ReleaseCohandler { department_id } => {
            let Some(c) = next
                .cohandlers
                .iter_mut()
                .find(|c| c.department.id == *department_id)
            else {
                return Err(Refusal::Rule {
                    zh: "该部门不是协办部门。",
                    en: "That department does not co-handle the ticket.",
                });
            };
            c.released = true;
        }
        Action::RequestInfo { question } => {
            text("question", question)?;
            next.status = Status::AwaitingInfo;
        }
        Action::ProvideInfo { answer } => {
            text("answer", answer)?;
            next.status = Status::Handling;
        }
        Action::RequestExtension {
            reason,
            working_days,
        } => {
            text("reason", reason)?;
            if !(1..=30).contains(working_days) {
                return Err(Refusal::Rule {
                    zh: "延期为 1 到 30 个工作日。",
                    en: "An extension is 1 to 30 working days.",
                });
            }
            if state.extension_pending {
                return Err(Refusal::Rule {
                    zh: "已有待审批的延期申请。",
                    en: "An extension request is already pending.",
                });
            }
            if state.resolve_due.is_some_and(|due| now >= due) {
                return Err(Refusal::Rule {
                    zh: "办结期限已过，不能再申请延期。",
                    en: "The resolve deadline has passed; an extension can no longer be requested.",
                });
            }
            next.extension_pending = true;
        }
        Action::DecideExtension { .. } => {
            if !state.extension_pending {
                return Err(Refusal::Rule {
                    zh: "没有待审批的延期申请。",
                    en: "There is no pending extension request.",
                });
            }
            next.extension_pending = false;
        }
        Action::Urge { .. } => next.urged += 1,
        Action::Resolve { resolution } => {
            text("resolution", resolution)?;
            if state.cohandlers.iter().any(|c| !c.settled()) {
                return Err(Refusal::Rule {
                    zh: "还有协办部门未提交意见。",
                    en: "A co-handling department has not posted its opinion yet.",
                });
            }
            next.status = Status::Resolved;
            next.resolved_at = Some(now);
            next.extension_pending = false;
        }
        Action::Rate {
            satisfaction,
            solved,
            ..
        } => {
            if state.status == Status::Closed {
                // Closed: only an auto-closed ticket, rated late.
                if state.rating.is_some() {
                    return Err(Refusal::WrongStatus {
                        action: action.name(),
                        status: state.status,
                    });
                }
                if !may_rate_late(state, now) {
                    return Err(Refusal::Rule {
                        zh: "工单自动关闭已超过 30 天，不能再评价。",
                        en: "The ticket closed automatically more than 30 days ago; it can no longer be rated.",
                    });
                }
            }
            next.status = Status::Closed;
            next.closed_at = Some(now);
            next.rating = Some(*satisfaction);
            next.solved = Some(*solved);
        }
        Action::Reopen { reason } => {
            text("reason", reason)?;
            if !within_reopen_window(state, now) {
                return Err(Refusal::Rule {
                    zh: "关闭超过 30 天的工单不能重办。",
                    en: "A ticket closed more than 30 days ago cannot be reopened.",
                });
            }
            if caller.role == Role::Enterprise && !enterprise_may_reopen(state) {
                return Err(Refusal::Rule {
                    zh: "只有评价为不满意或未解决的工单可以由企业重办。",
                    en: "The enterprise may reopen a closed ticket only when it said it was dissatisfied or not solved.",
                });
            }
            next.status = Status::Handling;
            next.reopened += 1;
            next.resolved_at = None;
            next.closed_at = None;
            next.rating = None;
            next.solved = None;
            for c in &mut next.cohandlers {
                c.opinion_posted = false;
                c.released = false;
            }
        }
        Action::Reject { reason } => {
            text("reason", reason)?;
            next.status = Status::Rejected;
        }
        Action::Withdraw { .. } => next.status = Status::Withdrawn,
        Action::Comment { text: t, .. } => text("text", t)?,
    }
    if let Action::Assign { assignee } = action {
        next.assignee = Some(*assignee);
    }
    // A ticket that is over (withdrawn, rejected) has no extension to decide.
    if next.status.is_terminal() {
        next.extension_pending = false;
    }
    Ok(next)
}

fn parent_of(d: &DepartmentRef) -> Option<DepartmentRef> {
    let parent = d.parent_id()?;
    let trimmed = d.path.trim_end_matches('/');
    let cut = trimmed.rfind('/')? + 1;
    Some(DepartmentRef {
        id: parent,
        path: d.path[..cut].to_string(),
    })
}

fn send_on(next: &mut TicketState, target: DepartmentRef) {
    next.sent_from = Some(next.handling.clone());
    next.handling = target;
    next.status = Status::PendingSign;
    next.assignee = None;
    // The department that asked for more time no longer handles it.
    next.extension_pending = false;
    next.sent_on += 1;
}

/// Sent on more than three times: the supervision list should see it.
pub fn is_bounced(state: &TicketState) -> bool {
    state.sent_on > BOUNCE_THRESHOLD
}

/// The system closes a resolved ticket nobody rated in time.
pub fn auto_close(state: &TicketState, now: NaiveDateTime) -> Option<TicketState> {
    (state.status == Status::Resolved).then(|| TicketState {
        status: Status::Closed,
        closed_at: Some(now),
        ..state.clone()
    })
}

mod offer;
pub use offer::offered;

#[cfg(test)]
mod tests;
