//! The storage layer: diesel models beside their queries, over either
//! backend through [`connection::AnyConnection`].

pub mod chains;
pub mod connection;
pub mod departments;
pub mod migrations;
pub mod pool;
pub mod reference;
pub mod regions;
pub mod schema;

pub use connection::{AnyConnection, Backend};
pub use pool::{Database, StorageError};

/// Applies pending migrations and loads the reference data into an empty
/// database. Safe to run on every start.
pub fn prepare(conn: &mut AnyConnection) -> Result<PrepareReport, StorageError> {
    let applied = migrations::run_pending(conn)?;
    let loaded = reference::load_if_empty(conn)?;
    Ok(PrepareReport { applied, loaded })
}

#[derive(Debug)]
pub struct PrepareReport {
    pub applied: Vec<String>,
    pub loaded: Option<reference::Loaded>,
}
