//! Runs the SLA scanner every `sla.scan_interval_secs`.

use std::time::{Duration, Instant};

use crate::services::sla::Sla;
use crate::services::sla_scanner::scan_once;
use crate::storage::Database;

/// Batches one tick may run before yielding to the next tick.
const MAX_BATCHES_PER_TICK: usize = 200;

pub async fn run(db: Database, sla: Sla, every: Duration, batch: i64) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let started = Instant::now();
        match scan_once(&db, &sla, sla.now(), batch, MAX_BATCHES_PER_TICK).await {
            Ok(report) => {
                metrics::histogram!("yizhan_sla_scan_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!("yizhan_sla_events_total").increment(report.events as u64);
                metrics::counter!("yizhan_tickets_auto_closed_total")
                    .increment(report.auto_closed as u64);
                if report.claimed > 0 {
                    tracing::info!(
                        claimed = report.claimed,
                        events = report.events,
                        auto_closed = report.auto_closed,
                        ms = started.elapsed().as_millis() as u64,
                        "SLA scan"
                    );
                }
            }
            // The database may be away for a while; the next tick tries again.
            Err(e) => tracing::warn!(error = %e, "SLA scan failed"),
        }
    }
}
