//! Industry chains (汽车, 集成电路, ...): a list administrators may extend.

use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::chains;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chains)]
pub struct Chain {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort_order: i32,
    pub active: bool,
}

impl Chain {
    pub fn find(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<Chain>> {
        chains::table
            .find(code)
            .select(Chain::as_select())
            .first(conn)
            .optional()
    }

    pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<Chain>> {
        chains::table
            .order(chains::sort_order.asc())
            .select(Chain::as_select())
            .load(conn)
    }
}
