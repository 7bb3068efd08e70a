//! Saved views: a person names the workbench's current filters and sort,
//! and gets them back as a tab. Each person sees only their own.

use chrono::NaiveDateTime;

use crate::domain::access::Caller;
use crate::domain::enterprise::{issue, issue_with, FieldIssue};
use crate::storage::saved_views::{NewSavedView, SavedView};
use crate::storage::{write_transaction, Database, StorageError};

/// How many views a person may keep (they are tabs: more do not fit).
pub const MAX_VIEWS: usize = 12;
/// The longest name, in characters.
pub const MAX_NAME: usize = 20;
/// The longest query string, in bytes.
pub const MAX_QUERY: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum SavedViewError {
    #[error("invalid saved view")]
    Invalid(Vec<FieldIssue>),
    #[error("no such saved view")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for SavedViewError {
    fn from(e: diesel::result::Error) -> Self {
        SavedViewError::Storage(e.into())
    }
}

/// The query string kept: without the cursor and a leading `?`.
pub fn clean_query(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
        .collect::<Vec<_>>()
        .join("&")
}

fn check(name: &str, query: &str) -> Result<(), SavedViewError> {
    let mut issues = Vec::new();
    if name.is_empty() {
        issues.push(issue("name", "field.required"));
    } else if name.chars().count() > MAX_NAME {
        issues.push(issue_with(
            "name",
            "field.saved_view_name_long",
            [("n", MAX_NAME.to_string())],
        ));
    }
    if crate::domain::ticket::has_control_characters(name)
        || crate::domain::ticket::has_control_characters(query)
    {
        issues.push(issue("name", "field.search_control_characters"));
    }
    if query.len() > MAX_QUERY {
        issues.push(issue("query", "field.saved_view_query_long"));
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(SavedViewError::Invalid(issues))
    }
}

/// The caller's views, in the order they were saved.
pub async fn list(db: &Database, caller: &Caller) -> Result<Vec<SavedView>, SavedViewError> {
    let user = caller.user_id;
    Ok(db
        .run(move |conn| Ok(SavedView::of_user(conn, user)?))
        .await?)
}

/// Saves the caller's view under a name.
pub async fn save(
    db: &Database,
    caller: &Caller,
    name: &str,
    query: &str,
    now: NaiveDateTime,
) -> Result<SavedView, SavedViewError> {
    let name = name.trim().to_string();
    let query = clean_query(query);
    check(&name, &query)?;
    let user = caller.user_id;
    db.run_write(move |conn| {
        write_transaction(conn, |conn| {
            if SavedView::of_user(conn, user)?.len() >= MAX_VIEWS {
                return Ok(Err(SavedViewError::Invalid(vec![issue_with(
                    "name",
                    "field.saved_views_too_many",
                    [("n", MAX_VIEWS.to_string())],
                )])));
            }
            let new = NewSavedView {
                user_id: user,
                name,
                query,
                created_at: now,
            };
            Ok(Ok(SavedView::insert(conn, &new)?))
        })
    })
    .await?
}

/// Deletes one of the caller's views; another person's is not found.
pub async fn delete(db: &Database, caller: &Caller, id: i64) -> Result<(), SavedViewError> {
    let user = caller.user_id;
    let gone = db
        .run_write(move |conn| {
            write_transaction(conn, |conn| {
                Ok::<_, StorageError>(SavedView::delete_own(conn, user, id)?)
            })
        })
        .await?;
    if gone {
        Ok(())
    } else {
        Err(SavedViewError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_is_not_kept() {
        assert_eq!(
            clean_query("?tab=sign&cursor=abc&q=%E8%8A%AF"),
            "tab=sign&q=%E8%8A%AF"
        );
        assert_eq!(clean_query(""), "");
    }
}
