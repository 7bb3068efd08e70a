//! The two rankings of domain section 7, each named for what it is:
//! - 地区排名 (`Basis::Region`): every region of a level in the scope, over
//!   every ticket placed in its subtree, whoever handled it;
//! - 部门排名 (`Basis::Department`): every department of a level, over the
//!   work it did itself (the sign-for windows it held, the tickets it
//!   handled, its co-handling opinions).
//!
//! Both list every region or department of the level, those without data
//! too, and rank only those whose sample reaches `metrics.ranking_min_sample`
//! (the others are 样本不足, listed after them).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::metrics::{
    parse, report, scope, GroupBy, MetricsError, MetricsParams, MetricsQuery, Scope,
};
use crate::domain::access::Caller;
use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::metrics::{rank_with_minimum, Figures, ScoreWeights, Standing, Tally};
use crate::domain::region::{is_municipality, RegionLevel};
use crate::storage::regions::Region;
use crate::storage::schema::departments;
use crate::storage::Database;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Region,
    Department,
}

impl Basis {
    pub fn parse(s: &str) -> Option<Basis> {
        match s {
            "region" => Some(Basis::Region),
            "department" => Some(Basis::Department),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Region => "region",
            Basis::Department => "department",
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// The level ranked: `province`, `city` or `county`.
    pub level: String,
    /// `region` (地区排名: every region of the level, over every ticket
    /// placed in it) or `department` (部门排名: every department of the
    /// level, over its own work); default `department`.
    pub basis: Option<String>,
    /// Rank only those with at least this many sign-for deadlines due and
    /// ratings given; default `metrics.ranking_min_sample`.
    pub min_sample: Option<u64>,
    /// First day, Beijing time (`2022-04-01`); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// Narrow to a region inside the caller's jurisdiction.
    pub region: Option<String>,
    /// Narrow to the enterprises of one chain.
    pub chain: Option<String>,
    /// Only white-listed enterprises (`true`) or only the others (`false`).
    pub whitelisted: Option<bool>,
}

/// Parses a ranking question; every bad field is reported at once.
pub fn parse_ranking(
    p: &RankingParams,
    today: chrono::NaiveDate,
) -> Result<(MetricsQuery, RegionLevel, Basis), Vec<FieldIssue>> {
    let level = RegionLevel::parse(p.level.trim());
    let q = parse(
        &MetricsParams {
            from: p.from.clone(),
            to: p.to.clone(),
            group_by: None,
            region: p.region.clone(),
            chain: p.chain.clone(),
            whitelisted: p.whitelisted,
        },
        today,
    );
    let basis = match p.basis.as_deref().map(str::trim) {
        None | Some("") => Some(Basis::Department),
        Some(b) => Basis::parse(b),
    };
    match (q, level, basis) {
        (Ok(q), Some(level), Some(basis)) => Ok((q, level, basis)),
        (q, level, basis) => {
            // Every bad field at once.
            let mut errors = q.err().unwrap_or_default();
            if level.is_none() {
                errors.push(issue("level", "field.ranking_level"));
            }
            if basis.is_none() {
                errors.push(issue("basis", "field.ranking_basis"));
            }
            Err(errors)
        }
    }
}

/// One region or department in a ranking.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub standing: Standing,
    /// The region code, or the department id.
    pub key: String,
    pub department_id: Option<i64>,
    pub name: String,
    pub region_code: Option<String>,
    pub figures: Figures,
}

/// A ranking question: which level, on which basis, how small a sample
/// still ranks.
#[derive(Debug, Clone, Copy)]
pub struct RankingRule {
    pub level: RegionLevel,
    pub basis: Basis,
    pub min_sample: u64,
}

pub async fn ranking(
    db: &Database,
    caller: &Caller,
    mut q: MetricsQuery,
    mut rule: RankingRule,
    now: DateTime<Utc>,
    weights: ScoreWeights,
) -> Result<(Scope, Vec<Ranked>), MetricsError> {
    // A municipality's cities are nominal (市辖区): its districts, the
    // counties, are the level below it.
    if rule.level == RegionLevel::City {
        if let Some((code, RegionLevel::Province)) = scope(caller, &q)?.region {
            if is_municipality(&code) {
                rule.level = RegionLevel::County;
            }
        }
    }
    q.group_by = Some(match rule.basis {
        Basis::Region => GroupBy::RegionAt(rule.level),
        Basis::Department => GroupBy::Department,
    });
    let report = report(db, caller, q, now, weights).await?;
    let mut figures: HashMap<String, Figures> = report
        .groups
        .into_iter()
        .map(|g| (g.key, g.figures))
        .collect();
    // A chain's scope is not a piece of the map: only those with data.
    let prefix = report
        .scope
        .region
        .as_ref()
        .map(|(r, _)| r.subtree_prefix().to_string());
    let every = report.scope.chain.is_none();
    let level = rule.level;
    let listed: Vec<(String, Option<i64>, String, Option<String>)> = db
        .run(move |conn| {
            Ok(match rule.basis {
                Basis::Region => Region::of_level(conn, level.as_str(), prefix.as_deref())?
                    .into_iter()
                    .map(|r| (r.code.clone(), None, r.name, Some(r.code)))
                    .collect(),
                Basis::Department => {
                    let mut q = departments::table
                        .filter(departments::kind.eq(level.as_str()))
                        .order(departments::id.asc())
                        .select((departments::id, departments::name, departments::region_code))
                        .into_boxed();
                    if let Some(p) = &prefix {
                        let (low, high) = crate::storage::regions::subtree_bounds(p);
                        q = q.filter(departments::region_code.between(low, high));
                    }
                    q.load::<(i64, String, Option<String>)>(conn)?
                        .into_iter()
                        .map(|(id, name, region)| (id.to_string(), Some(id), name, region))
                        .collect()
                }
            })
        })
        .await?;
    let empty = Tally::default().figures(&weights);
    let rows: Vec<Ranked> = listed
        .into_iter()
        .filter_map(|(key, department_id, name, region_code)| {
            let f = figures.remove(&key);
            if f.is_none() && !every {
                return None;
            }
            Some(Ranked {
                standing: Standing::NoData,
                key,
                department_id,
                name,
                region_code,
                figures: f.unwrap_or_else(|| empty.clone()),
            })
        })
        .collect();
    let refs: Vec<&Figures> = rows.iter().map(|r| &r.figures).collect();
    let order = rank_with_minimum(&refs, rule.min_sample);
    let mut slots: Vec<Option<Ranked>> = rows.into_iter().map(Some).collect();
    let ranked = order
        .into_iter()
        .filter_map(|(i, standing)| {
            let mut r = slots[i].take()?;
            r.standing = standing;
            Some(r)
        })
        .collect();
    Ok((report.scope, ranked))
}
