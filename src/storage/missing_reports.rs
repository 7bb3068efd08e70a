//! The missing list (缺报名单): a list's enterprises with no report of a
//! day, counted and paged, and those not yet noticed (the job's work).

use chrono::NaiveDate;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{daily_reports, enterprises, monitoring_members, monitoring_reminders};

/// An enterprise missing from a day's reports, as the missing list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    pub enterprise_id: i64,
    pub name: String,
    pub credit_code: String,
    pub county_code: String,
    pub industry_code: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Whether the job noticed it, and whether someone urged it, that day.
    pub reminded: bool,
    pub urged: bool,
}

/// The list's members under a county prefix (and of a chain) with no
/// report of `day`, by county and name; at most `limit`, after `offset`.
pub fn missing(
    conn: &mut AnyConnection,
    list_id: i64,
    day: NaiveDate,
    county_prefix: Option<&str>,
    chain: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Missing>> {
    let mut q = monitoring_members::table
        .inner_join(enterprises::table)
        .filter(monitoring_members::list_id.eq(list_id))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            daily_reports::table
                .filter(daily_reports::enterprise_id.eq(monitoring_members::enterprise_id))
                .filter(daily_reports::day.eq(day)),
        )))
        .into_boxed();
    if let Some(p) = county_prefix {
        let (low, high) = crate::storage::regions::subtree_bounds(p);
        q = q.filter(monitoring_members::county_code.between(low, high));
    }
    if let Some(c) = chain {
        q = q.filter(
            monitoring_members::chains
                .like(crate::storage::codes::containing_pattern(c))
                .escape('\\'),
        );
    }
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = q
        .order((
            monitoring_members::county_code.asc(),
            enterprises::name.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select((
            enterprises::id,
            enterprises::name,
            enterprises::credit_code,
            monitoring_members::county_code,
            monitoring_members::industry_code,
            enterprises::contact_name,
            enterprises::contact_phone,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let reminders: Vec<(i64, String)> = monitoring_reminders::table
        .filter(monitoring_reminders::day.eq(day))
        .filter(monitoring_reminders::enterprise_id.eq_any(&ids))
        .select((
            monitoring_reminders::enterprise_id,
            monitoring_reminders::kind,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, credit_code, county_code, industry_code, contact_name, contact_phone)| {
                Missing {
                    reminded: reminders.iter().any(|(e, k)| *e == id && k == "auto"),
                    urged: reminders.iter().any(|(e, k)| *e == id && k == "urge"),
                    enterprise_id: id,
                    name,
                    credit_code,
                    county_code,
                    industry_code,
                    contact_name,
                    contact_phone,
                }
            },
        )
        .collect())
}

/// Enterprises on any list with no report and no notice of `day` yet.
pub fn unreminded(conn: &mut AnyConnection, day: NaiveDate, limit: i64) -> QueryResult<Vec<i64>> {
    monitoring_members::table
        .filter(diesel::dsl::not(diesel::dsl::exists(
            daily_reports::table
                .filter(daily_reports::enterprise_id.eq(monitoring_members::enterprise_id))
                .filter(daily_reports::day.eq(day)),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            monitoring_reminders::table
                .filter(monitoring_reminders::enterprise_id.eq(monitoring_members::enterprise_id))
                .filter(monitoring_reminders::day.eq(day))
                .filter(monitoring_reminders::kind.eq("auto")),
        )))
        .select(monitoring_members::enterprise_id)
        .distinct()
        .order(monitoring_members::enterprise_id.asc())
        .limit(limit)
        .load(conn)
}

/// How many of the list's members under a county prefix (and of a chain)
/// have no report of `day`.
pub fn count_missing(
    conn: &mut AnyConnection,
    list_id: i64,
    day: NaiveDate,
    county_prefix: Option<&str>,
    chain: Option<&str>,
) -> QueryResult<i64> {
    let mut q = monitoring_members::table
        .filter(monitoring_members::list_id.eq(list_id))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            daily_reports::table
                .filter(daily_reports::enterprise_id.eq(monitoring_members::enterprise_id))
                .filter(daily_reports::day.eq(day)),
        )))
        .into_boxed();
    if let Some(p) = county_prefix {
        let (low, high) = crate::storage::regions::subtree_bounds(p);
        q = q.filter(monitoring_members::county_code.between(low, high));
    }
    if let Some(c) = chain {
        q = q.filter(
            monitoring_members::chains
                .like(crate::storage::codes::containing_pattern(c))
                .escape('\\'),
        );
    }
    q.count().get_result(conn)
}
