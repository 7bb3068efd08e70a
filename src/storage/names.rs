//! Names beside ids: the departments and people a ticket mentions, read in
//! two queries for a whole page of tickets.

use std::collections::HashMap;

use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{departments, users};

/// A department as a reader sees it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentName {
    pub name: String,
    pub phone: Option<String>,
}

/// Names of departments and people by id.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub departments: HashMap<i64, DepartmentName>,
    pub people: HashMap<i64, String>,
}

impl Directory {
    pub fn load(
        conn: &mut AnyConnection,
        department_ids: &[i64],
        person_ids: &[i64],
    ) -> QueryResult<Directory> {
        let mut dept_ids = department_ids.to_vec();
        dept_ids.sort_unstable();
        dept_ids.dedup();
        let mut user_ids = person_ids.to_vec();
        user_ids.sort_unstable();
        user_ids.dedup();
        let departments = if dept_ids.is_empty() {
            HashMap::new()
        } else {
            departments::table
                .filter(departments::id.eq_any(&dept_ids))
                .select((departments::id, departments::name, departments::phone))
                .load::<(i64, String, Option<String>)>(conn)?
                .into_iter()
                .map(|(id, name, phone)| (id, DepartmentName { name, phone }))
                .collect()
        };
        let people = if user_ids.is_empty() {
            HashMap::new()
        } else {
            users::table
                .filter(users::id.eq_any(&user_ids))
                .select((users::id, users::display_name))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect()
        };
        Ok(Directory {
            departments,
            people,
        })
    }

    pub fn department(&self, id: i64) -> Option<&DepartmentName> {
        self.departments.get(&id)
    }

    pub fn department_name(&self, id: i64) -> Option<String> {
        self.departments.get(&id).map(|d| d.name.clone())
    }

    pub fn person(&self, id: i64) -> Option<String> {
        self.people.get(&id).cloned()
    }
}
