//! The co-handling clock as use cases: opened when a department is asked
//! to co-handle (and again when a reopen asks it anew), stopped by its
//! opinion or its release, and scanned with the SLA scanner: a warning,
//! then an overdue reminder each working day, each written once and told
//! to the co-handling department in the same transaction.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use super::notify;
use super::sla::Snapshot;
use crate::domain::notify::{Audience, Notice, Notify};
use crate::domain::sla::{cohandling, Policy};
use crate::domain::ticket::{Cohandler, Status};
use crate::storage::cohandling::{CohandlingClock, CohandlingEvent, NewCohandlingEvent};
use crate::storage::sla::naive;
use crate::storage::tickets::Ticket;
use crate::storage::AnyConnection;

/// Keeps the co-handlers' clocks in step with an action: `before` and
/// `after` are the ticket's co-handlers around it.
#[allow(clippy::too_many_arguments)]
pub fn after_action(
    conn: &mut AnyConnection,
    snap: &Snapshot,
    policy: &Policy,
    ticket_id: i64,
    before: &[Cohandler],
    after: &[Cohandler],
    resolve_due: NaiveDateTime,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let cal = &snap.calendar;
    for c in after {
        let was = before.iter().find(|b| b.department.id == c.department.id);
        let asked_again = match was {
            None => true,
            // A reopen asks every co-handler for a new opinion.
            Some(b) => (b.opinion_posted || b.released) && !(c.opinion_posted || c.released),
        };
        let existing = CohandlingClock::find(conn, ticket_id, c.department.id)?;
        if asked_again {
            let round = existing.as_ref().map_or(1, |r| r.round + 1);
            let w = cohandling::window(
                cal,
                &policy.resolve,
                resolve_due.and_utc(),
                policy.warning_percent,
                round,
                now,
            );
            let mut row = CohandlingClock {
                ticket_id,
                department_id: c.department.id,
                round,
                started_at: naive(w.started_at),
                due_at: naive(w.due_at),
                warn_at: naive(w.warn_at),
                fired: -1,
                answered_at: None,
                released: false,
                next_check_at: None,
            };
            row.set_window(&w);
            row.next_check_at = Some(naive(w.next_check(cal)));
            CohandlingClock::save(conn, &row)?;
            continue;
        }
        let (Some(b), Some(mut row)) = (was, existing) else {
            continue;
        };
        if !b.opinion_posted && c.opinion_posted {
            row.answered_at = Some(naive(now));
            row.next_check_at = None;
            CohandlingClock::save(conn, &row)?;
        } else if !b.released && c.released {
            row.released = true;
            row.next_check_at = None;
            CohandlingClock::save(conn, &row)?;
        }
    }
    Ok(())
}

/// One batch of due co-handling clocks at `now`; returns the events written.
pub fn scan_batch(
    conn: &mut AnyConnection,
    snap: &Snapshot,
    now: DateTime<Utc>,
    batch: i64,
) -> diesel::QueryResult<(usize, usize)> {
    let t = naive(now);
    let rows = CohandlingClock::claim_due(conn, t, batch)?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.ticket_id).collect();
    let tickets: std::collections::HashMap<i64, _> = Ticket::summaries(conn, &ids)?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut events = Vec::new();
    for mut row in rows.iter().cloned() {
        let open = tickets
            .get(&row.ticket_id)
            .is_some_and(|t| t.status.is_open() || t.status == Status::Resolved);
        if !open || !row.waiting() {
            row.next_check_at = None;
            CohandlingClock::save(conn, &row)?;
            continue;
        }
        let mut w = row.window();
        for level in w.fire(&snap.calendar, now) {
            events.push(NewCohandlingEvent {
                ticket_id: row.ticket_id,
                department_id: row.department_id,
                kind: if level == 0 {
                    "cohandle_warning"
                } else {
                    "cohandle_overdue"
                }
                .into(),
                level,
                round: w.round,
                due_at: naive(w.due_at),
                created_at: t,
            });
        }
        row.set_window(&w);
        row.next_check_at = Some(naive(w.next_check(&snap.calendar)));
        CohandlingClock::save(conn, &row)?;
    }
    let fresh = CohandlingEvent::record(conn, events)?;
    // Told to the co-handling department with the same notices as the
    // ticket's own clocks, worded for the co-handling step.
    let pending: Vec<notify::Pending> = fresh
        .iter()
        .filter_map(|e| tickets.get(&e.ticket_id).map(|tk| (e, tk)))
        .flat_map(|(e, tk)| {
            let notice = if e.level == 0 {
                Notice::SlaWarning
            } else {
                Notice::Overdue
            };
            let who = vec![Notify {
                notice,
                audience: Audience::Handlers(e.department_id),
            }];
            let mut extra = json!({
                "kind": e.kind,
                "level": e.level,
                "escalation_level": 0,
                "due_at": e.due_at.and_utc(),
            });
            // Opinions are owed in working days (as the queue says).
            if e.level == 0 {
                let left = super::sla::left_before(
                    &snap.calendar,
                    crate::domain::sla::Unit::WorkingDays,
                    e.due_at.and_utc(),
                    now,
                );
                extra["left"] = notify::left_params(&left);
            }
            notify::pending(who, tk, extra)
        })
        .collect();
    notify::enqueue(conn, &pending, None, t)?;
    Ok((rows.len(), fresh.len()))
}

/// The caller's department's co-handling clocks of these tickets, by ticket:
/// what its queue shows as the deadline it must meet.
pub async fn of_caller(
    db: &crate::storage::Database,
    caller: &crate::domain::access::Caller,
    ticket_ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, CohandlingClock>, crate::storage::StorageError> {
    let Some(dept) = caller.department.as_ref().map(|d| d.id) else {
        return Ok(Default::default());
    };
    if ticket_ids.is_empty() {
        return Ok(Default::default());
    }
    db.run(move |conn| {
        Ok(CohandlingClock::of_department(conn, dept, &ticket_ids)?
            .into_iter()
            .map(|c| (c.ticket_id, c))
            .collect())
    })
    .await
}

/// Where a co-handler's window stands at `now`: `answered`, `released`,
/// `overdue`, `warning` or `running`.
pub fn standing(c: &CohandlingClock, now: DateTime<Utc>) -> &'static str {
    let t = naive(now);
    if c.answered_at.is_some() {
        "answered"
    } else if c.released {
        "released"
    } else if t >= c.due_at {
        "overdue"
    } else if t >= c.warn_at {
        "warning"
    } else {
        "running"
    }
}
