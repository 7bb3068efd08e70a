//! 一站 yizhan: enterprises' problem reports, routed to the industry-and-IT
//! departments of county, city, province and ministry, and seen through to a
//! resolution the enterprise confirms.
//!
//! - [`domain`]: pure rules and values, no I/O.
//! - [`storage`]: diesel models and queries over SQLite or PostgreSQL.
//! - [`http`]: the JSON API; parses, calls, renders.
//! - [`services`]: use cases (log-in, accounts) over storage and domain.
//! - [`jobs`]: background loops (the SLA scanner) over the services.
//! - [`security`]: password hashing, access and refresh tokens.
//! - [`seed`]: reference data compiled into the binary.
//! - [`configuration`], [`telemetry`], [`startup`], [`cli`]: running the service.

pub mod cli;
pub mod configuration;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod security;
pub mod seed;
pub mod services;
pub mod startup;
pub mod storage;
pub mod telemetry;
