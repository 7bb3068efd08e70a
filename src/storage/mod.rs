//! The storage layer: diesel models beside their queries, over either
//! backend through [`connection::AnyConnection`].

/// Rows per multi-row INSERT statement; well under SQLite's bound-parameter limit.
pub(crate) const INSERT_BATCH: usize = 500;

#[macro_use]
pub mod dialect;

/// Multi-row inserts do not compile on the MultiConnection enum, so each
/// backend gets the same statement through its own connection type.
macro_rules! insert_batches {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks($crate::storage::INSERT_BATCH) {
            $crate::storage::dialect::on_each_backend!($conn, |c| diesel::insert_into($table)
                .values(chunk)
                .execute(c)?);
        }
    };
}

pub mod account_tokens;
pub mod attachments;
pub mod auth_events;
pub mod canned_replies;
pub mod catalogue;
pub mod chains;
pub mod codes;
pub mod cohandling;
pub mod connection;
pub mod daily_reports;
pub mod departments;
pub mod digests;
pub mod enterprises;
pub mod join_requests;
pub mod login_throttles;
pub mod metric_days;
pub mod metrics;
pub mod migrations;
pub mod missing_reports;
pub mod mobiles;
pub mod monitoring;
pub mod monitoring_days;
pub mod names;
pub mod notifications;
pub mod outbox;
pub mod pool;
pub mod ratings;
pub mod recomputes;
pub mod reference;
pub mod refresh_tokens;
pub mod region_names;
pub mod regions;
pub mod robots;
pub mod routing_rules;
pub mod saved_views;
pub mod schema;
pub mod sign_windows;
pub mod sla;
pub mod templates;
pub mod ticket_queue;
pub mod tickets;
pub mod users;
pub mod whitelist;

pub use connection::{AnyConnection, Backend};
pub use pool::{Database, StorageError};

/// Applies pending migrations and loads the reference data into an empty
/// database. Safe to run on every start.
pub fn prepare(conn: &mut AnyConnection) -> Result<PrepareReport, StorageError> {
    let applied = migrations::run_pending(conn)?;
    let loaded = reference::load_if_empty(conn)?;
    sla::seed_if_empty(conn)?;
    Ok(PrepareReport { applied, loaded })
}

#[derive(Debug)]
pub struct PrepareReport {
    pub applied: Vec<String>,
    pub loaded: Option<reference::Loaded>,
}

pub use dialect::write_transaction;
