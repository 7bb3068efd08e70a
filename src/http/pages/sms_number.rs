//! 短信通知: an enterprise's users see and change the mobile number their
//! enterprise receives SMS on (受理, 要求补充, 办结), in full; everyone else
//! is told the page does not exist.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{check_csrf, Viewer};
use super::AppState;
use super::{failed, page, say, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::services::sms_numbers::{self, SmsNumberError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/sms", web::get().to(show))
        .route("/account/sms", web::post().to(save));
}

#[derive(Template)]
#[template(path = "sms_number.html")]
struct SmsPage {
    c: Chrome,
    /// The number as saved, or as typed and refused.
    mobile: String,
    sms_on: bool,
    errors: FormErrors,
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MobileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mobile: String,
}

/// The viewer's enterprise, if the viewer speaks for one.
fn own_enterprise(req: &HttpRequest, v: &Viewer) -> Result<i64, actix_web::Error> {
    match (v.caller.role, v.caller.enterprise_id) {
        (crate::domain::role::Role::Enterprise, Some(e)) => Ok(e),
        _ => Err(PageError::not_found(req).into()),
    }
}

fn refused(req: &HttpRequest, e: SmsNumberError) -> actix_web::Error {
    match e {
        SmsNumberError::Storage(s) => failed(req, ApiError::from(s)),
        _ => PageError::not_found(req).into(),
    }
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let e = own_enterprise(&req, &v)?;
    let n = sms_numbers::get(&state.db, &v.caller, e)
        .await
        .map_err(|err| refused(&req, err))?;
    let c = Chrome::for_viewer(&req, &v);
    let done = match q.done.as_deref() {
        Some("saved") => Some(say(c.lang(), "robots_sms.mobile_saved")),
        Some("removed") => Some(say(c.lang(), "robots_sms.mobile_removed")),
        _ => None,
    };
    let p = SmsPage {
        c,
        mobile: n.mobile.unwrap_or_default(),
        sms_on: n.sms_on,
        errors: FormErrors::default(),
        done,
    };
    Ok(page(StatusCode::OK, p.render()))
}

async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<MobileForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &f.csrf)?;
    let e = own_enterprise(&req, &v)?;
    match sms_numbers::set(&state.db, &v.caller, e, &f.mobile, state.sla.now()).await {
        Ok(n) => Ok(see_other(if n.mobile.is_some() {
            "/account/sms?done=saved"
        } else {
            "/account/sms?done=removed"
        })),
        Err(SmsNumberError::Invalid(issues)) => {
            let c = Chrome::for_viewer(&req, &v);
            let errors = FormErrors::of(crate::http::problem::invalid(issues), c.lang());
            let sms_on = sms_numbers::get(&state.db, &v.caller, e)
                .await
                .map_err(|err| refused(&req, err))?
                .sms_on;
            let p = SmsPage {
                c,
                mobile: f.mobile.clone(),
                sms_on,
                errors,
                done: None,
            };
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, p.render()))
        }
        Err(err) => Err(refused(&req, err)),
    }
}
