//! Each sign-for window a ticket went through and the department that held
//! it: a department's response rate counts the windows it held, so that a
//! ticket sent up carries its late sign-for with the department that was late.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::sign_windows;

/// Opens a window: the ticket now waits for `department_id` to sign for it.
pub fn open(
    conn: &mut AnyConnection,
    ticket_id: i64,
    department_id: i64,
    opened_at: NaiveDateTime,
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sign_windows::table)
        .values((
            sign_windows::ticket_id.eq(ticket_id),
            sign_windows::department_id.eq(department_id),
            sign_windows::opened_at.eq(opened_at),
            sign_windows::due_at.eq(due_at),
        ))
        .execute(conn)
        .map(drop)
}

/// The ticket's open window was answered (signed for, sent on, rejected).
pub fn answer(conn: &mut AnyConnection, ticket_id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        sign_windows::table
            .filter(sign_windows::ticket_id.eq(ticket_id))
            .filter(sign_windows::answered_at.is_null()),
    )
    .set(sign_windows::answered_at.eq(at))
    .execute(conn)
    .map(drop)
}

/// The open window's deadline moved (a new work calendar).
pub fn move_due(
    conn: &mut AnyConnection,
    ticket_id: i64,
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    let open: Option<i64> = sign_windows::table
        .filter(sign_windows::ticket_id.eq(ticket_id))
        .filter(sign_windows::answered_at.is_null())
        .order(sign_windows::id.desc())
        .select(sign_windows::id)
        .first(conn)
        .optional()?;
    if let Some(id) = open {
        diesel::update(sign_windows::table.find(id))
            .set(sign_windows::due_at.eq(due_at))
            .execute(conn)?;
    }
    Ok(())
}
