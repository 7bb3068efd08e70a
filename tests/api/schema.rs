//! Both migration sets build the same schema, and both revert cleanly.

use std::collections::BTreeSet;

use diesel::sql_types::{Bool, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::helpers::{fresh_postgres_database, postgres_admin, postgres_configured};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

type Schema = BTreeSet<(String, String, bool)>;

fn to_set(columns: Vec<Column>) -> Schema {
    columns
        .into_iter()
        .map(|c| (c.table_name, c.column_name, c.nullable))
        .collect()
}

fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    // A primary-key column is NOT NULL in effect even where SQLite's
    // catalogue does not say so. The full-text index (ticket_search and its
    // shadow tables) is SQLite's own way of searching; PostgreSQL indexes
    // the same columns with pg_trgm.
    to_set(
        diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, \
                    (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
               AND m.name <> '__diesel_schema_migrations' \
               AND m.name NOT LIKE 'ticket_search%'",
        )
        .load(conn)
        .unwrap(),
    )
}

fn postgres_schema(conn: &mut PgConnection) -> Schema {
    to_set(
        diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    (is_nullable = 'YES') AS nullable \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
        )
        .load(conn)
        .unwrap(),
    )
}

fn sqlite_round_trip() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = SqliteConnection::establish(&dir.path().join("s.db").to_string_lossy()).unwrap();
    conn.run_pending_migrations(SQLITE).unwrap();
    let schema = sqlite_schema(&mut conn);
    assert!(!schema.is_empty());
    conn.revert_all_migrations(SQLITE).unwrap();
    assert!(
        sqlite_schema(&mut conn).is_empty(),
        "down migrations leave nothing behind"
    );
    conn.run_pending_migrations(SQLITE).unwrap();
    assert_eq!(sqlite_schema(&mut conn), schema);
    schema
}

#[test]
fn both_migration_sets_build_the_same_tables_and_columns() {
    let sqlite = sqlite_round_trip();
    if !postgres_configured() {
        return;
    }
    let (url, name) = fresh_postgres_database();
    let mut conn = crate::helpers::pg_connect(&url).unwrap();
    conn.run_pending_migrations(POSTGRES).unwrap();
    let postgres = postgres_schema(&mut conn);
    conn.revert_all_migrations(POSTGRES).unwrap();
    assert!(
        postgres_schema(&mut conn).is_empty(),
        "down migrations leave nothing behind"
    );
    conn.run_pending_migrations(POSTGRES).unwrap();
    assert_eq!(postgres_schema(&mut conn), postgres);
    drop(conn);
    postgres_admin(&[format!("DROP DATABASE \"{name}\"")]);

    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in SQLite: {only_sqlite:?}\nonly in PostgreSQL: {only_postgres:?}"
    );
}
