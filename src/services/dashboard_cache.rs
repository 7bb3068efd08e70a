//! Recently computed dashboards, for the web page. At a million tickets a
//! dashboard takes 150-300 ms to add up (bench/README), too slow for every
//! page view, and supervisors mostly look at the same few. A dashboard that
//! was cheap to compute is computed afresh on every view; a costly one is
//! kept, served until it is `refresh_after` old, then served once more
//! while a background task recomputes it, and never served older than
//! `max_age`. The page says when its numbers were computed. The API does
//! not use this: it is always exact.
//!
//! The breakdowns by category and by chain have no daily totals: they are
//! added up ticket by ticket, seconds at a million tickets. The page waits
//! for them no longer than `keep_slower_than`; a costly computation goes on
//! in the background and is kept like a costly dashboard, and the page says
//! they are being computed until then.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::clock::Clock;
use super::dashboard::{breakdowns, dashboard, Breakdowns, Dashboard, DashboardQuery};
use super::metrics::{scope, GroupBy, MetricsError, MetricsQuery};
use crate::domain::access::Caller;
use crate::domain::metrics::ScoreWeights;
use crate::storage::Database;

#[derive(Clone, Copy, Debug)]
pub struct CachePolicy {
    /// A dashboard computed faster than this is not kept.
    pub keep_slower_than: Duration,
    /// Older than this, a kept dashboard is recomputed in the background.
    pub refresh_after: Duration,
    /// Older than this, a kept dashboard is not served.
    pub max_age: Duration,
}

impl CachePolicy {
    /// The policy the `[metrics]` settings give.
    pub fn of(m: &crate::configuration::MetricsSettings) -> CachePolicy {
        CachePolicy {
            keep_slower_than: Duration::from_millis(m.dashboard_keep_slower_than_ms),
            refresh_after: Duration::from_secs(m.dashboard_refresh_after_secs),
            max_age: Duration::from_secs(m.dashboard_max_age_secs),
        }
    }
}

/// What a kept dashboard of this age is good for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Serve it, and recompute it in the background.
    Stale,
    Expired,
}

pub fn freshness(age: Duration, policy: &CachePolicy) -> Freshness {
    if age >= policy.max_age {
        Freshness::Expired
    } else if age >= policy.refresh_after {
        Freshness::Stale
    } else {
        Freshness::Fresh
    }
}

/// Dashboards are the same for every caller of one scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    scope: String,
    from: NaiveDate,
    to: NaiveDate,
    trend_days: u32,
    weekly: bool,
}

struct Entry {
    dashboard: Arc<Dashboard>,
    computed_at: DateTime<Utc>,
    last_used: DateTime<Utc>,
    refreshing: bool,
}

/// A dashboard and when its numbers were computed.
#[derive(Clone)]
pub struct Served {
    pub dashboard: Arc<Dashboard>,
    pub computed_at: DateTime<Utc>,
}

/// Entries not looked at for this long are dropped.
const UNUSED_FOR: chrono::Duration = chrono::Duration::minutes(30);
/// At most this many entries; the least recently used go first.
const CAPACITY: usize = 512;

pub struct DashboardCache {
    policy: CachePolicy,
    entries: Mutex<HashMap<Key, Entry>>,
    breakdowns: Mutex<HashMap<Key, KeptBreakdowns>>,
}

/// Kept breakdowns, or a computation under way.
#[derive(Default)]
struct KeptBreakdowns {
    kept: Option<(Arc<Breakdowns>, DateTime<Utc>)>,
    last_used: Option<DateTime<Utc>>,
    computing: bool,
}

impl DashboardCache {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            entries: Mutex::new(HashMap::new()),
            breakdowns: Mutex::new(HashMap::new()),
        }
    }

    /// The breakdowns of a dashboard's period and scope: kept ones, or
    /// computed now if that takes less than `keep_slower_than`; else None
    /// while they are computed in the background.
    pub async fn breakdowns(
        self: &Arc<Self>,
        db: &Database,
        caller: &Caller,
        q: DashboardQuery,
        clock: &Clock,
        weights: ScoreWeights,
    ) -> Result<Option<Arc<Breakdowns>>, MetricsError> {
        let q = DashboardQuery {
            trend_days: 1,
            weekly: false,
            ..q
        };
        let key = key_of(caller, &q)?;
        let now = clock.now();
        {
            let mut all = self.breakdowns.lock().expect("breakdown cache");
            all.retain(|_, e| e.computing || e.last_used.is_some_and(|u| now - u < UNUSED_FOR));
            if all.len() >= CAPACITY && !all.contains_key(&key) {
                return Ok(None);
            }
            let e = all.entry(key.clone()).or_default();
            e.last_used = Some(now);
            let kept = e.kept.clone().and_then(|(b, at)| {
                let age = (now - at).to_std().unwrap_or_default();
                match freshness(age, &self.policy) {
                    Freshness::Expired => None,
                    f => Some((b, f == Freshness::Stale)),
                }
            });
            match kept {
                Some((b, stale)) => {
                    if stale && !e.computing {
                        e.computing = true;
                        self.spawn_breakdowns(db, caller, key, q, clock, weights);
                    }
                    return Ok(Some(b));
                }
                None if e.computing => return Ok(None),
                None => e.computing = true,
            }
        }
        let task = self.spawn_breakdowns(db, caller, key, q, clock, weights);
        match tokio::time::timeout(self.policy.keep_slower_than, task).await {
            Ok(Ok(done)) => done.map(Some),
            // Still computing (it keeps them when done), or it panicked.
            _ => Ok(None),
        }
    }

    /// Computes breakdowns in a task of their own; keeps them if that was
    /// costly.
    fn spawn_breakdowns(
        self: &Arc<Self>,
        db: &Database,
        caller: &Caller,
        key: Key,
        q: DashboardQuery,
        clock: &Clock,
        weights: ScoreWeights,
    ) -> tokio::task::JoinHandle<Result<Arc<Breakdowns>, MetricsError>> {
        let (this, db, caller, clock) = (self.clone(), db.clone(), caller.clone(), clock.clone());
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let computed_at = clock.now();
            let got = breakdowns(&db, &caller, &q, computed_at, weights)
                .await
                .map(Arc::new);
            let mut all = this.breakdowns.lock().expect("breakdown cache");
            let e = all.entry(key).or_default();
            e.computing = false;
            match &got {
                Ok(b) if started.elapsed() >= this.policy.keep_slower_than => {
                    e.kept = Some((b.clone(), computed_at));
                }
                Ok(_) => e.kept = None,
                Err(err) => {
                    tracing::warn!(error = %err, "computing a dashboard's breakdowns failed")
                }
            }
            got
        })
    }

    /// The dashboard, kept or computed now.
    pub async fn get(
        self: &Arc<Self>,
        db: &Database,
        caller: &Caller,
        q: DashboardQuery,
        clock: &Clock,
        weights: ScoreWeights,
    ) -> Result<Served, MetricsError> {
        let key = key_of(caller, &q)?;
        let now = clock.now();
        let kept = {
            let mut entries = self.entries.lock().expect("dashboard cache");
            entries.get_mut(&key).and_then(|e| {
                let age = (now - e.computed_at).to_std().unwrap_or_default();
                let f = freshness(age, &self.policy);
                if f == Freshness::Expired {
                    return None;
                }
                e.last_used = now;
                let refresh = f == Freshness::Stale && !e.refreshing;
                e.refreshing |= refresh;
                Some((
                    Served {
                        dashboard: e.dashboard.clone(),
                        computed_at: e.computed_at,
                    },
                    refresh,
                ))
            })
        };
        if let Some((served, refresh)) = kept {
            if refresh {
                let (this, db, caller, clock) =
                    (self.clone(), db.clone(), caller.clone(), clock.clone());
                tokio::spawn(async move {
                    // A failed refresh leaves the kept one to expire.
                    if let Err(e) = this
                        .compute(&db, &caller, key.clone(), q, &clock, weights)
                        .await
                    {
                        tracing::warn!(error = %e, "refreshing a dashboard failed");
                        if let Some(e) = this.entries.lock().expect("dashboard cache").get_mut(&key)
                        {
                            e.refreshing = false;
                        }
                    }
                });
            }
            return Ok(served);
        }
        self.compute(db, caller, key, q, clock, weights).await
    }

    async fn compute(
        &self,
        db: &Database,
        caller: &Caller,
        key: Key,
        q: DashboardQuery,
        clock: &Clock,
        weights: ScoreWeights,
    ) -> Result<Served, MetricsError> {
        let started = std::time::Instant::now();
        let computed_at = clock.now();
        let d = Arc::new(dashboard(db, caller, q, computed_at, weights).await?);
        let mut entries = self.entries.lock().expect("dashboard cache");
        if started.elapsed() < self.policy.keep_slower_than {
            entries.remove(&key);
        } else {
            entries.retain(|_, e| computed_at - e.last_used < UNUSED_FOR);
            if entries.len() >= CAPACITY {
                if let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.last_used)
                    .map(|(k, _)| k.clone())
                {
                    entries.remove(&oldest);
                }
            }
            entries.insert(
                key,
                Entry {
                    dashboard: d.clone(),
                    computed_at,
                    last_used: computed_at,
                    refreshing: false,
                },
            );
        }
        Ok(Served {
            dashboard: d,
            computed_at,
        })
    }
}

fn key_of(caller: &Caller, q: &DashboardQuery) -> Result<Key, MetricsError> {
    let s = scope(
        caller,
        &MetricsQuery {
            from: q.from,
            to: q.to,
            group_by: Some(GroupBy::Region),
            region: q.region.clone(),
            chain: None,
            whitelisted: None,
        },
    )?;
    Ok(Key {
        scope: format!("{:?}|{:?}|{:?}", s.region, s.chain, s.whitelisted),
        from: q.from,
        to: q.to,
        trend_days: q.trend_days,
        weekly: q.weekly,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: CachePolicy = CachePolicy {
        keep_slower_than: Duration::from_millis(50),
        refresh_after: Duration::from_secs(30),
        max_age: Duration::from_secs(300),
    };

    #[test]
    fn a_kept_dashboard_is_fresh_then_stale_then_expired() {
        let at = |s| freshness(Duration::from_secs(s), &POLICY);
        assert_eq!(at(0), Freshness::Fresh);
        assert_eq!(at(29), Freshness::Fresh);
        assert_eq!(at(30), Freshness::Stale);
        assert_eq!(at(299), Freshness::Stale);
        assert_eq!(at(300), Freshness::Expired);
        assert_eq!(at(86_400), Freshness::Expired);
    }
}
