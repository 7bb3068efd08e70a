//! The outbox: messages waiting to be sent, one row per recipient.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{notification_preferences, outbox_messages, users};
use crate::domain::notify::Audience;

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = outbox_messages)]
pub struct NewMessage {
    pub notice: String,
    pub ticket_id: Option<i64>,
    pub recipient_user_id: Option<i64>,
    pub to_address: String,
    pub locale: String,
    pub params: String,
    pub status: String,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = outbox_messages)]
pub struct Message {
    pub id: i64,
    pub notice: String,
    pub ticket_id: Option<i64>,
    pub recipient_user_id: Option<i64>,
    pub to_address: String,
    pub locale: String,
    pub params: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// A user a notice may reach.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Reachable {
    pub id: i64,
    pub email: String,
    pub locale: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

impl Reachable {
    pub fn is_in(&self, audience: &Audience) -> bool {
        match *audience {
            Audience::User(id) => self.id == id,
            Audience::Handlers(d) => {
                self.department_id == Some(d) && matches!(self.role.as_str(), "officer" | "lead")
            }
            Audience::Overseers(d) => {
                self.department_id == Some(d) && matches!(self.role.as_str(), "lead" | "supervisor")
            }
            Audience::Enterprise(e) => self.enterprise_id == Some(e) && self.role == "enterprise",
        }
    }
}

/// The active users any of these audiences names, in one query.
pub fn reachable(conn: &mut AnyConnection, audiences: &[Audience]) -> QueryResult<Vec<Reachable>> {
    if audiences.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    let mut departments = Vec::new();
    let mut enterprises = Vec::new();
    for a in audiences {
        match *a {
            Audience::User(id) => ids.push(id),
            Audience::Handlers(d) | Audience::Overseers(d) => departments.push(d),
            Audience::Enterprise(e) => enterprises.push(e),
        }
    }
    users::table
        .filter(users::active.eq(true))
        .filter(
            users::id
                .eq_any(ids)
                .or(users::department_id.assume_not_null().eq_any(departments))
                .or(users::enterprise_id.assume_not_null().eq_any(enterprises)),
        )
        .select((
            users::id,
            users::email,
            users::locale,
            users::role,
            users::department_id,
            users::enterprise_id,
        ))
        .load(conn)
}

/// (user, notice) pairs among these users that are turned off.
pub fn turned_off(conn: &mut AnyConnection, user_ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    notification_preferences::table
        .filter(notification_preferences::user_id.eq_any(user_ids))
        .filter(notification_preferences::enabled.eq(false))
        .select((
            notification_preferences::user_id,
            notification_preferences::notice,
        ))
        .load(conn)
}

pub fn insert_all(conn: &mut AnyConnection, rows: &[NewMessage]) -> QueryResult<()> {
    insert_batches!(conn, outbox_messages::table, rows);
    Ok(())
}

pub fn of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<Vec<Message>> {
    outbox_messages::table
        .filter(outbox_messages::ticket_id.eq(ticket_id))
        .order(outbox_messages::id.asc())
        .select(Message::as_select())
        .load(conn)
}

/// Sets a user's choice for one notice.
pub fn set_preference(
    conn: &mut AnyConnection,
    user_id: i64,
    notice: &str,
    enabled: bool,
) -> QueryResult<()> {
    let n = diesel::update(notification_preferences::table.find((user_id, notice)))
        .set(notification_preferences::enabled.eq(enabled))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(notification_preferences::table)
            .values((
                notification_preferences::user_id.eq(user_id),
                notification_preferences::notice.eq(notice),
                notification_preferences::enabled.eq(enabled),
            ))
            .execute(conn)?;
    }
    Ok(())
}
