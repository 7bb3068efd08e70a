//! Log-in throttle state, shared by every instance through the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::connection::AnyConnection;
use super::schema::login_throttles;
use crate::domain::throttle::{after_failure, ThrottlePolicy, ThrottleState};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttles)]
struct Row {
    key: String,
    failures: i32,
    window_started_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

impl From<&Row> for ThrottleState {
    fn from(r: &Row) -> Self {
        ThrottleState {
            failures: r.failures,
            window_started_at: r.window_started_at.and_utc(),
            locked_until: r.locked_until.map(|t| t.and_utc()),
            last_failure_at: r.updated_at.and_utc(),
        }
    }
}

pub fn load(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<ThrottleState>> {
    Ok(login_throttles::table
        .find(key)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .as_ref()
        .map(ThrottleState::from))
}

/// Counts one failure for the key; returns the new state. Concurrent
/// failures on several instances each count: the read and write happen in
/// one write transaction, and a racing first insert is retried as an update.
pub fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
    policy: &ThrottlePolicy,
) -> QueryResult<ThrottleState> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = super::write_transaction(conn, |conn| {
            let current = lock_row(conn, key)?;
            let next = after_failure(
                current.as_ref().map(ThrottleState::from).as_ref(),
                now.and_utc(),
                policy,
            );
            let row = Row {
                key: key.to_string(),
                failures: next.failures,
                window_started_at: next.window_started_at.naive_utc(),
                locked_until: next.locked_until.map(|t| t.naive_utc()),
                updated_at: now,
            };
            if current.is_some() {
                diesel::update(login_throttles::table.find(key))
                    .set(&row)
                    .execute(conn)?;
            } else {
                diesel::insert_into(login_throttles::table)
                    .values(&row)
                    .execute(conn)?;
            }
            Ok(next)
        });
        match result {
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) if attempts < 3 => {
                continue
            }
            other => return other,
        }
    }
}

/// Reads the row, locking it on PostgreSQL (SQLite's write transaction
/// already holds the database lock).
fn lock_row(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<Row>> {
    super::dialect::locked!(
        conn,
        login_throttles::table.find(key).select(Row::as_select()),
        first
    )
    .optional()
}

/// Forgets the failures of a key (after a successful log-in).
pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(login_throttles::table.find(key)).execute(conn)
}
