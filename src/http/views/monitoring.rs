//! What both faces show of daily monitoring: reports, lists, the board's
//! numbers (JSON) and its file (CSV, XLSX).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::export::{Cell, Table};
use crate::domain::access::MonitoringView;
use crate::domain::monitoring::milli_text;
use crate::domain::monitoring::rates::{Figures, Output};
use crate::http::lang::Lang;
use crate::services::monitoring::board::{Board, Group};
use crate::services::monitoring::lists::ListInfo;
use crate::services::monitoring::reports::StoredReport;
use crate::storage::missing_reports::Missing;
use crate::storage::monitoring::MemberRow;
use crate::words::text;

/// A blocker's ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlockerTicket {
    pub id: i64,
    pub number: String,
    /// The ticket's status code (`pending_sign`, `handling`, ...).
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlockerView {
    pub id: i64,
    /// A ticket category code.
    pub category: String,
    pub text: String,
    /// The ticket it became, if it did.
    pub ticket: Option<BlockerTicket>,
}

/// A daily report as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DailyReportView {
    pub date: NaiveDate,
    pub enterprise_id: i64,
    /// `running` 正常生产, `partial` 部分复工, `stopped` 停产, `not_resumed` 未复工.
    pub status: String,
    pub staff_on_duty: i32,
    pub staff_usual: i32,
    pub capacity_percent: i32,
    /// In `output_unit`; up to three decimals.
    pub output_quantity: Option<f64>,
    pub output_unit: Option<String>,
    pub inventory_days: Option<i32>,
    pub blockers: Vec<BlockerView>,
    /// First filed after the correction cut-off.
    pub late: bool,
    /// 1 for the first version; each correction adds one.
    pub revision: i32,
    pub reported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Corrections are accepted until then (Beijing: the cut-off of the
    /// next working day), unless the report was late.
    pub correctable_until: DateTime<Utc>,
    pub correctable: bool,
}

impl DailyReportView {
    pub fn of(s: &StoredReport) -> DailyReportView {
        let r = &s.row;
        DailyReportView {
            date: r.day,
            enterprise_id: r.enterprise_id,
            status: r.status.clone(),
            staff_on_duty: r.staff_on_duty,
            staff_usual: r.staff_usual,
            capacity_percent: r.capacity_percent,
            output_quantity: r.output_milli.map(|m| m as f64 / 1000.0),
            output_unit: r.output_unit.clone(),
            inventory_days: r.inventory_days,
            blockers: s
                .blockers
                .iter()
                .map(|b| BlockerView {
                    id: b.row.id,
                    category: b.row.category.clone(),
                    text: b.row.text.clone(),
                    ticket: b.ticket.as_ref().map(|(id, number, status)| BlockerTicket {
                        id: *id,
                        number: number.clone(),
                        status: status.clone(),
                    }),
                })
                .collect(),
            late: r.late,
            revision: r.revision,
            reported_at: r.reported_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
            correctable_until: s.correctable_until,
            correctable: s.correctable,
        }
    }
}

/// A report as a client sends it. Numbers are numbers; the output's
/// quantity and unit come together or not at all.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DailyReportBody {
    /// `running`, `partial`, `stopped` or `not_resumed`.
    pub status: String,
    pub staff_on_duty: Option<i64>,
    pub staff_usual: Option<i64>,
    /// 0-200; 0 when stopped or not resumed.
    pub capacity_percent: Option<i64>,
    pub output_quantity: Option<f64>,
    pub output_unit: Option<String>,
    pub inventory_days: Option<i64>,
    #[serde(default)]
    pub blockers: Vec<BlockerBody>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BlockerBody {
    /// A ticket category code (`GET /api/v1/categories`).
    pub category: String,
    pub text: String,
}

impl DailyReportBody {
    pub fn input(&self) -> crate::domain::monitoring::ReportInput {
        let n = |v: Option<i64>| v.map_or_else(String::new, |n| n.to_string());
        crate::domain::monitoring::ReportInput {
            status: self.status.clone(),
            staff_on_duty: n(self.staff_on_duty),
            staff_usual: n(self.staff_usual),
            capacity_percent: n(self.capacity_percent),
            output_quantity: self.output_quantity.map_or_else(String::new, |q| {
                if q.is_finite() && q >= 0.0 {
                    milli_text((q * 1000.0).round() as i64)
                } else {
                    q.to_string()
                }
            }),
            output_unit: self.output_unit.clone().unwrap_or_default(),
            inventory_days: n(self.inventory_days),
            blockers: self
                .blockers
                .iter()
                .map(|b| crate::domain::monitoring::BlockerInput {
                    category: b.category.clone(),
                    text: b.text.clone(),
                })
                .collect(),
        }
    }
}

/// How much of a list the reader sees.
pub fn view_code(v: &MonitoringView) -> &'static str {
    match v {
        MonitoringView::Whole => "whole",
        MonitoringView::Region(..) => "region",
        MonitoringView::Chain(_) => "chain",
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListView {
    pub id: i64,
    pub name: String,
    pub department_id: i64,
    pub department: String,
    /// `members` (kept by hand) or `whitelist` (every enterprise on a white list).
    pub source: String,
    pub whitelist_scope: Option<String>,
    pub whitelist_batch: Option<i32>,
    pub members: i64,
    /// `whole`, or `region` / `chain` when the caller sees the part in its jurisdiction.
    pub sight: String,
    /// The caller keeps this list.
    pub may_keep: bool,
}

impl ListView {
    pub fn of(l: &ListInfo) -> ListView {
        let s = &l.summary;
        ListView {
            id: s.list.id,
            name: s.list.name.clone(),
            department_id: s.list.department_id,
            department: s.department_name.clone(),
            source: s.list.source.clone(),
            whitelist_scope: s.list.whitelist_scope.clone(),
            whitelist_batch: s.list.whitelist_batch,
            members: s.members,
            sight: view_code(&l.view).into(),
            may_keep: l.may_keep,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub enterprise_id: i64,
    pub name: String,
    pub credit_code: String,
    pub county_code: String,
    /// GB/T 4754-2017; empty when the enterprise has none.
    pub industry_code: String,
    pub chains: Vec<String>,
}

impl MemberView {
    pub fn of(m: &MemberRow) -> MemberView {
        MemberView {
            enterprise_id: m.enterprise_id,
            name: m.name.clone(),
            credit_code: m.credit_code.clone(),
            county_code: m.county_code.clone(),
            industry_code: m.industry_code.clone(),
            chains: crate::domain::monitoring::tally::unpack_chains(&m.chains),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissingView {
    pub enterprise_id: i64,
    pub name: String,
    pub credit_code: String,
    pub county_code: String,
    pub industry_code: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// The day's notice went out.
    pub reminded: bool,
    /// Someone urged it that day.
    pub urged: bool,
}

impl MissingView {
    pub fn of(m: &Missing) -> MissingView {
        MissingView {
            enterprise_id: m.enterprise_id,
            name: m.name.clone(),
            credit_code: m.credit_code.clone(),
            county_code: m.county_code.clone(),
            industry_code: m.industry_code.clone(),
            contact_name: m.contact_name.clone(),
            contact_phone: m.contact_phone.clone(),
            reminded: m.reminded,
            urged: m.urged,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MonitoringGroupView)]
pub struct GroupView {
    pub key: String,
    pub name: String,
    pub figures: Figures,
}

fn groups(g: &[Group], lang: Lang) -> Vec<GroupView> {
    g.iter()
        .map(|g| GroupView {
            key: g.key.clone(),
            name: if lang == Lang::En {
                g.name_en.clone()
            } else {
                g.name_zh.clone()
            },
            figures: g.figures.clone(),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendView {
    pub date: NaiveDate,
    /// A working day (the work calendar's).
    pub working: bool,
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardBlockerView {
    pub id: i64,
    pub date: NaiveDate,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub county_code: String,
    pub category: String,
    pub text: String,
    pub ticket: Option<BlockerTicket>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MonitoringRegionView)]
pub struct RegionView {
    pub code: String,
    pub name: String,
}

/// `GET /api/v1/monitoring/overview`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverviewView {
    pub list_id: i64,
    pub list: String,
    pub department: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The region asked about (or the caller's own, when it sees part of
    /// the list); null: the whole list.
    pub region: Option<RegionView>,
    pub industries: Vec<String>,
    pub chain: Option<String>,
    /// The caller sees only the part of the list in its jurisdiction.
    pub narrowed: bool,
    /// The rates of the scope: on the day, or over the period's working days.
    pub total: Figures,
    /// Output per unit over the period's calendar days, against the period
    /// of equal length before it.
    pub output: Vec<Output>,
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
    /// One level down: provinces, cities or counties.
    pub by_region: Vec<GroupView>,
    /// By industry division (GB/T 4754-2017 大类).
    pub by_industry: Vec<GroupView>,
    pub by_chain: Vec<GroupView>,
    /// Each day of the period, at least the last fourteen.
    pub trend: Vec<TrendView>,
    /// Enterprises with no report on the last day.
    pub missing_total: u64,
    pub missing: Vec<MissingView>,
    pub blockers: Vec<BoardBlockerView>,
    /// The ticket side: problems of the region and chain asked about
    /// resolved up to the end of `to`, all time.
    pub tickets_resolved_to_date: u64,
}

impl OverviewView {
    pub fn of(b: &Board, lang: Lang) -> OverviewView {
        OverviewView {
            list_id: b.list_id,
            list: b.list_name.clone(),
            department: b.department_name.clone(),
            from: b.from,
            to: b.to,
            region: b.region.as_ref().map(|(c, n)| RegionView {
                code: c.to_string(),
                name: n.clone(),
            }),
            industries: b.industries.iter().map(|i| i.code.to_string()).collect(),
            chain: b.chain.clone(),
            narrowed: b.narrowed,
            total: b.total.clone(),
            output: b.output.clone(),
            previous_from: b.previous.0,
            previous_to: b.previous.1,
            by_region: groups(&b.by_region, lang),
            by_industry: groups(&b.by_industry, lang),
            by_chain: groups(&b.by_chain, lang),
            trend: b
                .trend
                .iter()
                .map(|t| TrendView {
                    date: t.day,
                    working: t.working,
                    figures: t.figures.clone(),
                })
                .collect(),
            missing_total: b.missing_total,
            missing: b.missing.iter().map(MissingView::of).collect(),
            blockers: b
                .blockers
                .iter()
                .map(|(l, t)| BoardBlockerView {
                    id: l.blocker.id,
                    date: l.day,
                    enterprise_id: l.enterprise_id,
                    enterprise: l.enterprise.clone(),
                    county_code: l.county_code.clone(),
                    category: l.blocker.category.clone(),
                    text: l.blocker.text.clone(),
                    ticket: t.as_ref().map(|(id, number, status)| BlockerTicket {
                        id: *id,
                        number: number.clone(),
                        status: status.clone(),
                    }),
                })
                .collect(),
            tickets_resolved_to_date: b.tickets_resolved,
        }
    }
}

/// The board's file: the whole, then each breakdown, then output.
const COLUMNS: [&str; 20] = [
    "daily_export.kind",
    "daily_export.key",
    "daily_export.name",
    "daily_export.listed",
    "daily_export.expected",
    "daily_export.reported",
    "daily_export.not_reported",
    "daily_export.reporting_rate",
    "daily_export.running",
    "daily_export.partial",
    "daily_export.stopped",
    "daily_export.not_resumed",
    "daily_export.back_to_work_rate",
    "daily_export.staff_on_duty",
    "daily_export.staff_usual",
    "daily_export.worker_return_rate",
    "daily_export.capacity_utilisation",
    "daily_export.late",
    "daily_export.blockers",
    "daily_export.output",
];

fn figure_cells(f: &Figures) -> Vec<Cell> {
    let rate = |v: Option<f64>| v.map_or(Cell::NoData, Cell::Percent);
    let n = |v: u64| Cell::Number(v as f64);
    vec![
        n(f.listed),
        n(f.expected),
        n(f.reported),
        n(f.not_reported),
        rate(f.reporting_rate.value),
        n(f.running),
        n(f.partial),
        n(f.stopped),
        n(f.not_resumed),
        rate(f.back_to_work_rate.value),
        n(f.staff_on_duty),
        n(f.staff_usual),
        rate(f.worker_return_rate.value),
        rate(f.capacity_utilisation.map(|c| c / 100.0)),
        n(f.late),
        n(f.blockers),
        Cell::Text(String::new()),
    ]
}

pub fn table(b: &Board, lang: Lang) -> Table {
    let mut rows = Vec::new();
    let mut push = |kind: &str, key: &str, name: &str, f: &Figures| {
        let mut row = vec![
            Cell::Text(kind.to_string()),
            Cell::Text(super::export::inert(key)),
            Cell::Text(super::export::inert(name)),
        ];
        row.extend(figure_cells(f));
        rows.push(row);
    };
    push(
        text(lang, "daily_export.kind_total"),
        "",
        &b.list_name,
        &b.total,
    );
    for (kind, list) in [
        ("daily_export.kind_region", &b.by_region),
        ("daily_export.kind_industry", &b.by_industry),
        ("daily_export.kind_chain", &b.by_chain),
    ] {
        for g in list {
            let name = if lang == Lang::En {
                &g.name_en
            } else {
                &g.name_zh
            };
            push(text(lang, kind), &g.key, name, &g.figures);
        }
    }
    for o in &b.output {
        let mut row = vec![
            Cell::Text(text(lang, "daily_export.kind_output").to_string()),
            Cell::Text(super::export::inert(&o.unit)),
            Cell::Text(crate::words::fill(
                lang,
                "daily_export.output_row",
                &[
                    ("per_day", &format!("{:.0}", o.per_day)),
                    ("previous", &format!("{:.0}", o.previous_per_day)),
                ],
            )),
        ];
        row.extend(std::iter::repeat_n(
            Cell::Text(String::new()),
            COLUMNS.len() - 4,
        ));
        row.push(o.change.map_or(Cell::NoData, Cell::Percent));
        rows.push(row);
    }
    Table {
        headers: COLUMNS.iter().map(|k| text(lang, k).to_string()).collect(),
        rows,
    }
}

/// The board as a downloaded file, for the API and the pages alike.
pub async fn board_file(
    req: &actix_web::HttpRequest,
    state: &crate::http::AppState,
    caller: &crate::domain::access::Caller,
    params: &crate::services::monitoring::board::BoardParams,
    format: &super::metrics::FormatParam,
) -> Result<actix_web::HttpResponse, crate::http::problem::ApiError> {
    use crate::services::monitoring::board;
    let file = super::metrics::file_format(format)?;
    let today = crate::domain::monitoring::beijing_date(state.sla.now());
    let q = board::parse(params, today).map_err(crate::http::problem::invalid)?;
    let lang = Lang::from_request(req);
    let b = board::board(&state.db, &state.sla, caller, q).await?;
    let name = format!("monitoring-{}-{}-{}", b.list_id, b.from, b.to);
    super::metrics::send(
        &table(&b, lang),
        file,
        lang,
        text(lang, "daily_export.sheet"),
        &name,
    )
}
