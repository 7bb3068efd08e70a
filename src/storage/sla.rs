//! The work calendar, SLA policies, ticket clocks and SLA events.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{calendar_days, sla_events, sla_policies, ticket_clocks};
use crate::domain::calendar::{DayKind, MarkedDay};
use crate::domain::sla::{Clocks, Policy, Target, Unit, Window};

pub fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_days)]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub note: String,
    pub updated_at: NaiveDateTime,
}

impl CalendarDay {
    pub fn of(d: &MarkedDay, at: NaiveDateTime) -> CalendarDay {
        CalendarDay {
            day: d.date,
            kind: d.kind,
            note: d.note.clone(),
            updated_at: at,
        }
    }

    pub fn marked(&self) -> MarkedDay {
        MarkedDay {
            date: self.day,
            kind: self.kind,
            note: self.note.clone(),
        }
    }

    pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<CalendarDay>> {
        calendar_days::table
            .order(calendar_days::day.asc())
            .select(CalendarDay::as_select())
            .load(conn)
    }

    pub fn of_year(conn: &mut AnyConnection, year: i32) -> QueryResult<Vec<CalendarDay>> {
        let (first, last) = year_bounds(year);
        calendar_days::table
            .filter(calendar_days::day.between(first, last))
            .order(calendar_days::day.asc())
            .select(CalendarDay::as_select())
            .load(conn)
    }

    /// How many days are marked.
    pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
        calendar_days::table.count().get_result(conn)
    }

    /// Replaces the marked days of one year. Run inside a transaction.
    pub fn replace_year(
        conn: &mut AnyConnection,
        year: i32,
        days: &[CalendarDay],
    ) -> QueryResult<usize> {
        let (first, last) = year_bounds(year);
        diesel::delete(calendar_days::table.filter(calendar_days::day.between(first, last)))
            .execute(conn)?;
        for d in days {
            diesel::insert_into(calendar_days::table)
                .values(d)
                .execute(conn)?;
        }
        Ok(days.len())
    }
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    (first, last)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sla_policies)]
pub struct PolicyRow {
    pub name: String,
    pub sign_value: i64,
    pub sign_unit: Unit,
    pub resolve_value: i64,
    pub resolve_unit: Unit,
    pub warning_percent: i32,
    pub escalation_working_days: i32,
    pub updated_at: NaiveDateTime,
}

impl PolicyRow {
    pub fn of(p: &Policy, at: NaiveDateTime) -> PolicyRow {
        PolicyRow {
            name: p.name.clone(),
            sign_value: p.sign.value,
            sign_unit: p.sign.unit,
            resolve_value: p.resolve.value,
            resolve_unit: p.resolve.unit,
            warning_percent: p.warning_percent,
            escalation_working_days: p.escalation_working_days,
            updated_at: at,
        }
    }

    pub fn policy(&self) -> Policy {
        Policy {
            name: self.name.clone(),
            sign: Target {
                value: self.sign_value,
                unit: self.sign_unit,
            },
            resolve: Target {
                value: self.resolve_value,
                unit: self.resolve_unit,
            },
            warning_percent: self.warning_percent,
            escalation_working_days: self.escalation_working_days,
        }
    }

    pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<PolicyRow>> {
        sla_policies::table
            .order(sla_policies::name.asc())
            .select(PolicyRow::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<PolicyRow>> {
        sla_policies::table
            .find(name)
            .select(PolicyRow::as_select())
            .first(conn)
            .optional()
    }

    /// Creates or replaces; true when it was created.
    pub fn put(conn: &mut AnyConnection, row: &PolicyRow) -> QueryResult<bool> {
        let updated = diesel::update(sla_policies::table.find(&row.name))
            .set(row)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(sla_policies::table)
                .values(row)
                .execute(conn)?;
        }
        Ok(updated == 0)
    }
}

/// Loads the shipped calendar and the default policies into empty tables.
pub fn seed_if_empty(conn: &mut AnyConnection) -> QueryResult<()> {
    // Wall time: the database is prepared (migrate, start) before any app clock exists.
    let now = Utc::now().naive_utc();
    if CalendarDay::count(conn)? == 0 {
        let days: Vec<CalendarDay> = crate::seed::marked_days()
            .into_iter()
            .map(|d| CalendarDay::of(&d, now))
            .collect();
        insert_batches!(conn, calendar_days::table, days);
    }
    let have: i64 = sla_policies::table.count().get_result(conn)?;
    if have == 0 {
        for p in Policy::defaults() {
            PolicyRow::put(conn, &PolicyRow::of(&p, now))?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = ticket_clocks, treat_none_as_null = true)]
pub struct ClockRow {
    pub ticket_id: i64,
    pub policy: String,
    pub sign_round: i32,
    pub sign_started_at: NaiveDateTime,
    pub sign_warn_at: NaiveDateTime,
    pub sign_fired: i32,
    pub resolve_round: i32,
    pub resolve_started_at: NaiveDateTime,
    pub resolve_warn_at: NaiveDateTime,
    pub resolve_fired: i32,
    pub paused_at: Option<NaiveDateTime>,
    pub extension_days: Option<i32>,
    pub supervising_department_id: Option<i64>,
    pub bounce_department_id: Option<i64>,
    pub next_check_at: Option<NaiveDateTime>,
    /// When the ticket closed (rated or automatically); none while open.
    pub closed_at: Option<NaiveDateTime>,
}

impl ClockRow {
    /// The domain's clocks, with the deadlines kept on the ticket.
    pub fn clocks(&self, sign_due: NaiveDateTime, resolve_due: NaiveDateTime) -> Clocks {
        Clocks {
            sign: Window {
                round: self.sign_round,
                started_at: utc(self.sign_started_at),
                due_at: utc(sign_due),
                warn_at: utc(self.sign_warn_at),
                fired: self.sign_fired,
            },
            resolve: Window {
                round: self.resolve_round,
                started_at: utc(self.resolve_started_at),
                due_at: utc(resolve_due),
                warn_at: utc(self.resolve_warn_at),
                fired: self.resolve_fired,
            },
            paused_at: self.paused_at.map(utc),
            extension_days: self.extension_days,
        }
    }

    /// Copies the clocks' state in (deadlines go to the ticket).
    pub fn set_clocks(&mut self, c: &Clocks) {
        self.sign_round = c.sign.round;
        self.sign_started_at = naive(c.sign.started_at);
        self.sign_warn_at = naive(c.sign.warn_at);
        self.sign_fired = c.sign.fired;
        self.resolve_round = c.resolve.round;
        self.resolve_started_at = naive(c.resolve.started_at);
        self.resolve_warn_at = naive(c.resolve.warn_at);
        self.resolve_fired = c.resolve.fired;
        self.paused_at = c.paused_at.map(naive);
        self.extension_days = c.extension_days;
    }

    pub fn new(ticket_id: i64, policy: &str, c: &Clocks) -> ClockRow {
        let mut row = ClockRow {
            ticket_id,
            policy: policy.into(),
            sign_round: 0,
            sign_started_at: NaiveDateTime::MIN,
            sign_warn_at: NaiveDateTime::MIN,
            sign_fired: -1,
            resolve_round: 0,
            resolve_started_at: NaiveDateTime::MIN,
            resolve_warn_at: NaiveDateTime::MIN,
            resolve_fired: -1,
            paused_at: None,
            extension_days: None,
            supervising_department_id: None,
            bounce_department_id: None,
            next_check_at: None,
            closed_at: None,
        };
        row.set_clocks(c);
        row
    }

    pub fn find(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<Option<ClockRow>> {
        ticket_clocks::table
            .find(ticket_id)
            .select(ClockRow::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut AnyConnection, row: &ClockRow) -> QueryResult<()> {
        diesel::insert_into(ticket_clocks::table)
            .values(row)
            .execute(conn)
            .map(|_| ())
    }

    /// Writes the row, inserting it if the ticket had none.
    pub fn save(conn: &mut AnyConnection, row: &ClockRow) -> QueryResult<()> {
        let n = diesel::update(ticket_clocks::table.find(row.ticket_id))
            .set(row)
            .execute(conn)?;
        if n == 0 {
            ClockRow::insert(conn, row)?;
        }
        Ok(())
    }

    /// Locks the ticket's clock row on PostgreSQL, the first lock every
    /// ticket change takes (the scanner claims the same rows), so that two
    /// writers never wait for each other in opposite order.
    pub fn lock(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<()> {
        super::dialect::lock_ticket_clock(conn, ticket_id)
    }

    /// The earliest check any ticket's clocks wait for (the co-handlers'
    /// included).
    pub fn next_check(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDateTime>> {
        use super::schema::cohandling_clocks;
        let tickets: Option<NaiveDateTime> = ticket_clocks::table
            .select(diesel::dsl::min(ticket_clocks::next_check_at))
            .first(conn)?;
        let cohandling: Option<NaiveDateTime> = cohandling_clocks::table
            .select(diesel::dsl::min(cohandling_clocks::next_check_at))
            .first(conn)?;
        Ok(match (tickets, cohandling) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Marks tickets closed automatically at `at`: the late-rating window
    /// starts there.
    pub fn mark_closed(
        conn: &mut AnyConnection,
        ids: &[i64],
        at: NaiveDateTime,
    ) -> QueryResult<()> {
        for chunk in ids.chunks(crate::storage::INSERT_BATCH) {
            diesel::update(ticket_clocks::table.filter(ticket_clocks::ticket_id.eq_any(chunk)))
                .set(ticket_clocks::closed_at.eq(Some(at)))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Writes what a scan changes (fired levels, supervising department,
    /// next check) for a whole batch in one statement per 500 rows.
    pub fn update_scanned(conn: &mut AnyConnection, rows: &[ClockRow]) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Integer, Nullable, Timestamp};
        for chunk in rows.chunks(crate::storage::INSERT_BATCH) {
            const TYPES: [&str; 5] = ["bigint", "int", "int", "bigint", "timestamp"];
            let values: Vec<String> = (0..chunk.len())
                .map(|i| super::dialect::values_row(conn, i, &TYPES))
                .collect();
            let sql = format!(
                "WITH v (ticket_id, sign_fired, resolve_fired, supervising, next_check) AS (VALUES {}) \
                 UPDATE ticket_clocks SET sign_fired = v.sign_fired, resolve_fired = v.resolve_fired, \
                 supervising_department_id = v.supervising, next_check_at = v.next_check \
                 FROM v WHERE ticket_clocks.ticket_id = v.ticket_id",
                values.join(", ")
            );
            let mut q = diesel::sql_query(sql).into_boxed::<super::connection::MultiBackend>();
            for r in chunk {
                q = q
                    .bind::<BigInt, _>(r.ticket_id)
                    .bind::<Integer, _>(r.sign_fired)
                    .bind::<Integer, _>(r.resolve_fired)
                    .bind::<Nullable<BigInt>, _>(r.supervising_department_id)
                    .bind::<Nullable<Timestamp>, _>(r.next_check_at);
            }
            q.execute(conn)?;
        }
        Ok(())
    }

    /// Tickets whose next check is due, oldest first. On PostgreSQL the rows
    /// are locked and rows another scanner holds are skipped, so scanners
    /// share the work; SQLite's write transaction already excludes others.
    pub fn claim_due(
        conn: &mut AnyConnection,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<ClockRow>> {
        macro_rules! due {
            () => {
                ticket_clocks::table
                    .filter(ticket_clocks::next_check_at.le(now))
                    .order(ticket_clocks::next_check_at.asc())
                    .limit(limit)
                    .select(ClockRow::as_select())
            };
        }
        super::dialect::claim!(conn, due!())
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sla_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct NewSlaEvent {
    pub ticket_id: i64,
    pub kind: String,
    pub level: i32,
    pub round: i32,
    pub handling_department_id: i64,
    pub notified_department_id: i64,
    pub escalation_level: i32,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = sla_events)]
pub struct SlaEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: String,
    pub level: i32,
    pub round: i32,
    pub handling_department_id: i64,
    pub notified_department_id: i64,
    pub escalation_level: i32,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl SlaEvent {
    /// Records the event unless it happened already; true when recorded.
    pub fn record(conn: &mut AnyConnection, e: &NewSlaEvent) -> QueryResult<bool> {
        let n = super::dialect::on_each_backend!(conn, |c| diesel::insert_into(sla_events::table)
            .values(e)
            .on_conflict_do_nothing()
            .execute(c)?);
        Ok(n == 1)
    }

    /// Records the events that did not happen yet; returns those recorded
    /// now, as (ticket, kind, level, round).
    pub fn record_all(
        conn: &mut AnyConnection,
        events: &[NewSlaEvent],
    ) -> QueryResult<Vec<(i64, String, i32, i32)>> {
        let mut recorded = Vec::new();
        for chunk in events.chunks(crate::storage::INSERT_BATCH) {
            recorded.extend(super::dialect::insert_new_sla_events(conn, chunk)?);
        }
        Ok(recorded)
    }

    /// Events whose notices nobody has queued yet, oldest first (locked on
    /// PostgreSQL; others skip them).
    pub fn unqueued(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<SlaEvent>> {
        macro_rules! waiting {
            () => {
                sla_events::table
                    .filter(sla_events::queued_at.is_null())
                    .order(sla_events::id.asc())
                    .limit(limit)
                    .select(SlaEvent::as_select())
            };
        }
        super::dialect::claim!(conn, waiting!())
    }

    pub fn any_unqueued(conn: &mut AnyConnection) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            sla_events::table.filter(sla_events::queued_at.is_null()),
        ))
        .get_result(conn)
    }

    pub fn mark_queued(
        conn: &mut AnyConnection,
        ids: &[i64],
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(sla_events::table.filter(sla_events::id.eq_any(ids)))
            .set(sla_events::queued_at.eq(at))
            .execute(conn)
    }

    pub fn of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<Vec<SlaEvent>> {
        sla_events::table
            .filter(sla_events::ticket_id.eq(ticket_id))
            .order(sla_events::id.asc())
            .select(SlaEvent::as_select())
            .load(conn)
    }
}
