//! Daily totals: the summable part of the metrics, kept per region and
//! Beijing day, so that a dashboard adds up days instead of tickets.
//!
//! A record's contributions split in two:
//! - *settled*: what the passing of time can no longer change: everything
//!   a finished ticket contributes, and what an open ticket has done. A
//!   finished ticket's undone deadline counts as missed on its day, unless
//!   the ticket ended (withdrawn, rejected) before it: then it counts nowhere;
//! - *live*: an open ticket's undone deadlines (they count once passed) and
//!   the backlog.
//!
//! A period's numbers are the settled counts of its days, plus the live
//! part of the open tickets, minus the undone deadlines of finished tickets
//! that have not passed yet (counted as missed too early). The tests check
//! that this equals [`Tally::add`] for any record, period and moment.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Period, Rate, Satisfaction, ScoreWeights, Tally, TicketRecord, BACKLOG_BUCKETS};

/// Summable counts (signed, so that a change is a difference of two).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub received: i64,
    pub routings: i64,
    pub returns: i64,
    pub repeats: i64,
    pub sign_due: i64,
    pub signed_on_time: i64,
    pub resolve_due: i64,
    pub resolved_on_time: i64,
    /// First sign-fors with a working time, and the minutes of those.
    pub signed: i64,
    pub sign_minutes: i64,
    pub resolved: i64,
    pub reopened: i64,
    /// First resolutions with a working time, and the minutes of those.
    pub resolved_timed: i64,
    pub resolve_minutes: i64,
    pub rated: i64,
    pub solved: i64,
    pub satisfied: i64,
    pub final_rated: i64,
    pub final_satisfied: i64,
}

macro_rules! each_count {
    ($m:ident) => {
        $m!(
            received,
            routings,
            returns,
            repeats,
            sign_due,
            signed_on_time,
            resolve_due,
            resolved_on_time,
            signed,
            sign_minutes,
            resolved,
            reopened,
            resolved_timed,
            resolve_minutes,
            rated,
            solved,
            satisfied,
            final_rated,
            final_satisfied
        )
    };
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        macro_rules! add {
            ($($f:ident),*) => { $(self.$f += o.$f;)* };
        }
        each_count!(add);
    }

    pub fn sub(&mut self, o: &Counts) {
        macro_rules! sub {
            ($($f:ident),*) => { $(self.$f -= o.$f;)* };
        }
        each_count!(sub);
    }

    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }

    /// The counts in their fixed order (`FIELDS`), for a compact encoding.
    pub fn fields(&self) -> [i64; Counts::FIELDS] {
        macro_rules! list {
            ($($f:ident),*) => { [$(self.$f),*] };
        }
        each_count!(list)
    }

    /// The counts from [`Counts::fields`]' order.
    pub fn from_fields(v: [i64; Counts::FIELDS]) -> Counts {
        let mut it = v.into_iter();
        let mut c = Counts::default();
        macro_rules! fill {
            ($($f:ident),*) => { $(c.$f = it.next().unwrap_or(0);)* };
        }
        each_count!(fill);
        c
    }

    pub const FIELDS: usize = 19;

    /// The counts of a tally (durations as sums).
    pub fn of(t: &Tally) -> Counts {
        let n = |v: u64| v as i64;
        Counts {
            received: n(t.received),
            routings: n(t.routings),
            returns: n(t.returns),
            repeats: n(t.repeats),
            sign_due: n(t.sign_due),
            signed_on_time: n(t.signed_on_time),
            resolve_due: n(t.resolve_due),
            resolved_on_time: n(t.resolved_on_time),
            signed: t.sign_minutes.len() as i64,
            sign_minutes: t.sign_minutes.iter().sum(),
            resolved: n(t.resolved),
            reopened: n(t.reopened),
            resolved_timed: t.resolve_minutes.len() as i64,
            resolve_minutes: t.resolve_minutes.iter().sum(),
            rated: n(t.rated),
            solved: n(t.solved),
            satisfied: n(t.satisfied),
            final_rated: n(t.final_rated),
            final_satisfied: n(t.final_satisfied),
        }
    }
}

/// What an open ticket adds as it stands: open, overdue, age bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    pub open: u64,
    pub overdue_open: u64,
    pub buckets: [u64; 4],
}

/// The settled contributions of a record, each at its instant.
pub fn settled(r: &TicketRecord) -> Vec<(DateTime<Utc>, Counts)> {
    let mut out = vec![(
        r.filed_at,
        Counts {
            received: 1,
            routings: i64::from(r.routings),
            returns: i64::from(r.returns),
            repeats: i64::from(r.repeat),
            ..Counts::default()
        },
    )];
    if let Some(due) = r.first_sign_due {
        if (r.responded_at.is_some() || !r.open)
            && !super::left_before(due, r.responded_at, r.ended_at)
        {
            out.push((
                due,
                Counts {
                    sign_due: 1,
                    signed_on_time: i64::from(r.responded_at.is_some_and(|s| s <= due)),
                    ..Counts::default()
                },
            ));
        }
    }
    if let Some(due) = r.resolve_due {
        if (r.first_resolved_at.is_some() || !r.open)
            && !super::left_before(due, r.first_resolved_at, r.ended_at)
        {
            out.push((
                due,
                Counts {
                    resolve_due: 1,
                    resolved_on_time: i64::from(r.first_resolved_at.is_some_and(|s| s <= due)),
                    ..Counts::default()
                },
            ));
        }
    }
    if let Some(at) = r.first_signed_at {
        out.push((
            at,
            Counts {
                signed: i64::from(r.sign_minutes.is_some()),
                sign_minutes: r.sign_minutes.unwrap_or(0),
                ..Counts::default()
            },
        ));
    }
    if let Some(at) = r.first_resolved_at {
        out.push((
            at,
            Counts {
                resolved: 1,
                reopened: i64::from(r.reopened),
                resolved_timed: i64::from(r.resolve_minutes.is_some()),
                resolve_minutes: r.resolve_minutes.unwrap_or(0),
                ..Counts::default()
            },
        ));
    }
    for g in &r.ratings {
        out.push((
            g.at,
            Counts {
                rated: 1,
                solved: i64::from(g.solved),
                satisfied: i64::from(g.satisfied()),
                ..Counts::default()
            },
        ));
    }
    if let (Some(at), Some(s)) = (r.rated_at, r.satisfaction) {
        out.push((
            at,
            Counts {
                final_rated: 1,
                final_satisfied: i64::from(s != Satisfaction::Dissatisfied),
                ..Counts::default()
            },
        ));
    }
    out.retain(|(_, c)| !c.is_zero());
    out
}

/// The record's undone deadlines whose count differs from the settled
/// one at `now`: +1 where an open ticket has let one pass (settled counts
/// skip open tickets' undone deadlines), -1 where a finished ticket's has
/// not passed yet (settled counts took it as missed already). Each at the
/// deadline's instant.
pub fn undone(r: &TicketRecord, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, Counts)> {
    let mut out = Vec::new();
    let undone = [
        (r.first_sign_due, r.responded_at.is_none(), true),
        (r.resolve_due, r.first_resolved_at.is_none(), false),
    ];
    for (due, not_done, sign) in undone {
        let Some(due) = due.filter(|_| not_done) else {
            continue;
        };
        // Ended before it: in no count, settled or not.
        if super::left_before(due, None, r.ended_at) {
            continue;
        }
        let n = match (r.open, due <= now) {
            (true, true) => 1,
            (false, false) => -1,
            _ => continue,
        };
        let mut c = Counts::default();
        if sign {
            c.sign_due = n;
        } else {
            c.resolve_due = n;
        }
        out.push((due, c));
    }
    out
}

/// An open record's place in the backlog at `period.now`.
pub fn backlog(r: &TicketRecord, period: &Period) -> Backlog {
    let mut b = Backlog::default();
    if r.open && r.filed_at < period.to {
        b.open = 1;
        b.overdue_open = u64::from(r.overdue);
        let days = (period.now - r.filed_at).num_days();
        let i = BACKLOG_BUCKETS
            .iter()
            .position(|(_, under)| days < *under)
            .unwrap_or(BACKLOG_BUCKETS.len() - 1);
        b.buckets[i] = 1;
    }
    b
}

impl Backlog {
    pub fn add(&mut self, o: &Backlog) {
        self.open += o.open;
        self.overdue_open += o.overdue_open;
        for (a, b) in self.buckets.iter_mut().zip(o.buckets) {
            *a += b;
        }
    }
}

/// The dashboard's numbers: the rates of section 7 with mean times (a
/// median needs every value; the full report has it).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayFigures {
    pub received: u64,
    pub response: Rate,
    pub on_time_resolution: Rate,
    pub resolution: Rate,
    pub satisfaction: Rate,
    pub final_satisfaction: Rate,
    pub returns: Rate,
    pub reopens: Rate,
    pub repeats: Rate,
    pub resolved: u64,
    pub mean_hours_to_sign: Option<f64>,
    pub mean_hours_to_resolve: Option<f64>,
    pub open: u64,
    pub overdue_open: u64,
    pub score: Option<f64>,
}

impl Counts {
    pub fn figures(&self, backlog: &Backlog, weights: &ScoreWeights) -> DayFigures {
        let u = |v: i64| v.max(0) as u64;
        let rate = |n: i64, d: i64| Rate::of(u(n), u(d));
        let mean = |minutes: i64, n: i64| (n > 0).then(|| minutes as f64 / n as f64 / 60.0);
        let response = rate(self.signed_on_time, self.sign_due);
        let resolution = rate(self.solved, self.rated);
        let satisfaction = rate(self.satisfied, self.rated);
        DayFigures {
            received: u(self.received),
            response,
            on_time_resolution: rate(self.resolved_on_time, self.resolve_due),
            resolution,
            satisfaction,
            final_satisfaction: rate(self.final_satisfied, self.final_rated),
            returns: rate(self.returns, self.routings),
            reopens: rate(self.reopened, self.resolved),
            repeats: rate(self.repeats, self.received),
            resolved: u(self.resolved),
            mean_hours_to_sign: mean(self.sign_minutes, self.signed),
            mean_hours_to_resolve: mean(self.resolve_minutes, self.resolved_timed),
            open: backlog.open,
            overdue_open: backlog.overdue_open,
            score: weights.score(response.value, resolution.value, satisfaction.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    use super::super::tests::record;
    use super::*;

    /// A period of whole days around the records, seen at any moment.
    fn period() -> impl Strategy<Value = Period> {
        (0i64..40, 1i64..40, 0i64..60 * 24).prop_map(|(start, len, now)| {
            let base = Utc.with_ymd_and_hms(2022, 3, 20, 16, 0, 0).unwrap();
            Period {
                from: base + Duration::days(start),
                to: base + Duration::days(start + len),
                now: base + Duration::hours(now),
            }
        })
    }

    proptest! {
        /// Settled counts of the period's days, plus the live part, minus
        /// what was counted too early, are exactly what `Tally` counts.
        #[test]
        fn daily_totals_add_up_to_the_tally(
            records in proptest::collection::vec(record(), 0..40),
            period in period(),
        ) {
            let mut tally = Tally::default();
            let mut sum = Counts::default();
            let mut open = Backlog::default();
            for r in &records {
                tally.add(r, &period);
                for (at, c) in settled(r) {
                    if period.contains(at) {
                        sum.add(&c);
                    }
                }
                for (at, c) in undone(r, period.now) {
                    if period.contains(at) {
                        sum.add(&c);
                    }
                }
                open.add(&backlog(r, &period));
            }
            prop_assert_eq!(sum, Counts::of(&tally));
            prop_assert_eq!((open.open, open.overdue_open, open.buckets), (tally.open, tally.overdue_open, tally.backlog));
            let w = ScoreWeights::default();
            let (full, day) = (tally.figures(&w), sum.figures(&open, &w));
            prop_assert_eq!(
                (full.response, full.on_time_resolution, full.resolution, full.satisfaction, full.final_satisfaction, full.score),
                (day.response, day.on_time_resolution, day.resolution, day.satisfaction, day.final_satisfaction, day.score)
            );
        }
    }
}
