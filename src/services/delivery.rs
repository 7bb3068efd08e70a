//! The delivery worker's step: claim due outbox messages, render each with
//! its template (an administrator's override or the built-in one), send it,
//! and record the outcome: sent, retried later with backoff, or dead.
//!
//! Claiming and recording are short transactions; sending happens between
//! them, outside any transaction, so a slow mail server holds no lock. A
//! worker that dies mid-round leaves its messages leased; when the lease
//! ends another worker sends them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, NaiveDateTime, Utc};
use futures_util::StreamExt;
use lettre::message::Mailbox;

use crate::configuration::MailSettings;
use crate::domain::delivery::{after_failure, AfterFailure};
use crate::mail::context::context;
use crate::mail::templates::{builtin, render, Template};
use crate::mail::transport::{build_message, Mailer};
use crate::mail::{Locale, MailKind};
use crate::services::notify;
use crate::storage::outbox::{self, Attempt, Message};
use crate::storage::sla::SlaEvent;
use crate::storage::templates;
use crate::storage::{write_transaction, Database, StorageError};

/// SLA events whose notices are queued per transaction.
const SLA_EVENTS_PER_TRANSACTION: i64 = 500;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    /// Attempts whose lease had run out before they were recorded.
    pub lease_lost: usize,
    /// Claimed but given back unsent: the worker is stopping, or too little
    /// of the lease was left to send safely.
    pub released: usize,
}

/// How one claimed message ended this round.
enum Outcome {
    Recorded(Attempt),
    LeaseLost,
    Released,
}

/// Why a send failed, and whether trying again could help.
struct Failure {
    error: String,
    permanent: bool,
}

impl Failure {
    fn permanent(error: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            permanent: true,
        }
    }
}

/// Everything a worker needs to send mail.
#[derive(Debug, Clone)]
pub struct Delivery {
    mailer: Mailer,
    from: Mailbox,
    base_url: String,
    message_host: String,
    settings: MailSettings,
    /// The calendar and policies, for the time left that warnings state.
    sla: Option<crate::services::sla::Sla>,
    stopping: Arc<AtomicBool>,
    stop_signal: Arc<tokio::sync::Notify>,
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
            sla: None,
            stopping: Arc::default(),
            stop_signal: Arc::default(),
        })
    }

    /// Warnings then state the time left in their window's unit.
    pub fn with_sla(mut self, sla: crate::services::sla::Sla) -> Delivery {
        self.sla = Some(sla);
        self
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// Asks every round in progress to record what it has sent, give the
    /// rest back, and start nothing new.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop_signal.notify_waiters();
    }

    /// Resolves once [`Delivery::stop`] is called (for a waiting job).
    pub async fn stopped(&self) {
        if !self.is_stopped() {
            self.stop_signal.notified().await;
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn stopping(&self) -> bool {
        self.is_stopped()
    }

    /// Sends what is due at `now`, one batch. Each message's outcome is
    /// recorded as soon as its send returns, so a worker that stops or dies
    /// mid-round resends nothing that already went.
    pub async fn deliver_once(
        &self,
        db: &Database,
        now: DateTime<Utc>,
    ) -> Result<DeliveryReport, StorageError> {
        if self.stopping() {
            return Ok(DeliveryReport::default());
        }
        // Whole seconds: the lease is compared for equality when the result
        // is recorded, and PostgreSQL keeps only microseconds.
        let lease = (now.duration_trunc(Duration::seconds(1)).unwrap_or(now)
            + Duration::seconds(self.settings.lease_secs))
        .naive_utc();
        let limit = self.settings.batch;
        // SLA events the scanner recorded become one message per person.
        let queue_at = now.naive_utc();
        let sla = self.sla.clone();
        db.run(move |conn| loop {
            // A plain read first: most rounds find nothing, and then take no write lock.
            if !SlaEvent::any_unqueued(conn)? {
                return Ok(());
            }
            let snap = sla.as_ref().map(|s| s.snapshot(conn)).transpose()?;
            let (taken, _) = write_transaction(conn, |conn| {
                notify::queue_sla_notices(
                    conn,
                    queue_at,
                    SLA_EVENTS_PER_TRANSACTION,
                    snap.as_deref(),
                )
            })?;
            if (taken as i64) < SLA_EVENTS_PER_TRANSACTION {
                return Ok(());
            }
        })
        .await?;
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
        let started = Instant::now();
        let overrides = Arc::new(overrides);
        let outcomes: Vec<Result<Outcome, StorageError>> =
            futures_util::stream::iter(claimed.into_iter().map(|message| {
                let this = self.clone();
                let overrides = overrides.clone();
                let db = db.clone();
                async move {
                    this.attempt(&db, message, &overrides, now, started, lease)
                        .await
                }
            }))
            .buffer_unordered(self.settings.smtp_connections.max(1))
            .collect()
            .await;
        for outcome in outcomes {
            match outcome? {
                Outcome::Recorded(Attempt::Sent { .. }) => report.sent += 1,
                Outcome::Recorded(Attempt::Retry { .. }) => report.retried += 1,
                Outcome::Recorded(Attempt::Dead { .. }) => report.dead += 1,
                Outcome::LeaseLost => report.lease_lost += 1,
                Outcome::Released => report.released += 1,
            }
        }
        metrics::counter!("yizhan_mail_sent_total").increment(report.sent as u64);
        metrics::counter!("yizhan_mail_failed_total")
            .increment((report.retried + report.dead) as u64);
        metrics::counter!("yizhan_mail_dead_total").increment(report.dead as u64);
        Ok(report)
    }

    /// Sends one claimed message and records the outcome at once.
    async fn attempt(
        &self,
        db: &Database,
        message: Message,
        overrides: &HashMap<(String, String), Template>,
        now: DateTime<Utc>,
        started: Instant,
        lease: NaiveDateTime,
    ) -> Result<Outcome, StorageError> {
        // The round's clock (injectable in tests) moved on by the time spent.
        let clock =
            |started: Instant| now + Duration::from_std(started.elapsed()).unwrap_or_default();
        let margin = Duration::seconds(2 * self.settings.smtp_timeout_secs.max(1) as i64);
        let id = message.id;
        if self.stopping() || clock(started).naive_utc() + margin > lease {
            let at = clock(started).naive_utc();
            let given_back = db
                .run(move |conn| {
                    Ok(write_transaction(conn, |conn| {
                        outbox::release(conn, id, lease, at)
                    })?)
                })
                .await?;
            return Ok(if given_back {
                Outcome::Released
            } else {
                Outcome::LeaseLost
            });
        }
        let attempt = match self.send(&message, overrides).await {
            Ok(()) => Attempt::Sent {
                wipe_params: MailKind::parse(&message.notice).is_some_and(MailKind::is_secret),
            },
            Err(failure) => {
                tracing::warn!(message = id, attempt = message.attempts + 1, permanent = failure.permanent, error = %failure.error, "mail not sent");
                self.after_failure(&message, failure, clock(started))
            }
        };
        let recorded = loop {
            let at = clock(started).naive_utc();
            let attempt = attempt.clone();
            let result = db
                .run(move |conn| {
                    Ok(write_transaction(conn, |conn| {
                        outbox::finish(conn, id, lease, &attempt, at)
                    })?)
                })
                .await;
            match result {
                // The message went out but the database is away (a restart,
                // a failover): keep the outcome and try again while the
                // lease is ours, or the message would be sent twice.
                Err(StorageError::Unavailable(e))
                    if !self.stopping()
                        && clock(started).naive_utc() + Duration::seconds(2) < lease =>
                {
                    tracing::warn!(outbox_id = id, error = %e, "cannot record the attempt yet; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                other => break other?,
            }
        };
        if !recorded {
            tracing::warn!(
                message = id,
                "the lease ran out before the attempt was recorded"
            );
            return Ok(Outcome::LeaseLost);
        }
        Ok(Outcome::Recorded(attempt))
    }

    fn after_failure(&self, message: &Message, failure: Failure, now: DateTime<Utc>) -> Attempt {
        let s = &self.settings;
        let error: String = failure.error.chars().take(1000).collect();
        if failure.permanent {
            // The server refused the message itself (5xx), or it cannot be
            // built: trying again would only fail again.
            return Attempt::Dead { error };
        }
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
    ) -> Result<(), Failure> {
        let kind = MailKind::parse(&message.notice).ok_or_else(|| {
            Failure::permanent(format!("unknown kind of message `{}`", message.notice))
        })?;
        let locale = Locale::parse(&message.locale);
        let params: serde_json::Value = serde_json::from_str(&message.params)
            .map_err(|e| Failure::permanent(format!("unreadable parameters: {e}")))?;
        let ctx = context(kind, &params, locale, &self.base_url);
        let overridden = overrides.get(&(kind.as_str().to_string(), locale.as_str().to_string()));
        let rendered = match overridden.map(|t| render(t, &ctx, locale)) {
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
            .map_err(|(error, permanent)| Failure { error, permanent })
    }
}

/// The Message-ID of an outbox row: the same on every retry.
pub fn message_id(id: i64, created_at: NaiveDateTime, host: &str) -> String {
    format!("<outbox.{id}.{}@{host}>", created_at.and_utc().timestamp())
}
