//! Tickets, their departments, their event log, numbers and idempotency keys.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::codes::Codes;
use super::connection::{AnyConnection, MultiBackend};
use super::schema::{
    idempotency_keys, ticket_counters, ticket_departments, ticket_events, tickets,
};
use crate::domain::routing::Urgency;
use crate::domain::ticket::{Involvement, Satisfaction, Status};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Ticket {
    pub id: i64,
    pub number: String,
    pub enterprise_id: i64,
    pub filer_id: i64,
    pub category: String,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    pub place_code: String,
    pub regions_involved: Codes,
    pub chains: Codes,
    pub whitelisted: bool,
    pub status: Status,
    pub version: i32,
    pub handling_department_id: i64,
    pub sent_from_department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub sla_policy: Option<String>,
    pub sign_due_at: Option<NaiveDateTime>,
    pub resolve_due_at: Option<NaiveDateTime>,
    pub extension_pending: bool,
    pub overdue: bool,
    pub escalation_level: i32,
    pub urged_count: i32,
    pub reopened_count: i32,
    pub sent_on_count: i32,
    pub rating: Option<Satisfaction>,
    pub solved: Option<bool>,
    pub filed_at: NaiveDateTime,
    pub signed_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// What the scanner and notices need of a ticket.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketSummary {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: Status,
    pub urgency: Urgency,
    pub handling_department_id: i64,
    pub assignee_id: Option<i64>,
    pub sla_policy: Option<String>,
    pub sign_due_at: Option<NaiveDateTime>,
    pub resolve_due_at: Option<NaiveDateTime>,
    pub overdue: bool,
    pub escalation_level: i32,
}

impl From<&Ticket> for TicketSummary {
    fn from(t: &Ticket) -> Self {
        TicketSummary {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            status: t.status,
            urgency: t.urgency,
            handling_department_id: t.handling_department_id,
            assignee_id: t.assignee_id,
            sla_policy: t.sla_policy.clone(),
            sign_due_at: t.sign_due_at,
            resolve_due_at: t.resolve_due_at,
            overdue: t.overdue,
            escalation_level: t.escalation_level,
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tickets)]
pub struct NewTicket {
    pub number: String,
    pub enterprise_id: i64,
    pub filer_id: i64,
    pub category: String,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    pub place_code: String,
    pub regions_involved: Codes,
    pub chains: Codes,
    pub whitelisted: bool,
    pub status: Status,
    pub handling_department_id: i64,
    pub sla_policy: Option<String>,
    pub sign_due_at: Option<NaiveDateTime>,
    pub resolve_due_at: Option<NaiveDateTime>,
    pub filed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields an action may change, written with the version check.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true)]
pub struct TicketChange {
    pub status: Status,
    pub version: i32,
    pub handling_department_id: i64,
    pub sent_from_department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub extension_pending: bool,
    pub sign_due_at: Option<NaiveDateTime>,
    pub resolve_due_at: Option<NaiveDateTime>,
    pub overdue: bool,
    pub escalation_level: i32,
    pub urged_count: i32,
    pub reopened_count: i32,
    pub sent_on_count: i32,
    pub rating: Option<Satisfaction>,
    pub solved: Option<bool>,
    pub signed_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = ticket_events)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub seq: i32,
    pub action: String,
    pub actor_id: Option<i64>,
    pub actor_department_id: Option<i64>,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub note: Option<String>,
    pub detail: Option<String>,
    pub internal: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ticket_events)]
pub struct NewTicketEvent {
    pub ticket_id: i64,
    pub seq: i32,
    pub action: String,
    pub actor_id: Option<i64>,
    pub actor_department_id: Option<i64>,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub note: Option<String>,
    pub detail: Option<String>,
    pub internal: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_departments)]
pub struct TicketDepartment {
    pub ticket_id: i64,
    pub department_id: i64,
    pub role: Involvement,
    pub opinion: Option<String>,
    pub opinion_posted: bool,
    pub released: bool,
}

/// A condition on tickets: which ones a caller may see.
pub type Visibility =
    Box<dyn BoxableExpression<tickets::table, MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// Queue filters; the caller's visibility arrives as `visible_to`.
#[derive(Debug, Default, Clone)]
pub struct TicketFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub overdue: Option<bool>,
    /// Only open tickets (to sign for, handling, awaiting information:
    /// the tabs, the dashboard's 在办 links), or (false) only the others.
    pub open: Option<bool>,
    pub whitelisted: Option<bool>,
    /// An extension request awaits a decision.
    pub extension_pending: Option<bool>,
    pub chain: Option<String>,
    pub place_prefix: Option<String>,
    pub assignee_id: Option<i64>,
    pub handling_department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    /// Filed at or after this instant.
    pub filed_from: Option<NaiveDateTime>,
    /// Filed before this instant.
    pub filed_before: Option<NaiveDateTime>,
    /// First resolved (`ticket_metrics`) at or after this instant.
    pub resolved_from: Option<NaiveDateTime>,
    /// First resolved before this instant.
    pub resolved_before: Option<NaiveDateTime>,
    /// Words (separated by spaces), each in the title, description, number
    /// (its start), enterprise name or credit code: tickets with all of them.
    pub text: Option<String>,
    /// Only these tickets.
    pub ids: Option<Vec<i64>>,
    /// Only tickets not finished (open or resolved): the workbench's
    /// default, without closed, rejected and withdrawn ones.
    pub unfinished: bool,
    /// Only urged tickets (督办).
    pub urged: bool,
    /// Only tickets on which this department owes its co-handling opinion.
    pub opinion_owed_by: Option<i64>,
    /// Only tickets whose extension request this lead's department decides
    /// (handled by a department just below it; the ministry its own).
    pub extension_decided_by: Option<i64>,
    /// Only tickets near their deadline (临期): past the running window's
    /// warning time, not overdue.
    pub near: bool,
    /// The instant `near` is judged at (the app's clock); now when unset.
    pub now: Option<NaiveDateTime>,
    pub after_id: Option<i64>,
    /// With `by_deadline`: the resolve deadline of `after_id`'s ticket, as
    /// the client's cursor carries it (the ticket is never looked up).
    pub after_due: Option<NaiveDateTime>,
    /// Nearest resolve deadline first (tickets with a deadline), instead of newest first.
    pub by_deadline: bool,
    pub limit: i64,
}

impl Ticket {
    /// How many of the enterprise's tickets wait for someone to act.
    /// The enterprise's open tickets, counted no further than `cap + 1`.
    pub fn open_count_of_enterprise(
        conn: &mut AnyConnection,
        enterprise_id: i64,
        cap: i64,
    ) -> QueryResult<i64> {
        Ok(tickets::table
            .filter(tickets::enterprise_id.eq(enterprise_id))
            .filter(tickets::status.eq_any(["pending_sign", "handling", "awaiting_info"]))
            .select(tickets::id)
            .limit(cap + 1)
            .load::<i64>(conn)?
            .len() as i64)
    }

    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Ticket>> {
        tickets::table
            .find(id)
            .select(Ticket::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewTicket) -> QueryResult<Ticket> {
        diesel::insert_into(tickets::table)
            .values(new)
            .returning(tickets::all_columns)
            .get_result(conn)
    }

    /// Writes the change if the ticket still has `version`; false when
    /// someone else changed it first.
    pub fn update_if_version(
        conn: &mut AnyConnection,
        id: i64,
        version: i32,
        change: &TicketChange,
    ) -> QueryResult<bool> {
        let n = diesel::update(tickets::table.find(id).filter(tickets::version.eq(version)))
            .set(change)
            .execute(conn)?;
        Ok(n == 1)
    }

    /// Sets the SLA flags (and, for auto-closing, the status) of several
    /// tickets, moving their versions on: what an officer read is stale.
    pub fn mark_all(
        conn: &mut AnyConnection,
        ids: &[i64],
        status: Status,
        overdue: bool,
        escalation_level: i32,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        let mut n = 0;
        for chunk in ids.chunks(crate::storage::INSERT_BATCH) {
            n += diesel::update(tickets::table.filter(tickets::id.eq_any(chunk)))
                .set((
                    tickets::status.eq(status),
                    tickets::overdue.eq(overdue),
                    tickets::escalation_level.eq(escalation_level),
                    tickets::version.eq(tickets::version + 1),
                    tickets::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(n)
    }

    /// Several tickets by id, without their descriptions.
    pub fn summaries(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<TicketSummary>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(crate::storage::INSERT_BATCH) {
            out.extend(
                tickets::table
                    .filter(tickets::id.eq_any(chunk))
                    .select(TicketSummary::as_select())
                    .load(conn)?,
            );
        }
        Ok(out)
    }
}

impl TicketEvent {
    /// Writes a new ticket's first event (number 1), with no lookup.
    pub fn first(conn: &mut AnyConnection, mut new: NewTicketEvent) -> QueryResult<TicketEvent> {
        new.seq = 1;
        diesel::insert_into(ticket_events::table)
            .values(&new)
            .returning(ticket_events::all_columns)
            .get_result(conn)
    }

    /// Appends an event with the next sequence number of its ticket.
    pub fn append(conn: &mut AnyConnection, mut new: NewTicketEvent) -> QueryResult<TicketEvent> {
        let last: Option<i32> = ticket_events::table
            .filter(ticket_events::ticket_id.eq(new.ticket_id))
            .select(diesel::dsl::max(ticket_events::seq))
            .first(conn)?;
        new.seq = last.unwrap_or(0) + 1;
        diesel::insert_into(ticket_events::table)
            .values(&new)
            .returning(ticket_events::all_columns)
            .get_result(conn)
    }

    /// Appends events to several tickets at once, numbering each ticket's
    /// after its last. The caller holds the tickets (their clock rows).
    pub fn append_all(
        conn: &mut AnyConnection,
        mut events: Vec<NewTicketEvent>,
    ) -> QueryResult<()> {
        let mut ids: Vec<i64> = events.iter().map(|e| e.ticket_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut last: std::collections::HashMap<i64, i32> = std::collections::HashMap::new();
        for chunk in ids.chunks(crate::storage::INSERT_BATCH) {
            let rows: Vec<(i64, Option<i32>)> = ticket_events::table
                .filter(ticket_events::ticket_id.eq_any(chunk))
                .group_by(ticket_events::ticket_id)
                .select((
                    ticket_events::ticket_id,
                    diesel::dsl::max(ticket_events::seq),
                ))
                .load(conn)?;
            last.extend(rows.into_iter().map(|(t, m)| (t, m.unwrap_or(0))));
        }
        for e in &mut events {
            let seq = last.entry(e.ticket_id).or_insert(0);
            *seq += 1;
            e.seq = *seq;
        }
        insert_batches!(conn, ticket_events::table, events);
        Ok(())
    }

    pub fn of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<Vec<TicketEvent>> {
        ticket_events::table
            .filter(ticket_events::ticket_id.eq(ticket_id))
            .order(ticket_events::seq.asc())
            .select(TicketEvent::as_select())
            .load(conn)
    }
}

impl TicketDepartment {
    pub fn of_ticket(
        conn: &mut AnyConnection,
        ticket_id: i64,
    ) -> QueryResult<Vec<TicketDepartment>> {
        ticket_departments::table
            .filter(ticket_departments::ticket_id.eq(ticket_id))
            .select(TicketDepartment::as_select())
            .load(conn)
    }

    /// Records a row unless it is there already.
    pub fn put(conn: &mut AnyConnection, row: &TicketDepartment) -> QueryResult<()> {
        let existing = ticket_departments::table
            .find((row.ticket_id, row.department_id, row.role))
            .select(TicketDepartment::as_select())
            .first(conn)
            .optional()?;
        match existing {
            None => {
                diesel::insert_into(ticket_departments::table)
                    .values(row)
                    .execute(conn)?;
            }
            Some(_) => {
                diesel::update(ticket_departments::table.find((
                    row.ticket_id,
                    row.department_id,
                    row.role,
                )))
                .set((
                    ticket_departments::opinion.eq(row.opinion.clone()),
                    ticket_departments::opinion_posted.eq(row.opinion_posted),
                    ticket_departments::released.eq(row.released),
                ))
                .execute(conn)?;
            }
        }
        Ok(())
    }
}

/// The next sequence number for tickets filed in the county on the day, in
/// one statement (an upsert returning the new last number). Runs inside the
/// filing's write transaction: the counter row stays locked to commit, so
/// numbers are dense and never given twice.
pub fn next_number(conn: &mut AnyConnection, county: &str, day: &str) -> QueryResult<i32> {
    use diesel::upsert::excluded;
    super::dialect::on_each_backend!(conn, |c| diesel::insert_into(ticket_counters::table)
        .values((
            ticket_counters::county_code.eq(county),
            ticket_counters::day.eq(day),
            ticket_counters::last.eq(1),
        ))
        .on_conflict((ticket_counters::county_code, ticket_counters::day))
        .do_update()
        .set(ticket_counters::last.eq(ticket_counters::last + excluded(ticket_counters::last)))
        .returning(ticket_counters::last)
        .get_result(c))
}

pub fn is_unique_violation(e: &Error) -> bool {
    matches!(
        e,
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// The ticket a user's earlier filing with this key created.
/// The ticket filed under the caller's key, and the fingerprint of what
/// was filed (empty for keys stored before fingerprints).
pub fn idempotent_ticket(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
) -> QueryResult<Option<(i64, String)>> {
    idempotency_keys::table
        .find((user_id, key))
        .select((idempotency_keys::ticket_id, idempotency_keys::fingerprint))
        .first(conn)
        .optional()
}

pub fn remember_key(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    fingerprint: &str,
    ticket_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::ticket_id.eq(ticket_id),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(conn)
}
