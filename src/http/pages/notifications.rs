//! The bell's page: the viewer's notices, newest first, each linking to its
//! ticket (opening it marks it read), with 全部标为已读; and the small JSON
//! answer the script polls to update the bell without a reload.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::chrome::bell_label;
use super::labels::beijing;
use super::session::{check_csrf, Viewer};
use super::AppState;
use super::{failed, page, see_other, Chrome};
use crate::http::problem::ApiError;
use crate::http::views::notifications::NotificationView;
use crate::services::notifications::{self, NotificationError};

/// Notices a page shows.
const PAGE_SIZE: i64 = 30;
/// The newest unread notices the poll answers with.
const POLL_ITEMS: i64 = 5;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/unread", web::get().to(poll))
        .route("/notifications/read-all", web::post().to(read_all))
        .route("/notifications/{id}", web::get().to(open));
}

pub struct Row {
    pub id: i64,
    pub headline: String,
    pub number: String,
    pub title: String,
    pub at: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    c: Chrome,
    rows: Vec<Row>,
    unread: i64,
    unread_only: bool,
    /// The next page's address, if there is one.
    more: Option<String>,
    done: bool,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    before: Option<i64>,
    #[serde(default)]
    unread: bool,
    #[serde(default)]
    done: bool,
}

fn row(n: &crate::storage::notifications::Notification, c: &Chrome) -> Row {
    let view = NotificationView::of(n, c.lang());
    Row {
        id: n.id,
        headline: view.headline,
        number: view.ticket_number,
        title: view.ticket_title,
        at: beijing(n.created_at),
        unread: n.read_at.is_none(),
    }
}

async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let found = notifications::list(&state.db, v.user.id, q.unread, q.before, PAGE_SIZE)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let c = Chrome::for_viewer(&req, &v);
    let unread_param = if q.unread { "&unread=true" } else { "" };
    let p = NotificationsPage {
        rows: found.items.iter().map(|n| row(n, &c)).collect(),
        unread: found.unread,
        unread_only: q.unread,
        more: found
            .next_before
            .map(|b| format!("/notifications?before={b}{unread_param}")),
        done: q.done,
        c,
    };
    Ok(page(StatusCode::OK, p.render()))
}

/// Opening a notice reads it and goes to its ticket. A link, not a form, so
/// that it opens like any link (a new tab too): marking one's own notice
/// read is all it does, and the session's SameSite=Strict cookies keep
/// other sites from doing it for them.
async fn open(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, actix_web::Error> {
    let read = notifications::read_one(&state.db, v.user.id, *path, state.sla.now())
        .await
        .map_err(|e| match e {
            NotificationError::NotFound => super::PageError::not_found(&req).into(),
            NotificationError::Storage(s) => failed(&req, ApiError::from(s)),
        })?;
    Ok(see_other(&format!("/tickets/{}", read.ticket_id)))
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn read_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &f.csrf)?;
    notifications::read_all(&state.db, v.user.id, state.sla.now())
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    Ok(see_other("/notifications?done=true"))
}

/// What the script polls: the count, the bell's label, a sentence for the
/// live region, and the newest unread notices (for the list page).
#[derive(Debug, serde::Serialize)]
struct Poll {
    unread: i64,
    label: String,
    announce: String,
    /// The list page's 「未读 3 条」.
    unread_text: String,
    items: Vec<PollItem>,
}

#[derive(Debug, serde::Serialize)]
struct PollItem {
    id: i64,
    headline: String,
    number: String,
    title: String,
    at: String,
}

async fn poll(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
) -> Result<HttpResponse, actix_web::Error> {
    let found = notifications::list(&state.db, v.user.id, true, None, POLL_ITEMS)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let c = Chrome::for_viewer(&req, &v);
    let body = Poll {
        unread: found.unread,
        label: bell_label(c.lang(), found.unread),
        announce: c.with("desk_notices.announce", "n", found.unread),
        unread_text: c.with("desk_notices.unread_count", "n", found.unread),
        items: found
            .items
            .iter()
            .map(|n| {
                let r = row(n, &c);
                PollItem {
                    id: r.id,
                    headline: r.headline,
                    number: r.number,
                    title: r.title,
                    at: format!("{}{}", r.at, c.t("common.beijing_time")),
                }
            })
            .collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(body))
}

/// The viewer opened a ticket: their notices about it are read. Returns how
/// many were unread (a failure only leaves them unread).
pub async fn read_of_ticket(state: &AppState, v: &Viewer, ticket_id: i64) -> i64 {
    notifications::read_of_ticket(&state.db, v.user.id, ticket_id, state.sla.now())
        .await
        .map_or(0, |n| n as i64)
}
