//! The supervisors' dashboard: the three rates (and the other summable
//! numbers of section 7) by child region over a period, and a daily trend.
//! Answered from the daily totals (`domain::metrics::daily`), corrected
//! by what is read ticket by ticket: open tickets, deadlines still ahead,
//! and tickets changed since they were last folded in; so the numbers are
//! exact at any moment, and equal to `GET /api/v1/metrics`'s. A chain
//! platform's dashboard (no daily totals per chain) is added up ticket by
//! ticket.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use diesel::prelude::*;

use crate::domain::access::Caller;
use crate::domain::metrics::daily::{backlog, undone, Backlog, Counts, DayFigures};
use crate::domain::metrics::{Figures, Period, ScoreWeights};
use crate::domain::region::{is_municipality, RegionCode, RegionLevel};
use crate::services::metrics::{
    beijing_midnight, child_region, report, scope, GroupBy, MetricsError, MetricsQuery, Scope,
};
use crate::storage::metric_days::{
    beijing_day, by_day, parse_fold, resolved_through, sums_by_day, sums_by_region, CITY, COUNTY,
    PROVINCE,
};
use crate::storage::metrics::{live, MetricsFilter};
use crate::storage::regions::Region;
use crate::storage::{AnyConnection, Database, StorageError};

#[derive(Debug, Clone)]
pub struct DashboardQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Days of the trend, ending with `to`.
    pub trend_days: u32,
    pub region: Option<RegionCode>,
    /// The trend by week (Monday to Sunday, cut at the trend's ends)
    /// instead of by day: a long trend stays readable.
    pub weekly: bool,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub name: String,
    pub figures: DayFigures,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    pub scope: Scope,
    pub total: DayFigures,
    /// First resolutions up to the period's end, all time (the count the
    /// milestones are measured against).
    pub resolved_to_date: u64,
    /// Every child region, those without tickets too (zeros).
    pub regions: Vec<Row>,
    /// By day, or by week (`key` its first day, `name` first~last day).
    pub trend: Vec<Row>,
}

/// The period by category and by chain (a ticket of two chains in both);
/// `name` is the code, the page names it. Added up ticket by ticket (no
/// daily totals per category or chain): the page keeps them
/// (`dashboard_cache`).
#[derive(Debug, Clone, Default)]
pub struct Breakdowns {
    pub categories: Vec<Row>,
    pub chains: Vec<Row>,
}

pub async fn dashboard(
    db: &Database,
    caller: &Caller,
    q: DashboardQuery,
    now: DateTime<Utc>,
    weights: ScoreWeights,
) -> Result<Dashboard, MetricsError> {
    let trend_from = (q.to - Days::new(u64::from(q.trend_days.max(1)) - 1)).max(q.from);
    let metrics_query = |from, group_by| MetricsQuery {
        from,
        to: q.to,
        group_by: Some(group_by),
        region: q.region.clone(),
        chain: None,
        whitelisted: None,
    };
    let scope = scope(caller, &metrics_query(q.from, GroupBy::Region))?;
    if scope.chain.is_some() {
        // No daily totals per chain: add up ticket by ticket.
        let year = report(
            db,
            caller,
            metrics_query(q.from, GroupBy::Region),
            now,
            weights,
        )
        .await?;
        let trend = report(
            db,
            caller,
            metrics_query(trend_from, GroupBy::Day),
            now,
            weights,
        )
        .await?;
        let rows = |groups: Vec<crate::services::metrics::Group>| {
            groups
                .into_iter()
                .map(|g| Row {
                    key: g.key,
                    name: g.name,
                    figures: of_figures(&g.figures),
                })
                .collect::<Vec<Row>>()
        };
        return Ok(Dashboard {
            scope: year.scope,
            total: of_figures(&year.total),
            resolved_to_date: year.resolved_to_date,
            regions: rows(year.groups),
            trend: rows(trend.groups),
        });
    }
    let period = Period {
        from: beijing_midnight(q.from),
        to: beijing_midnight(q.to.succ_opt().unwrap_or(q.to)),
        now,
    };
    let (from, to, days) = (q.from, q.to, trend_days(trend_from, q.to));
    let sc = scope.clone();
    let Acc {
        regions,
        trend,
        total,
        resolved_to_date,
        ..
    } = db
        .run(move |conn| Ok(add_up(conn, &sc, &period, from, to, &days)?))
        .await?;
    // Every child region, with zeros where nothing happened.
    let (regions, names) = {
        let mut regions = regions;
        let keys: Vec<String> = regions.keys().cloned().collect();
        let (level, prefix) = children_of(scope.region.as_ref());
        let (listed, found) = db
            .run(move |conn| {
                Ok((
                    Region::of_level(conn, level, prefix.as_deref())?,
                    Region::find_many(conn, &keys)?,
                ))
            })
            .await?;
        let mut names: HashMap<String, String> = HashMap::new();
        for r in found.into_iter().chain(listed) {
            regions.entry(r.code.clone()).or_default();
            names.insert(r.code, r.name);
        }
        (regions, names)
    };
    let trend = if q.weekly { by_week(trend) } else { trend };
    let figures = |(c, b): &(Counts, Backlog)| c.figures(b, &weights);
    Ok(Dashboard {
        scope,
        total: figures(&total),
        resolved_to_date: resolved_to_date.max(0) as u64,
        regions: regions
            .iter()
            .map(|(key, t)| Row {
                name: names.get(key).cloned().unwrap_or_else(|| key.clone()),
                key: key.clone(),
                figures: figures(t),
            })
            .collect(),
        trend: trend
            .iter()
            .enumerate()
            .map(|(i, (day, t))| {
                let last = trend
                    .get(i + 1)
                    .map_or(to, |(next, _)| *next - Days::new(1));
                Row {
                    key: day.to_string(),
                    name: if q.weekly && last != *day {
                        format!("{day}~{last}")
                    } else {
                        day.to_string()
                    },
                    figures: figures(t),
                }
            })
            .collect(),
    })
}

/// The level and code prefix of the regions a scope splits into: the
/// provinces; a province's cities (a municipality's districts, its cities
/// being nominal); a city's counties; a county itself.
fn children_of(region: Option<&(RegionCode, RegionLevel)>) -> (&'static str, Option<String>) {
    match region {
        None => ("province", None),
        Some((code, RegionLevel::Province)) if !is_municipality(code) => {
            ("city", Some(code.subtree_prefix().to_string()))
        }
        Some((code, _)) => ("county", Some(code.subtree_prefix().to_string())),
    }
}

/// Days added up into weeks, Monday to Sunday; each week under its first
/// day in the trend (the first week may start later than a Monday).
fn by_week(days: Vec<(NaiveDate, Sums)>) -> Vec<(NaiveDate, Sums)> {
    use chrono::Datelike;
    let mut weeks: Vec<(NaiveDate, Sums)> = Vec::new();
    for (day, (c, b)) in days {
        match weeks.last_mut() {
            Some((_, (wc, wb))) if day.weekday() != chrono::Weekday::Mon => {
                wc.add(&c);
                wb.add(&b);
            }
            _ => weeks.push((day, (c, b))),
        }
    }
    weeks
}

/// The breakdowns by category and by chain over the period.
pub async fn breakdowns(
    db: &Database,
    caller: &Caller,
    q: &DashboardQuery,
    now: DateTime<Utc>,
    weights: ScoreWeights,
) -> Result<Breakdowns, MetricsError> {
    let mut out = Vec::new();
    for group_by in [GroupBy::Category, GroupBy::Chain] {
        let query = MetricsQuery {
            from: q.from,
            to: q.to,
            group_by: Some(group_by),
            region: q.region.clone(),
            chain: None,
            whitelisted: None,
        };
        let r = report(db, caller, query, now, weights).await?;
        out.push(
            r.groups
                .into_iter()
                .map(|g| Row {
                    name: g.key.clone(),
                    key: g.key,
                    figures: of_figures(&g.figures),
                })
                .collect::<Vec<Row>>(),
        );
    }
    let chains = out.pop().unwrap_or_default();
    Ok(Breakdowns {
        categories: out.pop().unwrap_or_default(),
        chains,
    })
}

fn trend_days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|d| *d <= to).collect()
}

/// The same numbers from a full report (a chain platform's dashboard).
fn of_figures(f: &Figures) -> DayFigures {
    DayFigures {
        received: f.received,
        response: f.response,
        on_time_resolution: f.on_time_resolution,
        resolution: f.resolution,
        satisfaction: f.satisfaction,
        final_satisfaction: f.final_satisfaction,
        returns: f.returns,
        reopens: f.reopens,
        repeats: f.repeats,
        resolved: f.resolved,
        mean_hours_to_sign: f.time_to_sign.mean_hours,
        mean_hours_to_resolve: f.time_to_resolve.mean_hours,
        open: f.open,
        overdue_open: f.overdue_open,
        score: f.score,
    }
}

type Sums = (Counts, Backlog);

/// Counts added up by child region over the period, by day over the
/// trend, and in total.
struct Acc {
    from: NaiveDate,
    to: NaiveDate,
    regions: BTreeMap<String, Sums>,
    trend: Vec<(NaiveDate, Sums)>,
    total: Sums,
    /// First resolutions on any day up to `to`.
    resolved_to_date: i64,
}

impl Acc {
    fn add(&mut self, key: &str, day: NaiveDate, c: &Counts) {
        if day <= self.to {
            self.resolved_to_date += c.resolved;
        }
        if self.from <= day && day <= self.to {
            self.regions.entry(key.to_string()).or_default().0.add(c);
            self.total.0.add(c);
        }
        if let Some((_, t)) = day_in(&mut self.trend, day) {
            t.0.add(c);
        }
    }
}

/// The trend's entry of a day (the trend is consecutive days).
fn day_in(trend: &mut [(NaiveDate, Sums)], day: NaiveDate) -> Option<&mut (NaiveDate, Sums)> {
    let first = trend.first()?.0;
    let i = usize::try_from((day - first).num_days()).ok()?;
    trend.get_mut(i)
}

/// Reads the totals and the live corrections in one snapshot and adds
/// them up: by child region over the period, by day over the trend, and
/// in total.
fn add_up(
    conn: &mut AnyConnection,
    scope: &Scope,
    period: &Period,
    from: NaiveDate,
    to: NaiveDate,
    days: &[NaiveDate],
) -> QueryResult<Acc> {
    let region = scope.region.as_ref();
    let (level, prefix) = match region {
        None => (PROVINCE, None),
        Some((code, RegionLevel::Province)) if !is_municipality(code) => (CITY, Some(code)),
        Some((code, _)) => (COUNTY, Some(code)),
    };
    let prefix = prefix.map(|c| c.subtree_prefix().to_string());
    let filter = MetricsFilter {
        place_prefix: prefix.clone(),
        chain: None,
        whitelisted: None,
    };
    conn.transaction(|conn| {
        // The totals and the live rows from one snapshot.
        crate::storage::dialect::read_only_snapshot(conn)?;
        // The settled totals, added up by the database.
        let prefix = prefix.as_deref();
        let by_region = sums_by_region(conn, level, prefix, from, to)?;
        let daily = match days.first() {
            Some(first) => sums_by_day(conn, level, prefix, *first, to)?,
            None => Vec::new(),
        };
        let resolved = resolved_through(conn, level, prefix, to)?;
        let live = live(conn, &filter, period.now.naive_utc())?;
        let mut acc = Acc {
            from,
            to,
            regions: BTreeMap::new(),
            trend: days.iter().map(|d| (*d, Sums::default())).collect(),
            total: Sums::default(),
            resolved_to_date: resolved,
        };
        for (key, c) in &by_region {
            acc.regions.entry(key.clone()).or_default().0.add(c);
            acc.total.0.add(c);
        }
        for (day, c) in &daily {
            if let Some((_, t)) = day_in(&mut acc.trend, *day) {
                t.0.add(c);
            }
        }
        for (c, before) in &live.unfolded {
            let key = child_region(region, &c.place_code);
            for (day, counts) in by_day(&c.record) {
                acc.add(&key, day, &counts);
            }
            for (day, counts) in before.as_deref().map(parse_fold).unwrap_or_default() {
                let mut negative = Counts::default();
                negative.sub(&counts);
                acc.add(&key, day, &negative);
            }
        }
        for c in &live.open_or_ahead {
            let key = child_region(region, &c.place_code);
            for (at, counts) in undone(&c.record, period.now) {
                acc.add(&key, beijing_day(at), &counts);
            }
            let b = backlog(&c.record, period);
            if b.open > 0 {
                acc.regions.entry(key).or_default().1.add(&b);
                acc.total.1.add(&b);
                if let Some((_, t)) = acc.trend.last_mut() {
                    t.1.add(&b);
                }
            }
        }
        Ok::<_, diesel::result::Error>(acc)
    })
}

/// Tickets folded per transaction: the writer is held for one batch.
const FOLD_BATCH: i64 = 10_000;

/// Folds changed tickets into the daily totals until none is left or
/// `max` have been folded; returns how many. The background job calls it.
pub async fn fold_changes(db: &Database, max: usize) -> Result<usize, StorageError> {
    let mut done = 0;
    while done < max {
        let n = db
            .run_write(|conn| Ok(crate::storage::metric_days::fold(conn, FOLD_BATCH)?))
            .await?;
        done += n;
        if n == 0 {
            break;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_add_up_into_weeks_from_monday_cut_at_the_ends() {
        // Thursday 2026-10-01 to Tuesday 2026-10-13: Thu-Sun, Mon-Sun, Mon-Tue.
        let first = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let days: Vec<(NaiveDate, Sums)> = (0..13)
            .map(|i| {
                let mut s = Sums::default();
                s.0.received = 1;
                (first + Days::new(i), s)
            })
            .collect();
        let weeks = by_week(days);
        let got: Vec<(String, i64)> = weeks
            .iter()
            .map(|(d, s)| (d.to_string(), s.0.received))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-10-01".to_string(), 4),
                ("2026-10-05".to_string(), 7),
                ("2026-10-12".to_string(), 2)
            ]
        );
    }

    #[test]
    fn a_scope_splits_into_its_children_a_municipality_into_districts() {
        let code = |s: &str| RegionCode::parse(s).unwrap();
        assert_eq!(children_of(None), ("province", None));
        assert_eq!(
            children_of(Some(&(code("320000"), RegionLevel::Province))),
            ("city", Some("32".to_string()))
        );
        assert_eq!(
            children_of(Some(&(code("310000"), RegionLevel::Province))),
            ("county", Some("31".to_string()))
        );
        assert_eq!(
            children_of(Some(&(code("320500"), RegionLevel::City))),
            ("county", Some("3205".to_string()))
        );
    }
}
