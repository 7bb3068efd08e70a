//! The caller's notices inside the application (the bell): listing them
//! with the unread count, and marking them read. They are written with the
//! e-mails they go with, by `services::notify`; a person only ever reaches
//! their own (someone else's reads as not found).

use chrono::{DateTime, Utc};

use crate::storage::notifications::{self, Notification};
use crate::storage::{write_transaction, Database, StorageError};

/// One page of a person's notices, newest first.
#[derive(Debug, Clone)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// All their unread notices, not just this page's.
    pub unread: i64,
    /// The cursor of the next page (the last id of this one), if there is one.
    pub next_before: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// No such notice of this person's.
    #[error("no such notice")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The person's notices, newest first, `limit` a page after the cursor.
pub async fn list(
    db: &Database,
    user_id: i64,
    unread_only: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<NotificationPage, StorageError> {
    db.run(move |conn| {
        let mut items = notifications::of_user(conn, user_id, unread_only, before, limit + 1)?;
        let next_before = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|n| n.id)
        } else {
            None
        };
        let unread = notifications::unread_count(conn, user_id)?;
        Ok(NotificationPage {
            items,
            unread,
            next_before,
        })
    })
    .await
}

/// How many of the person's notices are unread: the header's count, one
/// indexed count.
pub async fn unread(db: &Database, user_id: i64) -> Result<i64, StorageError> {
    db.run(move |conn| Ok(notifications::unread_count(conn, user_id)?))
        .await
}

/// Marks one notice read (reading it again changes nothing) and returns it.
pub async fn read_one(
    db: &Database,
    user_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Notification, NotificationError> {
    let found = db
        .run(move |conn| Ok(notifications::find_of_user(conn, user_id, id)?))
        .await?
        .ok_or(NotificationError::NotFound)?;
    if found.read_at.is_some() {
        return Ok(found);
    }
    let at = now.naive_utc();
    // Read back as stored (PostgreSQL keeps microseconds).
    db.run_write(move |conn| {
        Ok(write_transaction(conn, |conn| {
            notifications::mark_read(conn, user_id, id, at)?;
            notifications::find_of_user(conn, user_id, id)
        })?)
    })
    .await?
    .ok_or(NotificationError::NotFound)
}

/// Marks all the person's notices read; returns how many were unread.
pub async fn read_all(
    db: &Database,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let at = now.naive_utc();
    db.run_write(move |conn| {
        Ok(write_transaction(conn, |conn| {
            notifications::mark_all_read(conn, user_id, None, at)
        })?)
    })
    .await
}

/// The person opened a ticket: its notices to them are read. A plain read
/// first, so that opening a ticket with nothing to mark takes no write lock.
pub async fn read_of_ticket(
    db: &Database,
    user_id: i64,
    ticket_id: i64,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let any = db
        .run(move |conn| {
            Ok(notifications::any_unread_of_ticket(
                conn, user_id, ticket_id,
            )?)
        })
        .await?;
    if !any {
        return Ok(0);
    }
    let at = now.naive_utc();
    db.run_write(move |conn| {
        Ok(write_transaction(conn, |conn| {
            notifications::mark_all_read(conn, user_id, Some(ticket_id), at)
        })?)
    })
    .await
}
