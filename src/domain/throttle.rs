//! Log-in throttling by growing delays: after too many failures within a
//! window, each further failure makes the key wait longer (doubling up to a
//! ceiling), and the count starts over only after a whole window without a
//! failure. Keys are an account *and* the client trying it, so a stranger
//! who keeps guessing slows only themself, never the owner on its own client.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures within `window` before delays begin.
    pub max_failures: i32,
    /// A key's count starts over after this long without a failure.
    pub window: Duration,
    /// The delay after the `max_failures`-th failure; each further failure
    /// doubles it.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

/// What is stored per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i32,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    /// The latest failure counted.
    pub last_failure_at: DateTime<Utc>,
}

/// Seconds the caller must wait, if the key is delayed at `now`.
pub fn retry_after(state: Option<&ThrottleState>, now: DateTime<Utc>) -> Option<u64> {
    let until = state?.locked_until?;
    (until > now).then(|| (until - now).num_seconds().max(1) as u64)
}

/// The delay that the `failures`-th failure earns.
pub fn delay_after(failures: i32, policy: &ThrottlePolicy) -> Option<Duration> {
    let beyond = failures - policy.max_failures;
    if beyond < 0 {
        return None;
    }
    let factor = 1i64 << beyond.min(20);
    let secs = policy
        .first_delay
        .num_seconds()
        .max(1)
        .saturating_mul(factor);
    Some(Duration::seconds(
        secs.min(policy.max_delay.num_seconds().max(1)),
    ))
}

/// The state after one more failure at `now`.
pub fn after_failure(
    state: Option<&ThrottleState>,
    now: DateTime<Utc>,
    policy: &ThrottlePolicy,
) -> ThrottleState {
    let quiet = |s: &ThrottleState| {
        now - s.last_failure_at > policy.window && s.locked_until.is_none_or(|u| u <= now)
    };
    let (failures, window_started_at) = match state {
        Some(s) if !quiet(s) => (s.failures + 1, s.window_started_at),
        _ => (1, now),
    };
    let locked_until = delay_after(failures, policy).map(|d| {
        let until = now + d;
        state
            .and_then(|s| s.locked_until)
            .map_or(until, |u| u.max(until))
    });
    ThrottleState {
        failures,
        window_started_at,
        locked_until,
        last_failure_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 5,
            window: Duration::minutes(15),
            first_delay: Duration::seconds(30),
            max_delay: Duration::minutes(15),
        }
    }

    fn t0() -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2022, 4, 28)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn delays_begin_at_the_fifth_failure_and_double() {
        let mut state = None;
        for i in 0..4 {
            let s = after_failure(state.as_ref(), t0() + Duration::seconds(i), &policy());
            assert_eq!(retry_after(Some(&s), t0() + Duration::seconds(i)), None);
            state = Some(s);
        }
        let mut now = t0() + Duration::seconds(4);
        let mut waits = Vec::new();
        for _ in 0..7 {
            let s = after_failure(state.as_ref(), now, &policy());
            let wait = retry_after(Some(&s), now).unwrap();
            waits.push(wait);
            // The next guess comes once the delay has passed.
            now += Duration::seconds(wait as i64);
            state = Some(s);
        }
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 900, 900]);
    }

    #[test]
    fn a_quiet_window_starts_the_count_over() {
        let mut state = None;
        for i in 0..6 {
            state = Some(after_failure(
                state.as_ref(),
                t0() + Duration::seconds(i),
                &policy(),
            ));
        }
        let later = t0() + Duration::minutes(30);
        let next = after_failure(state.as_ref(), later, &policy());
        assert_eq!(next.failures, 1);
        assert_eq!(retry_after(Some(&next), later), None);
    }

    #[test]
    fn failures_spread_beyond_the_window_never_delay() {
        let mut state = None;
        for i in 0..20 {
            let s = after_failure(state.as_ref(), t0() + Duration::minutes(16 * i), &policy());
            assert!(s.locked_until.is_none());
            state = Some(s);
        }
    }

    proptest! {
        #[test]
        fn fewer_failures_than_the_maximum_never_delay(gaps in proptest::collection::vec(0i64..2000, 0..4)) {
            let mut state = None;
            let mut now = t0();
            for g in gaps {
                now += Duration::seconds(g);
                let s = after_failure(state.as_ref(), now, &policy());
                prop_assert_eq!(retry_after(Some(&s), now), None);
                state = Some(s);
            }
        }

        #[test]
        fn a_delay_never_outlasts_the_ceiling(gaps in proptest::collection::vec(0i64..120, 5..60)) {
            let mut state = None;
            let mut now = t0();
            for g in gaps {
                now += Duration::seconds(g);
                let s = after_failure(state.as_ref(), now, &policy());
                if let Some(wait) = retry_after(Some(&s), now) {
                    prop_assert!(wait <= 900);
                }
                state = Some(s);
            }
        }

        #[test]
        fn delays_never_shrink_while_failures_continue(n in 5i32..40) {
            prop_assert!(delay_after(n, &policy()) <= delay_after(n + 1, &policy()));
        }
    }
}
