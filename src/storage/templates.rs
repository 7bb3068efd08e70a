//! Administrators' overrides of the built-in message templates.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::message_templates;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = message_templates)]
pub struct TemplateOverride {
    pub kind: String,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub updated_by: Option<i64>,
    pub updated_at: NaiveDateTime,
}

pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<TemplateOverride>> {
    message_templates::table
        .order((
            message_templates::kind.asc(),
            message_templates::locale.asc(),
        ))
        .select(TemplateOverride::as_select())
        .load(conn)
}

/// Saves an override, replacing the one before.
pub fn put(conn: &mut AnyConnection, row: &TemplateOverride) -> QueryResult<()> {
    let n = diesel::update(message_templates::table.find((&row.kind, &row.locale)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(message_templates::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Removes an override (the built-in template applies again); false if none.
pub fn remove(conn: &mut AnyConnection, kind: &str, locale: &str) -> QueryResult<bool> {
    Ok(diesel::delete(message_templates::table.find((kind, locale))).execute(conn)? == 1)
}
