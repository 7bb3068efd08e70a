//! Server-rendered pages. So far the pages an e-mailed link opens: account
//! activation, setting a new password, and asking for a reset link. They
//! work without JavaScript and call the same services as the API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::caller::client_address;
use super::lang::Lang;
use super::AppState;
use crate::services::accounts::{self, SelfServiceError};

const CSS: &str = include_str!("static/yizhan.css");

/// Adds the page routes to the app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/yizhan.css", web::get().to(css))
        .route("/account/activate", web::get().to(activate_form))
        .route("/account/activate", web::post().to(activate))
        .route("/account/reset-password", web::get().to(reset_form))
        .route("/account/reset-password", web::post().to(reset))
        .route("/account/forgot-password", web::get().to(forgot_form))
        .route("/account/forgot-password", web::post().to(forgot));
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS)
}

/// A page with the headers every page carries: nothing from elsewhere, no
/// framing, and no Referer (these URLs carry one-time tokens).
fn page(status: StatusCode, body: Result<String, askama::Error>) -> HttpResponse {
    match body {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ))
            .insert_header(("X-Frame-Options", "DENY"))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Cache-Control", "no-store"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "page did not render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("页面暂时无法显示。The page cannot be shown right now.")
        }
    }
}

fn pick(en: bool, zh: &str, english: &str) -> String {
    if en { english } else { zh }.to_string()
}

#[derive(Template)]
#[template(path = "password_form.html")]
struct PasswordForm {
    en: bool,
    lang_query: String,
    heading: String,
    intro: String,
    button: String,
    action: &'static str,
    token: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "email_form.html")]
struct EmailForm {
    en: bool,
    lang_query: String,
    email: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    en: bool,
    lang_query: String,
    heading: String,
    text: String,
    /// `ok` or `bad`.
    tone: &'static str,
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
struct PasswordFields {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Debug, Deserialize)]
struct EmailFields {
    #[serde(default)]
    email: String,
}

#[derive(Clone, Copy)]
enum Purpose {
    Activate,
    Reset,
}

fn password_form(purpose: Purpose, en: bool, token: &str, errors: Vec<String>) -> PasswordForm {
    let (heading, intro, button, action) = match purpose {
        Purpose::Activate => (
            pick(en, "激活企业账号", "Activate your enterprise account"),
            pick(
                en,
                "请设置登录密码，设置后账号即可使用。",
                "Choose a password; the account works as soon as it is set.",
            ),
            pick(en, "设置密码并激活", "Set the password and activate"),
            "/account/activate",
        ),
        Purpose::Reset => (
            pick(en, "设置新密码", "Choose a new password"),
            pick(
                en,
                "设置后，其他设备上的登录将全部退出。",
                "Once it is set, every other session of the account ends.",
            ),
            pick(en, "保存新密码", "Save the new password"),
            "/account/reset-password",
        ),
    };
    PasswordForm {
        en,
        lang_query: format!("token={token}&"),
        heading,
        intro,
        button,
        action,
        token: token.to_string(),
        errors,
    }
}

fn message(en: bool, heading: String, text: String, tone: &'static str) -> MessagePage {
    MessagePage {
        en,
        lang_query: String::new(),
        heading,
        text,
        tone,
    }
}

fn show_form(req: &HttpRequest, purpose: Purpose, token: &str) -> HttpResponse {
    let en = Lang::from_request(req) == Lang::En;
    if token.trim().is_empty() {
        let m = message(
            en,
            pick(en, "链接不完整", "The link is incomplete"),
            pick(
                en,
                "请从邮件中完整复制链接后再打开。",
                "Open the whole link from the e-mail.",
            ),
            "bad",
        );
        return page(StatusCode::BAD_REQUEST, m.render());
    }
    page(
        StatusCode::OK,
        password_form(purpose, en, token, Vec::new()).render(),
    )
}

async fn activate_form(req: HttpRequest, q: web::Query<TokenQuery>) -> HttpResponse {
    show_form(&req, Purpose::Activate, &q.token)
}

async fn reset_form(req: HttpRequest, q: web::Query<TokenQuery>) -> HttpResponse {
    show_form(&req, Purpose::Reset, &q.token)
}

/// What went wrong, as the person at the form should read it.
fn error_lines(e: &SelfServiceError, en: bool) -> (StatusCode, Vec<String>) {
    match e {
        SelfServiceError::PasswordRejected(rules) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            rules
                .iter()
                .map(|r| {
                    if en {
                        r.message_en().to_string()
                    } else {
                        r.message_zh().to_string()
                    }
                })
                .collect(),
        ),
        SelfServiceError::InvalidLink => (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![pick(
                en,
                "链接无效、已使用或已过期，请重新申请。",
                "The link is invalid, used or expired; please ask for a new one.",
            )],
        ),
        SelfServiceError::EmailTaken => (
            StatusCode::CONFLICT,
            vec![pick(
                en,
                "该电子邮箱已有账号，请直接登录或重置密码。",
                "This e-mail already has an account; log in or reset the password.",
            )],
        ),
        SelfServiceError::Invalid(issues) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            issues
                .iter()
                .map(|i| if en { i.en.clone() } else { i.zh.clone() })
                .collect(),
        ),
        SelfServiceError::Auth(_) | SelfServiceError::Storage(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            vec![pick(
                en,
                "服务暂时不可用，请稍后再试。",
                "The service is unavailable right now; please try again shortly.",
            )],
        ),
    }
}

async fn submit_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    purpose: Purpose,
    f: PasswordFields,
) -> HttpResponse {
    let en = Lang::from_request(&req) == Lang::En;
    if f.password != f.confirm {
        let errors = vec![pick(
            en,
            "两次输入的密码不一致。",
            "The two passwords differ.",
        )];
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            password_form(purpose, en, &f.token, errors).render(),
        );
    }
    let now = state.sla.now();
    let done = match purpose {
        Purpose::Activate => accounts::activate(&state.db, &state.auth, &f.token, f.password, now)
            .await
            .map(|_| ()),
        Purpose::Reset => {
            accounts::reset_password(&state.db, &state.auth, &f.token, f.password, now).await
        }
    };
    match (done, purpose) {
        (Ok(()), Purpose::Activate) => page(
            StatusCode::OK,
            message(
                en,
                pick(en, "账号已激活", "Your account is active"),
                pick(
                    en,
                    "请使用邮箱和刚设置的密码登录。",
                    "Log in with your e-mail and the password you just chose.",
                ),
                "ok",
            )
            .render(),
        ),
        (Ok(()), Purpose::Reset) => page(
            StatusCode::OK,
            message(
                en,
                pick(en, "新密码已生效", "Your new password is set"),
                pick(
                    en,
                    "请使用新密码重新登录。",
                    "Log in again with the new password.",
                ),
                "ok",
            )
            .render(),
        ),
        (Err(e), _) => {
            let (status, errors) = error_lines(&e, en);
            page(
                status,
                password_form(purpose, en, &f.token, errors).render(),
            )
        }
    }
}

async fn activate(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<PasswordFields>,
) -> HttpResponse {
    submit_password(state, req, Purpose::Activate, f.into_inner()).await
}

async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<PasswordFields>,
) -> HttpResponse {
    submit_password(state, req, Purpose::Reset, f.into_inner()).await
}

async fn forgot_form(req: HttpRequest) -> HttpResponse {
    let en = Lang::from_request(&req) == Lang::En;
    let form = EmailForm {
        en,
        lang_query: String::new(),
        email: String::new(),
        errors: Vec::new(),
    };
    page(StatusCode::OK, form.render())
}

async fn forgot(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<EmailFields>,
) -> HttpResponse {
    let en = Lang::from_request(&req) == Lang::En;
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    let email = f.into_inner().email;
    if super::caller::public_limit(&state, &client, "", "").is_err() {
        let form = EmailForm {
            en,
            lang_query: String::new(),
            email,
            errors: vec![pick(
                en,
                "请求过于频繁，请稍后再试。",
                "Too many requests; try again shortly.",
            )],
        };
        return page(StatusCode::TOO_MANY_REQUESTS, form.render());
    }
    match accounts::request_password_reset(&state.db, &email, client, state.sla.now()).await {
        Ok(()) => page(
            StatusCode::OK,
            message(
                en,
                pick(en, "请查收邮件", "Check your e-mail"),
                pick(
                    en,
                    "如该邮箱已注册，重置密码的链接已发送，30 分钟内有效。",
                    "If this address has an account, a reset link is on its way; it works for 30 minutes.",
                ),
                "ok",
            )
            .render(),
        ),
        Err(e) => {
            let (status, errors) = error_lines(&e, en);
            let form = EmailForm {
                en,
                lang_query: String::new(),
                email,
                errors,
            };
            page(status, form.render())
        }
    }
}
