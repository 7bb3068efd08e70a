//! Pending recomputes of deadlines after a calendar load, with the calendar
//! as it was (see migration 22).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{calendar_recomputes, tickets};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_recomputes)]
pub struct Recompute {
    pub id: i64,
    pub years: String,
    pub previous_days: String,
    pub due_from: NaiveDateTime,
    pub after_ticket_id: i64,
    pub moved: i32,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = calendar_recomputes)]
pub struct NewRecompute {
    pub years: String,
    pub previous_days: String,
    pub due_from: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl Recompute {
    pub fn insert(conn: &mut AnyConnection, r: &NewRecompute) -> QueryResult<()> {
        diesel::insert_into(calendar_recomputes::table)
            .values(r)
            .execute(conn)
            .map(drop)
    }

    /// The oldest recompute not finished.
    pub fn next_open(conn: &mut AnyConnection) -> QueryResult<Option<Recompute>> {
        calendar_recomputes::table
            .filter(calendar_recomputes::finished_at.is_null())
            .order(calendar_recomputes::id.asc())
            .select(Recompute::as_select())
            .first(conn)
            .optional()
    }

    /// Moves the recompute on past `last_id`, if no one else did first
    /// (several instances may run it); false when someone did.
    pub fn advance(
        conn: &mut AnyConnection,
        r: &Recompute,
        last_id: i64,
        moved: i32,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            calendar_recomputes::table
                .find(r.id)
                .filter(calendar_recomputes::after_ticket_id.eq(r.after_ticket_id))
                .filter(calendar_recomputes::finished_at.is_null()),
        )
        .set((
            calendar_recomputes::after_ticket_id.eq(last_id),
            calendar_recomputes::moved.eq(calendar_recomputes::moved + moved),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    pub fn finish(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(calendar_recomputes::table.find(id))
            .set(calendar_recomputes::finished_at.eq(Some(at)))
            .execute(conn)
            .map(drop)
    }

    /// The next open tickets (by id, after `r`'s mark) with a deadline at
    /// or after its `due_from`.
    pub fn next_tickets(
        conn: &mut AnyConnection,
        r: &Recompute,
        limit: i64,
    ) -> QueryResult<Vec<i64>> {
        tickets::table
            .filter(tickets::id.gt(r.after_ticket_id))
            .filter(tickets::status.eq_any(crate::domain::ticket::Status::OPEN))
            .filter(
                tickets::sign_due_at
                    .ge(r.due_from)
                    .or(tickets::resolve_due_at.ge(r.due_from)),
            )
            .order(tickets::id.asc())
            .limit(limit)
            .select(tickets::id)
            .load(conn)
    }
}

/// Writes a ticket's recomputed deadlines and standing, moving its version
/// on so that an action computed from the old deadlines fails its check.
pub fn set_deadlines(
    conn: &mut AnyConnection,
    id: i64,
    sign_due: NaiveDateTime,
    resolve_due: NaiveDateTime,
    overdue: bool,
    escalation_level: i32,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(tickets::table.find(id))
        .set((
            tickets::sign_due_at.eq(Some(sign_due)),
            tickets::resolve_due_at.eq(Some(resolve_due)),
            tickets::overdue.eq(overdue),
            tickets::escalation_level.eq(escalation_level),
            tickets::version.eq(tickets::version + 1),
            tickets::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}
