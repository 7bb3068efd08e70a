//! The daily digest: who gets one, what happened in a jurisdiction, and the
//! record that a department's digest for a day went out (once).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{departments, digests, sla_events, tickets, users};
use super::users::escape_like;
use crate::domain::role::Role;

/// Departments with an active lead or supervisor: those who get a digest.
pub fn departments_with_overseers(conn: &mut AnyConnection) -> QueryResult<Vec<i64>> {
    users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq_any([Role::Lead, Role::Supervisor]))
        .filter(users::department_id.is_not_null())
        .select(users::department_id.assume_not_null())
        .distinct()
        .order(users::department_id.assume_not_null().asc())
        .load(conn)
}

/// When the department's last digest's period ended.
pub fn last_period_end(
    conn: &mut AnyConnection,
    department: i64,
) -> QueryResult<Option<NaiveDateTime>> {
    digests::table
        .filter(digests::department_id.eq(department))
        .select(diesel::dsl::max(digests::period_end))
        .first(conn)
}

pub fn sent_on(conn: &mut AnyConnection, department: i64, day: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(digests::table.find((department, day)))).get_result(conn)
}

/// Records the digest; fails with a unique violation if it went out already.
pub fn record(
    conn: &mut AnyConnection,
    department: i64,
    day: NaiveDate,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(digests::table)
        .values((
            digests::department_id.eq(department),
            digests::digest_date.eq(day),
            digests::period_start.eq(start),
            digests::period_end.eq(end),
            digests::created_at.eq(end),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whose tickets a digest counts.
#[derive(Debug, Clone, Copy)]
pub enum Jurisdiction<'a> {
    /// A region department: tickets handled in its subtree (by path prefix).
    Subtree(&'a str),
    /// A chain platform: tickets of its chain's enterprises.
    Chain(&'a str),
}

/// New, newly overdue and resolved tickets of a jurisdiction in `[start, end)`.
pub fn counts(
    conn: &mut AnyConnection,
    of: Jurisdiction<'_>,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<(i64, i64, i64)> {
    // New and resolved tickets under a scope filter on `tickets`.
    macro_rules! ticket_counts {
        ($scope:expr) => {{
            let new: i64 = tickets::table
                .filter($scope)
                .filter(tickets::filed_at.ge(start).and(tickets::filed_at.lt(end)))
                .count()
                .get_result(conn)?;
            let resolved: i64 = tickets::table
                .filter($scope)
                .filter(
                    tickets::resolved_at
                        .ge(start)
                        .and(tickets::resolved_at.lt(end)),
                )
                .count()
                .get_result(conn)?;
            (new, resolved)
        }};
    }
    // Tickets that became overdue (the first overdue day of a window).
    macro_rules! overdue_count {
        ($scope:expr) => {{
            let n: i64 = sla_events::table
                .filter($scope)
                .filter(sla_events::kind.like("%\\_overdue").escape('\\'))
                .filter(sla_events::level.eq(1))
                .filter(
                    sla_events::created_at
                        .ge(start)
                        .and(sla_events::created_at.lt(end)),
                )
                .select(diesel::dsl::count(sla_events::ticket_id).aggregate_distinct())
                .first(conn)?;
            n
        }};
    }
    let ((new, resolved), overdue) = match of {
        Jurisdiction::Subtree(path) => {
            let pattern = format!("{}%", escape_like(path));
            let within = || {
                departments::table
                    .filter(departments::path.like(pattern.clone()).escape('\\'))
                    .select(departments::id)
            };
            (
                ticket_counts!(tickets::handling_department_id.eq_any(within())),
                overdue_count!(sla_events::handling_department_id.eq_any(within())),
            )
        }
        Jurisdiction::Chain(code) => {
            let pattern = crate::storage::codes::containing_pattern(code);
            let of_chain = || tickets::chains.like(pattern.clone()).escape('\\');
            (
                ticket_counts!(of_chain()),
                overdue_count!(sla_events::ticket_id
                    .eq_any(tickets::table.filter(of_chain()).select(tickets::id))),
            )
        }
    };
    Ok((new, overdue, resolved))
}

/// A ticket a digest lists, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub number: String,
    pub title: String,
    /// `overdue`, `near` (due before `soon`), `new` or `resolved`.
    pub why: &'static str,
    /// The deadline that runs now (overdue and near).
    pub due: Option<NaiveDateTime>,
}

/// The tickets behind a digest's counts, the ones to act on first: open
/// overdue ones, then open ones due before `soon`, then the period's new and
/// resolved ones; at most `limit`.
pub fn listed(
    conn: &mut AnyConnection,
    of: Jurisdiction<'_>,
    start: NaiveDateTime,
    end: NaiveDateTime,
    soon: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    use super::tickets::Visibility;
    let scope = || -> Visibility {
        match of {
            Jurisdiction::Subtree(path) => {
                let pattern = format!("{}%", escape_like(path));
                Box::new(
                    tickets::handling_department_id.eq_any(
                        departments::table
                            .filter(departments::path.like(pattern).escape('\\'))
                            .select(departments::id),
                    ),
                )
            }
            Jurisdiction::Chain(code) => Box::new(
                tickets::chains
                    .like(crate::storage::codes::containing_pattern(code))
                    .escape('\\'),
            ),
        }
    };
    type Row = (
        i64,
        String,
        String,
        String,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let cols = (
        tickets::id,
        tickets::number,
        tickets::title,
        tickets::status,
        tickets::sign_due_at,
        tickets::resolve_due_at,
    );
    let due_of = |r: &Row| if r.3 == "pending_sign" { r.4 } else { r.5 };
    let mut out: Vec<Listed> = Vec::new();
    let push = |rows: Vec<Row>, why: &'static str, out: &mut Vec<Listed>| {
        for r in rows {
            if out.len() as i64 >= limit || out.iter().any(|l| l.id == r.0) {
                continue;
            }
            let due = matches!(why, "overdue" | "near")
                .then(|| due_of(&r))
                .flatten();
            out.push(Listed {
                id: r.0,
                number: r.1,
                title: r.2,
                why,
                due,
            });
        }
    };
    let overdue: Vec<Row> = tickets::table
        .filter(scope())
        .filter(tickets::status.eq_any(crate::domain::ticket::Status::OPEN))
        .filter(tickets::overdue.eq(true))
        .order(tickets::resolve_due_at.asc())
        .limit(limit)
        .select(cols)
        .load(conn)?;
    push(overdue, "overdue", &mut out);
    let near: Vec<Row> = tickets::table
        .filter(scope())
        .filter(tickets::status.eq_any(crate::domain::ticket::Status::OPEN))
        .filter(tickets::overdue.eq(false))
        .filter(
            tickets::status
                .eq("pending_sign")
                .and(tickets::sign_due_at.lt(soon))
                .or(tickets::status
                    .ne("pending_sign")
                    .and(tickets::resolve_due_at.lt(soon))),
        )
        .order(tickets::resolve_due_at.asc())
        .limit(limit)
        .select(cols)
        .load(conn)?;
    push(near, "near", &mut out);
    let new: Vec<Row> = tickets::table
        .filter(scope())
        .filter(tickets::filed_at.ge(start).and(tickets::filed_at.lt(end)))
        .order(tickets::filed_at.asc())
        .limit(limit)
        .select(cols)
        .load(conn)?;
    push(new, "new", &mut out);
    let resolved: Vec<Row> = tickets::table
        .filter(scope())
        .filter(
            tickets::resolved_at
                .ge(start)
                .and(tickets::resolved_at.lt(end)),
        )
        .order(tickets::resolved_at.asc())
        .limit(limit)
        .select(cols)
        .load(conn)?;
    push(resolved, "resolved", &mut out);
    Ok(out)
}
