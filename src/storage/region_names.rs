//! Regions found by name, for the workbench's region picker: the tree's
//! ~3,300 rows are read by a plain scan, which costs well under a
//! millisecond.

use diesel::prelude::*;

use super::connection::AnyConnection;
use super::regions::Region;
use super::schema::regions;

impl Region {
    /// Regions whose name contains `word`, provinces first, then by code.
    pub fn named_like(
        conn: &mut AnyConnection,
        word: &str,
        limit: i64,
    ) -> QueryResult<Vec<Region>> {
        regions::table
            .filter(
                regions::name
                    .like(format!("%{}%", super::users::escape_like(word)))
                    .escape('\\'),
            )
            .order((regions::level.asc(), regions::code.asc()))
            .select(Region::as_select())
            .limit(limit)
            .load(conn)
    }
}
