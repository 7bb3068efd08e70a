//! White-list entries: national and provincial lists, with their history.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{enterprises, whitelist_entries};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = whitelist_entries)]
pub struct WhitelistEntry {
    pub id: i64,
    pub enterprise_id: i64,
    pub scope: String,
    pub batch: i32,
    pub issuing_department_id: i64,
    pub listed_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
    pub removed_by: Option<i64>,
    pub chain_code: Option<String>,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = whitelist_entries)]
pub struct NewWhitelistEntry {
    pub enterprise_id: i64,
    pub scope: String,
    pub batch: i32,
    pub issuing_department_id: i64,
    pub listed_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
    pub chain_code: Option<String>,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl WhitelistEntry {
    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<WhitelistEntry>> {
        whitelist_entries::table
            .find(id)
            .select(WhitelistEntry::as_select())
            .first(conn)
            .optional()
    }

    /// Every entry of an enterprise, current and removed, newest first.
    pub fn of_enterprise(
        conn: &mut AnyConnection,
        enterprise_id: i64,
    ) -> QueryResult<Vec<WhitelistEntry>> {
        whitelist_entries::table
            .filter(whitelist_entries::enterprise_id.eq(enterprise_id))
            .order((
                whitelist_entries::listed_on.desc(),
                whitelist_entries::id.desc(),
            ))
            .select(WhitelistEntry::as_select())
            .load(conn)
    }

    /// Current entries of the enterprise with this credit code.
    pub fn current_by_code(
        conn: &mut AnyConnection,
        code: &str,
    ) -> QueryResult<Vec<WhitelistEntry>> {
        whitelist_entries::table
            .inner_join(enterprises::table)
            .filter(enterprises::credit_code.eq(code))
            .filter(whitelist_entries::removed_on.is_null())
            .order(whitelist_entries::listed_on.asc())
            .select(WhitelistEntry::as_select())
            .load(conn)
    }

    /// Which of these enterprises are on a white list now.
    pub fn listed_among(
        conn: &mut AnyConnection,
        enterprise_ids: &[i64],
    ) -> QueryResult<std::collections::HashSet<i64>> {
        Ok(whitelist_entries::table
            .filter(whitelist_entries::enterprise_id.eq_any(enterprise_ids))
            .filter(whitelist_entries::removed_on.is_null())
            .select(whitelist_entries::enterprise_id)
            .load::<i64>(conn)?
            .into_iter()
            .collect())
    }

    /// The current entries of an enterprise whose code fails its check
    /// character but an administrator accepted it (a pilot-era code).
    pub fn current_by_waived_code(
        conn: &mut AnyConnection,
        code: &str,
    ) -> QueryResult<Vec<WhitelistEntry>> {
        whitelist_entries::table
            .inner_join(enterprises::table)
            .filter(enterprises::credit_code.eq(code))
            .filter(enterprises::checksum_waived.eq(true))
            .filter(whitelist_entries::removed_on.is_null())
            .order(whitelist_entries::listed_on.asc())
            .select(WhitelistEntry::as_select())
            .load(conn)
    }

    /// The entry for (enterprise, scope, batch), if any.
    pub fn find_key(
        conn: &mut AnyConnection,
        enterprise_id: i64,
        scope: &str,
        batch: i32,
    ) -> QueryResult<Option<WhitelistEntry>> {
        whitelist_entries::table
            .filter(whitelist_entries::enterprise_id.eq(enterprise_id))
            .filter(whitelist_entries::scope.eq(scope))
            .filter(whitelist_entries::batch.eq(batch))
            .select(WhitelistEntry::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(
        conn: &mut AnyConnection,
        new: &NewWhitelistEntry,
    ) -> QueryResult<WhitelistEntry> {
        diesel::insert_into(whitelist_entries::table)
            .values(new)
            .returning(whitelist_entries::all_columns)
            .get_result(conn)
    }

    /// Rewrites the listing facts of an entry (a re-import that changed them).
    pub fn update_facts(
        conn: &mut AnyConnection,
        id: i64,
        new: &NewWhitelistEntry,
    ) -> QueryResult<usize> {
        diesel::update(whitelist_entries::table.find(id))
            .set((
                whitelist_entries::listed_on.eq(new.listed_on),
                whitelist_entries::removed_on.eq(new.removed_on),
                whitelist_entries::chain_code.eq(new.chain_code.clone()),
                whitelist_entries::note.eq(new.note.clone()),
            ))
            .execute(conn)
    }

    /// Ends a listing; the entry stays as history.
    pub fn remove(conn: &mut AnyConnection, id: i64, on: NaiveDate, by: i64) -> QueryResult<usize> {
        diesel::update(
            whitelist_entries::table
                .find(id)
                .filter(whitelist_entries::removed_on.is_null()),
        )
        .set((
            whitelist_entries::removed_on.eq(Some(on)),
            whitelist_entries::removed_by.eq(Some(by)),
        ))
        .execute(conn)
    }
}
