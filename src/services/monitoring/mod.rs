//! Daily monitoring (每日调度, issue 26): monitoring lists and enterprises'
//! industries (`lists`, `import`), daily reports and their corrections
//! (`reports`), blockers that become tickets (`blockers`), notices of
//! missing reports and urgings (`reminders`), and the rates a board shows
//! (`board`). Every write keeps the lists' daily figures in step in its
//! own transaction (`figures`).

use chrono::NaiveTime;

use crate::domain::access::{may_read_monitoring, Caller, DepartmentRef, MonitoringView};
use crate::domain::enterprise::FieldIssue;
use crate::storage::monitoring::MonitoringList;
use crate::storage::{AnyConnection, Database, StorageError};

pub mod blockers;
pub mod board;
pub mod demo;

pub mod figures;
pub mod import;
pub mod lists;
pub mod reminders;
pub mod reports;

/// Why a monitoring request was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum MonitoringError {
    /// No such list, report, blocker or enterprise, or not one the caller
    /// may see (never told apart).
    #[error("not found")]
    NotFound,
    /// The caller may not do this (a catalogue key saying who may).
    #[error("not permitted: {0}")]
    NotPermitted(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldIssue>),
    /// A report for a day that has not begun in Beijing.
    #[error("the day has not begun")]
    FutureDay,
    /// The correction cut-off has passed (or the report was filed late).
    #[error("the report can no longer be corrected")]
    CorrectionClosed,
    /// The department has a list of that name already.
    #[error("the name is taken")]
    NameTaken,
    /// The enterprise lies outside the list's department's jurisdiction.
    #[error("the enterprise is outside the list's jurisdiction")]
    OutsideJurisdiction,
    /// A list drawn from a white list follows it; it is not kept by hand.
    #[error("the list follows a white list")]
    FollowsWhitelist,
    /// Filing the blocker's ticket was refused.
    #[error(transparent)]
    Ticket(#[from] crate::services::tickets::TicketError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for MonitoringError {
    fn from(e: diesel::result::Error) -> Self {
        MonitoringError::Storage(e.into())
    }
}

/// When reports may be corrected, from `[monitoring]`.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub cutoff: NaiveTime,
}

impl Rules {
    pub fn of(settings: &crate::configuration::MonitoringSettings) -> Rules {
        Rules {
            cutoff: settings.cutoff(),
        }
    }
}

/// A list as a caller may read it: the list, its department's path, and
/// how much of it the caller sees.
pub struct Readable {
    pub list: MonitoringList,
    pub department_name: String,
    pub view: MonitoringView,
}

/// Loads a list the caller may read; anything else is not found.
pub fn readable(
    conn: &mut AnyConnection,
    caller: &Caller,
    list_id: i64,
) -> Result<Readable, MonitoringError> {
    let list = MonitoringList::find(conn, list_id)?.ok_or(MonitoringError::NotFound)?;
    let dept = crate::storage::departments::Department::find(conn, list.department_id)?
        .ok_or(MonitoringError::NotFound)?;
    let view = may_read_monitoring(
        caller,
        &DepartmentRef {
            id: dept.id,
            path: dept.path.clone(),
        },
    )
    .ok_or(MonitoringError::NotFound)?;
    Ok(Readable {
        list,
        department_name: dept.name,
        view,
    })
}

/// Runs `f` in one write transaction on the writer; a refusal rolls it back.
pub(crate) async fn write<T, F>(db: &Database, f: F) -> Result<T, MonitoringError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, MonitoringError> + Send + 'static,
    T: Send + 'static,
{
    db.run_write(move |conn| Ok(crate::storage::write_transaction(conn, f)))
        .await?
}

/// Runs `f` on a pooled connection.
pub(crate) async fn read<T, F>(db: &Database, f: F) -> Result<T, MonitoringError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, MonitoringError> + Send + 'static,
    T: Send + 'static,
{
    db.run(move |conn| Ok(f(conn))).await?
}
