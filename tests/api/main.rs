//! Integration tests: the real service over HTTP, on SQLite and PostgreSQL.

mod helpers;

mod accounts;
mod auth;
mod enterprises;
mod health;
mod imports;
mod openapi;
mod outbox;
mod problems;
mod reference;
mod mail;
mod schema;
mod smtp_sink;
mod sla;
mod tickets;
