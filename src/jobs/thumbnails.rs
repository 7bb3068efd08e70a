//! Makes images' thumbnails after their uploads are answered
//! (`services::attachments::make_due_thumbnails`): woken by this instance's
//! uploads, and every `attachments.thumbnail_poll_secs` for those of others
//! and for any a dead instance left half-made.

use std::sync::Arc;
use std::time::Duration;

use crate::services::attachments::{make_due_thumbnails, Attachments};
use crate::services::clock::Clock;
use crate::storage::Database;

pub async fn run(db: Database, attachments: Arc<Attachments>, clock: Clock, every: Duration) {
    loop {
        tokio::select! {
            _ = attachments.thumbnails_wanted.notified() => {}
            _ = tokio::time::sleep(every) => {}
        }
        match make_due_thumbnails(&db, &attachments, clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(thumbnails = n, "thumbnails made"),
            // The store or the database may be away: the leases run out and
            // the next round takes those images again.
            Err(e) => {
                tracing::warn!(error = %e, "making thumbnails failed");
                tokio::time::sleep(every).await;
            }
        }
    }
}
