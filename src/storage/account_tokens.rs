//! Single-use links sent by e-mail (activation, password reset), kept as hashes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::account_tokens;

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = account_tokens)]
pub struct NewAccountToken {
    pub purpose: String,
    pub token_hash: String,
    pub email: String,
    pub user_id: Option<i64>,
    pub payload: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = account_tokens)]
pub struct AccountToken {
    pub id: i64,
    pub purpose: String,
    pub token_hash: String,
    pub email: String,
    pub user_id: Option<i64>,
    pub payload: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, row: &NewAccountToken) -> QueryResult<()> {
    diesel::insert_into(account_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Tokens of this purpose issued to the address since `since` (a flood guard).
pub fn issued_since(
    conn: &mut AnyConnection,
    purpose: &str,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    account_tokens::table
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::email.eq(email))
        .filter(account_tokens::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// The token with this hash and purpose, if it is unused and unexpired at `now`.
pub fn usable(
    conn: &mut AnyConnection,
    purpose: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<AccountToken>> {
    account_tokens::table
        .filter(account_tokens::token_hash.eq(hash))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select(AccountToken::as_select())
        .first(conn)
        .optional()
}

/// Uses the token up; false if another request used it first.
pub fn consume(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        account_tokens::table
            .filter(account_tokens::id.eq(id))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Voids every other unused token of this purpose for the address.
pub fn void_others(
    conn: &mut AnyConnection,
    purpose: &str,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::email.eq(email))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now))
    .execute(conn)
}
