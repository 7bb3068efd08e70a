//! A ticket as read: its row, departments, clocks and timeline.

use super::*;

/// A ticket with everything authorization and the state machine need.
pub struct Loaded {
    pub ticket: Ticket,
    pub facts: TicketFacts,
    pub state: TicketState,
    pub departments: Vec<TicketDepartment>,
    pub clock: Option<ClockRow>,
    /// Both SLA clocks as they stand (filled when read for a person).
    pub clocks: Option<sla::ClockState>,
    /// Warnings and overdue days (filled when read for a person).
    pub sla_events: Vec<SlaEvent>,
    /// Names of the departments and people it mentions (filled when read
    /// for a person).
    pub directory: Directory,
    /// The co-handlers' clocks (filled when read for a person).
    pub cohandling: Vec<crate::storage::cohandling::CohandlingClock>,
    /// The daily report whose blocker became the ticket, as (Beijing day,
    /// blocker id) (filled when read for a person).
    pub from_report: Option<(chrono::NaiveDate, i64)>,
}

pub fn load(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Loaded>> {
    let Some(ticket) = Ticket::find(conn, id)? else {
        return Ok(None);
    };
    let departments = TicketDepartment::of_ticket(conn, id)?;
    // Every department the ticket refers to, in one query.
    let mut ids: Vec<i64> = departments.iter().map(|d| d.department_id).collect();
    ids.push(ticket.handling_department_id);
    ids.extend(ticket.sent_from_department_id);
    let paths: std::collections::HashMap<i64, String> = departments::table
        .filter(departments::id.eq_any(&ids))
        .select((departments::id, departments::path))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let clock = ClockRow::find(conn, id)?;
    assemble(ticket, departments, &paths, clock).map(Some)
}

/// A ticket's facts and state from its rows and its departments' paths.
pub(super) fn assemble(
    ticket: Ticket,
    departments: Vec<TicketDepartment>,
    paths: &std::collections::HashMap<i64, String>,
    clock: Option<ClockRow>,
) -> QueryResult<Loaded> {
    let dept_ref = |id: i64| -> QueryResult<DepartmentRef> {
        let path = paths
            .get(&id)
            .cloned()
            .ok_or(diesel::result::Error::NotFound)?;
        Ok(DepartmentRef { id, path })
    };
    let handling = dept_ref(ticket.handling_department_id)?;
    let mut passed = Vec::new();
    let mut cohandlers = Vec::new();
    for d in &departments {
        let r = dept_ref(d.department_id)?;
        if d.role == crate::domain::ticket::Involvement::Passed {
            passed.push(r);
        } else {
            cohandlers.push(Cohandler {
                department: r,
                opinion_posted: d.opinion_posted,
                released: d.released,
            });
        }
    }
    let sent_from = ticket.sent_from_department_id.map(dept_ref).transpose()?;
    let facts = TicketFacts {
        enterprise_id: ticket.enterprise_id,
        enterprise_chains: ticket.chains.to_vec(),
        place: RegionCode::parse(&ticket.place_code)
            .map_err(|_| diesel::result::Error::NotFound)?,
        handling: handling.clone(),
        passed_through: passed,
        cohandlers: cohandlers.iter().map(|c| c.department.clone()).collect(),
    };
    let state = TicketState {
        status: ticket.status,
        handling,
        sent_from,
        assignee: ticket.assignee_id,
        cohandlers,
        extension_pending: ticket.extension_pending,
        resolve_due: ticket.resolve_due_at.map(|d| d.and_utc()),
        resolved_at: ticket.resolved_at.map(|d| d.and_utc()),
        closed_at: clock
            .as_ref()
            .and_then(|c| c.closed_at)
            .map(|d| d.and_utc()),
        rating: ticket.rating,
        solved: ticket.solved,
        sent_on: ticket.sent_on_count,
        returns: 0,
        urged: ticket.urged_count,
        reopened: ticket.reopened_count,
    };
    Ok(Loaded {
        ticket,
        facts,
        state,
        departments,
        clock,
        clocks: None,
        sla_events: Vec::new(),
        directory: Directory::default(),
        cohandling: Vec::new(),
        from_report: None,
    })
}

/// One ticket with its timeline and clocks, if the caller may see it.
pub async fn get(
    db: &Database,
    sla: &Sla,
    caller: &Caller,
    id: i64,
) -> Result<(Loaded, Vec<TicketEvent>), TicketError> {
    let sla = sla.clone();
    let found = db.run(move |conn| Ok(read_detail(conn, &sla, id)?)).await?;
    match found {
        Some((l, events)) if may_read_ticket(caller, &l.facts) => Ok((l, events)),
        _ => Err(TicketError::NotFound),
    }
}

/// A ticket with its events, SLA events and both clocks as they stand.
pub(super) fn read_detail(
    conn: &mut AnyConnection,
    sla: &Sla,
    id: i64,
) -> QueryResult<Option<Detail>> {
    let Some(mut l) = load(conn, id)? else {
        return Ok(None);
    };
    let events = TicketEvent::of_ticket(conn, id)?;
    l.sla_events = SlaEvent::of_ticket(conn, id)?;
    // The co-handlers' warnings and overdue days beside the ticket's own.
    l.sla_events.extend(
        crate::storage::cohandling::CohandlingEvent::of_ticket(conn, id)?
            .into_iter()
            .map(|e| SlaEvent {
                id: 0,
                ticket_id: e.ticket_id,
                kind: e.kind,
                level: e.level,
                round: e.round,
                handling_department_id: e.department_id,
                notified_department_id: e.department_id,
                escalation_level: 0,
                due_at: e.due_at,
                created_at: e.created_at,
            }),
    );
    l.cohandling = crate::storage::cohandling::CohandlingClock::of_ticket(conn, id)?;
    l.from_report = crate::storage::daily_reports::origin_of_ticket(conn, id)?;
    l.directory = directory_for(
        conn,
        std::slice::from_ref(&l.ticket),
        &l.departments,
        &events,
    )?;
    if let (Some(row), Some(s), Some(r)) = (&l.clock, l.ticket.sign_due_at, l.ticket.resolve_due_at)
    {
        let snap = sla.snapshot(conn)?;
        l.clocks = Some(sla::clock_state(
            &snap,
            row,
            l.state.status,
            s,
            r,
            sla.now(),
        ));
    }
    Ok(Some((l, events)))
}

/// The enterprise that filed a ticket, as staff see it beside the ticket.
pub struct Filer {
    pub enterprise: Enterprise,
    /// Its current white-list listings, newest first.
    pub listings: Vec<crate::storage::whitelist::WhitelistEntry>,
    /// Names of the provinces its provincial listings are of.
    pub regions: std::collections::HashMap<String, String>,
    /// The contact phone, masked unless the caller may call it.
    pub phone: Option<String>,
    /// The number it receives SMS notices on, masked the same way.
    pub mobile: Option<String>,
    /// Its other tickets the caller may read, newest first.
    pub earlier: Vec<Ticket>,
}

/// How many earlier tickets the panel lists.
const EARLIER_SHOWN: i64 = 10;

/// Who filed the ticket (`loaded`, read by this caller), if the caller
/// may see it: `None` for the enterprise itself.
pub async fn filer(
    db: &Database,
    caller: &Caller,
    loaded: &Loaded,
) -> Result<Option<Filer>, TicketError> {
    use crate::domain::access::{may_call_filer, may_see_filer};
    if !may_see_filer(caller, &loaded.facts) {
        return Ok(None);
    }
    let may_call = may_call_filer(caller, &loaded.facts);
    let (caller, enterprise_id, id) = (
        caller.clone(),
        loaded.ticket.enterprise_id,
        loaded.ticket.id,
    );
    let found = db
        .run(move |conn| {
            let Some(enterprise) = Enterprise::find(conn, enterprise_id)? else {
                return Ok(None);
            };
            let listings: Vec<_> =
                crate::storage::whitelist::WhitelistEntry::of_enterprise(conn, enterprise_id)?
                    .into_iter()
                    .filter(|l| l.removed_on.is_none())
                    .collect();
            let codes: Vec<String> = listings
                .iter()
                .filter(|l| l.scope != "national")
                .map(|l| l.scope.clone())
                .collect();
            let regions = Region::find_many(conn, &codes)?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect();
            // Through the caller's own queue: only what it may read.
            let filter = TicketFilter {
                enterprise_id: Some(enterprise_id),
                limit: EARLIER_SHOWN + 1,
                ..TicketFilter::default()
            };
            let earlier = queue_page(conn, &caller, filter, false)?
                .into_iter()
                .filter(|t| t.id != id)
                .take(EARLIER_SHOWN as usize)
                .collect();
            let mobile = crate::storage::mobiles::find(conn, enterprise_id)?;
            Ok(Some((enterprise, listings, regions, earlier, mobile)))
        })
        .await?;
    Ok(
        found.map(|(enterprise, listings, regions, earlier, mobile)| {
            let phone = enterprise
                .contact_phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    if may_call {
                        p.to_string()
                    } else {
                        crate::domain::enterprise::mask_phone(p)
                    }
                });
            let mobile = mobile.map(|m| {
                if may_call {
                    m
                } else {
                    crate::domain::channels::mask_mobile(&m)
                }
            });
            Filer {
                enterprise,
                listings,
                regions,
                phone,
                mobile,
                earlier,
            }
        }),
    )
}
