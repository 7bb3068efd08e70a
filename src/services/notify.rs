//! Queues the notices a change causes, inside the change's own transaction,
//! one outbox row per recipient (the delivery worker sends them).

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::domain::notify::{Audience, Notify};
use crate::storage::outbox::{self, NewMessage};
use crate::storage::tickets::TicketSummary;
use crate::storage::AnyConnection;

/// A notice about a ticket, before it is addressed.
#[derive(Debug, Clone)]
pub struct Pending {
    pub notify: Notify,
    pub ticket_id: i64,
    pub params: serde_json::Value,
}

/// What every ticket notice's template may show.
pub fn ticket_params(t: &TicketSummary, extra: serde_json::Value) -> serde_json::Value {
    let mut p = serde_json::json!({
        "ticket_id": t.id,
        "number": t.number,
        "title": t.title,
        "status": t.status,
        "urgency": t.urgency,
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
        })
        .collect()
}

/// Addresses and writes the notices; the actor does not hear of their own
/// action, users' opt-outs are honoured, and nobody gets the same notice
/// about the same ticket twice from one change. Returns the rows written.
pub fn enqueue(
    conn: &mut AnyConnection,
    pending: &[Pending],
    actor: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    if pending.is_empty() {
        return Ok(0);
    }
    let mut audiences: Vec<Audience> = pending.iter().map(|p| p.notify.audience).collect();
    audiences.sort();
    audiences.dedup();
    let people = outbox::reachable(conn, &audiences)?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let off: HashSet<(i64, String)> = outbox::turned_off(conn, &ids)?.into_iter().collect();
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for p in pending {
        let notice = p.notify.notice;
        for person in people.iter().filter(|u| u.is_in(&p.notify.audience)) {
            let staff = person.role != "enterprise";
            if Some(person.id) == actor
                || (off.contains(&(person.id, notice.as_str().to_string()))
                    && notice.may_opt_out(staff))
                || !seen.insert((person.id, p.ticket_id, notice))
            {
                continue;
            }
            rows.push(NewMessage {
                notice: notice.as_str().into(),
                ticket_id: Some(p.ticket_id),
                recipient_user_id: Some(person.id),
                to_address: person.email.clone(),
                locale: person.locale.clone(),
                params: p.params.to_string(),
                status: "pending".into(),
                next_attempt_at: at,
                created_at: at,
            });
        }
    }
    outbox::insert_all(conn, &rows)?;
    Ok(rows.len())
}
