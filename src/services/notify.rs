//! Queues the notices a change causes, inside the change's own transaction,
//! one outbox row per recipient and channel (the delivery worker sends
//! them) and one notice inside the application per recipient (the bell).
//! The e-mail follows the person's preferences; the notice in the
//! application is always kept, so that turning mail off loses nothing.
//! A department's group robots post the notices they were set up for that
//! reach the department; an enterprise's SMS number gets 受理, 要求补充 and
//! 办结 when this deployment sends SMS.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::domain::channels::{ROBOT_NOTICES, SMS_NOTICES};
use crate::domain::notify::{after_sla, Audience, Notice, Notify};
use crate::storage::notifications::{self, NewNotification};
use crate::storage::outbox::{self, NewChannelMessage, NewMessage};
use crate::storage::robots::Robot;
use crate::storage::sla::SlaEvent;
use crate::storage::tickets::{Ticket, TicketSummary};
use crate::storage::AnyConnection;

/// A notice about a ticket, before it is addressed.
#[derive(Debug, Clone)]
pub struct Pending {
    pub notify: Notify,
    pub ticket_id: i64,
    pub params: serde_json::Value,
    /// The SLA event it comes from, if any: its notices are made once per
    /// person (a unique key), however often the queueing runs.
    pub sla_event: Option<i64>,
}

/// What every ticket notice's template may show.
pub fn ticket_params(t: &TicketSummary, extra: serde_json::Value) -> serde_json::Value {
    let mut p = serde_json::json!({
        "ticket_id": t.id,
        "number": t.number,
        "title": t.title,
        "status": t.status.as_str(),
        "urgency": t.urgency.as_str(),
        "sign_due_at": t.sign_due_at.map(|d| d.and_utc()),
        "resolve_due_at": t.resolve_due_at.map(|d| d.and_utc()),
    });
    if let (Some(map), serde_json::Value::Object(more)) = (p.as_object_mut(), extra) {
        map.extend(more);
    }
    p
}

pub fn pending(notifies: Vec<Notify>, t: &TicketSummary, extra: serde_json::Value) -> Vec<Pending> {
    let params = ticket_params(t, extra);
    notifies
        .into_iter()
        .map(|notify| Pending {
            notify,
            ticket_id: t.id,
            params: params.clone(),
            sla_event: None,
        })
        .collect()
}

/// Addresses and writes the notices; the actor does not hear of their own
/// action, users' opt-outs are honoured for the e-mail (the notice in the
/// application is kept), and nobody gets the same notice about the same
/// ticket twice from one change. Returns the e-mails written.
pub fn enqueue(
    conn: &mut AnyConnection,
    pending: &[Pending],
    actor: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let audiences: Vec<Audience> = pending.iter().map(|p| p.notify.audience).collect();
    let to = recipients(conn, &audiences)?;
    enqueue_to(conn, &to, pending, actor, at)
}

/// The people of some audiences and the notices they turned off, the
/// departments' robots and the enterprises' SMS numbers.
pub struct Recipients {
    people: Vec<outbox::Reachable>,
    off: HashSet<(i64, String)>,
    robots: Vec<Robot>,
    mobiles: HashMap<i64, String>,
}

/// Looks the audiences' people up (before a write transaction, where the
/// audiences are known in advance).
pub fn recipients(conn: &mut AnyConnection, audiences: &[Audience]) -> QueryResult<Recipients> {
    let mut audiences = audiences.to_vec();
    audiences.sort();
    audiences.dedup();
    if audiences.is_empty() {
        return Ok(Recipients {
            people: Vec::new(),
            off: HashSet::new(),
            robots: Vec::new(),
            mobiles: HashMap::new(),
        });
    }
    let people = outbox::reachable(conn, &audiences)?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let off = outbox::turned_off(conn, &ids)?.into_iter().collect();
    let mut departments: Vec<i64> = audiences
        .iter()
        .filter_map(|a| match *a {
            Audience::Handlers(d) | Audience::Overseers(d) | Audience::Leads(d) => Some(d),
            _ => None,
        })
        .chain(people.iter().filter_map(|p| p.department_id))
        .collect();
    departments.sort_unstable();
    departments.dedup();
    let robots = crate::storage::robots::active_of(conn, &departments)?;
    let enterprises: Vec<i64> = audiences
        .iter()
        .filter_map(|a| match *a {
            Audience::Enterprise(e) => Some(e),
            _ => None,
        })
        .collect();
    let sms_on = !enterprises.is_empty()
        && outbox::channels_on(conn)?
            .iter()
            .any(|c| c == crate::domain::channels::Channel::Sms.as_str());
    let mobiles = if sms_on {
        crate::storage::mobiles::of_enterprises(conn, &enterprises)?
    } else {
        HashMap::new()
    };
    Ok(Recipients {
        people,
        off,
        robots,
        mobiles,
    })
}

impl Recipients {
    /// The departments an audience reaches, for their robots: a person's
    /// notice (a warning to the assigned officer) reaches their department.
    fn departments_of(&self, audience: &Audience) -> Vec<i64> {
        match *audience {
            Audience::Handlers(d) | Audience::Overseers(d) | Audience::Leads(d) => vec![d],
            Audience::User(u) => self
                .people
                .iter()
                .filter(|p| p.id == u)
                .filter_map(|p| p.department_id)
                .collect(),
            Audience::Enterprise(_) => Vec::new(),
        }
    }
}

/// The robot and SMS rows of the notices: one per robot (or enterprise),
/// ticket and notice.
fn channel_rows(to: &Recipients, pending: &[Pending], at: NaiveDateTime) -> Vec<NewChannelMessage> {
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let row = |channel: &str, robot_id, to_address: &str, p: &Pending| NewChannelMessage {
        channel: channel.into(),
        robot_id,
        notice: p.notify.notice.as_str().into(),
        ticket_id: Some(p.ticket_id),
        recipient_user_id: None,
        to_address: to_address.into(),
        // Groups and SMS read Chinese.
        locale: "zh".into(),
        params: p.params.to_string(),
        status: "pending".into(),
        next_attempt_at: at,
        created_at: at,
    };
    for p in pending {
        let notice = p.notify.notice;
        if ROBOT_NOTICES.contains(&notice) {
            let departments = to.departments_of(&p.notify.audience);
            for robot in to
                .robots
                .iter()
                .filter(|r| departments.contains(&r.department_id) && r.posts(notice))
            {
                if seen.insert(("robot", robot.id, p.ticket_id, notice)) {
                    rows.push(row(&robot.service, Some(robot.id), &robot.name, p));
                }
            }
        }
        if let Audience::Enterprise(e) = p.notify.audience {
            let mobile = to.mobiles.get(&e);
            if let Some(mobile) = mobile.filter(|_| SMS_NOTICES.contains(&notice)) {
                if seen.insert(("sms", e, p.ticket_id, notice)) {
                    rows.push(row("sms", None, mobile, p));
                }
            }
        }
    }
    rows
}

/// As [`enqueue`], to people looked up already.
pub fn enqueue_to(
    conn: &mut AnyConnection,
    to: &Recipients,
    pending: &[Pending],
    actor: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let mut in_app = Vec::new();
    for p in pending {
        let notice = p.notify.notice;
        for person in to.people.iter().filter(|u| u.is_in(&p.notify.audience)) {
            if Some(person.id) == actor || !seen.insert((person.id, p.ticket_id, notice)) {
                continue;
            }
            let params = p.params.to_string();
            in_app.push(NewNotification {
                user_id: person.id,
                kind: notice.as_str().into(),
                ticket_id: p.ticket_id,
                params: params.clone(),
                sla_event_id: p.sla_event,
                created_at: at,
            });
            let staff = person.role != crate::domain::role::Role::Enterprise;
            if to.off.contains(&(person.id, notice.as_str().to_string()))
                && notice.may_opt_out(staff)
            {
                continue;
            }
            rows.push(NewMessage {
                notice: notice.as_str().into(),
                ticket_id: Some(p.ticket_id),
                recipient_user_id: Some(person.id),
                to_address: person.email.clone(),
                locale: person.locale.clone(),
                params,
                status: "pending".into(),
                next_attempt_at: at,
                created_at: at,
            });
        }
    }
    if !in_app.is_empty() {
        notifications::insert_new(conn, &in_app)?;
    }
    if !rows.is_empty() {
        outbox::insert_all(conn, &rows)?;
    }
    let others = channel_rows(to, pending, at);
    if !others.is_empty() {
        outbox::insert_channel_messages(conn, &others)?;
    }
    Ok(rows.len())
}

/// Queues the notices of up to `limit` SLA events the scanner recorded
/// and nobody has queued yet: one outbox message per person, and the events
/// marked queued, in the caller's transaction (so each is queued once, also
/// with several workers: on PostgreSQL the events are locked with
/// `SKIP LOCKED`). Returns (events taken, messages written).
pub fn queue_sla_notices(
    conn: &mut AnyConnection,
    at: NaiveDateTime,
    limit: i64,
    snap: Option<&crate::services::sla::Snapshot>,
) -> QueryResult<(usize, usize)> {
    let events = SlaEvent::unqueued(conn, limit)?;
    if events.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<i64> = events.iter().map(|e| e.ticket_id).collect();
    let tickets: HashMap<i64, TicketSummary> = Ticket::summaries(conn, &ids)?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let pending: Vec<Pending> = events
        .iter()
        .filter_map(|e| tickets.get(&e.ticket_id).map(|tk| (e, tk)))
        .flat_map(|(e, tk)| {
            let who = after_sla(
                e.handling_department_id,
                tk.assignee_id,
                e.level == 0,
                e.notified_department_id,
            );
            let mut extra = serde_json::json!({
                "kind": e.kind,
                "level": e.level,
                "escalation_level": e.escalation_level,
                "due_at": e.due_at.and_utc(),
            });
            // A warning says how long is left, in the window's own unit.
            if let (0, Some(snap)) = (e.level, snap) {
                let policy = snap.policy_for(tk.sla_policy.as_deref(), tk.urgency.as_str());
                let unit = if e.kind.starts_with("sign") {
                    policy.sign.unit
                } else {
                    policy.resolve.unit
                };
                let left =
                    super::sla::left_before(&snap.calendar, unit, e.due_at.and_utc(), at.and_utc());
                extra["left"] = left_params(&left);
            }
            pending(who, tk, extra).into_iter().map(|p| Pending {
                sla_event: Some(e.id),
                ..p
            })
        })
        .collect();
    let written = enqueue(conn, &pending, None, at)?;
    let event_ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    SlaEvent::mark_queued(conn, &event_ids, at)?;
    Ok((events.len(), written))
}

/// The time left before a deadline as a notice's parameters: numbers, so
/// that the message says it in its reader's language when it is rendered.
pub fn left_params(left: &crate::domain::sla::TimeLeft) -> serde_json::Value {
    serde_json::json!({
        "clock": left.measure == crate::domain::sla::Measure::Clock,
        "overdue": left.overdue,
        "days": left.days,
        "hours": left.hours,
        "minutes": left.minutes,
    })
}

/// A user's notices: each kind, whether it is on, and whether they may turn it off.
pub async fn preferences(
    db: &crate::storage::Database,
    user_id: i64,
    staff: bool,
) -> Result<Vec<(Notice, bool, bool)>, crate::storage::StorageError> {
    let off: HashSet<String> = db
        .run(move |conn| {
            Ok(outbox::turned_off(conn, &[user_id])?
                .into_iter()
                .map(|(_, n)| n)
                .collect())
        })
        .await?;
    Ok(Notice::ALL
        .into_iter()
        .map(|n| {
            let may = n.may_opt_out(staff);
            (n, !(may && off.contains(n.as_str())), may)
        })
        .collect())
}

/// Turns notices on or off; every unknown kind, and overdue notices for
/// staff, is refused (and then nothing changes).
pub async fn set_preferences(
    db: &crate::storage::Database,
    user_id: i64,
    staff: bool,
    changes: Vec<(String, bool)>,
) -> Result<(), PreferenceError> {
    let mut issues = Vec::new();
    let mut parsed = Vec::new();
    for (name, enabled) in changes {
        match Notice::parse(&name) {
            None => issues.push(crate::domain::enterprise::issue_with(
                "notices",
                "field.no_such_notice",
                [("name", name.to_string())],
            )),
            Some(n) if !enabled && !n.may_opt_out(staff) => issues.push(
                crate::domain::enterprise::issue("notices", "field.staff_keep_overdue_notices"),
            ),
            Some(n) => parsed.push((n, enabled)),
        }
    }
    if !issues.is_empty() {
        return Err(PreferenceError::Invalid(issues));
    }
    db.run(move |conn| {
        crate::storage::write_transaction(conn, |conn| {
            for (n, enabled) in &parsed {
                outbox::set_preference(conn, user_id, n.as_str(), *enabled)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        Ok(())
    })
    .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum PreferenceError {
    #[error("invalid preferences")]
    Invalid(Vec<crate::domain::enterprise::FieldIssue>),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}
