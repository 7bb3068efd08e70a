//! The notices inside the application: one row per recipient, the kind and
//! its arguments (rendered in the reader's language when shown), unread
//! until the person opens it, its ticket, or marks all read.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::notifications;

// Nulls rather than DEFAULT for `None`, so that SQLite writes many rows in
// one statement (as the outbox does).
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: String,
    pub ticket_id: i64,
    pub params: String,
    pub sla_event_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub ticket_id: i64,
    pub params: String,
    pub sla_event_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// Writes the notices, leaving out any of an SLA event a person already has
/// (the unique key would refuse it): a queueing run done twice adds nothing.
pub fn insert_new(conn: &mut AnyConnection, rows: &[NewNotification]) -> QueryResult<usize> {
    let events: Vec<i64> = rows.iter().filter_map(|r| r.sla_event_id).collect();
    let had: HashSet<(i64, i64)> = if events.is_empty() {
        HashSet::new()
    } else {
        notifications::table
            .filter(
                notifications::sla_event_id
                    .assume_not_null()
                    .eq_any(&events),
            )
            .select((
                notifications::user_id,
                notifications::sla_event_id.assume_not_null(),
            ))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect()
    };
    let fresh: Vec<NewNotification> = rows
        .iter()
        .filter(|r| {
            r.sla_event_id
                .is_none_or(|e| !had.contains(&(r.user_id, e)))
        })
        .cloned()
        .collect();
    insert_batches!(conn, notifications::table, fresh);
    Ok(fresh.len())
}

/// How many of a user's notices are unread: one count over the index range
/// (user, read_at IS NULL), which holds that user's unread ones only.
pub fn unread_count(conn: &mut AnyConnection, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// A user's notices, newest first, before the cursor id.
pub fn of_user(
    conn: &mut AnyConnection,
    user_id: i64,
    unread_only: bool,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .into_boxed();
    if unread_only {
        q = q.filter(notifications::read_at.is_null());
    }
    if let Some(before) = before_id {
        q = q.filter(notifications::id.lt(before));
    }
    q.order(notifications::id.desc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
}

/// One of a user's notices; someone else's is not found.
pub fn find_of_user(
    conn: &mut AnyConnection,
    user_id: i64,
    id: i64,
) -> QueryResult<Option<Notification>> {
    notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(user_id))
        .select(Notification::as_select())
        .first(conn)
        .optional()
}

/// Marks one of a user's notices read (if it was unread).
pub fn mark_read(
    conn: &mut AnyConnection,
    user_id: i64,
    id: i64,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(at))
    .execute(conn)
}

/// Marks all of a user's unread notices read; with a ticket, those about it.
pub fn mark_all_read(
    conn: &mut AnyConnection,
    user_id: i64,
    ticket_id: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut q = diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .into_boxed();
    if let Some(t) = ticket_id {
        q = q.filter(notifications::ticket_id.eq(t));
    }
    q.set(notifications::read_at.eq(at)).execute(conn)
}

/// Whether a user has an unread notice about a ticket (a read, so that
/// opening a ticket takes the write lock only when there is one to mark).
pub fn any_unread_of_ticket(
    conn: &mut AnyConnection,
    user_id: i64,
    ticket_id: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::ticket_id.eq(ticket_id))
            .filter(notifications::read_at.is_null()),
    ))
    .get_result(conn)
}

/// Every notice of a ticket (tests and audits).
pub fn of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<Vec<Notification>> {
    notifications::table
        .filter(notifications::ticket_id.eq(ticket_id))
        .order(notifications::id.asc())
        .select(Notification::as_select())
        .load(conn)
}
