//! The authentication audit: append-only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::auth_events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = auth_events)]
pub struct AuthEvent {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub client_address: Option<String>,
    pub actor_id: Option<i64>,
    pub detail: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = auth_events)]
pub struct NewAuthEvent<'a> {
    pub kind: &'a str,
    pub user_id: Option<i64>,
    pub email: Option<&'a str>,
    pub client_address: Option<&'a str>,
    pub actor_id: Option<i64>,
    pub detail: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

impl AuthEvent {
    pub fn record(conn: &mut AnyConnection, e: &NewAuthEvent<'_>) -> QueryResult<usize> {
        diesel::insert_into(auth_events::table)
            .values(e)
            .execute(conn)
    }

    /// Newest first, optionally for one user.
    pub fn recent(
        conn: &mut AnyConnection,
        user_id: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<AuthEvent>> {
        let mut q = auth_events::table
            .select(AuthEvent::as_select())
            .into_boxed();
        if let Some(u) = user_id {
            q = q.filter(auth_events::user_id.eq(u));
        }
        q.order(auth_events::id.desc()).limit(limit).load(conn)
    }
}
