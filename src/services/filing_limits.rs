//! How fast an account and an enterprise may file, and what an unverified
//! enterprise may file at all (issue 20: a lookalike registered under an
//! unrecorded code filed 30 critical problems in 0.1 s).
//!
//! The rates are kept per instance, in memory: behind a load balancer of n
//! instances a client gets at most n times the rate, which still bounds a
//! flood; the open-problem limit of an unverified enterprise is counted in
//! the database and holds across instances.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::configuration::FilingSettings;

pub struct FilingLimits {
    per_account: Option<DefaultKeyedRateLimiter<i64>>,
    per_enterprise: Option<DefaultKeyedRateLimiter<i64>>,
    /// Open problems an unverified enterprise may have at once.
    pub unverified_open: i64,
}

fn limiter(per_minute: u32) -> Option<DefaultKeyedRateLimiter<i64>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl FilingLimits {
    pub fn from_settings(s: &FilingSettings) -> FilingLimits {
        FilingLimits {
            per_account: limiter(s.per_account_per_minute),
            per_enterprise: limiter(s.per_enterprise_per_minute),
            unverified_open: s.unverified_open_limit,
        }
    }

    /// No rate limits (the demo data set, files written by the service itself).
    pub fn unlimited() -> FilingLimits {
        FilingLimits {
            per_account: None,
            per_enterprise: None,
            unverified_open: 3,
        }
    }

    /// Takes one filing from both budgets; the seconds to wait when either
    /// is spent. (A refused try still counts against the account: retrying
    /// at once only waits longer.)
    pub fn admit(&self, account: i64, enterprise: i64) -> Result<(), u64> {
        let now = DefaultClock::default().now();
        let wait = |l: &Option<DefaultKeyedRateLimiter<i64>>, key: i64| {
            l.as_ref()
                .and_then(|l| l.check_key(&key).err())
                .map(|not_until| not_until.wait_time_from(now).as_secs().max(1))
        };
        match wait(&self.per_account, account).or_else(|| wait(&self.per_enterprise, enterprise)) {
            Some(secs) => Err(secs),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_beyond_the_rate_waits() {
        let limits = FilingLimits::from_settings(&FilingSettings {
            per_account_per_minute: 3,
            per_enterprise_per_minute: 5,
            unverified_open_limit: 3,
        });
        for _ in 0..3 {
            assert_eq!(limits.admit(1, 10), Ok(()));
        }
        let wait = limits.admit(1, 10).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        // Another account of the same enterprise has its own budget, up to
        // the enterprise's.
        assert_eq!(limits.admit(2, 10), Ok(()));
        assert_eq!(limits.admit(2, 10), Ok(()));
        assert!(limits.admit(3, 10).is_err());
        // Zero turns a limit off.
        let off = FilingLimits::from_settings(&FilingSettings {
            per_account_per_minute: 0,
            per_enterprise_per_minute: 0,
            unverified_open_limit: 3,
        });
        for _ in 0..100 {
            assert_eq!(off.admit(1, 10), Ok(()));
        }
    }
}
