//! The mobile number each enterprise receives SMS notices on.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::enterprise_mobiles;

/// The SMS numbers of these enterprises, by enterprise.
pub fn of_enterprises(
    conn: &mut AnyConnection,
    enterprises: &[i64],
) -> QueryResult<HashMap<i64, String>> {
    if enterprises.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(enterprise_mobiles::table
        .filter(enterprise_mobiles::enterprise_id.eq_any(enterprises))
        .select((
            enterprise_mobiles::enterprise_id,
            enterprise_mobiles::mobile,
        ))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn find(conn: &mut AnyConnection, enterprise_id: i64) -> QueryResult<Option<String>> {
    enterprise_mobiles::table
        .find(enterprise_id)
        .select(enterprise_mobiles::mobile)
        .first(conn)
        .optional()
}

/// Sets an enterprise's SMS number, or removes it (`None`: no SMS).
pub fn set(
    conn: &mut AnyConnection,
    enterprise_id: i64,
    mobile: Option<&str>,
    by: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let Some(mobile) = mobile else {
        diesel::delete(enterprise_mobiles::table.find(enterprise_id)).execute(conn)?;
        return Ok(());
    };
    let n = diesel::update(enterprise_mobiles::table.find(enterprise_id))
        .set((
            enterprise_mobiles::mobile.eq(mobile),
            enterprise_mobiles::updated_by.eq(by),
            enterprise_mobiles::updated_at.eq(at),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(enterprise_mobiles::table)
            .values((
                enterprise_mobiles::enterprise_id.eq(enterprise_id),
                enterprise_mobiles::mobile.eq(mobile),
                enterprise_mobiles::updated_by.eq(by),
                enterprise_mobiles::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}
