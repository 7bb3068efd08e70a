//! Departments' group robots: the webhook each posts to, its signing
//! secret, and the notices it posts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::department_robots;
use crate::domain::channels::RobotService;
use crate::domain::notify::Notice;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = department_robots)]
pub struct Robot {
    pub id: i64,
    pub department_id: i64,
    /// `wecom`, `dingtalk` or `feishu`.
    pub service: String,
    pub name: String,
    pub webhook_url: String,
    pub secret: Option<String>,
    /// Notice kinds, comma-separated.
    pub notices: String,
    pub active: bool,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Robot {
    pub fn service(&self) -> Option<RobotService> {
        RobotService::parse(&self.service)
    }

    /// The notices it posts.
    pub fn notice_list(&self) -> Vec<Notice> {
        self.notices.split(',').filter_map(Notice::parse).collect()
    }

    pub fn posts(&self, notice: Notice) -> bool {
        self.active && self.notices.split(',').any(|n| n == notice.as_str())
    }
}

/// Notices as the column keeps them.
pub fn notices_text(notices: &[Notice]) -> String {
    notices
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// What a create writes, or an update changes (`secret` aside).
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = department_robots)]
pub struct RobotFields {
    pub service: String,
    pub name: String,
    pub webhook_url: String,
    pub notices: String,
    pub active: bool,
}

pub fn of_department(conn: &mut AnyConnection, department_id: i64) -> QueryResult<Vec<Robot>> {
    department_robots::table
        .filter(department_robots::department_id.eq(department_id))
        .order(department_robots::id.asc())
        .select(Robot::as_select())
        .load(conn)
}

/// The active robots of these departments.
pub fn active_of(conn: &mut AnyConnection, departments: &[i64]) -> QueryResult<Vec<Robot>> {
    if departments.is_empty() {
        return Ok(Vec::new());
    }
    department_robots::table
        .filter(department_robots::department_id.eq_any(departments))
        .filter(department_robots::active.eq(true))
        .select(Robot::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Robot>> {
    department_robots::table
        .find(id)
        .select(Robot::as_select())
        .first(conn)
        .optional()
}

pub fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<Robot>> {
    department_robots::table
        .filter(department_robots::id.eq_any(ids))
        .select(Robot::as_select())
        .load(conn)
}

pub fn insert(
    conn: &mut AnyConnection,
    department_id: i64,
    fields: &RobotFields,
    secret: Option<&str>,
    by: i64,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(department_robots::table)
        .values((
            department_robots::department_id.eq(department_id),
            fields,
            department_robots::secret.eq(secret),
            department_robots::created_by.eq(by),
            department_robots::updated_by.eq(by),
            department_robots::created_at.eq(at),
            department_robots::updated_at.eq(at),
        ))
        .returning(department_robots::id)
        .get_result(conn)
}

/// Changes a robot; `secret` is `None` to keep the one it has.
pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    fields: &RobotFields,
    secret: Option<Option<&str>>,
    by: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(department_robots::table.find(id))
        .set((
            fields,
            department_robots::updated_by.eq(by),
            department_robots::updated_at.eq(at),
        ))
        .execute(conn)?;
    if let (Some(secret), true) = (secret, n == 1) {
        diesel::update(department_robots::table.find(id))
            .set(department_robots::secret.eq(secret))
            .execute(conn)?;
    }
    Ok(n == 1)
}

pub fn delete(conn: &mut AnyConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(department_robots::table.find(id)).execute(conn)? == 1)
}
