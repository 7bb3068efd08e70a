//! The supervisors' numbers for a caller's jurisdiction: totals, groups
//! (child region, department, category, urgency, day) and the ranking of
//! departments. Definitions live in `domain::metrics`; this module decides
//! which tickets count and how they are grouped.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;

use crate::domain::access::Caller;
use crate::domain::metrics::{add_to, Figures, Period, ScoreWeights, Tally};
use crate::domain::region::{is_municipality, DepartmentKind, RegionCode, RegionLevel};
use crate::domain::role::Role;
use crate::domain::routing::CATEGORIES;
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
    if !matches!(caller.role, Role::Supervisor | Role::Lead) {
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
fn child_region(scope: Option<&(RegionCode, RegionLevel)>, place: &str) -> String {
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
    let (counted, resolved_to_date, names) = {
        let filter = filter.clone();
        let group_by = q.group_by;
        let scope_region = scope.region.clone();
        db.run(move |conn| {
            let counted = metrics::records(
                conn,
                &filter,
                period.from.naive_utc(),
                period.to.naive_utc(),
            )?;
            let resolved = metrics::resolved_before(conn, &filter, period.to.naive_utc())?;
            let names = names_for(conn, group_by, scope_region.as_ref(), &counted)?;
            Ok((counted, resolved, names))
        })
        .await?
    };
    let mut total = Tally::default();
    for c in &counted {
        total.add(&c.record, &period);
    }
    let groups = match q.group_by {
        None => Vec::new(),
        Some(GroupBy::Day) => by_day(&counted, &period, q.from, q.to, &weights),
        Some(g) => {
            let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
            for c in &counted {
                let key = match g {
                    GroupBy::Region => child_region(scope.region.as_ref(), &c.place_code),
                    GroupBy::Department => c.department_id.to_string(),
                    GroupBy::Category => c.category.clone(),
                    GroupBy::Urgency => c.urgency.clone(),
                    GroupBy::Day => unreachable!("grouped by day above"),
                };
                tallies.entry(key).or_default().add(&c.record, &period);
            }
            tallies
                .into_iter()
                .map(|(key, t)| Group {
                    name: names.get(&key).cloned().unwrap_or_else(|| key.clone()),
                    key,
                    figures: t.figures(&weights),
                })
                .collect()
        }
    };
    Ok(Report {
        scope,
        total: total.figures(&weights),
        groups,
        resolved_to_date,
    })
}

/// One group per day of the period, each contribution in the day it happened.
fn by_day(
    counted: &[Counted],
    period: &Period,
    from: NaiveDate,
    to: NaiveDate,
    weights: &ScoreWeights,
) -> Vec<Group> {
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let mut tallies = vec![Tally::default(); days.len()];
    for c in counted {
        add_to(&mut tallies, &c.record, period, |at| {
            if !period.contains(at) {
                return None;
            }
            let day = at.with_timezone(&Shanghai).date_naive();
            usize::try_from((day - from).num_days())
                .ok()
                .filter(|i| *i < days.len())
        });
    }
    days.into_iter()
        .zip(tallies)
        .map(|(d, t)| Group {
            key: d.to_string(),
            name: d.to_string(),
            figures: t.figures(weights),
        })
        .collect()
}

/// Display names of the groups' keys.
fn names_for(
    conn: &mut crate::storage::AnyConnection,
    group_by: Option<GroupBy>,
    scope: Option<&(RegionCode, RegionLevel)>,
    counted: &[Counted],
) -> QueryResult<HashMap<String, String>> {
    Ok(match group_by {
        Some(GroupBy::Region) => {
            let mut codes: Vec<String> = counted
                .iter()
                .map(|c| child_region(scope, &c.place_code))
                .collect();
            codes.sort();
            codes.dedup();
            Region::find_many(conn, &codes)?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect()
        }
        Some(GroupBy::Department) => {
            let mut ids: Vec<i64> = counted.iter().map(|c| c.department_id).collect();
            ids.sort_unstable();
            ids.dedup();
            departments::table
                .filter(departments::id.eq_any(ids))
                .select((departments::id, departments::name))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .map(|(id, name)| (id.to_string(), name))
                .collect()
        }
        Some(GroupBy::Category) => CATEGORIES
            .iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect(),
        Some(GroupBy::Urgency) => [("normal", "一般"), ("urgent", "紧急"), ("critical", "特急")]
            .iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect(),
        _ => HashMap::new(),
    })
}
