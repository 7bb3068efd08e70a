//! The configurable lists (categories, chains) as rows. Both tables have
//! the same shape; [`List`] says which one a query reads or writes.

use diesel::prelude::*;

use super::chains::Chain;
use super::connection::AnyConnection;
use super::schema::categories;
use crate::domain::catalogue::{Term, Terms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Categories,
    Chains,
}

impl List {
    pub fn as_str(self) -> &'static str {
        match self {
            List::Categories => "category",
            List::Chains => "chain",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = categories)]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort_order: i32,
    pub active: bool,
}

fn term(code: String, name_zh: String, name_en: String, active: bool) -> Term {
    Term {
        code,
        name_zh,
        name_en,
        active,
    }
}

/// Runs `$body` on the list's table (as `$t`) and row type (as `$Row`):
/// both tables have the same columns, so one query serves both.
macro_rules! on_table {
    ($list:expr, $t:ident, $Row:ident => $body:expr) => {
        match $list {
            List::Categories => {
                use super::schema::categories as $t;
                type $Row = Category;
                $body
            }
            List::Chains => {
                use super::schema::chains as $t;
                type $Row = Chain;
                $body
            }
        }
    };
}

/// A whole list in display order, retired terms included.
pub fn load(conn: &mut AnyConnection, list: List) -> QueryResult<Terms> {
    Ok(Terms(on_table!(list, t, Row => t::table
        .order((t::sort_order.asc(), t::code.asc()))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(|c| term(c.code, c.name_zh, c.name_en, c.active))
        .collect())))
}

/// Writes a term: its names and state if it exists, else a new one at the
/// end of the list. Returns whether it was new.
pub fn save(conn: &mut AnyConnection, list: List, t: &Term) -> QueryResult<bool> {
    on_table!(list, table, Row => {
        let changed = diesel::update(table::table.find(&t.code))
            .set((
                table::name_zh.eq(&t.name_zh),
                table::name_en.eq(&t.name_en),
                table::active.eq(t.active),
            ))
            .execute(conn)?;
        if changed > 0 {
            return Ok(false);
        }
        let last: Option<i32> = table::table
            .select(diesel::dsl::max(table::sort_order))
            .first(conn)?;
        diesel::insert_into(table::table)
            .values(Row {
                code: t.code.clone(),
                name_zh: t.name_zh.clone(),
                name_en: t.name_en.clone(),
                sort_order: last.unwrap_or(0) + 10,
                active: t.active,
            })
            .execute(conn)?;
    });
    Ok(true)
}
