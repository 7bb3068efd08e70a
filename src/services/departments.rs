//! A department's own settings and the department tree an administrator
//! (or a department's lead, for their own) reads: one rule for the API and
//! the pages (`domain::access::may_change_department_settings`).

use crate::domain::access::{may_administer, may_change_department_settings, Caller};
use crate::domain::enterprise::{desk_phone, FieldIssue};
use crate::storage::departments::Department;
use crate::storage::{write_transaction, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum DepartmentError {
    /// No such department, or not the caller's to read or change.
    #[error("no such department for this caller")]
    NotFound,
    #[error("invalid setting")]
    Invalid(FieldIssue),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a settings change asks for; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub auto_assign: Option<bool>,
    /// The desk phone as typed; empty clears it.
    pub phone: Option<String>,
}

/// Changes a department's settings, both in one transaction.
pub async fn change_settings(
    db: &Database,
    caller: &Caller,
    id: i64,
    change: SettingsChange,
) -> Result<(), DepartmentError> {
    if !may_change_department_settings(caller, id) {
        return Err(DepartmentError::NotFound);
    }
    let phone = change
        .phone
        .as_deref()
        .map(desk_phone)
        .transpose()
        .map_err(DepartmentError::Invalid)?;
    let on = change.auto_assign;
    let found = db
        .run_write(move |conn| {
            write_transaction(conn, |conn| {
                if Department::find(conn, id)?.is_none() {
                    return Ok(false);
                }
                if let Some(on) = on {
                    Department::set_auto_assign(conn, id, on)?;
                }
                if let Some(phone) = phone {
                    Department::set_phone(conn, id, phone.as_deref())?;
                }
                Ok::<_, StorageError>(true)
            })
        })
        .await?;
    if found {
        Ok(())
    } else {
        Err(DepartmentError::NotFound)
    }
}

/// A place in the department tree: the way down to it, the department,
/// the departments below it.
pub struct TreeView {
    pub path: Vec<Department>,
    pub here: Option<Department>,
    pub children: Vec<Department>,
}

/// The tree at `id` (the top when None) as the caller may see it: an
/// administrator anywhere; a lead their own department (the default for them).
pub async fn tree(
    db: &Database,
    caller: &Caller,
    id: Option<i64>,
) -> Result<TreeView, DepartmentError> {
    let id = match (may_administer(caller), id, &caller.department) {
        (true, id, _) => id,
        (false, None, Some(own)) => Some(own.id),
        (false, Some(id), _) => Some(id),
        (false, None, None) => return Err(DepartmentError::NotFound),
    };
    if let Some(id) = id {
        if !may_change_department_settings(caller, id) {
            return Err(DepartmentError::NotFound);
        }
    }
    let found = db
        .run(move |conn| {
            let Some(id) = id else {
                return Ok(Some(TreeView {
                    path: Vec::new(),
                    here: None,
                    children: Department::roots(conn)?,
                }));
            };
            let Some(here) = Department::find(conn, id)? else {
                return Ok(None);
            };
            let mut path = Department::load_many(conn, &here.ancestry())?;
            path.sort_by_key(|d| d.path.len());
            let children = Department::children(conn, id)?;
            Ok(Some(TreeView {
                path,
                here: Some(here),
                children,
            }))
        })
        .await?;
    found.ok_or(DepartmentError::NotFound)
}
