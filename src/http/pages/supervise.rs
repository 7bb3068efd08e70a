//! The supervisor's pages: the dashboard (the three rates and the score
//! for the jurisdiction, drill-down province -> city -> county, the daily
//! trend and the ranking of the regions below as SVG, the resolved count
//! against milestones, exports), the supervision list with urging, and
//! the downloads behind every export button.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Days;
use serde::Deserialize;

use super::labels::beijing;
use super::session::Viewer;
use super::svg::{rate_lines, score_bars, Series};
use super::workbench::ListQuery;
use super::AppState;
use super::{failed, fill, lang_of, page, say, Chrome, FormErrors, PageError};
use crate::domain::metrics::Rate;
use crate::domain::region::{RegionCode, RegionLevel};
use crate::http::problem::ApiError;
use crate::http::views::metrics::{metrics_file, FormatParam};
use crate::http::views::ranking::ranking_file;
use crate::http::views::ticket_export::tickets_file;
use crate::services::dashboard::DashboardQuery;
use crate::services::metrics::level_of;
use crate::services::metrics::{parse, MetricsParams};
use crate::services::ranking::RankingParams;
use crate::services::supervision;
use crate::storage::catalogue::{self, List};
use crate::storage::regions::Region;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(show_dashboard))
        .route("/supervision", web::get().to(supervision_list))
        .route("/exports/tickets.{ext}", web::get().to(export_tickets))
        .route("/exports/metrics.{ext}", web::get().to(export_metrics))
        .route("/exports/ranking.{ext}", web::get().to(export_ranking));
}

/// A rate as a page shows it: a percentage, or "no data".
pub fn percent(r: &Rate, en: bool) -> String {
    match r.value {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => say(lang_of(en), "supervise.no_data"),
    }
}

pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub detail: String,
    /// Against the previous period of equal length and the same period a
    /// year before, where both have data.
    pub compare: String,
}

/// A change in percentage points (or, for a score, in points).
fn points(now: Option<f64>, then: Option<f64>, scale: f64) -> Option<String> {
    let d = (now? - then?) * scale;
    // Counts are whole; rates and scores to one decimal.
    let places = usize::from(scale != 0.0 && scale != 1.0 || d.fract() != 0.0);
    let d = (d * 10.0).round() / 10.0;
    Some(if d > 0.0 {
        format!("+{d:.places$}")
    } else if d < 0.0 {
        format!("−{:.places$}", -d)
    } else {
        format!("±{:.places$}", 0.0)
    })
}

pub struct RegionRow {
    pub name: String,
    pub href: Option<String>,
    pub received: u64,
    pub response: String,
    pub resolution: String,
    pub satisfaction: String,
    pub score: String,
    pub open: u64,
    pub overdue_open: u64,
}

pub struct Milestone {
    pub count: u64,
    pub reached: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    /// When the numbers were computed (Beijing time).
    as_of: String,
    scope_name: String,
    crumbs: Vec<(String, String)>,
    from: String,
    to: String,
    trend_days: u32,
    region: String,
    cards: Vec<Card>,
    regions: Vec<RegionRow>,
    trend_svg: String,
    ranking_svg: String,
    ranking_note: String,
    ranking_min_sample: u64,
    resolved_to_date: u64,
    milestones: Vec<Milestone>,
    export_query: String,
    ranking_query: String,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
struct DashboardForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    trend_days: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn show_dashboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: web::Query<DashboardForm>,
) -> Result<HttpResponse, actix_web::Error> {
    if !crate::domain::access::may_read_metrics(&v.caller) {
        return Err(PageError::not_found(&req).into());
    }
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    let now = state.sla.now();
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let f = form.into_inner();
    let params = MetricsParams {
        from: opt(&f.from).or_else(|| Some((today - Days::new(89)).to_string())),
        to: opt(&f.to),
        group_by: None,
        region: opt(&f.region),
        chain: None,
        whitelisted: None,
    };
    let trend_days: u32 = f.trend_days.trim().parse().unwrap_or(30).clamp(1, 366);
    let q = parse(&params, today).map_err(|e| failed(&req, crate::http::problem::invalid(e)))?;
    let (from, to) = (q.from, q.to);
    // Kept for a while when costly to compute; the page says as of when.
    let served = state
        .dashboards
        .get(
            &state.db,
            &v.caller,
            DashboardQuery {
                from,
                to,
                trend_days,
                region: q.region.clone(),
            },
            state.sla.clock(),
            state.settings.metrics.weights(),
        )
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    // The same figures for the previous period of equal length and for
    // the same period a year before (closed periods: cached like any other).
    let len = Days::new(((to - from).num_days() + 1) as u64);
    let year = chrono::Months::new(12);
    let earlier = [
        (from - len, from - Days::new(1)),
        (
            from.checked_sub_months(year).unwrap_or(from),
            to.checked_sub_months(year).unwrap_or(to),
        ),
    ];
    let mut before = Vec::new();
    for (f, t) in earlier {
        let got = state
            .dashboards
            .get(
                &state.db,
                &v.caller,
                DashboardQuery {
                    from: f,
                    to: t,
                    trend_days: 1,
                    region: q.region.clone(),
                },
                state.sla.clock(),
                state.settings.metrics.weights(),
            )
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?;
        before.push(got.dashboard.total.clone());
    }
    let (prev, year_ago) = (&before[0], &before[1]);
    let compare = |pick: &dyn Fn(&crate::domain::metrics::daily::DayFigures) -> Option<f64>,
                   scale: f64| {
        let unit = if scale == 100.0 {
            c.t("supervise.points")
        } else {
            ""
        };
        let parts: Vec<String> = [
            (c.t("supervise.vs_previous"), prev),
            (c.t("supervise.vs_year_before"), year_ago),
        ]
        .iter()
        .filter_map(|(label, then)| {
            points(pick(&served.dashboard.total), pick(then), scale)
                .map(|p| format!("{label} {p}{unit}"))
        })
        .collect();
        parts.join(" · ")
    };
    let d = &*served.dashboard;
    let as_of = served
        .computed_at
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let t = &d.total;
    let card = |label, r: &Rate, compare: String| Card {
        label,
        value: percent(r, en),
        detail: format!("{} / {}", r.numerator, r.denominator),
        compare,
    };
    let score = |s: Option<f64>| {
        s.map_or_else(
            || c.t("supervise.no_data").to_string(),
            |s| format!("{s:.1}"),
        )
    };
    let cards = vec![
        card(
            c.t("supervise.response_answered_time"),
            &t.response,
            compare(&|f| f.response.value, 100.0),
        ),
        card(
            c.t("common.resolution"),
            &t.resolution,
            compare(&|f| f.resolution.value, 100.0),
        ),
        card(
            c.t("common.satisfaction"),
            &t.satisfaction,
            compare(&|f| f.satisfaction.value, 100.0),
        ),
        card(
            c.t("common.final_satisfaction"),
            &t.final_satisfaction,
            compare(&|f| f.final_satisfaction.value, 100.0),
        ),
        Card {
            label: c.t("common.score"),
            value: score(t.score),
            detail: String::new(),
            compare: compare(&|f| f.score, 1.0),
        },
        card(
            c.t("common.resolved_time"),
            &t.on_time_resolution,
            compare(&|f| f.on_time_resolution.value, 100.0),
        ),
        Card {
            label: c.t("supervise.received_resolved"),
            value: format!("{} / {}", t.received, t.resolved),
            detail: String::new(),
            compare: compare(&|f| Some(f.received as f64), 1.0),
        },
        Card {
            label: c.t("supervise.open_overdue"),
            value: format!("{} / {}", t.open, t.overdue_open),
            detail: String::new(),
            compare: String::new(),
        },
    ];
    let chain = d.scope.chain.is_some();
    let regions: Vec<RegionRow> = d
        .regions
        .iter()
        .map(|r| {
            let deeper = RegionCode::parse(&r.key)
                .ok()
                .filter(|code| !chain && level_of(code) != RegionLevel::County);
            RegionRow {
                name: r.name.clone(),
                href: deeper.map(|code| {
                    format!(
                        "/dashboard?from={from}&to={to}&trend_days={trend_days}&region={}",
                        code.as_str()
                    )
                }),
                received: r.figures.received,
                response: percent(&r.figures.response, en),
                resolution: percent(&r.figures.resolution, en),
                satisfaction: percent(&r.figures.satisfaction, en),
                score: score(r.figures.score),
                open: r.figures.open,
                overdue_open: r.figures.overdue_open,
            }
        })
        .collect();
    let days: Vec<String> = d.trend.iter().map(|r| r.key.clone()).collect();
    let series =
        |name, colour, pick: fn(&crate::domain::metrics::daily::DayFigures) -> Option<f64>| {
            Series {
                name,
                colour,
                values: d.trend.iter().map(|r| pick(&r.figures)).collect(),
            }
        };
    let trend_svg = rate_lines(
        c.t("supervise.three_rates_day"),
        &days,
        &[
            series(c.t("common.response"), "#1f4e8c", |f| f.response.value),
            series(c.t("common.resolution"), "#1d6b38", |f| f.resolution.value),
            series(c.t("common.satisfaction"), "#b4232a", |f| {
                f.satisfaction.value
            }),
        ],
    );
    // As the 地区排名 ranks: only regions whose sample reaches the minimum.
    let min_sample = state.settings.metrics.ranking_min_sample.max(1);
    let (enough, short): (Vec<_>, Vec<_>) = d
        .regions
        .iter()
        .filter(|r| r.figures.received > 0 || r.figures.response.denominator > 0)
        .partition(|r| {
            let f = &r.figures;
            let sample = f.response.denominator.min(f.satisfaction.denominator);
            crate::domain::metrics::ranks(f.score, sample, min_sample)
        });
    let mut ranked: Vec<(String, Option<f64>)> = enough
        .iter()
        .map(|r| (r.name.clone(), r.figures.score))
        .collect();
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    ranked.truncate(20);
    let ranking_note = if short.is_empty() {
        String::new()
    } else {
        fill(
            c.lang(),
            "supervise.too_few_to_rank",
            &[("n", &short.len()), ("min", &min_sample)],
        )
    };
    let ranking_svg = score_bars(c.t("supervise.regions_below_score"), &ranked);
    let milestones = state
        .settings
        .metrics
        .milestone_counts()
        .unwrap_or_default()
        .into_iter()
        .map(|count| Milestone {
            count,
            reached: d.resolved_to_date >= count,
        })
        .collect();
    let (scope_name, crumbs) = scope_words(&state, &v, &d.scope, c.en)
        .await
        .map_err(|e| failed(&req, e))?;
    let region = f.region.trim().to_string();
    let region_q = if region.is_empty() {
        String::new()
    } else {
        format!("&region={region}")
    };
    let child_level = match d.scope.region.as_ref().map(|(_, l)| *l) {
        None => "province",
        Some(RegionLevel::Province) => "city",
        Some(_) => "county",
    };
    let p = DashboardPage {
        as_of,
        scope_name,
        crumbs: crumbs
            .into_iter()
            .map(|(code, name)| {
                let href = match code {
                    Some(code) => format!(
                        "/dashboard?from={from}&to={to}&trend_days={trend_days}&region={code}"
                    ),
                    None => format!("/dashboard?from={from}&to={to}&trend_days={trend_days}"),
                };
                (href, name)
            })
            .collect(),
        from: from.to_string(),
        to: to.to_string(),
        trend_days,
        export_query: format!("from={from}&to={to}&group_by=region{region_q}"),
        ranking_query: format!("level={child_level}&from={from}&to={to}{region_q}"),
        region,
        cards,
        regions,
        trend_svg,
        ranking_svg,
        ranking_note,
        ranking_min_sample: min_sample,
        resolved_to_date: d.resolved_to_date,
        milestones,
        errors: FormErrors::default(),
        c,
    };
    Ok(page(StatusCode::OK, p.render()))
}

/// The scope's name, and the way down to it from the caller's own region:
/// (region code to link, or None for the caller's whole jurisdiction; name).
async fn scope_words(
    state: &AppState,
    v: &Viewer,
    scope: &crate::services::metrics::Scope,
    en: bool,
) -> Result<(String, Vec<(Option<String>, String)>), ApiError> {
    let home = v.caller.department.as_ref().and_then(|d| d.region.clone());
    let here = scope.region.clone();
    let chain = scope.chain.clone();
    let wanted = here.clone();
    let (names, chains) = state
        .db
        .run(move |conn| {
            let mut codes = Vec::new();
            if let Some((code, level)) = &wanted {
                codes.push(code.province().as_str().to_string());
                if *level != RegionLevel::Province {
                    codes.push(format!("{}00", &code.as_str()[..4]));
                }
                codes.push(code.as_str().to_string());
            }
            let found = Region::find_many(conn, &codes)?;
            Ok((found, catalogue::load(conn, List::Chains)?))
        })
        .await?;
    let name_of = |code: &str| {
        names
            .iter()
            .find(|r| r.code == code)
            .map_or_else(|| code.to_string(), |r| r.name.clone())
    };
    let lang = lang_of(en);
    let whole = say(lang, "supervise.whole_jurisdiction");
    let mut crumbs = vec![(None, whole.to_string())];
    let scope_name = match (&here, &chain) {
        (_, Some(chain)) => {
            let name = chains.label(chain, en);
            fill(lang, "supervise.chain_scope", &[("name", &name)])
        }
        (None, _) => say(lang, "supervise.nationwide"),
        (Some((code, level)), _) => {
            let home_depth = home.as_ref().map_or(0, |(_, l)| depth(*l));
            let mut way = vec![(code.province().as_str().to_string(), RegionLevel::Province)];
            if *level != RegionLevel::Province {
                way.push((format!("{}00", &code.as_str()[..4]), RegionLevel::City));
            }
            if *level == RegionLevel::County {
                way.push((code.as_str().to_string(), RegionLevel::County));
            }
            way.dedup_by(|a, b| a.0 == b.0);
            for (c, l) in way {
                if depth(l) > home_depth {
                    crumbs.push((Some(c.clone()), name_of(&c)));
                }
            }
            name_of(code.as_str())
        }
    };
    Ok((scope_name, crumbs))
}

fn depth(l: RegionLevel) -> u8 {
    match l {
        RegionLevel::Province => 1,
        RegionLevel::City => 2,
        RegionLevel::County => 3,
    }
}

pub struct SupervisedRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub handling: String,
    pub due: String,
    pub escalation_level: i32,
    pub urged: i32,
    pub bounced: bool,
    pub version: i32,
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct SupervisionPage {
    c: Chrome,
    rows: Vec<SupervisedRow>,
    next: Option<String>,
    may_urge: bool,
    /// Back from urging a ticket.
    urged: bool,
}

#[derive(Debug, Deserialize)]
struct CursorQuery {
    cursor: Option<i64>,
    done: Option<String>,
}

async fn supervision_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<CursorQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    if !v.caller.role.is_staff() {
        return Err(PageError::not_found(&req).into());
    }
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    const PAGE: i64 = 50;
    let mut found = supervision::list(&state.db, &v.caller, q.cursor, PAGE + 1)
        .await
        .map_err(|e| failed(&req, e))?;
    let next = crate::http::views::paging::next_cursor(&mut found, PAGE, |(t, _)| t.id)
        .map(|n| format!("/supervision?cursor={n}"));
    let ids: Vec<i64> = found
        .iter()
        .map(|(t, _)| t.handling_department_id)
        .collect();
    let depts: std::collections::HashMap<i64, String> = state
        .db
        .run(move |conn| {
            Ok(
                crate::storage::departments::Department::load_many(conn, &ids)?
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect(),
            )
        })
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let rows = found
        .into_iter()
        .map(|(t, _)| SupervisedRow {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            status: super::labels::status(t.status.as_str(), en),
            handling: depts
                .get(&t.handling_department_id)
                .cloned()
                .unwrap_or_default(),
            due: t
                .resolve_due_at
                .or(t.sign_due_at)
                .map(beijing)
                .unwrap_or_default(),
            escalation_level: t.escalation_level,
            urged: t.urged_count,
            bounced: t.sent_on_count > crate::domain::ticket::BOUNCE_THRESHOLD,
            version: t.version,
        })
        .collect();
    let p = SupervisionPage {
        urged: q.done.as_deref() == Some("urge"),
        may_urge: crate::domain::access::may_urge_from_supervision(&v.caller),
        c,
        rows,
        next,
    };
    Ok(page(StatusCode::OK, p.render()))
}

fn format_of(req: &HttpRequest, ext: &str) -> Result<FormatParam, actix_web::Error> {
    match ext {
        "csv" | "xlsx" => Ok(FormatParam {
            format: ext.to_string(),
        }),
        _ => Err(PageError::not_found(req).into()),
    }
}

async fn export_tickets(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    ext: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let format = format_of(&req, &ext)?;
    let mut api = q.to_api();
    api.cursor = None;
    tickets_file(&req, &state, &v.caller, api, &format)
        .await
        .map_err(|e| failed(&req, e))
}

async fn export_metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    ext: web::Path<String>,
    q: web::Query<MetricsParams>,
) -> Result<HttpResponse, actix_web::Error> {
    let format = format_of(&req, &ext)?;
    metrics_file(&req, &state, &v.caller, &q, &format)
        .await
        .map_err(|e| failed(&req, e))
}

async fn export_ranking(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    ext: web::Path<String>,
    q: web::Query<RankingParams>,
) -> Result<HttpResponse, actix_web::Error> {
    let format = format_of(&req, &ext)?;
    ranking_file(&req, &state, &v.caller, &q, &format)
        .await
        .map_err(|e| failed(&req, e))
}
