//! A department's canned replies (常用语): a short title and the text it
//! inserts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::canned_replies;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = canned_replies)]
pub struct CannedReply {
    pub id: i64,
    pub department_id: i64,
    pub title: String,
    pub body: String,
    pub updated_by: i64,
    pub updated_at: NaiveDateTime,
}

/// A department's replies, by title.
pub fn of_department(
    conn: &mut AnyConnection,
    department_id: i64,
) -> QueryResult<Vec<CannedReply>> {
    canned_replies::table
        .filter(canned_replies::department_id.eq(department_id))
        .order((canned_replies::title.asc(), canned_replies::id.asc()))
        .select(CannedReply::as_select())
        .load(conn)
}

pub fn insert(
    conn: &mut AnyConnection,
    department_id: i64,
    title: &str,
    body: &str,
    by: i64,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(canned_replies::table)
        .values((
            canned_replies::department_id.eq(department_id),
            canned_replies::title.eq(title),
            canned_replies::body.eq(body),
            canned_replies::updated_by.eq(by),
            canned_replies::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Changes one of the department's replies; false if it has none by that id.
pub fn update(
    conn: &mut AnyConnection,
    department_id: i64,
    id: i64,
    title: &str,
    body: &str,
    by: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        canned_replies::table
            .filter(canned_replies::id.eq(id))
            .filter(canned_replies::department_id.eq(department_id)),
    )
    .set((
        canned_replies::title.eq(title),
        canned_replies::body.eq(body),
        canned_replies::updated_by.eq(by),
        canned_replies::updated_at.eq(at),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes one of the department's replies; false if it has none by that id.
pub fn delete(conn: &mut AnyConnection, department_id: i64, id: i64) -> QueryResult<bool> {
    diesel::delete(
        canned_replies::table
            .filter(canned_replies::id.eq(id))
            .filter(canned_replies::department_id.eq(department_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}
