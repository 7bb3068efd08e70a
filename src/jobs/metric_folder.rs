//! Folds changed tickets into the daily metric totals every
//! `metrics.fold_interval_secs`. Dashboards are exact without it (they add
//! what is not folded yet themselves); folding keeps that part small.

use std::time::{Duration, Instant};

use crate::services::dashboard::fold_changes;
use crate::storage::Database;

/// Tickets one tick may fold before yielding to the next tick.
const MAX_PER_TICK: usize = 50_000;

pub async fn run(db: Database, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let started = Instant::now();
        match fold_changes(&db, MAX_PER_TICK).await {
            Ok(0) => {}
            Ok(n) => {
                metrics::counter!("yizhan_metric_folds_total").increment(n as u64);
                tracing::debug!(
                    tickets = n,
                    ms = started.elapsed().as_millis() as u64,
                    "metrics folded"
                );
            }
            // The database may be away for a while; the next tick tries again.
            Err(e) => tracing::warn!(error = %e, "folding metrics failed"),
        }
    }
}
