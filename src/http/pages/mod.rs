//! The web application: server-rendered pages over the same services as
//! the API. Pages work without JavaScript (the little there is only makes
//! them nicer), every asset is served by the binary, every form carries a
//! CSRF token, and every response forbids framing and foreign content.

mod account;
mod admin;
mod canned_replies;
mod chrome;
mod daily;
mod dashboard;
mod dashboard_charts;
mod desk;
mod labels;
mod map;
mod monitoring;
mod monitoring_lists;
mod notifications;
mod portal;
mod print;
pub mod session;
mod sms_number;
mod supervise;
mod svg;
mod ticket;
mod ticket_confirm;
mod ticket_desk;
mod ticket_files;
mod ticket_names;
mod ticket_timeline;
mod trust;
mod workbench;

use actix_web::body::BoxBody;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::words;
pub use crate::words::{fill, lang_of, say};
pub use chrome::{Chrome, FormErrors};
#[cfg(test)]
pub(crate) use labels::CODE_AREAS;
use session::page_lang;

/// The request plumbing pages share with the JSON API.
pub(crate) use super::caller::{client_address, public_limit};
use super::lang::Lang;
use super::problem::ApiError;
pub(crate) use super::AppState;

const CSS: &str = include_str!("static/yizhan.css");
const JS: &str = include_str!("static/yizhan.js");
const ICON: &str = include_str!("static/icon.svg");

/// Adds the page routes to the app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/yizhan.css", web::get().to(css))
        .route("/static/yizhan.js", web::get().to(js))
        .route("/static/icon.svg", web::get().to(icon))
        .route("/", web::get().to(account::home));
    account::configure(cfg);
    portal::configure(cfg);
    ticket::configure(cfg);
    workbench::configure(cfg);
    dashboard::configure(cfg);
    supervise::configure(cfg);
    trust::configure(cfg);
    canned_replies::configure(cfg);
    admin::configure(cfg);
    notifications::configure(cfg);
    sms_number::configure(cfg);
    daily::configure(cfg);
    monitoring::configure(cfg);
    monitoring_lists::configure(cfg);
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}

async fn icon() -> HttpResponse {
    asset("image/svg+xml", ICON)
}

/// The headers every page carries: only this site's scripts and styles, no
/// framing, no Referer (some URLs carry one-time tokens), no caching.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn secure_headers(mut res: HttpResponse) -> HttpResponse {
    let h = res.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
    ] {
        h.insert(
            header::HeaderName::from_static(name),
            header::HeaderValue::from_static(value),
        );
    }
    res
}

/// A rendered page; a template that fails to render is logged and shown
/// as a plain apology, never as its internals.
pub fn page(status: StatusCode, body: Result<String, askama::Error>) -> HttpResponse {
    match body {
        Ok(html) => secure_headers(
            HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
        ),
        Err(e) => {
            tracing::error!(error = %e, "page did not render");
            secure_headers(
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("页面暂时无法显示。The page cannot be shown right now."),
            )
        }
    }
}

pub fn render(t: &impl Template) -> HttpResponse {
    page(StatusCode::OK, t.render())
}

/// To another page after a form was handled (303: the browser gets it).
pub fn see_other(location: &str) -> HttpResponse {
    secure_headers(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location.to_string()))
            .finish(),
    )
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    heading: String,
    text: String,
    /// `ok` or `bad`.
    tone: &'static str,
    link: Option<(String, String)>,
}

/// A page that only says something (a result, or why not).
pub fn message(
    status: StatusCode,
    c: Chrome,
    heading: String,
    text: String,
    tone: &'static str,
    link: Option<(String, String)>,
) -> HttpResponse {
    page(
        status,
        MessagePage {
            c,
            heading,
            text,
            tone,
            link,
        }
        .render(),
    )
}

/// An error shown as a page: not found, not allowed, a stale form, the
/// database away. Its text is for people; internals go to the log.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    lang: Lang,
    /// The heading's catalogue key.
    heading: &'static str,
    text: String,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, words::text(Lang::En, self.heading))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let c = Chrome::bare(self.lang);
        let heading = c.t(self.heading).to_string();
        let home = c.t("page.home").to_string();
        message(
            self.status,
            c,
            heading,
            self.text.clone(),
            "bad",
            Some(("/".into(), home)),
        )
    }
}

impl PageError {
    /// A form too large to read at all (far past every field's limit).
    pub fn form_too_large(req: &HttpRequest) -> PageError {
        let lang = page_lang(req);
        PageError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            lang,
            heading: "page.too_much_text",
            text: say(lang, "page.too_much_text_text"),
        }
    }

    pub fn not_found(req: &HttpRequest) -> PageError {
        let lang = page_lang(req);
        PageError {
            status: StatusCode::NOT_FOUND,
            lang,
            heading: "page.not_found",
            text: say(lang, "page.not_found_text"),
        }
    }

    /// An address this site has no page at (the app's default service).
    pub fn no_such_page(req: &HttpRequest) -> PageError {
        let lang = page_lang(req);
        PageError {
            status: StatusCode::NOT_FOUND,
            lang,
            heading: "page.not_found",
            text: say(lang, "page.no_such_page"),
        }
    }

    pub fn stale_form(req: &HttpRequest) -> PageError {
        let lang = page_lang(req);
        PageError {
            status: StatusCode::FORBIDDEN,
            lang,
            heading: "page.form_expired",
            text: say(lang, "page.form_expired_text"),
        }
    }

    /// Anything the person cannot fix: the database away, a failure.
    pub fn from_api(req: &HttpRequest, e: ApiError) -> PageError {
        let lang = page_lang(req);
        let problem = e.to_problem(lang);
        let status = e.kind.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), detail = ?problem.detail, "page failed");
        }
        PageError {
            status,
            lang,
            heading: if status == StatusCode::NOT_FOUND {
                "page.not_found"
            } else if status.is_server_error() {
                "page.service_unavailable"
            } else {
                "page.did_not_work"
            },
            text: if status.is_server_error() {
                say(lang, "common.service_unavailable_right_now_please")
            } else {
                problem.detail.unwrap_or(problem.title)
            },
        }
    }
}

/// The database (or another service) is away.
pub fn unavailable(req: &HttpRequest, why: &str) -> PageError {
    tracing::warn!(why, "page unavailable");
    let lang = page_lang(req);
    PageError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        lang,
        heading: "page.service_unavailable",
        text: say(lang, "common.service_unavailable_right_now_please"),
    }
}

/// A service error as a page error.
pub fn failed(req: &HttpRequest, e: impl Into<ApiError>) -> actix_web::Error {
    PageError::from_api(req, e.into()).into()
}
