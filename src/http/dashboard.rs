//! The supervisors' dashboard: `GET /api/v1/metrics/dashboard`.

use actix_web::{get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::Authenticated;
use super::problem::invalid;
use super::problem::{ApiError, Problem};
use super::views::metrics::ScopeView;
use super::AppState;
use crate::domain::enterprise::issue;
use crate::domain::metrics::daily::DayFigures;
use crate::services::dashboard::{dashboard, DashboardQuery, Row};
use crate::services::metrics::{parse, MetricsParams};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// First day, Beijing time (`2022-04-01`); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// Drill down to a region inside the caller's jurisdiction.
    pub region: Option<String>,
    /// Days of the daily trend, ending with `to` (1-366; default 90).
    pub trend_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardRow {
    pub key: String,
    pub name: String,
    pub figures: DayFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scope: ScopeView,
    pub total: DayFigures,
    /// First resolutions up to `to`, all time (what milestones measure).
    pub resolved_to_date: u64,
    /// The period by child region of the scope (provinces for the ministry,
    /// cities for a province, counties for a city or a municipality).
    pub regions: Vec<DashboardRow>,
    /// Day by day over the trend's days; open tickets count on the last.
    pub trend: Vec<DashboardRow>,
}

/// What a supervisor's dashboard shows: the response, resolution and
/// satisfaction rates (and on-time resolution, returns, reopens, repeats,
/// mean times, backlog and score) for the jurisdiction, by child region,
/// and a daily trend. The same numbers as `GET /api/v1/metrics`, from
/// daily totals, so it stays fast at millions of tickets.
#[utoipa::path(
    tag = "metrics",
    security(("bearer" = [])),
    params(DashboardParams),
    responses(
        (status = 200, body = DashboardView),
        (status = 404, description = "The caller is not a supervisor or lead, or the region is outside their jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad dates, region or trend length", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics/dashboard")]
pub async fn get_dashboard(
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<DashboardParams>,
) -> Result<web::Json<DashboardView>, ApiError> {
    let now = state.sla.now();
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let p = params.into_inner();
    let q = parse(
        &MetricsParams {
            from: p.from,
            to: p.to,
            group_by: None,
            region: p.region,
            chain: None,
            whitelisted: None,
        },
        today,
    );
    let trend_days = p.trend_days.unwrap_or(90);
    let q = match (q, (1..=366).contains(&trend_days)) {
        (Ok(q), true) => q,
        (q, good_trend) => {
            let mut errors = q.err().unwrap_or_default();
            if !good_trend {
                errors.push(issue("trend_days", "field.trend_days"));
            }
            return Err(invalid(errors));
        }
    };
    let (from, to) = (q.from, q.to);
    let d = dashboard(
        &state.db,
        &who.caller,
        DashboardQuery {
            from,
            to,
            trend_days,
            region: q.region,
            weekly: false,
        },
        now,
        state.settings.metrics.weights(),
    )
    .await
    .map_err(ApiError::from)?;
    let rows = |rows: Vec<Row>| {
        rows.into_iter()
            .map(|r| DashboardRow {
                key: r.key,
                name: r.name,
                figures: r.figures,
            })
            .collect()
    };
    Ok(web::Json(DashboardView {
        from,
        to,
        scope: ScopeView::of(d.scope),
        total: d.total,
        resolved_to_date: d.resolved_to_date,
        regions: rows(d.regions),
        trend: rows(d.trend),
    }))
}
