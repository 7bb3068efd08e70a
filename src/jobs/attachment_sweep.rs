//! Sweeps attachments every `attachments.sweep_interval_secs`: uploads no
//! step took, and stored objects no row points at (`services::attachments::sweep`).

use std::sync::Arc;
use std::time::Duration;

use crate::services::attachments::{sweep, Attachments};
use crate::services::clock::Clock;
use crate::storage::Database;

pub async fn run(db: Database, attachments: Arc<Attachments>, clock: Clock, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match sweep(&db, &attachments, clock.now()).await {
            Ok(r) if r.objects_deleted + r.pending_forgotten > 0 => {
                metrics::counter!("yizhan_attachment_objects_swept_total")
                    .increment(r.objects_deleted as u64);
                tracing::info!(
                    objects = r.objects_deleted,
                    pending = r.pending_forgotten,
                    "attachments swept"
                );
            }
            Ok(_) => {}
            // The store or the database may be away; the next tick tries again.
            Err(e) => tracing::warn!(error = %e, "sweeping attachments failed"),
        }
    }
}
