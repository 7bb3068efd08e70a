//! The daily totals (`metric_days`), what each ticket added to them
//! (`metric_folds`), and folding changed tickets in. Every write of a
//! ticket's metric row marks it unfolded (`ticket_metrics.folded`); folding
//! adds the difference between what the ticket contributes now and what it
//! had added before, in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::connection::AnyConnection;
use super::metrics::records_of;
use super::schema::{metric_days, metric_folds, ticket_metrics};
use super::write_transaction;
use crate::domain::metrics::daily::{settled, Counts};
use crate::domain::metrics::TicketRecord;

/// A region's level in the totals.
pub const PROVINCE: i16 = 1;
pub const CITY: i16 = 2;
pub const COUNTY: i16 = 3;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = metric_days)]
pub struct DayRow {
    pub level: i16,
    pub region_code: String,
    pub day: NaiveDate,
    pub received: i64,
    pub routings: i64,
    pub returns: i64,
    pub repeats: i64,
    pub sign_due: i64,
    pub signed_on_time: i64,
    pub resolve_due: i64,
    pub resolved_on_time: i64,
    pub signed: i64,
    pub sign_minutes: i64,
    pub resolved: i64,
    pub reopened: i64,
    pub resolved_timed: i64,
    pub resolve_minutes: i64,
    pub rated: i64,
    pub solved: i64,
    pub satisfied: i64,
    pub final_rated: i64,
    pub final_satisfied: i64,
}

impl DayRow {
    fn of(level: i16, region_code: String, day: NaiveDate, c: &Counts) -> DayRow {
        DayRow {
            level,
            region_code,
            day,
            received: c.received,
            routings: c.routings,
            returns: c.returns,
            repeats: c.repeats,
            sign_due: c.sign_due,
            signed_on_time: c.signed_on_time,
            resolve_due: c.resolve_due,
            resolved_on_time: c.resolved_on_time,
            signed: c.signed,
            sign_minutes: c.sign_minutes,
            resolved: c.resolved,
            reopened: c.reopened,
            resolved_timed: c.resolved_timed,
            resolve_minutes: c.resolve_minutes,
            rated: c.rated,
            solved: c.solved,
            satisfied: c.satisfied,
            final_rated: c.final_rated,
            final_satisfied: c.final_satisfied,
        }
    }
}

/// The Beijing day of an instant.
pub fn beijing_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// A record's settled contributions added up per Beijing day.
pub fn by_day(r: &TicketRecord) -> Vec<(NaiveDate, Counts)> {
    let mut days: Vec<(NaiveDate, Counts)> = Vec::new();
    for (at, c) in settled(r) {
        let day = beijing_day(at);
        match days.iter_mut().find(|(d, _)| *d == day) {
            Some((_, sum)) => sum.add(&c),
            None => days.push((day, c)),
        }
    }
    days.sort_by_key(|(d, _)| *d);
    days
}

/// The rows a place adds to: its county, city and province.
fn rows_of(place: &str) -> Vec<(i16, String)> {
    if place.len() != 6 || !place.is_ascii() {
        return Vec::new();
    }
    vec![
        (COUNTY, place.to_string()),
        (CITY, format!("{}00", &place[..4])),
        (PROVINCE, format!("{}0000", &place[..2])),
    ]
}

/// What a ticket adds, as `metric_folds.counts` keeps it: one
/// `day:counts` entry per day, `;`-separated, the counts in
/// [`Counts::fields`] order with zeros left empty (a tenth of the JSON this
/// replaced, which a million tickets made a gigabyte).
pub fn encode_fold(days: &[(NaiveDate, Counts)]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, (day, c)) in days.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let _ = write!(out, "{day}:");
        for (j, n) in c.fields().iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            if *n != 0 {
                let _ = write!(out, "{n}");
            }
        }
    }
    out
}

/// Parses what a ticket added before: [`encode_fold`]'s form, or the JSON
/// of folds written before it.
pub fn parse_fold(text: &str) -> Vec<(NaiveDate, Counts)> {
    if text.starts_with('[') {
        return serde_json::from_str(text).unwrap_or_default();
    }
    text.split(';')
        .filter_map(|entry| {
            let (day, counts) = entry.split_once(':')?;
            let day = day.parse::<NaiveDate>().ok()?;
            let mut v = [0i64; Counts::FIELDS];
            for (slot, n) in v.iter_mut().zip(counts.split(',')) {
                *slot = if n.is_empty() { 0 } else { n.parse().ok()? };
            }
            Some((day, Counts::from_fields(v)))
        })
        .collect()
}

/// Folds up to `limit` changed tickets into the daily totals; returns how
/// many. On PostgreSQL the rows are claimed with `FOR UPDATE SKIP LOCKED`,
/// so instances fold side by side and a ticket changed meanwhile waits and
/// is marked unfolded again; on SQLite the write lock is held throughout.
pub fn fold(conn: &mut AnyConnection, limit: i64) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let unfolded = ticket_metrics::table
            .filter(diesel::dsl::not(ticket_metrics::folded))
            .order(ticket_metrics::ticket_id.asc())
            .limit(limit)
            .select(ticket_metrics::ticket_id);
        let ids: Vec<i64> = super::dialect::claim!(conn, unfolded)?;
        if ids.is_empty() {
            return Ok(0);
        }
        let before: HashMap<i64, (String, String)> = metric_folds::table
            .filter(metric_folds::ticket_id.eq_any(&ids))
            .select((
                metric_folds::ticket_id,
                metric_folds::place_code,
                metric_folds::counts,
            ))
            .load::<(i64, String, String)>(conn)?
            .into_iter()
            .map(|(id, place, counts)| (id, (place, counts)))
            .collect();
        let mut delta: HashMap<(i16, String, NaiveDate), Counts> = HashMap::new();
        let mut folds = Vec::new();
        for c in records_of(conn, &ids)? {
            let now = by_day(&c.record);
            for (level, code) in rows_of(&c.place_code) {
                for (day, counts) in &now {
                    delta
                        .entry((level, code.clone(), *day))
                        .or_default()
                        .add(counts);
                }
            }
            if let Some((place, text)) = before.get(&c.ticket_id) {
                for (level, code) in rows_of(place) {
                    for (day, counts) in parse_fold(text) {
                        delta
                            .entry((level, code.clone(), day))
                            .or_default()
                            .sub(&counts);
                    }
                }
            }
            folds.push((c.ticket_id, c.place_code, encode_fold(&now)));
        }
        let rows: Vec<DayRow> = delta
            .into_iter()
            .filter(|(_, c)| !c.is_zero())
            .map(|((level, code, day), c)| DayRow::of(level, code, day, &c))
            .collect();
        add_rows(conn, &rows)?;
        put_folds(conn, &folds)?;
        diesel::update(ticket_metrics::table.filter(ticket_metrics::ticket_id.eq_any(&ids)))
            .set(ticket_metrics::folded.eq(true))
            .execute(conn)?;
        Ok(ids.len())
    })
}

/// Adds the rows' counts to the totals.
fn add_rows(conn: &mut AnyConnection, rows: &[DayRow]) -> QueryResult<()> {
    super::dialect::upsert_rows!(conn, rows, 500, |c, values| {
        diesel::insert_into(metric_days::table)
            .values(values)
            .on_conflict((
                metric_days::level,
                metric_days::region_code,
                metric_days::day,
            ))
            .do_update()
            .set((
                metric_days::received.eq(metric_days::received + excluded(metric_days::received)),
                metric_days::routings.eq(metric_days::routings + excluded(metric_days::routings)),
                metric_days::returns.eq(metric_days::returns + excluded(metric_days::returns)),
                metric_days::repeats.eq(metric_days::repeats + excluded(metric_days::repeats)),
                metric_days::sign_due.eq(metric_days::sign_due + excluded(metric_days::sign_due)),
                metric_days::signed_on_time
                    .eq(metric_days::signed_on_time + excluded(metric_days::signed_on_time)),
                metric_days::resolve_due
                    .eq(metric_days::resolve_due + excluded(metric_days::resolve_due)),
                metric_days::resolved_on_time
                    .eq(metric_days::resolved_on_time + excluded(metric_days::resolved_on_time)),
                metric_days::signed.eq(metric_days::signed + excluded(metric_days::signed)),
                metric_days::sign_minutes
                    .eq(metric_days::sign_minutes + excluded(metric_days::sign_minutes)),
                metric_days::resolved.eq(metric_days::resolved + excluded(metric_days::resolved)),
                metric_days::reopened.eq(metric_days::reopened + excluded(metric_days::reopened)),
                metric_days::resolved_timed
                    .eq(metric_days::resolved_timed + excluded(metric_days::resolved_timed)),
                metric_days::resolve_minutes
                    .eq(metric_days::resolve_minutes + excluded(metric_days::resolve_minutes)),
                metric_days::rated.eq(metric_days::rated + excluded(metric_days::rated)),
                metric_days::solved.eq(metric_days::solved + excluded(metric_days::solved)),
                metric_days::satisfied
                    .eq(metric_days::satisfied + excluded(metric_days::satisfied)),
                metric_days::final_rated
                    .eq(metric_days::final_rated + excluded(metric_days::final_rated)),
                metric_days::final_satisfied
                    .eq(metric_days::final_satisfied + excluded(metric_days::final_satisfied)),
            ))
            .execute(c)?
    });
    Ok(())
}

/// A ticket's counts as folded into the totals so far.
#[derive(Insertable)]
#[diesel(table_name = metric_folds)]
struct FoldRow<'a> {
    ticket_id: i64,
    place_code: &'a str,
    counts: &'a str,
}

fn put_folds(conn: &mut AnyConnection, folds: &[(i64, String, String)]) -> QueryResult<()> {
    let rows: Vec<FoldRow> = folds
        .iter()
        .map(|(id, place, counts)| FoldRow {
            ticket_id: *id,
            place_code: place,
            counts,
        })
        .collect();
    super::dialect::upsert_rows!(conn, rows, 1000, |c, values| {
        diesel::insert_into(metric_folds::table)
            .values(values)
            .on_conflict(metric_folds::ticket_id)
            .do_update()
            .set((
                metric_folds::place_code.eq(excluded(metric_folds::place_code)),
                metric_folds::counts.eq(excluded(metric_folds::counts)),
            ))
            .execute(c)?
    });
    Ok(())
}

/// Narrows a query of `metric_days` to a level and, if given, the
/// region codes under a digit prefix (a range, which the key serves).
macro_rules! rows_of_level {
    ($q:expr, $level:expr, $prefix:expr) => {{
        let mut q = $q.filter(metric_days::level.eq($level));
        if let Some(p) = $prefix {
            let (low, high) = crate::storage::regions::subtree_bounds(p);
            // `32` covers 320000..=329999: every code under it sorts in between.
            q = q.filter(metric_days::region_code.between(low, high));
        }
        q
    }};
}

/// `CAST(SUM(..) AS BIGINT)` of a count column: BIGINT on both backends
/// (PostgreSQL's SUM of BIGINT is NUMERIC).
fn sum_of(column: &str) -> diesel::expression::SqlLiteral<diesel::sql_types::BigInt> {
    diesel::dsl::sql(&format!(
        "CAST(COALESCE(SUM(metric_days.{column}), 0) AS BIGINT)"
    ))
}

type Sums = (
    (i64, i64, i64, i64, i64, i64, i64, i64),
    (i64, i64, i64, i64, i64, i64, i64, i64, i64),
    (i64, i64),
);

macro_rules! sums {
    () => {
        (
            (
                sum_of("received"),
                sum_of("routings"),
                sum_of("returns"),
                sum_of("repeats"),
                sum_of("sign_due"),
                sum_of("signed_on_time"),
                sum_of("resolve_due"),
                sum_of("resolved_on_time"),
            ),
            (
                sum_of("signed"),
                sum_of("sign_minutes"),
                sum_of("resolved"),
                sum_of("reopened"),
                sum_of("resolved_timed"),
                sum_of("resolve_minutes"),
                sum_of("rated"),
                sum_of("solved"),
                sum_of("satisfied"),
            ),
            (sum_of("final_rated"), sum_of("final_satisfied")),
        )
    };
}

fn counts_of(((a, b, c, d, e, f, g, h), (i, j, k, l, m, n, o, p, q), (r, s)): Sums) -> Counts {
    Counts::from_fields([a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s])
}

/// The totals of one level's rows under `prefix` (all when None) over
/// days `from..=to`, added up by the database per region.
pub fn sums_by_region(
    conn: &mut AnyConnection,
    level: i16,
    prefix: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(String, Counts)>> {
    let q = metric_days::table
        .filter(metric_days::day.between(from, to))
        .group_by(metric_days::region_code)
        .select((metric_days::region_code, sums!()))
        .into_boxed();
    let rows: Vec<(String, Sums)> = rows_of_level!(q, level, prefix).load(conn)?;
    Ok(rows.into_iter().map(|(k, s)| (k, counts_of(s))).collect())
}

/// The same, added up per day.
pub fn sums_by_day(
    conn: &mut AnyConnection,
    level: i16,
    prefix: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, Counts)>> {
    let q = metric_days::table
        .filter(metric_days::day.between(from, to))
        .group_by(metric_days::day)
        .select((metric_days::day, sums!()))
        .into_boxed();
    let rows: Vec<(NaiveDate, Sums)> = rows_of_level!(q, level, prefix).load(conn)?;
    Ok(rows.into_iter().map(|(d, s)| (d, counts_of(s))).collect())
}

/// First resolutions in one level's rows under `prefix` on days up to `to`.
pub fn resolved_through(
    conn: &mut AnyConnection,
    level: i16,
    prefix: Option<&str>,
    to: NaiveDate,
) -> QueryResult<i64> {
    let q = metric_days::table
        .filter(metric_days::day.le(to))
        .select(sum_of("resolved"))
        .into_boxed();
    rows_of_level!(q, level, prefix).first(conn)
}
