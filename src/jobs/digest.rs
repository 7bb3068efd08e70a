//! Sends the daily digest once its time (`mail.digest_time`, Beijing) has come.

use std::time::Duration;

use chrono::NaiveTime;

use crate::services::clock::Clock;
use crate::services::digest::send_due;
use crate::storage::Database;

pub async fn run(db: Database, clock: Clock, at: NaiveTime) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match send_due(&db, clock.now(), at).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(departments = n, "daily digests queued"),
            Err(e) => tracing::warn!(error = %e, "daily digest failed"),
        }
    }
}
