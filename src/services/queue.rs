//! What a queue question is (filters, sort, a keyset cursor) and how it
//! becomes a storage filter: the same for the JSON API, the workbench page
//! and the exports.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::domain::access::Caller;
use crate::domain::enterprise::{issue, issue_with, FieldIssue};
use crate::domain::region::RegionCode;
use crate::storage::tickets::{Ticket, TicketFilter};

/// Why a queue question cannot be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueInputError {
    Fields(Vec<FieldIssue>),
    /// A cursor not given by the server for this order.
    BadCursor,
}

fn field(name: &'static str, key: &'static str) -> QueueInputError {
    QueueInputError::Fields(vec![issue(name, key)])
}

/// The queue's filters as a client gives them.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    pub status: Option<String>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub overdue: Option<bool>,
    /// Only tickets still waiting for someone to act (待签收, 办理中,
    /// 待补充): the dashboard's 在办 count.
    pub open: Option<bool>,
    pub whitelisted: Option<bool>,
    pub chain: Option<String>,
    /// A region code: tickets placed in its subtree.
    pub region: Option<String>,
    pub assignee_id: Option<i64>,
    /// Only tickets the caller's department handles now.
    pub mine: Option<bool>,
    /// Only tickets waiting for the caller: to sign for, handle or give an
    /// opinion on (staff); to answer or rate (enterprise).
    pub needs_action: Option<bool>,
    /// Only this enterprise's tickets (staff; an enterprise sees its own anyway).
    pub enterprise_id: Option<i64>,
    /// Filed on or after this day (Beijing), `YYYY-MM-DD`.
    pub filed_from: Option<String>,
    /// Filed on or before this day (Beijing), `YYYY-MM-DD`.
    pub filed_to: Option<String>,
    /// First resolved on or after this day (Beijing), `YYYY-MM-DD`: the
    /// dashboard's 办结 count.
    pub resolved_from: Option<String>,
    /// First resolved on or before this day (Beijing), `YYYY-MM-DD`.
    pub resolved_to: Option<String>,
    /// Only tickets with an extension request awaiting a decision; with
    /// `needs_action`, those the calling lead decides (待审批).
    pub extension_pending: Option<bool>,
    /// Text in the title or description (a substring, case-insensitive for
    /// Latin letters). Terms of three characters or more are served by an
    /// index; shorter ones are found by scanning and may be slow when rare.
    pub q: Option<String>,
    /// `filed` (newest first, the default) or `deadline` (nearest resolve deadline first).
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page, with the same `sort`; opaque.
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The filter from the position a client's cursor names, one page long.
pub fn with_cursor(
    filter: TicketFilter,
    cursor: Option<&str>,
    limit: i64,
) -> Result<TicketFilter, QueueInputError> {
    let at = cursor
        .filter(|c| !c.trim().is_empty())
        .map(|c| QueueCursor::decode(c, filter.by_deadline))
        .transpose()?;
    Ok(TicketFilter {
        after_id: at.map(|c| c.id),
        after_due: at.and_then(|c| c.due),
        limit,
        ..filter
    })
}

/// The `region` parameter as a code prefix for a subtree filter:
/// 310000 -> 31, 310100 -> 3101.
pub fn region_prefix(raw: Option<&str>) -> Result<Option<String>, QueueInputError> {
    raw.map(|r| {
        RegionCode::parse(r)
            .map(|c| c.subtree_prefix().to_string())
            .map_err(|e| {
                QueueInputError::Fields(vec![issue_with(
                    "region",
                    "field.region_code_invalid",
                    [("why", e.to_string())],
                )])
            })
    })
    .transpose()
}

/// The queue's filters as a storage filter (no cursor, no limit).
pub fn filter_of(q: &QueueQuery, caller: &Caller) -> Result<TicketFilter, QueueInputError> {
    let place_prefix = region_prefix(q.region.as_deref())?;
    let by_deadline = match q.sort.as_deref() {
        None | Some("filed") => false,
        Some("deadline") => true,
        Some(_) => return Err(field("sort", "field.queue_sort")),
    };
    if q.q
        .as_deref()
        .is_some_and(crate::domain::ticket::has_control_characters)
    {
        return Err(field("q", "field.search_control_characters"));
    }
    let day =
        |name: &'static str, v: &Option<String>| -> Result<Option<NaiveDate>, QueueInputError> {
            v.as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| {
                    NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map_err(|_| field(name, "field.queue_date_format"))
                })
                .transpose()
        };
    let (from, to) = (
        day("filed_from", &q.filed_from)?,
        day("filed_to", &q.filed_to)?,
    );
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(field("filed_to", "field.filed_to_before_from"));
        }
    }
    let (resolved_from, resolved_to) = (
        day("resolved_from", &q.resolved_from)?,
        day("resolved_to", &q.resolved_to)?,
    );
    let midnight = |d: NaiveDate| super::metrics::beijing_midnight(d).naive_utc();
    Ok(TicketFilter {
        filed_from: from.map(midnight),
        filed_before: to.and_then(|d| d.succ_opt()).map(midnight),
        resolved_from: resolved_from.map(midnight),
        resolved_before: resolved_to.and_then(|d| d.succ_opt()).map(midnight),
        status: q.status.clone(),
        category: q.category.clone(),
        urgency: q.urgency.clone(),
        overdue: q.overdue,
        open: q.open,
        whitelisted: q.whitelisted,
        extension_pending: q.extension_pending,
        chain: q.chain.clone(),
        place_prefix,
        assignee_id: q.assignee_id,
        handling_department_id: q
            .mine
            .filter(|m| *m)
            .and(caller.department.as_ref().map(|d| d.id)),
        enterprise_id: q.enterprise_id,
        text: q.q.clone(),
        after_id: None,
        after_due: None,
        by_deadline,
        limit: 0,
    })
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
    pub fn decode(raw: &str, by_deadline: bool) -> Result<QueueCursor, QueueInputError> {
        let bad = || QueueInputError::BadCursor;
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
