//! The ranking of departments of one level by score:
//! `GET /api/v1/metrics/ranking` and its export.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::Authenticated;
use super::export::{Cell, Table};
use super::lang::Lang;
use super::metrics::{
    field, file_format, parse, refused, send, FormatParam, MetricsParams, ScopeView,
};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::domain::access::Caller;
use crate::domain::metrics::Figures;
use crate::domain::region::RegionLevel;
use crate::services::metrics::{self, Ranked};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// The departments ranked: `province`, `city` or `county`.
    pub level: String,
    /// First day, Beijing time (`2022-04-01`); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// Narrow to a region inside the caller's jurisdiction.
    pub region: Option<String>,
    /// Narrow to the enterprises of one chain.
    pub chain: Option<String>,
    /// Only white-listed enterprises (`true`) or only the others (`false`).
    pub whitelisted: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankedView {
    /// 1 for the best score; equal scores share a rank; null without a
    /// score (a rate without data), listed last.
    pub rank: Option<u32>,
    pub department_id: i64,
    pub name: String,
    pub region_code: Option<String>,
    /// The department's numbers; `score`, `response`, `resolution` and
    /// `satisfaction` are what the ranking is about.
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub level: String,
    pub scope: ScopeView,
    pub departments: Vec<RankedView>,
}

/// The departments of one level in the caller's jurisdiction (or a region,
/// chain or the white list inside it), best score first, with their three
/// rates. A ticket counts for the department handling it; departments with
/// no ticket in the period are not listed.
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
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<RankingParams>,
) -> Result<web::Json<RankingView>, ApiError> {
    Ok(web::Json(answer(&state, &who.caller, &params).await?))
}

async fn answer(
    state: &AppState,
    caller: &Caller,
    p: &RankingParams,
) -> Result<RankingView, ApiError> {
    let now = state.sla.now();
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let level = RegionLevel::parse(p.level.trim());
    let q = parse(
        &MetricsParams {
            from: p.from.clone(),
            to: p.to.clone(),
            group_by: None,
            region: p.region.clone(),
            chain: p.chain.clone(),
            whitelisted: p.whitelisted,
        },
        today,
    );
    let (q, level) = match (q, level) {
        (Ok(q), Some(level)) => (q, level),
        (q, _) => {
            // Every bad field at once: the level's problem joins the others.
            let mut errors = match q {
                Err(e) => e.errors,
                Ok(_) => Vec::new(),
            };
            errors.push(field(
                "level",
                "级别应为 province、city 或 county。",
                "The level is province, city or county.",
            ));
            return Err(ApiError::invalid_fields(errors));
        }
    };
    let (from, to) = (q.from, q.to);
    let (scope, ranked) = metrics::ranking(
        &state.db,
        caller,
        q,
        level,
        now,
        state.settings.metrics.weights(),
    )
    .await
    .map_err(refused)?;
    Ok(RankingView {
        from,
        to,
        level: level.as_str().to_string(),
        scope: ScopeView::of(scope),
        departments: ranked.into_iter().map(view).collect(),
    })
}

fn view(r: Ranked) -> RankedView {
    RankedView {
        rank: r.rank,
        department_id: r.department_id,
        name: r.name,
        region_code: r.region_code,
        figures: r.figures,
    }
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

/// The ranking as a file, for the API and the pages alike.
pub(crate) async fn ranking_file(
    req: &HttpRequest,
    state: &AppState,
    caller: &Caller,
    params: &RankingParams,
    format: &FormatParam,
) -> Result<HttpResponse, ApiError> {
    let file = file_format(format)?;
    let lang = Lang::from_request(req);
    let ranking = answer(state, caller, params).await?;
    let name = format!("ranking-{}-{}-{}", ranking.level, ranking.from, ranking.to);
    send(
        &table(&ranking, lang),
        file,
        lang,
        ("排名", "Ranking"),
        &name,
    )
}

const COLUMNS: [(&str, &str); 10] = [
    ("名次", "Rank"),
    ("部门", "Department"),
    ("区划代码", "Region code"),
    ("综合得分", "Score"),
    ("响应率", "Response rate"),
    ("按时办结率", "On-time resolution rate"),
    ("解决率", "Resolution rate"),
    ("满意率", "Satisfaction rate"),
    ("受理量", "Received"),
    ("办结量", "Resolved"),
];

fn table(r: &RankingView, lang: Lang) -> Table {
    let rate = |v: Option<f64>| v.map_or(Cell::NoData, Cell::Percent);
    Table {
        headers: COLUMNS
            .iter()
            .map(|(zh, en)| if lang == Lang::En { en } else { zh }.to_string())
            .collect(),
        rows: r
            .departments
            .iter()
            .map(|d| {
                let f = &d.figures;
                vec![
                    d.rank.map_or(Cell::NoData, |n| Cell::Number(f64::from(n))),
                    Cell::Text(d.name.clone()),
                    Cell::Text(d.region_code.clone().unwrap_or_default()),
                    f.score
                        .map_or(Cell::NoData, |s| Cell::Number((s * 100.0).round() / 100.0)),
                    rate(f.response.value),
                    rate(f.on_time_resolution.value),
                    rate(f.resolution.value),
                    rate(f.satisfaction.value),
                    Cell::Number(f.received as f64),
                    Cell::Number(f.resolved as f64),
                ]
            })
            .collect(),
    }
}
