//! The two rankings by score, 地区排名 and 部门排名, as both faces show
//! them: the view and its file.

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::export::{Cell, Table};
use super::metrics::{file_format, send, FormatParam, ScopeView};
use crate::domain::access::Caller;
use crate::domain::metrics::Figures;
use crate::http::lang::Lang;
use crate::http::problem::{invalid, ApiError};
use crate::http::AppState;
use crate::services::ranking::{self, parse_ranking, Basis, Ranked, RankingParams, RankingRule};
use crate::words::text;

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

pub async fn answer(
    state: &AppState,
    caller: &Caller,
    p: &RankingParams,
    lang: Lang,
) -> Result<RankingView, ApiError> {
    let now = state.sla.now();
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (q, level, basis) = parse_ranking(p, today).map_err(invalid)?;
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
    .map_err(ApiError::from)?;
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
    match basis {
        Basis::Region => text(lang, "export_ranking.regions_title"),
        Basis::Department => text(lang, "export_ranking.departments_title"),
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

/// The ranking as a file, for the API and the pages alike.
pub async fn ranking_file(
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
    send(&table(&ranking, lang), file, lang, ranking.title, &name)
}

const COLUMNS: [&str; 13] = [
    "export_ranking.rank",
    "export_ranking.region",
    "export_ranking.region_code",
    "export_ranking.score",
    "export_ranking.response_rate",
    "export_ranking.on_time_resolution_rate",
    "export_ranking.resolution_rate",
    "export_ranking.satisfaction_rate",
    "export_ranking.final_satisfaction_rate",
    "export_ranking.sign_for_deadlines_due",
    "export_ranking.ratings_given",
    "export_ranking.received",
    "export_ranking.resolved",
];

fn table(r: &RankingView, lang: Lang) -> Table {
    let rate = |v: Option<f64>| v.map_or(Cell::NoData, Cell::Percent);
    let mut headers: Vec<String> = COLUMNS
        .iter()
        .map(|key| text(lang, key).to_string())
        .collect();
    if r.basis == Basis::Department.as_str() {
        headers[1] = text(lang, "export_ranking.department").to_string();
    }
    let standing = |s: &str, rank: Option<u32>| match (rank, s) {
        (Some(n), _) => Cell::Number(f64::from(n)),
        (None, "insufficient_sample") => {
            Cell::Text(text(lang, "export_ranking.too_few").to_string())
        }
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
