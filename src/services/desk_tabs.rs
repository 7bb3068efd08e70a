//! The workbench's tabs (待签收, 办理中, ... 我的): which a caller gets, what
//! each one lists, and how many tickets each holds. A tab is a queue filter
//! like any other (`tab=` of the queue query), so a tab's number is counted
//! with the very conditions its list is read with.
//!
//! Counts are answered by indexed queries (migration 27 adds the partial
//! indexes the tabs need). When counting a caller's tabs took longer than
//! [`KEEP_SLOWER_THAN`], the numbers are kept for [`MAX_AGE`] and served
//! again to the same person (the page then says they may be a few seconds
//! old); fast counts are always fresh.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::domain::access::Caller;
use crate::domain::role::Role;
use crate::storage::tickets::TicketFilter;
use crate::storage::{Database, StorageError};

/// A tab of the workbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    /// 待签收: to sign for.
    Sign,
    /// 办理中.
    Handling,
    /// 待补充: waiting for the enterprise's information.
    Info,
    /// 待审批: extension requests the lead decides.
    Extension,
    /// 协办: co-handling opinions the department owes.
    Cohandling,
    /// 督办: urged open tickets.
    Urged,
    /// 临期: past the running window's warning time, not overdue.
    Near,
    /// 已超时: overdue open tickets.
    Overdue,
    /// 我的: open tickets assigned to the caller.
    Mine,
}

impl Tab {
    pub const ALL: [Tab; 9] = [
        Tab::Sign,
        Tab::Handling,
        Tab::Info,
        Tab::Extension,
        Tab::Cohandling,
        Tab::Urged,
        Tab::Near,
        Tab::Overdue,
        Tab::Mine,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Tab::Sign => "sign",
            Tab::Handling => "handling",
            Tab::Info => "info",
            Tab::Extension => "extension",
            Tab::Cohandling => "cohandling",
            Tab::Urged => "urged",
            Tab::Near => "near",
            Tab::Overdue => "overdue",
            Tab::Mine => "mine",
        }
    }

    pub fn parse(code: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Narrows a queue filter to this tab, for this caller: officers and
    /// leads see their department's tickets, supervisors every ticket they
    /// may read.
    pub fn narrow(self, caller: &Caller, f: &mut TicketFilter) {
        let handler = match caller.role {
            Role::Officer | Role::Lead => caller.department.as_ref().map(|d| d.id),
            _ => None,
        };
        let department = caller.department.as_ref().map(|d| d.id).unwrap_or(-1);
        // The open statuses stated as well: the partial indexes of open
        // tickets then serve a count of one status across a province.
        match self {
            Tab::Sign => {
                f.status = Some("pending_sign".into());
                f.open = Some(true);
            }
            Tab::Handling => {
                f.status = Some("handling".into());
                f.open = Some(true);
            }
            Tab::Info => {
                f.status = Some("awaiting_info".into());
                f.open = Some(true);
            }
            Tab::Extension => {
                f.open = Some(true);
                f.extension_pending = Some(true);
                f.extension_decided_by = Some(department);
                return;
            }
            Tab::Cohandling => {
                f.status = Some("handling".into());
                f.open = Some(true);
                f.opinion_owed_by = Some(department);
                return;
            }
            Tab::Urged => {
                f.open = Some(true);
                f.urged = true;
            }
            Tab::Near => {
                f.open = Some(true);
                f.near = true;
            }
            Tab::Overdue => {
                f.open = Some(true);
                f.overdue = Some(true);
            }
            Tab::Mine => {
                f.open = Some(true);
                f.assignee_id = Some(caller.user_id);
                return;
            }
        }
        if handler.is_some() {
            f.handling_department_id = handler;
        }
    }
}

/// The tabs a caller gets: officers and leads their department's work (a
/// lead also the extension requests to decide), supervisors what their
/// scope holds; enterprises and administrators none.
pub fn tabs_for(caller: &Caller) -> Vec<Tab> {
    use Tab::*;
    match caller.role {
        Role::Officer => vec![Sign, Handling, Info, Cohandling, Urged, Near, Overdue, Mine],
        Role::Lead => vec![
            Sign, Handling, Info, Extension, Cohandling, Urged, Near, Overdue, Mine,
        ],
        Role::Supervisor => vec![Sign, Handling, Info, Urged, Near, Overdue],
        Role::Enterprise | Role::Admin => Vec::new(),
    }
}

/// Counting a caller's tabs slower than this keeps the numbers.
pub const KEEP_SLOWER_THAN: Duration = Duration::from_millis(20);
/// Kept numbers are served this long.
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// Each tab's number, and whether it came from the cache.
#[derive(Debug, Clone)]
pub struct TabCounts {
    pub counts: Vec<(Tab, i64)>,
    pub cached: bool,
}

/// When a person's tabs were counted, and the numbers.
type Kept = (Instant, Vec<(Tab, i64)>);

/// Recently counted tabs, per person.
#[derive(Default)]
pub struct TabCountCache {
    kept: Mutex<HashMap<i64, Kept>>,
}

impl TabCountCache {
    /// Forgets a person's numbers (after they changed tickets themselves).
    pub fn forget(&self, user_id: i64) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.remove(&user_id);
        }
    }
}

/// A tab counts its tickets up to this many; above it says "999+". A
/// department with a thousand tickets in one tab needs the list, not the
/// number, and counting stops costing more than a page.
pub const COUNT_CAP: i64 = 999;

/// How many tickets each of the caller's tabs holds now.
pub async fn counts(
    db: &Database,
    cache: &TabCountCache,
    caller: &Caller,
    now: NaiveDateTime,
) -> Result<TabCounts, StorageError> {
    if let Ok(kept) = cache.kept.lock() {
        if let Some((at, counts)) = kept.get(&caller.user_id) {
            if at.elapsed() < MAX_AGE {
                return Ok(TabCounts {
                    counts: counts.clone(),
                    cached: true,
                });
            }
        }
    }
    let started = Instant::now();
    let who = caller.clone();
    let counts = db
        .run(move |conn| {
            let mut out = Vec::new();
            for tab in tabs_for(&who) {
                let mut f = TicketFilter {
                    now: Some(now),
                    ..TicketFilter::default()
                };
                tab.narrow(&who, &mut f);
                out.push((
                    tab,
                    super::tickets::queue_count_up_to(conn, &who, f, COUNT_CAP)?,
                ));
            }
            Ok(out)
        })
        .await?;
    if started.elapsed() >= KEEP_SLOWER_THAN {
        if let Ok(mut kept) = cache.kept.lock() {
            kept.retain(|_, (at, _)| at.elapsed() < MAX_AGE);
            kept.insert(caller.user_id, (Instant::now(), counts.clone()));
        }
    }
    Ok(TabCounts {
        counts,
        cached: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tab_reads_back_from_its_code() {
        for t in Tab::ALL {
            assert_eq!(Tab::parse(t.code()), Some(t));
        }
        assert_eq!(Tab::parse("closed"), None);
    }

    #[test]
    fn only_leads_decide_extensions_and_supervisors_owe_no_opinions() {
        let who = |role| Caller {
            user_id: 1,
            role,
            department: None,
            enterprise_id: None,
        };
        assert!(tabs_for(&who(Role::Lead)).contains(&Tab::Extension));
        assert!(!tabs_for(&who(Role::Officer)).contains(&Tab::Extension));
        assert!(!tabs_for(&who(Role::Supervisor)).contains(&Tab::Cohandling));
        assert!(tabs_for(&who(Role::Enterprise)).is_empty());
    }
}
