//! The daily report (日报) over HTTP: an enterprise's own reports, their
//! versions, and a blocker turned into a ticket.

use actix_web::{get, post, put, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Authenticated, Body};
use super::problem::{invalid, ApiError, Problem};
use super::views::monitoring::{DailyReportBody, DailyReportView};
use super::AppState;
use crate::domain::enterprise::issue;
use crate::services::monitoring::blockers::{self, BlockerFiling};
use crate::services::monitoring::reports::{self, Outcome};
use crate::services::monitoring::Rules;

fn date_of(text: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(vec![issue("date", "field.date_format")]))
}

fn rules(state: &AppState) -> Rules {
    Rules::of(&state.settings.monitoring)
}

/// Files or corrects the caller's enterprise's report of a Beijing date.
/// The same report again changes nothing (200). A correction is accepted
/// until the cut-off (`[monitoring] correction_cutoff`, Beijing) on the
/// next working day, each version kept; a first report after it is
/// accepted and marked late.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("date" = String, Path, description = "The Beijing date, `2022-04-28`")),
    request_body = DailyReportBody,
    responses(
        (status = 201, description = "The first report of the day", body = DailyReportView),
        (status = 200, description = "Corrected, or the same report again", body = DailyReportView),
        (status = 403, description = "Only an enterprise's accounts file its reports", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The correction cut-off has passed, or the report was filed late (`report-correction-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every invalid field, or a day ahead (`report-day-ahead`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/daily-reports/{date}")]
pub async fn put_report(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: Body<DailyReportBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let day = date_of(&path)?;
    let b = body?.into_inner();
    let (stored, outcome) = reports::file(
        &state.db,
        &state.sla,
        rules(&state),
        &who.caller,
        day,
        b.input(),
    )
    .await
    .map_err(ApiError::from)?;
    let view = DailyReportView::of(&stored);
    Ok(match outcome {
        Outcome::Created => HttpResponse::Created().json(view),
        Outcome::Corrected | Outcome::Unchanged => HttpResponse::Ok().json(view),
    })
}

/// The caller's enterprise's report of a date.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("date" = String, Path, description = "The Beijing date")),
    responses(
        (status = 200, body = DailyReportView),
        (status = 403, description = "Only an enterprise's accounts read its reports", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not filed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The date is not a date (`2022-04-28`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/daily-reports/{date}")]
pub async fn get_report(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<web::Json<DailyReportView>, ApiError> {
    let day = date_of(&path)?;
    let stored = reports::get(&state.db, &state.sla, rules(&state), &who.caller, day)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("daily_problem.no_report").typed("monitoring-not-found")
        })?;
    Ok(web::Json(DailyReportView::of(&stored)))
}

/// One version of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub revision: i32,
    /// What was submitted: the report's fields, and whether it was late.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Every version of the caller's enterprise's report of a date, oldest
/// first: the audit trail of its corrections.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("date" = String, Path, description = "The Beijing date")),
    responses(
        (status = 200, body = [RevisionView]),
        (status = 403, description = "Only an enterprise's accounts read its reports", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not filed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The date is not a date (`2022-04-28`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/daily-reports/{date}/revisions")]
pub async fn get_revisions(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<web::Json<Vec<RevisionView>>, ApiError> {
    let day = date_of(&path)?;
    let list = reports::revisions(&state.db, &who.caller, day).await?;
    Ok(web::Json(
        list.into_iter()
            .map(|(revision, report, at)| RevisionView {
                revision,
                report,
                at,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BlockerTicketBody {
    /// `normal`, `urgent` or `critical`.
    #[serde(default)]
    #[schema(required = true)]
    pub urgency: String,
    /// Default: the blocker's text, shortened.
    #[serde(default)]
    pub title: String,
    /// Default: the blocker's text.
    #[serde(default)]
    pub description: String,
    /// A county code; default the enterprise's county.
    #[serde(default)]
    pub place: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockerTicketView {
    pub blocker_id: i64,
    pub ticket_id: i64,
}

/// Files a blocker of one of the caller's reports as a problem: its
/// category and text, the urgency and place the enterprise chooses;
/// routed like any filing. A blocker becomes one ticket: asking again
/// answers 200 with the same ticket.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The blocker's id")),
    request_body = BlockerTicketBody,
    responses(
        (status = 201, body = BlockerTicketView),
        (status = 200, description = "The blocker was a ticket already", body = BlockerTicketView),
        (status = 403, description = "Only an enterprise's accounts file its blockers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such blocker of the caller's enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "As for `POST /api/v1/tickets`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Filing too fast", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/daily-reports/blockers/{id}/ticket")]
pub async fn blocker_ticket(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: Body<BlockerTicketBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let blocker_id = path.into_inner();
    let (ticket_id, created) = blockers::to_ticket(
        &state.db,
        &state.sla,
        &state.filing,
        &who.caller,
        blocker_id,
        BlockerFiling {
            urgency: b.urgency,
            title: b.title,
            description: b.description,
            place: b.place,
        },
    )
    .await
    .map_err(ApiError::from)?;
    let view = BlockerTicketView {
        blocker_id,
        ticket_id,
    };
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}
