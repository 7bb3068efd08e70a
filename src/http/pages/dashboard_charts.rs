//! The dashboard's charts, drawn twice (wide for a screen, narrow for a
//! phone): the trend of the three rates and the ranking of the regions
//! below.

use chrono::NaiveDate;

use super::dashboard::percent;
use super::svg::{rate_lines, score_bars, Series, Size};
use super::{fill, AppState, Chrome};
use crate::domain::metrics::daily::DayFigures;
use crate::domain::metrics::Rate;

/// The trend, wide and narrow: the three rates by day (non-working days of
/// the work calendar as gaps) or by week, each point's values on hover.
pub(super) fn trend_charts(
    c: &Chrome,
    d: &crate::services::dashboard::Dashboard,
    weekly: bool,
    calendar: &crate::domain::calendar::WorkCalendar,
) -> (String, String) {
    let points: Vec<String> = d.trend.iter().map(|r| r.name.clone()).collect();
    let gaps: Vec<bool> = d
        .trend
        .iter()
        .map(|r| {
            !weekly
                && NaiveDate::parse_from_str(&r.key, "%Y-%m-%d")
                    .is_ok_and(|day| !calendar.is_working_day(day))
        })
        .collect();
    let series = |name: &'static str, colour, pick: fn(&DayFigures) -> Rate| Series {
        name,
        colour,
        values: d.trend.iter().map(|r| pick(&r.figures).value).collect(),
        tips: d
            .trend
            .iter()
            .map(|r| {
                let rate = pick(&r.figures);
                let (open, close) = if c.en { (" (", ")") } else { ("（", "）") };
                format!(
                    "{} {name} {}{open}{}/{}{close}",
                    r.name,
                    percent(&rate, c.en),
                    rate.numerator,
                    rate.denominator
                )
            })
            .collect(),
    };
    let lines = [
        series(c.t("common.response"), "#1f4e8c", |f| f.response),
        series(c.t("common.resolution"), "#1d6b38", |f| f.resolution),
        series(c.t("common.satisfaction"), "#b4232a", |f| f.satisfaction),
    ];
    let title = c.t(if weekly {
        "desk_dashboard.three_rates_week"
    } else {
        "supervise.three_rates_day"
    });
    (
        rate_lines(title, &points, &gaps, &lines, Size::Wide),
        rate_lines(title, &points, &gaps, &lines, Size::Narrow),
    )
}

/// The regions below ranked by score, as the 地区排名 ranks: only regions
/// whose sample reaches the minimum; and a note on those left out.
pub(super) fn ranking_charts(
    c: &Chrome,
    state: &AppState,
    d: &crate::services::dashboard::Dashboard,
) -> (String, String, String, u64) {
    let min_sample = state.settings.metrics.ranking_min_sample.max(1);
    let (enough, short): (Vec<_>, Vec<_>) = d
        .regions
        .iter()
        .filter(|r| r.figures.received > 0 || r.figures.response.denominator > 0)
        .partition(|r| {
            let f = &r.figures;
            let sample = f.response.denominator.min(f.satisfaction.denominator);
            crate::domain::metrics::ranks(f.score, sample, min_sample)
        });
    let mut ranked: Vec<(String, Option<f64>)> = enough
        .iter()
        .map(|r| (r.name.clone(), r.figures.score))
        .collect();
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    ranked.truncate(20);
    let note = if short.is_empty() {
        String::new()
    } else {
        fill(
            c.lang(),
            "supervise.too_few_to_rank",
            &[("n", &short.len()), ("min", &min_sample)],
        )
    };
    let title = c.t("supervise.regions_below_score");
    (
        score_bars(title, &ranked, Size::Wide),
        score_bars(title, &ranked, Size::Narrow),
        note,
        min_sample,
    )
}
