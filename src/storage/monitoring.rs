//! Monitoring lists (监测名单), their members, and enterprises' industries.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{
    departments, enterprise_chains, enterprise_industries, enterprises, monitoring_lists,
    monitoring_members, whitelist_entries,
};
use super::users::escape_like;
use crate::domain::monitoring::tally::{pack_chains, Placement};

/// Where a list's enterprises come from.
pub const BY_HAND: &str = "members";
pub const FROM_WHITELIST: &str = "whitelist";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = monitoring_lists)]
pub struct MonitoringList {
    pub id: i64,
    pub department_id: i64,
    pub name: String,
    /// [`BY_HAND`] or [`FROM_WHITELIST`].
    pub source: String,
    /// `national` or a province code, for a list drawn from a white list.
    pub whitelist_scope: Option<String>,
    /// One batch of that list, or every batch (None).
    pub whitelist_batch: Option<i32>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = monitoring_lists)]
pub struct NewList {
    pub department_id: i64,
    pub name: String,
    pub source: String,
    pub whitelist_scope: Option<String>,
    pub whitelist_batch: Option<i32>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A list with its department's name and path, and its size.
#[derive(Debug, Clone, PartialEq)]
pub struct ListSummary {
    pub list: MonitoringList,
    pub department_name: String,
    pub department_path: String,
    pub members: i64,
}

impl MonitoringList {
    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<MonitoringList>> {
        monitoring_lists::table
            .find(id)
            .select(MonitoringList::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_name(
        conn: &mut AnyConnection,
        department_id: Option<i64>,
        name: &str,
    ) -> QueryResult<Vec<MonitoringList>> {
        let mut q = monitoring_lists::table
            .filter(monitoring_lists::name.eq(name))
            .select(MonitoringList::as_select())
            .into_boxed();
        if let Some(d) = department_id {
            q = q.filter(monitoring_lists::department_id.eq(d));
        }
        q.load(conn)
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewList) -> QueryResult<MonitoringList> {
        diesel::insert_into(monitoring_lists::table)
            .values(new)
            .execute(conn)?;
        monitoring_lists::table
            .filter(monitoring_lists::department_id.eq(new.department_id))
            .filter(monitoring_lists::name.eq(&new.name))
            .select(MonitoringList::as_select())
            .first(conn)
    }

    pub fn touch(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(monitoring_lists::table.find(id))
            .set(monitoring_lists::updated_at.eq(at))
            .execute(conn)?;
        Ok(())
    }

    /// The lists drawn from a white list, for keeping them in step with it.
    pub fn from_whitelists(conn: &mut AnyConnection) -> QueryResult<Vec<MonitoringList>> {
        monitoring_lists::table
            .filter(monitoring_lists::source.eq(FROM_WHITELIST))
            .select(MonitoringList::as_select())
            .load(conn)
    }
}

/// Lists kept by departments under `path` (a department's subtree) or by
/// the departments `above`, with their sizes, by department then name.
pub fn lists_visible(
    conn: &mut AnyConnection,
    path: &str,
    above: &[i64],
) -> QueryResult<Vec<ListSummary>> {
    let pattern = format!("{}%", escape_like(path));
    let rows: Vec<(MonitoringList, String, String)> = monitoring_lists::table
        .inner_join(departments::table.on(departments::id.eq(monitoring_lists::department_id)))
        .filter(
            departments::path
                .like(pattern)
                .escape('\\')
                .or(departments::id.eq_any(above)),
        )
        .order((departments::path.asc(), monitoring_lists::name.asc()))
        .select((
            MonitoringList::as_select(),
            departments::name,
            departments::path,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(l, _, _)| l.id).collect();
    let sizes: HashMap<i64, i64> = monitoring_members::table
        .filter(monitoring_members::list_id.eq_any(&ids))
        .group_by(monitoring_members::list_id)
        .select((monitoring_members::list_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(list, department_name, department_path)| ListSummary {
            members: sizes.get(&list.id).copied().unwrap_or(0),
            list,
            department_name,
            department_path,
        })
        .collect())
}

/// A list's enterprise, with where its reports count.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = monitoring_members)]
pub struct Member {
    pub list_id: i64,
    pub enterprise_id: i64,
    pub county_code: String,
    pub industry_code: String,
    /// Packed: `,a,b,`.
    pub chains: String,
    pub added_at: NaiveDateTime,
}

impl Member {
    pub fn placement(&self) -> Placement {
        Placement {
            county: self.county_code.clone(),
            industry: self.industry_code.clone(),
            chains: crate::domain::monitoring::tally::unpack_chains(&self.chains),
        }
    }
}

pub fn insert_members(conn: &mut AnyConnection, rows: &[Member]) -> QueryResult<()> {
    insert_batches!(conn, monitoring_members::table, rows);
    Ok(())
}

pub fn delete_member(
    conn: &mut AnyConnection,
    list_id: i64,
    enterprise_id: i64,
) -> QueryResult<usize> {
    diesel::delete(monitoring_members::table.find((list_id, enterprise_id))).execute(conn)
}

/// Records where a member's reports count now.
pub fn move_member(
    conn: &mut AnyConnection,
    list_id: i64,
    enterprise_id: i64,
    p: &Placement,
) -> QueryResult<()> {
    diesel::update(monitoring_members::table.find((list_id, enterprise_id)))
        .set((
            monitoring_members::county_code.eq(&p.county),
            monitoring_members::industry_code.eq(&p.industry),
            monitoring_members::chains.eq(pack_chains(&p.chains)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every list membership of these enterprises.
pub fn memberships(conn: &mut AnyConnection, enterprise_ids: &[i64]) -> QueryResult<Vec<Member>> {
    let mut out = Vec::new();
    for chunk in enterprise_ids.chunks(500) {
        out.extend(
            monitoring_members::table
                .filter(monitoring_members::enterprise_id.eq_any(chunk))
                .select(Member::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn member_ids(conn: &mut AnyConnection, list_id: i64) -> QueryResult<Vec<i64>> {
    monitoring_members::table
        .filter(monitoring_members::list_id.eq(list_id))
        .select(monitoring_members::enterprise_id)
        .load(conn)
}

/// A member as the list page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub enterprise_id: i64,
    pub name: String,
    pub credit_code: String,
    pub county_code: String,
    pub industry_code: String,
    pub chains: String,
}

/// A page of a list's members under a county prefix, by name.
pub fn members_page(
    conn: &mut AnyConnection,
    list_id: i64,
    county_prefix: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<MemberRow>> {
    let mut q = monitoring_members::table
        .inner_join(enterprises::table)
        .filter(monitoring_members::list_id.eq(list_id))
        .into_boxed();
    if let Some(p) = county_prefix {
        q = q.filter(
            monitoring_members::county_code
                .like(format!("{}%", escape_like(p)))
                .escape('\\'),
        );
    }
    let rows: Vec<(i64, String, String, String, String, String)> = q
        .order((enterprises::name.asc(), enterprises::id.asc()))
        .offset(offset)
        .limit(limit)
        .select((
            enterprises::id,
            enterprises::name,
            enterprises::credit_code,
            monitoring_members::county_code,
            monitoring_members::industry_code,
            monitoring_members::chains,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(enterprise_id, name, credit_code, county_code, industry_code, chains)| MemberRow {
                enterprise_id,
                name,
                credit_code,
                county_code,
                industry_code,
                chains,
            },
        )
        .collect())
}

/// A list's members counted by county, industry and chains (the
/// denominators), under a county prefix.
pub fn listed_counts(
    conn: &mut AnyConnection,
    list_id: i64,
    county_prefix: Option<&str>,
) -> QueryResult<Vec<(Placement, i64)>> {
    let mut q = monitoring_members::table
        .filter(monitoring_members::list_id.eq(list_id))
        .group_by((
            monitoring_members::county_code,
            monitoring_members::industry_code,
            monitoring_members::chains,
        ))
        .select((
            monitoring_members::county_code,
            monitoring_members::industry_code,
            monitoring_members::chains,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    if let Some(p) = county_prefix {
        let (low, high) = crate::storage::regions::subtree_bounds(p);
        q = q.filter(monitoring_members::county_code.between(low, high));
    }
    let rows: Vec<(String, String, String, i64)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(county, industry, chains, n)| {
            (
                Placement {
                    county,
                    industry,
                    chains: crate::domain::monitoring::tally::unpack_chains(&chains),
                },
                n,
            )
        })
        .collect())
}

/// Where each enterprise's reports count now: county, industry, chains.
pub fn placements(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, Placement>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, Option<String>)> = enterprises::table
            .left_join(
                enterprise_industries::table
                    .on(enterprise_industries::enterprise_id.eq(enterprises::id)),
            )
            .filter(enterprises::id.eq_any(chunk))
            .select((
                enterprises::id,
                enterprises::county_code,
                enterprise_industries::industry_code.nullable(),
            ))
            .load(conn)?;
        let chains: Vec<(i64, String)> = enterprise_chains::table
            .filter(enterprise_chains::enterprise_id.eq_any(chunk))
            .select((
                enterprise_chains::enterprise_id,
                enterprise_chains::chain_code,
            ))
            .load(conn)?;
        for (id, county, industry) in rows {
            out.insert(
                id,
                Placement {
                    county,
                    industry: industry.unwrap_or_default(),
                    chains: Vec::new(),
                },
            );
        }
        for (id, chain) in chains {
            if let Some(p) = out.get_mut(&id) {
                p.chains.push(chain);
            }
        }
    }
    for p in out.values_mut() {
        p.chains.sort();
    }
    Ok(out)
}

/// Industry codes of these enterprises.
pub fn industries(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        out.extend(
            enterprise_industries::table
                .filter(enterprise_industries::enterprise_id.eq_any(chunk))
                .select((
                    enterprise_industries::enterprise_id,
                    enterprise_industries::industry_code,
                ))
                .load::<(i64, String)>(conn)?,
        );
    }
    Ok(out)
}

/// Sets (or replaces) an enterprise's industry code.
pub fn set_industry(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    code: &str,
    by: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    // One upsert: two first writes for one enterprise at once both succeed
    // (an update, then an insert when nothing was updated, made the second
    // fail on the key).
    use diesel::upsert::excluded;
    super::dialect::on_each_backend!(conn, |c| diesel::insert_into(enterprise_industries::table)
        .values((
            enterprise_industries::enterprise_id.eq(enterprise_id),
            enterprise_industries::industry_code.eq(code),
            enterprise_industries::updated_by.eq(by),
            enterprise_industries::updated_at.eq(at),
        ))
        .on_conflict(enterprise_industries::enterprise_id)
        .do_update()
        .set((
            enterprise_industries::industry_code.eq(excluded(enterprise_industries::industry_code)),
            enterprise_industries::updated_by.eq(excluded(enterprise_industries::updated_by)),
            enterprise_industries::updated_at.eq(excluded(enterprise_industries::updated_at)),
        ))
        .execute(c))?;
    Ok(())
}

/// Industry codes in bulk (an import, the demo): (enterprise, code).
pub fn insert_industries(
    conn: &mut AnyConnection,
    rows: &[(i64, String)],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let values: Vec<_> = rows
        .iter()
        .map(|(id, code)| {
            (
                enterprise_industries::enterprise_id.eq(*id),
                enterprise_industries::industry_code.eq(code.as_str()),
                enterprise_industries::updated_by.eq(None::<i64>),
                enterprise_industries::updated_at.eq(at),
            )
        })
        .collect();
    insert_batches!(conn, enterprise_industries::table, values);
    Ok(())
}

/// The enterprises currently on a white list (a scope, a batch or all),
/// in a county prefix when given (a department's jurisdiction).
pub fn whitelisted(
    conn: &mut AnyConnection,
    scope: &str,
    batch: Option<i32>,
    county_prefix: Option<&str>,
    chain: Option<&str>,
) -> QueryResult<Vec<i64>> {
    let mut q = whitelist_entries::table
        .inner_join(enterprises::table)
        .filter(whitelist_entries::scope.eq(scope))
        .filter(whitelist_entries::removed_on.is_null())
        .select(whitelist_entries::enterprise_id)
        .distinct()
        .into_boxed();
    if let Some(b) = batch {
        q = q.filter(whitelist_entries::batch.eq(b));
    }
    if let Some(p) = county_prefix {
        q = q.filter(
            enterprises::county_code
                .like(format!("{}%", escape_like(p)))
                .escape('\\'),
        );
    }
    if let Some(c) = chain {
        q = q.filter(
            whitelist_entries::enterprise_id.eq_any(
                enterprise_chains::table
                    .filter(enterprise_chains::chain_code.eq(c.to_string()))
                    .select(enterprise_chains::enterprise_id),
            ),
        );
    }
    q.load(conn)
}
