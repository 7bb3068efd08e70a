//! Regions: the division tree, read-only at run time.

use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::regions;
use crate::domain::region::RegionLevel;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = regions)]
pub struct Region {
    pub code: String,
    pub level: RegionLevel,
    pub name: String,
    pub parent_code: Option<String>,
    pub province_code: String,
    pub nominal: bool,
    pub department_id: Option<i64>,
}

/// The bounds of the six-digit codes under a code prefix (`32`: 320000 to
/// 329999), for a `BETWEEN` that an index on the code serves.
pub fn subtree_bounds(prefix: &str) -> (String, String) {
    let pad = |d: char| {
        format!(
            "{prefix}{}",
            d.to_string().repeat(6usize.saturating_sub(prefix.len()))
        )
    };
    (pad('0'), pad('9'))
}

impl Region {
    /// The region with this code; where a prefecture and its county row share
    /// a code, the prefecture.
    pub fn find(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<Region>> {
        let mut found = regions::table
            .filter(regions::code.eq(code))
            .select(Region::as_select())
            .load(conn)?;
        // The highest level first (the enum is ordered province, city, county).
        found.sort_by_key(|r| r.level);
        Ok(found.into_iter().next())
    }

    /// The region with this code at this level.
    pub fn find_at(
        conn: &mut AnyConnection,
        code: &str,
        level: RegionLevel,
    ) -> QueryResult<Option<Region>> {
        regions::table
            .find((code, level))
            .select(Region::as_select())
            .first(conn)
            .optional()
    }

    /// Direct children of a region, by code.
    pub fn children(conn: &mut AnyConnection, parent: &str) -> QueryResult<Vec<Region>> {
        regions::table
            .filter(regions::parent_code.eq(parent))
            .order(regions::code.asc())
            .select(Region::as_select())
            .load(conn)
    }

    /// Every region with one of these codes, ordered by code and level.
    pub fn find_many(conn: &mut AnyConnection, codes: &[String]) -> QueryResult<Vec<Region>> {
        let mut found = regions::table
            .filter(regions::code.eq_any(codes))
            .select(Region::as_select())
            .load(conn)?;
        found.sort_by(|a, b| a.code.cmp(&b.code).then(a.level.cmp(&b.level)));
        Ok(found)
    }

    /// Those of the codes that name no region.
    pub fn unknown(conn: &mut AnyConnection, codes: &[String]) -> QueryResult<Vec<String>> {
        let known: std::collections::HashSet<String> = regions::table
            .filter(regions::code.eq_any(codes))
            .select(regions::code)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        Ok(codes
            .iter()
            .filter(|c| !known.contains(*c))
            .cloned()
            .collect())
    }

    /// The regions of one level under a code prefix (all when None), by
    /// code; without the nominal ones (a municipality's 市辖区), which no
    /// department answers for.
    pub fn of_level(
        conn: &mut AnyConnection,
        level: &str,
        prefix: Option<&str>,
    ) -> QueryResult<Vec<Region>> {
        let mut q = regions::table
            .filter(regions::level.eq(level))
            .filter(regions::nominal.eq(false))
            .order(regions::code.asc())
            .select(Region::as_select())
            .into_boxed();
        if let Some(p) = prefix {
            let (low, high) = crate::storage::regions::subtree_bounds(p);
            q = q.filter(regions::code.between(low, high));
        }
        q.load(conn)
    }

    /// The provinces, the roots of the tree.
    pub fn provinces(conn: &mut AnyConnection) -> QueryResult<Vec<Region>> {
        regions::table
            .filter(regions::level.eq("province"))
            .order(regions::code.asc())
            .select(Region::as_select())
            .load(conn)
    }

    pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
        regions::table.count().get_result(conn)
    }
}
