//! The configurable lists (categories, chains) as rows. Both tables have
//! the same shape; [`List`] says which one a query reads or writes.

use diesel::prelude::*;

use super::chains::Chain;
use super::connection::AnyConnection;
use super::schema::{categories, chains};
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

/// A whole list in display order, retired terms included.
pub fn load(conn: &mut AnyConnection, list: List) -> QueryResult<Terms> {
    Ok(Terms(match list {
        List::Categories => categories::table
            .order((categories::sort_order.asc(), categories::code.asc()))
            .select(Category::as_select())
            .load(conn)?
            .into_iter()
            .map(|c| term(c.code, c.name_zh, c.name_en, c.active))
            .collect(),
        List::Chains => chains::table
            .order((chains::sort_order.asc(), chains::code.asc()))
            .select(Chain::as_select())
            .load(conn)?
            .into_iter()
            .map(|c| term(c.code, c.name_zh, c.name_en, c.active))
            .collect(),
    }))
}

/// Writes a term: its names and state if it exists, else a new one at the
/// end of the list. Returns whether it was new.
pub fn save(conn: &mut AnyConnection, list: List, t: &Term) -> QueryResult<bool> {
    match list {
        List::Categories => {
            let changed = diesel::update(categories::table.find(&t.code))
                .set((
                    categories::name_zh.eq(&t.name_zh),
                    categories::name_en.eq(&t.name_en),
                    categories::active.eq(t.active),
                ))
                .execute(conn)?;
            if changed > 0 {
                return Ok(false);
            }
            let last: Option<i32> = categories::table
                .select(diesel::dsl::max(categories::sort_order))
                .first(conn)?;
            diesel::insert_into(categories::table)
                .values(Category {
                    code: t.code.clone(),
                    name_zh: t.name_zh.clone(),
                    name_en: t.name_en.clone(),
                    sort_order: last.unwrap_or(0) + 10,
                    active: t.active,
                })
                .execute(conn)?;
        }
        List::Chains => {
            let changed = diesel::update(chains::table.find(&t.code))
                .set((
                    chains::name_zh.eq(&t.name_zh),
                    chains::name_en.eq(&t.name_en),
                    chains::active.eq(t.active),
                ))
                .execute(conn)?;
            if changed > 0 {
                return Ok(false);
            }
            let last: Option<i32> = chains::table
                .select(diesel::dsl::max(chains::sort_order))
                .first(conn)?;
            diesel::insert_into(chains::table)
                .values(Chain {
                    code: t.code.clone(),
                    name_zh: t.name_zh.clone(),
                    name_en: t.name_en.clone(),
                    sort_order: last.unwrap_or(0) + 10,
                    active: t.active,
                })
                .execute(conn)?;
        }
    }
    Ok(true)
}
