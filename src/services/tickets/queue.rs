//! The lists: a caller's queue and the names a list shows.

use super::*;

/// Tickets waiting for the caller: the enterprise's questions to answer and
/// resolutions to rate; a department's tickets to sign for or handle (its
/// own or unassigned), and co-handling opinions it owes; a lead's extension
/// requests to decide (of the departments just below).
fn needs_action(caller: &Caller) -> store::Visibility {
    match (caller.role, &caller.department) {
        (Role::Enterprise, _) => Box::new(tickets::status.eq_any(["awaiting_info", "resolved"])),
        (Role::Officer | Role::Lead, Some(d)) => {
            let owed = ticket_departments::table
                .filter(ticket_departments::department_id.eq(d.id))
                .filter(ticket_departments::role.eq(crate::domain::ticket::Involvement::Cohandler))
                .filter(ticket_departments::opinion_posted.eq(false))
                .filter(ticket_departments::released.eq(false))
                .select(ticket_departments::ticket_id);
            let mine: store::Visibility = Box::new(
                tickets::handling_department_id
                    .eq(d.id)
                    .and(tickets::status.eq_any(["pending_sign", "handling"]))
                    .and(
                        tickets::assignee_id
                            .is_null()
                            .or(tickets::assignee_id.assume_not_null().eq(caller.user_id)),
                    )
                    .or(tickets::status.eq("handling").and(tickets::id.eq_any(owed))),
            );
            if caller.role != Role::Lead {
                return mine;
            }
            Box::new(
                mine.or(tickets::extension_pending.eq(true).and(
                    tickets::handling_department_id.eq_any(
                        departments::table
                            .filter(departments::parent_id.eq(d.id))
                            .select(departments::id),
                    ),
                )),
            )
        }
        _ => Box::new(tickets::id.lt(0)),
    }
}

/// Names of the departments and people that tickets, their involved
/// departments and their events mention.
pub(super) fn directory_for(
    conn: &mut AnyConnection,
    tickets: &[Ticket],
    involved: &[TicketDepartment],
    events: &[TicketEvent],
) -> QueryResult<Directory> {
    let mut depts: Vec<i64> = tickets.iter().map(|t| t.handling_department_id).collect();
    let mut people: Vec<i64> = tickets.iter().filter_map(|t| t.assignee_id).collect();
    depts.extend(involved.iter().map(|d| d.department_id));
    for e in events {
        depts.extend(e.actor_department_id);
        people.extend(e.actor_id);
    }
    Directory::load(conn, &depts, &people)
}

/// Names for a page of the queue.
pub async fn directory(db: &Database, tickets: &[Ticket]) -> Result<Directory, TicketError> {
    let tickets = tickets.to_vec();
    Ok(db
        .run(move |conn| Ok(directory_for(conn, &tickets, &[], &[])?))
        .await?)
}

/// The caller's queue: the tickets they may see, filtered, newest first;
/// with `only_needing_action`, just those waiting for the caller.
pub async fn queue(
    db: &Database,
    caller: &Caller,
    filter: TicketFilter,
    only_needing_action: bool,
) -> Result<Vec<Ticket>, TicketError> {
    let caller = caller.clone();
    Ok(db
        .run(move |conn| Ok(queue_page(conn, &caller, filter, only_needing_action)?))
        .await?)
}

/// One page of the caller's queue, on a connection the caller holds (an
/// export reads page after page, giving the connection back in between).
pub fn queue_page(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: TicketFilter,
    only_needing_action: bool,
) -> QueryResult<Vec<Ticket>> {
    match scope(caller, &mut filter, only_needing_action) {
        Some(visible) => Ticket::list_visible(conn, &filter, visible),
        None => Ok(Vec::new()),
    }
}

/// How many tickets of the caller's queue the filter finds: a workbench
/// tab's number, counted by the same conditions as its list.
pub fn queue_count(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: TicketFilter,
    only_needing_action: bool,
) -> QueryResult<i64> {
    match scope(caller, &mut filter, only_needing_action) {
        Some(visible) => Ticket::count_visible(conn, &filter, visible),
        None => Ok(0),
    }
}

/// How many tickets of `filter` the caller may see, counted no further
/// than `cap + 1`.
pub fn queue_count_up_to(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: TicketFilter,
    cap: i64,
) -> QueryResult<i64> {
    match scope(caller, &mut filter, false) {
        Some(visible) => Ticket::count_visible_up_to(conn, &filter, visible, cap),
        None => Ok(0),
    }
}

/// What the caller may see (and, with `only_needing_action`, what waits
/// for them), narrowing `filter` where the role fixes it; None when the
/// caller sees no tickets.
fn scope(
    caller: &Caller,
    filter: &mut TicketFilter,
    only_needing_action: bool,
) -> Option<store::Visibility> {
    let wanted: store::Visibility = if only_needing_action {
        needs_action(caller)
    } else {
        Box::new(tickets::id.ge(0))
    };
    match caller.role {
        Role::Enterprise => {
            filter.enterprise_id = caller.enterprise_id.or(Some(-1));
            return Some(wanted);
        }
        Role::Admin => return None,
        _ => {}
    }
    let d = caller.department.clone()?;
    // Visible: placed in the jurisdiction, handled in the subtree,
    // co-handled or handled before by the department, or of its chain.
    let subtree = departments::table
        .filter(departments::path.like(format!("{}%", d.path)))
        .select(departments::id);
    let involved = ticket_departments::table
        .filter(ticket_departments::department_id.eq(d.id))
        .select(ticket_departments::ticket_id);
    let mut visible: store::Visibility = Box::new(
        tickets::handling_department_id
            .eq_any(subtree)
            .or(tickets::id.eq_any(involved)),
    );
    match (&d.kind, &d.region, &d.chain_code) {
        (crate::domain::region::DepartmentKind::Ministry, _, _) => {
            visible = Box::new(tickets::id.ge(0))
        }
        (_, Some((code, level)), _) => {
            let n = match level {
                RegionLevel::Province => 2,
                RegionLevel::City => 4,
                RegionLevel::County => 6,
            };
            visible =
                Box::new(visible.or(tickets::place_code.like(format!("{}%", &code.as_str()[..n]))));
        }
        (_, None, Some(chain)) => {
            let pattern = crate::storage::codes::containing_pattern(chain);
            visible = Box::new(visible.or(tickets::chains.like(pattern).escape('\\')));
        }
        _ => {}
    }
    Some(Box::new(visible.and(wanted)))
}
