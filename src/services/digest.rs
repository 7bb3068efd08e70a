//! The daily digest for leads and supervisors: new, newly overdue and
//! resolved tickets in their department's jurisdiction since the last digest.
//!
//! Each department's digest is one transaction: the record of the day's
//! digest (unique per department and day, so several instances send it once)
//! together with its outbox messages.

use chrono::{DateTime, Duration, DurationRound, NaiveTime, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::domain::notify::{Audience, Notice};
use crate::storage::departments::Department;
use crate::storage::digests::Jurisdiction;
use crate::storage::outbox::{self, NewMessage};
use crate::storage::{digests, write_transaction, AnyConnection, Database, StorageError};

/// Tickets a digest lists at most (the rest are a click away).
const LISTED: i64 = 30;

/// Sends the digests due at `now`: from `at` (Beijing time) on, once per
/// department and day. Returns how many departments got theirs now.
pub async fn send_due(
    db: &Database,
    now: DateTime<Utc>,
    at: NaiveTime,
) -> Result<usize, StorageError> {
    let local = now.with_timezone(&Shanghai);
    if local.time() < at {
        return Ok(0);
    }
    let day = local.date_naive();
    db.run(move |conn| {
        let mut sent = 0;
        for department in digests::departments_with_overseers(conn)? {
            if digests::sent_on(conn, department, day)? {
                continue;
            }
            match write_transaction(conn, |conn| digest_one(conn, department, day, now)) {
                Ok(true) => sent += 1,
                Ok(false) => {}
                // Another instance sent it in the meantime.
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(sent)
    })
    .await
}

fn digest_one(
    conn: &mut AnyConnection,
    department: i64,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DieselError> {
    let Some(dept) = Department::find(conn, department)?.filter(|d| d.active) else {
        return Ok(false);
    };
    // Whole seconds: the next digest starts exactly where this one ends,
    // whatever precision the database keeps.
    let end = now
        .duration_trunc(Duration::seconds(1))
        .unwrap_or(now)
        .naive_utc();
    let start = digests::last_period_end(conn, department)?.unwrap_or(end - Duration::hours(24));
    digests::record(conn, department, day, start, end)?;
    let of = match &dept.chain_code {
        Some(chain) => Jurisdiction::Chain(chain),
        None => Jurisdiction::Subtree(&dept.path),
    };
    let (new, overdue, resolved) = digests::counts(conn, of, start, end)?;
    // The tickets behind the counts, the ones to act on first.
    let soon = (now + Duration::hours(24)).naive_utc();
    let listed: Vec<serde_json::Value> = digests::listed(conn, of, start, end, soon, LISTED)?
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "number": t.number,
                "title": t.title,
                "why": t.why,
                "due_at": t.due.map(|d| d.and_utc()),
            })
        })
        .collect();
    let audience = Audience::Overseers(department);
    let people = outbox::reachable(conn, &[audience])?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let off = outbox::turned_off(conn, &ids)?;
    let params = serde_json::json!({
        "department": dept.name,
        "department_id": department,
        "new": new,
        "overdue": overdue,
        "resolved": resolved,
        "since": start.and_utc(),
        "until": end.and_utc(),
        "tickets": listed,
    })
    .to_string();
    let rows: Vec<NewMessage> = people
        .iter()
        .filter(|p| p.is_in(&audience))
        .filter(|p| !off.contains(&(p.id, Notice::Digest.as_str().to_string())))
        .map(|p| NewMessage {
            notice: Notice::Digest.as_str().into(),
            ticket_id: None,
            recipient_user_id: Some(p.id),
            to_address: p.email.clone(),
            locale: p.locale.clone(),
            params: params.clone(),
            status: "pending".into(),
            next_attempt_at: end,
            created_at: end,
        })
        .collect();
    outbox::insert_all(conn, &rows)?;
    Ok(true)
}
