//! Keyset pagination (a cursor, the last id seen, never OFFSET) and the
//! list filters several lists share.

use super::problem::{ApiError, Message};

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
            Message::new(
                format!("每页 1 到 {MAX_LIMIT} 条。"),
                format!("A page has 1 to {MAX_LIMIT} items."),
            ),
        )]))
    }
}

/// Given `limit + 1` rows fetched, trims to `limit` and returns the cursor
/// of the next page (none on the last page).
pub fn next_cursor<T>(rows: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Option<i64> {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(id)
    } else {
        None
    }
}

/// The `region` query parameter as a code prefix for a subtree filter.
pub fn region_prefix(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|r| {
        crate::domain::region::RegionCode::parse(r)
            .map(|c| c.subtree_prefix().to_string())
            .map_err(|e| {
                ApiError::invalid_fields(vec![(
                    "region".into(),
                    Message::new(format!("区划代码有误：{e}"), e.to_string()),
                )])
            })
    })
    .transpose()
}
