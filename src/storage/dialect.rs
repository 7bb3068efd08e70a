//! What two backends cost, in one place. Most queries are written once for
//! the connection enum; what diesel's `MultiConnection` cannot express once,
//! or what each database does best in its own way, lives here, each with its
//! measured reason. A reviewer reads the whole cost of two backends on this
//! page.
//!
//! Plumbing (macros):
//! - [`on_each_backend!`]: the same statement, typed once per backend
//!   (multi-row inserts, `ON CONFLICT`, `RETURNING`, which do not compile on
//!   the enum);
//! - [`upsert_rows!`]: an upsert many rows at a time on PostgreSQL, one at a
//!   time on SQLite (diesel has no multi-row upsert there);
//! - [`claim!`]: rows a worker takes to process. PostgreSQL: `FOR UPDATE
//!   SKIP LOCKED`, so that instances share the work without waiting on each
//!   other; SQLite: a plain read, the one writer's `BEGIN IMMEDIATE` already
//!   holds the database;
//! - [`locked!`]: a row read for the rest of the transaction. PostgreSQL:
//!   `FOR UPDATE`, held to commit; SQLite: a plain read, for the same reason.
//!
//! Dialect (functions below): the write transaction ([`write_transaction`]),
//! a dashboard's snapshot ([`read_only_snapshot`]), the clock row lock every
//! ticket change takes first ([`lock_ticket_clock`]), typed `VALUES` rows
//! ([`values_row`]), "insert what is new and say which" ([`insert_new_sla_events`]),
//! sequences after explicit ids ([`continue_sequences`]), and ticket text
//! search ([`ticket_search_ids`], [`ticket_text_contains`]).
//!
//! Elsewhere, because they are the backends themselves: the connection enum
//! (`connection`), the migrations per backend (`migrations`), and one read
//! strategy bound to its query's scope filter (`metrics::live`: SQLite reads
//! the open tickets' metric rows through a subquery, PostgreSQL by slices of
//! ids, since it would hash the whole table).

use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::{sla_events, ticket_clocks, tickets};
use super::sla::NewSlaEvent;
use super::tickets::Visibility;

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

/// Upserts `$rows`: on PostgreSQL `$batch` rows a statement, on SQLite one
/// row a statement (diesel has no multi-row upsert there; on the one writer
/// a statement costs microseconds). `$stmt` is the statement for `$values`
/// (a slice of rows or one row) on connection `$c`.
macro_rules! upsert_rows {
    ($conn:expr, $rows:expr, $batch:expr, |$c:ident, $values:ident| $stmt:expr) => {
        match $conn {
            $crate::storage::AnyConnection::Pg($c) => {
                for $values in $rows.chunks($batch) {
                    $stmt;
                }
            }
            $crate::storage::AnyConnection::Sqlite($c) => {
                for $values in $rows.iter() {
                    $stmt;
                }
            }
        }
    };
}

pub(crate) use {claim, locked, on_each_backend, upsert_rows};

/// A transaction that will write: on SQLite it takes the write lock at once
/// (BEGIN IMMEDIATE), since a read-then-write transaction that upgrades its
/// lock fails with "database is locked" under concurrency.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if let AnyConnection::Sqlite(c) = conn {
        // The same steps as SqliteConnection::immediate_transaction, with the
        // closure handed the enum: the inner connection's transaction manager
        // then knows the depth, so nested transactions become savepoints.
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        let result = f(conn);
        let AnyConnection::Sqlite(c) = conn else {
            unreachable!("the backend does not change")
        };
        return match result {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(c)?;
                Ok(value)
            }
            Err(e) => {
                AnsiTransactionManager::rollback_transaction(c)?;
                Err(e)
            }
        };
    }
    conn.transaction(f)
}

/// Makes the current transaction read one snapshot. PostgreSQL: REPEATABLE
/// READ, or a fold committing between two reads of a dashboard would count a
/// change twice or never. SQLite: a read transaction is a snapshot already.
pub fn read_only_snapshot(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Pg(c) = conn {
        diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(c)?;
    }
    Ok(())
}

/// Locks the ticket's clock row on PostgreSQL, the first lock every ticket
/// change takes (the scanner claims the same rows), so that two writers
/// never wait for each other in opposite order. SQLite: nothing to do, the
/// write transaction holds the database.
pub fn lock_ticket_clock(conn: &mut AnyConnection, ticket_id: i64) -> QueryResult<()> {
    if let AnyConnection::Pg(c) = conn {
        ticket_clocks::table
            .find(ticket_id)
            .select(ticket_clocks::ticket_id)
            .for_update()
            .load::<i64>(c)?;
    }
    Ok(())
}

/// The placeholders of row `i` of a `VALUES` list of `types.len()` columns.
/// PostgreSQL needs the list typed (`$1::bigint`); SQLite must not cast
/// (timestamps are text there) and takes anonymous `?` placeholders
/// (thousands of named `$n` make its parser slow).
pub fn values_row(conn: &AnyConnection, i: usize, types: &[&str]) -> String {
    let cells: Vec<String> = match conn {
        AnyConnection::Pg(_) => types
            .iter()
            .enumerate()
            .map(|(k, t)| format!("${}::{t}", i * types.len() + k + 1))
            .collect(),
        AnyConnection::Sqlite(_) => types.iter().map(|_| "?".to_string()).collect(),
    };
    format!("({})", cells.join(", "))
}

/// The key of an SLA event: (ticket, kind, level, round).
pub type SlaEventKey = (i64, String, i32, i32);

/// Inserts the events not recorded yet and returns the keys of those
/// inserted now. PostgreSQL: `ON CONFLICT DO NOTHING RETURNING`. SQLite: the
/// scanner holds the write lock (BEGIN IMMEDIATE), so nothing can slip in
/// between a look and the insert, and a plain multi-row INSERT is several
/// times faster there than diesel's `ON CONFLICT ... RETURNING` form.
pub fn insert_new_sla_events(
    conn: &mut AnyConnection,
    events: &[NewSlaEvent],
) -> QueryResult<Vec<SlaEventKey>> {
    let key = (
        sla_events::ticket_id,
        sla_events::kind,
        sla_events::level,
        sla_events::round,
    );
    match conn {
        AnyConnection::Pg(c) => diesel::insert_into(sla_events::table)
            .values(events)
            .on_conflict_do_nothing()
            .returning(key)
            .get_results::<SlaEventKey>(c),
        AnyConnection::Sqlite(c) => {
            let ids: Vec<i64> = events.iter().map(|e| e.ticket_id).collect();
            let existing: std::collections::HashSet<SlaEventKey> = sla_events::table
                .filter(sla_events::ticket_id.eq_any(&ids))
                .select(key)
                .load(c)?
                .into_iter()
                .collect();
            let mut seen = std::collections::HashSet::new();
            let fresh: Vec<&NewSlaEvent> = events
                .iter()
                .filter(|e| {
                    let k = (e.ticket_id, e.kind.clone(), e.level, e.round);
                    !existing.contains(&k) && seen.insert(k)
                })
                .collect();
            if !fresh.is_empty() {
                diesel::insert_into(sla_events::table)
                    .values(fresh.iter().map(|e| (*e).clone()).collect::<Vec<_>>())
                    .execute(c)?;
            }
            Ok(fresh
                .into_iter()
                .map(|e| (e.ticket_id, e.kind.clone(), e.level, e.round))
                .collect())
        }
    }
}

/// After rows were given explicit ids, PostgreSQL's sequences continue after
/// the largest; SQLite's rowids do so by themselves.
pub fn continue_sequences(conn: &mut AnyConnection, tables: &[&str]) -> QueryResult<()> {
    if let AnyConnection::Pg(c) = conn {
        for table in tables {
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(c)?;
        }
    }
    Ok(())
}

/// The ids of up to `limit` tickets whose title or description contains
/// `text`, from SQLite's FTS5 trigram index, which answers substrings of
/// three or more characters; None where no such index serves (PostgreSQL,
/// whose trigram indexes serve [`ticket_text_contains`] directly, and
/// shorter terms on SQLite, which are scanned for). Asked directly (not as
/// `id IN (...)`), the index stops at the limit instead of collecting every
/// match first.
pub fn ticket_search_ids(
    conn: &mut AnyConnection,
    text: &str,
    limit: i64,
) -> QueryResult<Option<Vec<i64>>> {
    let AnyConnection::Sqlite(c) = conn else {
        return Ok(None);
    };
    if text.chars().count() < 3 {
        return Ok(None);
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rowid: i64,
    }
    let phrase = format!("\"{}\"", text.replace('"', "\"\""));
    let rows =
        diesel::sql_query("SELECT rowid FROM ticket_search WHERE ticket_search MATCH ? LIMIT ?")
            .bind::<diesel::sql_types::Text, _>(phrase)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load::<Row>(c)?;
    Ok(Some(rows.into_iter().map(|r| r.rowid).collect()))
}

/// One search word's condition on a ticket: its title or description
/// contains it (ignoring the case of Latin letters as SQLite's LIKE and its
/// trigram index do: `ILIKE` on PostgreSQL, which the pg_trgm indexes serve
/// as well as LIKE), its number starts with it, or its enterprise is one of
/// `enterprises` (those whose name or credit code match, found before by
/// [`enterprise_matches`]; None when too many did, then asked as a
/// subquery). A number is matched by its start: on SQLite as a range of the
/// unique index (text compares bytewise there, and numbers are digits and
/// dashes, all below `~`), on PostgreSQL by `LIKE 'w%'`, which its trigram
/// index of numbers serves; a range there would follow the collation,
/// which may skip dashes.
pub fn ticket_text_contains(
    conn: &AnyConnection,
    word: &str,
    enterprises: Option<&[i64]>,
) -> Visibility {
    use super::schema::enterprises as e;
    let pattern = format!("%{}%", super::users::escape_like(word));
    let pg = matches!(conn, AnyConnection::Pg(_));
    let mut any: Visibility = if pg {
        Box::new(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(tickets.title ILIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR tickets.description ILIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\')"),
        )
    } else {
        Box::new(
            tickets::title
                .like(pattern.clone())
                .escape('\\')
                .or(tickets::description.like(pattern).escape('\\')),
        )
    };
    if looks_like_number(word) {
        any = if pg {
            Box::new(any.or(tickets::number.like(format!("{word}%"))))
        } else {
            Box::new(
                any.or(tickets::number
                    .ge(word.to_string())
                    .and(tickets::number.lt(format!("{word}~")))),
            )
        };
    }
    match enterprises {
        Some([]) => any,
        Some(ids) => Box::new(any.or(tickets::enterprise_id.eq_any(ids.to_vec()))),
        None => Box::new(
            any.or(tickets::enterprise_id.eq_any(
                e::table
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>(if pg {
                            "(enterprises.name ILIKE "
                        } else {
                            "(enterprises.name LIKE "
                        })
                        .bind::<diesel::sql_types::Text, _>(format!(
                            "%{}%",
                            super::users::escape_like(word)
                        ))
                        .sql(" ESCAPE '\\' OR enterprises.credit_code = ")
                        .bind::<diesel::sql_types::Text, _>(word.to_uppercase())
                        .sql(")"),
                    )
                    .select(e::id),
            )),
        ),
    }
}

/// A word that may be (the start of) a ticket number: digits and dashes.
pub fn looks_like_number(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || c == '-')
}

/// Enterprises whose name contains `word` (case as [`ticket_text_contains`]
/// folds it) or whose credit code is it.
pub fn enterprise_matches(
    conn: &AnyConnection,
    word: &str,
) -> Box<
    dyn BoxableExpression<
        super::schema::enterprises::table,
        super::connection::MultiBackend,
        SqlType = diesel::sql_types::Bool,
    >,
> {
    use diesel::sql_types::Text;
    let pattern = format!("%{}%", super::users::escape_like(word));
    let like = if matches!(conn, AnyConnection::Pg(_)) {
        "(enterprises.name ILIKE "
    } else {
        "(enterprises.name LIKE "
    };
    Box::new(
        diesel::dsl::sql::<diesel::sql_types::Bool>(like)
            .bind::<Text, _>(pattern)
            .sql(" ESCAPE '\\' OR enterprises.credit_code = ")
            .bind::<Text, _>(word.to_uppercase())
            .sql(")"),
    )
}

/// Records the missing-report reminders not recorded yet and returns the
/// enterprises recorded now, so that each is noticed once per day and kind
/// however many instances run the job. PostgreSQL: `ON CONFLICT DO NOTHING
/// RETURNING`; SQLite: the writer holds the lock (BEGIN IMMEDIATE), so a
/// look and a plain insert are enough, as for [`insert_new_sla_events`].
pub fn insert_new_reminders(
    conn: &mut AnyConnection,
    rows: &[super::monitoring_days::NewReminder],
) -> QueryResult<Vec<i64>> {
    use super::schema::monitoring_reminders as r;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    match conn {
        AnyConnection::Pg(c) => {
            let mut out = Vec::new();
            for chunk in rows.chunks(500) {
                out.extend(
                    diesel::insert_into(r::table)
                        .values(chunk)
                        .on_conflict_do_nothing()
                        .returning(r::enterprise_id)
                        .get_results::<i64>(c)?,
                );
            }
            Ok(out)
        }
        AnyConnection::Sqlite(c) => {
            let mut out = Vec::new();
            for chunk in rows.chunks(500) {
                let ids: Vec<i64> = chunk.iter().map(|x| x.enterprise_id).collect();
                let existing: std::collections::HashSet<(i64, chrono::NaiveDate, String)> =
                    r::table
                        .filter(r::enterprise_id.eq_any(&ids))
                        .select((r::enterprise_id, r::day, r::kind))
                        .load(c)?
                        .into_iter()
                        .collect();
                let mut seen = std::collections::HashSet::new();
                let fresh: Vec<super::monitoring_days::NewReminder> = chunk
                    .iter()
                    .filter(|x| {
                        let k = (x.enterprise_id, x.day, x.kind.clone());
                        !existing.contains(&k) && seen.insert(k)
                    })
                    .cloned()
                    .collect();
                if !fresh.is_empty() {
                    diesel::insert_into(r::table).values(&fresh).execute(c)?;
                }
                out.extend(fresh.iter().map(|x| x.enterprise_id));
            }
            Ok(out)
        }
    }
}
