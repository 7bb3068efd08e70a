//! 消息投递: every channel's outbox (e-mail, the departments' group robots,
//! SMS) with its counts, the messages of a status and channel (by default
//! the dead letters, each with its channel, where it went and the last
//! error, and a button to send it again), and the message templates
//! (override, preview by saving, go back to the built-in one). The old
//! address, `/admin/mail`, redirects here.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::domain::channels::Channel;
use crate::http::pages::labels::{self, beijing};
use crate::http::pages::session::{check_csrf, page_lang, Viewer};
use crate::http::pages::{failed, lang_of, page, say, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::http::views::robots::service_name;
use crate::mail::templates::Template as MailTemplate;
use crate::services::mail;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/delivery", web::get().to(show))
        .route(
            "/admin/delivery/templates/{kind}/{locale}",
            web::post().to(put_template),
        )
        .route(
            "/admin/delivery/templates/{kind}/{locale}/reset",
            web::post().to(reset_template),
        )
        .route("/admin/delivery/dead/{id}/resend", web::post().to(resend))
        // The page's old address: bookmarks and forms still work.
        .route("/admin/mail", web::to(moved))
        .route("/admin/mail/{rest:.*}", web::to(moved));
}

/// `/admin/mail...` is now `/admin/delivery...`: a GET moves for good
/// (301), a form is sent on to the same place (308 keeps the POST).
async fn moved(req: HttpRequest) -> HttpResponse {
    let rest = req.path().trim_start_matches("/admin/mail");
    let mut to = format!("/admin/delivery{rest}");
    if !req.query_string().is_empty() {
        to = format!("{to}?{}", req.query_string());
    }
    let mut res = if req.method() == actix_web::http::Method::GET {
        HttpResponse::MovedPermanently()
    } else {
        HttpResponse::PermanentRedirect()
    };
    res.insert_header(("Location", to)).finish()
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

pub struct MessageShown {
    pub id: i64,
    pub channel: String,
    pub notice: String,
    /// Where it went: an address, a robot's name, a masked mobile.
    pub to: String,
    pub ticket_id: Option<i64>,
    pub attempts: i32,
    pub last_error: String,
    pub created_at: String,
    pub dead: bool,
}

/// A channel's counts: (code, name, pending, sent, dead).
pub type ChannelRow = (&'static str, String, i64, i64, i64);

#[derive(Template)]
#[template(path = "admin_delivery.html")]
struct DeliveryPage {
    c: Chrome,
    templates: Vec<TemplateShown>,
    messages: Vec<MessageShown>,
    channels: Vec<ChannelRow>,
    /// The list's filters: status and channel codes ("" for every channel).
    status: &'static str,
    channel: &'static str,
    /// (code, label) of the statuses and of the channels, for the filters.
    statuses: Vec<(&'static str, String)>,
    channel_names: Vec<(&'static str, String)>,
    next: Option<String>,
    errors: FormErrors,
    done: Option<String>,
}

/// What people call a channel.
pub fn channel_name(channel: &str, en: bool) -> String {
    let lang = lang_of(en);
    match Channel::parse(channel) {
        Some(Channel::Email) => say(lang, "robots_sms.channel_email"),
        Some(Channel::Sms) => say(lang, "robots_sms.channel_sms"),
        _ => service_name(channel, lang).to_string(),
    }
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
    status: Option<String>,
    channel: Option<String>,
}

/// What the page shows besides the templates and messages as stored.
#[derive(Default)]
struct Shown {
    /// The list's status and channel.
    status: Option<String>,
    channel: Option<String>,
    /// The page of the list before this id.
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
    http_status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let Shown {
        status: wanted_status,
        channel: wanted_channel,
        before,
        failed_form,
        errors,
        done,
    } = shown;
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    const PAGE: i64 = 50;
    let status: &'static str = match wanted_status.as_deref() {
        Some("pending") => "pending",
        Some("sent") => "sent",
        _ => "dead",
    };
    let channel = wanted_channel.as_deref().and_then(Channel::parse);
    let current = mail::current_templates(&state.db)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let (mut listed, counts) = mail::outbox_page(&state.db, status, channel, before, PAGE + 1)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let filters = format!(
        "status={status}&channel={}",
        channel.map_or("", Channel::as_str)
    );
    let next = if listed.len() as i64 > PAGE {
        listed.truncate(PAGE as usize);
        listed
            .last()
            .map(|m| format!("/admin/delivery?{filters}&before={}#messages", m.id))
    } else {
        None
    };
    let count = |ch: &str, st: &str| -> i64 {
        counts
            .iter()
            .filter(|(c, s, _)| c == ch && s == st)
            .map(|(_, _, n)| n)
            .sum()
    };
    let channels = Channel::ALL
        .iter()
        .map(|ch| {
            let code = ch.as_str();
            (
                code,
                channel_name(code, en),
                count(code, "pending"),
                count(code, "sent"),
                count(code, "dead"),
            )
        })
        .collect();
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
    let p = DeliveryPage {
        templates,
        messages: listed
            .into_iter()
            .map(|m| MessageShown {
                id: m.id,
                to: mail::shown_address(&m),
                channel: channel_name(&m.channel, en),
                notice: labels::mail_kind(&m.notice, en),
                ticket_id: m.ticket_id,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                created_at: beijing(m.created_at),
                dead: m.status == "dead",
            })
            .collect(),
        channels,
        status,
        channel: channel.map_or("", Channel::as_str),
        statuses: ["dead", "pending", "sent"]
            .into_iter()
            .map(|s| (s, labels::outbox_status(s, en)))
            .collect(),
        channel_names: Channel::ALL
            .iter()
            .map(|ch| (ch.as_str(), channel_name(ch.as_str(), en)))
            .collect(),
        next,
        errors,
        done,
        c,
    };
    Ok(page(http_status, p.render()))
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
    let q = q.into_inner();
    let shown = Shown {
        status: q.status,
        channel: q.channel,
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
        Ok(_) => Ok(see_other("/admin/delivery?done=template")),
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
    Ok(see_other("/admin/delivery?done=reset"))
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
        Ok(_) => Ok(see_other("/admin/delivery?done=resend#messages")),
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
