//! The supervisor's dashboard: the rates and the score for the
//! jurisdiction against the previous period and the year before, every
//! child region (those without tickets with zeros; drill-down province ->
//! city -> county), the breakdowns by category and by chain, the trend (by
//! day, non-working days as gaps; by week over a long period) and the
//! ranking of the regions below as SVG, and nationwide the provinces' tile
//! map. Every count links to the tickets behind it: the workbench with the
//! filters that select exactly what the count counts (`Tickets`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Days, NaiveDate};
use serde::Deserialize;

use super::dashboard_charts::{ranking_charts, trend_charts};
use super::map::{swatch, tile_map, MapRate, Province, BANDS, NO_DATA};
use super::session::{url_escape, Viewer};
use super::AppState;
use super::{failed, fill, lang_of, page, say, Chrome, FormErrors, PageError};
use crate::domain::metrics::daily::DayFigures;
use crate::domain::metrics::Rate;
use crate::domain::region::{is_municipality, RegionCode, RegionLevel};
use crate::http::problem::ApiError;
use crate::services::dashboard::{DashboardQuery, Row};
use crate::services::metrics::level_of;
use crate::services::metrics::{parse, MetricsParams};
use crate::storage::catalogue::{self, List};
use crate::storage::regions::Region;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(show_dashboard));
}

/// A trend longer than this is drawn by week.
const WEEKLY_AFTER_DAYS: u32 = 60;

/// A rate as a page shows it: a percentage, or "no data".
pub(super) fn percent(r: &Rate, en: bool) -> String {
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
    /// The tickets behind the number, where a list can show them.
    pub href: Option<String>,
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

/// A count and the list of its tickets.
pub struct Count {
    pub n: u64,
    pub href: String,
}

/// A row of a table: a child region, a category or a chain.
pub struct FigureRow {
    pub name: String,
    /// Its own dashboard, one level down.
    pub href: Option<String>,
    pub received: Count,
    pub response: String,
    pub resolution: String,
    pub satisfaction: String,
    pub score: String,
    pub open: Count,
    pub overdue_open: Count,
}

pub struct Milestone {
    pub count: u64,
    pub reached: bool,
}

/// Where a count's tickets are listed: the workbench, with the filters
/// that select what the count counts (docs/metrics.md):
/// - received: placed in the scope and filed in the period (Beijing days);
/// - resolved: placed in the scope and first resolved in the period;
/// - open, overdue: open now (待签收, 办理中, 待补充), filed by the period's
///   end, and for overdue flagged overdue.
///
/// The workbench lists what the supervisor may see, which covers the
/// scope: tickets placed in the jurisdiction, or of the chain.
struct Tickets {
    region: Option<String>,
    chain: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
}

impl Tickets {
    fn href(&self, region: Option<&str>, pairs: &[(&str, &str)]) -> String {
        let mut q: Vec<String> = Vec::new();
        if let Some(r) = region.or(self.region.as_deref()) {
            q.push(format!("region={}", url_escape(r)));
        }
        if let Some(c) = &self.chain {
            q.push(format!("chain={}", url_escape(c)));
        }
        q.extend(pairs.iter().map(|(k, v)| format!("{k}={}", url_escape(v))));
        format!("/workbench?{}", q.join("&"))
    }

    fn received(&self, n: u64, region: Option<&str>, more: &[(&str, &str)]) -> Count {
        let (from, to) = (self.from.to_string(), self.to.to_string());
        let mut pairs = vec![("filed_from", from.as_str()), ("filed_to", to.as_str())];
        pairs.extend_from_slice(more);
        Count {
            n,
            href: self.href(region, &pairs),
        }
    }

    fn open(&self, n: u64, overdue: bool, region: Option<&str>, more: &[(&str, &str)]) -> Count {
        let to = self.to.to_string();
        let mut pairs = vec![("open", "true")];
        if overdue {
            pairs.push(("overdue", "true"));
        }
        pairs.push(("filed_to", to.as_str()));
        pairs.extend_from_slice(more);
        Count {
            n,
            href: self.href(region, &pairs),
        }
    }

    /// First resolved in the period (办结).
    fn resolved(&self, n: u64) -> Count {
        let (from, to) = (self.from.to_string(), self.to.to_string());
        Count {
            n,
            href: self.href(None, &[("resolved_from", &from), ("resolved_to", &to)]),
        }
    }

    /// A row's counts, narrowed to a child region or by one more filter.
    fn row(
        &self,
        f: &DayFigures,
        region: Option<&str>,
        more: &[(&str, &str)],
    ) -> (Count, Count, Count) {
        (
            self.received(f.received, region, more),
            self.open(f.open, false, region, more),
            self.open(f.overdue_open, true, region, more),
        )
    }
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
    weekly: bool,
    region: String,
    cards: Vec<Card>,
    regions: Vec<FigureRow>,
    categories: Vec<FigureRow>,
    chains: Vec<FigureRow>,
    /// The breakdowns are being computed (costly): not shown yet.
    breakdowns_pending: bool,
    trend_wide: String,
    trend_narrow: String,
    ranking_wide: String,
    ranking_narrow: String,
    ranking_note: String,
    ranking_min_sample: u64,
    resolved_to_date: u64,
    milestones: Vec<Milestone>,
    export_query: String,
    ranking_query: String,
    /// Nationwide: the provinces' map, the rate it shows, the choices.
    map: Option<String>,
    map_rate: &'static str,
    map_rates: Vec<(&'static str, &'static str)>,
    /// The map's legend: (swatch SVG, range).
    legend: Vec<(String, String)>,
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
    /// The rate the map is coloured by.
    #[serde(default)]
    rate: String,
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
    let q = parse(&params, today).map_err(|e| failed(&req, crate::http::problem::invalid(e)))?;
    let (from, to) = (q.from, q.to);
    // The whole period unless asked otherwise; by week when long.
    let period_days = u32::try_from((to - from).num_days() + 1).unwrap_or(1);
    let trend_days: u32 = f
        .trend_days
        .trim()
        .parse()
        .unwrap_or(period_days)
        .clamp(1, 366);
    let weekly = trend_days.min(period_days) > WEEKLY_AFTER_DAYS;
    let ask = |from, to, trend_days, weekly| DashboardQuery {
        from,
        to,
        trend_days,
        region: q.region.clone(),
        weekly,
    };
    let weights = state.settings.metrics.weights();
    let get = |query| {
        state
            .dashboards
            .get(&state.db, &v.caller, query, state.sla.clock(), weights)
    };
    // Kept for a while when costly to compute; the page says as of when.
    let served = get(ask(from, to, trend_days, weekly))
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    // The same figures for the previous period of equal length and for
    // the same period a year before (closed periods: cached like any other).
    let len = Days::new(u64::from(period_days));
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
        let got = get(ask(f, t, 1, false))
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?;
        before.push(got.dashboard.total.clone());
    }
    // Not waited for when costly: the page says they are being computed.
    let split = state
        .dashboards
        .breakdowns(
            &state.db,
            &v.caller,
            ask(from, to, 1, false),
            state.sla.clock(),
            weights,
        )
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let breakdowns_pending = split.is_none();
    let split = split.unwrap_or_default();
    let d = &*served.dashboard;
    let (prev, year_ago) = (&before[0], &before[1]);
    let compare = |pick: &dyn Fn(&DayFigures) -> Option<f64>, scale: f64| {
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
            points(pick(&d.total), pick(then), scale).map(|p| format!("{label} {p}{unit}"))
        })
        .collect();
        parts.join(" · ")
    };
    let as_of = served
        .computed_at
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let chain = d.scope.chain.clone();
    let tickets = Tickets {
        region: d.scope.region.as_ref().map(|(r, _)| r.as_str().to_string()),
        chain: chain.clone(),
        from,
        to,
    };
    let t = &d.total;
    let score = |s: Option<f64>| {
        s.map_or_else(
            || c.t("supervise.no_data").to_string(),
            |s| format!("{s:.1}"),
        )
    };
    let rate_card = |label, r: &Rate, pick: &dyn Fn(&DayFigures) -> Option<f64>| Card {
        label,
        value: percent(r, en),
        detail: format!("{} / {}", r.numerator, r.denominator),
        compare: compare(pick, 100.0),
        href: None,
    };
    let count_card = |label, n: &Count, compare: String| Card {
        label,
        value: n.n.to_string(),
        detail: String::new(),
        compare,
        href: Some(n.href.clone()),
    };
    let (received, open, overdue) = tickets.row(t, None, &[]);
    let cards = vec![
        count_card(
            c.t("dashboard.received"),
            &received,
            compare(&|f| Some(f.received as f64), 1.0),
        ),
        count_card(c.t("dashboard.open"), &open, String::new()),
        count_card(c.t("desk_dashboard.overdue_open"), &overdue, String::new()),
        rate_card(c.t("supervise.response_answered_time"), &t.response, &|f| {
            f.response.value
        }),
        rate_card(c.t("common.resolved_time"), &t.on_time_resolution, &|f| {
            f.on_time_resolution.value
        }),
        rate_card(c.t("common.resolution"), &t.resolution, &|f| {
            f.resolution.value
        }),
        rate_card(c.t("common.satisfaction"), &t.satisfaction, &|f| {
            f.satisfaction.value
        }),
        rate_card(
            c.t("common.final_satisfaction"),
            &t.final_satisfaction,
            &|f| f.final_satisfaction.value,
        ),
        Card {
            label: c.t("common.score"),
            value: score(t.score),
            detail: String::new(),
            compare: compare(&|f| f.score, 1.0),
            href: None,
        },
        count_card(
            c.t("desk_dashboard.resolved"),
            &tickets.resolved(t.resolved),
            compare(&|f| Some(f.resolved as f64), 1.0),
        ),
    ];
    let dashboard_href = |region: &str| {
        format!("/dashboard?from={from}&to={to}&trend_days={trend_days}&region={region}")
    };
    let figure_row = |r: &Row, name: String, href, region: Option<&str>, more: &[(&str, &str)]| {
        let (received, open, overdue_open) = tickets.row(&r.figures, region, more);
        FigureRow {
            name,
            href,
            received,
            response: percent(&r.figures.response, en),
            resolution: percent(&r.figures.resolution, en),
            satisfaction: percent(&r.figures.satisfaction, en),
            score: score(r.figures.score),
            open,
            overdue_open,
        }
    };
    let regions: Vec<FigureRow> = d
        .regions
        .iter()
        .map(|r| {
            let code = RegionCode::parse(&r.key).ok();
            let deeper = code
                .as_ref()
                .filter(|code| chain.is_none() && level_of(code) != RegionLevel::County)
                .map(|code| dashboard_href(code.as_str()));
            figure_row(r, r.name.clone(), deeper, Some(&r.key), &[])
        })
        .collect();
    let (category_names, chain_names, sla) = {
        let sla = state.sla.clone();
        state
            .db
            .run(move |conn| {
                Ok((
                    catalogue::load(conn, List::Categories)?,
                    catalogue::load(conn, List::Chains)?,
                    sla.snapshot(conn)?,
                ))
            })
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?
    };
    let categories = split
        .categories
        .iter()
        .map(|r| {
            let name = category_names.label(&r.key, en);
            figure_row(r, name, None, None, &[("category", &r.key)])
        })
        .collect();
    // Within a chain's scope, the chain is already the filter.
    let chains = split
        .chains
        .iter()
        .filter(|r| chain.is_none() || chain.as_deref() == Some(r.key.as_str()))
        .map(|r| {
            let name = chain_names.label(&r.key, en);
            let more = [("chain", r.key.as_str())];
            figure_row(
                r,
                name,
                None,
                None,
                if chain.is_none() { &more } else { &[] },
            )
        })
        .collect();
    let (trend_wide, trend_narrow) = trend_charts(&c, d, weekly, &sla.calendar);
    let (ranking_wide, ranking_narrow, ranking_note, min_sample) = ranking_charts(&c, &state, d);
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
    // A municipality's cities are nominal: its districts are the level below.
    let child_level = match d.scope.region.as_ref() {
        None => "province",
        Some((code, RegionLevel::Province)) if !is_municipality(code) => "city",
        Some(_) => "county",
    };
    let map_rate = MapRate::parse(f.rate.trim());
    let map = (d.scope.region.is_none() && chain.is_none()).then(|| {
        let provinces: Vec<Province> = d
            .regions
            .iter()
            .map(|r| {
                let share = map_rate.of(&r.figures);
                let detail = format!(
                    "{} {}",
                    c.t(map_rate.key()),
                    share.map_or_else(
                        || c.t("supervise.no_data").to_string(),
                        |s| { map_rate.shown(s) }
                    )
                );
                Province {
                    code: r.key.clone(),
                    name: r.name.clone(),
                    share,
                    detail,
                    href: dashboard_href(&r.key),
                }
            })
            .collect();
        let title = fill(
            c.lang(),
            "desk_dashboard.map_title",
            &[("rate", &c.t(map_rate.key()))],
        );
        tile_map(&title, map_rate, &provinces, en)
    });
    let mut legend: Vec<(String, String)> = BANDS
        .iter()
        .enumerate()
        .map(|(i, (low, fill_colour, _))| {
            let high = BANDS.get(i + 1).map(|b| b.0);
            let range = match high {
                Some(h) => format!("{}–{}", map_rate.shown(*low), map_rate.shown(h)),
                None => format!("≥ {}", map_rate.shown(*low)),
            };
            (swatch(fill_colour), range)
        })
        .collect();
    legend.push((swatch(NO_DATA), c.t("supervise.no_data").to_string()));
    let p = DashboardPage {
        as_of,
        scope_name,
        crumbs: crumbs
            .into_iter()
            .map(|(code, name)| {
                let href = match code {
                    Some(code) => dashboard_href(&code),
                    None => format!("/dashboard?from={from}&to={to}&trend_days={trend_days}"),
                };
                (href, name)
            })
            .collect(),
        from: from.to_string(),
        to: to.to_string(),
        trend_days,
        weekly,
        export_query: format!("from={from}&to={to}&group_by=region{region_q}"),
        ranking_query: format!("level={child_level}&from={from}&to={to}{region_q}"),
        region,
        cards,
        regions,
        categories,
        chains,
        breakdowns_pending,
        trend_wide,
        trend_narrow,
        ranking_wide,
        ranking_narrow,
        ranking_note,
        ranking_min_sample: min_sample,
        resolved_to_date: d.resolved_to_date,
        milestones,
        map,
        map_rate: map_rate.as_str(),
        map_rates: MapRate::ALL
            .iter()
            .map(|r| (r.as_str(), c.t(r.key())))
            .collect(),
        legend,
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
