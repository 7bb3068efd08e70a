//! The two rankings by score, 地区排名 and 部门排名:
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
use crate::services::ranking::{self, Basis, Ranked, RankingRule};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// The level ranked: `province`, `city` or `county`.
    pub level: String,
    /// `region` (地区排名: every region of the level, over every ticket
    /// placed in it) or `department` (部门排名: every department of the
    /// level, over its own work); default `department`.
    pub basis: Option<String>,
    /// Rank only those with at least this many sign-for deadlines due and
    /// ratings given; default `metrics.ranking_min_sample`.
    pub min_sample: Option<u64>,
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
    /// `ranked`; `insufficient_sample` (样本不足: fewer sign-for deadlines
    /// due or ratings given than `min_sample`), listed after the ranked;
    /// `no_data` (无数据), listed last.
    pub standing: &'static str,
    /// 1 for the best score; equal scores share a rank; null unless ranked.
    pub rank: Option<u32>,
    /// The region code (地区排名) or the department id (部门排名).
    pub key: String,
    /// The department (部门排名 only).
    pub department_id: Option<i64>,
    pub name: String,
    pub region_code: Option<String>,
    /// The numbers; `score`, `response`, `resolution` and `satisfaction`
    /// are what the ranking is about, their denominators the sample.
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub level: String,
    /// `region` or `department`.
    pub basis: &'static str,
    /// 地区排名 or 部门排名, in the reader's language.
    pub title: &'static str,
    pub min_sample: u64,
    pub scope: ScopeView,
    /// Every region or department of the level in the scope (of a chain:
    /// those with data), ranked first, then 样本不足, then 无数据.
    pub entries: Vec<RankedView>,
}

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

async fn answer(
    state: &AppState,
    caller: &Caller,
    p: &RankingParams,
    lang: Lang,
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
    let basis = match p.basis.as_deref().map(str::trim) {
        None | Some("") => Some(Basis::Department),
        Some(b) => Basis::parse(b),
    };
    let (q, level, basis) = match (q, level, basis) {
        (Ok(q), Some(level), Some(basis)) => (q, level, basis),
        (q, level, basis) => {
            // Every bad field at once.
            let mut errors = match q {
                Err(e) => e.errors,
                Ok(_) => Vec::new(),
            };
            if level.is_none() {
                errors.push(field(
                    "level",
                    "级别应为 province、city 或 county。",
                    "The level is province, city or county.",
                ));
            }
            if basis.is_none() {
                errors.push(field(
                    "basis",
                    "排名口径应为 region（地区排名）或 department（部门排名）。",
                    "The basis is region or department.",
                ));
            }
            return Err(ApiError::invalid_fields(errors));
        }
    };
    let (from, to) = (q.from, q.to);
    let min_sample = p
        .min_sample
        .unwrap_or(state.settings.metrics.ranking_min_sample);
    let (scope, ranked) = ranking::ranking(
        &state.db,
        caller,
        q,
        RankingRule {
            level,
            basis,
            min_sample,
        },
        now,
        state.settings.metrics.weights(),
    )
    .await
    .map_err(refused)?;
    Ok(RankingView {
        from,
        to,
        level: level.as_str().to_string(),
        basis: basis.as_str(),
        title: title(basis, lang),
        min_sample,
        scope: ScopeView::of(scope),
        entries: ranked.into_iter().map(view).collect(),
    })
}

fn title(basis: Basis, lang: Lang) -> &'static str {
    match (basis, lang == Lang::En) {
        (Basis::Region, false) => "地区排名",
        (Basis::Region, true) => "Regions ranked",
        (Basis::Department, false) => "部门排名",
        (Basis::Department, true) => "Departments ranked",
    }
}

fn view(r: Ranked) -> RankedView {
    RankedView {
        standing: r.standing.as_str(),
        rank: r.standing.rank(),
        key: r.key,
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
    let ranking = answer(state, caller, params, lang).await?;
    let name = format!(
        "ranking-{}-{}-{}-{}",
        ranking.basis, ranking.level, ranking.from, ranking.to
    );
    send(
        &table(&ranking, lang),
        file,
        lang,
        (ranking.title, ranking.title),
        &name,
    )
}

const COLUMNS: [(&str, &str); 13] = [
    ("名次", "Rank"),
    ("地区", "Region"),
    ("区划代码", "Region code"),
    ("综合得分", "Score"),
    ("响应率", "Response rate"),
    ("按时办结率", "On-time resolution rate"),
    ("解决率", "Resolution rate"),
    ("满意率", "Satisfaction rate"),
    ("最终满意率", "Final satisfaction rate"),
    ("应签收数", "Sign-for deadlines due"),
    ("评价数", "Ratings given"),
    ("受理量", "Received"),
    ("办结量", "Resolved"),
];

fn table(r: &RankingView, lang: Lang) -> Table {
    let en = lang == Lang::En;
    let rate = |v: Option<f64>| v.map_or(Cell::NoData, Cell::Percent);
    let mut headers: Vec<String> = COLUMNS
        .iter()
        .map(|(zh, e)| if en { e } else { zh }.to_string())
        .collect();
    if r.basis == Basis::Department.as_str() {
        headers[1] = if en { "Department" } else { "部门" }.to_string();
    }
    let standing = |s: &str, rank: Option<u32>| match (rank, s) {
        (Some(n), _) => Cell::Number(f64::from(n)),
        (None, "insufficient_sample") => Cell::Text(
            if en {
                "too few to rank"
            } else {
                "样本不足"
            }
            .to_string(),
        ),
        _ => Cell::NoData,
    };
    Table {
        headers,
        rows: r
            .entries
            .iter()
            .map(|d| {
                let f = &d.figures;
                vec![
                    standing(d.standing, d.rank),
                    Cell::Text(d.name.clone()),
                    Cell::Text(d.region_code.clone().unwrap_or_default()),
                    f.score
                        .map_or(Cell::NoData, |s| Cell::Number((s * 100.0).round() / 100.0)),
                    rate(f.response.value),
                    rate(f.on_time_resolution.value),
                    rate(f.resolution.value),
                    rate(f.satisfaction.value),
                    rate(f.final_satisfaction.value),
                    Cell::Number(f.response.denominator as f64),
                    Cell::Number(f.satisfaction.denominator as f64),
                    Cell::Number(f.received as f64),
                    Cell::Number(f.resolved as f64),
                ]
            })
            .collect(),
    }
}
