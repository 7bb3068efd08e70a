//! The rates of daily monitoring ("三率一度"), defined in one place and
//! computed from summed daily figures ([`DayCounts`]) and the number of
//! enterprises listed. `docs/monitoring.md` says the same in words.
//!
//! Over a period the rates count enterprise-days: the days counted are
//! the working days of the period (those reports are expected on; a
//! single day counts whatever it is), each listed enterprise once a day.

use std::collections::BTreeMap;

use serde::Serialize;

use super::tally::DayCounts;
use crate::domain::metrics::Rate;

/// A scope's numbers on a day or over a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = MonitoringFigures)]
pub struct Figures {
    /// Enterprises of the list in the scope.
    pub listed: u64,
    /// Days counted (working days of a period; 1 for a day).
    pub days: u64,
    /// Reports expected: listed × days.
    pub expected: u64,
    pub reported: u64,
    /// Expected reports that did not come (the non-reporters).
    pub not_reported: u64,
    pub running: u64,
    pub partial: u64,
    pub stopped: u64,
    pub not_resumed: u64,
    /// Reports filed after the correction cut-off.
    pub late: u64,
    pub blockers: u64,
    /// 报送率: reported / expected.
    pub reporting_rate: Rate,
    /// 复工率: running or partly running / expected; non-reporters stay
    /// in the denominator.
    pub back_to_work_rate: Rate,
    /// 返岗率: Σ staff on duty / Σ usual staff, of the reporters.
    pub worker_return_rate: Rate,
    /// 产能利用率 (%), the reporters' mean weighted by usual staff; null
    /// without reports.
    pub capacity_utilisation: Option<f64>,
    pub staff_on_duty: u64,
    pub staff_usual: u64,
}

fn non_negative(n: i64) -> u64 {
    n.max(0) as u64
}

/// The figures of `listed` enterprises over `days` days whose reports add
/// up to `sum`. Reports beyond what is expected (of enterprises listed
/// since, or on days not counted) cannot raise a rate above one: the
/// numerators are capped at the denominator.
pub fn figures(listed: u64, days: u64, sum: &DayCounts) -> Figures {
    let expected = listed * days;
    let reported = non_negative(sum.reported).min(expected);
    let back = non_negative(sum.running + sum.partial).min(reported);
    let on_duty = non_negative(sum.staff_on_duty);
    let usual = non_negative(sum.staff_usual);
    Figures {
        listed,
        days,
        expected,
        reported,
        not_reported: expected - reported,
        running: non_negative(sum.running),
        partial: non_negative(sum.partial),
        stopped: non_negative(sum.stopped),
        not_resumed: non_negative(sum.not_resumed),
        late: non_negative(sum.late),
        blockers: non_negative(sum.blockers),
        reporting_rate: Rate::of(reported, expected),
        back_to_work_rate: Rate::of(back, expected),
        worker_return_rate: Rate::of(on_duty.min(usual), usual),
        capacity_utilisation: (usual > 0).then(|| sum.capacity_weighted as f64 / usual as f64),
        staff_on_duty: on_duty,
        staff_usual: usual,
    }
}

/// One unit's output over a period and the period compared with it (by
/// default the period of equal length just before).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Output {
    /// As reported: 辆, 片, 万只, ...
    pub unit: String,
    pub total: f64,
    /// The total over the period's calendar days.
    pub per_day: f64,
    pub previous_total: f64,
    /// The compared period's total over its calendar days.
    pub previous_per_day: f64,
    /// per_day / previous_per_day - 1 (with periods of equal length, the
    /// totals' ratio); null when nothing was made before.
    pub change: Option<f64>,
}

/// Output summed per unit (thousandths) over `days` calendar days, against
/// the compared period of `previous_days` calendar days: daily averages
/// are compared, so periods of different lengths compare fairly.
pub fn output(
    current: &BTreeMap<String, i64>,
    previous: &BTreeMap<String, i64>,
    days: u64,
    previous_days: u64,
) -> Vec<Output> {
    let days = days.max(1) as f64;
    let previous_days = previous_days.max(1) as f64;
    let mut units: Vec<&String> = current.keys().chain(previous.keys()).collect();
    units.sort();
    units.dedup();
    units
        .into_iter()
        .filter(|u| !u.is_empty())
        .map(|unit| {
            let now = *current.get(unit).unwrap_or(&0) as f64 / 1000.0;
            let before = *previous.get(unit).unwrap_or(&0) as f64 / 1000.0;
            Output {
                unit: unit.clone(),
                total: now,
                per_day: now / days,
                previous_total: before,
                previous_per_day: before / previous_days,
                change: (before > 0.0).then(|| (now / days) / (before / previous_days) - 1.0),
            }
        })
        .filter(|o| o.total > 0.0 || o.previous_total > 0.0)
        .collect()
}

/// A rate as the board says it: one decimal of a percent (86.8).
pub fn percent_one_decimal(rate: Option<f64>) -> Option<f64> {
    rate.map(|r| (r * 1000.0).round() / 10.0)
}
