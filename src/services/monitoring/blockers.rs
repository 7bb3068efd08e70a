//! A blocker (堵点) of a daily report becomes a ticket in one step: filed
//! through the filing service like any other problem (checked, routed,
//! clocked, notified), pre-filled from the report, and linked both ways
//! (the blocker names its ticket; the ticket's page names its report).

use chrono::NaiveDate;

use super::{read, write, MonitoringError};
use crate::domain::access::Caller;
use crate::services::filing_limits::FilingLimits;
use crate::services::sla::Sla;
use crate::services::tickets::{file, Filing};
use crate::storage::daily_reports::{self, BlockerRow};
use crate::storage::Database;

/// What the enterprise chooses when a blocker becomes a ticket; the rest
/// comes from the blocker.
#[derive(Debug, Clone, Default)]
pub struct BlockerFiling {
    pub urgency: String,
    /// Empty: the blocker's text, shortened.
    pub title: String,
    /// Empty: the blocker's text.
    pub description: String,
    /// A county; empty: the enterprise's own.
    pub place: String,
}

/// A title from a blocker's text: its first line, at most 40 characters.
pub fn title_of(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text).trim();
    let short: String = line.chars().take(40).collect();
    if short.chars().count() < line.chars().count() {
        format!("{short}…")
    } else {
        short
    }
}

/// The caller's enterprise's blocker, with its report's day.
pub async fn of_caller(
    db: &Database,
    caller: &Caller,
    blocker_id: i64,
) -> Result<(BlockerRow, NaiveDate), MonitoringError> {
    let enterprise = crate::domain::access::may_file_daily_report(caller).ok_or(
        MonitoringError::NotPermitted("daily_problem.only_enterprises"),
    )?;
    read(db, move |conn| {
        let (b, report) =
            daily_reports::blocker(conn, blocker_id)?.ok_or(MonitoringError::NotFound)?;
        if report.enterprise_id != enterprise {
            return Err(MonitoringError::NotFound);
        }
        Ok((b, report.day))
    })
    .await
}

/// Files the blocker as a ticket (or returns the one it became already).
/// Returns the ticket's id and whether it was filed now.
pub async fn to_ticket(
    db: &Database,
    sla: &Sla,
    limits: &FilingLimits,
    caller: &Caller,
    blocker_id: i64,
    choice: BlockerFiling,
) -> Result<(i64, bool), MonitoringError> {
    let (blocker, _) = of_caller(db, caller, blocker_id).await?;
    if let Some(id) = blocker.ticket_id {
        return Ok((id, false));
    }
    let pick = |given: &str, default: String| {
        if given.trim().is_empty() {
            default
        } else {
            given.to_string()
        }
    };
    let filing = Filing {
        category: blocker.category.clone(),
        urgency: choice.urgency,
        title: pick(&choice.title, title_of(&blocker.text)),
        description: pick(&choice.description, blocker.text.clone()),
        place: Some(choice.place).filter(|p| !p.trim().is_empty()),
        regions_involved: Vec::new(),
    };
    // One key per blocker: a second click, or a retry after a failure
    // between filing and linking, finds the same ticket.
    let key = format!("daily-blocker-{blocker_id}");
    let (ticket, created) = file(db, sla, limits, caller, filing, Some(key)).await?;
    let ticket_id = ticket.id;
    let linked = write(db, move |conn| {
        daily_reports::link_ticket(conn, blocker_id, ticket_id)?;
        let (b, _) = daily_reports::blocker(conn, blocker_id)?.ok_or(MonitoringError::NotFound)?;
        Ok(b.ticket_id.unwrap_or(ticket_id))
    })
    .await?;
    Ok((linked, created && linked == ticket_id))
}
