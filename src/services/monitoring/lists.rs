//! Monitoring lists (监测名单): a department's named lists of enterprises,
//! kept by hand or drawn from a white list, and enterprises' industries.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::QueryResult;

use super::figures::{follow_enterprises, members_reports};
use super::{readable, MonitoringError};
use crate::domain::access::{
    may_keep_monitoring_list, may_monitor_enterprise, may_set_industry, Caller, DepartmentScope,
    EnterpriseFacts, MonitoringView,
};
use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::industry::{parse_industry, Industry};
use crate::domain::monitoring::tally::{pack_chains, Placement};
use crate::domain::region::{DepartmentKind, RegionCode, RegionLevel};
use crate::services::auth::scope_of;
use crate::storage::departments::Department;
use crate::storage::enterprises::Enterprise;
use crate::storage::monitoring::{
    self, ListSummary, Member, MemberRow, MonitoringList, NewList, BY_HAND, FROM_WHITELIST,
};
use crate::storage::{AnyConnection, Database};

/// A list as its reader sees it.
#[derive(Debug, Clone)]
pub struct ListInfo {
    pub summary: ListSummary,
    pub view: MonitoringView,
    /// The caller keeps this list (adds and removes enterprises).
    pub may_keep: bool,
    /// The name of the province whose white list it follows, if one.
    pub scope_name: Option<String>,
}

/// What a new list is.
#[derive(Debug, Clone, Default)]
pub struct ListInput {
    pub name: String,
    /// `members` (kept by hand) or `whitelist`.
    pub source: String,
    /// For a white list: `national` or a province code.
    pub whitelist_scope: String,
    /// For a white list: one batch, or empty for every batch.
    pub whitelist_batch: String,
}

pub const MAX_NAME_CHARS: usize = 60;

/// The lists the caller reads: its department's and those below it
/// wholly, those of the departments above it in part.
pub async fn visible(db: &Database, caller: &Caller) -> Result<Vec<ListInfo>, MonitoringError> {
    let Some(d) = caller.department.clone().filter(|_| caller.role.is_staff()) else {
        return Ok(Vec::new());
    };
    let caller = caller.clone();
    super::read(db, move |conn| {
        let above = d.as_ref().ancestors();
        let lists = monitoring::lists_visible(conn, &d.path, &above)?;
        let scopes: Vec<String> = lists
            .iter()
            .filter_map(|l| l.list.whitelist_scope.clone())
            .collect();
        let names: std::collections::HashMap<String, String> =
            crate::storage::regions::Region::find_many(conn, &scopes)?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect();
        Ok(lists
            .into_iter()
            .filter_map(|summary| {
                let view = crate::domain::access::may_read_monitoring(
                    &caller,
                    &crate::domain::access::DepartmentRef {
                        id: summary.list.department_id,
                        path: summary.department_path.clone(),
                    },
                )?;
                let may_keep = may_keep_monitoring_list(&caller, summary.list.department_id);
                let scope_name = summary
                    .list
                    .whitelist_scope
                    .as_ref()
                    .and_then(|s| names.get(s).cloned());
                Some(ListInfo {
                    summary,
                    view,
                    may_keep,
                    scope_name,
                })
            })
            .collect())
    })
    .await
}

/// A list's name, and the white list (scope, batch) it is drawn from.
type ParsedList = (String, Option<(String, Option<i32>)>);

fn parse_list(input: &ListInput) -> Result<ParsedList, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let name = input.name.trim().to_string();
    if name.chars().count() < 2
        || name.chars().count() > MAX_NAME_CHARS
        || crate::domain::ticket::has_control_characters(&name)
    {
        issues.push(crate::domain::enterprise::issue_with(
            "name",
            "daily_field.list_name",
            [("max", MAX_NAME_CHARS.to_string())],
        ));
    }
    let source = match input.source.trim() {
        "" | "members" => None,
        "whitelist" => {
            // 全国: how a Chinese page says the national list.
            let scope = match input.whitelist_scope.trim() {
                "全国" => "national",
                s => s,
            };
            let scope_ok = scope == "national"
                || RegionCode::parse(scope).is_ok_and(|c| c.as_str().ends_with("0000"));
            if !scope_ok {
                issues.push(issue("whitelist_scope", "daily_field.whitelist_scope"));
            }
            let batch = match input.whitelist_batch.trim() {
                "" => None,
                b => match b.parse::<i32>() {
                    Ok(n) if (1..=99).contains(&n) => Some(n),
                    _ => {
                        issues.push(issue("whitelist_batch", "daily_field.whitelist_batch"));
                        None
                    }
                },
            };
            Some((scope.to_string(), batch))
        }
        _ => {
            issues.push(issue("source", "daily_field.list_source"));
            None
        }
    };
    if issues.is_empty() {
        Ok((name, source))
    } else {
        Err(issues)
    }
}

/// Creates a list kept by the caller's department; a list drawn from a
/// white list is filled at once.
pub async fn create(
    db: &Database,
    caller: &Caller,
    input: &ListInput,
    now: DateTime<Utc>,
) -> Result<MonitoringList, MonitoringError> {
    let Some(d) = caller.department.clone() else {
        return Err(MonitoringError::NotPermitted("daily_problem.only_keepers"));
    };
    if !may_keep_monitoring_list(caller, d.id) {
        return Err(MonitoringError::NotPermitted("daily_problem.only_keepers"));
    }
    let (name, source) = parse_list(input).map_err(MonitoringError::Invalid)?;
    let at = now.naive_utc();
    let actor = caller.user_id;
    super::write(db, move |conn| {
        if !MonitoringList::find_by_name(conn, Some(d.id), &name)?.is_empty() {
            return Err(MonitoringError::NameTaken);
        }
        let list = MonitoringList::insert(
            conn,
            &NewList {
                department_id: d.id,
                name: name.clone(),
                source: if source.is_some() {
                    FROM_WHITELIST
                } else {
                    BY_HAND
                }
                .into(),
                whitelist_scope: source.as_ref().map(|(s, _)| s.clone()),
                whitelist_batch: source.as_ref().and_then(|(_, b)| *b),
                created_by: Some(actor),
                created_at: at,
                updated_at: at,
            },
        )?;
        if list.source == FROM_WHITELIST {
            sync_list(conn, &list, &d, None, at)?;
        }
        Ok(list)
    })
    .await
}

/// Where a department's jurisdiction lies: a county-code prefix, or a
/// chain (a chain platform), or everywhere (the ministry).
fn jurisdiction(d: &DepartmentScope) -> (Option<String>, Option<String>) {
    match (&d.kind, &d.region, &d.chain_code) {
        (DepartmentKind::Ministry, _, _) => (None, None),
        (DepartmentKind::ChainPlatform, _, chain) => (None, chain.clone()),
        (_, Some((code, level)), _) => {
            let n = match level {
                RegionLevel::Province => 2,
                RegionLevel::City => 4,
                RegionLevel::County => 6,
            };
            (Some(code.as_str()[..n].to_string()), None)
        }
        _ => (Some("-".into()), None),
    }
}

/// Brings a list drawn from a white list in step with it (only for
/// `enterprises` when given): adds who is on the white list in the
/// department's jurisdiction, takes off who is not. Returns the changes.
pub fn sync_list(
    conn: &mut AnyConnection,
    list: &MonitoringList,
    keeper: &DepartmentScope,
    enterprises: Option<&[i64]>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let Some(scope) = &list.whitelist_scope else {
        return Ok(0);
    };
    let (prefix, chain) = jurisdiction(keeper);
    let only: Option<std::collections::HashSet<i64>> =
        enterprises.map(|ids| ids.iter().copied().collect());
    let within = |id: &i64| only.as_ref().is_none_or(|ids| ids.contains(id));
    let mut wanted: Vec<i64> = monitoring::whitelisted(
        conn,
        scope,
        list.whitelist_batch,
        prefix.as_deref(),
        chain.as_deref(),
    )?
    .into_iter()
    .filter(within)
    .collect();
    wanted.sort_unstable();
    let current: Vec<i64> = monitoring::member_ids(conn, list.id)?
        .into_iter()
        .filter(within)
        .collect();
    let have: std::collections::HashSet<i64> = current.iter().copied().collect();
    let added: Vec<i64> = wanted
        .iter()
        .filter(|id| !have.contains(id))
        .copied()
        .collect();
    let gone: Vec<i64> = current
        .iter()
        .filter(|id| wanted.binary_search(id).is_err())
        .copied()
        .collect();
    add_members(conn, list.id, &added, at)?;
    remove_members(conn, list.id, &gone)?;
    Ok(added.len() + gone.len())
}

/// Keeps every list drawn from a white list in step after the white list
/// changed for `enterprises` (None: for everyone). Called in the
/// transaction that changed the white list.
pub fn follow_whitelists(
    conn: &mut AnyConnection,
    enterprises: Option<&[i64]>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut changed = 0;
    for list in MonitoringList::from_whitelists(conn)? {
        let Some(dept) = Department::find(conn, list.department_id)? else {
            continue;
        };
        changed += sync_list(conn, &list, &scope_of(&dept), enterprises, at)?;
    }
    Ok(changed)
}

/// Adds enterprises to a list, with their reports so far.
pub fn add_members(
    conn: &mut AnyConnection,
    list_id: i64,
    ids: &[i64],
    at: NaiveDateTime,
) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let placed = monitoring::placements(conn, ids)?;
    let rows: Vec<Member> = ids
        .iter()
        .filter_map(|id| {
            let p = placed.get(id)?;
            Some(Member {
                list_id,
                enterprise_id: *id,
                county_code: p.county.clone(),
                industry_code: p.industry.clone(),
                chains: pack_chains(&p.chains),
                added_at: at,
            })
        })
        .collect();
    monitoring::insert_members(conn, &rows)?;
    members_reports(conn, &rows, 1)?;
    MonitoringList::touch(conn, list_id, at)
}

/// Takes enterprises off a list, with their reports.
pub fn remove_members(conn: &mut AnyConnection, list_id: i64, ids: &[i64]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let members: Vec<Member> = monitoring::memberships(conn, ids)?
        .into_iter()
        .filter(|m| m.list_id == list_id)
        .collect();
    members_reports(conn, &members, -1)?;
    for m in &members {
        monitoring::delete_member(conn, list_id, m.enterprise_id)?;
    }
    Ok(())
}

fn facts(id: i64, p: &Placement) -> Option<EnterpriseFacts> {
    Some(EnterpriseFacts {
        id,
        county: RegionCode::parse(&p.county).ok()?,
        chains: p.chains.clone(),
    })
}

/// Adds an enterprise (by id) to a list kept by hand; adding it twice
/// changes nothing. Returns whether it was added now.
pub async fn add_member(
    db: &Database,
    caller: &Caller,
    list_id: i64,
    enterprise_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, MonitoringError> {
    let caller = caller.clone();
    super::write(db, move |conn| {
        let (list, keeper) = kept(conn, &caller, list_id)?;
        let placed = monitoring::placements(conn, &[enterprise_id])?;
        let p = placed
            .get(&enterprise_id)
            .ok_or(MonitoringError::NotFound)?;
        let e = facts(enterprise_id, p).ok_or(MonitoringError::NotFound)?;
        if !may_monitor_enterprise(&keeper, &e) {
            return Err(MonitoringError::OutsideJurisdiction);
        }
        if monitoring::member_ids(conn, list.id)?.contains(&enterprise_id) {
            return Ok(false);
        }
        add_members(conn, list.id, &[enterprise_id], now.naive_utc())?;
        Ok(true)
    })
    .await
}

/// Takes an enterprise off a list kept by hand.
pub async fn remove_member(
    db: &Database,
    caller: &Caller,
    list_id: i64,
    enterprise_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, MonitoringError> {
    let caller = caller.clone();
    super::write(db, move |conn| {
        let (list, _) = kept(conn, &caller, list_id)?;
        if !monitoring::member_ids(conn, list.id)?.contains(&enterprise_id) {
            return Ok(false);
        }
        remove_members(conn, list.id, &[enterprise_id])?;
        MonitoringList::touch(conn, list.id, now.naive_utc())?;
        Ok(true)
    })
    .await
}

/// A list the caller keeps by hand, and its department.
fn kept(
    conn: &mut AnyConnection,
    caller: &Caller,
    list_id: i64,
) -> Result<(MonitoringList, DepartmentScope), MonitoringError> {
    let r = readable(conn, caller, list_id)?;
    if !may_keep_monitoring_list(caller, r.list.department_id) {
        return Err(MonitoringError::NotPermitted("daily_problem.only_keepers"));
    }
    if r.list.source != BY_HAND {
        return Err(MonitoringError::FollowsWhitelist);
    }
    let dept = Department::find(conn, r.list.department_id)?.ok_or(MonitoringError::NotFound)?;
    Ok((r.list, scope_of(&dept)))
}

/// A page of a list's members as the caller sees it (its part of it),
/// and the name of the province whose white list it follows.
pub async fn members(
    db: &Database,
    caller: &Caller,
    list_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(super::Readable, Option<String>, Vec<MemberRow>), MonitoringError> {
    let caller = caller.clone();
    super::read(db, move |conn| {
        let r = readable(conn, &caller, list_id)?;
        let prefix = view_prefix(&r.view);
        let mut rows = monitoring::members_page(conn, list_id, prefix.as_deref(), offset, limit)?;
        if let MonitoringView::Chain(c) = &r.view {
            rows.retain(|m| m.chains.contains(&format!(",{c},")));
        }
        // The province whose white list the list follows, by name.
        let scope_name = match &r.list.whitelist_scope {
            Some(code) => crate::storage::regions::Region::find(conn, code)?.map(|x| x.name),
            None => None,
        };
        Ok((r, scope_name, rows))
    })
    .await
}

/// The county prefix a narrowed view reads.
pub fn view_prefix(view: &MonitoringView) -> Option<String> {
    match view {
        MonitoringView::Region(code, _) => Some(code.subtree_prefix().to_string()),
        _ => None,
    }
}

/// Sets an enterprise's industry code; its lists' figures move with it.
pub async fn set_industry(
    db: &Database,
    caller: &Caller,
    enterprise_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<&'static Industry, MonitoringError> {
    let industry =
        parse_industry("industry", code).map_err(|i| MonitoringError::Invalid(vec![i]))?;
    let caller = caller.clone();
    super::write(db, move |conn| {
        let e = Enterprise::find(conn, enterprise_id)?.ok_or(MonitoringError::NotFound)?;
        let chains = crate::storage::enterprises::chains_of(conn, &[e.id])?
            .remove(&e.id)
            .unwrap_or_default();
        let facts = EnterpriseFacts {
            id: e.id,
            county: RegionCode::parse(&e.county_code).map_err(|_| MonitoringError::NotFound)?,
            chains,
        };
        if !crate::domain::access::may_read_enterprise(&caller, &facts) {
            return Err(MonitoringError::NotFound);
        }
        if !may_set_industry(&caller, &facts) {
            return Err(MonitoringError::NotPermitted(
                "daily_problem.only_enterprise_keepers",
            ));
        }
        monitoring::set_industry(
            conn,
            e.id,
            industry.code,
            Some(caller.user_id),
            now.naive_utc(),
        )?;
        follow_enterprises(conn, &[e.id])?;
        Ok(industry)
    })
    .await
}
