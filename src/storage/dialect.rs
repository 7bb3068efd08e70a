//! What two backends cost, in one place. Most queries are written once for
//! the connection enum; these macros are the few shapes diesel's
//! `MultiConnection` cannot express once, and each use says why it needs one:
//!
//! - [`on_each_backend!`]: the same statement, typed once per backend
//!   (multi-row inserts, `ON CONFLICT`, `RETURNING`, which do not compile on
//!   the enum);
//! - [`claim!`]: rows a worker takes to process. PostgreSQL: `FOR UPDATE
//!   SKIP LOCKED`, so that instances share the work without waiting on each
//!   other; SQLite: a plain read, the one writer's `BEGIN IMMEDIATE` already
//!   holds the database;
//! - [`locked!`]: a row read for the rest of the transaction. PostgreSQL:
//!   `FOR UPDATE`, held to commit; SQLite: a plain read, for the same reason.
//!
//! The branches that are dialect rather than plumbing, each with its measured
//! reason beside it: case-insensitive search with `ILIKE` served by pg_trgm
//! (`tickets::Ticket` text filter), typed `VALUES` lists and anonymous `?`
//! placeholders (`sla::ClockRow` batch update), `RETURNING` on conflict
//! (`sla::SlaEvent::record_many`), batch sizes of upserts
//! (`metric_days`), sequences after explicit ids (`reference`), the
//! snapshot isolation of a dashboard read (`services::dashboard`),
//! migrations per backend (`migrations`), and the connection itself
//! (`connection`).

/// Runs `$body` with `$c` bound to the backend's own connection, the same
/// code compiled once per backend.
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::storage::AnyConnection::Pg($c) => $body,
            $crate::storage::AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// Loads the rows of `$query` that this worker takes: on PostgreSQL, locked
/// and skipping those another instance holds.
macro_rules! claim {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::storage::AnyConnection::Pg(c) => $query.for_update().skip_locked().load(c),
            $crate::storage::AnyConnection::Sqlite(c) => $query.load(c),
        }
    };
}

/// Runs `$query` (ending in `.first`, `.load`, ...: `$finish`) with the rows
/// it reads locked to commit on PostgreSQL.
macro_rules! locked {
    ($conn:expr, $query:expr, $($finish:tt)+) => {
        match $conn {
            $crate::storage::AnyConnection::Pg(c) => $query.for_update().$($finish)+(c),
            $crate::storage::AnyConnection::Sqlite(c) => $query.$($finish)+(c),
        }
    };
}

pub(crate) use {claim, locked, on_each_backend};
