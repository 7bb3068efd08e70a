//! Integration tests: the real service over HTTP, on SQLite and PostgreSQL.

mod browser;
mod browser_story;
mod calendar_years;
mod cohandling;
mod desk_queue;
mod helpers;

mod accounts;
mod auth;
mod authorization;
mod demo;
mod enterprise_trust;
mod enterprises;
mod health;
mod hostile;
mod imports;
mod mail;
mod metrics;
mod openapi;
mod outbox;
mod pages;
mod pages_admin;
mod pages_words;
mod problems;
mod python;
mod recount;
mod reference;
mod schema;
mod security;
mod self_service;
mod sla;
mod smtp_sink;
mod supervisor_numbers;
mod ticket_export;
mod tickets;
mod workflow_reach;
