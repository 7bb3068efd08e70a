//! The supervision list (督办清单) of a department: the open tickets in its
//! jurisdiction that overdue escalation has brought up to it (or above), the
//! bounced tickets it is the lowest common supervisor of (or above), and for
//! a chain platform the overdue tickets of its chain's enterprises.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::tickets::TicketError;
use crate::domain::access::Caller;
use crate::domain::role::Role;
use crate::storage::schema::{departments, ticket_clocks, tickets};
use crate::storage::sla::ClockRow;
use crate::storage::tickets::Ticket;
use crate::storage::users::escape_like;
use crate::storage::Database;

/// The overdue open tickets, in the words of the partial index
/// `tickets_overdue_open` (migration 18), so that SQLite recognises it.
const OVERDUE_OPEN_LITERALLY: &str =
    "tickets.overdue = TRUE AND tickets.status IN ('pending_sign', 'handling', 'awaiting_info')";

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
            // The department and those below it, as ids: given as a
            // subquery, PostgreSQL filtered every clock row by a hashed
            // subplan instead of using the partial indexes (365 against
            // 1.4 ms at a million tickets).
            let subtree: Vec<i64> = departments::table
                .filter(
                    departments::path
                        .like(format!("{}%", escape_like(&d.path)))
                        .escape('\\'),
                )
                .select(departments::id)
                .load(conn)?;
            let below: Vec<i64> = subtree.iter().copied().filter(|id| *id != d.id).collect();
            let chain_like = d
                .chain_code
                .as_ref()
                .filter(|_| d.region.is_none())
                .map(|chain| crate::storage::codes::containing_pattern(chain));
            // First the candidates, each by its own partial index: they are
            // few. Asked together with the open filter and the id order,
            // PostgreSQL walked every open ticket in id order instead.
            let after = after_id.unwrap_or(0);
            let mut candidates: Vec<i64> = ticket_clocks::table
                .filter(
                    ticket_clocks::supervising_department_id
                        .assume_not_null()
                        .eq_any(here_and_above.clone())
                        .or(ticket_clocks::bounce_department_id
                            .assume_not_null()
                            .eq_any(&subtree)),
                )
                .filter(ticket_clocks::ticket_id.gt(after))
                .select(ticket_clocks::ticket_id)
                .load(conn)?;
            if let Some(like) = &chain_like {
                candidates.extend(
                    tickets::table
                        .filter(sql::<Bool>(OVERDUE_OPEN_LITERALLY))
                        .filter(tickets::id.gt(after))
                        .filter(tickets::chains.like(like.clone()).escape('\\'))
                        .select(tickets::id)
                        .load::<i64>(conn)?,
                );
            }
            candidates.sort_unstable();
            candidates.dedup();
            // Then the page, with the full condition, a slice of candidates
            // at a time until it is full.
            let mut found = Vec::new();
            for ids in candidates.chunks(1_000) {
                let escalated = ticket_clocks::supervising_department_id
                    .assume_not_null()
                    .eq_any(here_and_above.clone())
                    .and(tickets::handling_department_id.eq_any(&below));
                let bounced = ticket_clocks::bounce_department_id
                    .assume_not_null()
                    .eq_any(&subtree);
                let mut q = tickets::table
                    .inner_join(ticket_clocks::table)
                    .filter(tickets::id.eq_any(ids))
                    .filter(tickets::status.eq_any(crate::domain::ticket::Status::OPEN))
                    .select((Ticket::as_select(), ClockRow::as_select()))
                    .into_boxed();
                q = match &chain_like {
                    Some(like) => q.filter(
                        escalated.or(bounced).or(tickets::overdue
                            .eq(true)
                            .and(tickets::chains.like(like.clone()).escape('\\'))),
                    ),
                    None => q.filter(escalated.or(bounced)),
                };
                let want = limit - found.len() as i64;
                found.extend(q.order(tickets::id.asc()).limit(want).load(conn)?);
                if found.len() as i64 >= limit {
                    break;
                }
            }
            Ok(found)
        })
        .await?)
}
