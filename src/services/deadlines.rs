//! Deadlines after a calendar load. Loading a year (next year's holidays,
//! usually in November) changes which days are worked, so every open
//! ticket whose window reaches into that year gets its deadlines measured
//! again: the same working time from the window's start, on the new
//! calendar. The load records the calendar as it was; the recompute then
//! goes through the tickets in batches, one transaction each, and resumes
//! after a crash (the calendar watch job picks up what is left).

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::json;

use super::sla::Sla;
use crate::domain::access::DepartmentRef;
use crate::domain::calendar::{DayKind, MarkedDay, WorkCalendar};
use crate::domain::sla::{standing, window_on_new_calendar};
use crate::storage::departments::Department;
use crate::storage::metrics::MetricsRow;
use crate::storage::recomputes::{self, NewRecompute, Recompute};
use crate::storage::sla::{naive, ClockRow};
use crate::storage::tickets::{NewTicketEvent, Ticket, TicketEvent};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

/// Tickets per recompute transaction.
pub const BATCH: i64 = 500;

/// Records, inside the load's transaction, that `years` are about to be
/// replaced and what their marked days were.
pub fn record_load(
    conn: &mut AnyConnection,
    years: &[i32],
    previous: &[MarkedDay],
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    let Some(first) = years.iter().min() else {
        return Ok(());
    };
    let midnight = NaiveDate::from_ymd_opt(*first, 1, 1)
        .expect("a calendar year")
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let due_from = Shanghai
        .from_local_datetime(&midnight)
        .single()
        .map_or(midnight, |t| t.with_timezone(&Utc).naive_utc());
    let previous_days = previous
        .iter()
        .map(|d| format!("{},{}", d.date, d.kind.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    Recompute::insert(
        conn,
        &NewRecompute {
            years: years
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(","),
            previous_days,
            due_from,
            created_at: at,
        },
    )?;
    Ok(())
}

fn previous_of(r: &Recompute) -> (Vec<i32>, Vec<(NaiveDate, DayKind)>) {
    let years = r.years.split(',').filter_map(|y| y.parse().ok()).collect();
    let days = r
        .previous_days
        .lines()
        .filter_map(|l| {
            let (d, k) = l.split_once(',')?;
            Some((d.parse().ok()?, DayKind::parse(k)?))
        })
        .collect();
    (years, days)
}

/// Runs every pending recompute to its end; returns the tickets whose
/// deadlines moved.
pub async fn recompute_pending(db: &Database, sla: &Sla) -> Result<usize, StorageError> {
    let mut moved = 0;
    loop {
        let sla = sla.clone();
        match db.run_write(move |conn| step(conn, &sla)).await? {
            Some(n) => moved += n,
            None => return Ok(moved),
        }
    }
}

/// One batch of the oldest pending recompute; None when there is none.
fn step(conn: &mut AnyConnection, sla: &Sla) -> Result<Option<usize>, StorageError> {
    let Some(r) = Recompute::next_open(conn)? else {
        return Ok(None);
    };
    let now = sla.now();
    let ids = Recompute::next_tickets(conn, &r, BATCH)?;
    let Some(&last) = ids.last() else {
        Recompute::finish(conn, r.id, naive(now))?;
        tracing::info!(years = %r.years, moved = r.moved, "deadlines recomputed for the new calendar");
        return Ok(Some(0));
    };
    let new = sla.calendar_now(conn)?;
    let (years, previous) = previous_of(&r);
    let old = sla.calendar_with(conn, &years, previous)?;
    let snap = sla.snapshot(conn)?;
    let moved = write_transaction(conn, |conn| -> Result<Option<usize>, StorageError> {
        let mut events = Vec::new();
        for id in &ids {
            if let Some(e) = recompute_one(conn, &snap, &old, &new, *id, &years, now)? {
                events.push(e);
            }
        }
        let n = events.len();
        if !Recompute::advance(conn, &r, last, n as i32)? {
            // Another instance did this batch: undo ours.
            return Err(StorageError::Query(
                diesel::result::Error::RollbackTransaction,
            ));
        }
        TicketEvent::append_all(conn, events)?;
        Ok(Some(n))
    });
    match moved {
        Err(StorageError::Query(diesel::result::Error::RollbackTransaction)) => Ok(Some(0)),
        other => other,
    }
}

/// Measures one ticket's windows again; the event to record if they moved.
fn recompute_one(
    conn: &mut AnyConnection,
    snap: &super::sla::Snapshot,
    old: &WorkCalendar,
    new: &WorkCalendar,
    id: i64,
    years: &[i32],
    now: chrono::DateTime<Utc>,
) -> Result<Option<NewTicketEvent>, StorageError> {
    ClockRow::lock(conn, id)?;
    let (Some(ticket), Some(mut row)) = (Ticket::find(conn, id)?, ClockRow::find(conn, id)?) else {
        return Ok(None);
    };
    let status = ticket.status;
    let (Some(sign_due), Some(resolve_due)) = (ticket.sign_due_at, ticket.resolve_due_at) else {
        return Ok(None);
    };
    if !status.is_open() {
        return Ok(None);
    }
    let policy = snap.clock_policy(
        Some(&row.policy),
        ticket.sla_policy.as_deref(),
        ticket.urgency.as_str(),
    );
    let mut clocks = row.clocks(sign_due, resolve_due);
    let before = clocks.clone();
    clocks.sign = window_on_new_calendar(&clocks.sign, policy.sign.unit, old, new);
    clocks.resolve = window_on_new_calendar(&clocks.resolve, policy.resolve.unit, old, new);
    if clocks == before {
        return Ok(None);
    }
    // What had fired but is no longer due is taken back.
    clocks.sign.rebase(new, now);
    clocks.resolve.rebase(new, now);
    let handling = Department::find(conn, ticket.handling_department_id)?
        .map(|d| DepartmentRef {
            id: d.id,
            path: d.path,
        })
        .ok_or(diesel::result::Error::NotFound)?;
    let stand = standing(&clocks, status, &handling, policy.escalation_working_days);
    row.set_clocks(&clocks);
    row.supervising_department_id = stand.supervising;
    row.next_check_at = clocks.next_check(new, status).map(naive);
    ClockRow::save(conn, &row)?;
    let (sign_to, resolve_to) = (naive(clocks.sign.due_at), naive(clocks.resolve.due_at));
    recomputes::set_deadlines(
        conn,
        id,
        sign_to,
        resolve_to,
        stand.overdue,
        stand.escalation_level,
        naive(now),
    )?;
    if sign_to != sign_due {
        crate::storage::sign_windows::move_due(conn, id, sign_to)?;
    }
    if let Some(mut m) = MetricsRow::find(conn, id)? {
        // Response is measured against the first sign-for deadline.
        if m.first_signed_at.is_none() && clocks.sign.round == 1 {
            m.first_sign_due_at = Some(sign_to);
        }
        m.last_at = m.last_at.max(sign_to).max(resolve_to);
        m.folded = false;
        MetricsRow::update(conn, &m)?;
    }
    let change = |from: NaiveDateTime, to: NaiveDateTime| {
        (from != to).then(|| json!({"from": from.and_utc(), "to": to.and_utc()}))
    };
    let detail = json!({
        "years": years,
        "sign_due": change(sign_due, sign_to),
        "resolve_due": change(resolve_due, resolve_to),
    });
    Ok(Some(NewTicketEvent {
        ticket_id: id,
        seq: 0,
        action: "deadline_recomputed".into(),
        actor_id: None,
        actor_department_id: None,
        from_status: Some(ticket.status),
        to_status: ticket.status,
        note: None,
        detail: Some(detail.to_string()),
        internal: false,
        created_at: naive(now),
    }))
}

/// The year of an instant in Beijing.
pub fn beijing_year(at: chrono::DateTime<Utc>) -> i32 {
    at.with_timezone(&Shanghai).year()
}
