//! One message on each channel: an e-mail through the mailer, a notice
//! through a department's robot, an SMS through the provider. Each returns
//! why it failed and whether trying again could help.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{message_id, Delivery};
use crate::channels::http::{Posted, Poster};
use crate::channels::{robots as robot_format, tencent, Verdict};
use crate::configuration::{RobotsSettings, SmsSettings};
use crate::domain::channels::mask_mobiles;
use crate::domain::notify::Notice;
use crate::mail::context::context;
use crate::mail::templates::{builtin, render, Rendered, Template};
use crate::mail::transport::build_message;
use crate::mail::{Locale, MailKind};
use crate::storage::outbox::Message;
use crate::storage::robots::Robot;

/// Why a send failed, and whether trying again could help.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: String,
    pub permanent: bool,
    /// The least wait before the next attempt (a rate limit).
    pub wait_secs: i64,
}

impl Failure {
    fn permanent(error: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            permanent: true,
            wait_secs: 0,
        }
    }

    fn of(verdict: Verdict) -> Result<(), Failure> {
        match verdict {
            Verdict::Delivered => Ok(()),
            Verdict::Permanent(error) => Err(Failure::permanent(mask_mobiles(&error))),
            Verdict::Retry { error, after_secs } => Err(Failure {
                error: mask_mobiles(&error),
                permanent: false,
                wait_secs: after_secs.unwrap_or(0),
            }),
        }
    }
}

/// The HTTP clients, one per channel so that each keeps its own timeout
/// and its own connections.
#[derive(Debug, Clone)]
pub struct Posters {
    robots: Poster,
    sms: Poster,
}

impl Posters {
    pub fn new(robots: &RobotsSettings, sms: &SmsSettings) -> Result<Posters, String> {
        Ok(Posters {
            robots: Poster::new(robots.timeout_secs)?,
            sms: Poster::new(sms.timeout_secs)?,
        })
    }
}

/// How a POST's outcome reads: no answer may be tried again.
fn verdict_of(posted: Posted, read: impl FnOnce(u16, &str) -> Verdict) -> Verdict {
    match posted {
        Posted::Answer { status, body } => read(status, &body),
        Posted::NoAnswer(error) => Verdict::Retry {
            error,
            after_secs: None,
        },
    }
}

/// The e-mail's subject, text and HTML of a message, with the
/// administrators' template if there is one (the built-in one if it fails).
fn rendered(
    kind: MailKind,
    params: &Value,
    locale: Locale,
    base_url: &str,
    overrides: &HashMap<(String, String), Template>,
) -> Result<(Rendered, serde_json::Map<String, Value>), Failure> {
    let ctx = context(kind, params, locale, base_url);
    let overridden = overrides.get(&(kind.as_str().to_string(), locale.as_str().to_string()));
    let r = match overridden.map(|t| render(t, &ctx, locale)) {
        Some(Ok(r)) => r,
        other => {
            if let Some(Err(e)) = other {
                // An override that passed its check can still fail on
                // real data; the built-in template keeps mail flowing.
                tracing::warn!(kind = kind.as_str(), locale = locale.as_str(), error = %e, "template override failed; the built-in template was used");
                metrics::counter!("yizhan_mail_template_fallbacks_total").increment(1);
            }
            render(builtin(kind, locale), &ctx, locale)
                .map_err(|e| Failure::permanent(format!("template {e}")))?
        }
    };
    Ok((r, ctx))
}

fn params_of(message: &Message) -> Result<Value, Failure> {
    serde_json::from_str(&message.params)
        .map_err(|e| Failure::permanent(format!("unreadable parameters: {e}")))
}

impl Delivery {
    pub(super) async fn send_email(
        &self,
        message: &Message,
        overrides: &HashMap<(String, String), Template>,
    ) -> Result<(), Failure> {
        let kind = MailKind::parse(&message.notice).ok_or_else(|| {
            Failure::permanent(format!("unknown kind of message `{}`", message.notice))
        })?;
        let locale = Locale::parse(&message.locale);
        let params = params_of(message)?;
        let (rendered, _) = rendered(kind, &params, locale, &self.base_url, overrides)?;
        let email = build_message(
            &self.from,
            &message.to_address,
            &rendered,
            message_id(message.id, message.created_at, &self.message_host),
        )
        .map_err(Failure::permanent)?;
        self.mailer
            .send(email)
            .await
            .map_err(|(error, permanent)| Failure {
                error,
                permanent,
                wait_secs: 0,
            })
    }

    /// A notice through a department's robot: the e-mail's subject and
    /// facts in the service's format, signed if the robot signs.
    pub(super) async fn send_robot(
        &self,
        message: &Message,
        robot: Option<&Robot>,
        overrides: &HashMap<(String, String), Template>,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let Some(robot) = robot.filter(|r| r.active) else {
            return Err(Failure::permanent("the robot was removed or turned off"));
        };
        let service = robot.service().ok_or_else(|| {
            Failure::permanent(format!("unknown robot service `{}`", robot.service))
        })?;
        let notice = Notice::parse(&message.notice).ok_or_else(|| {
            Failure::permanent(format!("unknown kind of message `{}`", message.notice))
        })?;
        let locale = Locale::parse(&message.locale);
        let params = params_of(message)?;
        let (mail, ctx) = rendered(
            MailKind::Notice(notice),
            &params,
            locale,
            &self.base_url,
            overrides,
        )?;
        let lang = crate::mail::context::lang(locale);
        let m = robot_format::compose(notice, &mail.subject, &ctx, lang);
        let signature = robot_format::sign(service, robot.secret.as_deref(), now);
        let url = robot_format::webhook_url(service, &robot.webhook_url, signature.as_ref());
        let body = robot_format::body(service, &m, signature.as_ref()).to_string();
        let posted = self.posters.robots.post_json(&url, &[], body).await;
        Failure::of(verdict_of(posted, |s, b| {
            robot_format::interpret(service, s, b)
        }))
    }

    /// An SMS through the provider: the event's template with the ticket's
    /// number and title.
    pub(super) async fn send_sms(
        &self,
        message: &Message,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let s = &self.sms;
        if !s.enabled() {
            return Err(Failure::permanent("SMS is not configured (sms.provider)"));
        }
        let template = match Notice::parse(&message.notice) {
            Some(Notice::SignedFor) => &s.template_signed_for,
            Some(Notice::InfoRequested) => &s.template_info_requested,
            Some(Notice::Resolved) => &s.template_resolved,
            _ => {
                return Err(Failure::permanent(format!(
                    "no SMS template for `{}`",
                    message.notice
                )))
            }
        };
        let params = params_of(message)?;
        let text = |k: &str| {
            params
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let template_params = sms_params(&text("number"), &text("title"));
        let session = format!("yizhan-outbox-{}", message.id);
        let payload = tencent::send_sms_payload(&tencent::Sms {
            mobile: &message.to_address,
            sdk_app_id: &s.sdk_app_id,
            sign_name: &s.sign_name,
            template_id: template,
            params: &template_params,
            session_context: &session,
        });
        let signed = tencent::Tc3 {
            secret_id: &s.secret_id,
            secret_key: secrecy::ExposeSecret::expose_secret(&s.secret_key),
            host: s.host().unwrap_or_default(),
            service: tencent::SERVICE,
            action: tencent::ACTION,
            version: tencent::VERSION,
            region: &s.region,
            timestamp: tencent::timestamp(now),
        }
        .sign(payload);
        let posted = self
            .posters
            .sms
            .post_json(s.endpoint.trim(), &signed.headers, signed.body)
            .await;
        Failure::of(verdict_of(posted, tencent::interpret))
    }
}

/// An SMS template's parameters: {1} the ticket number, {2} its title cut
/// to 20 characters (providers limit a parameter's length).
pub fn sms_params(number: &str, title: &str) -> Vec<String> {
    let title: String = if title.chars().count() > 20 {
        format!("{}…", title.chars().take(19).collect::<String>())
    } else {
        title.to_string()
    };
    vec![number.to_string(), title]
}
