//! The sweep: forgets uploads no step took within `pending_hours`, and
//! deletes objects no row points at once they are older than
//! `orphan_grace_secs` (an upload that died between its object and its
//! row, a pending upload forgotten). Safe with several instances: each
//! object is first doomed in one conditional database write that only one
//! sweep wins, and an upload of the same content waits for a doomed
//! object rather than trusting it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{AttachmentError, Attachments};
use crate::storage::attachments::{doom_orphans, forget_doomed, Attachment};
use crate::storage::{write_transaction, Database};

/// An object doomed longer ago than this belongs to a sweep that died: an
/// upload takes it back, the next sweep deletes it again.
pub fn doom_timeout() -> chrono::Duration {
    chrono::Duration::seconds(120)
}

/// A sweep deletes what it doomed within this time, or leaves it to the next.
const DELETE_WITHIN: Duration = Duration::from_secs(60);

/// Objects doomed in one database write.
const BATCH: i64 = 100;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub pending_forgotten: usize,
    pub objects_deleted: usize,
}

pub async fn sweep(
    db: &Database,
    attachments: &Attachments,
    now: DateTime<Utc>,
) -> Result<SweepReport, AttachmentError> {
    let s = &attachments.settings;
    let now = now.naive_utc();
    let before = now - chrono::Duration::hours(s.pending_hours as i64);
    let pending_forgotten = db
        .run_write(move |conn| Ok(Attachment::forget_pending(conn, before)?))
        .await?;
    let cutoff = now - chrono::Duration::seconds(s.orphan_grace_secs as i64);
    let stale = now - doom_timeout();
    let mut objects_deleted = 0;
    loop {
        let started = Instant::now();
        let (doomed, at) = db
            .run_write(move |conn| {
                Ok(write_transaction(conn, |conn| {
                    doom_orphans(conn, cutoff, stale, now, BATCH)
                })?)
            })
            .await?;
        let full = doomed.len() as i64 == BATCH;
        for key in doomed {
            if started.elapsed() > DELETE_WITHIN {
                // An upload may take it back from now on: not ours to delete.
                return Ok(SweepReport {
                    pending_forgotten,
                    objects_deleted,
                });
            }
            attachments.store.delete(&key).await?;
            objects_deleted += 1;
            db.run_write(move |conn| Ok(forget_doomed(conn, &key, at)?))
                .await?;
        }
        if !full {
            break;
        }
    }
    Ok(SweepReport {
        pending_forgotten,
        objects_deleted,
    })
}
