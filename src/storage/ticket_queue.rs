//! The queue's questions to the tickets table: a filtered page (keyset,
//! newest first or by deadline) and how many tickets a filter finds (the
//! workbench's tab counts), both from one filter builder so that a tab's
//! number and the list behind it cannot disagree; and the word search.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::{AnyConnection, MultiBackend};
use super::schema::{departments, enterprises, ticket_departments, tickets};
use super::tickets::{Ticket, TicketFilter, Visibility};
use crate::domain::ticket::Involvement;

/// How many matches a search collects by id before treating its word as
/// common. Bound into the page query as a list, so kept well below
/// SQLite's 32,766 parameters.
const SEARCH_PROBE: i64 = 5_000;

/// How many enterprises a word may name before it is asked as a subquery.
const ENTERPRISE_PROBE: i64 = 500;

/// The open statuses, written as the partial indexes state them (a bound
/// list would not let SQLite use them).
const OPEN: &str = "tickets.status IN ('pending_sign', 'handling', 'awaiting_info')";
const FINISHED_OR_RESOLVED: &str =
    "tickets.status NOT IN ('pending_sign', 'handling', 'awaiting_info')";
const UNFINISHED: &str =
    "tickets.status IN ('pending_sign', 'handling', 'awaiting_info', 'resolved')";

type Boxed = tickets::BoxedQuery<'static, MultiBackend>;

fn literal(sql: &'static str) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(sql)
}

/// The words of a search: split at spaces (ASCII or ideographic), each
/// kept once.
pub fn search_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in text.split(|c: char| c.is_whitespace() || c == '\u{3000}') {
        if !w.is_empty() && !words.iter().any(|x| x == w) {
            words.push(w.to_string());
        }
    }
    words
}

/// One word of a search, with what was found for it first.
struct Word {
    text: String,
    /// The enterprises the word names (None: too many to list).
    enterprises: Option<Vec<i64>>,
    /// Every ticket with the word (None: too many to list).
    ids: Option<Vec<i64>>,
}

fn enterprises_named(conn: &mut AnyConnection, word: &str) -> QueryResult<Option<Vec<i64>>> {
    let found: Vec<i64> = enterprises::table
        .filter(super::dialect::enterprise_matches(conn, word))
        .select(enterprises::id)
        .limit(ENTERPRISE_PROBE + 1)
        .load(conn)?;
    Ok((found.len() as i64 <= ENTERPRISE_PROBE).then_some(found))
}

/// The ids of every ticket with the word, or None when more than
/// [`SEARCH_PROBE`] have it (then matches are common and scanning newest
/// first finds a page quickly). On SQLite the trigram index gives the
/// title and description matches of words of three characters or more, the
/// number's unique index and the enterprises' tickets the rest.
fn word_ids(conn: &mut AnyConnection, w: &Word) -> QueryResult<Option<Vec<i64>>> {
    let mut ids = match super::dialect::ticket_search_ids(conn, &w.text, SEARCH_PROBE + 1)? {
        Some(ids) => ids,
        None => {
            return Ok(Some(
                tickets::table
                    .filter(super::dialect::ticket_text_contains(
                        conn,
                        &w.text,
                        w.enterprises.as_deref(),
                    ))
                    .select(tickets::id)
                    .limit(SEARCH_PROBE + 1)
                    .load(conn)?,
            )
            .filter(|ids| ids.len() as i64 <= SEARCH_PROBE));
        }
    };
    if super::dialect::looks_like_number(&w.text) {
        ids.extend(
            tickets::table
                .filter(tickets::number.ge(w.text.clone()))
                .filter(tickets::number.lt(format!("{}~", w.text)))
                .select(tickets::id)
                .limit(SEARCH_PROBE + 1)
                .load::<i64>(conn)?,
        );
    }
    match &w.enterprises {
        None => return Ok(None),
        Some(e) if !e.is_empty() => {
            for chunk in e.chunks(crate::storage::INSERT_BATCH) {
                ids.extend(
                    tickets::table
                        .filter(tickets::enterprise_id.eq_any(chunk))
                        .select(tickets::id)
                        .limit(SEARCH_PROBE + 1)
                        .load::<i64>(conn)?,
                );
            }
        }
        Some(_) => {}
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((ids.len() as i64 <= SEARCH_PROBE).then_some(ids))
}

/// The filter's conditions on tickets within `visible`; None when nothing
/// can match (a search word no ticket has).
fn narrowed(
    conn: &mut AnyConnection,
    f: &TicketFilter,
    visible: Visibility,
) -> QueryResult<Option<Boxed>> {
    let mut q = tickets::table.filter(visible).into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(tickets::status.eq(s.clone()));
    }
    if f.unfinished && f.status.is_none() && f.open != Some(true) {
        q = q.filter(literal(UNFINISHED));
    }
    match f.open {
        Some(true) => q = q.filter(literal(OPEN)),
        Some(false) => q = q.filter(literal(FINISHED_OR_RESOLVED)),
        None => {}
    }
    if let Some(c) = &f.category {
        q = q.filter(tickets::category.eq(c.clone()));
    }
    if let Some(u) = &f.urgency {
        q = q.filter(tickets::urgency.eq(u.clone()));
    }
    if let Some(o) = f.overdue {
        q = q.filter(tickets::overdue.eq(o));
    }
    match f.extension_pending {
        // As the partial index states it.
        Some(true) => q = q.filter(literal("tickets.extension_pending")),
        Some(false) => q = q.filter(literal("NOT tickets.extension_pending")),
        None => {}
    }
    if let Some(w) = f.whitelisted {
        q = q.filter(tickets::whitelisted.eq(w));
    }
    if let Some(c) = &f.chain {
        q = q.filter(
            tickets::chains
                .like(crate::storage::codes::containing_pattern(c))
                .escape('\\'),
        );
    }
    if let Some(p) = &f.place_prefix {
        q = q.filter(
            tickets::place_code
                .like(format!("{}%", super::users::escape_like(p)))
                .escape('\\'),
        );
    }
    if let Some(a) = f.assignee_id {
        q = q.filter(tickets::assignee_id.eq(a));
    }
    if let Some(d) = f.handling_department_id {
        q = q.filter(tickets::handling_department_id.eq(d));
    }
    if let Some(from) = f.filed_from {
        q = q.filter(tickets::filed_at.ge(from));
    }
    if let Some(before) = f.filed_before {
        q = q.filter(tickets::filed_at.lt(before));
    }
    if let Some(e) = f.enterprise_id {
        q = q.filter(tickets::enterprise_id.eq(e));
    }
    if f.resolved_from.is_some() || f.resolved_before.is_some() {
        use super::schema::ticket_metrics as tm;
        // An open end as a date no timestamp reaches (one query shape).
        let day = |y| {
            chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default()
        };
        let resolved = tm::table
            .filter(tm::first_resolved_at.ge(f.resolved_from.unwrap_or(day(1900))))
            .filter(tm::first_resolved_at.lt(f.resolved_before.unwrap_or(day(9999))))
            .select(tm::ticket_id);
        q = q.filter(tickets::id.eq_any(resolved));
    }
    if let Some(ids) = &f.ids {
        q = q.filter(tickets::id.eq_any(ids.clone()));
    }
    if f.urged {
        q = q.filter(literal("tickets.urged_count > 0"));
    }
    if let Some(d) = f.opinion_owed_by {
        q = q.filter(
            tickets::id.eq_any(
                ticket_departments::table
                    .filter(ticket_departments::department_id.eq(d))
                    .filter(ticket_departments::role.eq(Involvement::Cohandler))
                    .filter(ticket_departments::opinion_posted.eq(false))
                    .filter(ticket_departments::released.eq(false))
                    .select(ticket_departments::ticket_id),
            ),
        );
    }
    if let Some(d) = f.extension_decided_by {
        q = q.filter(
            tickets::handling_department_id.eq_any(
                departments::table
                    .filter(
                        departments::parent_id
                            .eq(d)
                            .or(departments::id.eq(d).and(departments::parent_id.is_null())),
                    )
                    .select(departments::id),
            ),
        );
    }
    if f.near {
        // Driven by the clocks whose warning the scanner has fired and
        // whose deadline it has not (`ticket_clocks_warned`, few at any
        // time); then checked at `now`, ticket by ticket, against the
        // window that runs. A warning not yet fired (the scanner's interval)
        // joins the tab when it fires.
        let now: NaiveDateTime = f.now.unwrap_or_else(|| chrono::Utc::now().naive_utc());
        q = q.filter(tickets::overdue.eq(false)).filter(
            literal(
                "tickets.id IN (SELECT w.ticket_id FROM ticket_clocks w WHERE w.closed_at IS NULL \
                 AND (w.sign_fired = 0 OR w.resolve_fired = 0)) AND EXISTS (SELECT 1 FROM ticket_clocks c WHERE c.ticket_id = tickets.id \
                 AND c.closed_at IS NULL AND ((tickets.status = 'pending_sign' AND c.sign_warn_at <= ",
            )
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .sql(
                ") OR (tickets.status = 'handling' AND c.paused_at IS NULL \
                 AND c.resolve_warn_at <= ",
            )
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .sql(")))"),
        );
    }
    if let Some(t) = &f.text {
        let mut words = Vec::new();
        for text in search_words(t) {
            let enterprises = enterprises_named(conn, &text)?;
            let mut w = Word {
                text,
                enterprises,
                ids: None,
            };
            w.ids = word_ids(conn, &w)?;
            words.push(w);
        }
        // Ids from the rarest word first when it is rare: given the whole
        // condition at once, both planners walk the primary key newest first
        // and test every ticket until a page matches.
        if let Some(rarest) = words
            .iter()
            .filter_map(|w| w.ids.as_ref())
            .min_by_key(|ids| ids.len())
        {
            if rarest.is_empty() {
                return Ok(None);
            }
            q = q.filter(tickets::id.eq_any(rarest.clone()));
        }
        // Every word's test stays, so that both paths and both pages of one
        // search agree (SQLite's trigram index folds more letters than its
        // LIKE does).
        for w in &words {
            q = q.filter(super::dialect::ticket_text_contains(
                conn,
                &w.text,
                w.enterprises.as_deref(),
            ));
        }
    }
    Ok(Some(q))
}

impl Ticket {
    /// A page of tickets, newest first by id (keyset: ids below `after_id`).
    pub fn list(conn: &mut AnyConnection, f: &TicketFilter) -> QueryResult<Vec<Ticket>> {
        Ticket::list_visible(conn, f, Box::new(tickets::id.ge(0)))
    }

    /// As [`Ticket::list`], within what `visible` lets the caller see.
    pub fn list_visible(
        conn: &mut AnyConnection,
        f: &TicketFilter,
        visible: Visibility,
    ) -> QueryResult<Vec<Ticket>> {
        let Some(mut q) = narrowed(conn, f, visible)? else {
            return Ok(Vec::new());
        };
        if f.by_deadline {
            q = q.filter(tickets::resolve_due_at.is_not_null());
            if let Some(after) = f.after_id {
                // Keyset on (deadline, id), continuing after the cursor's
                // position. Without a deadline there is nothing after it.
                let Some(due) = f.after_due else {
                    return Ok(Vec::new());
                };
                q = q.filter(
                    tickets::resolve_due_at
                        .assume_not_null()
                        .gt(due)
                        .or(tickets::resolve_due_at
                            .assume_not_null()
                            .eq(due)
                            .and(tickets::id.gt(after))),
                );
            }
            return q
                .select(Ticket::as_select())
                .order((tickets::resolve_due_at.asc(), tickets::id.asc()))
                .limit(f.limit)
                .load(conn);
        }
        if let Some(after) = f.after_id {
            q = q.filter(tickets::id.lt(after));
        }
        q.select(Ticket::as_select())
            .order(tickets::id.desc())
            .limit(f.limit)
            .load(conn)
    }

    /// How many tickets within `visible` the filter finds (cursor and limit
    /// ignored): what a tab of the workbench says it holds.
    pub fn count_visible(
        conn: &mut AnyConnection,
        f: &TicketFilter,
        visible: Visibility,
    ) -> QueryResult<i64> {
        match narrowed(conn, f, visible)? {
            Some(q) => q.count().get_result(conn),
            None => Ok(0),
        }
    }

    /// As [`Ticket::count_visible`], but stops at `cap + 1`: a tab says
    /// "999+" rather than walk a million rows to say how many.
    pub fn count_visible_up_to(
        conn: &mut AnyConnection,
        f: &TicketFilter,
        visible: Visibility,
        cap: i64,
    ) -> QueryResult<i64> {
        match narrowed(conn, f, visible)? {
            Some(q) => Ok(q
                .select(tickets::id)
                .limit(cap + 1)
                .load::<i64>(conn)?
                .len() as i64),
            None => Ok(0),
        }
    }
}

/// Of these tickets, those near their deadline at `now`, by the rule of
/// the 临期 tab (`TicketFilter::near`).
pub fn near_among(
    conn: &mut AnyConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let f = TicketFilter {
        ids: Some(ids.to_vec()),
        near: true,
        now: Some(now),
        ..TicketFilter::default()
    };
    match narrowed(conn, &f, Box::new(tickets::id.ge(0)))? {
        Some(q) => q.select(tickets::id).load(conn),
        None => Ok(Vec::new()),
    }
}

/// The names of these enterprises, by id.
pub fn enterprise_names(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, String>> {
    Ok(enterprises::table
        .filter(enterprises::id.eq_any(ids))
        .select((enterprises::id, enterprises::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_and_dashes_may_be_a_number() {
        use super::super::dialect::looks_like_number;
        assert!(looks_like_number("310115-20220428"));
        assert!(looks_like_number("0007"));
        assert!(!looks_like_number("芯片"));
        assert!(!looks_like_number("91310115591693856A"));
        assert!(!looks_like_number(""));
    }

    #[test]
    fn words_split_at_any_space_and_repeat_once() {
        assert_eq!(search_words(" 芯片  停产 "), vec!["芯片", "停产"]);
        assert_eq!(search_words("芯片\u{3000}停产 芯片"), vec!["芯片", "停产"]);
        assert!(search_words("   ").is_empty());
    }
}
