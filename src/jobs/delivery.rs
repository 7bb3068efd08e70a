//! Runs the delivery worker: one loop per channel, each every
//! `mail.poll_interval_secs`, so that a channel that is down (a robot
//! service timing out) never holds up another's messages.

use std::time::Duration;

use crate::domain::channels::Channel;
use crate::services::clock::Clock;
use crate::services::delivery::Delivery;
use crate::storage::Database;

/// Rounds one tick may run before waiting for the next tick.
const MAX_ROUNDS_PER_TICK: usize = 100;

/// One loop per channel this worker sends; returns when all have stopped.
pub async fn run(db: Database, delivery: Delivery, clock: Clock, every: Duration, batch: i64) {
    let loops: Vec<_> = delivery
        .channels()
        .into_iter()
        .map(|channel| {
            tokio::spawn(run_channel(
                db.clone(),
                delivery.clone(),
                clock.clone(),
                every,
                batch,
                channel,
            ))
        })
        .collect();
    for l in loops {
        let _ = l.await;
    }
}

async fn run_channel(
    db: Database,
    delivery: Delivery,
    clock: Clock,
    every: Duration,
    batch: i64,
    channel: Channel,
) {
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
            match delivery.deliver_channel(&db, clock.now(), channel).await {
                Ok(report) => {
                    if report.claimed > 0 {
                        tracing::info!(
                            channel = channel.as_str(),
                            claimed = report.claimed,
                            sent = report.sent,
                            retried = report.retried,
                            dead = report.dead,
                            "delivery"
                        );
                    }
                    if (report.claimed as i64) < batch {
                        break;
                    }
                }
                // The database may be away; the next tick tries again.
                Err(e) => {
                    tracing::warn!(channel = channel.as_str(), error = %e, "delivery failed");
                    break;
                }
            }
        }
    }
}
