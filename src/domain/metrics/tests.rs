use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2022, 4, day, hour, 0, 0).unwrap()
}

/// April 2022, seen on 1 May.
fn april() -> Period {
    Period {
        from: at(1, 0),
        to: Utc.with_ymd_and_hms(2022, 5, 1, 0, 0, 0).unwrap(),
        now: Utc.with_ymd_and_hms(2022, 5, 1, 0, 0, 0).unwrap(),
    }
}

fn filed(day: u32) -> TicketRecord {
    TicketRecord {
        filed_at: at(day, 1),
        first_sign_due: Some(at(day, 9)),
        first_signed_at: None,
        responded_at: None,
        ended_at: None,
        resolve_due: Some(at(day, 9) + Duration::days(5)),
        first_resolved_at: None,
        rated_at: None,
        satisfaction: None,
        solved: None,
        ratings: Vec::new(),
        routings: 1,
        returns: 0,
        reopened: false,
        repeat: false,
        open: true,
        overdue: false,
        sign_minutes: None,
        resolve_minutes: None,
    }
}

fn tally(records: &[TicketRecord], period: &Period) -> Tally {
    let mut t = Tally::default();
    for r in records {
        t.add(r, period);
    }
    t
}

#[test]
fn an_empty_period_has_no_data_rather_than_zero() {
    let f = Tally::default().figures(&ScoreWeights::default());
    assert_eq!(f.received, 0);
    assert_eq!(f.response.value, None);
    assert_eq!(f.satisfaction.value, None);
    assert_eq!(f.time_to_resolve.median_hours, None);
    assert_eq!(f.score, None);
}

#[test]
fn signing_after_the_deadline_is_not_on_time() {
    let mut late = filed(10);
    late.first_signed_at = Some(at(10, 10));
    late.responded_at = late.first_signed_at;
    let mut early = filed(11);
    early.first_signed_at = Some(at(11, 8));
    early.responded_at = early.first_signed_at;
    let f = tally(&[late, early], &april()).figures(&ScoreWeights::default());
    assert_eq!((f.response.numerator, f.response.denominator), (1, 2));
    assert_eq!(f.response.value, Some(0.5));
}

#[test]
fn withdrawn_or_rejected_before_a_deadline_leaves_it_and_a_rejection_is_a_response() {
    let mut withdrawn = filed(10);
    withdrawn.open = false;
    withdrawn.ended_at = Some(at(10, 3));
    let mut rejected = filed(11);
    rejected.open = false;
    rejected.responded_at = Some(at(11, 4));
    rejected.ended_at = rejected.responded_at;
    let mut withdrawn_late = filed(12);
    withdrawn_late.open = false;
    withdrawn_late.ended_at = Some(at(20, 3));
    let f =
        tally(&[withdrawn, rejected, withdrawn_late], &april()).figures(&ScoreWeights::default());
    // Response: the rejection on time, the late withdrawal a miss; the
    // early withdrawal in neither.
    assert_eq!((f.response.numerator, f.response.denominator), (1, 2));
    // Resolution deadlines: only the one withdrawn after its deadline counts.
    assert_eq!(
        (
            f.on_time_resolution.numerator,
            f.on_time_resolution.denominator
        ),
        (0, 1)
    );
}

#[test]
fn a_deadline_still_ahead_counts_only_once_met() {
    let period = Period {
        now: at(10, 5),
        ..april()
    };
    let waiting = filed(10);
    let mut signed = filed(10);
    signed.first_signed_at = Some(at(10, 4));
    signed.responded_at = signed.first_signed_at;
    let f = tally(&[waiting, signed], &period).figures(&ScoreWeights::default());
    assert_eq!((f.response.numerator, f.response.denominator), (1, 1));
}

#[test]
fn ratings_make_resolution_and_satisfaction() {
    let rate = |s, solved| {
        let mut r = filed(3);
        r.open = false;
        r.first_resolved_at = Some(at(4, 1));
        r.rated_at = Some(at(5, 1));
        r.satisfaction = Some(s);
        r.solved = Some(solved);
        r.ratings = vec![GivenRating {
            at: at(5, 1),
            satisfaction: s,
            solved,
        }];
        r
    };
    let records = [
        rate(Satisfaction::Satisfied, true),
        rate(Satisfaction::BasicallySatisfied, false),
        rate(Satisfaction::Dissatisfied, false),
        rate(Satisfaction::Dissatisfied, true),
    ];
    let f = tally(&records, &april()).figures(&ScoreWeights::default());
    assert_eq!(f.resolution.value, Some(0.5));
    assert_eq!(f.satisfaction.value, Some(0.5));
    assert_eq!(f.resolved, 4);
    assert_eq!(f.open, 0);
    assert_eq!(f.final_satisfaction, f.satisfaction);
}

#[test]
fn a_rating_a_reopening_superseded_still_counts() {
    // Dissatisfied and unsolved on the 5th, reopened, rated satisfied on the 9th.
    let mut r = filed(3);
    r.open = false;
    r.first_resolved_at = Some(at(4, 1));
    r.ratings = vec![
        GivenRating {
            at: at(5, 1),
            satisfaction: Satisfaction::Dissatisfied,
            solved: false,
        },
        GivenRating {
            at: at(9, 1),
            satisfaction: Satisfaction::Satisfied,
            solved: true,
        },
    ];
    r.rated_at = Some(at(9, 1));
    r.satisfaction = Some(Satisfaction::Satisfied);
    r.solved = Some(true);
    let f = tally(std::slice::from_ref(&r), &april()).figures(&ScoreWeights::default());
    assert_eq!(
        (f.satisfaction.numerator, f.satisfaction.denominator),
        (1, 2)
    );
    assert_eq!((f.resolution.numerator, f.resolution.denominator), (1, 2));
    assert_eq!(
        (
            f.final_satisfaction.numerator,
            f.final_satisfaction.denominator
        ),
        (1, 1)
    );
    // A period holding only the first rating still hears it.
    let early = Period {
        from: at(1, 0),
        to: at(7, 0),
        now: at(30, 0),
    };
    let f = tally(&[r], &early).figures(&ScoreWeights::default());
    assert_eq!(
        (f.satisfaction.numerator, f.satisfaction.denominator),
        (0, 1)
    );
    assert_eq!(f.final_satisfaction.denominator, 0);
}

#[test]
fn the_score_weighs_the_three_rates() {
    let w = ScoreWeights::default();
    assert_eq!(w.score(Some(1.0), Some(1.0), Some(1.0)), Some(100.0));
    let s = w.score(Some(1.0), Some(0.0), Some(0.0)).unwrap();
    assert!((s - 30.0).abs() < 1e-9);
    assert_eq!(w.score(Some(1.0), None, Some(1.0)), None);
}

#[test]
fn durations_use_nearest_rank() {
    let d = Durations::of(&[60, 120, 180, 240, 600]);
    assert_eq!(d.tickets, 5);
    assert_eq!(d.median_hours, Some(3.0));
    assert_eq!(d.p90_hours, Some(10.0));
    assert_eq!(d.mean_hours, Some(4.0));
}

#[test]
fn open_tickets_fall_into_age_buckets() {
    let period = april();
    let mut old = filed(2);
    old.overdue = true;
    let f = tally(&[filed(30), filed(27), old], &period).figures(&ScoreWeights::default());
    assert_eq!(f.open, 3);
    assert_eq!(f.overdue_open, 1);
    let by: Vec<u64> = f.backlog.iter().map(|b| b.tickets).collect();
    assert_eq!(by, [1, 0, 1, 1]);
}

pub(super) fn record() -> impl Strategy<Value = TicketRecord> {
    let instant =
        (0i64..60 * 24 * 60).prop_map(|m| at(1, 0) - Duration::days(10) + Duration::minutes(m));
    (
        instant.clone(),
        proptest::option::of(0i64..600),
        proptest::option::of(0i64..6000),
        proptest::option::of(0i64..20_000),
        proptest::option::of((0usize..3, any::<bool>())),
        proptest::collection::vec((0i64..20_000, 0usize..3, any::<bool>()), 0..3),
        (
            1u32..6,
            0u32..3,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                filed_at,
                sign,
                resolve,
                rated,
                rating,
                superseded,
                (routings, returns, reopened, repeat, open, overdue),
            )| {
                let m = Duration::minutes;
                let kind = |s: usize| {
                    [
                        Satisfaction::Satisfied,
                        Satisfaction::BasicallySatisfied,
                        Satisfaction::Dissatisfied,
                    ][s]
                };
                let rated_at = rated.filter(|_| resolve.is_some()).map(|r| filed_at + m(r));
                let mut ratings: Vec<GivenRating> = superseded
                    .iter()
                    .map(|&(at, s, solved)| GivenRating {
                        at: filed_at + m(at),
                        satisfaction: kind(s),
                        solved,
                    })
                    .collect();
                if let (Some(at), Some((s, solved))) = (rated_at, rating) {
                    ratings.push(GivenRating {
                        at,
                        satisfaction: kind(s),
                        solved,
                    });
                }
                TicketRecord {
                    filed_at,
                    first_sign_due: Some(filed_at + m(480)),
                    first_signed_at: sign.map(|s| filed_at + m(s)),
                    responded_at: sign.map(|s| filed_at + m(s)),
                    // A finished ticket never signed for or resolved ended
                    // somewhere: withdrawn or rejected.
                    ended_at: (!open && resolve.is_none())
                        .then(|| filed_at + m(sign.unwrap_or(0) + 300)),
                    resolve_due: Some(filed_at + m(2400)),
                    first_resolved_at: resolve.map(|r| filed_at + m(r)),
                    rated_at,
                    satisfaction: rating.map(|(s, _)| kind(s)),
                    solved: rating.map(|(_, s)| s),
                    ratings,
                    routings,
                    returns: returns.min(routings - 1),
                    reopened,
                    repeat,
                    open,
                    overdue,
                    sign_minutes: sign,
                    resolve_minutes: resolve,
                }
            },
        )
}

proptest! {
    /// Groups add up to the whole, whichever way the records are split.
    #[test]
    fn groups_add_up_to_the_total(records in proptest::collection::vec(record(), 0..60), split in 0usize..60) {
        let period = april();
        let split = split.min(records.len());
        let whole = tally(&records, &period);
        let mut parts = tally(&records[..split], &period);
        parts.merge(&tally(&records[split..], &period));
        let w = ScoreWeights::default();
        prop_assert_eq!(whole.figures(&w), parts.figures(&w));
    }

    /// Every rate lies between 0 and 1 and has data exactly when its denominator is positive.
    #[test]
    fn rates_are_fractions(records in proptest::collection::vec(record(), 0..60)) {
        let f = tally(&records, &april()).figures(&ScoreWeights::default());
        for r in [f.response, f.on_time_resolution, f.resolution, f.satisfaction, f.final_satisfaction, f.returns, f.reopens, f.repeats] {
            prop_assert!(r.numerator <= r.denominator);
            prop_assert_eq!(r.value.is_some(), r.denominator > 0);
            if let Some(v) = r.value {
                prop_assert!((0.0..=1.0).contains(&v));
            }
        }
        if let Some(s) = f.score {
            prop_assert!((0.0..=100.0).contains(&s));
        }
        prop_assert_eq!(f.backlog.iter().map(|b| b.tickets).sum::<u64>(), f.open);
    }
}

fn scored(score: Option<f64>, response: Option<f64>, received: u64) -> Figures {
    let mut f = Tally::default().figures(&ScoreWeights::default());
    f.score = score;
    f.response.value = response;
    f.received = received;
    f
}

#[test]
fn ranking_puts_the_best_score_first_shares_ranks_and_leaves_no_data_unranked() {
    let f = [
        scored(Some(80.0), Some(0.9), 10),
        scored(None, None, 0),
        scored(Some(95.0), Some(1.0), 3),
        scored(Some(80.0), Some(0.9), 10),
        scored(Some(80.0), Some(0.95), 1),
        scored(Some(60.0), Some(0.5), 50),
    ];
    let refs: Vec<&Figures> = f.iter().collect();
    assert_eq!(
        rank_by_score(&refs),
        vec![
            (2, Some(1)),
            // Equal scores share rank 2; the better response rate goes first.
            (4, Some(2)),
            (0, Some(2)),
            (3, Some(2)),
            (5, Some(5)),
            (1, None),
        ]
    );
}

proptest! {
    #[test]
    fn ranks_never_decrease_down_the_list_and_follow_the_score(
        scores in proptest::collection::vec(proptest::option::of(0u8..5), 0..30)
    ) {
        let f: Vec<Figures> = scores
            .iter()
            .map(|s| scored(s.map(|s| f64::from(s) * 10.0), None, 1))
            .collect();
        let refs: Vec<&Figures> = f.iter().collect();
        let ranked = rank_by_score(&refs);
        prop_assert_eq!(ranked.len(), f.len());
        for w in ranked.windows(2) {
            let (a, b) = (f[w[0].0].score, f[w[1].0].score);
            match (a, b) {
                (Some(a), Some(b)) => {
                    prop_assert!(a >= b);
                    prop_assert_eq!(a == b, w[0].1 == w[1].1);
                }
                (None, Some(_)) => prop_assert!(false, "no score above a score"),
                _ => {}
            }
        }
        for (position, (i, rank)) in ranked.iter().enumerate() {
            // A rank is one more than the number of strictly better scores.
            if let Some(s) = f[*i].score {
                let better = f.iter().filter(|g| g.score.is_some_and(|g| g > s)).count();
                prop_assert_eq!(*rank, Some(better as u32 + 1));
                prop_assert!(better <= position);
            } else {
                prop_assert_eq!(*rank, None);
            }
        }
    }
}

fn sampled(score: f64, due: u64, rated: u64) -> Figures {
    let mut f = scored(Some(score), Some(1.0), due.max(rated));
    f.response.denominator = due;
    f.satisfaction.denominator = rated;
    f.resolution.denominator = rated;
    f
}

#[test]
fn a_small_sample_is_listed_after_the_ranked_and_no_data_last() {
    let f = [
        // 4 tickets, a perfect score: too few to rank above the others.
        sampled(100.0, 4, 4),
        scored(None, None, 0),
        sampled(70.0, 30, 12),
        sampled(90.0, 8, 5),
        // Enough due, too few rated.
        sampled(95.0, 40, 2),
    ];
    let refs: Vec<&Figures> = f.iter().collect();
    assert_eq!(
        rank_with_minimum(&refs, 5),
        vec![
            (3, Standing::Ranked(1)),
            (2, Standing::Ranked(2)),
            (0, Standing::InsufficientSample),
            (4, Standing::InsufficientSample),
            (1, Standing::NoData),
        ]
    );
    // A minimum of 0 or 1 ranks everything with a score.
    let ranked = rank_with_minimum(&refs, 0);
    assert_eq!(ranked[0], (0, Standing::Ranked(1)));
    assert_eq!(ranked.last(), Some(&(1, Standing::NoData)));
}
