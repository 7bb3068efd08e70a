//! A ticket list as a spreadsheet: `GET /api/v1/tickets/export`, streamed.

use actix_web::{get, web, HttpRequest, HttpResponse};

use super::caller::Authenticated;
use super::problem::{ApiError, Problem};
use super::views::metrics::FormatParam;
use super::views::ticket_export::tickets_file;
use super::AppState;
use crate::services::queue::QueueQuery;

/// The caller's queue (the filters of `GET /api/v1/tickets`; `cursor` and
/// `limit` do not apply) as a CSV (UTF-8 with BOM) or XLSX file, headers in
/// the reader's language. The file is written while it is sent, so a long
/// list needs no more memory than a short one. At most 1,048,574 tickets;
/// a longer list ends with a line saying so.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(QueueQuery, FormatParam),
    responses(
        (status = 200, description = "The list as a file", content_type = "text/csv"),
        (status = 422, description = "Bad format, region or sort", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/export")]
pub async fn export_tickets(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    query: web::Query<QueueQuery>,
    format: web::Query<FormatParam>,
) -> Result<HttpResponse, ApiError> {
    tickets_file(&req, &state, &who.caller, query.into_inner(), &format).await
}
