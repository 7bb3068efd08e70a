//! The supervisors' numbers over HTTP: `GET /api/v1/metrics` and its export.

use actix_web::{get, web, HttpRequest, HttpResponse};

use super::caller::Authenticated;
use super::problem::{ApiError, Problem};
use super::views::metrics::{answer, metrics_file, view, FormatParam, MetricsView};
use super::AppState;
use crate::services::metrics::MetricsParams;

/// The three rates and the other numbers of domain section 7 (response,
/// on-time resolution, resolution, satisfaction, return, reopen and repeat
/// rates; received and resolved counts; times to sign and to resolve in
/// working hours; backlog; score) for the caller's jurisdiction, a region
/// inside it, a chain or the white list, over Beijing days `from..=to`.
/// A rate with an empty denominator is null ("no data").
#[utoipa::path(
    tag = "metrics",
    security(("bearer" = [])),
    params(MetricsParams),
    responses(
        (status = 200, body = MetricsView),
        (status = 404, description = "The caller is not a supervisor or lead, or the region or chain is outside their jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad dates, grouping or region", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn get_metrics(
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<MetricsParams>,
) -> Result<web::Json<MetricsView>, ApiError> {
    let (report, from, to) = answer(&state, &who.caller, &params).await?;
    let milestones = state
        .settings
        .metrics
        .milestone_counts()
        .unwrap_or_default();
    Ok(web::Json(view(report, from, to, &milestones)))
}

/// The numbers of `GET /api/v1/metrics` as a spreadsheet: one row per group
/// (or the total alone), then the total; headers in the reader's language.
#[utoipa::path(
    tag = "metrics",
    security(("bearer" = [])),
    params(MetricsParams, FormatParam),
    responses(
        (status = 200, description = "The table as a file", content_type = "text/csv"),
        (status = 404, description = "As for `GET /api/v1/metrics`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad format, dates, grouping or region", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics/export")]
pub async fn export_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<MetricsParams>,
    format: web::Query<FormatParam>,
) -> Result<HttpResponse, ApiError> {
    metrics_file(&req, &state, &who.caller, &params, &format).await
}
