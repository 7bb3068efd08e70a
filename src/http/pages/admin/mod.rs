//! The administrators' pages, one file per area:
//!
//! - `users`: find and create accounts; `user`: one account (edit, reset
//!   link, password, deactivation after a confirmation);
//! - `pickers`: the department and enterprise pickers of those forms;
//! - `departments`: the tree from the ministry down, and a department's
//!   settings (automatic assignment, desk phone); a lead sees and changes
//!   their own department here, as `services::departments` allows;
//! - `enterprises`: find enterprises; import them, or the white list, from
//!   CSV or XLSX with a dry run; `enterprise`: one enterprise's page;
//! - `sla`: SLA policies and the work calendar;
//! - `routing`: the routing rules;
//! - `catalogue`: the categories and industry chains;
//! - `delivery`: 消息投递, every channel's outbox with its dead letters, and
//!   the message templates (the old `/admin/mail` redirects there);
//! - `robots`: a department's group robots (its lead, or an administrator).
//!
//! Every change goes through the service the JSON API calls, and its
//! refusals read as `http::problem` maps them. [`admin`] hides a page from
//! everyone but administrators (all but the departments', whose service
//! decides who may see what).

mod catalogue;
mod delivery;
mod departments;
mod enterprise;
mod enterprises;
mod pickers;
mod robots;
mod routing;
mod sla;
mod user;
mod users;

use actix_web::{web, HttpRequest};

use super::session::Viewer;
use super::PageError;
use crate::domain::access::may_administer;

pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    user::configure(cfg);
    pickers::configure(cfg);
    departments::configure(cfg);
    enterprises::configure(cfg);
    enterprise::configure(cfg);
    sla::configure(cfg);
    routing::configure(cfg);
    catalogue::configure(cfg);
    delivery::configure(cfg);
    robots::configure(cfg);
}

/// The viewer, if an administrator; to anyone else the page does not exist.
pub fn admin(req: &HttpRequest, v: Viewer) -> Result<Viewer, actix_web::Error> {
    if may_administer(&v.caller) {
        Ok(v)
    } else {
        Err(PageError::not_found(req).into())
    }
}
