//! Administrators keep the routing rules (API and pages): the first
//! enabled rule, by position, that matches a new ticket decides the level
//! of department that receives it.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::routing::{TargetLevel, Urgency};
use crate::storage::catalogue::List;
use crate::storage::routing_rules::{self as store, RoutingRuleFields, RoutingRuleRow};
use crate::storage::{write_transaction, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("invalid rule")]
    Fields(Vec<FieldIssue>),
    #[error("no such rule")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A routing rule: the first enabled rule (by position) that matches a new
/// ticket decides the level of department that receives it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoutingRuleView {
    #[serde(default)]
    pub id: i64,
    /// Lower goes first.
    pub position: i32,
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Match a category (none: any).
    pub category: Option<String>,
    /// Match an urgency: `normal`, `urgent`, `critical`.
    pub urgency: Option<String>,
    /// Match the white list: `any`, `national`, `provincial`.
    pub listed: Option<String>,
    /// Match an industry chain.
    pub chain_code: Option<String>,
    /// Match regions involved beyond the place: `outside_city`, `outside_province`.
    pub reach: Option<String>,
    /// `county`, `city`, `province` or `ministry`.
    pub target_level: String,
    /// A stricter SLA policy to apply.
    pub sla_policy: Option<String>,
    /// Notify the chain platforms of the enterprise's chains.
    #[serde(default)]
    pub notify_chain_platform: bool,
}

fn yes() -> bool {
    true
}

impl From<RoutingRuleRow> for RoutingRuleView {
    fn from(r: RoutingRuleRow) -> Self {
        RoutingRuleView {
            id: r.id,
            position: r.position,
            name: r.name,
            enabled: r.enabled,
            category: r.category,
            urgency: r.urgency,
            listed: r.listed,
            chain_code: r.chain_code,
            reach: r.reach,
            target_level: r.target_level.as_str().to_string(),
            sla_policy: r.sla_policy,
            notify_chain_platform: r.notify_chain_platform,
        }
    }
}

fn fields(v: RoutingRuleView, now: NaiveDateTime) -> Result<RoutingRuleFields, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let name = v.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        issues.push(issue("name", "field.rule_name_length"));
    }
    if v.urgency
        .as_deref()
        .is_some_and(|u| Urgency::parse(u).is_none())
    {
        issues.push(issue("urgency", "field.rule_urgency"));
    }
    if v.listed
        .as_deref()
        .is_some_and(|l| !matches!(l, "any" | "national" | "provincial"))
    {
        issues.push(issue("listed", "field.rule_listed"));
    }
    if v.reach
        .as_deref()
        .is_some_and(|r| !matches!(r, "outside_city" | "outside_province"))
    {
        issues.push(issue("reach", "field.rule_reach"));
    }
    let target_level = TargetLevel::parse(&v.target_level);
    if target_level.is_none() {
        issues.push(issue("target_level", "field.rule_target_level"));
    }
    if let (true, Some(target_level)) = (issues.is_empty(), target_level) {
        Ok(RoutingRuleFields {
            position: v.position,
            name,
            enabled: v.enabled,
            category: v.category,
            urgency: v.urgency,
            listed: v.listed,
            chain_code: v.chain_code,
            reach: v.reach,
            target_level,
            sla_policy: v.sla_policy,
            notify_chain_platform: v.notify_chain_platform,
            updated_at: now,
        })
    } else {
        Err(issues)
    }
}

/// A rule may only pick an SLA policy that exists.
fn policy_exists(
    conn: &mut crate::storage::AnyConnection,
    f: &RoutingRuleFields,
) -> diesel::QueryResult<bool> {
    match &f.sla_policy {
        Some(p) => Ok(crate::storage::sla::PolicyRow::find(conn, p)?.is_some()),
        None => Ok(true),
    }
}

/// Creates a rule (no id) or changes one, at `now` (the app's clock).
pub async fn save(
    db: &Database,
    id: Option<i64>,
    view: RoutingRuleView,
    now: DateTime<Utc>,
) -> Result<RoutingRuleRow, RuleError> {
    let f = fields(view, now.naive_utc()).map_err(RuleError::Fields)?;
    db.run_write(move |conn| {
        write_transaction(conn, |conn| {
            if !policy_exists(conn, &f)? {
                return Ok(Err(RuleError::Fields(vec![issue(
                    "sla_policy",
                    "field.no_such_sla_policy",
                )])));
            }
            if let Some(category) = &f.category {
                let known = crate::storage::catalogue::load(conn, List::Categories)?;
                if known.get(category).is_none() {
                    return Ok(Err(RuleError::Fields(vec![issue(
                        "category",
                        "field.no_such_category",
                    )])));
                }
            }
            if let Some(chain) = &f.chain_code {
                if crate::storage::chains::Chain::find(conn, chain)?.is_none() {
                    return Ok(Err(RuleError::Fields(vec![issue(
                        "chain_code",
                        "field.no_such_chain_code",
                    )])));
                }
            }
            Ok::<_, StorageError>(match id {
                None => Ok(store::create_routing_rule(conn, &f)?),
                Some(id) => store::update_routing_rule(conn, id, &f)?.ok_or(RuleError::NotFound),
            })
        })
    })
    .await?
}

/// Every routing rule, in the order they are tried.
pub async fn all(db: &Database) -> Result<Vec<RoutingRuleRow>, StorageError> {
    db.run(|conn| Ok(store::all_routing_rules(conn)?)).await
}
