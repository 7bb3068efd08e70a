//! A person's saved views of the workbench: a name and a query string.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::saved_views;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = saved_views)]
pub struct SavedView {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The workbench's query string (filters and sort), without a cursor.
    pub query: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = saved_views)]
pub struct NewSavedView {
    pub user_id: i64,
    pub name: String,
    pub query: String,
    pub created_at: NaiveDateTime,
}

impl SavedView {
    /// A person's views, oldest first (the order of their tabs).
    pub fn of_user(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Vec<SavedView>> {
        saved_views::table
            .filter(saved_views::user_id.eq(user_id))
            .order(saved_views::id.asc())
            .select(SavedView::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewSavedView) -> QueryResult<SavedView> {
        diesel::insert_into(saved_views::table)
            .values(new)
            .returning(saved_views::all_columns)
            .get_result(conn)
    }

    /// Deletes the view if it is the person's; false when there was none.
    pub fn delete_own(conn: &mut AnyConnection, user_id: i64, id: i64) -> QueryResult<bool> {
        let n = diesel::delete(
            saved_views::table
                .filter(saved_views::id.eq(id))
                .filter(saved_views::user_id.eq(user_id)),
        )
        .execute(conn)?;
        Ok(n == 1)
    }
}
