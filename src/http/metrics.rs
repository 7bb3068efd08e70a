//! The supervisors' numbers over HTTP: `GET /api/v1/metrics`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::Authenticated;
use super::export::{attachment, Cell, FileFormat, Table};
use super::lang::Lang;
use super::problem::{ApiError, Message, Problem};
use super::AppState;
use crate::domain::access::Caller;
use crate::domain::metrics::Figures;
use crate::domain::region::RegionCode;
use crate::services::metrics::{self, GroupBy, MetricsError, MetricsQuery, Report};

/// The longest period one query may cover.
const MAX_DAYS: i64 = 3 * 366;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsParams {
    /// First day, Beijing time (`2022-04-01`); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// `region` (child regions of the scope), `department` (handling
    /// department), `category`, `urgency` or `day` (the daily trend).
    pub group_by: Option<String>,
    /// Narrow to a region inside the caller's jurisdiction (drill-down).
    pub region: Option<String>,
    /// Narrow to the enterprises of one chain (`auto`, `chip`, `medical`, ...).
    pub chain: Option<String>,
    /// Only white-listed enterprises (`true`) or only the others (`false`).
    pub whitelisted: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeView {
    /// The region covered; null for the whole country.
    pub region: Option<String>,
    pub region_level: Option<String>,
    pub chain: Option<String>,
    pub whitelisted: Option<bool>,
}

impl ScopeView {
    pub(super) fn of(s: metrics::Scope) -> ScopeView {
        ScopeView {
            region: s.region.as_ref().map(|(c, _)| c.to_string()),
            region_level: s.region.as_ref().map(|(_, l)| l.as_str().to_string()),
            chain: s.chain,
            whitelisted: s.whitelisted,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub key: String,
    pub name: String,
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Milestone {
    pub count: u64,
    pub reached: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scope: ScopeView,
    pub total: Figures,
    /// Present when `group_by` was given.
    pub groups: Vec<GroupView>,
    /// First resolutions in the scope up to the end of the period, all time.
    pub resolved_to_date: u64,
    pub milestones: Vec<Milestone>,
}

pub(super) fn field(name: &str, zh: &str, en: &str) -> (String, Message) {
    (name.to_string(), Message::new(zh, en))
}

/// Parses the query; every bad field is reported at once.
pub(crate) fn parse(p: &MetricsParams, today: NaiveDate) -> Result<MetricsQuery, ApiError> {
    let mut errors = Vec::new();
    let day = |s: &Option<String>, name: &str, errors: &mut Vec<(String, Message)>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| {
                        errors.push(field(
                            name,
                            "日期格式应为 YYYY-MM-DD。",
                            "A date is YYYY-MM-DD.",
                        ))
                    })
                    .ok()
            })
    };
    let to = day(&p.to, "to", &mut errors).unwrap_or(today);
    let from = day(&p.from, "from", &mut errors).unwrap_or(to - chrono::Days::new(29));
    if from > to {
        errors.push(field(
            "from",
            "开始日期不能晚于结束日期。",
            "`from` is after `to`.",
        ));
    } else if (to - from).num_days() >= MAX_DAYS {
        errors.push(field(
            "to",
            "一次最多查询三年。",
            "One query covers at most three years.",
        ));
    }
    let group_by = match p
        .group_by
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(g) => {
            let parsed = GroupBy::parse(g);
            if parsed.is_none() {
                errors.push(field(
                    "group_by",
                    "分组应为 region、department、category、urgency 或 day。",
                    "group_by is region, department, category, urgency or day.",
                ));
            }
            parsed
        }
    };
    let region = match p.region.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(r) => match RegionCode::parse(r) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.push(field(
                    "region",
                    "区划代码应为 2、4 或 6 位数字。",
                    "A region code has 2, 4 or 6 digits.",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    Ok(MetricsQuery {
        from,
        to,
        group_by,
        region,
        chain: p
            .chain
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from),
        whitelisted: p.whitelisted,
    })
}

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

/// The report a query asks for, with its period's first and last day.
async fn answer(
    state: &AppState,
    caller: &Caller,
    params: &MetricsParams,
) -> Result<(Report, NaiveDate, NaiveDate), ApiError> {
    let now = state.sla.now();
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let q = parse(params, today)?;
    let (from, to) = (q.from, q.to);
    let report = metrics::report(&state.db, caller, q, now, state.settings.metrics.weights())
        .await
        .map_err(refused)?;
    Ok((report, from, to))
}

pub(crate) fn refused(e: MetricsError) -> ApiError {
    match e {
        MetricsError::NotPermitted => ApiError::not_found(
            "只有部门的督查人员和负责人可以查看统计。",
            "Only a department's supervisors and leads read metrics.",
        ),
        MetricsError::OutsideJurisdiction => ApiError::not_found(
            "该地区或产业链不在本部门管辖范围内。",
            "That region or chain is outside the department's jurisdiction.",
        ),
        MetricsError::Storage(e) => e.into(),
    }
}

fn view(r: Report, from: NaiveDate, to: NaiveDate, milestones: &[u64]) -> MetricsView {
    MetricsView {
        from,
        to,
        scope: ScopeView::of(r.scope),
        total: r.total,
        groups: r
            .groups
            .into_iter()
            .map(|g| GroupView {
                key: g.key,
                name: g.name,
                figures: g.figures,
            })
            .collect(),
        resolved_to_date: r.resolved_to_date,
        milestones: milestones
            .iter()
            .map(|m| Milestone {
                count: *m,
                reached: r.resolved_to_date >= *m,
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `csv` (UTF-8 with BOM) or `xlsx`.
    pub format: String,
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

/// The metrics table as a file, for the API and the pages alike.
pub(crate) async fn metrics_file(
    req: &HttpRequest,
    state: &AppState,
    caller: &Caller,
    params: &MetricsParams,
    format: &FormatParam,
) -> Result<HttpResponse, ApiError> {
    let file = file_format(format)?;
    let lang = Lang::from_request(req);
    let (report, from, to) = answer(state, caller, params).await?;
    let name = format!("metrics-{from}-{to}");
    send(
        &table(&report, lang),
        file,
        lang,
        ("统计", "Metrics"),
        &name,
    )
}

/// Parses `format=csv|xlsx`.
pub(super) fn file_format(p: &FormatParam) -> Result<FileFormat, ApiError> {
    FileFormat::parse(p.format.trim()).ok_or_else(|| {
        ApiError::invalid_fields(vec![field(
            "format",
            "导出格式应为 csv 或 xlsx。",
            "The format is csv or xlsx.",
        )])
    })
}

/// A table as a downloaded file, "no data" spelled in the reader's language.
pub(super) fn send(
    table: &Table,
    file: FileFormat,
    lang: Lang,
    (sheet_zh, sheet_en): (&str, &str),
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let no_data = if lang == Lang::En {
        "no data"
    } else {
        "无数据"
    };
    let body = match file {
        FileFormat::Csv => table.to_csv(no_data),
        FileFormat::Xlsx => table
            .to_xlsx(if lang == Lang::En { sheet_en } else { sheet_zh }, no_data)
            .map_err(|e| {
                tracing::error!(error = %e, "building an XLSX export");
                ApiError::new(super::problem::ProblemKind::Internal)
            })?,
    };
    Ok(attachment(file, name, body))
}

/// The export's columns: (Chinese, English) headers.
const COLUMNS: [(&str, &str); 17] = [
    ("分组", "Key"),
    ("名称", "Name"),
    ("受理量", "Received"),
    ("响应率", "Response rate"),
    ("按时办结率", "On-time resolution rate"),
    ("解决率", "Resolution rate"),
    ("满意率", "Satisfaction rate"),
    ("最终满意率", "Final satisfaction rate"),
    ("回退率", "Return rate"),
    ("重办率", "Reopen rate"),
    ("重复诉求率", "Repeat rate"),
    ("办结量", "Resolved"),
    (
        "平均签收时长（工作小时）",
        "Mean time to sign (working hours)",
    ),
    (
        "平均办结时长（工作小时）",
        "Mean time to resolve (working hours)",
    ),
    ("积压", "Open"),
    ("超期积压", "Overdue open"),
    ("综合得分", "Score"),
];

fn table(r: &Report, lang: Lang) -> Table {
    let rate = |v: Option<f64>| v.map_or(Cell::NoData, Cell::Percent);
    let number =
        |v: Option<f64>| v.map_or(Cell::NoData, |n| Cell::Number((n * 100.0).round() / 100.0));
    let row = |key: &str, name: &str, f: &Figures| {
        vec![
            Cell::Text(key.to_string()),
            Cell::Text(name.to_string()),
            Cell::Number(f.received as f64),
            rate(f.response.value),
            rate(f.on_time_resolution.value),
            rate(f.resolution.value),
            rate(f.satisfaction.value),
            rate(f.final_satisfaction.value),
            rate(f.returns.value),
            rate(f.reopens.value),
            rate(f.repeats.value),
            Cell::Number(f.resolved as f64),
            number(f.time_to_sign.mean_hours),
            number(f.time_to_resolve.mean_hours),
            Cell::Number(f.open as f64),
            Cell::Number(f.overdue_open as f64),
            number(f.score),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = r
        .groups
        .iter()
        .map(|g| row(&g.key, &g.name, &g.figures))
        .collect();
    let total = if lang == Lang::En { "Total" } else { "合计" };
    rows.push(row("", total, &r.total));
    Table {
        headers: COLUMNS
            .iter()
            .map(|(zh, en)| if lang == Lang::En { en } else { zh }.to_string())
            .collect(),
        rows,
    }
}
