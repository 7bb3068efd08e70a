//! The delivery worker's step: claim due outbox messages of one channel,
//! send each through that channel's sender (e-mail over SMTP or files, a
//! group robot's webhook, an SMS through the provider), and record the
//! outcome: sent, retried later with backoff, or dead.
//!
//! Claiming and recording are short transactions; sending happens between
//! them, outside any transaction, so a slow server holds no lock. A worker
//! that dies mid-round leaves its messages leased; when the lease ends
//! another worker sends them. Each channel is claimed and sent on its own,
//! with its own timeout and concurrency: a robot service that is down
//! (timeouts, 5xx) delays only its own messages, never the e-mail.

mod senders;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, NaiveDateTime, Utc};
use futures_util::StreamExt;
use lettre::message::Mailbox;

use crate::configuration::{MailSettings, RobotsSettings, SmsSettings};
use crate::domain::channels::Channel;
use crate::domain::delivery::{after_failure, AfterFailure};
use crate::mail::templates::Template;
use crate::mail::transport::Mailer;
use crate::mail::MailKind;
use crate::services::notify;
use crate::storage::outbox::{self, Attempt, Message};
use crate::storage::robots::{self, Robot};
use crate::storage::sla::SlaEvent;
use crate::storage::templates;
use crate::storage::{write_transaction, Database, StorageError};

pub use senders::Failure;

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

impl std::ops::AddAssign for DeliveryReport {
    fn add_assign(&mut self, o: DeliveryReport) {
        self.claimed += o.claimed;
        self.sent += o.sent;
        self.retried += o.retried;
        self.dead += o.dead;
        self.lease_lost += o.lease_lost;
        self.released += o.released;
    }
}

/// How one claimed message ended this round.
enum Outcome {
    Recorded(Attempt),
    LeaseLost,
    Released,
}

/// What a round of one channel reads once for all its messages.
#[derive(Default)]
struct RoundData {
    /// Administrators' templates: (kind, locale) to template.
    overrides: HashMap<(String, String), Template>,
    /// The robots the round's robot messages go through.
    robots: HashMap<i64, Robot>,
}

/// Everything a worker needs to send on every channel.
#[derive(Debug, Clone)]
pub struct Delivery {
    mailer: Mailer,
    from: Mailbox,
    base_url: String,
    message_host: String,
    settings: MailSettings,
    /// The calendar and policies, for the time left that warnings state.
    sla: Option<crate::services::sla::Sla>,
    robots: RobotsSettings,
    sms: SmsSettings,
    /// The HTTP clients of the robot services and of the SMS provider.
    posters: senders::Posters,
    stopping: Arc<AtomicBool>,
    stop_signal: Arc<tokio::sync::Notify>,
}

impl Delivery {
    /// E-mail, and robots with their default timeouts; no SMS.
    pub fn new(settings: &MailSettings, base_url: &str) -> Result<Delivery, String> {
        let robots = RobotsSettings {
            timeout_secs: 10,
            concurrency: 4,
            allow_any_host: false,
        };
        let sms = SmsSettings {
            provider: String::new(),
            endpoint: String::new(),
            region: String::new(),
            secret_id: String::new(),
            secret_key: String::new().into(),
            sdk_app_id: String::new(),
            sign_name: String::new(),
            template_signed_for: String::new(),
            template_info_requested: String::new(),
            template_resolved: String::new(),
            timeout_secs: 10,
            concurrency: 4,
        };
        Delivery::with_channels(settings, &robots, &sms, base_url)
    }

    /// Every channel as configured.
    pub fn with_channels(
        settings: &MailSettings,
        robots: &RobotsSettings,
        sms: &SmsSettings,
        base_url: &str,
    ) -> Result<Delivery, String> {
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
            robots: robots.clone(),
            sms: sms.clone(),
            posters: senders::Posters::new(robots, sms)?,
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

    /// The channels this worker sends: SMS only with a provider.
    pub fn channels(&self) -> Vec<Channel> {
        Channel::ALL
            .into_iter()
            .filter(|c| *c != Channel::Sms || self.sms.enabled())
            .collect()
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

    /// Sends what is due at `now` on every channel, one batch each, the
    /// channels side by side.
    pub async fn deliver_once(
        &self,
        db: &Database,
        now: DateTime<Utc>,
    ) -> Result<DeliveryReport, StorageError> {
        if self.stopping() {
            return Ok(DeliveryReport::default());
        }
        self.queue_sla_notices(db, now).await?;
        let rounds = self.channels().into_iter().map(|c| self.round(db, now, c));
        let mut report = DeliveryReport::default();
        for r in futures_util::future::join_all(rounds).await {
            report += r?;
        }
        Ok(report)
    }

    /// Sends what is due at `now` on one channel, one batch. Each message's
    /// outcome is recorded as soon as its send returns, so a worker that
    /// stops or dies mid-round resends nothing that already went.
    pub async fn deliver_channel(
        &self,
        db: &Database,
        now: DateTime<Utc>,
        channel: Channel,
    ) -> Result<DeliveryReport, StorageError> {
        if self.stopping() {
            return Ok(DeliveryReport::default());
        }
        self.queue_sla_notices(db, now).await?;
        self.round(db, now, channel).await
    }

    /// SLA events the scanner recorded become one message per person (and
    /// robot).
    async fn queue_sla_notices(
        &self,
        db: &Database,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
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
        .await
    }

    /// The seconds one send on `channel` may take.
    fn timeout_secs(&self, channel: Channel) -> u64 {
        match channel {
            Channel::Email => self.settings.smtp_timeout_secs,
            Channel::Sms => self.sms.timeout_secs,
            _ => self.robots.timeout_secs,
        }
        .max(1)
    }

    fn concurrency(&self, channel: Channel) -> usize {
        match channel {
            Channel::Email => self.settings.smtp_connections,
            Channel::Sms => self.sms.concurrency,
            _ => self.robots.concurrency,
        }
        .max(1)
    }

    async fn round(
        &self,
        db: &Database,
        now: DateTime<Utc>,
        channel: Channel,
    ) -> Result<DeliveryReport, StorageError> {
        // Whole seconds: the lease is compared for equality when the result
        // is recorded, and PostgreSQL keeps only microseconds.
        let lease = (now.duration_trunc(Duration::seconds(1)).unwrap_or(now)
            + Duration::seconds(self.settings.lease_secs))
        .naive_utc();
        let limit = self.settings.batch;
        let name = channel.as_str();
        let claimed = db
            .run(move |conn| {
                // A plain read first, so an idle channel takes no write lock.
                if !outbox::any_due(conn, name, now.naive_utc())? {
                    return Ok(Vec::new());
                }
                Ok(write_transaction(conn, |conn| {
                    outbox::claim_channel(conn, name, now.naive_utc(), lease, limit)
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
        let robot_ids: Vec<i64> = claimed.iter().filter_map(|m| m.robot_id).collect();
        let data = db
            .run(move |conn| {
                let overrides = if channel == Channel::Sms {
                    HashMap::new()
                } else {
                    templates::all(conn)?
                        .into_iter()
                        .map(|o| {
                            let t = Template {
                                subject: o.subject,
                                text: o.body_text,
                                html: o.body_html,
                            };
                            ((o.kind, o.locale), t)
                        })
                        .collect()
                };
                let robots = robots::find_many(conn, &robot_ids)?
                    .into_iter()
                    .map(|r| (r.id, r))
                    .collect();
                Ok(RoundData { overrides, robots })
            })
            .await?;

        // Several at once: each message costs a few round trips, and the
        // clients keep their connections open between them.
        let started = Instant::now();
        let data = Arc::new(data);
        let outcomes: Vec<Result<Outcome, StorageError>> =
            futures_util::stream::iter(claimed.into_iter().map(|message| {
                let this = self.clone();
                let data = data.clone();
                let db = db.clone();
                async move {
                    this.attempt(&db, channel, message, &data, now, started, lease)
                        .await
                }
            }))
            .buffer_unordered(self.concurrency(channel))
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
        if channel == Channel::Email {
            metrics::counter!("yizhan_mail_sent_total").increment(report.sent as u64);
            metrics::counter!("yizhan_mail_failed_total")
                .increment((report.retried + report.dead) as u64);
            metrics::counter!("yizhan_mail_dead_total").increment(report.dead as u64);
        }
        let label = [("channel", name)];
        metrics::counter!("yizhan_delivery_sent_total", &label).increment(report.sent as u64);
        metrics::counter!("yizhan_delivery_failed_total", &label)
            .increment((report.retried + report.dead) as u64);
        metrics::counter!("yizhan_delivery_dead_total", &label).increment(report.dead as u64);
        Ok(report)
    }

    /// Sends one claimed message and records the outcome at once.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        db: &Database,
        channel: Channel,
        message: Message,
        data: &RoundData,
        now: DateTime<Utc>,
        started: Instant,
        lease: NaiveDateTime,
    ) -> Result<Outcome, StorageError> {
        // The round's clock (injectable in tests) moved on by the time spent.
        let clock =
            |started: Instant| now + Duration::from_std(started.elapsed()).unwrap_or_default();
        let margin = Duration::seconds(2 * self.timeout_secs(channel) as i64);
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
        let sent = match channel {
            Channel::Email => self.send_email(&message, &data.overrides).await,
            Channel::Sms => self.send_sms(&message, clock(started)).await,
            _ => {
                let robot = message.robot_id.and_then(|r| data.robots.get(&r));
                self.send_robot(&message, robot, &data.overrides, clock(started))
                    .await
            }
        };
        let attempt = match sent {
            Ok(()) => Attempt::Sent {
                wipe_params: MailKind::parse(&message.notice).is_some_and(MailKind::is_secret),
            },
            Err(failure) => {
                tracing::warn!(outbox_id = id, channel = channel.as_str(), attempt = message.attempts + 1, permanent = failure.permanent, error = %failure.error, "message not sent");
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
            // The server refused the message itself (5xx, a wrong key), or it
            // cannot be built: trying again would only fail again.
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
                // A service that rate-limits asks for a least wait.
                at: (now + Duration::seconds(secs.max(failure.wait_secs))).naive_utc(),
                error,
            },
        }
    }
}

/// The Message-ID of an outbox row: the same on every retry.
pub fn message_id(id: i64, created_at: NaiveDateTime, host: &str) -> String {
    format!("<outbox.{id}.{}@{host}>", created_at.and_utc().timestamp())
}

/// Records which channels this deployment sends (SMS only with a
/// provider), so that changes queue messages only for those.
pub async fn announce_channels(
    db: &Database,
    sms: bool,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    db.run_write(move |conn| {
        write_transaction(conn, |conn| {
            outbox::set_channel(conn, Channel::Sms.as_str(), sms, at.naive_utc())
        })?;
        Ok(())
    })
    .await
}
