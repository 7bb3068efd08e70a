//! The state machine (domain spec section 4): whether an action is allowed
//! on a ticket as it stands, and the state it leads to.

use super::*;

fn text(field: &'static str, value: &str) -> Result<(), Refusal> {
    let n = value.trim().chars().count();
    if (1..=2000).contains(&n) && !has_control_characters(value) {
        Ok(())
    } else {
        Err(Refusal::MissingText { field })
    }
}

pub(super) fn not_permitted(action: TicketAction) -> Refusal {
    use TicketAction::*;
    let key = match action {
        SignFor | Transfer | Escalate | Return | RequestInfo | RequestExtension | Resolve
        | Reject | AddCohandler | ReleaseCohandler => "refusal.only_officer",
        Assign => "refusal.only_lead_assigns",
        TakeOver => "refusal.only_lead_above_takes_over",
        DecideExtension => "refusal.only_parent_lead_extends",
        PostOpinion => "refusal.only_cohandler_opines",
        Urge => "refusal.only_supervisor_urges",
        ProvideInfo | Rate | Withdraw => "refusal.only_filing_enterprise",
        Reopen => "refusal.only_reopener",
        Comment | CommentInternal => "refusal.no_comment",
    };
    Refusal::NotPermitted { key }
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
    now: DateTime<Utc>,
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
                    code: "transfer-to-parent",
                });
            }
            if !may_transfer_to(&state.handling, target) {
                return Err(Refusal::Rule {
                    code: "transfer-too-far",
                });
            }
            send_on(&mut next, target.clone());
        }
        Action::Escalate { reason, .. } => {
            text("reason", reason)?;
            let Some(parent) = parent_of(&state.handling) else {
                return Err(Refusal::Rule {
                    code: "nowhere-to-escalate",
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
                    code: "nowhere-to-return",
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
                    code: "already-handling",
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
                    code: "not-cohandling",
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
                    code: "extension-out-of-range",
                });
            }
            if state.extension_pending {
                return Err(Refusal::Rule {
                    code: "extension-pending",
                });
            }
            if state.resolve_due.is_some_and(|due| now >= due) {
                return Err(Refusal::Rule {
                    code: "extension-too-late",
                });
            }
            next.extension_pending = true;
        }
        Action::DecideExtension { .. } => {
            if !state.extension_pending {
                return Err(Refusal::Rule {
                    code: "no-extension-pending",
                });
            }
            next.extension_pending = false;
        }
        Action::Urge { .. } => next.urged += 1,
        Action::Resolve { resolution } => {
            text("resolution", resolution)?;
            if state.cohandlers.iter().any(|c| !c.settled()) {
                return Err(Refusal::Rule {
                    code: "opinion-missing",
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
                        code: "rating-too-late",
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
                    code: "reopen-too-late",
                });
            }
            if caller.role == Role::Enterprise && !enterprise_may_reopen(state) {
                return Err(Refusal::Rule {
                    code: "reopen-needs-dissatisfaction",
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

pub(super) fn parent_of(d: &DepartmentRef) -> Option<DepartmentRef> {
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
