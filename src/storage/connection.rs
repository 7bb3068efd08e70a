//! One connection type over both backends, and the r2d2 manager that opens it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

pub use crate::configuration::SqliteSynchronous;

/// A database connection: PostgreSQL in production, embedded SQLite by default.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl AnyConnection {
    pub fn backend(&self) -> Backend {
        match self {
            AnyConnection::Pg(_) => Backend::Postgres,
            AnyConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Where the data lives, decided by the URL's scheme alone: the derived
/// `establish` tries each backend in turn and hides the real error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseTarget {
    pub fn parse(url: &str) -> Result<DatabaseTarget, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseTarget::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err(
                "database.url is empty: give an SQLite file path or a postgres:// URL".into(),
            );
        }
        if path.contains("://") {
            return Err(format!(
                "database.url scheme is not supported (use sqlite:// or postgres://): {}",
                crate::configuration::mask_url_password(url)
            ));
        }
        Ok(DatabaseTarget::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseTarget::Postgres(_) => Backend::Postgres,
            DatabaseTarget::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Opens connections for the pool and prepares each one for its backend.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: DatabaseTarget,
    connect_timeout: Duration,
    sqlite_busy_timeout_ms: u32,
    sqlite_synchronous: SqliteSynchronous,
}

impl ConnectionManager {
    pub fn new(
        target: DatabaseTarget,
        connect_timeout: Duration,
        sqlite_busy_timeout_ms: u32,
        sqlite_synchronous: SqliteSynchronous,
    ) -> Self {
        ConnectionManager {
            target,
            connect_timeout,
            sqlite_busy_timeout_ms,
            sqlite_synchronous,
        }
    }

    pub fn target(&self) -> &DatabaseTarget {
        &self.target
    }

    fn pg_url(&self, url: &str) -> String {
        // libpq waits for the OS TCP timeout unless told otherwise.
        if url.contains("connect_timeout=") {
            return url.to_string();
        }
        let sep = if url.contains('?') { '&' } else { '?' };
        format!(
            "{url}{sep}connect_timeout={}",
            self.connect_timeout.as_secs().max(1)
        )
    }

    fn open_sqlite(&self, path: &Path) -> Result<SqliteConnection, ConnectionError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                ConnectionError::BadConnection(format!(
                    "cannot create the data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
        // busy_timeout first: the pool opens its connections at once and
        // switching to WAL needs the lock.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;",
            self.sqlite_busy_timeout_ms,
            self.sqlite_synchronous.as_pragma()
        ))
        .map_err(|e| ConnectionError::BadConnection(format!("cannot set up SQLite: {e}")))?;
        Ok(conn)
    }

    /// Opens one connection outside the pool.
    pub fn open(&self) -> Result<AnyConnection, ConnectionError> {
        match &self.target {
            DatabaseTarget::Postgres(url) => {
                disable_tls_exit_cleanup();
                PgConnection::establish(&self.pg_url(url)).map(AnyConnection::Pg)
            }
            DatabaseTarget::Sqlite(path) => self.open_sqlite(path).map(AnyConnection::Sqlite),
        }
    }
}

/// A pooled connection, with whether it last worked a moment ago. The pool
/// checks a connection with a round trip (`SELECT 1`) only when it has not
/// just worked: under load most requests take a connection another returned
/// within milliseconds, and the check was a fifth of a report's round
/// trips. (pgbouncer's `server_check_delay` does the same.) A connection
/// whose last use failed, or that sat idle, is checked before it is lent.
pub struct PooledConnection {
    conn: AnyConnection,
    worked_at: Option<Instant>,
}

/// How long after it last worked a connection is lent without a check.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

impl PooledConnection {
    /// Records how its latest use ended: a success lets the next borrower
    /// skip the check; a failure (the server gone, or any error) makes
    /// it check.
    pub fn settle(&mut self, worked: bool) {
        self.worked_at = worked.then(Instant::now);
    }

    fn trusted(&self) -> bool {
        self.worked_at.is_some_and(|t| t.elapsed() < TRUSTED_FOR)
    }
}

impl std::ops::Deref for PooledConnection {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = PooledConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PooledConnection, r2d2::Error> {
        let conn = self.open().map_err(r2d2::Error::ConnectionError)?;
        Ok(PooledConnection {
            conn,
            worked_at: Some(Instant::now()),
        })
    }

    /// Called as the pool lends a connection. Once lent, only a use that
    /// reports success ([`PooledConnection::settle`]) spares the next
    /// borrower the check.
    fn is_valid(&self, conn: &mut PooledConnection) -> Result<(), r2d2::Error> {
        let trusted = conn.trusted();
        conn.worked_at = None;
        if trusted {
            return Ok(());
        }
        conn.conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut PooledConnection) -> bool {
        std::thread::panicking() || conn.conn.is_broken()
    }
}

/// libpq's TLS library (OpenSSL, linked in) frees its state in an exit
/// handler, and a pool thread still connecting at that moment crashes the
/// exiting process (diesel-rs/diesel#3441). `openssl_sys::init` initialises
/// OpenSSL with `OPENSSL_INIT_NO_ATEXIT`, leaving that memory to the
/// operating system. Call before the process's first PostgreSQL connection;
/// later calls do nothing.
pub fn disable_tls_exit_cleanup() {
    openssl_sys::init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        assert_eq!(
            DatabaseTarget::parse("postgres://u:p@h/d")
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseTarget::parse("postgresql://h/d").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseTarget::parse("sqlite://data/y.db").unwrap(),
            DatabaseTarget::Sqlite("data/y.db".into())
        );
        assert_eq!(
            DatabaseTarget::parse("/var/lib/yizhan/y.db").unwrap(),
            DatabaseTarget::Sqlite("/var/lib/yizhan/y.db".into())
        );
        assert!(DatabaseTarget::parse("mysql://h/d").is_err());
        assert!(DatabaseTarget::parse("  ").is_err());
    }

    #[test]
    fn sqlite_connections_sync_as_configured() {
        use diesel::sql_types::Integer;
        #[derive(diesel::QueryableByName)]
        struct Pragma {
            #[diesel(sql_type = Integer)]
            synchronous: i32,
        }
        let dir = tempfile::tempdir().unwrap();
        // PRAGMA synchronous reads 1 for NORMAL and 2 for FULL.
        for (setting, expected) in [(SqliteSynchronous::Normal, 1), (SqliteSynchronous::Full, 2)] {
            let m = ConnectionManager::new(
                DatabaseTarget::Sqlite(dir.path().join("y.db")),
                Duration::from_secs(1),
                1000,
                setting,
            );
            let mut conn = m.open_sqlite(&dir.path().join("y.db")).unwrap();
            let p: Pragma =
                diesel::RunQueryDsl::get_result(diesel::sql_query("PRAGMA synchronous"), &mut conn)
                    .unwrap();
            assert_eq!(p.synchronous, expected, "{setting:?}");
        }
    }

    #[test]
    fn postgres_urls_get_a_connect_timeout() {
        let m = ConnectionManager::new(
            DatabaseTarget::parse("postgres://h/d").unwrap(),
            Duration::from_secs(3),
            1000,
            SqliteSynchronous::Normal,
        );
        assert_eq!(
            m.pg_url("postgres://h/d"),
            "postgres://h/d?connect_timeout=3"
        );
        assert_eq!(
            m.pg_url("postgres://h/d?sslmode=require"),
            "postgres://h/d?sslmode=require&connect_timeout=3"
        );
        assert_eq!(
            m.pg_url("postgres://h/d?connect_timeout=9"),
            "postgres://h/d?connect_timeout=9"
        );
    }
}
