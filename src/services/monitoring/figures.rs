//! Keeps the lists' daily figures (`monitoring_days`) in step, inside the
//! transaction of the change that moves them: a report filed or corrected,
//! an enterprise added to or taken off a list, an enterprise whose county,
//! industry or chains changed. What a report adds is the domain's
//! ([`DayCounts::of`], [`cells`]); this module adds it up per row.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::QueryResult;

use crate::domain::monitoring::tally::{cells, DayCounts, Placement};
use crate::storage::daily_reports::{self, ReportRow};
use crate::storage::monitoring::{self, Member};
use crate::storage::monitoring_days::{self, Key};
use crate::storage::AnyConnection;

/// What one stored report adds: its day, unit and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub day: NaiveDate,
    pub unit: String,
    pub counts: DayCounts,
}

/// A stored report's contribution; `blockers`: how many it has.
pub fn contribution(row: &ReportRow, blockers: i64) -> Contribution {
    let report = row.report(&[]);
    let mut counts = DayCounts::of(&report, row.late);
    counts.blockers = blockers;
    Contribution {
        day: row.day,
        unit: crate::domain::monitoring::tally::unit_of(&report),
        counts,
    }
}

/// Differences to add to the figures, by row.
#[derive(Debug, Default)]
pub struct Delta(pub HashMap<Key, DayCounts>);

impl Delta {
    /// Adds (`sign` 1) or takes back (-1) a contribution to a list's
    /// cells for an enterprise placed at `p`.
    pub fn push(&mut self, list_id: i64, p: &Placement, c: &Contribution, sign: i64) {
        for cell in cells(p) {
            let entry = self
                .0
                .entry((list_id, cell, c.day, c.unit.clone()))
                .or_default();
            if sign >= 0 {
                entry.add(&c.counts);
            } else {
                entry.sub(&c.counts);
            }
        }
    }

    pub fn apply(self, conn: &mut AnyConnection) -> QueryResult<()> {
        monitoring_days::add(conn, self.0)
    }
}

/// Adds (`sign` 1) or takes back (-1) every report of the members'
/// enterprises to their lists, as each member is placed.
pub fn members_reports(conn: &mut AnyConnection, members: &[Member], sign: i64) -> QueryResult<()> {
    if members.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<i64> = members.iter().map(|m| m.enterprise_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut by_enterprise: HashMap<i64, Vec<&Member>> = HashMap::new();
    for m in members {
        by_enterprise.entry(m.enterprise_id).or_default().push(m);
    }
    let mut delta = Delta::default();
    for (row, blockers) in daily_reports::all_of(conn, &ids)? {
        let c = contribution(&row, blockers);
        for m in by_enterprise.get(&row.enterprise_id).into_iter().flatten() {
            delta.push(m.list_id, &m.placement(), &c, sign);
        }
    }
    delta.apply(conn)
}

/// Moves the enterprises' memberships whose recorded placement differs
/// from where the enterprises are now (a new county, industry or chain),
/// figures and all. Returns how many moved.
pub fn follow_enterprises(conn: &mut AnyConnection, enterprise_ids: &[i64]) -> QueryResult<usize> {
    let members = monitoring::memberships(conn, enterprise_ids)?;
    if members.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = members.iter().map(|m| m.enterprise_id).collect();
    let now = monitoring::placements(conn, &ids)?;
    let moved: Vec<(Member, Placement)> = members
        .into_iter()
        .filter_map(|m| {
            let p = now.get(&m.enterprise_id)?.clone();
            (m.placement() != p).then_some((m, p))
        })
        .collect();
    if moved.is_empty() {
        return Ok(0);
    }
    let old: Vec<Member> = moved.iter().map(|(m, _)| m.clone()).collect();
    members_reports(conn, &old, -1)?;
    let mut new = Vec::new();
    for (m, p) in &moved {
        monitoring::move_member(conn, m.list_id, m.enterprise_id, p)?;
        new.push(Member {
            county_code: p.county.clone(),
            industry_code: p.industry.clone(),
            chains: crate::domain::monitoring::tally::pack_chains(&p.chains),
            ..m.clone()
        });
    }
    members_reports(conn, &new, 1)?;
    Ok(moved.len())
}
