//! How daily monitoring's refusals read as problems (RFC 9457).

use super::services::invalid;
use super::{ApiError, ProblemKind};
use crate::services::monitoring::MonitoringError;

impl From<MonitoringError> for ApiError {
    fn from(e: MonitoringError) -> Self {
        match e {
            MonitoringError::NotFound => {
                ApiError::not_found("daily_problem.not_found").typed("monitoring-not-found")
            }
            MonitoringError::NotPermitted(key) => ApiError::new(ProblemKind::Forbidden)
                .with_detail(key)
                .typed("monitoring-not-permitted"),
            MonitoringError::Invalid(issues) => invalid(issues),
            MonitoringError::FutureDay => ApiError::new(ProblemKind::Validation)
                .with_detail("daily_problem.future_day")
                .typed("report-day-ahead"),
            MonitoringError::CorrectionClosed => ApiError::new(ProblemKind::Conflict)
                .with_detail("daily_problem.correction_closed")
                .typed("report-correction-closed"),
            MonitoringError::NameTaken => ApiError::new(ProblemKind::Conflict)
                .with_detail("daily_problem.name_taken")
                .typed("list-name-taken"),
            MonitoringError::OutsideJurisdiction => ApiError::new(ProblemKind::Validation)
                .with_detail("daily_problem.outside_jurisdiction")
                .typed("enterprise-outside-list"),
            MonitoringError::FollowsWhitelist => ApiError::new(ProblemKind::Conflict)
                .with_detail("daily_problem.follows_whitelist")
                .typed("list-follows-whitelist"),
            MonitoringError::Ticket(t) => t.into(),
            MonitoringError::Storage(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_problem_type_is_documented() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md"),
        )
        .unwrap();
        let source = include_str!("monitoring.rs");
        let slugs: Vec<&str> = source
            .match_indices(".typed(\"")
            .filter_map(|(i, m)| source[i + m.len()..].split('"').next())
            .filter(|s| !s.contains('{'))
            .collect();
        assert!(slugs.len() >= 7, "{slugs:?}");
        for slug in slugs {
            assert!(
                docs.contains(&format!("| `{slug}` |")),
                "docs/api.md does not list urn:yizhan:problem:{slug}"
            );
        }
    }
}
