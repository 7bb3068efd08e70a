//! Daily reports (日报), their revisions (the audit trail of corrections)
//! and their blockers (堵点), each of which may have become a ticket.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{
    daily_report_blockers, daily_report_revisions, daily_reports, enterprises, monitoring_members,
    tickets,
};
use crate::domain::monitoring::{Blocker, OperatingStatus, Report};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = daily_reports)]
pub struct ReportRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub day: NaiveDate,
    pub status: String,
    pub staff_on_duty: i32,
    pub staff_usual: i32,
    pub capacity_percent: i32,
    pub output_milli: Option<i64>,
    pub output_unit: Option<String>,
    pub inventory_days: Option<i32>,
    pub late: bool,
    pub revision: i32,
    pub reported_by: i64,
    pub reported_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = daily_report_blockers)]
pub struct BlockerRow {
    pub id: i64,
    pub report_id: i64,
    pub position: i32,
    pub category: String,
    pub text: String,
    pub ticket_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl ReportRow {
    /// The report as the domain reads it, with its blockers.
    pub fn report(&self, blockers: &[BlockerRow]) -> Report {
        Report {
            status: OperatingStatus::parse(&self.status).unwrap_or(OperatingStatus::NotResumed),
            staff_on_duty: self.staff_on_duty,
            staff_usual: self.staff_usual,
            capacity_percent: self.capacity_percent,
            output: self.output_milli.zip(self.output_unit.clone()),
            inventory_days: self.inventory_days,
            blockers: blockers
                .iter()
                .map(|b| Blocker {
                    category: b.category.clone(),
                    text: b.text.clone(),
                })
                .collect(),
        }
    }
}

/// An enterprise's report of a day, with its blockers in order.
pub fn find(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    day: NaiveDate,
) -> QueryResult<Option<(ReportRow, Vec<BlockerRow>)>> {
    let Some(row) = daily_reports::table
        .filter(daily_reports::enterprise_id.eq(enterprise_id))
        .filter(daily_reports::day.eq(day))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let blockers = blockers_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(Some((row, blockers)))
}

/// The enterprise's latest report before `day` (to prefill today's).
pub fn latest_before(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    day: NaiveDate,
) -> QueryResult<Option<ReportRow>> {
    daily_reports::table
        .filter(daily_reports::enterprise_id.eq(enterprise_id))
        .filter(daily_reports::day.lt(day))
        .order(daily_reports::day.desc())
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// An enterprise's reports over days `from..=to`, newest first.
pub fn of_enterprise(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ReportRow>> {
    daily_reports::table
        .filter(daily_reports::enterprise_id.eq(enterprise_id))
        .filter(daily_reports::day.between(from, to))
        .order(daily_reports::day.desc())
        .select(ReportRow::as_select())
        .load(conn)
}

pub fn blockers_of(
    conn: &mut AnyConnection,
    report_ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<BlockerRow>>> {
    let mut out: HashMap<i64, Vec<BlockerRow>> = HashMap::new();
    for chunk in report_ids.chunks(500) {
        let rows: Vec<BlockerRow> = daily_report_blockers::table
            .filter(daily_report_blockers::report_id.eq_any(chunk))
            .order((
                daily_report_blockers::report_id,
                daily_report_blockers::position,
            ))
            .select(BlockerRow::as_select())
            .load(conn)?;
        for r in rows {
            out.entry(r.report_id).or_default().push(r);
        }
    }
    Ok(out)
}

/// What a write of a report stores.
#[derive(Debug, Clone)]
pub struct Written<'a> {
    pub enterprise_id: i64,
    pub day: NaiveDate,
    pub report: &'a Report,
    pub late: bool,
    pub actor: i64,
    pub at: NaiveDateTime,
}

/// Inserts the first report of the day; returns it as stored.
pub fn insert(conn: &mut AnyConnection, w: &Written) -> QueryResult<ReportRow> {
    let r = w.report;
    diesel::insert_into(daily_reports::table)
        .values((
            daily_reports::enterprise_id.eq(w.enterprise_id),
            daily_reports::day.eq(w.day),
            daily_reports::status.eq(r.status.as_str()),
            daily_reports::staff_on_duty.eq(r.staff_on_duty),
            daily_reports::staff_usual.eq(r.staff_usual),
            daily_reports::capacity_percent.eq(r.capacity_percent),
            daily_reports::output_milli.eq(r.output.as_ref().map(|(m, _)| *m)),
            daily_reports::output_unit.eq(r.output.as_ref().map(|(_, u)| u.as_str())),
            daily_reports::inventory_days.eq(r.inventory_days),
            daily_reports::late.eq(w.late),
            daily_reports::revision.eq(1),
            daily_reports::reported_by.eq(w.actor),
            daily_reports::reported_at.eq(w.at),
            daily_reports::updated_at.eq(w.at),
        ))
        .returning(daily_reports::all_columns)
        .get_result(conn)
}

/// Overwrites a report with its correction, as revision `revision`;
/// returns it as stored.
pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    revision: i32,
    w: &Written,
) -> QueryResult<ReportRow> {
    let r = w.report;
    diesel::update(daily_reports::table.find(id))
        .set((
            daily_reports::status.eq(r.status.as_str()),
            daily_reports::staff_on_duty.eq(r.staff_on_duty),
            daily_reports::staff_usual.eq(r.staff_usual),
            daily_reports::capacity_percent.eq(r.capacity_percent),
            daily_reports::output_milli.eq(r.output.as_ref().map(|(m, _)| *m)),
            daily_reports::output_unit.eq(r.output.as_ref().map(|(_, u)| u.as_str())),
            daily_reports::inventory_days.eq(r.inventory_days),
            daily_reports::revision.eq(revision),
            daily_reports::updated_at.eq(w.at),
        ))
        .returning(daily_reports::all_columns)
        .get_result(conn)
}

/// Records a version of a report as submitted.
pub fn add_revision(
    conn: &mut AnyConnection,
    report_id: i64,
    revision: i32,
    body: &str,
    actor: i64,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(daily_report_revisions::table)
        .values((
            daily_report_revisions::report_id.eq(report_id),
            daily_report_revisions::revision.eq(revision),
            daily_report_revisions::body.eq(body),
            daily_report_revisions::actor_id.eq(actor),
            daily_report_revisions::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A report's versions, oldest first: (revision, body, actor, when).
pub fn revisions(
    conn: &mut AnyConnection,
    report_id: i64,
) -> QueryResult<Vec<(i32, String, i64, NaiveDateTime)>> {
    daily_report_revisions::table
        .filter(daily_report_revisions::report_id.eq(report_id))
        .order(daily_report_revisions::revision.asc())
        .select((
            daily_report_revisions::revision,
            daily_report_revisions::body,
            daily_report_revisions::actor_id,
            daily_report_revisions::created_at,
        ))
        .load(conn)
}

/// Replaces a report's blockers with `wanted`: a blocker already there
/// (same category and text) keeps its row and its ticket; one that became
/// a ticket stays even when left out; the others go. Returns the blockers
/// as they now are, in order.
pub fn put_blockers(
    conn: &mut AnyConnection,
    report_id: i64,
    existing: &[BlockerRow],
    wanted: &[Blocker],
    at: NaiveDateTime,
) -> QueryResult<Vec<BlockerRow>> {
    let same = |b: &BlockerRow, w: &Blocker| b.category == w.category && b.text == w.text;
    let gone: Vec<i64> = existing
        .iter()
        .filter(|b| b.ticket_id.is_none() && !wanted.iter().any(|w| same(b, w)))
        .map(|b| b.id)
        .collect();
    if !gone.is_empty() {
        diesel::delete(
            daily_report_blockers::table.filter(daily_report_blockers::id.eq_any(&gone)),
        )
        .execute(conn)?;
    }
    let mut now: Vec<BlockerRow> = existing
        .iter()
        .filter(|b| !gone.contains(&b.id))
        .cloned()
        .collect();
    let mut position = existing.iter().map(|b| b.position).max().unwrap_or(0);
    for w in wanted {
        if existing.iter().any(|b| same(b, w)) {
            continue;
        }
        position += 1;
        now.push(
            diesel::insert_into(daily_report_blockers::table)
                .values((
                    daily_report_blockers::report_id.eq(report_id),
                    daily_report_blockers::position.eq(position),
                    daily_report_blockers::category.eq(&w.category),
                    daily_report_blockers::text.eq(&w.text),
                    daily_report_blockers::created_at.eq(at),
                ))
                .returning(daily_report_blockers::all_columns)
                .get_result(conn)?,
        );
    }
    now.sort_by_key(|b| b.position);
    Ok(now)
}

pub fn blocker(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<(BlockerRow, ReportRow)>> {
    daily_report_blockers::table
        .inner_join(daily_reports::table)
        .filter(daily_report_blockers::id.eq(id))
        .select((BlockerRow::as_select(), ReportRow::as_select()))
        .first(conn)
        .optional()
}

/// Links a blocker to the ticket it became, unless it has one already;
/// returns whether it was linked now.
pub fn link_ticket(conn: &mut AnyConnection, blocker_id: i64, ticket_id: i64) -> QueryResult<bool> {
    let n = diesel::update(
        daily_report_blockers::table
            .filter(daily_report_blockers::id.eq(blocker_id))
            .filter(daily_report_blockers::ticket_id.is_null()),
    )
    .set(daily_report_blockers::ticket_id.eq(ticket_id))
    .execute(conn)?;
    Ok(n == 1)
}

/// The report and blocker a ticket came from: (day, blocker id).
pub fn origin_of_ticket(
    conn: &mut AnyConnection,
    ticket_id: i64,
) -> QueryResult<Option<(NaiveDate, i64)>> {
    daily_report_blockers::table
        .inner_join(daily_reports::table)
        .filter(daily_report_blockers::ticket_id.eq(ticket_id))
        .select((daily_reports::day, daily_report_blockers::id))
        .first(conn)
        .optional()
}

/// The status and number of tickets blockers became.
pub fn ticket_states(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, (String, String)>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        out.extend(
            tickets::table
                .filter(tickets::id.eq_any(chunk))
                .select((tickets::id, tickets::number, tickets::status))
                .load::<(i64, String, String)>(conn)?
                .into_iter()
                .map(|(id, number, status)| (id, (number, status))),
        );
    }
    Ok(out)
}

/// Whether the enterprise reported on `day`.
pub fn reported(conn: &mut AnyConnection, enterprise_id: i64, day: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        daily_reports::table
            .filter(daily_reports::enterprise_id.eq(enterprise_id))
            .filter(daily_reports::day.eq(day)),
    ))
    .get_result(conn)
}

/// Every report of these enterprises (to move or recount their figures),
/// with its blockers' count.
pub fn all_of(
    conn: &mut AnyConnection,
    enterprise_ids: &[i64],
) -> QueryResult<Vec<(ReportRow, i64)>> {
    let mut out = Vec::new();
    for chunk in enterprise_ids.chunks(500) {
        let rows: Vec<ReportRow> = daily_reports::table
            .filter(daily_reports::enterprise_id.eq_any(chunk))
            .select(ReportRow::as_select())
            .load(conn)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let counts: HashMap<i64, i64> = daily_report_blockers::table
            .filter(daily_report_blockers::report_id.eq_any(&ids))
            .group_by(daily_report_blockers::report_id)
            .select((daily_report_blockers::report_id, diesel::dsl::count_star()))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect();
        out.extend(rows.into_iter().map(|r| {
            let n = counts.get(&r.id).copied().unwrap_or(0);
            (r, n)
        }));
    }
    Ok(out)
}

/// A blocker as a board lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedBlocker {
    pub blocker: BlockerRow,
    pub day: NaiveDate,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub county_code: String,
}

/// The blockers of a list's reports over days `from..=to` under a county
/// prefix (and of a chain), newest first; at most `limit`.
#[allow(clippy::too_many_arguments)]
pub fn blockers_of_list(
    conn: &mut AnyConnection,
    list_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    county_prefix: Option<&str>,
    chain: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ListedBlocker>> {
    let mut q = daily_report_blockers::table
        .inner_join(daily_reports::table)
        .inner_join(
            monitoring_members::table.on(monitoring_members::enterprise_id
                .eq(daily_reports::enterprise_id)
                .and(monitoring_members::list_id.eq(list_id))),
        )
        .inner_join(enterprises::table.on(enterprises::id.eq(daily_reports::enterprise_id)))
        .filter(daily_reports::day.between(from, to))
        .into_boxed();
    if let Some(p) = county_prefix {
        let (low, high) = crate::storage::regions::subtree_bounds(p);
        q = q.filter(monitoring_members::county_code.between(low, high));
    }
    if let Some(c) = chain {
        q = q.filter(
            monitoring_members::chains
                .like(crate::storage::codes::containing_pattern(c))
                .escape('\\'),
        );
    }
    let rows: Vec<(BlockerRow, NaiveDate, i64, String, String)> = q
        // The newest day first, and on a day those that became tickets.
        .order((
            daily_reports::day.desc(),
            daily_report_blockers::ticket_id.is_null().asc(),
            daily_report_blockers::id.desc(),
        ))
        .limit(limit)
        .select((
            BlockerRow::as_select(),
            daily_reports::day,
            daily_reports::enterprise_id,
            enterprises::name,
            monitoring_members::county_code,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(blocker, day, enterprise_id, enterprise, county_code)| ListedBlocker {
                blocker,
                day,
                enterprise_id,
                enterprise,
                county_code,
            },
        )
        .collect())
}

/// A report written in bulk (the demo's weeks of reports).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = daily_reports)]
pub struct NewReport {
    pub enterprise_id: i64,
    pub day: NaiveDate,
    pub status: String,
    pub staff_on_duty: i32,
    pub staff_usual: i32,
    pub capacity_percent: i32,
    pub output_milli: Option<i64>,
    pub output_unit: Option<String>,
    pub inventory_days: Option<i32>,
    pub late: bool,
    pub revision: i32,
    pub reported_by: i64,
    pub reported_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserts reports in bulk; returns their ids by (enterprise, day).
pub fn insert_many(
    conn: &mut AnyConnection,
    rows: &[NewReport],
) -> QueryResult<HashMap<(i64, NaiveDate), i64>> {
    insert_batches!(conn, daily_reports::table, rows);
    let mut ids: Vec<i64> = rows.iter().map(|r| r.enterprise_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        out.extend(
            daily_reports::table
                .filter(daily_reports::enterprise_id.eq_any(chunk))
                .select((
                    daily_reports::enterprise_id,
                    daily_reports::day,
                    daily_reports::id,
                ))
                .load::<(i64, NaiveDate, i64)>(conn)?
                .into_iter()
                .map(|(e, d, id)| ((e, d), id)),
        );
    }
    Ok(out)
}

/// Revisions and blockers in bulk: (report, body, actor, at) and
/// (report, position, category, text, at).
pub fn insert_history(
    conn: &mut AnyConnection,
    revisions: &[(i64, String, i64, NaiveDateTime)],
    blockers: &[(i64, i32, String, String, NaiveDateTime)],
) -> QueryResult<()> {
    let revisions: Vec<_> = revisions
        .iter()
        .map(|(report, body, actor, at)| {
            (
                daily_report_revisions::report_id.eq(*report),
                daily_report_revisions::revision.eq(1),
                daily_report_revisions::body.eq(body.as_str()),
                daily_report_revisions::actor_id.eq(*actor),
                daily_report_revisions::created_at.eq(*at),
            )
        })
        .collect();
    insert_batches!(conn, daily_report_revisions::table, revisions);
    let blockers: Vec<_> = blockers
        .iter()
        .map(|(report, position, category, text, at)| {
            (
                daily_report_blockers::report_id.eq(*report),
                daily_report_blockers::position.eq(*position),
                daily_report_blockers::category.eq(category.as_str()),
                daily_report_blockers::text.eq(text.as_str()),
                daily_report_blockers::created_at.eq(*at),
            )
        })
        .collect();
    insert_batches!(conn, daily_report_blockers::table, blockers);
    Ok(())
}

/// The blocker of an enterprise's report of a day with this text.
pub fn blocker_by_text(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    day: NaiveDate,
    text: &str,
) -> QueryResult<Option<i64>> {
    daily_report_blockers::table
        .inner_join(daily_reports::table)
        .filter(daily_reports::enterprise_id.eq(enterprise_id))
        .filter(daily_reports::day.eq(day))
        .filter(daily_report_blockers::text.eq(text))
        .select(daily_report_blockers::id)
        .first(conn)
        .optional()
}
