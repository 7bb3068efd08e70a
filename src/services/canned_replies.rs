//! A department's canned replies (常用语): its staff insert them into a
//! ticket's text fields; its lead writes them (`domain::access::
//! may_edit_canned_replies`). Each change is audited in its transaction
//! (`canned_reply_saved`, `canned_reply_deleted`).

use super::auth::audit;
use crate::domain::access::{may_edit_canned_replies, Caller};
use crate::domain::enterprise::{issue, FieldIssue};
use crate::storage::canned_replies::{self as store, CannedReply};
use crate::storage::{write_transaction, Database, StorageError};

/// The longest title and text, in characters.
pub const TITLE_MAX: usize = 40;
pub const BODY_MAX: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum CannedError {
    /// Not the department's lead.
    #[error("only the department's lead edits its canned replies")]
    Forbidden,
    #[error("no such canned reply")]
    NotFound,
    #[error("invalid fields")]
    Invalid(Vec<FieldIssue>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A reply as typed into the lead's form.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub title: String,
    pub body: String,
}

impl Draft {
    /// The reply trimmed, or what is wrong with it.
    fn checked(&self) -> Result<(String, String), Vec<FieldIssue>> {
        let (title, body) = (self.title.trim(), self.body.trim());
        let mut out = Vec::new();
        if title.is_empty() || title.chars().count() > TITLE_MAX {
            out.push(issue("title", "desk_ticket.canned_title_length"));
        }
        if body.is_empty() || body.chars().count() > BODY_MAX {
            out.push(issue("body", "desk_ticket.canned_body_length"));
        }
        if out.is_empty() {
            Ok((title.to_string(), body.to_string()))
        } else {
            Err(out)
        }
    }
}

/// The caller's department's replies (none for a caller without one).
pub async fn of_caller(db: &Database, caller: &Caller) -> Result<Vec<CannedReply>, CannedError> {
    let Some(id) = caller
        .department
        .as_ref()
        .filter(|_| caller.role.is_staff())
        .map(|d| d.id)
    else {
        return Ok(Vec::new());
    };
    Ok(db
        .run(move |conn| Ok(store::of_department(conn, id)?))
        .await?)
}

/// The department whose replies the caller may write.
fn editable(caller: &Caller) -> Result<i64, CannedError> {
    caller
        .department
        .as_ref()
        .map(|d| d.id)
        .filter(|id| may_edit_canned_replies(caller, *id))
        .ok_or(CannedError::Forbidden)
}

/// Adds a reply (`id` None) or changes one of the lead's department.
pub async fn save(
    db: &Database,
    caller: &Caller,
    id: Option<i64>,
    draft: &Draft,
    at: chrono::NaiveDateTime,
) -> Result<(), CannedError> {
    let department = editable(caller)?;
    let (title, body) = draft.checked().map_err(CannedError::Invalid)?;
    let by = caller.user_id;
    let found = db
        .run_write(move |conn| {
            write_transaction(conn, |conn| {
                let found = match id {
                    None => store::insert(conn, department, &title, &body, by, at).map(|_| true)?,
                    Some(id) => store::update(conn, department, id, &title, &body, by, at)?,
                };
                if found {
                    let detail = serde_json::json!({
                        "department_id": department, "id": id, "title": title, "body": body,
                    })
                    .to_string();
                    audit(
                        conn,
                        "canned_reply_saved",
                        None,
                        None,
                        None,
                        Some(by),
                        Some(&detail),
                    )?;
                }
                Ok::<_, StorageError>(found)
            })
        })
        .await?;
    found.then_some(()).ok_or(CannedError::NotFound)
}

/// Deletes one of the lead's department's replies.
pub async fn delete(db: &Database, caller: &Caller, id: i64) -> Result<(), CannedError> {
    let department = editable(caller)?;
    let by = caller.user_id;
    let found = db
        .run_write(move |conn| {
            write_transaction(conn, |conn| {
                let found = store::delete(conn, department, id)?;
                if found {
                    let detail =
                        serde_json::json!({"department_id": department, "id": id}).to_string();
                    audit(
                        conn,
                        "canned_reply_deleted",
                        None,
                        None,
                        None,
                        Some(by),
                        Some(&detail),
                    )?;
                }
                Ok::<_, StorageError>(found)
            })
        })
        .await?;
    found.then_some(()).ok_or(CannedError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_needs_a_short_title_and_a_text() {
        let d = |t: &str, b: &str| Draft {
            title: t.into(),
            body: b.into(),
        };
        assert!(d(" 已受理 ", "您反映的问题已受理。").checked().is_ok());
        let fields = |r: Result<_, Vec<FieldIssue>>| -> Vec<&'static str> {
            r.unwrap_err().iter().map(|i| i.field).collect()
        };
        assert_eq!(fields(d("", " ").checked()), ["title", "body"]);
        assert_eq!(fields(d(&"长".repeat(41), "x").checked()), ["title"]);
    }
}
