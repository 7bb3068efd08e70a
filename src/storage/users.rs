//! User accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::users;
use crate::domain::role::Role;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    pub locale: String,
    pub tokens_valid_after: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Made by `yizhan demo`; refused in the production profile.
    pub demo: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub phone: Option<&'a str>,
    pub role: Role,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub password_hash: Option<&'a str>,
    pub active: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    pub locale: &'a str,
    pub tokens_valid_after: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields an administrator changes on an account.
#[derive(Debug, Clone)]
pub struct ProfileChange<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

/// Filters for the administrators' list.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<String>,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub active: Option<bool>,
    /// Substring of e-mail or display name.
    pub query: Option<String>,
    /// Keyset: ids greater than this.
    pub after_id: Option<i64>,
    pub limit: i64,
}

impl User {
    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// A user, with whether the log-in `family` is still live (a refresh
    /// token of it not revoked): what every authenticated request checks,
    /// in one statement.
    pub fn find_in_session(
        conn: &mut AnyConnection,
        id: i64,
        family: &str,
    ) -> QueryResult<Option<(User, bool)>> {
        use super::schema::refresh_tokens;
        users::table
            .find(id)
            .select((
                User::as_select(),
                diesel::dsl::exists(
                    refresh_tokens::table
                        .filter(refresh_tokens::family.eq(family))
                        .filter(refresh_tokens::revoked_at.is_null()),
                ),
            ))
            .first(conn)
            .optional()
    }

    /// Display names of these users (the ones that exist).
    pub fn names(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
        users::table
            .filter(users::id.eq_any(ids))
            .select((users::id, users::display_name))
            .load(conn)
    }

    pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new)
            .returning(users::all_columns)
            .get_result(conn)
    }

    pub fn list(conn: &mut AnyConnection, f: &UserFilter) -> QueryResult<Vec<User>> {
        let mut q = users::table.select(User::as_select()).into_boxed();
        if let Some(role) = &f.role {
            q = q.filter(users::role.eq(role.clone()));
        }
        if let Some(d) = f.department_id {
            q = q.filter(users::department_id.eq(d));
        }
        if let Some(e) = f.enterprise_id {
            q = q.filter(users::enterprise_id.eq(e));
        }
        if let Some(a) = f.active {
            q = q.filter(users::active.eq(a));
        }
        if let Some(text) = f.query.as_deref().filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            q = q.filter(
                users::email
                    .like(pattern.clone())
                    .escape('\\')
                    .or(users::display_name.like(pattern).escape('\\')),
            );
        }
        if let Some(after) = f.after_id {
            q = q.filter(users::id.gt(after));
        }
        q.order(users::id.asc()).limit(f.limit).load(conn)
    }

    pub fn set_password(
        conn: &mut AnyConnection,
        id: i64,
        hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::tokens_valid_after.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)
    }

    /// Changes what an administrator edits: name, role and attachment.
    pub fn update_profile(
        conn: &mut AnyConnection,
        id: i64,
        change: &ProfileChange<'_>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::display_name.eq(change.display_name),
                users::role.eq(change.role),
                users::department_id.eq(change.department_id),
                users::enterprise_id.eq(change.enterprise_id),
                users::updated_at.eq(now),
            ))
            .execute(conn)
    }

    pub fn set_active(
        conn: &mut AnyConnection,
        id: i64,
        active: bool,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let q = diesel::update(users::table.find(id));
        if active {
            q.set((users::active.eq(true), users::updated_at.eq(now)))
                .execute(conn)
        } else {
            // Deactivation also invalidates access tokens already issued.
            q.set((
                users::active.eq(false),
                users::tokens_valid_after.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)
        }
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as escape.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
