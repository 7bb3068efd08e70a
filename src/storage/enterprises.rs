//! Enterprises and their industry chains.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{enterprise_chains, enterprises, whitelist_entries};
use super::users::escape_like;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = enterprises)]
pub struct Enterprise {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub county_code: String,
    pub checksum_waived: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub address: String,
    pub size: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    /// `verified`, or `unverified`: self-registered under a code not on
    /// record, until its county department verifies it.
    pub verification: String,
    pub verified_by: Option<i64>,
    pub verified_at: Option<NaiveDateTime>,
    /// Who last changed the contact e-mail.
    pub contact_changed_by: Option<i64>,
}

pub const VERIFIED: &str = "verified";
pub const UNVERIFIED: &str = "unverified";

/// The fields a create or an update writes.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = enterprises, treat_none_as_null = true)]
pub struct EnterpriseFields {
    pub credit_code: String,
    pub name: String,
    pub county_code: String,
    pub checksum_waived: bool,
    pub address: String,
    pub size: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = enterprises)]
struct NewRow {
    #[diesel(embed)]
    fields: EnterpriseFields,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    created_by: Option<i64>,
    updated_by: Option<i64>,
}

/// Search filters; jurisdiction arrives as a county-code prefix and/or chain.
#[derive(Debug, Default, Clone)]
pub struct EnterpriseFilter {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    /// County codes starting with this (`31`, `3101`, `310115`).
    pub region_prefix: Option<String>,
    pub chain: Option<String>,
    /// Listed on any white list right now (true), or not (false).
    pub listed: Option<bool>,
    /// Only this enterprise (an enterprise user's own).
    pub only_id: Option<i64>,
    /// Only enterprises waiting to be verified.
    pub unverified: bool,
    pub after_id: Option<i64>,
    pub limit: i64,
}

impl Enterprise {
    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Enterprise>> {
        enterprises::table
            .find(id)
            .select(Enterprise::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<Enterprise>> {
        enterprises::table
            .filter(enterprises::credit_code.eq(code))
            .select(Enterprise::as_select())
            .first(conn)
            .optional()
    }

    /// The enterprises with these credit codes, by code.
    pub fn by_codes(
        conn: &mut AnyConnection,
        codes: &[String],
    ) -> QueryResult<HashMap<String, Enterprise>> {
        Ok(enterprises::table
            .filter(enterprises::credit_code.eq_any(codes))
            .select(Enterprise::as_select())
            .load(conn)?
            .into_iter()
            .map(|e| (e.credit_code.clone(), e))
            .collect())
    }

    pub fn insert(
        conn: &mut AnyConnection,
        fields: &EnterpriseFields,
        actor: Option<i64>,
        now: NaiveDateTime,
    ) -> QueryResult<Enterprise> {
        diesel::insert_into(enterprises::table)
            .values(&NewRow {
                fields: fields.clone(),
                created_at: now,
                updated_at: now,
                created_by: actor,
                updated_by: actor,
            })
            .returning(enterprises::all_columns)
            .get_result(conn)
    }

    /// Inserts many at once (one statement per backend: multi-row inserts do
    /// not compile on the MultiConnection enum).
    pub fn insert_many(
        conn: &mut AnyConnection,
        rows: &[EnterpriseFields],
        actor: Option<i64>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let rows: Vec<NewRow> = rows
            .iter()
            .map(|fields| NewRow {
                fields: fields.clone(),
                created_at: now,
                updated_at: now,
                created_by: actor,
                updated_by: actor,
            })
            .collect();
        // A multi-row insert: one statement per backend type.
        super::dialect::on_each_backend!(conn, |c| diesel::insert_into(enterprises::table)
            .values(&rows)
            .execute(c))
    }

    pub fn update(
        conn: &mut AnyConnection,
        id: i64,
        fields: &EnterpriseFields,
        actor: Option<i64>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(enterprises::table.find(id))
            .set((
                fields,
                enterprises::updated_at.eq(now),
                enterprises::updated_by.eq(actor),
            ))
            .execute(conn)
    }

    pub fn is_verified(&self) -> bool {
        self.verification != UNVERIFIED
    }

    /// Marks a self-registered enterprise unverified (at its creation).
    pub fn mark_unverified(conn: &mut AnyConnection, id: i64) -> QueryResult<usize> {
        diesel::update(enterprises::table.find(id))
            .set(enterprises::verification.eq(UNVERIFIED))
            .execute(conn)
    }

    /// Verifies an unverified enterprise; false if it was not unverified.
    pub fn verify(
        conn: &mut AnyConnection,
        id: i64,
        by: i64,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            enterprises::table
                .find(id)
                .filter(enterprises::verification.eq(UNVERIFIED)),
        )
        .set((
            enterprises::verification.eq(VERIFIED),
            enterprises::verified_by.eq(Some(by)),
            enterprises::verified_at.eq(Some(now)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Records who changed the contact e-mail.
    pub fn set_contact_changed_by(
        conn: &mut AnyConnection,
        id: i64,
        by: i64,
    ) -> QueryResult<usize> {
        diesel::update(enterprises::table.find(id))
            .set(enterprises::contact_changed_by.eq(Some(by)))
            .execute(conn)
    }

    /// Reads the row for the rest of the transaction; on PostgreSQL it is
    /// locked, so that concurrent filings of one enterprise count in turn
    /// (SQLite's write transaction holds the whole database already).
    pub fn lock(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Enterprise>> {
        super::dialect::locked!(
            conn,
            enterprises::table.find(id).select(Enterprise::as_select()),
            first
        )
        .optional()
    }

    pub fn search(conn: &mut AnyConnection, f: &EnterpriseFilter) -> QueryResult<Vec<Enterprise>> {
        let mut q = enterprises::table
            .select(Enterprise::as_select())
            .into_boxed();
        if let Some(name) = f.name.as_deref().filter(|n| !n.trim().is_empty()) {
            q = q.filter(
                enterprises::name
                    .like(format!("%{}%", escape_like(name.trim())))
                    .escape('\\'),
            );
        }
        if let Some(code) = &f.credit_code {
            q = q.filter(enterprises::credit_code.eq(code.trim().to_ascii_uppercase()));
        }
        if let Some(prefix) = &f.region_prefix {
            q = q.filter(
                enterprises::county_code
                    .like(format!("{}%", escape_like(prefix)))
                    .escape('\\'),
            );
        }
        if let Some(chain) = &f.chain {
            q = q.filter(
                enterprises::id.eq_any(
                    enterprise_chains::table
                        .filter(enterprise_chains::chain_code.eq(chain.clone()))
                        .select(enterprise_chains::enterprise_id),
                ),
            );
        }
        if f.unverified {
            q = q.filter(enterprises::verification.eq(UNVERIFIED));
        }
        if let Some(listed) = f.listed {
            let listed_ids = whitelist_entries::table
                .filter(whitelist_entries::removed_on.is_null())
                .select(whitelist_entries::enterprise_id);
            q = if listed {
                q.filter(enterprises::id.eq_any(listed_ids))
            } else {
                q.filter(diesel::dsl::not(enterprises::id.eq_any(listed_ids)))
            };
        }
        if let Some(id) = f.only_id {
            q = q.filter(enterprises::id.eq(id));
        }
        if let Some(after) = f.after_id {
            q = q.filter(enterprises::id.gt(after));
        }
        q.order(enterprises::id.asc()).limit(f.limit).load(conn)
    }

    pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
        enterprises::table.count().get_result(conn)
    }
}

/// Chains per enterprise, for a page of enterprises.
pub fn chains_of(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<String>>> {
    let rows: Vec<(i64, String)> = enterprise_chains::table
        .filter(enterprise_chains::enterprise_id.eq_any(ids))
        .order((
            enterprise_chains::enterprise_id,
            enterprise_chains::chain_code,
        ))
        .select((
            enterprise_chains::enterprise_id,
            enterprise_chains::chain_code,
        ))
        .load(conn)?;
    let mut map: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, chain) in rows {
        map.entry(id).or_default().push(chain);
    }
    Ok(map)
}

/// Replaces an enterprise's chains.
pub fn set_chains(conn: &mut AnyConnection, id: i64, chains: &[String]) -> QueryResult<()> {
    diesel::delete(enterprise_chains::table.filter(enterprise_chains::enterprise_id.eq(id)))
        .execute(conn)?;
    for chain in chains {
        diesel::insert_into(enterprise_chains::table)
            .values((
                enterprise_chains::enterprise_id.eq(id),
                enterprise_chains::chain_code.eq(chain),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds chain rows in bulk: (enterprise id, chain code).
pub fn insert_chains(conn: &mut AnyConnection, rows: &[(i64, String)]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|(id, c)| {
            (
                enterprise_chains::enterprise_id.eq(*id),
                enterprise_chains::chain_code.eq(c.as_str()),
            )
        })
        .collect();
    super::dialect::on_each_backend!(conn, |c| diesel::insert_into(enterprise_chains::table)
        .values(&values)
        .execute(c))
}
