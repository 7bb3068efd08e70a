//! Use cases over storage and the domain core, shared by the API, the web
//! pages, the command line and background jobs.

pub mod accounts;
pub mod action_request;
pub mod auth;
pub mod calendar;
pub mod canned_replies;
pub mod catalogue;
pub mod clock;
pub mod cohandling;
pub mod dashboard;
pub mod dashboard_cache;
pub mod deadlines;
pub mod delivery;
pub mod demo;
pub mod departments;
pub mod digest;
pub mod enterprises;
pub mod filing_limits;
pub mod imports;
pub mod join_requests;
pub mod mail;
pub mod metrics;
pub mod notify;
pub mod queue;
pub mod ranking;
pub mod reference;
pub mod routing_rules;
pub mod sla;
pub mod sla_policies;
pub mod sla_scanner;
pub mod supervision;
pub mod ticket_actions;
pub mod ticket_export;
pub mod tickets;
pub mod users;
