//! Keyset pagination (a cursor, the last id seen, never OFFSET) and the
//! list filters several lists share.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime};

use super::problem::{ApiError, Message, ProblemKind};
use crate::storage::tickets::Ticket;

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
pub fn next_cursor<T, C>(rows: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> C) -> Option<C> {
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
        Message::new(
            format!("没有这个区划代码：{asked}。"),
            format!("No region has the code {asked}."),
        ),
    )]))
}

/// A position in the ticket queue: the last ticket of a page, with the sort
/// key itself. Clients treat it as opaque; the server never looks the
/// ticket up to resume, so a made-up cursor names a position and tells
/// nothing about any ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCursor {
    pub id: i64,
    /// The resolve deadline, in the deadline order; None in filing order.
    pub due: Option<NaiveDateTime>,
}

impl QueueCursor {
    /// The cursor after `t` in the given order.
    pub fn after(t: &Ticket, by_deadline: bool) -> QueueCursor {
        QueueCursor {
            id: t.id,
            due: if by_deadline { t.resolve_due_at } else { None },
        }
    }

    pub fn encode(&self) -> String {
        let plain = match self.due {
            None => format!("f.{}", self.id),
            Some(due) => format!("d.{}.{}", due.and_utc().timestamp_micros(), self.id),
        };
        URL_SAFE_NO_PAD.encode(plain)
    }

    /// Reads a cursor given back by a client, for the order it asks for.
    pub fn decode(raw: &str, by_deadline: bool) -> Result<QueueCursor, ApiError> {
        let bad = || {
            ApiError::new(ProblemKind::BadRequest).with_detail(
                "翻页游标无效：请使用上一页返回的 next_cursor，并保持排序方式不变。",
                "The cursor is not valid: pass the next_cursor of the previous page, with the same sort.",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let plain = std::str::from_utf8(&bytes).map_err(|_| bad())?;
        let parts: Vec<&str> = plain.split('.').collect();
        let cursor = match (parts.as_slice(), by_deadline) {
            (["f", id], false) => QueueCursor {
                id: id.parse().map_err(|_| bad())?,
                due: None,
            },
            (["d", micros, id], true) => QueueCursor {
                id: id.parse().map_err(|_| bad())?,
                due: Some(
                    micros
                        .parse::<i64>()
                        .ok()
                        .and_then(DateTime::from_timestamp_micros)
                        .ok_or_else(bad)?
                        .naive_utc(),
                ),
            },
            _ => return Err(bad()),
        };
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cursors_read_back_as_written(id in 1i64..i64::MAX, micros in 0i64..4_102_444_800_000_000, deadline: bool) {
            let due = deadline.then(|| DateTime::from_timestamp_micros(micros).unwrap().naive_utc());
            let c = QueueCursor { id, due };
            prop_assert_eq!(QueueCursor::decode(&c.encode(), deadline).unwrap(), c);
            // A cursor of one order is refused in the other.
            prop_assert!(QueueCursor::decode(&c.encode(), !deadline).is_err());
        }

        #[test]
        fn anything_else_is_refused_not_guessed(raw in ".{0,40}") {
            if let Ok(c) = QueueCursor::decode(&raw, true) {
                prop_assert!(c.due.is_some());
            }
        }
    }

    #[test]
    fn a_bare_id_is_not_a_cursor() {
        assert!(QueueCursor::decode("42", false).is_err());
        assert!(QueueCursor::decode("42", true).is_err());
        assert!(QueueCursor::decode("", false).is_err());
    }
}
