//! The connection pool, and the one way the async code reaches the database:
//! [`Database::run`] moves the blocking diesel work off the executor.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use diesel::r2d2::{Pool, PooledConnection};
use tracing::Span;

use super::connection::{AnyConnection, Backend, ConnectionManager, DatabaseTarget};
use crate::configuration::DatabaseSettings;
use secrecy::ExposeSecret;

pub type DbConnection = PooledConnection<ConnectionManager>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No connection could be had in time: the database is down or saturated.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for StorageError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            // SQLite's writer lock stayed taken past busy_timeout, or the
            // server went away mid-query: the database is unavailable, not
            // the request wrong.
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("database is locked") =>
            {
                StorageError::Unavailable(e.to_string())
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                StorageError::Unavailable(e.to_string())
            }
            _ => StorageError::Query(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StorageError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        StorageError::Unavailable(e.to_string())
    }
}

impl From<diesel::ConnectionError> for StorageError {
    fn from(e: diesel::ConnectionError) -> Self {
        StorageError::Unavailable(e.to_string())
    }
}

#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager>,
    /// SQLite: the one connection the busy write paths use (see [`Database::run_write`]).
    writer: Option<Arc<Mutex<Option<AnyConnection>>>>,
    /// How long a caller waits for a connection (or the writer) before the
    /// database counts as unavailable.
    wait: Duration,
    manager: ConnectionManager,
    sqlite_file: Option<FileIdentity>,
}

/// Device and inode of the SQLite file opened at start: if someone deletes or
/// replaces the file, open connections keep writing to the old one, and every
/// write would be lost at the next restart. Readiness reports that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    dev: u64,
    ino: u64,
}

fn file_identity(path: &std::path::Path) -> Option<FileIdentity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| FileIdentity {
            dev: m.dev(),
            ino: m.ino(),
        })
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path)
            .ok()
            .map(|_| FileIdentity { dev: 0, ino: 0 })
    }
}

impl Database {
    /// Builds the pool. Connections open lazily, so a database that is down at
    /// start is reported by [`Database::check`], not here.
    pub fn connect(settings: &DatabaseSettings) -> Result<Database, String> {
        let target = DatabaseTarget::parse(settings.url.expose_secret())?;
        let timeout = Duration::from_secs(settings.connect_timeout_secs.max(1));
        let manager = ConnectionManager::new(
            target,
            timeout,
            settings.sqlite_busy_timeout_ms,
            settings.sqlite_synchronous,
        );
        let pool = Pool::builder()
            .max_size(settings.pool_size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .build_unchecked(manager.clone());
        let mut db = Database {
            pool,
            writer: None,
            wait: timeout,
            manager,
            sqlite_file: None,
        };
        if let DatabaseTarget::Sqlite(path) = db.manager.target() {
            // Opening once creates the file, so its identity can be recorded.
            db.manager
                .open()
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            db.sqlite_file = file_identity(path);
            db.writer = Some(Arc::new(Mutex::new(None)));
        }
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.manager.target().backend()
    }

    /// A pooled connection, timed for the pool-wait metric.
    pub fn get(&self) -> Result<DbConnection, StorageError> {
        let started = Instant::now();
        let result = self.pool.get();
        metrics::histogram!("db_pool_wait_seconds").record(started.elapsed().as_secs_f64());
        if result.is_err() {
            metrics::counter!("db_pool_timeouts_total").increment(1);
        }
        Ok(result?)
    }

    /// Runs blocking diesel work on the blocking thread pool, inside the
    /// caller's tracing span.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, StorageError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let span = Span::current();
        actix_web::rt::task::spawn_blocking(move || {
            span.in_scope(|| {
                let mut conn = db.get()?;
                let out = f(&mut conn);
                conn.settle(out.is_ok());
                out
            })
        })
        .await
        .map_err(|e| StorageError::Unavailable(format!("database task failed: {e}")))?
    }

    /// As [`Database::run`], for work that writes. On SQLite it runs on one
    /// dedicated connection, taking turns: SQLite has one writer at a time
    /// anyway, and a pooled connection drops its page cache whenever
    /// another has written, so writing from many connections re-reads the
    /// same index pages again and again (the filing benchmark spent most of
    /// its time doing that). On PostgreSQL it is [`Database::run`].
    pub async fn run_write<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, StorageError> + Send + 'static,
        T: Send + 'static,
    {
        let Some(writer) = self.writer.clone() else {
            return self.run(f).await;
        };
        let db = self.clone();
        let span = Span::current();
        actix_web::rt::task::spawn_blocking(move || {
            span.in_scope(|| {
                let started = Instant::now();
                let Some(mut slot) = writer.try_lock_for(db.wait) else {
                    metrics::counter!("db_pool_timeouts_total").increment(1);
                    return Err(StorageError::Unavailable(
                        "the SQLite writer stayed busy".into(),
                    ));
                };
                metrics::histogram!("db_pool_wait_seconds").record(started.elapsed().as_secs_f64());
                let mut conn = match slot.take() {
                    Some(c) => c,
                    None => db.manager.open()?,
                };
                let out = f(&mut conn);
                // Put back only after a return: a panic drops the connection,
                // and the next caller opens a fresh one.
                *slot = Some(conn);
                out
            })
        })
        .await
        .map_err(|e| StorageError::Unavailable(format!("database task failed: {e}")))?
    }

    /// Opens a connection outside the pool (migrations, command-line tools).
    pub fn open(&self) -> Result<AnyConnection, StorageError> {
        Ok(self.manager.open()?)
    }

    /// Readiness: the database answers, and for SQLite the file at the
    /// configured path is still the one the service opened.
    pub async fn check(&self) -> Result<(), StorageError> {
        if let (DatabaseTarget::Sqlite(path), Some(opened)) =
            (self.manager.target(), self.sqlite_file)
        {
            match file_identity(path) {
                Some(now) if now == opened => {}
                Some(_) => {
                    return Err(StorageError::Unavailable(format!(
                        "the SQLite file {} was replaced while the service ran",
                        path.display()
                    )))
                }
                None => {
                    return Err(StorageError::Unavailable(format!(
                        "the SQLite file {} is missing",
                        path.display()
                    )))
                }
            }
        }
        self.run(|conn| {
            use diesel::r2d2::R2D2Connection;
            conn.ping().map_err(StorageError::from)
        })
        .await
    }

    /// Pool gauges for `/metrics`.
    pub fn record_pool_gauges(&self) {
        let state = self.pool.state();
        metrics::gauge!("db_pool_max_size").set(self.pool.max_size() as f64);
        metrics::gauge!("db_pool_connections").set(state.connections as f64);
        metrics::gauge!("db_pool_idle_connections").set(state.idle_connections as f64);
    }
}
