//! The confirmation step of actions that end a ticket or send it away
//! (不予受理, 退回, 撤回, 转办): the form posts, this page says what will
//! happen and keeps what was typed in hidden fields; a second submit with
//! `confirm=yes` acts, `confirm=edit` goes back to the form as typed.
//! Works without JavaScript.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::labels;
use super::ticket::Draft;
use super::ticket_desk::consequence;
use super::AppState;
use super::{failed, page, Chrome, PageError};
use crate::domain::access::Caller;
use crate::http::problem::ApiError;
use crate::services::tickets::{self, TicketError};

#[derive(Template)]
#[template(path = "ticket_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    id: i64,
    number: String,
    title: String,
    action: &'static str,
    label: String,
    consequence: String,
    /// What was typed, shown back: (label, text).
    shown: Vec<(String, String)>,
    /// Every field as sent, to send again.
    hidden: Vec<(&'static str, String)>,
}

/// The fields of a draft that carry something, as (name, value).
fn fields(d: &Draft) -> Vec<(&'static str, String)> {
    [
        ("version", &d.version),
        ("reason", &d.reason),
        ("reason_public", &d.reason_public),
        ("department_id", &d.department_id),
        ("back", &d.back),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k, v.clone()))
    .collect()
}

/// Asks before `action` is taken on ticket `id`.
pub async fn ask(
    state: &AppState,
    req: &HttpRequest,
    caller: &Caller,
    c: Chrome,
    id: i64,
    action: &'static str,
    draft: &Draft,
) -> Result<HttpResponse, actix_web::Error> {
    let (loaded, _) = tickets::get(&state.db, &state.sla, caller, id)
        .await
        .map_err(|e| match e {
            TicketError::NotFound => PageError::not_found(req).into(),
            other => failed(req, other),
        })?;
    let en = c.en;
    let mut shown = Vec::new();
    if let Ok(dept) = draft.department_id.trim().parse::<i64>() {
        let name = state
            .db
            .run(move |conn| Ok(crate::storage::departments::Department::find(conn, dept)?))
            .await
            .map_err(|e| failed(req, ApiError::from(e)))?
            .map(|d| d.name)
            .unwrap_or_default();
        shown.push((c.t("ticket.department").to_string(), name));
    }
    if !draft.reason.trim().is_empty() {
        shown.push((c.t("ticket.reason").to_string(), draft.reason.clone()));
    }
    let p = ConfirmPage {
        id,
        number: loaded.ticket.number.clone(),
        title: loaded.ticket.title.clone(),
        action,
        label: labels::action(action, en),
        consequence: consequence(action, en),
        shown,
        hidden: fields(draft),
        c,
    };
    Ok(page(StatusCode::OK, p.render()))
}
