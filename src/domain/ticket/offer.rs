//! What a page offers: the actions a caller may take on a ticket right now.

use chrono::{DateTime, Utc};

use super::{
    enterprise_may_reopen, may_rate_late, parent_of, within_reopen_window, Status, TicketState,
};
use crate::domain::access::{may_act_on_ticket, Caller, TicketAction, TicketFacts};
use crate::domain::role::Role;

/// The states an action may start from.
pub fn allowed_from(kind: TicketAction) -> &'static [Status] {
    use Status::*;
    use TicketAction::*;
    match kind {
        SignFor => &[PendingSign],
        Transfer | Escalate | TakeOver | Reject => &[PendingSign, Handling],
        Return => &[PendingSign],
        Assign | AddCohandler | PostOpinion | ReleaseCohandler | RequestInfo | RequestExtension
        | DecideExtension | Resolve => &[Handling],
        ProvideInfo => &[AwaitingInfo],
        Urge | Withdraw => &[PendingSign, Handling, AwaitingInfo],
        Rate => &[Resolved, Closed],
        Reopen => &[Resolved, Closed],
        Comment | CommentInternal => &Status::ALL,
    }
}

/// The actions the caller may take on the ticket now: permitted to them,
/// possible from its status, and not ruled out by its state. Each one,
/// with valid fields, is accepted by [`super::decide`]; the fields
/// themselves (a transfer's target, say) may still be refused.
pub fn offered(
    caller: &Caller,
    facts: &TicketFacts,
    state: &TicketState,
    now: DateTime<Utc>,
) -> Vec<TicketAction> {
    TicketAction::ALL
        .into_iter()
        .filter(|a| may_act_on_ticket(caller, facts, *a))
        .filter(|a| allowed_from(*a).contains(&state.status))
        .filter(|a| possible(*a, caller, state, now))
        .collect()
}

/// The rules of [`super::decide`] that depend on the state, not the fields.
fn possible(kind: TicketAction, caller: &Caller, state: &TicketState, now: DateTime<Utc>) -> bool {
    use TicketAction::*;
    let unsettled = state
        .cohandlers
        .iter()
        .any(|c| !(c.opinion_posted || c.released));
    match kind {
        Escalate => parent_of(&state.handling).is_some(),
        Return => state.sent_from.is_some() || parent_of(&state.handling).is_some(),
        ReleaseCohandler => unsettled,
        Resolve => !unsettled,
        RequestExtension => {
            !state.extension_pending && state.resolve_due.is_none_or(|due| now < due)
        }
        DecideExtension => state.extension_pending,
        Rate => state.status == Status::Resolved || may_rate_late(state, now),
        Reopen => {
            within_reopen_window(state, now)
                && (caller.role != Role::Enterprise || enterprise_may_reopen(state))
        }
        _ => true,
    }
}
