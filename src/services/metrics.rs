//! The supervisors' numbers for a caller's jurisdiction: totals, groups
//! (child region, department, category, urgency, day) and the ranking of
//! departments. Definitions live in `domain::metrics`; this module decides
//! which tickets count and how they are grouped.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;

use crate::domain::access::Caller;
use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::metrics::{add_to, Figures, Period, ScoreWeights, Tally};
use crate::domain::region::{is_municipality, DepartmentKind, RegionCode, RegionLevel};
use crate::storage::metrics::{self, Counted, MetricsFilter};
use crate::storage::regions::Region;
use crate::storage::schema::departments;
use crate::storage::{Database, StorageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Region,
    Department,
    Category,
    Urgency,
    Day,
    /// The region of this level each ticket is placed in (for 地区排名;
    /// not offered as `group_by`).
    RegionAt(RegionLevel),
    /// Each chain of the ticket's enterprise (a ticket of two chains counts
    /// in both; the dashboard's breakdown; not offered as `group_by`).
    Chain,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        Some(match s {
            "region" => GroupBy::Region,
            "department" => GroupBy::Department,
            "category" => GroupBy::Category,
            "urgency" => GroupBy::Urgency,
            "day" => GroupBy::Day,
            _ => return None,
        })
    }
}

/// The longest period one query may cover.
const MAX_DAYS: i64 = 3 * 366;

/// A metrics question as a client asks it (query string or form).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
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

/// Parses the query; every bad field is reported at once.
pub fn parse(p: &MetricsParams, today: NaiveDate) -> Result<MetricsQuery, Vec<FieldIssue>> {
    let mut errors = Vec::new();
    let day = |s: &Option<String>, name: &'static str, errors: &mut Vec<FieldIssue>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| errors.push(issue(name, "field.date_format")))
                    .ok()
            })
    };
    let to = day(&p.to, "to", &mut errors).unwrap_or(today);
    let from = day(&p.from, "from", &mut errors).unwrap_or(to - chrono::Days::new(29));
    if from > to {
        errors.push(issue("from", "field.from_after_to"));
    } else if (to - from).num_days() >= MAX_DAYS {
        errors.push(issue("to", "field.period_too_long"));
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
                errors.push(issue("group_by", "field.metrics_group_by"));
            }
            parsed
        }
    };
    let region = match p.region.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(r) => match RegionCode::parse(r) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.push(issue("region", "field.region_code_length"));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
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

/// A metrics question: Beijing days `from..=to`.
#[derive(Debug, Clone)]
pub struct MetricsQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Option<GroupBy>,
    /// Narrow to a region inside the caller's jurisdiction.
    pub region: Option<RegionCode>,
    /// Narrow to the enterprises of one chain.
    pub chain: Option<String>,
    pub whitelisted: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("only supervisors and leads of a department read metrics")]
    NotPermitted,
    #[error("the region lies outside the caller's jurisdiction")]
    OutsideJurisdiction,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What the numbers cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// None: the whole country.
    pub region: Option<(RegionCode, RegionLevel)>,
    pub chain: Option<String>,
    pub whitelisted: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    pub name: String,
    pub figures: Figures,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub scope: Scope,
    pub total: Figures,
    pub groups: Vec<Group>,
    /// First resolutions up to the end of the period, all time.
    pub resolved_to_date: u64,
}

/// The level a region code names, judged by its zeros.
pub fn level_of(code: &RegionCode) -> RegionLevel {
    let s = code.as_str();
    if s.ends_with("0000") {
        RegionLevel::Province
    } else if s.ends_with("00") {
        RegionLevel::City
    } else {
        RegionLevel::County
    }
}

/// The caller's jurisdiction, narrowed as the query asks.
pub fn scope(caller: &Caller, q: &MetricsQuery) -> Result<Scope, MetricsError> {
    if !crate::domain::access::may_read_metrics(caller) {
        return Err(MetricsError::NotPermitted);
    }
    let Some(d) = &caller.department else {
        return Err(MetricsError::NotPermitted);
    };
    let (mut region, mut chain) = match d.kind {
        DepartmentKind::Ministry => (None, None),
        DepartmentKind::ChainPlatform => (None, d.chain_code.clone()),
        _ => (d.region.clone(), None),
    };
    if let Some(r) = &q.region {
        if region
            .as_ref()
            .is_some_and(|(own, level)| !own.contains(*level, r))
        {
            return Err(MetricsError::OutsideJurisdiction);
        }
        region = Some((r.clone(), level_of(r)));
    }
    if let Some(c) = &q.chain {
        if chain.as_ref().is_some_and(|own| own != c) {
            return Err(MetricsError::OutsideJurisdiction);
        }
        chain = Some(c.clone());
    }
    Ok(Scope {
        region,
        chain,
        whitelisted: q.whitelisted,
    })
}

/// Midnight in Beijing at the start of `day`.
pub fn beijing_midnight(day: NaiveDate) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("Beijing has no daylight saving")
        .with_timezone(&Utc)
}

/// The key a ticket's place groups under: the child region of the scope.
pub fn child_region(scope: Option<&(RegionCode, RegionLevel)>, place: &str) -> String {
    let Ok(code) = RegionCode::parse(place) else {
        return place.to_string();
    };
    match scope {
        None => code.province().to_string(),
        Some((p, RegionLevel::Province)) if !is_municipality(p) => code.city().to_string(),
        Some(_) => code.to_string(),
    }
}

pub async fn report(
    db: &Database,
    caller: &Caller,
    q: MetricsQuery,
    now: DateTime<Utc>,
    weights: ScoreWeights,
) -> Result<Report, MetricsError> {
    let scope = scope(caller, &q)?;
    let period = Period {
        from: beijing_midnight(q.from),
        to: beijing_midnight(q.to.succ_opt().unwrap_or(q.to)),
        now,
    };
    let filter = MetricsFilter {
        place_prefix: scope
            .region
            .as_ref()
            .map(|(r, _)| r.subtree_prefix().to_string()),
        chain: scope.chain.clone(),
        whitelisted: scope.whitelisted,
    };
    // Read page by page and folded into tallies as it comes, so memory
    // follows the groups, not the tickets.
    let mut total = Tally::default();
    let mut grouped: BTreeMap<String, Tally> = BTreeMap::new();
    let days: Vec<NaiveDate> = q.from.iter_days().take_while(|d| *d <= q.to).collect();
    let mut daily = vec![
        Tally::default();
        if q.group_by == Some(GroupBy::Day) {
            days.len()
        } else {
            0
        }
    ];
    let mut after = 0;
    loop {
        let page = {
            let filter = filter.clone();
            db.run(move |conn| {
                Ok(metrics::records(
                    conn,
                    &filter,
                    period.from.naive_utc(),
                    period.to.naive_utc(),
                    after,
                    PAGE,
                )?)
            })
            .await?
        };
        let Some(last) = page.last() else {
            break;
        };
        after = last.ticket_id;
        for c in &page {
            total.add(&c.record, &period);
            match q.group_by {
                None => {}
                Some(GroupBy::Day) => add_to(&mut daily, &c.record, &period, |at| {
                    day_index(at, &period, q.from, days.len())
                }),
                // A department's response is the windows it held (below),
                // not the ticket's first one.
                Some(GroupBy::Department) => {
                    let mut own = c.record.clone();
                    own.first_sign_due = None;
                    grouped
                        .entry(c.department_id.to_string())
                        .or_default()
                        .add(&own, &period)
                }
                Some(GroupBy::Chain) => {
                    for chain in c.chains.split(',').filter(|k| !k.is_empty()) {
                        grouped
                            .entry(chain.to_string())
                            .or_default()
                            .add(&c.record, &period)
                    }
                }
                Some(g) => grouped
                    .entry(group_key(g, scope.region.as_ref(), c))
                    .or_default()
                    .add(&c.record, &period),
            }
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    // A department's response counts the sign-for windows it held and its
    // co-handling opinions.
    if q.group_by == Some(GroupBy::Department) {
        let filter = filter.clone();
        let (windows, due) = db
            .run(move |conn| {
                let (from, to) = (period.from.naive_utc(), period.to.naive_utc());
                Ok((
                    metrics::sign_windows_due_between(conn, &filter, from, to)?,
                    metrics::cohandling_due_between(conn, &filter, from, to)?,
                ))
            })
            .await?;
        let u = |d: Option<chrono::NaiveDateTime>| d.map(|d| d.and_utc());
        for (department, due_at, answered, ended) in windows {
            grouped
                .entry(department.to_string())
                .or_default()
                .add_sign_window(due_at.and_utc(), u(answered), u(ended), &period);
        }
        for (department, due_at, answered) in due {
            grouped
                .entry(department.to_string())
                .or_default()
                .add_cohandling(due_at.and_utc(), answered.map(|a| a.and_utc()), &period);
        }
    }
    let (resolved_to_date, names) = {
        let filter = filter.clone();
        let keys: Vec<String> = grouped.keys().cloned().collect();
        let group_by = q.group_by;
        db.run(move |conn| {
            let resolved = metrics::resolved_before(conn, &filter, period.to.naive_utc())?;
            Ok((resolved, names_for(conn, group_by, &keys)?))
        })
        .await?
    };
    let groups = if q.group_by == Some(GroupBy::Day) {
        days.into_iter()
            .zip(daily)
            .map(|(d, t)| Group {
                key: d.to_string(),
                name: d.to_string(),
                figures: t.figures(&weights),
            })
            .collect()
    } else {
        grouped
            .into_iter()
            .map(|(key, t)| Group {
                name: names.get(&key).cloned().unwrap_or_else(|| key.clone()),
                key,
                figures: t.figures(&weights),
            })
            .collect()
    };
    Ok(Report {
        scope,
        total: total.figures(&weights),
        groups,
        resolved_to_date,
    })
}

/// Tickets read per query.
const PAGE: i64 = 5_000;

/// The day of the period an instant falls in (Beijing days).
fn day_index(at: DateTime<Utc>, period: &Period, from: NaiveDate, days: usize) -> Option<usize> {
    if !period.contains(at) {
        return None;
    }
    let day = at.with_timezone(&Shanghai).date_naive();
    usize::try_from((day - from).num_days())
        .ok()
        .filter(|i| *i < days)
}

fn group_key(g: GroupBy, scope: Option<&(RegionCode, RegionLevel)>, c: &Counted) -> String {
    match g {
        GroupBy::Region => child_region(scope, &c.place_code),
        GroupBy::Department => c.department_id.to_string(),
        GroupBy::Category => c.category.clone(),
        GroupBy::Urgency => c.urgency.as_str().to_string(),
        GroupBy::Day | GroupBy::Chain => String::new(),
        GroupBy::RegionAt(level) => region_at(level, &c.place_code),
    }
}

/// The code of the region of `level` a six-digit place lies in.
pub fn region_at(level: RegionLevel, place: &str) -> String {
    match (level, place.get(..2), place.get(..4)) {
        (RegionLevel::Province, Some(p), _) => format!("{p}0000"),
        (RegionLevel::City, _, Some(c)) => format!("{c}00"),
        _ => place.to_string(),
    }
}

/// Display names of the groups' keys.
fn names_for(
    conn: &mut crate::storage::AnyConnection,
    group_by: Option<GroupBy>,
    keys: &[String],
) -> QueryResult<HashMap<String, String>> {
    Ok(match group_by {
        Some(GroupBy::Region) => Region::find_many(conn, keys)?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect(),
        Some(GroupBy::Department) => {
            let ids: Vec<i64> = keys.iter().filter_map(|k| k.parse().ok()).collect();
            departments::table
                .filter(departments::id.eq_any(ids))
                .select((departments::id, departments::name))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .map(|(id, name)| (id.to_string(), name))
                .collect()
        }
        // Retired categories too: old tickets carry them.
        Some(GroupBy::Category) => {
            crate::storage::catalogue::load(conn, crate::storage::catalogue::List::Categories)?
                .0
                .into_iter()
                .map(|t| (t.code, t.name_zh))
                .collect()
        }
        Some(GroupBy::Urgency) => ["normal", "urgent", "critical"]
            .iter()
            .map(|k| {
                let name = crate::words::text(crate::words::Lang::Zh, &format!("urgency.{k}"));
                (k.to_string(), name.to_string())
            })
            .collect(),
        _ => HashMap::new(),
    })
}
