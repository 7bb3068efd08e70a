//! Retry timing for outgoing mail: exponential backoff with jitter. Pure; the
//! caller supplies the random draw so tests can pin it.

/// Seconds to wait before retry number `attempts` (1 after the first
/// failure): `base * 2^(attempts-1)` capped at `max`, then stretched by up to
/// a quarter by `jitter` in `[0, 1)`, so that messages that failed together
/// do not all come back at the same instant.
pub fn backoff_secs(attempts: i32, base: i64, max: i64, jitter: f64) -> i64 {
    let base = base.max(1);
    let max = max.max(base);
    let exponent = (attempts.max(1) - 1).min(40) as u32;
    let delay = base.saturating_mul(1i64 << exponent.min(62)).min(max);
    let stretch = (delay as f64 * 0.25 * jitter.clamp(0.0, 1.0)) as i64;
    delay + stretch
}

/// What the next state of a message is after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again in this many seconds.
    Retry(i64),
    /// Give up: the message is parked as dead.
    Dead,
}

/// After `attempts` failed tries in all (this one included).
pub fn after_failure(
    attempts: i32,
    max_attempts: i32,
    base: i64,
    max: i64,
    jitter: f64,
) -> AfterFailure {
    if attempts >= max_attempts {
        AfterFailure::Dead
    } else {
        AfterFailure::Retry(backoff_secs(attempts, base, max, jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_from_the_base_up_to_the_cap() {
        let no_jitter: Vec<i64> = (1..=9).map(|n| backoff_secs(n, 30, 3600, 0.0)).collect();
        assert_eq!(no_jitter, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff_secs(1, 30, 3600, 0.999), 37);
        assert_eq!(backoff_secs(1000, 30, 3600, 0.0), 3600);
    }

    #[test]
    fn the_last_allowed_failure_parks_the_message() {
        assert_eq!(after_failure(2, 3, 30, 3600, 0.0), AfterFailure::Retry(60));
        assert_eq!(after_failure(3, 3, 30, 3600, 0.0), AfterFailure::Dead);
    }

    proptest! {
        #[test]
        fn never_shorter_than_the_base_nor_longer_than_the_cap_plus_jitter(
            attempts in 1i32..100, base in 1i64..600, max in 1i64..100_000, jitter in 0.0f64..1.0
        ) {
            let d = backoff_secs(attempts, base, max, jitter);
            let cap = max.max(base);
            prop_assert!(d >= base.min(cap));
            prop_assert!(d <= cap + cap / 4);
        }

        #[test]
        fn later_retries_never_wait_less(attempts in 1i32..60, base in 1i64..600, max in 1i64..100_000) {
            prop_assert!(backoff_secs(attempts + 1, base, max, 0.0) >= backoff_secs(attempts, base, max, 0.0));
        }
    }
}
