//! The monitoring board's numbers: for a list, narrowed to a region
//! subtree, industries and a chain, on a day or over a period, the rates
//! (`domain::monitoring::rates`) of the whole and by child region (drill
//! down province → city → county), by industry and by chain; the daily
//! trend; output against the period before; the missing list and the
//! blockers with their tickets. Everything is summed from the lists'
//! daily figures, never from the reports themselves.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};

use super::{read, readable, MonitoringError};
use crate::domain::access::{Caller, MonitoringView};
use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::industry::{self, Industry};
use crate::domain::monitoring::rates::{figures, output, Figures, Output};
use crate::domain::monitoring::tally::{DayCounts, Placement, CITY, COUNTY, PROVINCE};
use crate::domain::region::{is_municipality, RegionCode, RegionLevel};
use crate::services::metrics::level_of;
use crate::services::sla::Sla;
use crate::storage::catalogue::{self, List};
use crate::storage::daily_reports::{self, ListedBlocker};
use crate::storage::missing_reports::{self, Missing};
use crate::storage::monitoring;
use crate::storage::monitoring_days::{self, Slice};
use crate::storage::regions::Region;
use crate::storage::{AnyConnection, Database};

/// The longest period a board covers.
pub const MAX_DAYS: i64 = 366;
/// Missing enterprises and blockers a board lists at most.
pub const LISTED: i64 = 50;

/// A board question as a client asks it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    /// The monitoring list's id.
    pub list: Option<String>,
    /// One Beijing day (`2022-04-28`); default today.
    pub date: Option<String>,
    /// A period's first day (with `to`), instead of `date`.
    pub from: Option<String>,
    /// A period's last day; default today.
    pub to: Option<String>,
    /// Narrow to a region (a province, city or county code) in the
    /// caller's sight: the drill-down.
    pub region: Option<String>,
    /// Narrow to industries (GB/T 4754-2017), comma-separated; each takes
    /// the codes under it (`C36`, `C3973,I6520`).
    pub industry: Option<String>,
    /// Narrow to a chain's enterprises (`automotive`, ...).
    pub chain: Option<String>,
    /// The period output is compared with, its first day (with
    /// `compare_to`); default the period of equal length just before.
    pub compare_from: Option<String>,
    /// The compared period's last day, at most `to`: the interview's
    /// "22-28 April against 15-22 April" is `from=2022-04-22&to=2022-04-28&compare_from=2022-04-15&compare_to=2022-04-22`.
    pub compare_to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BoardQuery {
    pub list_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region: Option<RegionCode>,
    pub industries: Vec<&'static Industry>,
    pub chain: Option<String>,
    /// The period output is compared with, when asked for.
    pub compare: Option<(NaiveDate, NaiveDate)>,
}

fn day_of(
    text: &Option<String>,
    field: &'static str,
    issues: &mut Vec<FieldIssue>,
) -> Option<NaiveDate> {
    let t = text.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map_err(|_| issues.push(issue(field, "field.date_format")))
        .ok()
}

/// Parses the question; every bad field is said at once.
pub fn parse(p: &BoardParams, today: NaiveDate) -> Result<BoardQuery, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let list_id = match p.list.as_deref().map(str::trim) {
        None | Some("") => {
            issues.push(issue("list", "daily_field.list_required"));
            None
        }
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| issues.push(issue("list", "daily_field.list_required")))
            .ok(),
    };
    let date = day_of(&p.date, "date", &mut issues);
    let to = day_of(&p.to, "to", &mut issues).or(date).unwrap_or(today);
    let from = day_of(&p.from, "from", &mut issues).or(date).unwrap_or(to);
    if from > to {
        issues.push(issue("from", "field.from_after_to"));
    } else if (to - from).num_days() >= MAX_DAYS {
        issues.push(issue("to", "field.period_too_long"));
    }
    let compare = match (
        day_of(&p.compare_from, "compare_from", &mut issues),
        day_of(&p.compare_to, "compare_to", &mut issues),
    ) {
        (None, None) => None,
        (Some(a), Some(b)) if a > b => {
            issues.push(issue("compare_from", "field.from_after_to"));
            None
        }
        (Some(_), Some(b)) if b > to => {
            issues.push(issue("compare_to", "daily_field.compare_after_period"));
            None
        }
        (Some(a), Some(b)) if (b - a).num_days() >= MAX_DAYS => {
            issues.push(issue("compare_to", "field.period_too_long"));
            None
        }
        (Some(a), Some(b)) => Some((a, b)),
        (None, Some(_)) => {
            issues.push(issue("compare_from", "daily_field.compare_both"));
            None
        }
        (Some(_), None) => {
            issues.push(issue("compare_to", "daily_field.compare_both"));
            None
        }
    };
    let region = match p.region.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(r) => RegionCode::parse(r)
            .map_err(|_| issues.push(issue("region", "field.region_code_length")))
            .ok(),
    };
    let industries = industry::parse_filter("industry", p.industry.as_deref().unwrap_or(""))
        .map_err(|i| issues.push(i))
        .unwrap_or_default();
    let chain = p
        .chain
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    match list_id {
        Some(list_id) if issues.is_empty() => Ok(BoardQuery {
            list_id,
            from,
            to,
            region,
            industries,
            chain,
            compare,
        }),
        _ => Err(issues),
    }
}

/// A ticket as a blocker shows it: id, number, status.
pub type TicketState = (i64, String, String);

/// One row of a breakdown.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub figures: Figures,
}

/// One day of the trend.
#[derive(Debug, Clone)]
pub struct TrendDay {
    pub day: NaiveDate,
    pub working: bool,
    pub figures: Figures,
}

/// Everything a board shows.
#[derive(Debug, Clone)]
pub struct Board {
    pub list_id: i64,
    pub list_name: String,
    pub department_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The region the numbers cover (None: the list's whole country).
    pub region: Option<(RegionCode, String)>,
    pub industries: Vec<&'static Industry>,
    pub chain: Option<String>,
    /// The caller sees only part of the list.
    pub narrowed: bool,
    pub total: Figures,
    pub output: Vec<Output>,
    pub previous: (NaiveDate, NaiveDate),
    pub by_region: Vec<Group>,
    pub by_industry: Vec<Group>,
    pub by_chain: Vec<Group>,
    pub trend: Vec<TrendDay>,
    /// Missing on the last day: the first [`LISTED`], and how many in all.
    pub missing: Vec<Missing>,
    pub missing_total: u64,
    pub blockers: Vec<(ListedBlocker, Option<TicketState>)>,
    /// The names of the counties the missing list and the blockers name.
    pub county_names: HashMap<String, String>,
    /// The ticket side: problems of the scope's region and chain resolved
    /// up to the end of the last day, all time (the 2022 automotive
    /// platform's 700+).
    pub tickets_resolved: u64,
}

/// What rows a scope reads.
struct Scope {
    /// The level and exact region of the whole (None: every province).
    level: i16,
    exact: Option<String>,
    /// The children's level (None: a county has none).
    child_level: Option<i16>,
    prefix: Option<String>,
    chain: String,
}

fn scope_of(region: Option<&RegionCode>, chain: Option<&str>) -> Scope {
    let (level, child_level) = match region.map(|r| (r, level_of(r))) {
        None => (PROVINCE, Some(PROVINCE)),
        Some((r, RegionLevel::Province)) if is_municipality(r) => (PROVINCE, Some(COUNTY)),
        Some((_, RegionLevel::Province)) => (PROVINCE, Some(CITY)),
        Some((_, RegionLevel::City)) => (CITY, Some(COUNTY)),
        Some((_, RegionLevel::County)) => (COUNTY, None),
    };
    Scope {
        level,
        exact: region.map(|r| r.to_string()),
        child_level,
        prefix: region.map(|r| r.subtree_prefix().to_string()),
        chain: chain.unwrap_or_default().to_string(),
    }
}

/// The key a county groups under in the breakdown by region.
fn child_of(region: Option<&RegionCode>, county: &str) -> String {
    let scope = region.map(|r| (r.clone(), level_of(r)));
    crate::services::metrics::child_region(scope.as_ref(), county)
}

fn wanted(industries: &[&Industry], code: &str) -> bool {
    industries.is_empty() || industries.iter().any(|i| industry::within(i.code, code))
}

fn in_chain(chain: Option<&str>, p: &Placement) -> bool {
    chain.is_none_or(|c| p.chains.iter().any(|x| x == c))
}

/// The days a period's rates count: its working days; a single day counts
/// whatever it is.
pub fn counted_days(
    sla_calendar: &crate::domain::calendar::WorkCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<NaiveDate> {
    if from == to {
        return vec![to];
    }
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| sla_calendar.is_working_day(*d))
        .collect()
}

pub async fn board(
    db: &Database,
    sla: &Sla,
    caller: &Caller,
    q: BoardQuery,
) -> Result<Board, MonitoringError> {
    let caller = caller.clone();
    let sla = sla.clone();
    read(db, move |conn| {
        use diesel::Connection;
        // One snapshot: a report committed between two reads would
        // otherwise count in one sum and not in another.
        conn.transaction(|conn| {
            crate::storage::dialect::read_only_snapshot(conn)?;
            compute(conn, &sla, &caller, q)
        })
    })
    .await
}

fn compute(
    conn: &mut AnyConnection,
    sla: &Sla,
    caller: &Caller,
    q: BoardQuery,
) -> Result<Board, MonitoringError> {
    let r = readable(conn, caller, q.list_id)?;
    // A narrowed reader's own region or chain bounds what they may ask.
    let (region, chain) = match &r.view {
        MonitoringView::Whole => (q.region.clone(), q.chain.clone()),
        MonitoringView::Region(own, level) => match &q.region {
            Some(asked) if !own.contains(*level, asked) => return Err(MonitoringError::NotFound),
            Some(asked) => (Some(asked.clone()), q.chain.clone()),
            None => (Some(own.clone()), q.chain.clone()),
        },
        MonitoringView::Chain(own) => match &q.chain {
            Some(asked) if asked != own => return Err(MonitoringError::NotFound),
            _ => (q.region.clone(), Some(own.clone())),
        },
    };
    let s = scope_of(region.as_ref(), chain.as_deref());
    let calendar = sla.snapshot(conn)?.calendar.clone();
    let days = counted_days(&calendar, q.from, q.to);
    let n_days = days.len() as u64;
    let length = (q.to - q.from).num_days() as u64 + 1;
    let previous = q
        .compare
        .unwrap_or((q.from - Days::new(length), q.from - Days::new(1)));
    let previous_length = (previous.1 - previous.0).num_days() as u64 + 1;

    // Denominators: the list's members in the scope, by placement.
    let listed: Vec<(Placement, i64)> =
        monitoring::listed_counts(conn, q.list_id, s.prefix.as_deref())?
            .into_iter()
            .filter(|(p, _)| wanted(&q.industries, &p.industry) && in_chain(chain.as_deref(), p))
            .collect();
    let listed_total: u64 = listed.iter().map(|(_, n)| *n as u64).sum();

    let whole = Slice {
        list_id: q.list_id,
        level: s.level,
        prefix: s.exact.as_deref(),
        chain: &s.chain,
    };
    // The whole and by industry, on the counted days.
    let cells = monitoring_days::by_region(conn, &whole, &days)?;
    let mut total = DayCounts::default();
    let mut by_division: BTreeMap<String, DayCounts> = BTreeMap::new();
    for (_, code, _, c) in cells.iter().filter(|(_, i, _, _)| wanted(&q.industries, i)) {
        total.add(c);
        by_division
            .entry(industry::division_of(code).to_string())
            .or_default()
            .add(c);
    }
    let mut listed_by_division: BTreeMap<String, u64> = BTreeMap::new();
    for (p, n) in &listed {
        *listed_by_division
            .entry(industry::division_of(&p.industry).to_string())
            .or_default() += *n as u64;
    }
    let by_industry = listed_by_division
        .iter()
        .map(|(code, n)| {
            let sum = by_division.get(code).copied().unwrap_or_default();
            let entry = industry::find(code);
            Group {
                key: code.clone(),
                name_zh: entry.map_or_else(|| code.clone(), |i| i.name_zh.to_string()),
                name_en: entry.map_or_else(|| code.clone(), |i| i.name_en.to_string()),
                figures: figures(*n, n_days, &sum),
            }
        })
        .collect();

    // By child region.
    let mut by_region = Vec::new();
    if let Some(child_level) = s.child_level {
        let children = Slice {
            list_id: q.list_id,
            level: child_level,
            prefix: s.prefix.as_deref(),
            chain: &s.chain,
        };
        let mut sums: BTreeMap<String, DayCounts> = BTreeMap::new();
        for (code, ind, _, c) in monitoring_days::by_region(conn, &children, &days)? {
            if wanted(&q.industries, &ind) {
                sums.entry(code).or_default().add(&c);
            }
        }
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for (p, n) in &listed {
            *counts
                .entry(child_of(region.as_ref(), &p.county))
                .or_default() += *n as u64;
        }
        let codes: Vec<String> = counts.keys().cloned().collect();
        let names: HashMap<String, String> = Region::find_many(conn, &codes)?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
        by_region = counts
            .into_iter()
            .map(|(code, n)| {
                let name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
                Group {
                    figures: figures(n, n_days, &sums.get(&code).copied().unwrap_or_default()),
                    key: code,
                    name_zh: name.clone(),
                    name_en: name,
                }
            })
            .collect();
    }

    // By chain (each chain's own rows).
    let chains = catalogue::load(conn, List::Chains)?;
    let mut chain_sums: BTreeMap<String, DayCounts> = BTreeMap::new();
    for (code, ind, _, c) in monitoring_days::by_chain(conn, &whole, &days)? {
        if wanted(&q.industries, &ind) && chain.as_deref().is_none_or(|x| x == code) {
            chain_sums.entry(code).or_default().add(&c);
        }
    }
    let mut chain_counts: BTreeMap<String, u64> = BTreeMap::new();
    for (p, n) in &listed {
        for c in &p.chains {
            if chain.as_deref().is_none_or(|x| x == c) {
                *chain_counts.entry(c.clone()).or_default() += *n as u64;
            }
        }
    }
    let by_chain = chain_counts
        .into_iter()
        .map(|(code, n)| Group {
            figures: figures(
                n,
                n_days,
                &chain_sums.get(&code).copied().unwrap_or_default(),
            ),
            name_zh: chains.label(&code, false),
            name_en: chains.label(&code, true),
            key: code,
        })
        .collect();

    // The trend (at least two weeks) and output against the period before.
    let trend_from = q.from.min(q.to - Days::new(13));
    let daily = monitoring_days::by_day(conn, &whole, trend_from.min(previous.0), q.to)?;
    let mut per_day: BTreeMap<NaiveDate, DayCounts> = BTreeMap::new();
    let (mut now_out, mut before_out) = (BTreeMap::new(), BTreeMap::new());
    for (day, _, unit, c) in daily.iter().filter(|(_, i, _, _)| wanted(&q.industries, i)) {
        per_day.entry(*day).or_default().add(c);
        if *day >= q.from {
            *now_out.entry(unit.clone()).or_insert(0) += c.output_milli;
        }
        // A compared period asked for may overlap the period itself.
        if *day >= previous.0 && *day <= previous.1 {
            *before_out.entry(unit.clone()).or_insert(0) += c.output_milli;
        }
    }
    let trend = trend_from
        .iter_days()
        .take_while(|d| *d <= q.to)
        .map(|day| TrendDay {
            day,
            working: calendar.is_working_day(day),
            figures: figures(
                listed_total,
                1,
                &per_day.get(&day).copied().unwrap_or_default(),
            ),
        })
        .collect();

    // Who is missing on the last day, and the blockers.
    let county_prefix = s.prefix.as_deref();
    // With industries asked for, the members are sifted here (a county's
    // list is short); the count of a day is the figures' own.
    let fetch = if q.industries.is_empty() {
        LISTED
    } else {
        5_000
    };
    let mut missing = missing_reports::missing(
        conn,
        q.list_id,
        q.to,
        county_prefix,
        chain.as_deref(),
        0,
        fetch,
    )?;
    missing.retain(|m| wanted(&q.industries, &m.industry_code));
    let total_figures = figures(listed_total, n_days, &total);
    let missing_total = figures(
        listed_total,
        1,
        &per_day.get(&q.to).copied().unwrap_or_default(),
    )
    .not_reported;
    missing.truncate(LISTED as usize);
    let mut blockers = daily_reports::blockers_of_list(
        conn,
        q.list_id,
        q.from,
        q.to,
        county_prefix,
        chain.as_deref(),
        LISTED,
    )?;
    if !q.industries.is_empty() {
        let ids: Vec<i64> = blockers.iter().map(|b| b.enterprise_id).collect();
        let inds = monitoring::industries(conn, &ids)?;
        blockers.retain(|b| {
            wanted(
                &q.industries,
                inds.get(&b.enterprise_id).map_or("", String::as_str),
            )
        });
    }
    let ticket_ids: Vec<i64> = blockers
        .iter()
        .filter_map(|b| b.blocker.ticket_id)
        .collect();
    let tickets = daily_reports::ticket_states(conn, &ticket_ids)?;
    let blockers: Vec<(ListedBlocker, Option<TicketState>)> = blockers
        .into_iter()
        .map(|b| {
            let t = b
                .blocker
                .ticket_id
                .and_then(|id| tickets.get(&id).map(|(n, s)| (id, n.clone(), s.clone())));
            (b, t)
        })
        .collect();

    let mut counties: Vec<String> = missing
        .iter()
        .map(|m| m.county_code.clone())
        .chain(blockers.iter().map(|(b, _)| b.county_code.clone()))
        .collect();
    counties.sort();
    counties.dedup();
    let county_names = Region::find_many(conn, &counties)?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let end = crate::services::metrics::beijing_midnight(q.to + Days::new(1));
    let tickets_resolved = crate::storage::metrics::resolved_before(
        conn,
        &crate::storage::metrics::MetricsFilter {
            place_prefix: s.prefix.clone(),
            chain: chain.clone(),
            whitelisted: None,
        },
        end.naive_utc(),
    )?;
    let region_named = match &region {
        Some(code) => Some((
            code.clone(),
            Region::find(conn, code.as_str())?.map_or_else(|| code.to_string(), |r| r.name),
        )),
        None => None,
    };
    Ok(Board {
        list_id: q.list_id,
        list_name: r.list.name,
        department_name: r.department_name,
        from: q.from,
        to: q.to,
        region: region_named,
        industries: q.industries,
        chain,
        narrowed: r.view != MonitoringView::Whole,
        total: total_figures,
        output: output(&now_out, &before_out, length, previous_length),
        previous,
        by_region,
        by_industry,
        by_chain,
        trend,
        missing,
        missing_total,
        blockers,
        county_names,
        tickets_resolved,
    })
}

/// Who of a list has not reported on `day`, in the caller's sight and the
/// region asked: how many, and a page of them.
pub async fn missing_list(
    db: &Database,
    caller: &Caller,
    list_id: i64,
    day: NaiveDate,
    region: Option<RegionCode>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Missing>), MonitoringError> {
    let caller = caller.clone();
    read(db, move |conn| {
        let r = readable(conn, &caller, list_id)?;
        let (prefix, chain) = match (&r.view, &region) {
            (MonitoringView::Region(own, level), Some(asked)) if !own.contains(*level, asked) => {
                return Err(MonitoringError::NotFound)
            }
            (MonitoringView::Region(own, _), None) => {
                (Some(own.subtree_prefix().to_string()), None)
            }
            (MonitoringView::Chain(c), _) => (
                region.as_ref().map(|r| r.subtree_prefix().to_string()),
                Some(c.clone()),
            ),
            _ => (
                region.as_ref().map(|r| r.subtree_prefix().to_string()),
                None,
            ),
        };
        let total = missing_reports::count_missing(
            conn,
            list_id,
            day,
            prefix.as_deref(),
            chain.as_deref(),
        )?;
        let rows = missing_reports::missing(
            conn,
            list_id,
            day,
            prefix.as_deref(),
            chain.as_deref(),
            offset,
            limit,
        )?;
        Ok((total, rows))
    })
    .await
}

/// The day a board opens on: today, or the list's last day of reports
/// when none came in since (a list followed until some day, the demo).
pub async fn opening_day(
    db: &Database,
    caller: &Caller,
    list_id: i64,
    today: NaiveDate,
) -> Result<NaiveDate, MonitoringError> {
    let caller = caller.clone();
    read(db, move |conn| {
        readable(conn, &caller, list_id)?;
        Ok(monitoring_days::last_reported_day(conn, list_id, today)?.unwrap_or(today))
    })
    .await
}
