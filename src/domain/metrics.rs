//! The supervisors' numbers (domain spec section 7), defined in one place.
//!
//! Storage keeps one [`TicketRecord`] per ticket, written in the same
//! transaction as the ticket's own changes. A [`Tally`] adds records up for
//! a period (per group, in any grouping), and [`Figures`] are what a tally
//! means: counts, the rates with their numerators and denominators, times
//! in working hours, and the score. A rate whose denominator is empty is
//! `None` ("no data"), never 0 or 1.

use chrono::{DateTime, Utc};
use serde::Serialize;

pub mod daily;
pub mod history;

pub use crate::domain::ticket::Satisfaction;

/// What the metrics need to know about one ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketRecord {
    pub filed_at: DateTime<Utc>,
    /// The deadline of the ticket's first sign-for window.
    pub first_sign_due: Option<DateTime<Utc>>,
    /// When it was first signed for.
    pub first_signed_at: Option<DateTime<Utc>>,
    /// When its first sign-for window was answered: signed for, or sent on
    /// (transferred, escalated, returned, taken over), or rejected. The
    /// response rate holds this to the first sign-for deadline.
    pub responded_at: Option<DateTime<Utc>>,
    /// When it ended without a resolution (withdrawn or rejected): a
    /// deadline that was still ahead then leaves its denominator.
    pub ended_at: Option<DateTime<Utc>>,
    /// The deadline its first resolution was held to: the resolve deadline
    /// as pauses and approved extensions moved it, up to that resolution.
    pub resolve_due: Option<DateTime<Utc>>,
    pub first_resolved_at: Option<DateTime<Utc>>,
    /// The rating that stands (the last one, unless a reopening took it
    /// back) and when it was given: the final satisfaction.
    pub rated_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<Satisfaction>,
    pub solved: Option<bool>,
    /// Every rating the enterprise gave, oldest first, including ones a
    /// reopening superseded: 满意率 and 解决率 count each of them.
    pub ratings: Vec<GivenRating>,
    /// Times the ticket was routed to a department (filing, transfer,
    /// escalation, return, take-over), and of those, returns.
    pub routings: u32,
    pub returns: u32,
    /// Reopened after a resolution at least once.
    pub reopened: bool,
    /// Filed within 30 days of an earlier ticket of the same enterprise and category.
    pub repeat: bool,
    pub open: bool,
    pub overdue: bool,
    /// Working minutes from filing to the first sign-for, and to the first resolution.
    pub sign_minutes: Option<i64>,
    pub resolve_minutes: Option<i64>,
}

/// One rating as the enterprise gave it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GivenRating {
    pub at: DateTime<Utc>,
    pub satisfaction: Satisfaction,
    pub solved: bool,
}

impl GivenRating {
    pub fn satisfied(&self) -> bool {
        self.satisfaction != Satisfaction::Dissatisfied
    }
}

/// The period asked about: `[from, to)`, seen at `now`.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

impl Period {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }
}

/// Age buckets of open tickets, in calendar days since filing.
pub const BACKLOG_BUCKETS: [(&str, i64); 4] = [
    ("under_1d", 1),
    ("1d_3d", 3),
    ("3d_7d", 7),
    ("over_7d", i64::MAX),
];

/// Records added up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub received: u64,
    pub sign_due: u64,
    pub signed_on_time: u64,
    pub resolve_due: u64,
    pub resolved_on_time: u64,
    pub rated: u64,
    pub solved: u64,
    pub satisfied: u64,
    /// Tickets whose standing rating was given in the period, and of those
    /// satisfied (最终满意率).
    pub final_rated: u64,
    pub final_satisfied: u64,
    pub routings: u64,
    pub returns: u64,
    pub resolved: u64,
    pub reopened: u64,
    pub repeats: u64,
    pub open: u64,
    pub overdue_open: u64,
    pub backlog: [u64; 4],
    pub sign_minutes: Vec<i64>,
    pub resolve_minutes: Vec<i64>,
}

impl Tally {
    /// Adds what `r` contributes to `period`.
    pub fn add(&mut self, r: &TicketRecord, period: &Period) {
        add_to(std::slice::from_mut(self), r, period, |at| {
            period.contains(at).then_some(0)
        });
    }

    /// A co-handling opinion due in the period counts in its department's
    /// response: answered by its deadline is on time.
    pub fn add_cohandling(
        &mut self,
        due: DateTime<Utc>,
        answered: Option<DateTime<Utc>>,
        period: &Period,
    ) {
        if period.contains(due) {
            self.sign_due += 1;
            if answered.is_some_and(|a| a <= due) {
                self.signed_on_time += 1;
            }
        }
    }

    /// A sign-for window the department held, due in the period: counted
    /// as the ticket's first window is (once passed or answered; not when
    /// the ticket ended before it undone).
    pub fn add_sign_window(
        &mut self,
        due: DateTime<Utc>,
        answered: Option<DateTime<Utc>>,
        ended: Option<DateTime<Utc>>,
        period: &Period,
    ) {
        if period.contains(due)
            && !left_before(due, answered, ended)
            && (answered.is_some() || due <= period.now)
        {
            self.sign_due += 1;
            self.signed_on_time += u64::from(answered.is_some_and(|a| a <= due));
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.received += other.received;
        self.sign_due += other.sign_due;
        self.signed_on_time += other.signed_on_time;
        self.resolve_due += other.resolve_due;
        self.resolved_on_time += other.resolved_on_time;
        self.rated += other.rated;
        self.solved += other.solved;
        self.satisfied += other.satisfied;
        self.final_rated += other.final_rated;
        self.final_satisfied += other.final_satisfied;
        self.routings += other.routings;
        self.returns += other.returns;
        self.resolved += other.resolved;
        self.reopened += other.reopened;
        self.repeats += other.repeats;
        self.open += other.open;
        self.overdue_open += other.overdue_open;
        for (a, b) in self.backlog.iter_mut().zip(other.backlog) {
            *a += b;
        }
        self.sign_minutes.extend(&other.sign_minutes);
        self.resolve_minutes.extend(&other.resolve_minutes);
    }

    pub fn figures(&self, weights: &ScoreWeights) -> Figures {
        // The rates are defined once, on summable counts (daily::Counts).
        let backlog = daily::Backlog {
            open: self.open,
            overdue_open: self.overdue_open,
            buckets: self.backlog,
        };
        let f = daily::Counts::of(self).figures(&backlog, weights);
        Figures {
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
            time_to_sign: Durations::of(&self.sign_minutes),
            time_to_resolve: Durations::of(&self.resolve_minutes),
            open: f.open,
            overdue_open: f.overdue_open,
            backlog: BACKLOG_BUCKETS
                .iter()
                .zip(self.backlog)
                .map(|((name, _), n)| Bucket {
                    age: name,
                    tickets: n,
                })
                .collect(),
            score: f.score,
        }
    }
}

/// Adds what `r` contributes to `period` to the tally of the bucket each
/// contribution's instant falls in (`bucket` answers None outside the
/// period): one bucket for a total, one per day for a trend. Open tickets
/// count in the last bucket, as they stand at `period.now`.
/// Whether a deadline leaves its denominator: the ticket ended (withdrawn,
/// or rejected) before it, with the step not done.
pub fn left_before(
    due: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
) -> bool {
    done.is_none() && ended.is_some_and(|e| e < due)
}

pub fn add_to(
    tallies: &mut [Tally],
    r: &TicketRecord,
    period: &Period,
    bucket: impl Fn(DateTime<Utc>) -> Option<usize>,
) {
    if let Some(b) = bucket(r.filed_at) {
        let t = &mut tallies[b];
        t.received += 1;
        t.routings += u64::from(r.routings);
        t.returns += u64::from(r.returns);
        t.repeats += u64::from(r.repeat);
    }
    // A deadline counts once it has passed, or earlier when the step was
    // already done; never when the ticket ended before it undone.
    if let Some(due) = r.first_sign_due {
        let done = r.responded_at;
        if let Some(b) = bucket(due).filter(|_| {
            !left_before(due, done, r.ended_at) && (done.is_some() || due <= period.now)
        }) {
            tallies[b].sign_due += 1;
            tallies[b].signed_on_time += u64::from(done.is_some_and(|s| s <= due));
        }
    }
    if let Some(due) = r.resolve_due {
        let done = r.first_resolved_at;
        if let Some(b) = bucket(due).filter(|_| {
            !left_before(due, done, r.ended_at) && (done.is_some() || due <= period.now)
        }) {
            tallies[b].resolve_due += 1;
            tallies[b].resolved_on_time += u64::from(done.is_some_and(|s| s <= due));
        }
    }
    if let Some(b) = r.first_signed_at.and_then(&bucket) {
        tallies[b].sign_minutes.extend(r.sign_minutes);
    }
    if let Some(b) = r.first_resolved_at.and_then(&bucket) {
        let t = &mut tallies[b];
        t.resolved += 1;
        t.reopened += u64::from(r.reopened);
        t.resolve_minutes.extend(r.resolve_minutes);
    }
    for g in &r.ratings {
        if let Some(b) = bucket(g.at) {
            let t = &mut tallies[b];
            t.rated += 1;
            t.solved += u64::from(g.solved);
            t.satisfied += u64::from(g.satisfied());
        }
    }
    if let (Some(b), Some(s)) = (r.rated_at.and_then(&bucket), r.satisfaction) {
        let t = &mut tallies[b];
        t.final_rated += 1;
        t.final_satisfied += u64::from(s != Satisfaction::Dissatisfied);
    }
    if r.open && r.filed_at < period.to {
        let Some(t) = tallies.last_mut() else {
            return;
        };
        t.open += 1;
        t.overdue_open += u64::from(r.overdue);
        let days = (period.now - r.filed_at).num_days();
        let b = BACKLOG_BUCKETS
            .iter()
            .position(|(_, under)| days < *under)
            .unwrap_or(BACKLOG_BUCKETS.len() - 1);
        t.backlog[b] += 1;
    }
}

/// A rate with what it was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rate {
    /// Between 0 and 1; null when the denominator is 0 ("no data").
    pub value: Option<f64>,
    pub numerator: u64,
    pub denominator: u64,
}

impl Rate {
    pub fn of(numerator: u64, denominator: u64) -> Rate {
        Rate {
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
            numerator,
            denominator,
        }
    }
}

/// Mean, median and 90th percentile, in working hours.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Durations {
    pub tickets: u64,
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

impl Durations {
    pub fn of(minutes: &[i64]) -> Durations {
        let mut sorted = minutes.to_vec();
        sorted.sort_unstable();
        // Nearest rank: the smallest value at or above the share asked for.
        let rank = |q: f64| {
            let n = sorted.len();
            (n > 0).then(|| sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1] as f64 / 60.0)
        };
        Durations {
            tickets: sorted.len() as u64,
            mean_hours: (!sorted.is_empty())
                .then(|| sorted.iter().sum::<i64>() as f64 / sorted.len() as f64 / 60.0),
            median_hours: rank(0.5),
            p90_hours: rank(0.9),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub age: &'static str,
    pub tickets: u64,
}

/// Everything section 7 asks about one group.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Tickets filed (受理量).
    pub received: u64,
    /// Signed for on time / tickets whose sign-for deadline fell in the period (响应率).
    pub response: Rate,
    /// Resolved by the (extended) deadline / tickets whose resolve deadline fell in the period (按时办结率).
    pub on_time_resolution: Rate,
    /// Ratings saying solved / ratings given, every one (解决率).
    pub resolution: Rate,
    /// Satisfied or basically satisfied / ratings given in the period,
    /// every one of them, also those a reopening superseded (满意率).
    pub satisfaction: Rate,
    /// The same over each ticket's standing rating, counted in the period it
    /// was given (最终满意率).
    pub final_satisfaction: Rate,
    /// Returns / routings (回退率).
    pub returns: Rate,
    /// Reopened / resolved (重办率).
    pub reopens: Rate,
    /// Repeat filings / received (重复诉求率).
    pub repeats: Rate,
    /// First resolutions in the period.
    pub resolved: u64,
    pub time_to_sign: Durations,
    pub time_to_resolve: Durations,
    /// Open tickets now (积压), of them overdue, and by age.
    pub open: u64,
    pub overdue_open: u64,
    pub backlog: Vec<Bucket>,
    /// Weighted response, resolution and satisfaction, 0-100 (综合得分);
    /// null unless all three have data.
    pub score: Option<f64>,
}

/// The score's weights; they need not add up to 1 (they are normalised).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreWeights {
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            response: 0.30,
            resolution: 0.35,
            satisfaction: 0.35,
        }
    }
}

impl ScoreWeights {
    pub fn score(
        &self,
        response: Option<f64>,
        resolution: Option<f64>,
        satisfaction: Option<f64>,
    ) -> Option<f64> {
        let total = self.response + self.resolution + self.satisfaction;
        if total <= 0.0 {
            return None;
        }
        let sum = self.response * response?
            + self.resolution * resolution?
            + self.satisfaction * satisfaction?;
        Some(100.0 * sum / total)
    }
}

/// Ranks figures by score, best first: returns the order (indices into
/// `figures`) and each position's rank. Equal scores share a rank (1, 2, 2,
/// 4); ties are broken by the response rate, then by tickets received, then
/// by the input order. Figures without a score come last, unranked.
pub fn rank_by_score(figures: &[&Figures]) -> Vec<(usize, Option<u32>)> {
    let key = |f: &Figures| (f.score, f.response.value, f.received);
    let mut order: Vec<usize> = (0..figures.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (key(figures[a]), key(figures[b]));
        // None sorts below any value; higher first.
        fb.0.partial_cmp(&fa.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(fb.1.partial_cmp(&fa.1).unwrap_or(std::cmp::Ordering::Equal))
            .then(fb.2.cmp(&fa.2))
            .then(a.cmp(&b))
    });
    let mut ranked = Vec::with_capacity(order.len());
    let mut last: Option<(f64, u32)> = None;
    for (position, i) in order.into_iter().enumerate() {
        let rank = figures[i].score.map(|s| match last {
            Some((prev, r)) if prev == s => r,
            _ => {
                let r = position as u32 + 1;
                last = Some((s, r));
                r
            }
        });
        ranked.push((i, rank));
    }
    ranked
}

/// Where a group stands in a ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Ranked: 1 for the best score; equal scores share a rank.
    Ranked(u32),
    /// Fewer sign-for deadlines due or ratings given than the minimum
    /// (样本不足): listed after the ranked ones, unranked.
    InsufficientSample,
    /// Nothing due, rated or received in the period (无数据): listed last.
    NoData,
}

impl Standing {
    pub fn rank(self) -> Option<u32> {
        match self {
            Standing::Ranked(r) => Some(r),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Ranked(_) => "ranked",
            Standing::InsufficientSample => "insufficient_sample",
            Standing::NoData => "no_data",
        }
    }
}

impl Figures {
    /// The sample a score rests on: the fewer of the sign-for deadlines due
    /// (response) and the ratings given (resolution, satisfaction).
    pub fn sample(&self) -> u64 {
        self.response.denominator.min(self.satisfaction.denominator)
    }

    fn is_empty(&self) -> bool {
        self.received == 0
            && self.response.denominator == 0
            && self.on_time_resolution.denominator == 0
            && self.satisfaction.denominator == 0
    }
}

/// Whether a group with this score and sample takes a place in a ranking
/// (the rest are 样本不足): one rule for the rankings and the dashboard's chart.
pub fn ranks(score: Option<f64>, sample: u64, min_sample: u64) -> bool {
    score.is_some() && sample >= min_sample.max(1)
}

/// Ranks groups as a 通报 may: by score among those whose sample reaches
/// `min_sample`; then the others (样本不足) by score, unranked; then those
/// without any data. Returns the order (indices into `figures`) with each
/// position's standing.
pub fn rank_with_minimum(figures: &[&Figures], min_sample: u64) -> Vec<(usize, Standing)> {
    let (mut ranked, mut short, mut empty) = (Vec::new(), Vec::new(), Vec::new());
    for (i, f) in figures.iter().enumerate() {
        if f.is_empty() {
            empty.push(i);
        } else if ranks(f.score, f.sample(), min_sample) {
            ranked.push(i);
        } else {
            short.push(i);
        }
    }
    let pick = |ids: &[usize]| -> Vec<&Figures> { ids.iter().map(|&i| figures[i]).collect() };
    let mut out: Vec<(usize, Standing)> = rank_by_score(&pick(&ranked))
        .into_iter()
        .map(|(j, rank)| {
            (
                ranked[j],
                rank.map_or(Standing::InsufficientSample, Standing::Ranked),
            )
        })
        .collect();
    out.extend(
        rank_by_score(&pick(&short))
            .into_iter()
            .map(|(j, _)| (short[j], Standing::InsufficientSample)),
    );
    out.extend(empty.into_iter().map(|i| (i, Standing::NoData)));
    out
}

#[cfg(test)]
mod tests;
