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
    /// Words separated by spaces: tickets with every word, each in the
    /// title, description or enterprise name (a substring, case-insensitive
    /// for Latin letters), the start of the number, or the enterprise's
    /// credit code. Words of three characters or more are served by an
    /// index; shorter ones are found by scanning and may be slow when rare.
    pub q: Option<String>,
    /// `filed` (newest first, the default) or `deadline` (nearest resolve deadline first).
    pub sort: Option<String>,
    /// A tab of the workbench: `sign` (待签收), `handling` (办理中), `info`
    /// (待补充), `extension` (待审批, leads), `cohandling` (协办: opinions
    /// owed), `urged` (督办), `near` (临期), `overdue` (已超时), `mine`
    /// (assigned to the caller). Officers and leads see their department's
    /// tickets in each; supervisors every one they may read.
    pub tab: Option<String>,
    /// Only these tickets: ids separated by commas (at most 200).
    pub ids: Option<String>,
    /// `false`: without closed, rejected and withdrawn tickets (what the
    /// workbench shows by default).
    pub closed: Option<bool>,
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
    let ids = q.ids.as_deref().map(ids_of).transpose()?;
    let mut filter = TicketFilter {
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
        ids,
        unfinished: q.closed == Some(false),
        after_id: None,
        after_due: None,
        by_deadline,
        limit: 0,
        ..TicketFilter::default()
    };
    if let Some(tab) = q.tab.as_deref().filter(|t| !t.trim().is_empty()) {
        let tab = super::desk_tabs::Tab::parse(tab.trim())
            .filter(|t| super::desk_tabs::tabs_for(caller).contains(t))
            .ok_or_else(|| field("tab", "field.queue_tab"))?;
        tab.narrow(caller, &mut filter);
    }
    Ok(filter)
}

/// Ticket ids as a list gives them: `12,15,31`.
fn ids_of(raw: &str) -> Result<Vec<i64>, QueueInputError> {
    let ids: Vec<i64> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| field("ids", "field.queue_ids"))?;
    if ids.len() > MAX_IDS {
        return Err(QueueInputError::Fields(vec![issue_with(
            "ids",
            "field.queue_ids_too_many",
            [("n", MAX_IDS.to_string())],
        )]));
    }
    Ok(ids)
}

/// How many tickets a list of ids may name (a bulk selection is a page or
/// a few).
pub const MAX_IDS: usize = 200;

/// A region as the workbench's picker offers it: its code and its name
/// with the names above it (`上海市 浦东新区`), which tell apart the
/// districts of one name in different cities.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegionChoice {
    pub code: String,
    pub label: String,
}

/// Up to `limit` regions whose name contains `word` (a prefecture and
/// its county row that share a code count once).
pub async fn region_choices(
    db: &crate::storage::Database,
    word: &str,
    limit: i64,
) -> Result<Vec<RegionChoice>, crate::storage::StorageError> {
    let word = word.trim().to_string();
    if word.is_empty() || crate::domain::ticket::has_control_characters(&word) {
        return Ok(Vec::new());
    }
    db.run(move |conn| {
        Ok(
            crate::services::pickers::regions_named_like(conn, &word, limit)?
                .into_iter()
                .map(|(r, above)| RegionChoice {
                    label: label_of(&r.name, above),
                    code: r.code,
                })
                .collect(),
        )
    })
    .await
}

/// A region's name after the names of its province and city.
fn label_of(name: &str, mut above: Vec<String>) -> String {
    above.push(name.to_string());
    above.join(" ")
}

/// The label of one region code ([`RegionChoice::label`]), if it names one.
pub async fn region_label(
    db: &crate::storage::Database,
    code: &str,
) -> Result<Option<String>, crate::storage::StorageError> {
    use crate::storage::regions::Region;
    let code = code.trim().to_string();
    if code.is_empty() {
        return Ok(None);
    }
    db.run(move |conn| {
        let Some(r) = Region::find(conn, &code)? else {
            return Ok(None);
        };
        let above = crate::services::pickers::places_above(conn, std::slice::from_ref(&r))?
            .remove(&r.code)
            .unwrap_or_default();
        Ok(Some(label_of(&r.name, above)))
    })
    .await
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
