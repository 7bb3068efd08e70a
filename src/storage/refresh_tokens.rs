//! Refresh tokens, by family: rotation, reuse detection, revocation.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::refresh_tokens;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: i64,
    pub user_id: i64,
    pub family: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub user_id: i64,
    pub family: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl RefreshToken {
    pub fn insert(conn: &mut AnyConnection, new: &NewRefreshToken<'_>) -> QueryResult<usize> {
        diesel::insert_into(refresh_tokens::table)
            .values(new)
            .execute(conn)
    }

    pub fn find_by_hash(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<RefreshToken>> {
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()
    }

    /// Marks the token used, if nobody else did first. Returns whether this
    /// call rotated it: of two concurrent refreshes only one can.
    pub fn mark_rotated(
        conn: &mut AnyConnection,
        id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            refresh_tokens::table
                .find(id)
                .filter(refresh_tokens::rotated_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::rotated_at.eq(now))
        .execute(conn)?;
        Ok(n == 1)
    }

    pub fn revoke_family(
        conn: &mut AnyConnection,
        family: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family.eq(family))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
    }

    /// Whether the log-in (family) still stands: some token of it is not
    /// revoked. Access tokens name their log-in, so log-out and theft
    /// detection end them at once, on every instance.
    pub fn family_is_live(conn: &mut AnyConnection, family: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            refresh_tokens::table
                .filter(refresh_tokens::family.eq(family))
                .filter(refresh_tokens::revoked_at.is_null()),
        ))
        .get_result(conn)
    }

    pub fn revoke_all_of_user(
        conn: &mut AnyConnection,
        user_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
    }
}
