//! Building and running the service.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, HttpServer};
use secrecy::ExposeSecret;

use crate::configuration::{Profile, Settings};
use crate::http::{build_app, AppState};
use crate::services::auth::Authenticator;
use crate::services::clock::Clock;
use crate::services::dashboard_cache::{CachePolicy, DashboardCache};
use crate::services::delivery::Delivery;
use crate::services::sla::Sla;
use crate::storage::{self, migrations, Database};

/// Why the service would not start: one line for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

pub struct Application {
    port: u16,
    base_url: String,
    server: Server,
    db: Database,
    sla: Sla,
    delivery: Delivery,
    settings: Arc<Settings>,
    attachments: Arc<crate::services::attachments::Attachments>,
}

impl Application {
    /// Connects to the database, migrates it if configured to, and binds the
    /// listener. Nothing is served until [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        Application::build_with_clock(settings, Clock::system()).await
    }

    /// As [`Application::build`], on a clock the caller controls (tests).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Clock,
    ) -> Result<Application, StartupError> {
        let settings = Arc::new(settings);
        let db = prepare_database(&settings).await?;
        let listener = TcpListener::bind(&settings.server.bind)
            .map_err(|e| StartupError(format!("cannot listen on {}: {e}", settings.server.bind)))?;
        let bound = listener
            .local_addr()
            .map_err(|e| StartupError(e.to_string()))?;
        let port = bound.port();
        let base_url = public_base_url(&settings.server.base_url, bound);
        if settings.server.base_url.trim().is_empty() && settings.profile == Profile::Production {
            tracing::warn!(
                %base_url,
                "server.base_url is not set: links in e-mails point at the bound address; set YIZHAN__SERVER__BASE_URL to the public address"
            );
        }
        crate::telemetry::metrics_handle();
        // Handlers that write links (a robot's test message) read the
        // address links point at, whether configured or bound.
        let settings = {
            let mut effective = (*settings).clone();
            effective.server.base_url = base_url.clone();
            Arc::new(effective)
        };

        let auth = Authenticator::new(db.clone(), &settings.auth)
            .map_err(StartupError)?
            .refusing_demo_accounts(settings.profile == Profile::Production);
        let sla = Sla::new(clock, &settings.sla);
        let delivery =
            Delivery::with_channels(&settings.mail, &settings.robots, &settings.sms, &base_url)
                .map_err(|e| StartupError(format!("mail is misconfigured: {e}")))?
                .with_sla(sla.clone());
        crate::services::delivery::announce_channels(
            &db,
            settings.sms.enabled(),
            sla.clock().now(),
        )
        .await
        .map_err(|e| StartupError(format!("cannot record the delivery channels: {e}")))?;
        if settings.profile == Profile::Production
            && settings.mail.transport == crate::configuration::MailTransport::File
        {
            tracing::warn!(
                dir = %settings.mail.file_dir,
                "mail goes to .eml files, not to people: set mail.transport = \"smtp\" (the files hold live account links; keep the folder private)"
            );
        }
        let attachments = Arc::new(
            crate::services::attachments::Attachments::new(&settings.attachments)
                .await
                .map_err(StartupError)?,
        );
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings: settings.clone(),
            auth,
            sla: sla.clone(),
            check_limiter: governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(settings.server.public_check_per_minute.max(1))
                    .expect("at least one"),
            )),
            filing: crate::services::filing_limits::FilingLimits::from_settings(&settings.filing),
            dashboards: Arc::new(DashboardCache::new(CachePolicy::of(&settings.metrics))),
            tab_counts: Arc::default(),
            attachments: attachments.clone(),
        });
        let mut server = HttpServer::new(move || build_app(state.clone()))
            .shutdown_timeout(settings.server.shutdown_timeout_secs)
            // After refusing a body (413), actix goes on reading and
            // discarding what the client still sends until it closes or
            // this runs out, so that the client sees the answer rather than
            // a reset. A quarter of a second bounds that reading; actix's
            // default is a whole second.
            .client_disconnect_timeout(std::time::Duration::from_millis(250))
            .listen(listener)
            .map_err(|e| StartupError(format!("cannot serve: {e}")))?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        tracing::info!(
            bind = %settings.server.bind,
            port,
            profile = %settings.profile,
            database = db.backend().name(),
            mail = %delivery.mailer().describe(),
            attachments = %attachments.store.describe,
            "yizhan is listening"
        );
        Ok(Application {
            port,
            base_url,
            server: server.run(),
            db,
            sla,
            delivery,
            settings,
            attachments,
        })
    }

    /// The attachments' store and limits.
    pub fn attachments(&self) -> &Arc<crate::services::attachments::Attachments> {
        &self.attachments
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where links in e-mails point (see [`public_base_url`]).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn sla(&self) -> &Sla {
        &self.sla
    }

    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// Serves until SIGTERM or SIGINT; in-flight requests then get
    /// `server.shutdown_timeout_secs` to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let sla = &self.settings.sla;
        let scanner = (sla.scan_interval_secs > 0).then(|| {
            tokio::spawn(crate::jobs::sla_scanner::run(
                self.db.clone(),
                self.sla.clone(),
                std::time::Duration::from_secs(sla.scan_interval_secs),
                sla.scan_batch,
            ))
        });
        let calendar = (sla.scan_interval_secs > 0).then(|| {
            tokio::spawn(crate::jobs::calendar_watch::run(
                self.db.clone(),
                self.sla.clone(),
                std::time::Duration::from_secs(600),
            ))
        });
        let fold_every = self.settings.metrics.fold_interval_secs;
        let folder = (fold_every > 0).then(|| {
            tokio::spawn(crate::jobs::metric_folder::run(
                self.db.clone(),
                std::time::Duration::from_secs(fold_every),
            ))
        });
        let mail = &self.settings.mail;
        let mailer = (mail.poll_interval_secs > 0).then(|| {
            tokio::spawn(crate::jobs::delivery::run(
                self.db.clone(),
                self.delivery.clone(),
                self.sla.clock().clone(),
                std::time::Duration::from_secs(mail.poll_interval_secs),
                mail.batch,
            ))
        });
        // The digest is queued by whichever instance sees its time first.
        let digest = match mail.digest_at() {
            Ok(Some(at)) => Some(tokio::spawn(crate::jobs::digest::run(
                self.db.clone(),
                self.sla.clock().clone(),
                at,
            ))),
            _ => None,
        };
        let sweep_every = self.settings.attachments.sweep_interval_secs;
        let sweeper = (sweep_every > 0).then(|| {
            tokio::spawn(crate::jobs::attachment_sweep::run(
                self.db.clone(),
                self.attachments.clone(),
                self.sla.clock().clone(),
                std::time::Duration::from_secs(sweep_every),
            ))
        });
        let thumbnail_every = self.settings.attachments.thumbnail_poll_secs;
        let thumbnails = (thumbnail_every > 0).then(|| {
            tokio::spawn(crate::jobs::thumbnails::run(
                self.db.clone(),
                self.attachments.clone(),
                self.sla.clock().clone(),
                std::time::Duration::from_secs(thumbnail_every),
            ))
        });
        // Missing daily reports are noticed by whichever instance sees the time first.
        let reminders = match self.settings.monitoring.reminder_at() {
            Ok(Some(at)) => Some(tokio::spawn(crate::jobs::daily_reminders::run(
                self.db.clone(),
                self.sla.clone(),
                at,
            ))),
            _ => None,
        };
        let served = self.server.await;
        for job in [
            scanner, digest, folder, calendar, sweeper, thumbnails, reminders,
        ]
        .into_iter()
        .flatten()
        {
            job.abort();
        }
        // The mail worker records what it sent and gives the rest back
        // (so nothing is sent twice after a restart), within the shutdown time.
        if let Some(job) = mailer {
            self.delivery.stop();
            let grace = std::time::Duration::from_secs(self.settings.server.shutdown_timeout_secs);
            let handle = job.abort_handle();
            if tokio::time::timeout(grace, job).await.is_err() {
                handle.abort();
            }
        }
        served
    }
}

/// Where links in e-mails point: `server.base_url` when set, else the
/// address the listener is really bound to (port 0 becomes the port the
/// system gave; "all interfaces" reads as this machine's loopback).
pub fn public_base_url(configured: &str, bound: std::net::SocketAddr) -> String {
    let configured = configured.trim().trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_string();
    }
    let ip = match bound.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, bound.port()))
}

/// Opens the pool and brings the schema up to date (or checks that it is).
async fn prepare_database(settings: &Settings) -> Result<Database, StartupError> {
    let db = Database::connect(&settings.database).map_err(StartupError)?;
    let migrate = settings.database.migrate_on_start;
    let outcome = tokio::task::spawn_blocking({
        let db = db.clone();
        move || -> Result<Vec<String>, storage::StorageError> {
            let mut conn = db.open()?;
            if migrate {
                let report = storage::prepare(&mut conn)?;
                if let Some(loaded) = report.loaded {
                    tracing::info!(
                        regions = loaded.regions,
                        departments = loaded.departments,
                        "reference data loaded"
                    );
                }
                for version in &report.applied {
                    tracing::info!(%version, "migration applied");
                }
                Ok(Vec::new())
            } else {
                migrations::pending(&mut conn)
            }
        }
    })
    .await
    .map_err(|e| StartupError(format!("database preparation failed: {e}")))?;

    match outcome {
        Ok(pending) if pending.is_empty() => Ok(db),
        Ok(pending) => Err(StartupError(format!(
            "the database schema is {} migration(s) behind: run `yizhan migrate` first",
            pending.len()
        ))),
        Err(e) if settings.profile == Profile::Production || migrate => Err(StartupError(format!(
            "database {} is unreachable: {e}",
            crate::configuration::mask_url_password(settings.database.url.expose_secret())
        ))),
        Err(e) => {
            tracing::warn!(error = %e, "database unreachable at start; /readyz reports 503 until it answers");
            Ok(db)
        }
    }
}

/// `yizhan migrate`: apply pending migrations and load reference data.
pub fn migrate(settings: &Settings) -> Result<storage::PrepareReport, StartupError> {
    let db = Database::connect(&settings.database).map_err(StartupError)?;
    let mut conn = db.open().map_err(|e| StartupError(e.to_string()))?;
    storage::prepare(&mut conn).map_err(|e| StartupError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::public_base_url;

    #[test]
    fn links_follow_the_bound_port_unless_a_base_url_is_set() {
        let bound = "127.0.0.1:43117".parse().unwrap();
        assert_eq!(public_base_url("", bound), "http://127.0.0.1:43117");
        assert_eq!(public_base_url("  ", bound), "http://127.0.0.1:43117");
        assert_eq!(
            public_base_url("https://yizhan.example.cn/", bound),
            "https://yizhan.example.cn"
        );
        let everywhere = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(public_base_url("", everywhere), "http://127.0.0.1:8080");
        let v6 = "[::]:8080".parse().unwrap();
        assert_eq!(public_base_url("", v6), "http://[::1]:8080");
    }
}
