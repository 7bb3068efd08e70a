//! Requests to speak for an enterprise on record, decided by its existing
//! accounts (or, when it has none, by its county department's lead).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::enterprises::Enterprise;
use super::schema::{enterprise_join_requests, enterprises, users};

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REFUSED: &str = "refused";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = enterprise_join_requests)]
pub struct JoinRequest {
    pub id: i64,
    pub enterprise_id: i64,
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub locale: String,
    pub password_hash: String,
    pub status: String,
    pub requested_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    pub user_id: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = enterprise_join_requests)]
pub struct NewJoinRequest<'a> {
    pub enterprise_id: i64,
    pub email: &'a str,
    pub display_name: &'a str,
    pub phone: Option<&'a str>,
    pub locale: &'a str,
    pub password_hash: &'a str,
    pub status: &'a str,
    pub requested_at: NaiveDateTime,
}

impl JoinRequest {
    pub fn insert(conn: &mut AnyConnection, new: &NewJoinRequest) -> QueryResult<JoinRequest> {
        diesel::insert_into(enterprise_join_requests::table)
            .values(new)
            .returning(enterprise_join_requests::all_columns)
            .get_result(conn)
    }

    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<JoinRequest>> {
        enterprise_join_requests::table
            .find(id)
            .select(JoinRequest::as_select())
            .first(conn)
            .optional()
    }

    /// A pending request from this address, if any (one at a time).
    pub fn pending_of_email(
        conn: &mut AnyConnection,
        email: &str,
    ) -> QueryResult<Option<JoinRequest>> {
        enterprise_join_requests::table
            .filter(enterprise_join_requests::email.eq(email))
            .filter(enterprise_join_requests::status.eq(PENDING))
            .select(JoinRequest::as_select())
            .first(conn)
            .optional()
    }

    /// Pending requests to join these enterprises, oldest first.
    pub fn pending_for(
        conn: &mut AnyConnection,
        enterprise_ids: &[i64],
    ) -> QueryResult<Vec<JoinRequest>> {
        enterprise_join_requests::table
            .filter(enterprise_join_requests::enterprise_id.eq_any(enterprise_ids))
            .filter(enterprise_join_requests::status.eq(PENDING))
            .order(enterprise_join_requests::id.asc())
            .select(JoinRequest::as_select())
            .load(conn)
    }

    /// Pending requests to join enterprises of one county, with them.
    pub fn pending_in_county(
        conn: &mut AnyConnection,
        county: &str,
    ) -> QueryResult<Vec<(JoinRequest, Enterprise)>> {
        enterprise_join_requests::table
            .inner_join(enterprises::table)
            .filter(enterprises::county_code.eq(county))
            .filter(enterprise_join_requests::status.eq(PENDING))
            .order(enterprise_join_requests::id.asc())
            .select((JoinRequest::as_select(), Enterprise::as_select()))
            .load(conn)
    }

    /// Records the decision if the request is still pending; false if
    /// someone decided it first.
    pub fn decide(
        conn: &mut AnyConnection,
        id: i64,
        status: &str,
        by: i64,
        user_id: Option<i64>,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            enterprise_join_requests::table
                .find(id)
                .filter(enterprise_join_requests::status.eq(PENDING)),
        )
        .set((
            enterprise_join_requests::status.eq(status),
            enterprise_join_requests::decided_at.eq(Some(now)),
            enterprise_join_requests::decided_by.eq(Some(by)),
            enterprise_join_requests::user_id.eq(user_id),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

/// Active accounts of the enterprise (who decide its join requests).
pub fn active_accounts(
    conn: &mut AnyConnection,
    enterprise_id: i64,
) -> QueryResult<Vec<(i64, String, String)>> {
    users::table
        .filter(users::enterprise_id.eq(enterprise_id))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select((users::id, users::email, users::locale))
        .load(conn)
}

/// Active leads of the county department of `county` (who decide join
/// requests of an enterprise with no accounts).
pub fn county_leads(
    conn: &mut AnyConnection,
    county: &str,
) -> QueryResult<Vec<(i64, String, String)>> {
    use super::schema::departments;
    users::table
        .inner_join(departments::table)
        .filter(departments::kind.eq("county"))
        .filter(departments::region_code.eq(county))
        .filter(users::role.eq(crate::domain::role::Role::Lead))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select((users::id, users::email, users::locale))
        .load(conn)
}
