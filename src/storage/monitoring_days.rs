//! The daily figures of each monitoring list (`monitoring_days`), kept in
//! step with the reports in the transaction that writes them, and the
//! record of missing-report notices (`monitoring_reminders`).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::connection::AnyConnection;
use super::schema::{monitoring_days, monitoring_reminders};
use crate::domain::monitoring::tally::{Cell, DayCounts};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = monitoring_days)]
pub struct DayRow {
    pub list_id: i64,
    pub level: i16,
    pub day: NaiveDate,
    pub region_code: String,
    pub industry_code: String,
    pub chain_code: String,
    pub unit: String,
    pub reported: i64,
    pub running: i64,
    pub partial: i64,
    pub stopped: i64,
    pub not_resumed: i64,
    pub late: i64,
    pub staff_on_duty: i64,
    pub staff_usual: i64,
    pub capacity_weighted: i64,
    pub output_milli: i64,
    pub blockers: i64,
}

/// A row's key: list, cell, day, unit.
pub type Key = (i64, Cell, NaiveDate, String);

impl DayRow {
    pub fn of((list_id, cell, day, unit): Key, c: &DayCounts) -> DayRow {
        DayRow {
            list_id,
            level: cell.level,
            day,
            region_code: cell.region,
            industry_code: cell.industry,
            chain_code: cell.chain,
            unit,
            reported: c.reported,
            running: c.running,
            partial: c.partial,
            stopped: c.stopped,
            not_resumed: c.not_resumed,
            late: c.late,
            staff_on_duty: c.staff_on_duty,
            staff_usual: c.staff_usual,
            capacity_weighted: c.capacity_weighted,
            output_milli: c.output_milli,
            blockers: c.blockers,
        }
    }

    pub fn counts(&self) -> DayCounts {
        DayCounts {
            reported: self.reported,
            running: self.running,
            partial: self.partial,
            stopped: self.stopped,
            not_resumed: self.not_resumed,
            late: self.late,
            staff_on_duty: self.staff_on_duty,
            staff_usual: self.staff_usual,
            capacity_weighted: self.capacity_weighted,
            output_milli: self.output_milli,
            blockers: self.blockers,
        }
    }
}

/// Adds the differences to the figures. Rows are written in key order, so
/// that two writers never wait for each other's rows in opposite order.
pub fn add(conn: &mut AnyConnection, delta: HashMap<Key, DayCounts>) -> QueryResult<()> {
    let mut rows: Vec<DayRow> = delta
        .into_iter()
        .filter(|(_, c)| !c.is_zero())
        .map(|(k, c)| DayRow::of(k, &c))
        .collect();
    rows.sort_by(|a, b| {
        (
            a.list_id,
            a.level,
            a.day,
            &a.region_code,
            &a.industry_code,
            &a.chain_code,
            &a.unit,
        )
            .cmp(&(
                b.list_id,
                b.level,
                b.day,
                &b.region_code,
                &b.industry_code,
                &b.chain_code,
                &b.unit,
            ))
    });
    use monitoring_days as d;
    super::dialect::upsert_rows!(conn, rows, 500, |c, values| {
        diesel::insert_into(d::table)
            .values(values)
            .on_conflict((
                d::list_id,
                d::level,
                d::day,
                d::region_code,
                d::industry_code,
                d::chain_code,
                d::unit,
            ))
            .do_update()
            .set((
                d::reported.eq(d::reported + excluded(d::reported)),
                d::running.eq(d::running + excluded(d::running)),
                d::partial.eq(d::partial + excluded(d::partial)),
                d::stopped.eq(d::stopped + excluded(d::stopped)),
                d::not_resumed.eq(d::not_resumed + excluded(d::not_resumed)),
                d::late.eq(d::late + excluded(d::late)),
                d::staff_on_duty.eq(d::staff_on_duty + excluded(d::staff_on_duty)),
                d::staff_usual.eq(d::staff_usual + excluded(d::staff_usual)),
                d::capacity_weighted.eq(d::capacity_weighted + excluded(d::capacity_weighted)),
                d::output_milli.eq(d::output_milli + excluded(d::output_milli)),
                d::blockers.eq(d::blockers + excluded(d::blockers)),
            ))
            .execute(c)?
    });
    Ok(())
}

/// Drops a list's figures (a list emptied and refilled).
pub fn clear_list(conn: &mut AnyConnection, list_id: i64) -> QueryResult<usize> {
    diesel::delete(monitoring_days::table.filter(monitoring_days::list_id.eq(list_id)))
        .execute(conn)
}

/// Which rows of a list a board reads.
#[derive(Debug, Clone)]
pub struct Slice<'a> {
    pub list_id: i64,
    pub level: i16,
    /// Region codes under this prefix (the level's rows of a subtree); None: all.
    pub prefix: Option<&'a str>,
    /// '' for every chain, else one chain's rows.
    pub chain: &'a str,
}

fn sum_of(column: &str) -> diesel::expression::SqlLiteral<diesel::sql_types::BigInt> {
    diesel::dsl::sql(&format!(
        "CAST(COALESCE(SUM(monitoring_days.{column}), 0) AS BIGINT)"
    ))
}

type Sums = ((i64, i64, i64, i64, i64, i64), (i64, i64, i64, i64, i64));

macro_rules! sums {
    () => {
        (
            (
                sum_of("reported"),
                sum_of("running"),
                sum_of("partial"),
                sum_of("stopped"),
                sum_of("not_resumed"),
                sum_of("late"),
            ),
            (
                sum_of("staff_on_duty"),
                sum_of("staff_usual"),
                sum_of("capacity_weighted"),
                sum_of("output_milli"),
                sum_of("blockers"),
            ),
        )
    };
}

fn counts_of(((a, b, c, d, e, f), (g, h, i, j, k)): Sums) -> DayCounts {
    DayCounts::from_fields([a, b, c, d, e, f, g, h, i, j, k])
}

/// Narrows a query to a slice's rows.
macro_rules! of_slice {
    ($q:expr, $s:expr) => {{
        let s = $s;
        let mut q = $q
            .filter(monitoring_days::list_id.eq(s.list_id))
            .filter(monitoring_days::level.eq(s.level))
            .filter(monitoring_days::chain_code.eq(s.chain.to_string()));
        if let Some(p) = s.prefix {
            let (low, high) = crate::storage::regions::subtree_bounds(p);
            q = q.filter(monitoring_days::region_code.between(low, high));
        }
        q
    }};
}

/// The slice's figures on `days`, summed per region, industry and unit.
pub fn by_region(
    conn: &mut AnyConnection,
    slice: &Slice,
    days: &[NaiveDate],
) -> QueryResult<Vec<(String, String, String, DayCounts)>> {
    let mut out = Vec::new();
    for chunk in days.chunks(400) {
        let q = monitoring_days::table
            .filter(monitoring_days::day.eq_any(chunk))
            .group_by((
                monitoring_days::region_code,
                monitoring_days::industry_code,
                monitoring_days::unit,
            ))
            .select((
                monitoring_days::region_code,
                monitoring_days::industry_code,
                monitoring_days::unit,
                sums!(),
            ))
            .into_boxed();
        let rows: Vec<(String, String, String, Sums)> = of_slice!(q, slice).load(conn)?;
        out.extend(rows.into_iter().map(|(r, i, u, s)| (r, i, u, counts_of(s))));
    }
    Ok(out)
}

/// The slice's figures over days `from..=to`, summed per day, industry and unit.
pub fn by_day(
    conn: &mut AnyConnection,
    slice: &Slice,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, String, String, DayCounts)>> {
    let q = monitoring_days::table
        .filter(monitoring_days::day.between(from, to))
        .group_by((
            monitoring_days::day,
            monitoring_days::industry_code,
            monitoring_days::unit,
        ))
        .select((
            monitoring_days::day,
            monitoring_days::industry_code,
            monitoring_days::unit,
            sums!(),
        ))
        .into_boxed();
    let rows: Vec<(NaiveDate, String, String, Sums)> = of_slice!(q, slice).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(d, i, u, s)| (d, i, u, counts_of(s)))
        .collect())
}

/// The figures of every chain's own rows of a level on `days`, summed per
/// chain, industry and unit (`slice.chain` is ignored).
pub fn by_chain(
    conn: &mut AnyConnection,
    slice: &Slice,
    days: &[NaiveDate],
) -> QueryResult<Vec<(String, String, String, DayCounts)>> {
    let mut out = Vec::new();
    for chunk in days.chunks(400) {
        let mut q = monitoring_days::table
            .filter(monitoring_days::day.eq_any(chunk))
            .filter(monitoring_days::list_id.eq(slice.list_id))
            .filter(monitoring_days::level.eq(slice.level))
            .filter(monitoring_days::chain_code.ne(""))
            .group_by((
                monitoring_days::chain_code,
                monitoring_days::industry_code,
                monitoring_days::unit,
            ))
            .select((
                monitoring_days::chain_code,
                monitoring_days::industry_code,
                monitoring_days::unit,
                sums!(),
            ))
            .into_boxed();
        if let Some(p) = slice.prefix {
            let (low, high) = crate::storage::regions::subtree_bounds(p);
            q = q.filter(monitoring_days::region_code.between(low, high));
        }
        let rows: Vec<(String, String, String, Sums)> = q.load(conn)?;
        out.extend(rows.into_iter().map(|(c, i, u, s)| (c, i, u, counts_of(s))));
    }
    Ok(out)
}

/// Every row of a list (the recount check compares them with the reports).
pub fn rows_of_list(conn: &mut AnyConnection, list_id: i64) -> QueryResult<Vec<DayRow>> {
    monitoring_days::table
        .filter(monitoring_days::list_id.eq(list_id))
        .select(DayRow::as_select())
        .load(conn)
}

/// The record of a notice or urging.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = monitoring_reminders)]
pub struct NewReminder {
    pub enterprise_id: i64,
    pub day: NaiveDate,
    /// `auto` (the job) or `urge` (a department).
    pub kind: String,
    pub list_id: Option<i64>,
    pub sent_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// Records the reminders not recorded yet; returns the enterprises whose
/// reminder was recorded now (the others had theirs already).
pub fn record_reminders(conn: &mut AnyConnection, rows: &[NewReminder]) -> QueryResult<Vec<i64>> {
    super::dialect::insert_new_reminders(conn, rows)
}

/// The last day up to `today` on which the list's enterprises reported.
pub fn last_reported_day(
    conn: &mut AnyConnection,
    list_id: i64,
    today: NaiveDate,
) -> QueryResult<Option<NaiveDate>> {
    monitoring_days::table
        .filter(monitoring_days::list_id.eq(list_id))
        .filter(monitoring_days::level.eq(crate::domain::monitoring::tally::PROVINCE))
        .filter(monitoring_days::day.le(today))
        .filter(monitoring_days::reported.gt(0))
        .select(diesel::dsl::max(monitoring_days::day))
        .first(conn)
}
