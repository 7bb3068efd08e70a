//! The supervisors' numbers as both faces show them: the report's view
//! and its file.

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::export::{attachment, Cell, FileFormat, Table};
use crate::domain::access::Caller;
use crate::domain::metrics::Figures;
use crate::http::lang::Lang;
use crate::http::problem::{invalid, ApiError, Message};
use crate::http::AppState;
use crate::services::metrics::{self, parse, MetricsParams, Report};
use crate::words::text;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeView {
    /// The region covered; null for the whole country.
    pub region: Option<String>,
    pub region_level: Option<String>,
    pub chain: Option<String>,
    pub whitelisted: Option<bool>,
}

impl ScopeView {
    pub fn of(s: metrics::Scope) -> ScopeView {
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

pub fn field(name: &str, key: &'static str) -> (String, Message) {
    (name.to_string(), Message::new(key))
}

/// The report a query asks for, with its period's first and last day.
pub async fn answer(
    state: &AppState,
    caller: &Caller,
    params: &MetricsParams,
) -> Result<(Report, NaiveDate, NaiveDate), ApiError> {
    let now = state.sla.now();
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let q = parse(params, today).map_err(invalid)?;
    let (from, to) = (q.from, q.to);
    let report = metrics::report(&state.db, caller, q, now, state.settings.metrics.weights())
        .await
        .map_err(ApiError::from)?;
    Ok((report, from, to))
}

pub fn view(r: Report, from: NaiveDate, to: NaiveDate, milestones: &[u64]) -> MetricsView {
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

/// The metrics table as a file, for the API and the pages alike.
pub async fn metrics_file(
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
        text(lang, "export_metrics.sheet"),
        &name,
    )
}

/// Parses `format=csv|xlsx`.
pub fn file_format(p: &FormatParam) -> Result<FileFormat, ApiError> {
    FileFormat::parse(p.format.trim())
        .ok_or_else(|| ApiError::invalid_fields(vec![field("format", "problem.export_format")]))
}

/// A table as a downloaded file, "no data" spelled in the reader's language.
pub fn send(
    table: &Table,
    file: FileFormat,
    lang: Lang,
    sheet: &str,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let no_data = text(lang, "export_metrics.no_data");
    let body = match file {
        FileFormat::Csv => table.to_csv(no_data),
        FileFormat::Xlsx => table.to_xlsx(sheet, no_data).map_err(|e| {
            tracing::error!(error = %e, "building an XLSX export");
            ApiError::new(crate::http::problem::ProblemKind::Internal)
        })?,
    };
    Ok(attachment(file, name, body))
}

/// The export's columns: (Chinese, English) headers.
const COLUMNS: [&str; 17] = [
    "export_metrics.key",
    "export_metrics.name",
    "export_metrics.received",
    "export_metrics.response_rate",
    "export_metrics.on_time_resolution_rate",
    "export_metrics.resolution_rate",
    "export_metrics.satisfaction_rate",
    "export_metrics.final_satisfaction_rate",
    "export_metrics.return_rate",
    "export_metrics.reopen_rate",
    "export_metrics.repeat_rate",
    "export_metrics.resolved",
    "export_metrics.mean_time_to_sign_working_hours",
    "export_metrics.mean_time_to_resolve_working_hours",
    "export_metrics.open",
    "export_metrics.overdue_open",
    "export_metrics.score",
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
    let total = text(lang, "export_metrics.total");
    rows.push(row("", total, &r.total));
    Table {
        headers: COLUMNS
            .iter()
            .map(|key| text(lang, key).to_string())
            .collect(),
        rows,
    }
}
