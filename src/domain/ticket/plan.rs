//! What an action writes, decided without I/O: after [`decide`] has said
//! the ticket may take the action and how it stands then, [`plan`] says
//! everything the write must record: the log entries, the rating given, the
//! departments' rows, what it does to the clocks, and who is told. The
//! service (`services/tickets/act.rs`) loads what a plan needs, applies it
//! in one transaction, and decides nothing itself.

use chrono::{DateTime, Utc};

use super::{Action, Cohandler, Satisfaction, Status, TicketState};
use crate::domain::access::Caller;
use crate::domain::metrics::history::Step;
use crate::domain::notify::{after_action, Notify};
use crate::domain::role::Role;
use crate::domain::sla::ClockChange;

/// One entry of the ticket's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEvent {
    pub action: &'static str,
    pub actor_id: Option<i64>,
    pub actor_department_id: Option<i64>,
    pub from: Status,
    pub to: Status,
    pub note: Option<String>,
    /// JSON of the action's particulars (target, approval, rating, ...).
    pub detail: Option<String>,
    /// Staff's own business, hidden from the enterprise.
    pub internal: bool,
}

/// A co-handling department's row as the action leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohandlerRow {
    pub department_id: i64,
    /// The opinion this action posts; None keeps the one on record.
    pub posted_opinion: Option<String>,
    pub opinion_posted: bool,
    pub released: bool,
}

/// Everything an action writes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub next: TicketState,
    /// The assignee after the action, the department's automatic choice
    /// included.
    pub assignee: Option<i64>,
    pub events: Vec<PlannedEvent>,
    /// The ticket's rating and "solved" after the action.
    pub rating: Option<Satisfaction>,
    pub solved: Option<bool>,
    /// A rating given now, kept in the ratings' own record.
    pub rating_given: Option<(Satisfaction, bool)>,
    /// The action is the sign-for: the ticket's signed-for time is now.
    pub signs_for: bool,
    /// The department that handled the ticket until now, when it moved on.
    pub passed_on_by: Option<i64>,
    /// Co-handlers whose row the action changes.
    pub cohandler_rows: Vec<CohandlerRow>,
    pub clock_change: ClockChange,
    pub notices: Vec<Notify>,
}

/// What a plan starts from besides the decision.
pub struct PlanInput<'a> {
    pub caller: &'a Caller,
    pub before: &'a TicketState,
    pub next: TicketState,
    pub action: &'a Action,
    pub enterprise_id: i64,
    /// The officer the department assigns automatically on sign-for or
    /// take-over (see [`wants_officer`]), looked up by the service.
    pub auto_assignee: Option<i64>,
}

/// Whether the handling department's automatic assignment applies (when it
/// is switched on): a sign-for or take-over leaves nobody assigned.
pub fn wants_officer(action: &Action, next: &TicketState) -> bool {
    matches!(action, Action::SignFor | Action::TakeOver { .. }) && next.assignee.is_none()
}

/// The write an action makes, given the decision `next`.
pub fn plan(input: PlanInput<'_>) -> Plan {
    let PlanInput {
        caller,
        before,
        next,
        action,
        enterprise_id,
        auto_assignee,
    } = input;
    let mut events = vec![PlannedEvent {
        action: action.name(),
        actor_id: Some(caller.user_id),
        actor_department_id: caller.department.as_ref().map(|d| d.id),
        from: before.status,
        to: next.status,
        note: note_of(action),
        detail: detail_of(action),
        internal: is_internal(action),
    }];
    if let Some(officer) = auto_assignee {
        events.push(PlannedEvent {
            action: "auto_assign",
            actor_id: None,
            actor_department_id: Some(next.handling.id),
            from: next.status,
            to: next.status,
            note: None,
            detail: Some(serde_json::json!({ "assignee": officer }).to_string()),
            internal: true,
        });
    }
    let (rating, solved, rating_given) = match action {
        Action::Rate {
            satisfaction,
            solved,
            ..
        } => (
            Some(*satisfaction),
            Some(*solved),
            Some((*satisfaction, *solved)),
        ),
        Action::Reopen { .. } => (None, None, None),
        _ => (before.rating, before.solved, None),
    };
    let caller_department = caller.department.as_ref().map(|d| d.id);
    let cohandler_rows = next
        .cohandlers
        .iter()
        .filter(|c| {
            before
                .cohandlers
                .iter()
                .find(|b| b.department.id == c.department.id)
                != Some(*c)
        })
        .map(|c: &Cohandler| CohandlerRow {
            department_id: c.department.id,
            posted_opinion: match action {
                Action::PostOpinion { opinion } if caller_department == Some(c.department.id) => {
                    Some(opinion.clone())
                }
                _ => None,
            },
            opinion_posted: c.opinion_posted,
            released: c.released,
        })
        .collect();
    let notices = after_action(
        action,
        before,
        &next,
        enterprise_id,
        auto_assignee,
        caller.role == Role::Enterprise,
    );
    Plan {
        assignee: next.assignee.or(auto_assignee),
        passed_on_by: (next.handling.id != before.handling.id).then_some(before.handling.id),
        events,
        rating,
        solved,
        rating_given,
        signs_for: matches!(action, Action::SignFor),
        cohandler_rows,
        clock_change: clock_change(action),
        notices,
        next,
    }
}

impl Plan {
    /// The step as the metrics history counts it, once the clocks have
    /// given the resolve deadlines before and after.
    pub fn step(
        &self,
        before: &TicketState,
        action: &Action,
        at: DateTime<Utc>,
        resolve_due_before: Option<DateTime<Utc>>,
        resolve_due_after: Option<DateTime<Utc>>,
    ) -> Step {
        Step {
            at,
            from: before.status,
            to: self.next.status,
            moved: self.passed_on_by.is_some(),
            returned: matches!(action, Action::Return { .. }),
            rated: matches!(action, Action::Rate { .. }),
            resolve_due_before,
            resolve_due_after,
        }
    }
}

/// What an action does to the clocks.
pub fn clock_change(action: &Action) -> ClockChange {
    match action {
        Action::Transfer { .. } | Action::Escalate { .. } | Action::Return { .. } => {
            ClockChange::SentOn
        }
        Action::RequestInfo { .. } => ClockChange::Pause,
        Action::ProvideInfo { .. } => ClockChange::Resume,
        Action::RequestExtension { working_days, .. } => ClockChange::ExtensionRequested {
            days: *working_days,
        },
        Action::DecideExtension { approve, .. } => {
            ClockChange::ExtensionDecided { approved: *approve }
        }
        Action::Reopen { .. } => ClockChange::Reopened,
        _ => ClockChange::None,
    }
}

/// The note an action carries into the log (blank ones are none).
pub fn note_of(action: &Action) -> Option<String> {
    match action {
        Action::Transfer { reason, .. }
        | Action::Escalate { reason, .. }
        | Action::TakeOver { reason, .. }
        | Action::Return { reason, .. }
        | Action::RequestExtension { reason, .. }
        | Action::Reopen { reason }
        | Action::Reject { reason }
        | Action::Withdraw { reason } => Some(reason.clone()),
        Action::PostOpinion { opinion } => Some(opinion.clone()),
        Action::RequestInfo { question } => Some(question.clone()),
        Action::ProvideInfo { answer } => Some(answer.clone()),
        Action::DecideExtension { note, .. } | Action::Urge { note } => Some(note.clone()),
        Action::Resolve { resolution } => Some(resolution.clone()),
        Action::Rate { comment, .. } => Some(comment.clone()),
        Action::Comment { text, .. } => Some(text.clone()),
        _ => None,
    }
    .filter(|n| !n.trim().is_empty())
}

/// Staff's own business, hidden from the enterprise: internal comments,
/// co-handling, assignment, urging and extensions.
fn is_internal(action: &Action) -> bool {
    matches!(
        action,
        Action::Comment { internal: true, .. }
            | Action::PostOpinion { .. }
            | Action::AddCohandler { .. }
            | Action::ReleaseCohandler { .. }
            | Action::Assign { .. }
            | Action::Urge { .. }
            | Action::RequestExtension { .. }
            | Action::DecideExtension { .. }
    )
}

fn detail_of(action: &Action) -> Option<String> {
    let v = match action {
        Action::Assign { assignee } => serde_json::json!({ "assignee": assignee }),
        Action::Transfer {
            target,
            reason_public,
            ..
        } => serde_json::json!({ "target": target.id, "reason_public": reason_public }),
        Action::Escalate { reason_public, .. }
        | Action::TakeOver { reason_public, .. }
        | Action::Return { reason_public, .. } => {
            serde_json::json!({ "reason_public": reason_public })
        }
        Action::AddCohandler { department } => serde_json::json!({ "department": department.id }),
        Action::ReleaseCohandler { department_id } => {
            serde_json::json!({ "department": department_id })
        }
        Action::RequestExtension { working_days, .. } => {
            serde_json::json!({ "working_days": working_days })
        }
        Action::DecideExtension { approve, .. } => serde_json::json!({ "approve": approve }),
        Action::Rate {
            satisfaction,
            solved,
            ..
        } => {
            serde_json::json!({ "satisfaction": satisfaction.as_str(), "solved": solved })
        }
        _ => return None,
    };
    Some(v.to_string())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;
    use crate::domain::access::TicketFacts;
    use crate::domain::fixtures::*;
    use crate::domain::notify::{Audience, Notice};
    use crate::domain::ticket::decide;

    fn at() -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2022, 4, 28)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            .and_utc()
    }

    fn pending() -> (TicketFacts, TicketState) {
        (ticket(7, 400, 400), filed_state(at()))
    }

    fn planned(
        caller: &Caller,
        facts: &TicketFacts,
        before: &TicketState,
        action: &Action,
        auto: Option<i64>,
    ) -> Plan {
        let next = decide(caller, facts, before, action, at()).expect("allowed");
        plan(PlanInput {
            caller,
            before,
            next,
            action,
            enterprise_id: 7,
            auto_assignee: auto,
        })
    }

    #[test]
    fn a_sign_for_with_automatic_assignment_logs_both_and_tells_the_officer() {
        let (facts, before) = pending();
        let officer = staff(Role::Officer, 400);
        let next = decide(&officer, &facts, &before, &Action::SignFor, at()).unwrap();
        assert!(wants_officer(&Action::SignFor, &next));
        let p = planned(&officer, &facts, &before, &Action::SignFor, Some(77));
        assert!(p.signs_for);
        assert_eq!(p.assignee, Some(77));
        let actions: Vec<&str> = p.events.iter().map(|e| e.action).collect();
        assert_eq!(actions, ["sign_for", "auto_assign"]);
        assert_eq!(
            (p.events[0].from, p.events[0].to),
            (Status::PendingSign, Status::Handling)
        );
        assert!(p.events[1].internal);
        assert!(p
            .notices
            .iter()
            .any(|n| n.notice == Notice::Assigned && n.audience == Audience::User(77)));
        assert_eq!(p.passed_on_by, None);
        assert_eq!(p.clock_change, ClockChange::None);
    }

    #[test]
    fn a_transfer_passes_the_ticket_on_and_its_reason_stays_with_staff_unless_public() {
        let (facts, mut before) = pending();
        before.status = Status::Handling;
        let officer = staff(Role::Officer, 400);
        let action = Action::Transfer {
            target: dept(401).as_ref(),
            reason: "属地在黄浦区".into(),
            reason_public: false,
        };
        let p = planned(&officer, &facts, &before, &action, None);
        assert_eq!(p.passed_on_by, Some(400));
        assert_eq!(p.next.handling.id, 401);
        assert_eq!(p.events[0].note.as_deref(), Some("属地在黄浦区"));
        assert_eq!(
            p.events[0].detail.as_deref(),
            Some(r#"{"reason_public":false,"target":401}"#)
        );
        assert_eq!(p.clock_change, ClockChange::SentOn);
        assert!(p
            .notices
            .iter()
            .any(|n| n.notice == Notice::NewTicket && n.audience == Audience::Handlers(401)));
    }

    #[test]
    fn a_rating_is_recorded_and_a_reopening_clears_it() {
        let (facts, mut before) = pending();
        before.status = Status::Resolved;
        before.resolved_at = Some(at() - Duration::hours(2));
        let e = enterprise(7);
        let rate = Action::Rate {
            satisfaction: Satisfaction::Dissatisfied,
            solved: false,
            comment: "  ".into(),
        };
        let p = planned(&e, &facts, &before, &rate, None);
        assert_eq!(p.rating_given, Some((Satisfaction::Dissatisfied, false)));
        assert_eq!(
            (p.rating, p.solved),
            (Some(Satisfaction::Dissatisfied), Some(false))
        );
        // A blank comment is no note.
        assert_eq!(p.events[0].note, None);
        let mut rated = before.clone();
        rated.rating = Some(Satisfaction::Dissatisfied);
        rated.solved = Some(false);
        let reopen = Action::Reopen {
            reason: "仍未恢复供货".into(),
        };
        let p = planned(&e, &facts, &rated, &reopen, None);
        assert_eq!((p.rating, p.solved, p.rating_given), (None, None, None));
        assert_eq!(p.clock_change, ClockChange::Reopened);
    }

    #[test]
    fn a_co_handlers_opinion_is_written_to_its_own_row_only() {
        let (mut facts, mut before) = pending();
        before.status = Status::Handling;
        let lead = staff(Role::Lead, 400);
        let add = Action::AddCohandler {
            department: dept(401).as_ref(),
        };
        let p = planned(&lead, &facts, &before, &add, None);
        assert_eq!(p.cohandler_rows.len(), 1);
        assert_eq!(p.cohandler_rows[0].department_id, 401);
        assert_eq!(p.cohandler_rows[0].posted_opinion, None);
        assert!(p.events[0].internal);
        facts.cohandlers = vec![dept(401).as_ref()];
        let with = p.next;
        let opinion = Action::PostOpinion {
            opinion: "黄浦区可协调仓储".into(),
        };
        let p = planned(&staff(Role::Officer, 401), &facts, &with, &opinion, None);
        assert_eq!(p.cohandler_rows.len(), 1);
        assert_eq!(
            p.cohandler_rows[0].posted_opinion.as_deref(),
            Some("黄浦区可协调仓储")
        );
        assert!(p.cohandler_rows[0].opinion_posted);
    }
}
