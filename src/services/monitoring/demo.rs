//! The demo's daily monitoring (`seed::demo::monitoring`), written in bulk
//! inside the demo directory's transaction: industries, lists with their
//! enterprises, weeks of reports with their versions and blockers, and the
//! daily figures, added up by the same code every report uses (so the
//! recount check holds for the demo too). Blockers become tickets later,
//! through the filing service, once the tickets' history is replayed.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::figures::{contribution, Delta};
use super::lists::{add_members, sync_list};
use crate::domain::monitoring::{Blocker, Report};
use crate::domain::role::Role;
use crate::seed::demo::monitoring::MonitoringPlan;
use crate::seed::demo::DEMO_DOMAIN;
use crate::services::auth::scope_of;
use crate::storage::daily_reports::{self, NewReport};
use crate::storage::departments::Department;
use crate::storage::monitoring::{self, MonitoringList, NewList, BY_HAND, FROM_WHITELIST};
use crate::storage::users::{NewUser, User};
use crate::storage::AnyConnection;

/// Writes the plan. `ids`: each plan enterprise's id; `accounts`: the
/// user who speaks for an enterprise, where one exists (the others get a
/// contact account that does not log in); `department_of` finds a list's
/// keeper (`ministry` or a region code).
pub fn write_plan(
    conn: &mut AnyConnection,
    plan: &MonitoringPlan,
    ids: &[i64],
    accounts: &HashMap<usize, i64>,
    department_of: &dyn Fn(&str) -> Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let coded: Vec<(i64, String)> = plan
        .industries
        .iter()
        .enumerate()
        .map(|(i, code)| (ids[i], code.to_string()))
        .collect();
    monitoring::insert_industries(conn, &coded, now)?;

    // Lists and their enterprises (none has reports yet).
    for l in &plan.lists {
        let Some(department) = department_of(l.keeper) else {
            continue;
        };
        let list = MonitoringList::insert(
            conn,
            &NewList {
                department_id: department,
                name: l.name.to_string(),
                source: if l.whitelist.is_some() {
                    FROM_WHITELIST
                } else {
                    BY_HAND
                }
                .into(),
                whitelist_scope: l.whitelist.map(|(s, _)| s.to_string()),
                whitelist_batch: l.whitelist.map(|(_, b)| b),
                created_by: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        if l.whitelist.is_some() {
            let keeper =
                Department::find(conn, department)?.ok_or(diesel::result::Error::NotFound)?;
            sync_list(conn, &list, &scope_of(&keeper), None, now)?;
        } else {
            let members: Vec<i64> = l.members.iter().map(|i| ids[*i]).collect();
            add_members(conn, list.id, &members, now)?;
        }
    }

    // Who files: the enterprise's own account, or a contact made now.
    let mut reporter: HashMap<usize, i64> = accounts.clone();
    let mut reporters: Vec<usize> = plan.reports.iter().map(|r| r.enterprise).collect();
    reporters.sort_unstable();
    reporters.dedup();
    for e in reporters {
        if reporter.contains_key(&e) {
            continue;
        }
        let email = format!("contact.e{}@{DEMO_DOMAIN}", ids[e]);
        let user = User::insert(
            conn,
            &NewUser {
                email: &email,
                display_name: "演示企业联络员",
                phone: None,
                role: Role::Enterprise,
                department_id: None,
                enterprise_id: Some(ids[e]),
                password_hash: None,
                active: true,
                email_verified_at: Some(now),
                locale: "zh-CN",
                tokens_valid_after: now,
                created_at: now,
                updated_at: now,
            },
        )?;
        reporter.insert(e, user.id);
    }

    let reports: Vec<(usize, Report, NaiveDateTime)> = plan
        .reports
        .iter()
        .map(|r| {
            let report = Report {
                status: r.status,
                staff_on_duty: r.staff_on_duty,
                staff_usual: r.staff_usual,
                capacity_percent: r.capacity_percent,
                output: r.output.map(|(n, unit)| (n * 1000, unit.to_string())),
                inventory_days: r.inventory_days,
                blockers: r
                    .blockers
                    .iter()
                    .map(|(c, t)| Blocker {
                        category: c.to_string(),
                        text: t.to_string(),
                    })
                    .collect(),
            };
            (r.enterprise, report, r.at.naive_utc())
        })
        .collect();
    let rows: Vec<NewReport> = plan
        .reports
        .iter()
        .zip(&reports)
        .map(|(p, (e, r, at))| NewReport {
            enterprise_id: ids[*e],
            day: p.day,
            status: r.status.as_str().into(),
            staff_on_duty: r.staff_on_duty,
            staff_usual: r.staff_usual,
            capacity_percent: r.capacity_percent,
            output_milli: r.output.as_ref().map(|(m, _)| *m),
            output_unit: r.output.as_ref().map(|(_, u)| u.clone()),
            inventory_days: r.inventory_days,
            late: false,
            revision: 1,
            reported_by: reporter[e],
            reported_at: *at,
            updated_at: *at,
        })
        .collect();
    let report_ids = daily_reports::insert_many(conn, &rows)?;
    let mut revisions = Vec::new();
    let mut blockers = Vec::new();
    for (row, (e, r, at)) in rows.iter().zip(&reports) {
        let id = report_ids[&(row.enterprise_id, row.day)];
        revisions.push((
            id,
            super::reports::revision_body(r, false),
            reporter[e],
            *at,
        ));
        for (n, b) in r.blockers.iter().enumerate() {
            blockers.push((id, n as i32 + 1, b.category.clone(), b.text.clone(), *at));
        }
    }
    daily_reports::insert_history(conn, &revisions, &blockers)?;

    // The daily figures, as each report would have added them.
    let all: Vec<i64> = ids.to_vec();
    let memberships = monitoring::memberships(conn, &all)?;
    let mut by_enterprise: HashMap<i64, Vec<&monitoring::Member>> = HashMap::new();
    for m in &memberships {
        by_enterprise.entry(m.enterprise_id).or_default().push(m);
    }
    let mut filed: Vec<i64> = rows.iter().map(|r| r.enterprise_id).collect();
    filed.sort_unstable();
    filed.dedup();
    let mut delta = Delta::default();
    for (row, blockers) in daily_reports::all_of(conn, &filed)? {
        let c = contribution(&row, blockers);
        for m in by_enterprise.get(&row.enterprise_id).into_iter().flatten() {
            delta.push(m.list_id, &m.placement(), &c, 1);
        }
    }
    delta.apply(conn)
}
