//! 一站 yizhan: enterprises' problem reports, routed to the industry-and-IT
//! departments of county, city, province and ministry, and seen through to a
//! resolution the enterprise confirms.
//!
//! - [`domain`]: the pure core, rules and values with no I/O (access, regions,
//!   enterprises, the ticket state machine, routing, working time, SLA
//!   clocks, metrics).
//! - [`storage`]: diesel models beside their queries, over SQLite or
//!   PostgreSQL through one connection type; migrations and reference data.
//! - [`services`]: the use cases over storage and domain (log-in and
//!   accounts, enterprises and imports, tickets and their actions, the
//!   queue, SLA policies, routing rules, departments, metrics and rankings,
//!   mail, the demo data set), shared by the API, the pages, the command
//!   line and the jobs. They take the time from the injectable
//!   `services::clock` (tokens and log-in throttles keep to the wall clock).
//! - [`http`]: actix-web, two faces over the same services: the JSON API
//!   (one file of handlers per area) and the web pages (`http::pages`),
//!   with what both show in `http::views` and every service refusal mapped
//!   to a problem (RFC 9457) in `http::problem`.
//! - [`jobs`]: background loops calling the services on a timer (SLA
//!   scanner, mail delivery, daily digest, metric folding, calendar watch).
//! - [`mail`]: message templates and their context, and the SMTP or `.eml`
//!   transport.
//! - [`security`]: password hashing, access tokens (JWT), refresh tokens.
//! - [`seed`]: reference data compiled into the binary, and the demo plan.
//! - [`words`]: every user-facing text, one catalogue per language
//!   (`locales/zh.toml`, `locales/en.toml`), and the [`words::Lang`] a
//!   reader gets.
//! - [`configuration`], [`telemetry`], [`startup`], [`cli`]: running the service.
//! - [`channels`]: notices besides e-mail: departments' group robots
//!   (WeCom, DingTalk, Feishu) and SMS to enterprises (Tencent Cloud SMS),
//!   in each service's format, signed, over HTTP.

pub mod channels;
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
pub mod words;
