//! The SLA scanner: finds tickets whose next check is due (by the index on
//! `ticket_clocks.next_check_at`, so its cost follows the due tickets),
//! fires their warnings and overdue days exactly once, moves the escalation
//! up the tree, and closes resolved tickets nobody rated.
//!
//! Each batch is one transaction that claims its clock rows (on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`, so several instances share the work) and
//! writes the SLA events, the ticket events, the flags and the new clocks
//! together. The unique key on SLA events makes a repeat impossible even if
//! two scanners ever saw the same ticket.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::sla::{Sla, Snapshot};
use crate::domain::access::DepartmentRef;
use crate::domain::sla::{department_at_level, escalation_level, standing, Fired};
use crate::domain::ticket::Status;
use crate::storage::schema::departments;
use crate::storage::sla::{naive, ClockRow, NewSlaEvent, SlaEvent};
use crate::storage::tickets::{NewTicketEvent, Ticket, TicketEvent, TicketSummary};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

/// What one scan did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanReport {
    /// Tickets looked at.
    pub claimed: usize,
    /// SLA events recorded.
    pub events: usize,
    pub auto_closed: usize,
    pub batches: usize,
    /// Co-handling warnings and overdue days recorded.
    pub cohandling_events: usize,
}

/// Scans until nothing is due at `now` (at most `max_batches` batches).
pub async fn scan_once(
    db: &Database,
    sla: &Sla,
    now: DateTime<Utc>,
    batch: i64,
    max_batches: usize,
) -> Result<ScanReport, StorageError> {
    let sla = sla.clone();
    db.run(move |conn| {
        let snap = sla.snapshot(conn)?;
        let mut report = ScanReport::default();
        for _ in 0..max_batches.max(1) {
            let done = write_transaction(conn, |conn| scan_batch(conn, &snap, now, batch))?;
            report.batches += 1;
            report.claimed += done.claimed;
            report.events += done.events;
            report.auto_closed += done.auto_closed;
            if (done.claimed as i64) < batch {
                break;
            }
        }
        // The co-handlers' clocks, after the tickets' own.
        for _ in 0..max_batches.max(1) {
            let (claimed, events) = write_transaction(conn, |conn| {
                super::cohandling::scan_batch(conn, &snap, now, batch)
            })?;
            report.cohandling_events += events;
            if (claimed as i64) < batch {
                break;
            }
        }
        Ok(report)
    })
    .await
}

/// The new flags of a ticket, to group updates by.
type Flags = (Status, bool, i32);

fn scan_batch(
    conn: &mut AnyConnection,
    snap: &Snapshot,
    now: DateTime<Utc>,
    batch: i64,
) -> QueryResult<ScanReport> {
    let t = naive(now);
    let started = std::time::Instant::now();
    let rows = ClockRow::claim_due(conn, t, batch)?;
    let claimed = started.elapsed();
    if rows.is_empty() {
        return Ok(ScanReport::default());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.ticket_id).collect();
    let tickets: HashMap<i64, TicketSummary> = Ticket::summaries(conn, &ids)?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut dept_ids: Vec<i64> = tickets.values().map(|t| t.handling_department_id).collect();
    dept_ids.sort_unstable();
    dept_ids.dedup();
    let paths: HashMap<i64, String> = departments::table
        .filter(departments::id.eq_any(&dept_ids))
        .select((departments::id, departments::path))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();

    let mut report = ScanReport {
        claimed: rows.len(),
        ..Default::default()
    };
    let mut sla_events = Vec::new();
    let mut closing = Vec::new();
    let mut marks: BTreeMap<Flags, Vec<i64>> = BTreeMap::new();
    let mut new_rows = Vec::with_capacity(rows.len());
    for mut row in rows {
        let Some(ticket) = tickets.get(&row.ticket_id) else {
            continue;
        };
        let status = ticket.status;
        let handling = DepartmentRef {
            id: ticket.handling_department_id,
            path: paths
                .get(&ticket.handling_department_id)
                .cloned()
                .unwrap_or_default(),
        };
        if status == Status::Resolved {
            row.next_check_at = None;
            closing.push(auto_close_event(ticket, t));
            marks
                .entry((Status::Closed, false, 0))
                .or_default()
                .push(ticket.id);
            new_rows.push(row);
            continue;
        }
        let policy = snap.clock_policy(
            Some(&row.policy),
            ticket.sla_policy.as_deref(),
            ticket.urgency.as_str(),
        );
        let (Some(sign_due), Some(resolve_due)) = (ticket.sign_due_at, ticket.resolve_due_at)
        else {
            row.next_check_at = None;
            new_rows.push(row);
            continue;
        };
        let mut clocks = row.clocks(sign_due, resolve_due);
        let fired = clocks.fire(&snap.calendar, status, now);
        let stand = standing(&clocks, status, &handling, policy.escalation_working_days);
        row.set_clocks(&clocks);
        row.supervising_department_id = stand.supervising;
        row.next_check_at = clocks.next_check(&snap.calendar, status).map(naive);
        let every = policy.escalation_working_days;
        sla_events.extend(
            fired
                .iter()
                .map(|f| sla_event(ticket, &handling, f, every, t)),
        );
        // Any change to the clocks moves the ticket's version on, so that an
        // action computed from the clocks as they were fails its version
        // check instead of writing them back.
        if !fired.is_empty()
            || stand.overdue != ticket.overdue
            || stand.escalation_level != ticket.escalation_level
        {
            marks
                .entry((ticket.status, stand.overdue, stand.escalation_level))
                .or_default()
                .push(ticket.id);
        }
        new_rows.push(row);
    }

    let computed = started.elapsed();
    // The timeline shows these to staff beside the ticket's own events.
    let recorded: HashSet<(i64, String, i32, i32)> = SlaEvent::record_all(conn, &sla_events)?
        .into_iter()
        .collect();
    report.events = recorded.len();
    // The event rows are the record that notices are owed: the delivery
    // worker queues them (`notify::queue_sla_notices`), so this transaction
    // does not grow with the number of people to tell.
    let events_at = started.elapsed();
    report.auto_closed = closing.len();
    if !closing.is_empty() {
        let ids: Vec<i64> = closing.iter().map(|e| e.ticket_id).collect();
        ClockRow::mark_closed(conn, &ids, t)?;
        TicketEvent::append_all(conn, closing)?;
    }
    let timeline_at = started.elapsed();
    for ((status, overdue, level), ids) in &marks {
        Ticket::mark_all(conn, ids, *status, *overdue, *level, t)?;
    }
    let marked_at = started.elapsed();
    ClockRow::update_scanned(conn, &new_rows)?;
    tracing::debug!(
        tickets = report.claimed,
        claim_ms = claimed.as_secs_f64() * 1e3,
        compute_ms = (computed - claimed).as_secs_f64() * 1e3,
        sla_events_ms = (events_at - computed).as_secs_f64() * 1e3,
        closing_ms = (timeline_at - events_at).as_secs_f64() * 1e3,
        flags_ms = (marked_at - timeline_at).as_secs_f64() * 1e3,
        clocks_ms = (started.elapsed() - marked_at).as_secs_f64() * 1e3,
        "SLA scan batch"
    );
    Ok(report)
}

fn sla_event(
    ticket: &TicketSummary,
    handling: &DepartmentRef,
    f: &Fired,
    every: i32,
    at: NaiveDateTime,
) -> NewSlaEvent {
    let level = escalation_level(f.level, handling.ancestors().len(), every);
    NewSlaEvent {
        ticket_id: ticket.id,
        kind: f.kind().into(),
        level: f.level,
        round: f.round,
        handling_department_id: handling.id,
        notified_department_id: department_at_level(handling, level),
        escalation_level: level,
        due_at: naive(f.due_at),
        created_at: at,
    }
}

fn auto_close_event(ticket: &TicketSummary, at: NaiveDateTime) -> NewTicketEvent {
    NewTicketEvent {
        ticket_id: ticket.id,
        seq: 0,
        action: "auto_close".into(),
        actor_id: None,
        actor_department_id: None,
        from_status: Some(Status::Resolved),
        to_status: Status::Closed,
        note: None,
        detail: None,
        internal: false,
        created_at: at,
    }
}
