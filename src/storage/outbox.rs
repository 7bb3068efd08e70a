//! The outbox: messages waiting to be sent, one row per recipient and
//! channel (e-mail, a department's group robot, an SMS), each channel
//! claimed on its own.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{delivery_channels, notification_preferences, outbox_messages, users};
use crate::domain::notify::Audience;
use crate::domain::role::Role;

/// Kinds whose parameters carry a one-time link (see `MailKind::is_secret`).
pub const SECRET_KINDS: [&str; 2] = ["activation", "password_reset"];

// Nulls rather than DEFAULT for `None`: only then can diesel write many
// rows in one statement on SQLite (otherwise it inserts row by row).
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = outbox_messages, treat_none_as_default_value = false)]
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
    /// `email`, `wecom`, `dingtalk`, `feishu` or `sms`.
    pub channel: String,
    /// The robot a robot row goes through.
    pub robot_id: Option<i64>,
}

/// A message on another channel than e-mail (an e-mail row is a
/// [`NewMessage`], whose channel is the column's default).
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = outbox_messages, treat_none_as_default_value = false)]
pub struct NewChannelMessage {
    pub channel: String,
    pub robot_id: Option<i64>,
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

/// A user a notice may reach.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Reachable {
    pub id: i64,
    pub email: String,
    pub locale: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

impl Reachable {
    pub fn is_in(&self, audience: &Audience) -> bool {
        match *audience {
            Audience::User(id) => self.id == id,
            Audience::Handlers(d) => {
                self.department_id == Some(d) && matches!(self.role, Role::Officer | Role::Lead)
            }
            Audience::Overseers(d) => {
                self.department_id == Some(d) && matches!(self.role, Role::Lead | Role::Supervisor)
            }
            Audience::Leads(d) => self.department_id == Some(d) && self.role == Role::Lead,
            Audience::Enterprise(e) => {
                self.enterprise_id == Some(e) && self.role == Role::Enterprise
            }
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
            Audience::Handlers(d) | Audience::Overseers(d) | Audience::Leads(d) => {
                departments.push(d)
            }
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

pub fn insert_channel_messages(
    conn: &mut AnyConnection,
    rows: &[NewChannelMessage],
) -> QueryResult<()> {
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

/// Claims up to `limit` messages of any channel that are due (see
/// [`claim_channel`]).
pub fn claim(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    claim_due(conn, None, now, lease_until, limit)
}

/// Claims up to `limit` messages of one channel that are due, for one
/// worker until `lease_until`: moving `next_attempt_at` to the lease's end
/// hides them from other workers, and brings them back if this one dies. On
/// PostgreSQL the rows are locked with `SKIP LOCKED`, so concurrent workers
/// take different ones. Each channel is claimed on its own, so a channel
/// that is down (its messages waiting for their next attempt) never stands
/// in front of another's.
pub fn claim_channel(
    conn: &mut AnyConnection,
    channel: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    claim_due(conn, Some(channel), now, lease_until, limit)
}

fn claim_due(
    conn: &mut AnyConnection,
    channel: Option<&str>,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let channels: Vec<String> = match channel {
        Some(c) => vec![c.to_string()],
        None => crate::domain::channels::Channel::ALL
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
    };
    macro_rules! due {
        () => {
            outbox_messages::table
                .filter(outbox_messages::status.eq("pending"))
                .filter(outbox_messages::channel.eq_any(&channels))
                .filter(outbox_messages::next_attempt_at.le(now))
                .order((
                    outbox_messages::next_attempt_at.asc(),
                    outbox_messages::id.asc(),
                ))
                .limit(limit)
                .select(outbox_messages::id)
        };
    }
    let ids: Vec<i64> = super::dialect::claim!(conn, due!())?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(outbox_messages::table.filter(outbox_messages::id.eq_any(&ids)))
        .set((
            outbox_messages::next_attempt_at.eq(lease_until),
            outbox_messages::lease_until.eq(lease_until),
        ))
        .execute(conn)?;
    outbox_messages::table
        .filter(outbox_messages::id.eq_any(&ids))
        .order(outbox_messages::id.asc())
        .select(Message::as_select())
        .load(conn)
}

/// Whether a channel has a message due: a plain read, so that an idle
/// channel's worker takes no write lock.
pub fn any_due(conn: &mut AnyConnection, channel: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        outbox_messages::table
            .filter(outbox_messages::status.eq("pending"))
            .filter(outbox_messages::channel.eq(channel))
            .filter(outbox_messages::next_attempt_at.le(now)),
    ))
    .get_result(conn)
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    Sent { wipe_params: bool },
    Retry { at: NaiveDateTime, error: String },
    Dead { error: String },
}

/// Records an attempt on a message this worker still holds (the lease it
/// claimed with); false when the lease was lost meanwhile.
pub fn finish(
    conn: &mut AnyConnection,
    id: i64,
    lease: NaiveDateTime,
    attempt: &Attempt,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let held = outbox_messages::table
        .filter(outbox_messages::id.eq(id))
        .filter(outbox_messages::status.eq("pending"))
        .filter(outbox_messages::lease_until.eq(lease));
    let n = match attempt {
        Attempt::Sent { wipe_params } => {
            let n = diesel::update(held)
                .set((
                    outbox_messages::status.eq("sent"),
                    outbox_messages::sent_at.eq(now),
                    outbox_messages::attempts.eq(outbox_messages::attempts + 1),
                    outbox_messages::lease_until.eq(None::<NaiveDateTime>),
                    outbox_messages::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
            if *wipe_params && n > 0 {
                // The link in an account e-mail is a credential; once it has
                // gone, the outbox need not keep it.
                diesel::update(outbox_messages::table.find(id))
                    .set(outbox_messages::params.eq("{}"))
                    .execute(conn)?;
            }
            n
        }
        Attempt::Retry { at, error } => diesel::update(held)
            .set((
                outbox_messages::attempts.eq(outbox_messages::attempts + 1),
                outbox_messages::next_attempt_at.eq(at),
                outbox_messages::lease_until.eq(None::<NaiveDateTime>),
                outbox_messages::last_error.eq(error),
            ))
            .execute(conn)?,
        Attempt::Dead { error } => {
            let n = diesel::update(held)
                .set((
                    outbox_messages::status.eq("dead"),
                    outbox_messages::attempts.eq(outbox_messages::attempts + 1),
                    outbox_messages::lease_until.eq(None::<NaiveDateTime>),
                    outbox_messages::last_error.eq(error),
                ))
                .execute(conn)?;
            // A dead account e-mail's link must not linger either: the
            // person asks for a new one.
            diesel::update(
                outbox_messages::table
                    .filter(outbox_messages::id.eq(id))
                    .filter(outbox_messages::notice.eq_any(SECRET_KINDS)),
            )
            .set(outbox_messages::params.eq("{}"))
            .execute(conn)?;
            n
        }
    };
    Ok(n == 1)
}

/// Gives a claimed message back unsent, due again at `now`; false if the
/// lease was lost meanwhile.
pub fn release(
    conn: &mut AnyConnection,
    id: i64,
    lease: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        outbox_messages::table
            .filter(outbox_messages::id.eq(id))
            .filter(outbox_messages::status.eq("pending"))
            .filter(outbox_messages::lease_until.eq(lease)),
    )
    .set((
        outbox_messages::next_attempt_at.eq(now),
        outbox_messages::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Messages of one status (and channel), newest first, after the cursor id.
pub fn list(
    conn: &mut AnyConnection,
    status: &str,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    list_of(conn, status, None, before_id, limit)
}

pub fn list_of(
    conn: &mut AnyConnection,
    status: &str,
    channel: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let mut q = outbox_messages::table
        .filter(outbox_messages::status.eq(status))
        .into_boxed();
    if let Some(c) = channel {
        q = q.filter(outbox_messages::channel.eq(c.to_string()));
    }
    if let Some(before) = before_id {
        q = q.filter(outbox_messages::id.lt(before));
    }
    q.order(outbox_messages::id.desc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Message>> {
    outbox_messages::table
        .find(id)
        .select(Message::as_select())
        .first(conn)
        .optional()
}

/// Puts a dead message back in the queue with a fresh count of attempts.
pub fn resend(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        outbox_messages::table
            .filter(outbox_messages::id.eq(id))
            .filter(outbox_messages::status.eq("dead"))
            .filter(outbox_messages::notice.ne_all(SECRET_KINDS)),
    )
    .set((
        outbox_messages::status.eq("pending"),
        outbox_messages::attempts.eq(0),
        outbox_messages::next_attempt_at.eq(now),
        outbox_messages::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many messages are in each status.
pub fn counts(conn: &mut AnyConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox_messages::table
        .group_by(outbox_messages::status)
        .select((outbox_messages::status, diesel::dsl::count_star()))
        .load(conn)
}

/// How many messages each channel has in each status: (channel, status, n).
pub fn counts_by_channel(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String, i64)>> {
    outbox_messages::table
        .group_by((outbox_messages::channel, outbox_messages::status))
        .select((
            outbox_messages::channel,
            outbox_messages::status,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

/// Parks what still waits for a robot that was removed.
pub fn bury_robot_messages(
    conn: &mut AnyConnection,
    robot_id: i64,
    error: &str,
) -> QueryResult<usize> {
    diesel::update(
        outbox_messages::table
            .filter(outbox_messages::robot_id.eq(robot_id))
            .filter(outbox_messages::status.eq("pending")),
    )
    .set((
        outbox_messages::status.eq("dead"),
        outbox_messages::lease_until.eq(None::<NaiveDateTime>),
        outbox_messages::last_error.eq(error),
    ))
    .execute(conn)
}

/// The channels this deployment sends (written at start from its configuration).
pub fn channels_on(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    delivery_channels::table
        .filter(delivery_channels::enabled.eq(true))
        .select(delivery_channels::channel)
        .load(conn)
}

/// Turns a channel on or off; false when it is not a channel.
pub fn set_channel(
    conn: &mut AnyConnection,
    channel: &str,
    enabled: bool,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(delivery_channels::table.find(channel))
        .set((
            delivery_channels::enabled.eq(enabled),
            delivery_channels::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
