//! The supervisor's pages besides the dashboard (`dashboard.rs`): the
//! supervision list with urging, and the downloads behind every export
//! button.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::labels::beijing;
use super::session::Viewer;
use super::workbench::ListQuery;
use super::AppState;
use super::{failed, page, Chrome, PageError};
use crate::http::problem::ApiError;
use crate::http::views::metrics::{metrics_file, FormatParam};
use crate::http::views::ranking::ranking_file;
use crate::http::views::ticket_export::tickets_file;
use crate::services::metrics::MetricsParams;
use crate::services::ranking::RankingParams;
use crate::services::supervision;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/supervision", web::get().to(supervision_list))
        .route("/exports/tickets.{ext}", web::get().to(export_tickets))
        .route("/exports/metrics.{ext}", web::get().to(export_metrics))
        .route("/exports/ranking.{ext}", web::get().to(export_ranking));
}

pub struct SupervisedRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub handling: String,
    pub due: String,
    pub escalation_level: i32,
    pub urged: i32,
    pub bounced: bool,
    pub version: i32,
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct SupervisionPage {
    c: Chrome,
    rows: Vec<SupervisedRow>,
    next: Option<String>,
    may_urge: bool,
    /// Back from urging a ticket.
    urged: bool,
}

#[derive(Debug, Deserialize)]
struct CursorQuery {
    cursor: Option<i64>,
    done: Option<String>,
}

async fn supervision_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<CursorQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    if !v.caller.role.is_staff() {
        return Err(PageError::not_found(&req).into());
    }
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    const PAGE: i64 = 50;
    let mut found = supervision::list(&state.db, &v.caller, q.cursor, PAGE + 1)
        .await
        .map_err(|e| failed(&req, e))?;
    let next = crate::http::views::paging::next_cursor(&mut found, PAGE, |(t, _)| t.id)
        .map(|n| format!("/supervision?cursor={n}"));
    let ids: Vec<i64> = found
        .iter()
        .map(|(t, _)| t.handling_department_id)
        .collect();
    let depts: std::collections::HashMap<i64, String> = state
        .db
        .run(move |conn| {
            Ok(
                crate::storage::departments::Department::load_many(conn, &ids)?
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect(),
            )
        })
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let rows = found
        .into_iter()
        .map(|(t, _)| SupervisedRow {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            status: super::labels::status(t.status.as_str(), en),
            handling: depts
                .get(&t.handling_department_id)
                .cloned()
                .unwrap_or_default(),
            due: t
                .resolve_due_at
                .or(t.sign_due_at)
                .map(beijing)
                .unwrap_or_default(),
            escalation_level: t.escalation_level,
            urged: t.urged_count,
            bounced: t.sent_on_count > crate::domain::ticket::BOUNCE_THRESHOLD,
            version: t.version,
        })
        .collect();
    let p = SupervisionPage {
        urged: q.done.as_deref() == Some("urge"),
        may_urge: crate::domain::access::may_urge_from_supervision(&v.caller),
        c,
        rows,
        next,
    };
    Ok(page(StatusCode::OK, p.render()))
}

fn format_of(req: &HttpRequest, ext: &str) -> Result<FormatParam, actix_web::Error> {
    match ext {
        "csv" | "xlsx" => Ok(FormatParam {
            format: ext.to_string(),
        }),
        _ => Err(PageError::not_found(req).into()),
    }
}

async fn export_tickets(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    ext: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let format = format_of(&req, &ext)?;
    let mut api = q.to_api();
    api.cursor = None;
    tickets_file(&req, &state, &v.caller, api, &format)
        .await
        .map_err(|e| failed(&req, e))
}

async fn export_metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    ext: web::Path<String>,
    q: web::Query<MetricsParams>,
) -> Result<HttpResponse, actix_web::Error> {
    let format = format_of(&req, &ext)?;
    metrics_file(&req, &state, &v.caller, &q, &format)
        .await
        .map_err(|e| failed(&req, e))
}

async fn export_ranking(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    ext: web::Path<String>,
    q: web::Query<RankingParams>,
) -> Result<HttpResponse, actix_web::Error> {
    let format = format_of(&req, &ext)?;
    ranking_file(&req, &state, &v.caller, &q, &format)
        .await
        .map_err(|e| failed(&req, e))
}
