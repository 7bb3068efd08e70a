//! Message templates (override, preview by saving, go back to the
//! built-in one) and the e-mails that could not be delivered.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::http::pages::labels::{self, beijing};
use crate::http::pages::session::{check_csrf, page_lang, Viewer};
use crate::http::pages::{failed, page, say, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::mail::templates::Template as MailTemplate;
use crate::services::mail;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/mail", web::get().to(show))
        .route(
            "/admin/mail/templates/{kind}/{locale}",
            web::post().to(put_template),
        )
        .route(
            "/admin/mail/templates/{kind}/{locale}/reset",
            web::post().to(reset_template),
        )
        .route("/admin/mail/dead/{id}/resend", web::post().to(resend));
}

pub struct TemplateShown {
    pub kind: &'static str,
    pub locale: &'static str,
    /// The kind and language as people call them.
    pub kind_name: String,
    pub locale_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub overridden_at: Option<String>,
    pub errors: FormErrors,
    pub open: bool,
}

pub struct DeadShown {
    pub id: i64,
    pub notice: String,
    pub to: String,
    pub attempts: i32,
    pub last_error: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "admin_mail.html")]
struct MailPage {
    c: Chrome,
    templates: Vec<TemplateShown>,
    dead: Vec<DeadShown>,
    counts: Vec<(String, i64)>,
    next: Option<String>,
    errors: FormErrors,
    done: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    html: String,
}

#[derive(Debug, Deserialize)]
struct MailQuery {
    before: Option<i64>,
    done: Option<String>,
}

/// What the page shows besides the templates and dead e-mails as stored.
#[derive(Default)]
struct Shown {
    /// The page of dead e-mails before this id.
    before: Option<i64>,
    /// A template form that failed: (kind, locale, what was typed, why).
    failed_form: Option<(String, String, TemplateForm, FormErrors)>,
    errors: FormErrors,
    done: Option<String>,
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let Shown {
        before,
        failed_form,
        errors,
        done,
    } = shown;
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    const PAGE: i64 = 50;
    let current = mail::current_templates(&state.db)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let (mut dead, counts) = mail::outbox_page(&state.db, "dead", before, PAGE + 1)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let next = if dead.len() as i64 > PAGE {
        dead.truncate(PAGE as usize);
        dead.last()
            .map(|m| format!("/admin/mail?before={}#dead", m.id))
    } else {
        None
    };
    let mut failed_form = failed_form;
    let templates = current
        .into_iter()
        .map(|t| {
            let (kind, locale) = (t.kind.as_str(), t.locale.as_str());
            match failed_form.take_if(|(k, l, _, _)| k == kind && l == locale) {
                Some((_, _, f, errors)) => TemplateShown {
                    kind,
                    locale,
                    kind_name: labels::mail_kind(kind, en),
                    locale_name: labels::locale_name(locale, en),
                    subject: f.subject,
                    text: f.text,
                    html: f.html,
                    overridden_at: t.overridden_at.map(|a| beijing(a.naive_utc())),
                    errors,
                    open: true,
                },
                None => TemplateShown {
                    kind,
                    locale,
                    kind_name: labels::mail_kind(kind, en),
                    locale_name: labels::locale_name(locale, en),
                    subject: t.template.subject,
                    text: t.template.text,
                    html: t.template.html,
                    overridden_at: t.overridden_at.map(|a| beijing(a.naive_utc())),
                    errors: FormErrors::default(),
                    open: false,
                },
            }
        })
        .collect();
    let p = MailPage {
        templates,
        dead: dead
            .into_iter()
            .map(|m| DeadShown {
                id: m.id,
                notice: labels::mail_kind(&m.notice, en),
                to: m.to_address,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                created_at: beijing(m.created_at),
            })
            .collect(),
        counts: counts
            .into_iter()
            .map(|(status, n)| (labels::outbox_status(&status, en), n))
            .collect(),
        next,
        errors,
        done,
        c,
    };
    Ok(page(status, p.render()))
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<MailQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let lang = page_lang(&req);
    let done = q.done.as_deref().map(|d| match d {
        "resend" => say(lang, "admin_mail.queued_sent_again"),
        "reset" => say(lang, "admin_mail.built_template_applies_again"),
        _ => say(lang, "admin_mail.template_saved"),
    });
    let shown = Shown {
        before: q.before,
        done,
        ..Shown::default()
    };
    render(&state, &req, &v, shown, StatusCode::OK).await
}

async fn put_template(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(String, String)>,
    f: web::Form<TemplateForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    let (kind, locale) =
        crate::services::mail::target(&path.0, &path.1).map_err(|_| PageError::not_found(&req))?;
    let template = MailTemplate {
        subject: f.subject.clone(),
        text: f.text.clone(),
        html: f.html.clone(),
    };
    match mail::put_template(
        &state.db,
        kind,
        locale,
        template,
        v.user.id,
        state.sla.now(),
    )
    .await
    {
        Ok(_) => Ok(see_other("/admin/mail?done=template")),
        Err(e) => {
            let e = ApiError::from(e);
            if e.kind.status().is_server_error() {
                return Err(PageError::from_api(&req, e).into());
            }
            let lang = page_lang(&req);
            let problem = e.to_problem(lang);
            let mut errors = FormErrors::default();
            errors.general.extend(
                problem
                    .errors
                    .into_iter()
                    .map(|fe| format!("{}：{}", fe.field, fe.message)),
            );
            let shown = Shown {
                failed_form: Some((
                    kind.as_str().to_string(),
                    locale.as_str().to_string(),
                    f,
                    errors,
                )),
                ..Shown::default()
            };
            render(&state, &req, &v, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn reset_template(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(String, String)>,
    f: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    let _v = admin(&req, v)?;
    check_csrf(&req, &f.csrf)?;
    let (kind, locale) =
        crate::services::mail::target(&path.0, &path.1).map_err(|_| PageError::not_found(&req))?;
    mail::remove_template(&state.db, kind, locale)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    Ok(see_other("/admin/mail?done=reset"))
}

async fn resend(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    check_csrf(&req, &f.csrf)?;
    match mail::resend(&state.db, path.into_inner(), state.sla.now()).await {
        Ok(_) => Ok(see_other("/admin/mail?done=resend#dead")),
        Err(e) => {
            let e = ApiError::from(e);
            if e.kind.status().is_server_error() || e.kind.status() == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(&req, e).into());
            }
            let errors = FormErrors::of(e, page_lang(&req));
            let shown = Shown {
                errors,
                ..Shown::default()
            };
            render(&state, &req, &v, shown, StatusCode::CONFLICT).await
        }
    }
}
