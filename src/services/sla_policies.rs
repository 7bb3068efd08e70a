//! SLA policies as administrators keep them, through the API or the pages.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::{self, CalendarError};
use super::sla::Sla;
use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::sla::{Policy, Target, Unit};
use crate::storage::Database;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("invalid policy")]
    Fields(Vec<FieldIssue>),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// An SLA policy: targets for signing for and resolving, warning share, escalation interval.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyView {
    /// `normal`, `urgent` and `critical` apply by urgency; other names are
    /// picked by routing rules.
    #[serde(default)]
    pub name: String,
    pub sign_for: TargetView,
    pub resolve: TargetView,
    /// Warn when this percentage of a window has elapsed.
    pub warning_percent: i32,
    /// Overdue working days per escalation step up the tree.
    pub escalation_working_days: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TargetView {
    pub value: i64,
    /// `clock_minutes`, `working_minutes` or `working_days`.
    pub unit: String,
}

impl From<Policy> for PolicyView {
    fn from(p: Policy) -> Self {
        let t = |t: Target| TargetView {
            value: t.value,
            unit: t.unit.as_str().into(),
        };
        PolicyView {
            name: p.name,
            sign_for: t(p.sign),
            resolve: t(p.resolve),
            warning_percent: p.warning_percent,
            escalation_working_days: p.escalation_working_days,
        }
    }
}

/// Creates or replaces a policy; true when it was created. Deadlines
/// already set stay; windows opened from now on use the new targets.
pub async fn save(
    db: &Database,
    sla: &Sla,
    name: String,
    b: PolicyView,
) -> Result<(bool, Policy), PolicyError> {
    let mut bad = Vec::new();
    let mut unit = |field: &'static str, u: &str| {
        Unit::parse(u).unwrap_or_else(|| {
            bad.push(issue(field, "field.sla_unit"));
            Unit::WorkingDays
        })
    };
    let policy = Policy {
        name,
        sign: Target {
            value: b.sign_for.value,
            unit: unit("sign_for.unit", &b.sign_for.unit),
        },
        resolve: Target {
            value: b.resolve.value,
            unit: unit("resolve.unit", &b.resolve.unit),
        },
        warning_percent: b.warning_percent,
        escalation_working_days: b.escalation_working_days,
    };
    if !bad.is_empty() {
        return Err(PolicyError::Fields(bad));
    }
    let created = calendar::put_policy(db, sla, policy.clone()).await?;
    Ok((created, policy))
}
