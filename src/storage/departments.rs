//! Departments: one per region, the ministry and its chain platforms.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::departments;
use crate::domain::region::{DepartmentKind, RegionLevel};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = departments)]
pub struct Department {
    pub id: i64,
    pub kind: DepartmentKind,
    pub name: String,
    pub region_code: Option<String>,
    pub region_level: Option<RegionLevel>,
    pub chain_code: Option<String>,
    pub parent_id: Option<i64>,
    pub path: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// Assign new tickets to the least-loaded officer on sign-for.
    pub auto_assign: bool,
    /// The desk's phone, shown to enterprises beside the department's name.
    pub phone: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = departments)]
struct NewPlatform<'a> {
    kind: &'a str,
    name: &'a str,
    chain_code: &'a str,
    parent_id: i64,
    path: &'a str,
    active: bool,
    created_at: NaiveDateTime,
    auto_assign: bool,
}

impl Department {
    /// Adds the ministry's coordination platform of a new chain; returns
    /// its id. The id is the database's, so the path is written after.
    pub fn add_chain_platform(
        conn: &mut AnyConnection,
        chain_code: &str,
        name: &str,
        now: NaiveDateTime,
    ) -> QueryResult<i64> {
        let ministry: (i64, String) = departments::table
            .filter(departments::kind.eq("ministry"))
            .select((departments::id, departments::path))
            .first(conn)?;
        diesel::insert_into(departments::table)
            .values(NewPlatform {
                kind: "chain_platform",
                name,
                chain_code,
                parent_id: ministry.0,
                path: &ministry.1,
                active: true,
                created_at: now,
                auto_assign: false,
            })
            .execute(conn)?;
        let id: i64 = departments::table
            .filter(departments::chain_code.eq(chain_code))
            .select(departments::id)
            .first(conn)?;
        diesel::update(departments::table.find(id))
            .set(departments::path.eq(format!("{}{id}/", ministry.1)))
            .execute(conn)?;
        Ok(id)
    }

    /// The platform department of a chain, if it has one.
    pub fn of_chain(conn: &mut AnyConnection, chain_code: &str) -> QueryResult<Option<i64>> {
        departments::table
            .filter(departments::chain_code.eq(chain_code))
            .select(departments::id)
            .first(conn)
            .optional()
    }

    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Department>> {
        departments::table
            .find(id)
            .select(Department::as_select())
            .first(conn)
            .optional()
    }

    pub fn children(conn: &mut AnyConnection, parent_id: i64) -> QueryResult<Vec<Department>> {
        departments::table
            .filter(departments::parent_id.eq(parent_id))
            .order(departments::id.asc())
            .select(Department::as_select())
            .load(conn)
    }

    /// The departments at the top of the tree (the ministry).
    pub fn roots(conn: &mut AnyConnection) -> QueryResult<Vec<Department>> {
        departments::table
            .filter(departments::parent_id.is_null())
            .order(departments::id.asc())
            .select(Department::as_select())
            .load(conn)
    }

    /// The ids on the path from the root down to this department.
    pub fn ancestry(&self) -> Vec<i64> {
        self.path
            .split('/')
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    /// Loads the given departments, in no particular order.
    pub fn load_many(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<Department>> {
        departments::table
            .filter(departments::id.eq_any(ids))
            .select(Department::as_select())
            .load(conn)
    }

    /// Every active department, by id (the pickers put them in tree order:
    /// where NULL region codes sort differs between the backends).
    pub fn all_active(conn: &mut AnyConnection) -> QueryResult<Vec<Department>> {
        departments::table
            .filter(departments::active.eq(true))
            .order(departments::id.asc())
            .select(Department::as_select())
            .load(conn)
    }

    /// The departments serving a region code, or bearing exactly this name.
    pub fn by_region_or_name(conn: &mut AnyConnection, text: &str) -> QueryResult<Vec<Department>> {
        departments::table
            .filter(
                departments::region_code
                    .eq(text)
                    .or(departments::name.eq(text)),
            )
            .order(departments::id.asc())
            .select(Department::as_select())
            .load(conn)
    }

    pub fn set_phone(conn: &mut AnyConnection, id: i64, phone: Option<&str>) -> QueryResult<usize> {
        diesel::update(departments::table.find(id))
            .set(departments::phone.eq(phone))
            .execute(conn)
    }

    pub fn set_auto_assign(conn: &mut AnyConnection, id: i64, on: bool) -> QueryResult<usize> {
        diesel::update(departments::table.find(id))
            .set(departments::auto_assign.eq(on))
            .execute(conn)
    }
}
