//! Runs the delivery worker every `mail.poll_interval_secs`.

use std::time::Duration;

use crate::services::clock::Clock;
use crate::services::delivery::Delivery;
use crate::storage::Database;

/// Rounds one tick may run before waiting for the next tick.
const MAX_ROUNDS_PER_TICK: usize = 100;

pub async fn run(db: Database, delivery: Delivery, clock: Clock, every: Duration, batch: i64) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = delivery.stopped() => return,
        }
        if delivery.is_stopped() {
            return;
        }
        for _ in 0..MAX_ROUNDS_PER_TICK {
            match delivery.deliver_once(&db, clock.now()).await {
                Ok(report) => {
                    if report.claimed > 0 {
                        tracing::info!(
                            claimed = report.claimed,
                            sent = report.sent,
                            retried = report.retried,
                            dead = report.dead,
                            "mail delivery"
                        );
                    }
                    if (report.claimed as i64) < batch {
                        break;
                    }
                }
                // The database may be away; the next tick tries again.
                Err(e) => {
                    tracing::warn!(error = %e, "mail delivery failed");
                    break;
                }
            }
        }
    }
}
