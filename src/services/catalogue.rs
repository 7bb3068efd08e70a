//! Keeping the configurable lists: administrators add, rename (in both
//! languages), retire and restore categories and chains. A new chain gets
//! its coordination platform under the ministry, so that its tickets have
//! someone to tell. Each change is audited in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::auth::audit;
use crate::domain::access::Caller;
use crate::domain::catalogue::{parse_term, Term, TermInput, Terms};
use crate::domain::enterprise::FieldIssue;
use crate::domain::role::Role;
use crate::storage::catalogue::{self, List};
use crate::storage::departments::Department;
use crate::storage::{write_transaction, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("administrators only")]
    Forbidden,
    #[error("invalid")]
    Invalid(Vec<FieldIssue>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for CatalogueError {
    fn from(e: diesel::result::Error) -> Self {
        CatalogueError::Storage(e.into())
    }
}

/// A whole list, retired terms included.
pub async fn terms(db: &Database, list: List) -> Result<Terms, StorageError> {
    db.run(move |conn| Ok(catalogue::load(conn, list)?)).await
}

/// Both lists at once, for pages that name categories and chains.
pub async fn both(db: &Database) -> Result<(Terms, Terms), StorageError> {
    db.run(|conn| {
        Ok((
            catalogue::load(conn, List::Categories)?,
            catalogue::load(conn, List::Chains)?,
        ))
    })
    .await
}

/// The outcome of a save: the term as stored, and whether it is new.
#[derive(Debug, Clone)]
pub struct Saved {
    pub term: Term,
    pub created: bool,
}

/// Adds or changes the term `code` of a list (administrators only), at
/// `now` (the app's clock).
pub async fn save(
    db: &Database,
    caller: &Caller,
    list: List,
    code: &str,
    input: TermInput,
    now: DateTime<Utc>,
) -> Result<Saved, CatalogueError> {
    if caller.role != Role::Admin {
        return Err(CatalogueError::Forbidden);
    }
    let code = code.to_string();
    let admin = caller.user_id;
    db.run_write(move |conn| {
        write_transaction(conn, |conn| {
            let current = catalogue::load(conn, list)?;
            let before = current.get(&code).cloned();
            let term = match parse_term(&code, &input, before.as_ref().map(|t| t.active)) {
                Ok(t) => t,
                Err(issues) => return Ok(Err(CatalogueError::Invalid(issues))),
            };
            let created = catalogue::save(conn, list, &term)?;
            if list == List::Chains && Department::of_chain(conn, &term.code)?.is_none() {
                let name = format!("{}产业链供应链协调平台", term.name_zh);
                Department::add_chain_platform(conn, &term.code, &name, now.naive_utc())?;
            }
            let detail = json!({
                "list": list.as_str(),
                "code": term.code,
                "before": before.map(|b| json!({"name_zh": b.name_zh, "name_en": b.name_en, "active": b.active})),
                "after": {"name_zh": term.name_zh, "name_en": term.name_en, "active": term.active},
            })
            .to_string();
            audit(conn, "catalogue_changed", None, None, None, Some(admin), Some(&detail))?;
            Ok(Ok(Saved { term, created }))
        })
    })
    .await?
}
