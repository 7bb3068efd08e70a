//! The supervision list (督办清单) of a department: the open tickets in its
//! jurisdiction that overdue escalation has brought up to it (or above), the
//! bounced tickets it is the lowest common supervisor of (or above), and for
//! a chain platform the overdue tickets of its chain's enterprises.

use diesel::prelude::*;

use super::tickets::TicketError;
use crate::domain::access::Caller;
use crate::domain::role::Role;
use crate::storage::schema::{departments, ticket_clocks, tickets};
use crate::storage::sla::ClockRow;
use crate::storage::tickets::Ticket;
use crate::storage::users::escape_like;
use crate::storage::Database;

pub const OPEN: [&str; 3] = ["pending_sign", "handling", "awaiting_info"];

/// Oldest first; `after_id` is the last id of the previous page.
pub async fn list(
    db: &Database,
    caller: &Caller,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(Ticket, ClockRow)>, TicketError> {
    let Some(d) = caller.department.clone() else {
        return Err(TicketError::NotFound);
    };
    if !matches!(caller.role, Role::Officer | Role::Lead | Role::Supervisor) {
        return Err(TicketError::NotFound);
    }
    Ok(db
        .run(move |conn| {
            let mut here_and_above = d.as_ref().ancestors();
            here_and_above.push(d.id);
            let subtree = departments::table
                .filter(
                    departments::path
                        .like(format!("{}%", escape_like(&d.path)))
                        .escape('\\'),
                )
                .select(departments::id);
            let below = departments::table
                .filter(
                    departments::path
                        .like(format!("{}%", escape_like(&d.path)))
                        .escape('\\'),
                )
                .filter(departments::id.ne(d.id))
                .select(departments::id);
            let escalated = ticket_clocks::supervising_department_id
                .assume_not_null()
                .eq_any(here_and_above)
                .and(tickets::handling_department_id.eq_any(below));
            let bounced = ticket_clocks::bounce_department_id
                .assume_not_null()
                .eq_any(subtree);
            let mut q = tickets::table
                .inner_join(ticket_clocks::table)
                .filter(tickets::status.eq_any(OPEN))
                .select((Ticket::as_select(), ClockRow::as_select()))
                .into_boxed();
            q = match &d.chain_code {
                Some(chain) if d.region.is_none() => q.filter(
                    escalated.or(bounced).or(tickets::overdue.eq(true).and(
                        tickets::chains
                            .like(format!("%,{},%", escape_like(chain)))
                            .escape('\\'),
                    )),
                ),
                _ => q.filter(escalated.or(bounced)),
            };
            if let Some(after) = after_id {
                q = q.filter(tickets::id.gt(after));
            }
            Ok(q.order(tickets::id.asc()).limit(limit).load(conn)?)
        })
        .await?)
}
