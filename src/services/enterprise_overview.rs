//! One enterprise as the administrators' page shows it: its record, its
//! county's name, its white-list entries with the keepers' names, its
//! accounts, and its latest problems (number, state and handling
//! department only: an administrator does not read problems).

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::enterprises::{get, EnterpriseDetail, EnterpriseError};
use crate::domain::access::Caller;
use crate::domain::ticket::Status;
use crate::storage::departments::Department;
use crate::storage::regions::Region;
use crate::storage::tickets::{Ticket, TicketFilter};
use crate::storage::users::{User, UserFilter};
use crate::storage::Database;

/// A problem as the enterprise page lists it.
pub struct ProblemLine {
    pub number: String,
    pub status: Status,
    pub filed_at: NaiveDateTime,
    pub department: String,
}

pub struct EnterpriseOverview {
    pub detail: EnterpriseDetail,
    pub county: Option<String>,
    /// Departments named by the white-list entries, by id.
    pub keepers: HashMap<i64, String>,
    pub accounts: Vec<User>,
    pub problems: Vec<ProblemLine>,
    pub open_problems: i64,
}

/// Open problems are counted up to this many (the page says "999+").
pub const OPEN_COUNT_CAP: i64 = 999;

/// How many accounts and problems the page lists.
const SHOWN: i64 = 20;

pub async fn overview(
    db: &Database,
    caller: &Caller,
    id: i64,
) -> Result<EnterpriseOverview, EnterpriseError> {
    let detail = get(db, caller, id).await?;
    let county_code = detail.enterprise.county_code.clone();
    let keeper_ids: Vec<i64> = detail
        .listings
        .iter()
        .map(|l| l.issuing_department_id)
        .collect();
    let (county, keepers, accounts, tickets, open_problems, names) = db
        .run(move |conn| {
            let county = Region::find(conn, &county_code)?.map(|r| r.name);
            let accounts = User::list(
                conn,
                &UserFilter {
                    enterprise_id: Some(id),
                    limit: SHOWN,
                    ..UserFilter::default()
                },
            )?;
            let tickets = Ticket::list(
                conn,
                &TicketFilter {
                    enterprise_id: Some(id),
                    limit: SHOWN,
                    ..TicketFilter::default()
                },
            )?;
            let open = Ticket::open_count_of_enterprise(conn, id, OPEN_COUNT_CAP)?;
            let mut ids: Vec<i64> = tickets.iter().map(|t| t.handling_department_id).collect();
            ids.extend(keeper_ids);
            ids.sort_unstable();
            ids.dedup();
            let names: HashMap<i64, String> = Department::load_many(conn, &ids)?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            Ok((county, names.clone(), accounts, tickets, open, names))
        })
        .await?;
    let problems = tickets
        .into_iter()
        .map(|t| ProblemLine {
            department: names
                .get(&t.handling_department_id)
                .cloned()
                .unwrap_or_default(),
            number: t.number,
            status: t.status,
            filed_at: t.filed_at,
        })
        .collect();
    Ok(EnterpriseOverview {
        detail,
        county,
        keepers,
        accounts,
        problems,
        open_problems,
    })
}
