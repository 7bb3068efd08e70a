//! Queues the notices a change causes, inside the change's own transaction,
//! one outbox row per recipient (the delivery worker sends them).

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::domain::notify::{Audience, Notice, Notify};
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
                audience: None,
            });
        }
    }
    outbox::insert_all(conn, &rows)?;
    Ok(rows.len())
}

/// Queues notices for bulk writers (the SLA scanner): one row per
/// audience, which the delivery worker expands with [`expand_audiences`].
/// The writer's cost then does not grow with the size of departments.
pub fn enqueue_by_audience(
    conn: &mut AnyConnection,
    pending: &[Pending],
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let rows: Vec<NewMessage> = pending
        .iter()
        .map(|p| NewMessage {
            notice: p.notify.notice.as_str().into(),
            ticket_id: Some(p.ticket_id),
            recipient_user_id: None,
            to_address: String::new(),
            locale: String::new(),
            params: p.params.to_string(),
            status: "pending".into(),
            next_attempt_at: at,
            created_at: at,
            audience: Some(p.notify.audience.key()),
        })
        .collect();
    outbox::insert_all(conn, &rows)?;
    Ok(rows.len())
}

/// Turns up to `limit` audience rows into one row per person (opt-outs
/// honoured, as for [`enqueue`]), in one transaction. Returns
/// (audience rows taken, messages written).
pub fn expand_audiences(
    conn: &mut AnyConnection,
    at: NaiveDateTime,
    limit: i64,
) -> QueryResult<(usize, usize)> {
    let taken = outbox::take_audiences(conn, at, limit)?;
    let pending: Vec<Pending> = taken
        .iter()
        .filter_map(|m| {
            Some(Pending {
                notify: Notify {
                    notice: Notice::parse(&m.notice)?,
                    audience: Audience::parse_key(m.audience.as_deref()?)?,
                },
                ticket_id: m.ticket_id?,
                params: serde_json::from_str(&m.params).ok()?,
            })
        })
        .collect();
    let written = enqueue(conn, &pending, None, at)?;
    Ok((taken.len(), written))
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
            None => issues.push(crate::domain::enterprise::issue(
                "notices",
                format!("没有“{name}”这种通知。"),
                format!("There is no `{name}` notice."),
            )),
            Some(n) if !enabled && !n.may_opt_out(staff) => {
                issues.push(crate::domain::enterprise::issue(
                    "notices",
                    "工作人员不能关闭超期通知。",
                    "Staff cannot turn off overdue notices.",
                ))
            }
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
