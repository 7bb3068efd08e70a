//! The daily report (日报): an enterprise files one per Beijing date,
//! corrects it until the cut-off on the next working day (each version
//! kept), or files it late. Every write keeps the lists' figures in step.

use chrono::{DateTime, NaiveDate, Utc};

use super::figures::{contribution, Delta};
use super::{read, write, MonitoringError, Rules};
use crate::domain::access::{may_file_daily_report, Caller};
use crate::domain::monitoring::{
    correction_deadline, decide_filing, milli_text, parse_report, Filing, FilingRefusal, Report,
    ReportInput,
};
use crate::services::sla::Sla;
use crate::storage::catalogue::{self, List};
use crate::storage::daily_reports::{self, BlockerRow, ReportRow, Written};
use crate::storage::monitoring;
use crate::storage::{AnyConnection, Database};

/// A blocker with the ticket it became, if any: (id, number, status).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBlocker {
    pub row: BlockerRow,
    pub ticket: Option<(i64, String, String)>,
}

/// A report as stored, with its blockers and until when it may change.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReport {
    pub row: ReportRow,
    pub blockers: Vec<StoredBlocker>,
    pub correctable_until: DateTime<Utc>,
    /// It may still be corrected now.
    pub correctable: bool,
}

impl StoredReport {
    pub fn report(&self) -> Report {
        let rows: Vec<BlockerRow> = self.blockers.iter().map(|b| b.row.clone()).collect();
        self.row.report(&rows)
    }
}

/// What filing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Corrected,
    Unchanged,
}

/// The report as the page's form shows it again (numbers as text).
pub fn as_input(r: &Report) -> ReportInput {
    ReportInput {
        status: r.status.as_str().into(),
        staff_on_duty: r.staff_on_duty.to_string(),
        staff_usual: r.staff_usual.to_string(),
        capacity_percent: r.capacity_percent.to_string(),
        output_quantity: r
            .output
            .as_ref()
            .map_or_else(String::new, |(m, _)| milli_text(*m)),
        output_unit: r
            .output
            .as_ref()
            .map_or_else(String::new, |(_, u)| u.clone()),
        inventory_days: r.inventory_days.map_or_else(String::new, |d| d.to_string()),
        blockers: r
            .blockers
            .iter()
            .map(|b| crate::domain::monitoring::BlockerInput {
                category: b.category.clone(),
                text: b.text.clone(),
            })
            .collect(),
    }
}

/// The body of a revision: what was submitted, as JSON.
pub(super) fn revision_body(r: &Report, late: bool) -> String {
    serde_json::json!({
        "status": r.status.as_str(),
        "staff_on_duty": r.staff_on_duty,
        "staff_usual": r.staff_usual,
        "capacity_percent": r.capacity_percent,
        "output_quantity": r.output.as_ref().map(|(m, _)| milli_text(*m)),
        "output_unit": r.output.as_ref().map(|(_, u)| u.clone()),
        "inventory_days": r.inventory_days,
        "blockers": r.blockers.iter().map(|b| serde_json::json!({"category": b.category, "text": b.text})).collect::<Vec<_>>(),
        "late": late,
    })
    .to_string()
}

fn enterprise_of(caller: &Caller) -> Result<i64, MonitoringError> {
    may_file_daily_report(caller).ok_or(MonitoringError::NotPermitted(
        "daily_problem.only_enterprises",
    ))
}

/// Categories a blocker may name: those a new problem may choose.
fn choosable(conn: &mut AnyConnection) -> Result<Vec<String>, MonitoringError> {
    Ok(catalogue::load(conn, List::Categories)?
        .0
        .into_iter()
        .filter(|t| t.active)
        .map(|t| t.code)
        .collect())
}

/// Reads a stored report back with its blockers' tickets.
fn stored(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    day: NaiveDate,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<StoredReport>, MonitoringError> {
    let Some((row, blockers)) = daily_reports::find(conn, enterprise_id, day)? else {
        return Ok(None);
    };
    Ok(Some(assemble(conn, row, blockers, deadline, now)?))
}

/// A report with its blockers, their tickets read (none when no blocker
/// became one).
fn assemble(
    conn: &mut AnyConnection,
    row: ReportRow,
    blockers: Vec<BlockerRow>,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<StoredReport, MonitoringError> {
    let ids: Vec<i64> = blockers.iter().filter_map(|b| b.ticket_id).collect();
    let tickets = daily_reports::ticket_states(conn, &ids)?;
    let correctable = !row.late && now <= deadline;
    Ok(StoredReport {
        blockers: blockers
            .into_iter()
            .map(|b| {
                let ticket = b
                    .ticket_id
                    .and_then(|id| tickets.get(&id).map(|(n, s)| (id, n.clone(), s.clone())));
                StoredBlocker { row: b, ticket }
            })
            .collect(),
        row,
        correctable_until: deadline,
        correctable,
    })
}

/// Files (or corrects) the caller's enterprise's report of `day`.
/// Idempotent: the same report again changes nothing.
pub async fn file(
    db: &Database,
    sla: &Sla,
    rules: Rules,
    caller: &Caller,
    day: NaiveDate,
    input: ReportInput,
) -> Result<(StoredReport, Outcome), MonitoringError> {
    let enterprise_id = enterprise_of(caller)?;
    let actor = caller.user_id;
    let sla = sla.clone();
    // Each statement of this transaction counts at 100,000 reports a
    // morning: the categories are read only for blockers to check, and
    // the report is answered from what was written, not read back.
    write(db, move |conn| {
        let categories = if input.blockers.is_empty() {
            Vec::new()
        } else {
            choosable(conn)?
        };
        let report = parse_report(&input, &categories).map_err(MonitoringError::Invalid)?;
        let calendar = sla.snapshot(conn)?;
        let deadline = correction_deadline(&calendar.calendar, day, rules.cutoff);
        let now = sla.now();
        let at = now.naive_utc();
        let existing = daily_reports::find(conn, enterprise_id, day)?;
        let decided = decide_filing(
            day,
            now,
            deadline,
            existing
                .as_ref()
                .map(|(row, b)| (row.report(b), row.late))
                .as_ref()
                .map(|(r, l)| (r, *l)),
            &report,
        );
        let filing = match decided {
            Ok(f) => f,
            Err(FilingRefusal::FutureDay) => return Err(MonitoringError::FutureDay),
            Err(FilingRefusal::CorrectionClosed) => return Err(MonitoringError::CorrectionClosed),
        };
        let memberships = monitoring::memberships(conn, &[enterprise_id])?;
        let mut delta = Delta::default();
        let (outcome, row, blockers) = match (filing, existing) {
            (Filing::Unchanged, Some((row, blockers))) => (Outcome::Unchanged, row, blockers),
            (Filing::Unchanged, None) => return Err(MonitoringError::NotFound),
            (Filing::First | Filing::Late, _) => {
                let late = filing == Filing::Late;
                let w = Written {
                    enterprise_id,
                    day,
                    report: &report,
                    late,
                    actor,
                    at,
                };
                let row = daily_reports::insert(conn, &w)?;
                daily_reports::add_revision(
                    conn,
                    row.id,
                    1,
                    &revision_body(&report, late),
                    actor,
                    at,
                )?;
                let blockers =
                    daily_reports::put_blockers(conn, row.id, &[], &report.blockers, at)?;
                (Outcome::Created, row, blockers)
            }
            (Filing::Correction, Some((row, blockers))) => {
                let before = contribution(&row, blockers.len() as i64);
                for m in &memberships {
                    delta.push(m.list_id, &m.placement(), &before, -1);
                }
                let w = Written {
                    enterprise_id,
                    day,
                    report: &report,
                    late: row.late,
                    actor,
                    at,
                };
                let revision = row.revision + 1;
                let updated = daily_reports::update(conn, row.id, revision, &w)?;
                daily_reports::add_revision(
                    conn,
                    row.id,
                    revision,
                    &revision_body(&report, row.late),
                    actor,
                    at,
                )?;
                let blockers =
                    daily_reports::put_blockers(conn, row.id, &blockers, &report.blockers, at)?;
                (Outcome::Corrected, updated, blockers)
            }
            (Filing::Correction, None) => return Err(MonitoringError::NotFound),
        };
        let stored = assemble(conn, row, blockers, deadline, now)?;
        if outcome != Outcome::Unchanged {
            let after = contribution(&stored.row, stored.blockers.len() as i64);
            for m in &memberships {
                delta.push(m.list_id, &m.placement(), &after, 1);
            }
            delta.apply(conn)?;
        }
        Ok((stored, outcome))
    })
    .await
}

/// The caller's enterprise's report of `day`, if filed.
pub async fn get(
    db: &Database,
    sla: &Sla,
    rules: Rules,
    caller: &Caller,
    day: NaiveDate,
) -> Result<Option<StoredReport>, MonitoringError> {
    let enterprise_id = enterprise_of(caller)?;
    let sla = sla.clone();
    read(db, move |conn| {
        let calendar = sla.snapshot(conn)?;
        let deadline = correction_deadline(&calendar.calendar, day, rules.cutoff);
        stored(conn, enterprise_id, day, deadline, sla.now())
    })
    .await
}

/// What the report page needs: the day's report if filed, else the last
/// one before it (to start from), and the categories a blocker may name.
pub struct FormState {
    pub stored: Option<StoredReport>,
    pub previous: Option<(NaiveDate, Report)>,
    pub categories: crate::domain::catalogue::Terms,
    /// The enterprise's recent reports: (day, status, late).
    pub recent: Vec<(NaiveDate, String, bool)>,
    pub deadline: DateTime<Utc>,
}

pub async fn form_state(
    db: &Database,
    sla: &Sla,
    rules: Rules,
    caller: &Caller,
    day: NaiveDate,
) -> Result<FormState, MonitoringError> {
    let enterprise_id = enterprise_of(caller)?;
    let sla = sla.clone();
    read(db, move |conn| {
        let calendar = sla.snapshot(conn)?;
        let deadline = correction_deadline(&calendar.calendar, day, rules.cutoff);
        let stored = stored(conn, enterprise_id, day, deadline, sla.now())?;
        let previous = match daily_reports::latest_before(conn, enterprise_id, day)? {
            Some(row) => {
                let blockers = daily_reports::blockers_of(conn, &[row.id])?
                    .remove(&row.id)
                    .unwrap_or_default();
                // Blockers that became tickets are being handled: not carried over.
                let open: Vec<BlockerRow> = blockers
                    .into_iter()
                    .filter(|b| b.ticket_id.is_none())
                    .collect();
                Some((row.day, row.report(&open)))
            }
            None => None,
        };
        let recent =
            daily_reports::of_enterprise(conn, enterprise_id, day - chrono::Days::new(13), day)?
                .into_iter()
                .map(|r| (r.day, r.status, r.late))
                .collect();
        Ok(FormState {
            stored,
            previous,
            categories: catalogue::load(conn, List::Categories)?,
            recent,
            deadline,
        })
    })
    .await
}

/// A report's versions, oldest first: (revision, body as JSON, when).
pub async fn revisions(
    db: &Database,
    caller: &Caller,
    day: NaiveDate,
) -> Result<Vec<(i32, serde_json::Value, DateTime<Utc>)>, MonitoringError> {
    let enterprise_id = enterprise_of(caller)?;
    read(db, move |conn| {
        let (row, _) =
            daily_reports::find(conn, enterprise_id, day)?.ok_or(MonitoringError::NotFound)?;
        Ok(daily_reports::revisions(conn, row.id)?
            .into_iter()
            .map(|(n, body, _, at)| {
                (
                    n,
                    serde_json::from_str(&body).unwrap_or_default(),
                    at.and_utc(),
                )
            })
            .collect())
    })
    .await
}
