//! The officer's workbench: tabs with live counts (待签收 ... 我的, and the
//! person's saved views), the queue with the tickets API's filters and word
//! search, keyset pages, overdue and near-due tickets marked with the
//! working time left, and checkboxes for bulk work (`desk.rs`); and the
//! rows an enterprise's own list shows too.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::labels::{self, beijing, remaining};
use super::session::{url_escape, Viewer};
use super::AppState;
use super::{failed, page, Chrome, PageError};
use crate::domain::access::Caller;
use crate::http::problem::ApiError;
use crate::http::views::paging::next_cursor;
use crate::services::queue::QueueCursor;
use crate::services::queue::{filter_of, with_cursor, QueueQuery};
use crate::services::tickets::queue_page;
use crate::storage::catalogue::{self, List};
use crate::storage::cohandling::CohandlingClock;
use crate::storage::departments::Department;
use crate::storage::regions::Region;
use crate::storage::ticket_queue::{enterprise_names, near_among};
use crate::storage::tickets::{Ticket, TicketFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/workbench", web::get().to(workbench));
    super::desk::configure(cfg);
}

/// Working time left under which a ticket counts as near its deadline.
const NEAR_MINUTES: i64 = 4 * 60;

/// One ticket in a list.
pub struct Row {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub status_code: String,
    pub category: String,
    pub urgency: String,
    pub urgency_code: String,
    pub place: String,
    pub handling: String,
    pub whitelisted: bool,
    pub chains: String,
    pub filed_at: String,
    /// The deadline that runs now (sign-for, else resolution), if any.
    pub due: Option<String>,
    pub due_utc: String,
    pub left: String,
    /// `overdue`, `near` or empty.
    pub urgency_mark: &'static str,
    /// The deadline shown is the caller's department's co-handling opinion.
    pub opinion: bool,
    /// Who filed (staff lists; empty in the enterprise's own).
    pub enterprise: String,
    /// A checkbox for bulk work (the workbench).
    pub selectable: bool,
}

/// A page of the caller's queue and the cursor of the next one.
pub async fn rows(
    state: &AppState,
    caller: &Caller,
    filter: TicketFilter,
    needs_action: bool,
    limit: i64,
    en: bool,
) -> Result<(Vec<Row>, Option<String>), ApiError> {
    let caller = caller.clone();
    let by_deadline = filter.by_deadline;
    let sla = state.sla.clone();
    let now = state.sla.now();
    let staff = caller.role.is_staff();
    let (found, snap, places, depts, terms, owed, firms, near) = state
        .db
        .run(move |conn| {
            let found = queue_page(conn, &caller, filter, needs_action)?;
            let ids: Vec<i64> = found.iter().map(|t| t.id).collect();
            // Staff see who filed; the 临期 rule marks rows as the tab does.
            let (firms, near) = if staff {
                let mut firms: Vec<i64> = found.iter().map(|t| t.enterprise_id).collect();
                firms.sort_unstable();
                firms.dedup();
                (
                    enterprise_names(conn, &firms)?,
                    near_among(conn, &ids, now.naive_utc())?,
                )
            } else {
                (HashMap::new(), Vec::new())
            };
            // Where the caller's department co-handles, its own deadline
            // is the opinion's.
            let owed: HashMap<i64, chrono::NaiveDateTime> = match caller.department.as_ref() {
                Some(d) => {
                    let ids: Vec<i64> = found.iter().map(|t| t.id).collect();
                    CohandlingClock::of_department(conn, d.id, &ids)?
                        .into_iter()
                        .filter(|c| c.waiting())
                        .map(|c| (c.ticket_id, c.due_at))
                        .collect()
                }
                None => HashMap::new(),
            };
            let terms = (
                catalogue::load(conn, List::Categories)?,
                catalogue::load(conn, List::Chains)?,
            );
            let snap = sla.snapshot(conn)?;
            let mut codes: Vec<String> = found.iter().map(|t| t.place_code.clone()).collect();
            codes.sort();
            codes.dedup();
            let places: HashMap<String, String> = Region::find_many(conn, &codes)?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect();
            let mut ids: Vec<i64> = found.iter().map(|t| t.handling_department_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let depts: HashMap<i64, String> = Department::load_many(conn, &ids)?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            Ok((found, snap, places, depts, terms, owed, firms, near))
        })
        .await?;
    let mut found: Vec<Ticket> = found;
    let next = next_cursor(&mut found, limit, |t| {
        QueueCursor::after(t, by_deadline).encode()
    });
    let rows = found
        .into_iter()
        .map(|t| {
            let open = t.status.is_open();
            let opinion_due = owed.get(&t.id).copied().filter(|_| open);
            let due = if !open {
                None
            } else if opinion_due.is_some() {
                opinion_due
            } else if t.status == crate::domain::ticket::Status::PendingSign {
                t.sign_due_at
            } else {
                t.resolve_due_at
            };
            let left_minutes = due.map(|d| {
                let d = d.and_utc();
                if d >= now {
                    snap.calendar.working_minutes_between(now, d)
                } else {
                    -snap.calendar.working_minutes_between(d, now)
                }
            });
            // Staff see 临期 by the rule of the 临期 tab (the window's
            // warning time), so that a marked row is one the tab counts; a
            // co-handling opinion and the enterprise's list by time left.
            let by_time = !staff || opinion_due.is_some();
            let mark = match left_minutes {
                Some(m) if m < 0 || t.overdue => "overdue",
                Some(m) if by_time && m <= NEAR_MINUTES => "near",
                Some(_) if !by_time && near.contains(&t.id) => "near",
                _ => "",
            };
            Row {
                enterprise: firms.get(&t.enterprise_id).cloned().unwrap_or_default(),
                selectable: staff,
                opinion: opinion_due.is_some(),
                id: t.id,
                number: t.number.clone(),
                title: t.title.clone(),
                status: labels::status(t.status.as_str(), en),
                status_code: t.status.as_str().to_string(),
                category: terms.0.label(&t.category, en),
                urgency: labels::urgency(t.urgency.as_str(), en),
                urgency_code: t.urgency.as_str().to_string(),
                place: places
                    .get(&t.place_code)
                    .cloned()
                    .unwrap_or(t.place_code.clone()),
                handling: depts
                    .get(&t.handling_department_id)
                    .cloned()
                    .unwrap_or_default(),
                whitelisted: t.whitelisted,
                chains: t
                    .chains
                    .iter()
                    .map(|c| terms.1.label(c, en))
                    .collect::<Vec<_>>()
                    .join(" "),
                filed_at: beijing(t.filed_at),
                due: due.map(beijing),
                due_utc: due.map(|d| d.and_utc().to_rfc3339()).unwrap_or_default(),
                left: due
                    .map(|d| {
                        // The unit the deadline's window counts in.
                        let policy = snap.policy_for(t.sla_policy.as_deref(), t.urgency.as_str());
                        let unit = match (opinion_due.is_some(), t.status) {
                            (true, _) => crate::domain::sla::Unit::WorkingDays,
                            (false, crate::domain::ticket::Status::PendingSign) => policy.sign.unit,
                            _ => policy.resolve.unit,
                        };
                        let left = crate::services::sla::left_before(
                            &snap.calendar,
                            unit,
                            d.and_utc(),
                            now,
                        );
                        remaining(&left, en)
                    })
                    .unwrap_or_default(),
                urgency_mark: mark,
            }
        })
        .collect();
    Ok((rows, next))
}

/// The queue's filters as a form sends them (empty means "any").
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub overdue: String,
    /// `true`: only open tickets (from the dashboard's 在办 counts).
    #[serde(default)]
    pub open: String,
    #[serde(default)]
    pub whitelisted: String,
    #[serde(default)]
    pub chain: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub mine: String,
    #[serde(default)]
    pub needs_action: String,
    #[serde(default)]
    pub extension_pending: String,
    /// Only one enterprise's tickets (its id, from the enterprise's page).
    #[serde(default)]
    pub enterprise_id: String,
    #[serde(default)]
    pub filed_from: String,
    #[serde(default)]
    pub filed_to: String,
    /// First resolved in these days (from the dashboard's 办结 count).
    #[serde(default)]
    pub resolved_from: String,
    #[serde(default)]
    pub resolved_to: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    /// A tab (`sign`, `handling`, ... `mine`): see `services::desk_tabs`.
    #[serde(default)]
    pub tab: String,
    /// Only these tickets (ids separated by commas): a bulk export.
    #[serde(default)]
    pub ids: String,
    /// `true`: closed, rejected and withdrawn tickets too; `false`: not
    /// (the workbench's default).
    #[serde(default)]
    pub closed: String,
    /// A region as typed by name; the page turns it into `region`.
    #[serde(default)]
    pub region_name: String,
    pub cursor: Option<String>,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "true" | "on" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

impl ListQuery {
    pub fn to_api(&self) -> QueueQuery {
        QueueQuery {
            status: some(&self.status),
            category: some(&self.category),
            urgency: some(&self.urgency),
            overdue: flag(&self.overdue),
            open: flag(&self.open),
            whitelisted: flag(&self.whitelisted),
            chain: some(&self.chain),
            region: some(&self.region),
            assignee_id: None,
            mine: flag(&self.mine),
            needs_action: flag(&self.needs_action),
            extension_pending: flag(&self.extension_pending),
            enterprise_id: self.enterprise_id.trim().parse().ok(),
            filed_from: some(&self.filed_from),
            filed_to: some(&self.filed_to),
            resolved_from: some(&self.resolved_from),
            resolved_to: some(&self.resolved_to),
            q: some(&self.q),
            sort: some(&self.sort),
            tab: some(&self.tab),
            ids: some(&self.ids),
            closed: flag(&self.closed),
            cursor: self.cursor.clone(),
            limit: None,
        }
    }

    /// This query's string without the cursor (for the next page's link,
    /// and for exports).
    pub fn without_cursor(&self) -> String {
        let pairs = [
            ("status", &self.status),
            ("category", &self.category),
            ("urgency", &self.urgency),
            ("overdue", &self.overdue),
            ("open", &self.open),
            ("whitelisted", &self.whitelisted),
            ("chain", &self.chain),
            ("region", &self.region),
            ("mine", &self.mine),
            ("needs_action", &self.needs_action),
            ("extension_pending", &self.extension_pending),
            ("enterprise_id", &self.enterprise_id),
            ("filed_from", &self.filed_from),
            ("filed_to", &self.filed_to),
            ("resolved_from", &self.resolved_from),
            ("resolved_to", &self.resolved_to),
            ("q", &self.q),
            ("sort", &self.sort),
            ("tab", &self.tab),
            ("ids", &self.ids),
            ("closed", &self.closed),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_escape(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

pub const PAGE_SIZE: i64 = 25;

/// The filter a list query asks for, page-sized.
pub fn list_filter(
    req: &HttpRequest,
    q: &ListQuery,
    caller: &Caller,
) -> Result<(TicketFilter, bool), actix_web::Error> {
    let api = q.to_api();
    let filter = filter_of(&api, caller).map_err(|e| failed(req, e))?;
    let filter =
        with_cursor(filter, q.cursor.as_deref(), PAGE_SIZE + 1).map_err(|e| failed(req, e))?;
    Ok((filter, api.needs_action.unwrap_or(false)))
}

/// A tab of the workbench: where it leads and how many tickets it holds.
pub(super) struct TabLink {
    label: String,
    href: String,
    count: Option<i64>,
    current: bool,
    /// A saved view's id (it can be deleted).
    view: Option<i64>,
}

impl TabLink {
    /// The count as the tab shows it: "999+" past the counting cap.
    pub(super) fn shown(&self) -> String {
        match self.count {
            Some(n) if n > crate::services::desk_tabs::COUNT_CAP => {
                format!("{}+", crate::services::desk_tabs::COUNT_CAP)
            }
            Some(n) => n.to_string(),
            None => String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct WorkbenchPage {
    c: Chrome,
    /// The enterprise the list is narrowed to, by name.
    enterprise: Option<String>,
    q: ListQuery,
    /// The role's tabs, then the person's saved views.
    tabs: Vec<TabLink>,
    /// No tab or saved view is chosen: the default view.
    all_current: bool,
    /// The tab counts were served from the few-seconds cache.
    counts_cached: bool,
    /// A filter beyond the words is set: the more filters stay open.
    filtered: bool,
    /// The region filter's name (never its code).
    region_label: String,
    /// A region typed by name that names no single region, and the ones it may mean.
    region_problem: Option<String>,
    region_choices: Vec<(String, String)>,
    rows: Vec<Row>,
    next: Option<String>,
    export_query: String,
    /// This view's query string (filters and sort), to save it or come back.
    query: String,
    /// Bulk actions offered (code, label), and a lead's officers to assign.
    bulk_actions: Vec<(&'static str, String)>,
    assignees: Vec<(i64, String)>,
    /// Every category and chain, retired ones too: old tickets have them.
    categories: Vec<(String, String)>,
    chains: Vec<(String, String)>,
    statuses: Vec<(&'static str, String)>,
    urgencies: Vec<(&'static str, String)>,
}

async fn workbench(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    if !v.caller.role.is_staff() {
        return Err(PageError::not_found(&req).into());
    }
    let mut q = q.into_inner();
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    // A region typed by name: one region of that name, or suggestions.
    let mut region_problem = None;
    let mut region_choices = Vec::new();
    // A name typed over the region picked before (without the page's
    // script, the hidden code stays) names the region now asked for.
    if !q.region.trim().is_empty() && !q.region_name.trim().is_empty() {
        let picked = crate::services::queue::region_label(&state.db, &q.region)
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?;
        if picked.as_deref() != Some(q.region_name.trim()) {
            q.region.clear();
        }
    }
    if q.region.trim().is_empty() && !q.region_name.trim().is_empty() {
        match super::desk::region_of_name(&state, &q.region_name)
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?
        {
            Ok(code) => q.region = code,
            Err(choices) => {
                region_problem = Some(c.with(
                    if choices.is_empty() {
                        "desk_queue.region_unknown"
                    } else {
                        "desk_queue.region_ambiguous"
                    },
                    "name",
                    q.region_name.trim(),
                ));
                region_choices = choices;
            }
        }
    }
    let (mut filter, needs_action) = list_filter(&req, &q, &v.caller)?;
    filter.now = Some(state.sla.now().naive_utc());
    // Closed tickets stay out of the default view (and its export).
    let by_default = q.closed.is_empty();
    if by_default {
        filter.unfinished = true;
    }
    crate::http::views::paging::require_known_region(&state.db, Some(&q.region))
        .await
        .map_err(|e| failed(&req, e))?;
    let (rows, next) = rows(&state, &v.caller, filter, needs_action, PAGE_SIZE, en)
        .await
        .map_err(|e| failed(&req, e))?;
    let (categories, chains) = crate::services::catalogue::both(&state.db)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let region_label = crate::services::queue::region_label(&state.db, &q.region)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?
        .unwrap_or_default();
    let base = q.without_cursor();
    let next = next.map(|n| {
        if base.is_empty() {
            format!("/workbench?cursor={n}")
        } else {
            format!("/workbench?{base}&cursor={n}")
        }
    });
    let enterprise = match q.enterprise_id.trim().parse::<i64>() {
        Ok(id) => state
            .db
            .run(move |conn| Ok(crate::storage::enterprises::Enterprise::find(conn, id)?))
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?
            .map(|e| e.name),
        Err(_) => None,
    };
    let (tabs, counts_cached) = super::desk::tabs(&state, &v.caller, &q, &base, en)
        .await
        .map_err(|e| failed(&req, e))?;
    let all_current = !tabs.iter().any(|t| t.current);
    let base_again = base.clone();
    let (bulk_actions, assignees) = super::desk::bulk_choices(&state, &v.caller, en)
        .await
        .map_err(|e| failed(&req, e))?;
    let filtered = region_problem.is_some()
        || [
            &q.status,
            &q.category,
            &q.urgency,
            &q.region,
            &q.chain,
            &q.filed_from,
            &q.filed_to,
            &q.needs_action,
            &q.extension_pending,
            &q.mine,
            &q.overdue,
            &q.whitelisted,
            &q.closed,
        ]
        .iter()
        .any(|v| !v.trim().is_empty());
    let p = WorkbenchPage {
        filtered,
        enterprise,
        tabs,
        all_current,
        counts_cached,
        region_label,
        region_problem,
        region_choices,
        export_query: if by_default {
            [base.as_str(), "closed=false"]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("&")
        } else {
            base
        },
        query: base_again,
        q,
        rows,
        next,
        bulk_actions,
        assignees,
        categories: categories.all(en),
        chains: chains.all(en),
        statuses: labels::statuses(en),
        urgencies: labels::urgencies(en),
        c,
    };
    Ok(page(StatusCode::OK, p.render()))
}

/// The workbench's tabs for the caller, then their saved views, with the
/// current one marked; whether the counts came from the cache.
pub(super) fn tab_links(
    counts: Vec<(crate::services::desk_tabs::Tab, i64)>,
    views: Vec<crate::storage::saved_views::SavedView>,
    q: &ListQuery,
    base: &str,
    en: bool,
) -> Vec<TabLink> {
    let lang = if en {
        crate::words::Lang::En
    } else {
        crate::words::Lang::Zh
    };
    let mut out: Vec<TabLink> = counts
        .into_iter()
        .map(|(tab, n)| TabLink {
            label: crate::words::say(lang, super::desk::tab_key(tab)),
            href: format!("/workbench?tab={}", tab.code()),
            count: Some(n),
            current: q.tab == tab.code(),
            view: None,
        })
        .collect();
    for v in views {
        let current = !v.query.is_empty() && v.query == base;
        out.push(TabLink {
            label: v.name,
            href: format!("/workbench?{}", v.query),
            count: None,
            current,
            view: Some(v.id),
        });
    }
    // A saved view that is a tab's own query marks only the view.
    if out.iter().any(|t| t.current && t.view.is_some()) {
        for t in out.iter_mut().filter(|t| t.view.is_none()) {
            t.current = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::TabLink;

    fn tab(count: Option<i64>) -> TabLink {
        TabLink {
            label: String::new(),
            href: String::new(),
            count,
            current: false,
            view: None,
        }
    }

    #[test]
    fn a_tab_says_999_plus_past_its_counting_cap() {
        assert_eq!(tab(Some(0)).shown(), "0");
        assert_eq!(tab(Some(999)).shown(), "999");
        assert_eq!(tab(Some(1000)).shown(), "999+");
        assert_eq!(tab(None).shown(), "");
    }
}
