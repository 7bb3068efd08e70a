//! The administrators' pages: users, departments, enterprises and the
//! white list, SLA policies and the work calendar, routing rules, message
//! templates and dead e-mails. Each calls the services the admin API calls.

mod catalogue;
mod departments;
mod enterprises;
mod mail;
mod routing;
mod sla;
mod users;

use actix_web::{web, HttpRequest};

use super::session::Viewer;
use super::PageError;
use crate::domain::access::may_administer;

pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    departments::configure(cfg);
    enterprises::configure(cfg);
    sla::configure(cfg);
    routing::configure(cfg);
    catalogue::configure(cfg);
    mail::configure(cfg);
}

/// The viewer, if an administrator; to anyone else the page does not exist.
pub fn admin(req: &HttpRequest, v: Viewer) -> Result<Viewer, actix_web::Error> {
    if may_administer(&v.caller) {
        Ok(v)
    } else {
        Err(PageError::not_found(req).into())
    }
}
