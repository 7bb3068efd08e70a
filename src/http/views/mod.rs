//! What both faces show: the views of tickets and the files (CSV, XLSX) of
//! lists, numbers and rankings. The JSON API serialises them; the pages
//! render them or send them as downloads.

pub mod attachments;
pub mod export;
pub mod metrics;
pub mod monitoring;
pub mod notifications;
pub mod paging;
pub mod ranking;
pub mod robots;
pub mod ticket;
pub mod ticket_export;
