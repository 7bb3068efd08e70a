//! The delivery worker's step: claim due outbox messages, render each with
//! its template (an administrator's override or the built-in one), send it,
//! and record the outcome: sent, retried later with backoff, or dead.
//!
//! Claiming and recording are short transactions; sending happens between
//! them, outside any transaction, so a slow mail server holds no lock. A
//! worker that dies mid-round leaves its messages leased; when the lease
//! ends another worker sends them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, NaiveDateTime, Utc};
use futures_util::StreamExt;
use lettre::message::Mailbox;

use crate::configuration::MailSettings;
use crate::domain::delivery::{after_failure, AfterFailure};
use crate::mail::context::context;
use crate::mail::templates::{builtin, render, Template};
use crate::mail::transport::{build_message, Mailer};
use crate::mail::{Locale, MailKind};
use crate::storage::outbox::{self, Attempt, Message};
use crate::storage::templates;
use crate::storage::{write_transaction, Database, StorageError};

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    /// Attempts whose lease had run out before they were recorded.
    pub lease_lost: usize,
}

/// Everything a worker needs to send mail.
#[derive(Debug, Clone)]
pub struct Delivery {
    mailer: Mailer,
    from: Mailbox,
    base_url: String,
    message_host: String,
    settings: MailSettings,
}

impl Delivery {
    pub fn new(settings: &MailSettings, base_url: &str) -> Result<Delivery, String> {
        let from = settings
            .from
            .parse()
            .map_err(|e| format!("mail.from is not an address: {e}"))?;
        let message_host = base_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .filter(|h| !h.is_empty())
            .unwrap_or("yizhan.local")
            .to_string();
        Ok(Delivery {
            mailer: Mailer::from_settings(settings)?,
            from,
            base_url: base_url.to_string(),
            message_host,
            settings: settings.clone(),
        })
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// Sends what is due at `now`, one batch.
    pub async fn deliver_once(
        &self,
        db: &Database,
        now: DateTime<Utc>,
    ) -> Result<DeliveryReport, StorageError> {
        // Whole seconds: the lease is compared for equality when the result
        // is recorded, and PostgreSQL keeps only microseconds.
        let lease = (now.duration_trunc(Duration::seconds(1)).unwrap_or(now)
            + Duration::seconds(self.settings.lease_secs))
        .naive_utc();
        let limit = self.settings.batch;
        let claimed = db
            .run(move |conn| {
                Ok(write_transaction(conn, |conn| {
                    outbox::claim(conn, now.naive_utc(), lease, limit)
                })?)
            })
            .await?;
        let mut report = DeliveryReport {
            claimed: claimed.len(),
            ..Default::default()
        };
        if claimed.is_empty() {
            return Ok(report);
        }
        let overrides: HashMap<(String, String), Template> = db
            .run(|conn| Ok(templates::all(conn)?))
            .await?
            .into_iter()
            .map(|o| {
                (
                    (o.kind, o.locale),
                    Template {
                        subject: o.subject,
                        text: o.body_text,
                        html: o.body_html,
                    },
                )
            })
            .collect();

        // Several conversations at once: each SMTP message costs a few round
        // trips, and the pool keeps the connections open between them.
        let overrides = std::sync::Arc::new(overrides);
        let attempts: Vec<(i64, Attempt)> = futures_util::stream::iter(claimed.into_iter().map(|message| {
            let this = self.clone();
            let overrides = overrides.clone();
            async move {
                let attempt = match this.send(&message, &overrides).await {
                    Ok(()) => Attempt::Sent {
                        wipe_params: MailKind::parse(&message.notice).is_some_and(MailKind::is_secret),
                    },
                    Err(error) => {
                        tracing::warn!(message = message.id, attempt = message.attempts + 1, %error, "mail not sent");
                        this.after_failure(&message, error, now)
                    }
                };
                (message.id, attempt)
            }
        }))
        .buffer_unordered(self.settings.smtp_connections.max(1))
        .collect()
        .await;
        for (_, attempt) in &attempts {
            match attempt {
                Attempt::Sent { .. } => report.sent += 1,
                Attempt::Retry { .. } => report.retried += 1,
                Attempt::Dead { .. } => report.dead += 1,
            }
        }
        let outcomes = attempts;
        let finished = now.naive_utc();
        let lost = db
            .run(move |conn| {
                Ok(write_transaction(conn, |conn| {
                    let mut lost = 0;
                    for (id, attempt) in &outcomes {
                        if !outbox::finish(conn, *id, lease, attempt, finished)? {
                            lost += 1;
                        }
                    }
                    Ok::<_, diesel::result::Error>(lost)
                })?)
            })
            .await?;
        report.lease_lost = lost;
        metrics::counter!("yizhan_mail_sent_total").increment(report.sent as u64);
        metrics::counter!("yizhan_mail_failed_total")
            .increment((report.retried + report.dead) as u64);
        metrics::counter!("yizhan_mail_dead_total").increment(report.dead as u64);
        Ok(report)
    }

    fn after_failure(&self, message: &Message, error: String, now: DateTime<Utc>) -> Attempt {
        let s = &self.settings;
        let error: String = error.chars().take(1000).collect();
        match after_failure(
            message.attempts + 1,
            s.max_attempts,
            s.backoff_base_secs,
            s.backoff_max_secs,
            rand::random::<f64>(),
        ) {
            AfterFailure::Dead => Attempt::Dead { error },
            AfterFailure::Retry(secs) => Attempt::Retry {
                at: (now + Duration::seconds(secs)).naive_utc(),
                error,
            },
        }
    }

    async fn send(
        &self,
        message: &Message,
        overrides: &HashMap<(String, String), Template>,
    ) -> Result<(), String> {
        let kind = MailKind::parse(&message.notice)
            .ok_or_else(|| format!("unknown kind of message `{}`", message.notice))?;
        let locale = Locale::parse(&message.locale);
        let template = overrides
            .get(&(kind.as_str().to_string(), locale.as_str().to_string()))
            .unwrap_or_else(|| builtin(kind, locale));
        let params: serde_json::Value = serde_json::from_str(&message.params)
            .map_err(|e| format!("unreadable parameters: {e}"))?;
        let ctx = context(kind, &params, locale, &self.base_url);
        let rendered = render(template, &ctx, locale).map_err(|e| format!("template {e}"))?;
        let email = build_message(
            &self.from,
            &message.to_address,
            &rendered,
            message_id(message.id, message.created_at, &self.message_host),
        )?;
        self.mailer.send(email).await
    }
}

/// The Message-ID of an outbox row: the same on every retry.
pub fn message_id(id: i64, created_at: NaiveDateTime, host: &str) -> String {
    format!("<outbox.{id}.{}@{host}>", created_at.and_utc().timestamp())
}
