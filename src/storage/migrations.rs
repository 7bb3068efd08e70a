//! Schema migrations, one embedded set per backend.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::connection::AnyConnection;
use super::pool::StorageError;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    // MigrationHarness is not implemented for the MultiConnection enum.
    let applied = match conn {
        AnyConnection::Pg(c) => c.run_pending_migrations(POSTGRES),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE),
    }
    .map_err(|e| StorageError::Unavailable(format!("migration failed: {e}")))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Versions that are embedded but not yet applied.
pub fn pending(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    let pending = match conn {
        AnyConnection::Pg(c) => c
            .pending_migrations(POSTGRES)
            .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect()),
        AnyConnection::Sqlite(c) => c
            .pending_migrations(SQLITE)
            .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect()),
    };
    pending.map_err(|e| StorageError::Unavailable(format!("cannot read migrations: {e}")))
}
