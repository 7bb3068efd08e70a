//! Notices the enterprises of monitoring lists that have not reported for
//! the day, once `[monitoring] reminder_time` (Beijing) has come on a
//! working day. Every instance checks once a minute; each enterprise is
//! noticed once a day (`services::monitoring::reminders`).

use std::time::Duration;

use chrono::NaiveTime;

use crate::services::monitoring::reminders::send_due;
use crate::services::sla::Sla;
use crate::storage::Database;

pub async fn run(db: Database, sla: Sla, at: NaiveTime) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match send_due(&db, &sla, sla.now(), at).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(enterprises = n, "missing daily reports noticed"),
            Err(e) => tracing::warn!(error = %e, "noticing missing daily reports failed"),
        }
    }
}
