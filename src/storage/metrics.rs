//! Each ticket's metric history (`ticket_metrics`) and the records a
//! metrics query adds up.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{ticket_metrics, tickets};
use crate::domain::metrics::history::{History, TicketNow};
use crate::domain::metrics::{GivenRating, Satisfaction, TicketRecord};
use crate::domain::routing::Urgency;
use crate::domain::ticket::Status;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = ticket_metrics, primary_key(ticket_id), treat_none_as_null = true)]
pub struct MetricsRow {
    pub ticket_id: i64,
    pub first_sign_due_at: Option<NaiveDateTime>,
    pub first_signed_at: Option<NaiveDateTime>,
    pub sign_minutes: Option<i64>,
    pub first_resolve_due_at: Option<NaiveDateTime>,
    pub first_resolved_at: Option<NaiveDateTime>,
    pub resolve_minutes: Option<i64>,
    pub rated_at: Option<NaiveDateTime>,
    pub routings: i32,
    pub returns: i32,
    pub repeated: bool,
    pub last_at: NaiveDateTime,
    /// Added to the daily totals as it stands; every write sets it false.
    pub folded: bool,
    pub responded_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
}

impl MetricsRow {
    pub fn of(ticket_id: i64, h: &History) -> MetricsRow {
        let n = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.naive_utc());
        MetricsRow {
            ticket_id,
            first_sign_due_at: n(h.first_sign_due),
            first_signed_at: n(h.first_signed_at),
            sign_minutes: h.sign_minutes,
            first_resolve_due_at: n(h.first_resolve_due),
            first_resolved_at: n(h.first_resolved_at),
            resolve_minutes: h.resolve_minutes,
            rated_at: n(h.rated_at),
            routings: h.routings as i32,
            returns: h.returns as i32,
            repeated: h.repeat,
            last_at: h.last_at.naive_utc(),
            folded: false,
            responded_at: n(h.responded_at),
            ended_at: n(h.ended_at),
        }
    }

    pub fn history(&self) -> History {
        let u = |d: Option<NaiveDateTime>| d.map(|d| d.and_utc());
        History {
            first_sign_due: u(self.first_sign_due_at),
            first_signed_at: u(self.first_signed_at),
            responded_at: u(self.responded_at),
            ended_at: u(self.ended_at),
            sign_minutes: self.sign_minutes,
            first_resolve_due: u(self.first_resolve_due_at),
            first_resolved_at: u(self.first_resolved_at),
            resolve_minutes: self.resolve_minutes,
            rated_at: u(self.rated_at),
            routings: self.routings.max(0) as u32,
            returns: self.returns.max(0) as u32,
            repeat: self.repeated,
            last_at: self.last_at.and_utc(),
        }
    }

    pub fn find(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<Option<MetricsRow>> {
        ticket_metrics::table
            .find(ticket_id)
            .select(MetricsRow::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut AnyConnection, row: &MetricsRow) -> QueryResult<()> {
        diesel::insert_into(ticket_metrics::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    pub fn update(conn: &mut AnyConnection, row: &MetricsRow) -> QueryResult<()> {
        diesel::update(ticket_metrics::table.find(row.ticket_id))
            .set(row)
            .execute(conn)
            .map(drop)
    }
}

/// Whether the enterprise filed a ticket of this category in the 30 days
/// before `at` (other than `ticket_id`).
pub fn is_repeat(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    category: &str,
    at: NaiveDateTime,
    ticket_id: i64,
) -> QueryResult<bool> {
    let earlier: Option<i64> = tickets::table
        .filter(tickets::enterprise_id.eq(enterprise_id))
        .filter(tickets::category.eq(category))
        .filter(tickets::filed_at.ge(at - TimeDelta::days(30)))
        .filter(tickets::filed_at.le(at))
        .filter(tickets::id.ne(ticket_id))
        .select(tickets::id)
        .first(conn)
        .optional()?;
    Ok(earlier.is_some())
}

/// Narrows a boxed query over tickets to what `filter` covers.
macro_rules! in_scope {
    ($query:expr, $filter:expr) => {{
        let mut q = $query;
        if let Some(p) = &$filter.place_prefix {
            // A range rather than LIKE: an index serves it on both
            // backends, also in a prepared statement's generic plan.
            match place_range(p) {
                Some((from, Some(to))) => {
                    q = q.filter(tickets::place_code.ge(from).and(tickets::place_code.lt(to)))
                }
                Some((from, None)) => q = q.filter(tickets::place_code.ge(from)),
                None => {
                    q = q.filter(
                        tickets::place_code
                            .like(format!("{}%", super::users::escape_like(p)))
                            .escape('\\'),
                    )
                }
            }
        }
        if let Some(c) = &$filter.chain {
            q = q.filter(
                tickets::chains
                    .like(crate::storage::codes::containing_pattern(c))
                    .escape('\\'),
            );
        }
        if let Some(w) = $filter.whitelisted {
            q = q.filter(tickets::whitelisted.eq(w));
        }
        q
    }};
}

/// Co-handling windows due in `[from, to)` on tickets `filter` covers:
/// (department, due, answered). Released ones are not counted.
pub fn cohandling_due_between(
    conn: &mut AnyConnection,
    filter: &MetricsFilter,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(i64, NaiveDateTime, Option<NaiveDateTime>)>> {
    use super::schema::cohandling_clocks as cc;
    let q = cc::table
        .inner_join(tickets::table.on(tickets::id.eq(cc::ticket_id)))
        .filter(cc::due_at.ge(from))
        .filter(cc::due_at.lt(to))
        .filter(cc::released.eq(false))
        .select((cc::department_id, cc::due_at, cc::answered_at))
        .into_boxed();
    in_scope!(q, filter).load(conn)
}

/// A sign-for window as a department's response counts it: the department
/// that held it, its deadline, when it was answered, and when the ticket
/// ended unresolved (a window it left undone before the deadline is not
/// counted).
pub type HeldWindow = (
    i64,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Sign-for windows due in `[from, to)` on tickets `filter` covers.
pub fn sign_windows_due_between(
    conn: &mut AnyConnection,
    filter: &MetricsFilter,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<HeldWindow>> {
    use super::schema::sign_windows as sw;
    let q = sw::table
        .inner_join(tickets::table.on(tickets::id.eq(sw::ticket_id)))
        .inner_join(ticket_metrics::table.on(ticket_metrics::ticket_id.eq(sw::ticket_id)))
        .filter(sw::due_at.ge(from))
        .filter(sw::due_at.lt(to))
        .select((
            sw::department_id,
            sw::due_at,
            sw::answered_at,
            ticket_metrics::ended_at,
        ))
        .into_boxed();
    in_scope!(q, filter).load(conn)
}

/// The six-digit place codes starting with a digit prefix, as a range
/// `[from, to)` (`to` None past 999999); None for anything else.
fn place_range(prefix: &str) -> Option<(String, Option<String>)> {
    if prefix.is_empty() || prefix.len() > 6 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pad = "0".repeat(6 - prefix.len());
    let next = prefix.parse::<u64>().ok()? + 1;
    let next = format!("{next:0width$}", width = prefix.len());
    let to = (next.len() == prefix.len()).then(|| format!("{next}{pad}"));
    Some((format!("{prefix}{pad}"), to))
}

/// Which tickets a metrics query covers.
#[derive(Debug, Clone, Default)]
pub struct MetricsFilter {
    /// Place codes starting with this (a region's subtree).
    pub place_prefix: Option<String>,
    /// Enterprises of this chain.
    pub chain: Option<String>,
    pub whitelisted: Option<bool>,
}

/// One ticket as a metrics query sees it: its record and what it may be
/// grouped by.
#[derive(Debug, Clone)]
pub struct Counted {
    pub ticket_id: i64,
    pub place_code: String,
    pub department_id: i64,
    pub category: String,
    pub urgency: Urgency,
    /// The enterprise's chains, packed as `,a,b,` (empty when none).
    pub chains: String,
    pub record: TicketRecord,
}

type Loaded = (
    (i64, String, i64, String, Urgency, NaiveDateTime, Status),
    (
        Option<NaiveDateTime>,
        Option<Satisfaction>,
        Option<bool>,
        i32,
        bool,
        String,
    ),
    MetricsRow,
);

/// What a [`Counted`] is read from.
macro_rules! counted_columns {
    () => {
        (
            (
                tickets::id,
                tickets::place_code,
                tickets::handling_department_id,
                tickets::category,
                tickets::urgency,
                tickets::filed_at,
                tickets::status,
            ),
            (
                tickets::resolve_due_at,
                tickets::rating,
                tickets::solved,
                tickets::reopened_count,
                tickets::overdue,
                tickets::chains,
            ),
            MetricsRow::as_select(),
        )
    };
}

/// The rows as records, with every rating of the rated ones (read by key
/// for those only: most tickets of a period were never rated).
fn counted_all(conn: &mut AnyConnection, rows: Vec<Loaded>) -> QueryResult<Vec<Counted>> {
    use super::schema::ticket_ratings as tr;
    let rated: Vec<i64> = rows
        .iter()
        .filter(|(_, _, m)| m.rated_at.is_some())
        .map(|((id, ..), _, _)| *id)
        .collect();
    let mut given: std::collections::HashMap<i64, Vec<GivenRating>> =
        std::collections::HashMap::new();
    for ids in rated.chunks(2_000) {
        let found: Vec<(i64, Satisfaction, bool, NaiveDateTime)> = tr::table
            .filter(tr::ticket_id.eq_any(ids))
            .order((tr::ticket_id.asc(), tr::id.asc()))
            .select((tr::ticket_id, tr::rating, tr::solved, tr::rated_at))
            .load(conn)?;
        for (id, satisfaction, solved, at) in found {
            given.entry(id).or_default().push(GivenRating {
                at: at.and_utc(),
                satisfaction,
                solved,
            });
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let ratings = given.remove(&row.0 .0).unwrap_or_default();
            counted(row, ratings)
        })
        .collect())
}

fn counted(row: Loaded, ratings: Vec<GivenRating>) -> Counted {
    let (
        (ticket_id, place_code, department_id, category, urgency, filed_at, status),
        (resolve_due, rating, solved, reopened, overdue, chains),
        m,
    ) = row;
    let now = TicketNow {
        filed_at: filed_at.and_utc(),
        status,
        resolve_due: resolve_due.map(|d| d.and_utc()),
        satisfaction: rating,
        solved,
        ratings,
        reopened: reopened > 0,
        overdue,
    };
    Counted {
        ticket_id,
        place_code,
        department_id,
        category,
        urgency,
        chains,
        record: m.history().record(&now),
    }
}

/// A page of the tickets in `filter` filed before `to` that have something
/// in `[from, to)` or are still open: ids above `after_id`, in id order,
/// at most `limit` (so that a large scope is read in bounded memory).
pub fn records(
    conn: &mut AnyConnection,
    filter: &MetricsFilter,
    from: NaiveDateTime,
    to: NaiveDateTime,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<Counted>> {
    let q = tickets::table
        .inner_join(ticket_metrics::table)
        .filter(tickets::id.gt(after_id))
        .filter(tickets::filed_at.lt(to))
        .filter(
            ticket_metrics::last_at
                .ge(from)
                .or(tickets::status.eq_any(Status::OPEN)),
        )
        .order(tickets::id.asc())
        .limit(limit)
        .select(counted_columns!())
        .into_boxed();
    let rows: Vec<Loaded> = in_scope!(q, filter).load(conn)?;
    counted_all(conn, rows)
}

/// The records of these tickets.
pub fn records_of(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<Counted>> {
    let rows: Vec<Loaded> = tickets::table
        .inner_join(ticket_metrics::table)
        .filter(tickets::id.eq_any(ids))
        .select(counted_columns!())
        .load(conn)?;
    counted_all(conn, rows)
}

/// What a dashboard reads ticket by ticket rather than from the daily
/// totals, in `filter`: the open tickets; finished tickets whose first
/// sign-for or resolution deadline, never met, is still ahead of `now`;
/// and the tickets changed since they were last folded into the totals
/// (with what they added then, if anything, as `metric_days::encode_fold`
/// wrote it).
pub struct Live {
    pub open_or_ahead: Vec<LiveRow>,
    pub unfolded: Vec<(Counted, Option<String>)>,
}

/// A ticket as the live part of a dashboard needs it: its place, and a
/// record with its deadlines, what met them, status, age and overdue flag
/// (the counts a record also holds are not read: they are in the totals).
pub struct LiveRow {
    pub place_code: String,
    pub record: TicketRecord,
}

type LiveColumns = (
    i64,
    String,
    NaiveDateTime,
    Status,
    Option<NaiveDateTime>,
    bool,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn live_row(c: LiveColumns) -> LiveRow {
    let (
        _,
        place_code,
        filed_at,
        status,
        resolve_due,
        overdue,
        sign_due,
        signed,
        held_to,
        resolved,
        responded,
        ended,
    ) = c;
    let u = |d: Option<NaiveDateTime>| d.map(|d| d.and_utc());
    LiveRow {
        place_code,
        record: TicketRecord {
            filed_at: filed_at.and_utc(),
            first_sign_due: u(sign_due),
            first_signed_at: u(signed),
            responded_at: u(responded),
            ended_at: u(ended),
            // As `History::record`: held to the current deadline until resolved.
            resolve_due: if resolved.is_some() {
                u(held_to)
            } else {
                u(resolve_due)
            },
            first_resolved_at: u(resolved),
            rated_at: None,
            satisfaction: None,
            solved: None,
            ratings: Vec::new(),
            routings: 0,
            returns: 0,
            reopened: false,
            repeat: false,
            open: status.is_open(),
            overdue,
            sign_minutes: None,
            resolve_minutes: None,
        },
    }
}

/// Finished tickets never resolved (rejected or withdrawn), as the
/// partial index `tickets_unresolved_finished` (migration 14) states it: in
/// the same words, so that SQLite sees the index applies.
const NEVER_RESOLVED_FINISHED: &str = "tickets.resolved_at IS NULL AND tickets.status NOT IN ('pending_sign', 'handling', 'awaiting_info')";

/// The open tickets, as the partial index `tickets_live` (migration 17)
/// states it, in the same words: a status index would also draw queue
/// queries of one status (SQLite then sorted all of them by id).
const OPEN_LITERALLY: &str = "tickets.status IN ('pending_sign', 'handling', 'awaiting_info')";

pub fn live(
    conn: &mut AnyConnection,
    filter: &MetricsFilter,
    now: NaiveDateTime,
) -> QueryResult<Live> {
    use super::schema::metric_folds;
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    // Only what the deadlines and the backlog need: these are the many rows.
    macro_rules! live_columns {
        () => {
            (
                tickets::id,
                tickets::place_code,
                tickets::filed_at,
                tickets::status,
                tickets::resolve_due_at,
                tickets::overdue,
                ticket_metrics::first_sign_due_at,
                ticket_metrics::first_signed_at,
                ticket_metrics::first_resolve_due_at,
                ticket_metrics::first_resolved_at,
                ticket_metrics::responded_at,
                ticket_metrics::ended_at,
            )
        };
    }
    // The open tickets, then their metric rows by key: joined in one
    // query, PostgreSQL hashes the whole metrics table for a few thousand
    // open tickets.
    let open = tickets::table
        .filter(sql::<Bool>(OPEN_LITERALLY))
        .select((
            tickets::id,
            tickets::place_code,
            tickets::filed_at,
            tickets::status,
            tickets::resolve_due_at,
            tickets::overdue,
        ))
        .into_boxed();
    type OpenColumns = (
        i64,
        String,
        NaiveDateTime,
        Status,
        Option<NaiveDateTime>,
        bool,
    );
    let open: Vec<OpenColumns> = in_scope!(open, filter).load(conn)?;
    type Firsts = (
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let firsts_columns = (
        ticket_metrics::ticket_id,
        (
            ticket_metrics::first_sign_due_at,
            ticket_metrics::first_signed_at,
            ticket_metrics::first_resolve_due_at,
            ticket_metrics::first_resolved_at,
            ticket_metrics::responded_at,
            ticket_metrics::ended_at,
        ),
    );
    let mut firsts: std::collections::HashMap<i64, Firsts> =
        std::collections::HashMap::with_capacity(open.len());
    if let AnyConnection::Sqlite(conn) = conn {
        // SQLite looks the rows up by key as it reads the open-ticket
        // index: half the time of binding the ids 2,000 at a time (at a
        // million tickets, 50 against 95 ms). PostgreSQL, given the same
        // subquery, hashes the whole metrics table, so it gets the slices.
        let open_ids = tickets::table
            .filter(sql::<Bool>(OPEN_LITERALLY))
            .select(tickets::id)
            .into_boxed::<diesel::sqlite::Sqlite>();
        firsts.extend(
            ticket_metrics::table
                .filter(ticket_metrics::ticket_id.eq_any(in_scope!(open_ids, filter)))
                .select(firsts_columns)
                .load::<(i64, Firsts)>(conn)?,
        );
    } else {
        for ids in open.iter().map(|r| r.0).collect::<Vec<_>>().chunks(2_000) {
            firsts.extend(
                ticket_metrics::table
                    .filter(ticket_metrics::ticket_id.eq_any(ids))
                    .select(firsts_columns)
                    .load::<(i64, Firsts)>(conn)?,
            );
        }
    }
    let mut rows: Vec<LiveColumns> = open
        .into_iter()
        .filter_map(|(id, place, filed, status, due, overdue)| {
            let (a, b, c, d, e, f) = firsts.remove(&id)?;
            Some((id, place, filed, status, due, overdue, a, b, c, d, e, f))
        })
        .collect();
    // The next two select few rows by their own indexes: the place is
    // checked here, so that no planner prefers a range of the place index
    // (SQLite did, reading a whole province's tickets).
    let in_place = |place: &str| {
        filter
            .place_prefix
            .as_deref()
            .is_none_or(|p| place.starts_with(p))
    };
    let anywhere = MetricsFilter {
        place_prefix: None,
        ..filter.clone()
    };
    let unsigned = tickets::table
        .inner_join(ticket_metrics::table)
        .filter(ticket_metrics::responded_at.is_null())
        .filter(ticket_metrics::first_sign_due_at.gt(now))
        .filter(tickets::status.ne_all(Status::OPEN))
        .select(live_columns!())
        .into_boxed();
    rows.extend(
        in_scope!(unsigned, anywhere)
            .load::<LiveColumns>(conn)?
            .into_iter()
            .filter(|r| in_place(&r.1)),
    );
    let unresolved = tickets::table
        .inner_join(ticket_metrics::table)
        .filter(sql::<Bool>(NEVER_RESOLVED_FINISHED))
        .filter(tickets::resolve_due_at.gt(now))
        .filter(ticket_metrics::first_resolved_at.is_null())
        .select(live_columns!())
        .into_boxed();
    rows.extend(
        in_scope!(unresolved, anywhere)
            .load::<LiveColumns>(conn)?
            .into_iter()
            .filter(|r| in_place(&r.1)),
    );
    rows.sort_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    let open_or_ahead = rows.into_iter().map(live_row).collect();
    let unfolded = tickets::table
        .inner_join(ticket_metrics::table)
        .filter(diesel::dsl::not(ticket_metrics::folded))
        .select(counted_columns!())
        .into_boxed();
    let unfolded: Vec<Loaded> = in_scope!(unfolded, anywhere)
        .load::<Loaded>(conn)?
        .into_iter()
        .filter(|row| in_place(&row.0 .1))
        .collect();
    let unfolded = counted_all(conn, unfolded)?;
    let mut before: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for ids in unfolded
        .iter()
        .map(|c| c.ticket_id)
        .collect::<Vec<_>>()
        .chunks(2_000)
    {
        before.extend(
            metric_folds::table
                .filter(metric_folds::ticket_id.eq_any(ids))
                .select((metric_folds::ticket_id, metric_folds::counts))
                .load::<(i64, String)>(conn)?,
        );
    }
    Ok(Live {
        open_or_ahead,
        unfolded: unfolded
            .into_iter()
            .map(|c| {
                let fold = before.remove(&c.ticket_id);
                (c, fold)
            })
            .collect(),
    })
}

/// First resolutions before `to`, all time: the cumulative resolved count.
pub fn resolved_before(
    conn: &mut AnyConnection,
    filter: &MetricsFilter,
    to: NaiveDateTime,
) -> QueryResult<u64> {
    let q = tickets::table
        .inner_join(ticket_metrics::table)
        .filter(ticket_metrics::first_resolved_at.lt(to))
        .count()
        .into_boxed();
    let n: i64 = in_scope!(q, filter).get_result(conn)?;
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::{place_range, NEVER_RESOLVED_FINISHED, OPEN_LITERALLY};
    use crate::domain::ticket::Status;

    #[test]
    fn the_literal_predicates_name_the_open_statuses() {
        let listed = Status::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        assert!(
            OPEN_LITERALLY.contains(&format!("IN ({listed})")),
            "{OPEN_LITERALLY}"
        );
        assert!(NEVER_RESOLVED_FINISHED.contains(&format!("NOT IN ({listed})")));
    }

    #[test]
    fn a_prefix_is_a_range_of_six_digit_codes() {
        let r = |p: &str| place_range(p);
        assert_eq!(r("32"), Some(("320000".into(), Some("330000".into()))));
        assert_eq!(r("3205"), Some(("320500".into(), Some("320600".into()))));
        assert_eq!(r("320506"), Some(("320506".into(), Some("320507".into()))));
        assert_eq!(r("99"), Some(("990000".into(), None)));
        assert_eq!(r("3x"), None);
        assert_eq!(r(""), None);
    }
}
