//! The two rankings by score, 地区排名 and 部门排名:
//! `GET /api/v1/metrics/ranking` and its export.

use actix_web::{get, web, HttpRequest, HttpResponse};

use super::caller::Authenticated;
use super::lang::Lang;
use super::problem::{ApiError, Problem};
use super::views::metrics::FormatParam;
use super::views::ranking::{answer, ranking_file, RankingView};
use super::AppState;
use crate::services::ranking::RankingParams;

/// The regions (地区排名) or departments (部门排名) of one level in the
/// caller's jurisdiction (or a region, chain or the white list inside it),
/// best score first, with their rates. Those whose sample is below
/// `min_sample` are listed after them as 样本不足, unranked.
#[utoipa::path(
    tag = "metrics",
    security(("bearer" = [])),
    params(RankingParams),
    responses(
        (status = 200, body = RankingView),
        (status = 404, description = "The caller is not a supervisor or lead, or the region or chain is outside their jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad level, dates or region", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics/ranking")]
pub async fn get_ranking(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<RankingParams>,
) -> Result<web::Json<RankingView>, ApiError> {
    let lang = Lang::from_request(&req);
    Ok(web::Json(answer(&state, &who.caller, &params, lang).await?))
}

/// The ranking as a spreadsheet, headers in the reader's language.
#[utoipa::path(
    tag = "metrics",
    security(("bearer" = [])),
    params(RankingParams, FormatParam),
    responses(
        (status = 200, description = "The ranking as a file", content_type = "text/csv"),
        (status = 404, description = "As for `GET /api/v1/metrics/ranking`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad format, level, dates or region", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics/ranking/export")]
pub async fn export_ranking(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<RankingParams>,
    format: web::Query<FormatParam>,
) -> Result<HttpResponse, ApiError> {
    ranking_file(&req, &state, &who.caller, &params, &format).await
}
