//! A ticket list read for an export: the caller's queue, page by page,
//! with the names a reader wants beside the codes. Blocking: it runs on
//! the blocking thread pool and takes a pooled connection only while it
//! reads a page, never while the file is being sent.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::domain::access::Caller;
use crate::services::tickets::queue_page;
use crate::storage::departments::Department;
use crate::storage::regions::Region;
use crate::storage::schema::enterprises;
use crate::storage::tickets::{Ticket, TicketFilter};
use crate::storage::{AnyConnection, Database, StorageError};

/// Tickets read per page.
pub const PAGE: i64 = 1_000;

/// Names of the enterprises, departments and places of a page.
#[derive(Debug, Default)]
pub struct Names {
    pub enterprises: HashMap<i64, String>,
    pub departments: HashMap<i64, String>,
    pub places: HashMap<String, String>,
    pub categories: crate::domain::catalogue::Terms,
    pub chains: crate::domain::catalogue::Terms,
    /// The names of the files on each ticket's steps (internal ones for staff).
    pub files: HashMap<i64, Vec<String>>,
}

impl Names {
    fn of(conn: &mut AnyConnection, page: &[Ticket], staff: bool) -> QueryResult<Names> {
        let ids: Vec<i64> = page.iter().map(|t| t.id).collect();
        let files = crate::services::attachments::names_for_export(conn, &ids, staff)?;
        let mut ids: Vec<i64> = page.iter().map(|t| t.enterprise_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let enterprises = enterprises::table
            .filter(enterprises::id.eq_any(ids))
            .select((enterprises::id, enterprises::name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        let mut ids: Vec<i64> = page.iter().map(|t| t.handling_department_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let departments = Department::load_many(conn, &ids)?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        let mut codes: Vec<String> = page.iter().map(|t| t.place_code.clone()).collect();
        codes.sort_unstable();
        codes.dedup();
        let places = Region::find_many(conn, &codes)?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
        use crate::storage::catalogue::{load, List};
        Ok(Names {
            enterprises,
            departments,
            places,
            categories: load(conn, List::Categories)?,
            chains: load(conn, List::Chains)?,
            files,
        })
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportStop<E> {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The row writer failed (e.g. the client has gone).
    #[error("{0}")]
    Writer(E),
}

/// Hands every ticket of the caller's queue (as `filter` narrows it) to
/// `row`, in the queue's order, up to `max` tickets; returns how many.
pub fn for_each_ticket<E>(
    db: &Database,
    caller: &Caller,
    filter: TicketFilter,
    only_needing_action: bool,
    max: u64,
    mut row: impl FnMut(&Ticket, &Names) -> Result<(), E>,
) -> Result<u64, ExportStop<E>> {
    let mut after = None;
    let mut sent = 0u64;
    loop {
        let limit = PAGE.min(i64::try_from(max - sent).unwrap_or(PAGE));
        if limit == 0 {
            return Ok(sent);
        }
        let (page, names) = {
            let mut conn = db.get()?;
            let page = queue_page(
                &mut conn,
                caller,
                TicketFilter {
                    after_id: after.map(|(id, _)| id),
                    after_due: after.and_then(|(_, due)| due),
                    limit,
                    ..filter.clone()
                },
                only_needing_action,
            )
            .map_err(StorageError::from)?;
            let names =
                Names::of(&mut conn, &page, caller.role.is_staff()).map_err(StorageError::from)?;
            (page, names)
        };
        for t in &page {
            row(t, &names).map_err(ExportStop::Writer)?;
        }
        sent += page.len() as u64;
        match page.last() {
            Some(last) if page.len() as i64 == limit => {
                after = Some((last.id, last.resolve_due_at));
            }
            _ => return Ok(sent),
        }
    }
}
