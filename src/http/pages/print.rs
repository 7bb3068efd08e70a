//! A ticket's 办理单 for the file: an A4 sheet with the head table
//! (编号, 企业, 统一社会信用代码, 联系人, 类别, 紧急程度, 属地, 受理部门,
//! 时限), the problem, the handling timeline as a table, the result, the
//! enterprise's rating and lines to sign. Staff only (the enterprise has
//! its own page); readable on screen, laid out for print by the CSS.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::labels::{self, beijing};
use super::session::Viewer;
use super::ticket::{entry, Entry};
use super::ticket_desk;
use super::ticket_names::load_names;
use super::AppState;
use super::{failed, page, Chrome, PageError};
use crate::domain::role::Role;
use crate::http::views::ticket::timeline;
use crate::services::tickets::{self, TicketError};

#[derive(Template)]
#[template(path = "ticket_print.html")]
struct PrintPage {
    c: Chrome,
    id: i64,
    number: String,
    title: String,
    enterprise: String,
    credit_code: String,
    contact: String,
    category: String,
    urgency: String,
    place: String,
    handling: String,
    deadline: String,
    filed_at: String,
    description: String,
    timeline: Vec<Entry>,
    result: Option<String>,
    rating: Option<String>,
    printed_at: String,
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, actix_web::Error> {
    if v.caller.role == Role::Enterprise {
        return Err(PageError::not_found(&req).into());
    }
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    let (loaded, events) = tickets::get(&state.db, &state.sla, &v.caller, path.into_inner())
        .await
        .map_err(|e| match e {
            TicketError::NotFound => PageError::not_found(&req).into(),
            other => failed(&req, other),
        })?;
    let entries = timeline(false, events, loaded.sla_events.clone(), &loaded.directory);
    let mut files = super::ticket_files::of_ticket(&state, &v.caller, loaded.ticket.id, en)
        .await
        .map_err(|e| failed(&req, e))?;
    let names = load_names(&state, &loaded, &entries, &[])
        .await
        .map_err(|e| failed(&req, e))?;
    let filer = ticket_desk::filer(&state.db, &v.caller, &loaded, en)
        .await
        .map_err(|e| failed(&req, e))?;
    let t = &loaded.ticket;
    let last_note = |action: &str| {
        entries
            .iter()
            .rev()
            .find(|e| e.action == action)
            .and_then(|e| e.note.clone())
    };
    let rating = t.rating.map(|r| {
        let mut s = labels::satisfaction(r.as_str(), en);
        if let Some(solved) = t.solved {
            let key = if solved {
                "timeline.solved"
            } else {
                "timeline.not_solved"
            };
            s = format!("{s}{}{}", c.t("common.list_separator"), c.t(key));
        }
        if let Some(comment) = last_note("rate") {
            s = format!("{s}{}{comment}", c.t("common.colon"));
        }
        s
    });
    let deadline = match (&loaded.clocks, t.resolve_due_at) {
        (Some(cl), _) => format!(
            "{}{}",
            beijing(cl.resolve.due_at.naive_utc()),
            if matches!(cl.resolve.state, "stopped") {
                String::new()
            } else {
                format!(
                    "{}{}{}",
                    c.t("common.paren_open"),
                    labels::remaining(&cl.resolve.left, en),
                    c.t("common.paren_close")
                )
            }
        ),
        (None, Some(d)) => beijing(d),
        (None, None) => String::new(),
    };
    let (enterprise, credit_code, contact) = match filer {
        Some(f) => (
            f.name,
            f.credit_code,
            [f.contact, f.phone]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        None => Default::default(),
    };
    let dept = |id: i64| names.departments.get(&id).cloned().unwrap_or_default();
    let p = PrintPage {
        id: t.id,
        number: t.number.clone(),
        title: t.title.clone(),
        enterprise,
        credit_code,
        contact,
        category: names.categories.label(&t.category, en),
        urgency: labels::urgency(t.urgency.as_str(), en),
        place: names
            .regions
            .get(&t.place_code)
            .cloned()
            .unwrap_or_else(|| t.place_code.clone()),
        handling: dept(t.handling_department_id),
        deadline,
        filed_at: beijing(t.filed_at),
        description: t.description.clone(),
        timeline: entries
            .iter()
            .map(|e| {
                let mut shown = entry(e, &names, true, en);
                shown.files = super::ticket_files::take_step(&mut files, e.seq);
                shown
            })
            .collect(),
        result: last_note("resolve"),
        rating,
        printed_at: beijing(state.sla.now().naive_utc()),
        c,
    };
    Ok(page(StatusCode::OK, p.render()))
}
