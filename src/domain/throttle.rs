//! Log-in throttling: after too many failures in a window, a lock.

use chrono::{Duration, NaiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures within `window` that lock the key.
    pub max_failures: i32,
    pub window: Duration,
    pub lock: Duration,
}

/// What is stored per key (an account or a client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i32,
    pub window_started_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

/// Seconds the caller must wait, if the key is locked at `now`.
pub fn retry_after(state: Option<&ThrottleState>, now: NaiveDateTime) -> Option<u64> {
    let until = state?.locked_until?;
    (until > now).then(|| (until - now).num_seconds().max(1) as u64)
}

/// The state after one more failure at `now`.
pub fn after_failure(
    state: Option<&ThrottleState>,
    now: NaiveDateTime,
    policy: &ThrottlePolicy,
) -> ThrottleState {
    let fresh = ThrottleState {
        failures: 0,
        window_started_at: now,
        locked_until: None,
    };
    let current = match state {
        // A lock that has run out, or a window that has closed, starts over.
        Some(s) if s.locked_until.is_some_and(|u| u <= now) => fresh,
        Some(s) if s.locked_until.is_none() && now - s.window_started_at > policy.window => fresh,
        Some(s) => *s,
        None => fresh,
    };
    let failures = current.failures + 1;
    let locked_until = if failures >= policy.max_failures {
        Some(
            current
                .locked_until
                .map_or(now + policy.lock, |u| u.max(now + policy.lock)),
        )
    } else {
        None
    };
    ThrottleState {
        failures,
        window_started_at: current.window_started_at,
        locked_until,
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
            lock: Duration::minutes(15),
        }
    }

    fn t0() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2022, 4, 28)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes() {
        let mut state = None;
        for i in 0..4 {
            let s = after_failure(state.as_ref(), t0() + Duration::seconds(i), &policy());
            assert_eq!(retry_after(Some(&s), t0() + Duration::seconds(i)), None);
            state = Some(s);
        }
        let locked = after_failure(state.as_ref(), t0() + Duration::seconds(4), &policy());
        assert_eq!(
            retry_after(Some(&locked), t0() + Duration::seconds(4)),
            Some(900)
        );
        assert_eq!(
            retry_after(Some(&locked), t0() + Duration::minutes(20)),
            None
        );
        // After the lock the count starts over.
        let next = after_failure(Some(&locked), t0() + Duration::minutes(20), &policy());
        assert_eq!(next.failures, 1);
    }

    #[test]
    fn failures_spread_beyond_the_window_never_lock() {
        let mut state = None;
        for i in 0..20 {
            let s = after_failure(state.as_ref(), t0() + Duration::minutes(16 * i), &policy());
            assert!(s.locked_until.is_none());
            state = Some(s);
        }
    }

    proptest! {
        #[test]
        fn fewer_failures_than_the_maximum_never_lock(gaps in proptest::collection::vec(0i64..2000, 0..4)) {
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
        fn a_lock_never_outlasts_the_lock_period(gaps in proptest::collection::vec(0i64..120, 5..30)) {
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
    }
}
