//! Co-handling clocks and their events as rows (migration 23).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{cohandling_clocks, cohandling_events};
use super::sla::{naive, utc};
use crate::domain::sla::Window;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = cohandling_clocks, treat_none_as_null = true)]
pub struct CohandlingClock {
    pub ticket_id: i64,
    pub department_id: i64,
    pub round: i32,
    pub started_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub warn_at: NaiveDateTime,
    pub fired: i32,
    pub answered_at: Option<NaiveDateTime>,
    pub released: bool,
    pub next_check_at: Option<NaiveDateTime>,
}

impl CohandlingClock {
    pub fn window(&self) -> Window {
        Window {
            round: self.round,
            started_at: utc(self.started_at),
            due_at: utc(self.due_at),
            warn_at: utc(self.warn_at),
            fired: self.fired,
        }
    }

    pub fn set_window(&mut self, w: &Window) {
        self.round = w.round;
        self.started_at = naive(w.started_at);
        self.due_at = naive(w.due_at);
        self.warn_at = naive(w.warn_at);
        self.fired = w.fired;
    }

    /// Still waiting for the department's opinion.
    pub fn waiting(&self) -> bool {
        self.answered_at.is_none() && !self.released
    }

    pub fn of_ticket(
        conn: &mut AnyConnection,
        ticket_id: i64,
    ) -> QueryResult<Vec<CohandlingClock>> {
        cohandling_clocks::table
            .filter(cohandling_clocks::ticket_id.eq(ticket_id))
            .order(cohandling_clocks::department_id.asc())
            .select(CohandlingClock::as_select())
            .load(conn)
    }

    /// The clocks of these tickets' co-handling by one department.
    pub fn of_department(
        conn: &mut AnyConnection,
        department_id: i64,
        ticket_ids: &[i64],
    ) -> QueryResult<Vec<CohandlingClock>> {
        cohandling_clocks::table
            .filter(cohandling_clocks::department_id.eq(department_id))
            .filter(cohandling_clocks::ticket_id.eq_any(ticket_ids))
            .select(CohandlingClock::as_select())
            .load(conn)
    }

    pub fn find(
        conn: &mut AnyConnection,
        ticket_id: i64,
        department_id: i64,
    ) -> QueryResult<Option<CohandlingClock>> {
        cohandling_clocks::table
            .find((ticket_id, department_id))
            .select(CohandlingClock::as_select())
            .first(conn)
            .optional()
    }

    /// Writes the row, inserting it the first time.
    pub fn save(conn: &mut AnyConnection, row: &CohandlingClock) -> QueryResult<()> {
        let n = diesel::update(cohandling_clocks::table.find((row.ticket_id, row.department_id)))
            .set(row)
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(cohandling_clocks::table)
                .values(row)
                .execute(conn)?;
        }
        Ok(())
    }

    /// Rows with something due at `now`, claimed for this transaction (on
    /// PostgreSQL skipping rows another scanner holds).
    pub fn claim_due(
        conn: &mut AnyConnection,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<CohandlingClock>> {
        macro_rules! due {
            () => {
                cohandling_clocks::table
                    .filter(cohandling_clocks::next_check_at.le(now))
                    .order(cohandling_clocks::next_check_at.asc())
                    .limit(limit)
                    .select(CohandlingClock::as_select())
            };
        }
        super::dialect::claim!(conn, due!())
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cohandling_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct NewCohandlingEvent {
    pub ticket_id: i64,
    pub department_id: i64,
    pub kind: String,
    pub level: i32,
    pub round: i32,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = cohandling_events)]
pub struct CohandlingEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub department_id: i64,
    pub kind: String,
    pub level: i32,
    pub round: i32,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl CohandlingEvent {
    /// Records the events not recorded before; returns those it recorded.
    /// Runs in the scanner's transaction, which holds the rows' clocks.
    pub fn record(
        conn: &mut AnyConnection,
        events: Vec<NewCohandlingEvent>,
    ) -> QueryResult<Vec<NewCohandlingEvent>> {
        let mut fresh = Vec::new();
        for e in events {
            let seen = cohandling_events::table
                .filter(cohandling_events::ticket_id.eq(e.ticket_id))
                .filter(cohandling_events::department_id.eq(e.department_id))
                .filter(cohandling_events::kind.eq(&e.kind))
                .filter(cohandling_events::level.eq(e.level))
                .filter(cohandling_events::round.eq(e.round))
                .count()
                .get_result::<i64>(conn)?;
            if seen == 0 {
                diesel::insert_into(cohandling_events::table)
                    .values(&e)
                    .execute(conn)?;
                fresh.push(e);
            }
        }
        Ok(fresh)
    }

    pub fn of_ticket(
        conn: &mut AnyConnection,
        ticket_id: i64,
    ) -> QueryResult<Vec<CohandlingEvent>> {
        cohandling_events::table
            .filter(cohandling_events::ticket_id.eq(ticket_id))
            .order(cohandling_events::id.asc())
            .select(CohandlingEvent::as_select())
            .load(conn)
    }
}
