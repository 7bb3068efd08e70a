//! Enterprises (minimal record; the full one comes with the white list).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::enterprises;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = enterprises)]
pub struct Enterprise {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub county_code: String,
    pub checksum_waived: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = enterprises)]
pub struct NewEnterprise<'a> {
    pub credit_code: &'a str,
    pub name: &'a str,
    pub county_code: &'a str,
    pub checksum_waived: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Enterprise {
    pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Enterprise>> {
        enterprises::table
            .find(id)
            .select(Enterprise::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewEnterprise<'_>) -> QueryResult<Enterprise> {
        diesel::insert_into(enterprises::table)
            .values(new)
            .returning(enterprises::all_columns)
            .get_result(conn)
    }
}
