//! Administration of mail and delivery: message templates (overrides are
//! tried before they are saved) and the outbox of every channel, where dead
//! messages can be sent again.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Admin, Body};
use super::problem::{ApiError, Message, Problem};
use super::AppState;
use crate::domain::channels::Channel;
use crate::mail::context::variables;
use crate::mail::templates::Template;
use crate::mail::{Locale, MailKind};
use crate::services::mail::{self, CurrentTemplate};
use crate::storage::outbox;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateBody {
    /// One line; minijinja syntax, e.g. `【一站】{{ number }}`.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (values are HTML-escaped automatically).
    pub html: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// `new_ticket`, `assigned`, ..., `digest`, `activation`, `password_reset`.
    pub kind: String,
    /// `zh` or `en`.
    pub locale: String,
    /// The variables this kind's templates may use.
    pub variables: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Whether an administrator's override is in force (else the built-in one).
    pub overridden: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<CurrentTemplate> for TemplateView {
    fn from(c: CurrentTemplate) -> Self {
        TemplateView {
            kind: c.kind.as_str().into(),
            locale: c.locale.as_str().into(),
            variables: variables(c.kind).into_iter().map(String::from).collect(),
            subject: c.template.subject,
            text: c.template.text,
            html: c.template.html,
            overridden: c.overridden_at.is_some(),
            updated_at: c.overridden_at,
        }
    }
}

/// The override saved, and how it renders on sample data.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedTemplate {
    pub template: TemplateView,
    pub preview: TemplateBody,
}

async fn view_of(
    state: &AppState,
    kind: MailKind,
    locale: Locale,
) -> Result<TemplateView, ApiError> {
    mail::current_templates(&state.db)
        .await?
        .into_iter()
        .find(|c| c.kind == kind && c.locale == locale)
        .map(TemplateView::from)
        .ok_or_else(|| ApiError::not_found("problem.no_such_template"))
}

/// Every message template in both languages, as in force now.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<TemplateView>)))]
#[get("/admin/message-templates")]
pub async fn list_templates(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<web::Json<Vec<TemplateView>>, ApiError> {
    Ok(web::Json(
        mail::current_templates(&state.db)
            .await?
            .into_iter()
            .map(TemplateView::from)
            .collect(),
    ))
}

/// One message template.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("locale" = String, Path)),
    responses((status = 200, body = TemplateView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/admin/message-templates/{kind}/{locale}")]
pub async fn get_template(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<web::Json<TemplateView>, ApiError> {
    let (kind, locale) = mail::target(&path.0, &path.1).map_err(ApiError::from)?;
    Ok(web::Json(view_of(&state, kind, locale).await?))
}

/// Overrides a template. It is rendered on sample data first: a syntax
/// error, an unknown variable or an empty part is refused with the reason
/// (422), and the template in force stays.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("locale" = String, Path)),
    request_body = TemplateBody,
    responses(
        (status = 200, body = SavedTemplate),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The template does not render; the reason names the part and line", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/message-templates/{kind}/{locale}")]
pub async fn put_template(
    state: web::Data<AppState>,
    Admin(who): Admin,
    path: web::Path<(String, String)>,
    body: Body<TemplateBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let (kind, locale) = mail::target(&path.0, &path.1).map_err(ApiError::from)?;
    let template = Template {
        subject: b.subject,
        text: b.text,
        html: b.html,
    };
    let preview = mail::put_template(
        &state.db,
        kind,
        locale,
        template,
        who.user.id,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(SavedTemplate {
        template: view_of(&state, kind, locale).await?,
        preview: TemplateBody {
            subject: preview.subject,
            text: preview.text,
            html: preview.html,
        },
    }))
}

/// Removes an override: the built-in template applies again.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("locale" = String, Path)),
    responses((status = 204), (status = 404, description = "No override to remove", body = Problem, content_type = "application/problem+json"))
)]
#[delete("/admin/message-templates/{kind}/{locale}")]
pub async fn delete_template(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (kind, locale) = mail::target(&path.0, &path.1).map_err(ApiError::from)?;
    if mail::remove_template(&state.db, kind, locale).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("problem.no_template_override"))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// `dead` (default), `pending` or `sent`.
    pub status: Option<String>,
    /// Only one channel: `email`, `wecom`, `dingtalk`, `feishu` or `sms`.
    pub channel: Option<String>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessageView {
    pub id: i64,
    pub kind: String,
    /// `email`, `wecom`, `dingtalk`, `feishu` or `sms`.
    pub channel: String,
    pub ticket_id: Option<i64>,
    pub recipient_user_id: Option<i64>,
    /// The robot a robot message goes through.
    pub robot_id: Option<i64>,
    /// The address on its channel: an e-mail address, the robot's name, or
    /// an SMS's mobile number masked (`138****5678`).
    pub to_address: String,
    pub locale: String,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<outbox::Message> for OutboxMessageView {
    fn from(m: outbox::Message) -> Self {
        OutboxMessageView {
            id: m.id,
            to_address: mail::shown_address(&m),
            kind: m.notice,
            channel: m.channel,
            ticket_id: m.ticket_id,
            recipient_user_id: m.recipient_user_id,
            robot_id: m.robot_id,
            locale: m.locale,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at.and_utc(),
            last_error: m.last_error,
            created_at: m.created_at.and_utc(),
            sent_at: m.sent_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPage {
    pub items: Vec<OutboxMessageView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<i64>,
    /// Every channel together.
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
    /// Each channel's own counts.
    pub channels: Vec<ChannelCounts>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelCounts {
    pub channel: String,
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
}

/// The outbox of every channel, newest first: by default the dead messages,
/// with their last error.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(OutboxQuery),
    responses((status = 200, body = OutboxPage), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/admin/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    _admin: Admin,
    // Read after the administrator check: a malformed query must not tell
    // others that the route exists (they get 404 either way).
    query: Result<web::Query<OutboxQuery>, actix_web::Error>,
) -> Result<web::Json<OutboxPage>, actix_web::Error> {
    let query = query?;
    let status: &'static str = match query.status.as_deref().unwrap_or("dead") {
        "dead" => "dead",
        "pending" => "pending",
        "sent" => "sent",
        _ => {
            return Err(ApiError::invalid_fields(vec![(
                "status".into(),
                Message::new("problem.outbox_status"),
            )])
            .into())
        }
    };
    let channel = match query.channel.as_deref() {
        None | Some("") => None,
        Some(c) => Some(Channel::parse(c).ok_or_else(|| {
            ApiError::invalid_fields(vec![(
                "channel".into(),
                Message::new("robots_sms.outbox_channel"),
            )])
        })?),
    };
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let (items, counts) = mail::outbox_page(&state.db, status, channel, query.before, limit)
        .await
        .map_err(ApiError::from)?;
    let count = |c: Option<&str>, s: &str| -> i64 {
        counts
            .iter()
            .filter(|(ch, st, _)| st == s && c.is_none_or(|c| c == ch))
            .map(|(_, _, n)| n)
            .sum()
    };
    let channels = Channel::ALL
        .iter()
        .map(|c| ChannelCounts {
            channel: c.as_str().into(),
            pending: count(Some(c.as_str()), "pending"),
            sent: count(Some(c.as_str()), "sent"),
            dead: count(Some(c.as_str()), "dead"),
        })
        .collect();
    let next_before = (items.len() as i64 == limit)
        .then(|| items.last().map(|m| m.id))
        .flatten();
    Ok(web::Json(OutboxPage {
        pending: count(None, "pending"),
        sent: count(None, "sent"),
        dead: count(None, "dead"),
        channels,
        next_before,
        items: items.into_iter().map(OutboxMessageView::from).collect(),
    }))
}

/// Sends a dead message again: it is queued with a fresh count of attempts.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = OutboxMessageView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The message is not dead, or carries a one-time link", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/outbox/{id}/resend")]
pub async fn resend(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<i64>,
) -> Result<web::Json<OutboxMessageView>, ApiError> {
    let message = mail::resend(&state.db, path.into_inner(), state.sla.now())
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(message.into()))
}
