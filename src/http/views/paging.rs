//! Keyset pagination (a cursor, the last id seen, never OFFSET) as both
//! faces page their lists; the queue's cursor is `services::queue`.

use crate::http::problem::{ApiError, Message};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The page size asked for, checked.
pub fn limit(asked: Option<i64>) -> Result<i64, ApiError> {
    let limit = asked.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid_fields(vec![(
            "limit".into(),
            Message::with("problem.page_size", [("max_limit", MAX_LIMIT.to_string())]),
        )]))
    }
}

/// Given `limit + 1` rows fetched, trims to `limit` and returns the cursor
/// of the next page (none on the last page).
pub fn next_cursor<T, C>(rows: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> C) -> Option<C> {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(id)
    } else {
        None
    }
}

/// A `region` filter must name a region on record: a well-formed code of
/// nothing would quietly match nothing (or, by prefix, something else).
pub async fn require_known_region(
    db: &crate::storage::Database,
    raw: Option<&str>,
) -> Result<(), ApiError> {
    let Some(code) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(());
    };
    let code = code.to_string();
    let asked = code.clone();
    let unknown = db
        .run(move |conn| Ok(crate::storage::regions::Region::unknown(conn, &[code])?))
        .await?;
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid_fields(vec![(
        "region".into(),
        Message::with("problem.no_such_region", [("code", asked.to_string())]),
    )]))
}
