//! Bulk work on the queue: one action (sign for, assign, urge) on several
//! tickets. Each ticket goes through the single-ticket action service
//! (`tickets::act`): its own transaction, its own event and notices; a
//! refusal of one leaves the others alone, and each ticket's outcome is
//! reported.

use crate::domain::access::Caller;
use crate::domain::enterprise::{issue, issue_with, FieldIssue};
use crate::services::sla::Sla;
use crate::services::ticket_actions::{parse_action, ActionBody, ActionInputError};
use crate::services::tickets::{self, TicketError};
use crate::storage::tickets::Ticket;
use crate::storage::Database;

/// The actions that may be taken in bulk.
pub const BULK_ACTIONS: [&str; 3] = ["sign_for", "assign", "urge"];

/// How many tickets one bulk request may name.
pub const MAX_TICKETS: usize = 100;

/// What happened to one ticket.
#[derive(Debug)]
pub enum Outcome {
    Done(Box<Ticket>),
    Refused(TicketError),
}

/// Why a bulk request was not even started.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("invalid bulk request")]
    Fields(Vec<FieldIssue>),
    #[error(transparent)]
    Action(#[from] ActionInputError),
}

/// The ticket ids once each, in the order given.
fn distinct(ids: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// Takes `action` (with `fields`) on each ticket in turn; every ticket's
/// outcome, in the order given (each ticket once).
pub async fn act_on_each(
    db: &Database,
    sla: &Sla,
    caller: &Caller,
    action: &str,
    ticket_ids: &[i64],
    fields: ActionBody,
) -> Result<Vec<(i64, Outcome)>, BulkError> {
    if !BULK_ACTIONS.contains(&action) {
        return Err(BulkError::Fields(vec![issue(
            "action",
            "field.bulk_action",
        )]));
    }
    let ids = distinct(ticket_ids);
    if ids.is_empty() {
        return Err(BulkError::Fields(vec![issue(
            "ticket_ids",
            "field.bulk_none_selected",
        )]));
    }
    if ids.len() > MAX_TICKETS {
        return Err(BulkError::Fields(vec![issue_with(
            "ticket_ids",
            "field.queue_ids_too_many",
            [("n", MAX_TICKETS.to_string())],
        )]));
    }
    let parsed = parse_action(db, action, fields).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = match tickets::act(db, sla, caller, id, parsed.clone(), None).await {
            Ok(t) => Outcome::Done(Box::new(t)),
            Err(e @ TicketError::Storage(crate::storage::StorageError::Unavailable(_))) => {
                // The database is gone: the rest would fail the same way.
                out.push((id, Outcome::Refused(e)));
                break;
            }
            Err(e) => Outcome::Refused(e),
        };
        out.push((id, outcome));
    }
    Ok(out)
}

/// The people a lead may assign tickets of their department to: its
/// active officers and leads, by name.
pub async fn assignees(
    db: &Database,
    caller: &Caller,
) -> Result<Vec<(i64, String)>, crate::storage::StorageError> {
    use crate::domain::role::Role;
    use crate::storage::users::{User, UserFilter};
    let Some(own) = caller.department.as_ref().map(|d| d.id) else {
        return Ok(Vec::new());
    };
    db.run(move |conn| {
        Ok(User::list(
            conn,
            &UserFilter {
                role: None,
                department_id: Some(own),
                enterprise_id: None,
                active: Some(true),
                query: None,
                after_id: None,
                limit: 500,
            },
        )?
        .into_iter()
        .filter(|u| matches!(u.role, Role::Officer | Role::Lead))
        .map(|u| (u.id, u.display_name))
        .collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ticket_once_in_the_order_given() {
        assert_eq!(distinct(&[5, 3, 5, 9, 3]), vec![5, 3, 9]);
    }
}
