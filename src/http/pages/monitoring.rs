//! 每日调度看板: the supervisor's monitoring board of a list on a day or
//! over a period: the rates, the trend, breakdowns by region (drill-down),
//! industry and chain, the missing list with urging, and the blockers with
//! their tickets; exports as CSV and XLSX.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::labels;
use super::session::{check_csrf, url_escape, Viewer};
use super::svg::{rate_lines, Series, Size};
use super::{failed, fill, page, say, see_other, AppState, Chrome, FormErrors, PageError};
use crate::domain::metrics::Rate;
use crate::domain::monitoring::beijing_date;
use crate::domain::monitoring::rates::Figures;
use crate::http::problem::ApiError;
use crate::http::views::metrics::FormatParam;
use crate::http::views::monitoring::board_file;
use crate::services::monitoring::board::{self, Board, BoardParams, Group};
use crate::services::monitoring::lists::{self, ListInfo};
use crate::services::monitoring::{reminders, MonitoringError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/monitoring", web::get().to(show))
        .route("/monitoring/urge", web::post().to(urge))
        .route("/exports/monitoring.{ext}", web::get().to(export));
}

pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub detail: String,
}

pub struct Row {
    pub href: String,
    pub name: String,
    pub listed: u64,
    pub reported: String,
    pub back: String,
    pub back_detail: String,
    pub workers: String,
    pub capacity: String,
    pub missing: u64,
}

/// One breakdown table: its heading, its first column's name, its rows.
pub struct Breakdown {
    pub heading: &'static str,
    pub first: &'static str,
    pub rows: Vec<Row>,
}

pub struct MissingRow {
    pub name: String,
    pub place: String,
    pub contact: String,
    pub state: String,
}

pub struct BlockerRow {
    pub day: String,
    pub enterprise: String,
    pub category: String,
    pub text: String,
    /// (ticket id, number, status in words).
    pub ticket: Option<(i64, String, String)>,
}

#[derive(Template)]
#[template(path = "monitoring.html")]
struct BoardPage {
    c: Chrome,
    lists: Vec<(i64, String)>,
    list_id: i64,
    title: String,
    scope: String,
    narrowed: bool,
    date: String,
    from: String,
    to: String,
    compare_from: String,
    compare_to: String,
    period: bool,
    industry: String,
    chain: String,
    industries: Vec<(String, String)>,
    chains: Vec<(String, String)>,
    crumbs: Vec<(String, String)>,
    cards: Vec<Card>,
    outputs: Vec<Card>,
    trend_wide: String,
    trend_narrow: String,
    breakdowns: Vec<Breakdown>,
    missing: Vec<MissingRow>,
    missing_total: u64,
    may_urge: bool,
    blockers: Vec<BlockerRow>,
    query: String,
    /// The last seven and thirty days up to the board's last day.
    week_href: String,
    month_href: String,
    day_href: String,
    errors: FormErrors,
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct BoardQuery {
    #[serde(flatten)]
    params: BoardParams,
    done: Option<String>,
}

fn percent(r: &Rate, en: bool) -> String {
    match r.value {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => say(super::lang_of(en), "supervise.no_data"),
    }
}

fn number(n: f64) -> String {
    let whole = n.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if whole < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The query string of the board's own parameters, with `set` changed.
fn query_of(p: &BoardParams, set: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, String)> = [
        ("list", &p.list),
        ("date", &p.date),
        ("from", &p.from),
        ("to", &p.to),
        ("region", &p.region),
        ("industry", &p.industry),
        ("chain", &p.chain),
        ("compare_from", &p.compare_from),
        ("compare_to", &p.compare_to),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    for (k, v) in set {
        pairs.retain(|(x, _)| x != k);
        if !v.is_empty() {
            pairs.push((k, v.to_string()));
        }
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", url_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The board over the `back` days before `to` and `to` itself.
fn period_href(p: &BoardParams, to: chrono::NaiveDate, back: u64) -> String {
    let from = (to - chrono::Days::new(back)).to_string();
    let to = to.to_string();
    format!(
        "/monitoring?{}",
        query_of(p, &[("date", ""), ("from", &from), ("to", &to)])
    )
}

fn row(c: &Chrome, g: &Group, href: String) -> Row {
    let f = &g.figures;
    Row {
        href,
        name: if c.en {
            g.name_en.clone()
        } else {
            g.name_zh.clone()
        },
        listed: f.listed,
        reported: percent(&f.reporting_rate, c.en),
        back: percent(&f.back_to_work_rate, c.en),
        back_detail: format!(
            "{}/{}",
            f.back_to_work_rate.numerator, f.back_to_work_rate.denominator
        ),
        workers: percent(&f.worker_return_rate, c.en),
        capacity: capacity(f, c.en),
        missing: f.not_reported,
    }
}

fn capacity(f: &Figures, en: bool) -> String {
    f.capacity_utilisation.map_or_else(
        || say(super::lang_of(en), "supervise.no_data"),
        |v| format!("{v:.1}%"),
    )
}

fn cards(c: &Chrome, b: &Board) -> (Vec<Card>, Vec<Card>) {
    let t = &b.total;
    let cards = vec![
        Card {
            label: c.t("daily.back_to_work_rate"),
            value: percent(&t.back_to_work_rate, c.en),
            detail: fill(
                c.lang(),
                "daily.back_detail",
                &[
                    ("back", &t.back_to_work_rate.numerator),
                    ("listed", &t.expected),
                    ("missing", &t.not_reported),
                ],
            ),
        },
        Card {
            label: c.t("daily.reporting_rate"),
            value: percent(&t.reporting_rate, c.en),
            detail: fill(
                c.lang(),
                "daily.reporting_detail",
                &[("reported", &t.reported), ("expected", &t.expected)],
            ),
        },
        Card {
            label: c.t("daily.worker_return_rate"),
            value: percent(&t.worker_return_rate, c.en),
            detail: fill(
                c.lang(),
                "daily.workers_detail",
                &[
                    ("on_duty", &number(t.staff_on_duty as f64)),
                    ("usual", &number(t.staff_usual as f64)),
                ],
            ),
        },
        Card {
            label: c.t("daily.capacity_utilisation"),
            value: capacity(t, c.en),
            detail: c.t("daily.capacity_detail").to_string(),
        },
        Card {
            label: c.t("daily.tickets_resolved"),
            value: number(b.tickets_resolved as f64),
            detail: fill(c.lang(), "daily.tickets_resolved_detail", &[("to", &b.to)]),
        },
    ];
    let outputs = b
        .output
        .iter()
        .map(|o| Card {
            label: c.t("daily.output_per_day"),
            value: format!("{} {}", number(o.per_day), o.unit),
            detail: match o.change {
                Some(ch) => fill(
                    c.lang(),
                    "daily.output_change",
                    &[
                        ("change", &format!("{:+.1}%", ch * 100.0)),
                        ("previous", &number(o.previous_per_day)),
                        ("from", &b.previous.0),
                        ("to", &b.previous.1),
                    ],
                ),
                None => say(c.lang(), "daily.output_no_previous"),
            },
        })
        .collect();
    (cards, outputs)
}

fn trend(c: &Chrome, b: &Board) -> (String, String) {
    let days: Vec<String> = b.trend.iter().map(|t| t.day.to_string()).collect();
    let gaps: Vec<bool> = b
        .trend
        .iter()
        .map(|t| !t.working && t.figures.reported == 0)
        .collect();
    let line = |name: &'static str, colour: &'static str, pick: fn(&Figures) -> Rate| Series {
        name,
        colour,
        values: b.trend.iter().map(|t| pick(&t.figures).value).collect(),
        tips: b
            .trend
            .iter()
            .map(|t| format!("{} {name} {}", t.day, percent(&pick(&t.figures), c.en)))
            .collect(),
    };
    let lines = [
        line(c.t("daily.back_to_work_rate"), "#1f6feb", |f| {
            f.back_to_work_rate
        }),
        line(c.t("daily.reporting_rate"), "#2da44e", |f| f.reporting_rate),
        line(c.t("daily.worker_return_rate"), "#bf8700", |f| {
            f.worker_return_rate
        }),
    ];
    let title = c.t("daily.trend_title");
    (
        rate_lines(title, &days, &gaps, &lines, Size::Wide),
        rate_lines(title, &days, &gaps, &lines, Size::Narrow),
    )
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<BoardQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(&req, &v);
    let available: Vec<ListInfo> = lists::visible(&state.db, &v.caller)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let Some(first) = available.first() else {
        let lang = c.lang();
        return Ok(super::message(
            StatusCode::OK,
            c,
            say(lang, "daily.board_heading"),
            say(lang, "daily.no_lists"),
            "ok",
            Some(("/monitoring/lists".into(), say(lang, "daily.lists_heading"))),
        ));
    };
    let mut params = q.into_inner();
    if params
        .params
        .list
        .as_deref()
        .is_none_or(|l| l.trim().is_empty())
    {
        params.params.list = Some(first.summary.list.id.to_string());
    }
    let mut p = params.params;
    let today = beijing_date(state.sla.now());
    let asked = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !asked(&p.date) && !asked(&p.from) && !asked(&p.to) {
        if let Some(list) = p.list.as_deref().and_then(|l| l.trim().parse::<i64>().ok()) {
            if let Ok(day) = board::opening_day(&state.db, &v.caller, list, today).await {
                p.date = Some(day.to_string());
            }
        }
    }
    let parsed = board::parse(&p, today).map_err(|issues| {
        let mut errors = FormErrors::of(crate::http::problem::invalid(issues), c.lang());
        // A one-day board's date is typed in the period's fields; what no
        // field shows is said for the form.
        if let Some(m) = errors.fields.remove("date") {
            errors.fields.insert("from".into(), m);
        }
        let shown = ["from", "to", "compare_from", "compare_to", "industry"];
        let unshown: Vec<String> = errors
            .fields
            .keys()
            .filter(|k| !shown.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unshown {
            if let Some(m) = errors.fields.remove(&k) {
                errors.general.push(m);
            }
        }
        errors
    });
    let q = match parsed {
        Ok(q) => q,
        Err(errors) => {
            // Bad dates or codes: the board of today, with why.
            let mut fixed = p.clone();
            fixed.date = None;
            fixed.from = None;
            fixed.to = None;
            fixed.region = None;
            fixed.industry = None;
            fixed.compare_from = None;
            fixed.compare_to = None;
            let q = board::parse(&fixed, today).map_err(|_| PageError::not_found(&req))?;
            return render(
                &state,
                &req,
                &v.caller,
                c,
                &available,
                &fixed,
                q,
                errors,
                Some(&p),
                None,
            )
            .await;
        }
    };
    let done = params.done.as_deref().and_then(|d| match d {
        "urged" => Some("daily.urged"),
        "urged_none" => Some("daily.urged_none"),
        _ => None,
    });
    render(
        &state,
        &req,
        &v.caller,
        c,
        &available,
        &p,
        q,
        FormErrors::default(),
        None,
        done,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    req: &HttpRequest,
    caller: &crate::domain::access::Caller,
    c: Chrome,
    available: &[ListInfo],
    p: &BoardParams,
    q: board::BoardQuery,
    errors: FormErrors,
    // What was typed, when refused: the form shows it back, marked.
    typed: Option<&BoardParams>,
    done: Option<&str>,
) -> Result<HttpResponse, actix_web::Error> {
    let en = c.en;
    let b = match board::board(&state.db, &state.sla, caller, q.clone()).await {
        Ok(b) => b,
        Err(MonitoringError::NotFound) => return Err(PageError::not_found(req).into()),
        Err(e) => return Err(failed(req, ApiError::from(e))),
    };
    let region_href = |code: &str| format!("/monitoring?{}", query_of(p, &[("region", code)]));
    let mut crumbs = vec![(
        format!("/monitoring?{}", query_of(p, &[("region", "")])),
        c.t("daily.whole_list").to_string(),
    )];
    if let Some((code, name)) = &b.region {
        let s = code.as_str();
        if !s.ends_with("0000") {
            let province = format!("{}0000", &s[..2]);
            crumbs.push((region_href(&province), province.clone()));
        }
        crumbs.push((region_href(s), name.clone()));
    }
    let (cards, outputs) = cards(&c, &b);
    let (trend_wide, trend_narrow) = trend(&c, &b);
    let regions: Vec<Row> = b
        .by_region
        .iter()
        .map(|g| row(&c, g, region_href(&g.key)))
        .collect();
    let by_industry: Vec<Row> = b
        .by_industry
        .iter()
        .map(|g| {
            row(
                &c,
                g,
                format!("/monitoring?{}", query_of(p, &[("industry", &g.key)])),
            )
        })
        .collect();
    let by_chain: Vec<Row> = b
        .by_chain
        .iter()
        .map(|g| {
            row(
                &c,
                g,
                format!("/monitoring?{}", query_of(p, &[("chain", &g.key)])),
            )
        })
        .collect();
    let missing = b
        .missing
        .iter()
        .map(|m| MissingRow {
            name: m.name.clone(),
            place: b
                .county_names
                .get(&m.county_code)
                .cloned()
                .unwrap_or_else(|| m.county_code.clone()),
            contact: [m.contact_name.clone(), m.contact_phone.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            state: c
                .t(if m.urged {
                    "daily.missing_urged"
                } else if m.reminded {
                    "daily.missing_reminded"
                } else {
                    "daily.missing_quiet"
                })
                .to_string(),
        })
        .collect();
    let (categories, chains_terms) = crate::services::catalogue::both(&state.db)
        .await
        .unwrap_or_default();
    let blockers = b
        .blockers
        .iter()
        .map(|(l, t)| BlockerRow {
            day: l.day.to_string(),
            enterprise: l.enterprise.clone(),
            category: categories.label(&l.blocker.category, en),
            text: l.blocker.text.clone(),
            ticket: t
                .as_ref()
                .map(|(id, n, s)| (*id, n.clone(), labels::status(s, en))),
        })
        .collect();
    let title = b.list_name.clone();
    let scope = match (&b.region, &b.chain) {
        (Some((_, name)), _) => name.clone(),
        (None, Some(chain)) => chains_terms.label(chain, en),
        (None, None) => b.department_name.clone(),
    };
    let period = b.from != b.to;
    let page_data = BoardPage {
        lists: available
            .iter()
            .map(|l| (l.summary.list.id, l.summary.list.name.clone()))
            .collect(),
        list_id: b.list_id,
        title,
        scope,
        narrowed: b.narrowed,
        date: b.to.to_string(),
        from: match typed {
            Some(t) => t.from.clone().or(t.date.clone()).unwrap_or_default(),
            None => b.from.to_string(),
        },
        to: match typed {
            Some(t) => t.to.clone().or(t.date.clone()).unwrap_or_default(),
            None => b.to.to_string(),
        },
        compare_from: typed.unwrap_or(p).compare_from.clone().unwrap_or_default(),
        compare_to: typed.unwrap_or(p).compare_to.clone().unwrap_or_default(),
        period,
        industry: typed.unwrap_or(p).industry.clone().unwrap_or_default(),
        chain: p.chain.clone().unwrap_or_default(),
        industries: crate::domain::industry::INDUSTRIES
            .iter()
            .filter(|i| i.code.len() == 3)
            .map(|i| {
                (
                    i.code.to_string(),
                    format!("{}（{}）", if en { i.name_en } else { i.name_zh }, i.code),
                )
            })
            .collect(),
        chains: chains_terms.offered(en),
        crumbs,
        cards,
        outputs,
        trend_wide,
        trend_narrow,
        breakdowns: vec![
            Breakdown {
                heading: c.t("daily.by_region"),
                first: c.t("dashboard.region"),
                rows: regions,
            },
            Breakdown {
                heading: c.t("daily.by_industry"),
                first: c.t("daily.industry"),
                rows: by_industry,
            },
            Breakdown {
                heading: c.t("daily.by_chain"),
                first: c.t("common.chain"),
                rows: by_chain,
            },
        ],
        missing,
        missing_total: b.missing_total,
        may_urge: b.to <= beijing_date(state.sla.now()) && b.missing_total > 0,
        blockers,
        query: query_of(p, &[("list", &b.list_id.to_string())]),
        week_href: period_href(p, b.to, 6),
        month_href: period_href(p, b.to, 29),
        day_href: format!(
            "/monitoring?{}",
            query_of(p, &[("from", ""), ("to", ""), ("date", &b.to.to_string())])
        ),
        errors,
        done: done.map(|k| say(c.lang(), k)),
        c,
    };
    Ok(page(StatusCode::OK, page_data.render()))
}

#[derive(Debug, Default, Deserialize)]
struct UrgeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    list: i64,
    #[serde(default)]
    date: String,
    #[serde(default)]
    back: String,
}

async fn urge(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: web::Form<UrgeForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    let day = chrono::NaiveDate::parse_from_str(&form.date, "%Y-%m-%d")
        .map_err(|_| PageError::not_found(&req))?;
    let done = reminders::urge(&state.db, &v.caller, form.list, day, None, state.sla.now())
        .await
        .map_err(|e| match e {
            MonitoringError::NotFound => PageError::not_found(&req).into(),
            e => failed(&req, ApiError::from(e)),
        })?;
    let back = if form.back.starts_with("list=") {
        form.back.clone()
    } else {
        format!("list={}", form.list)
    };
    let flag = if done.urged > 0 {
        "urged"
    } else {
        "urged_none"
    };
    Ok(see_other(&format!("/monitoring?{back}&done={flag}")))
}

async fn export(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    ext: web::Path<String>,
    q: web::Query<BoardParams>,
) -> Result<HttpResponse, actix_web::Error> {
    let format = FormatParam {
        format: ext.into_inner(),
    };
    board_file(&req, &state, &v.caller, &q, &format)
        .await
        .map_err(|e| failed(&req, e))
}
