//! Layered configuration: built-in `config/default.toml`, the profile's file,
//! optional files in the config directory, then environment variables.
//!
//! The two TOML files are compiled into the binary so that it runs with no
//! file beside it; files in `./config/` (or `YIZHAN_CONFIG_DIR`) still override.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const DEVELOPMENT_TOML: &str = include_str!("../config/development.toml");
const PRODUCTION_TOML: &str = include_str!("../config/production.toml");

/// The JWT secret shipped in `config/default.toml`; refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "yizhan-development-secret-do-not-use-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Development,
    Production,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Profile::Development),
            "production" | "prod" => Ok(Profile::Production),
            other => Err(format!(
                "YIZHAN_PROFILE must be `development` or `production`, not `{other}`"
            )),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Development => "development",
            Profile::Production => "production",
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Settings {
    #[serde(skip_deserializing, skip_serializing, default = "default_profile")]
    pub profile: Profile,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub sla: SlaSettings,
    pub mail: MailSettings,
    pub metrics: MetricsSettings,
    pub filing: FilingSettings,
    pub log: LogSettings,
    pub attachments: AttachmentSettings,
    pub robots: RobotsSettings,
    pub sms: SmsSettings,
    pub monitoring: MonitoringSettings,
}

/// How fast problems may be filed, and what an unverified enterprise may file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FilingSettings {
    /// Filings one account may make per minute (a burst of this many, then
    /// evenly spread); 0 turns the limit off.
    pub per_account_per_minute: u32,
    /// Filings of all of one enterprise's accounts per minute; 0: off.
    pub per_enterprise_per_minute: u32,
    /// Open problems an unverified enterprise may have at once.
    pub unverified_open_limit: i64,
}

fn default_profile() -> Profile {
    Profile::Development
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ServerSettings {
    pub bind: String,
    pub base_url: String,
    pub workers: usize,
    pub json_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub trust_proxy_headers: bool,
    pub upload_limit_bytes: usize,
    pub public_check_per_minute: u32,
    /// Lets the development profile (with its published JWT secret) listen
    /// on an address other machines reach. Off: a forgotten profile must not
    /// put a forgeable service on the network.
    pub allow_public_development: bool,
}

impl ServerSettings {
    /// True when `bind` names only this machine (127.0.0.0/8, ::1, localhost).
    pub fn binds_loopback_only(&self) -> bool {
        let bind = self.bind.trim();
        if let Ok(addr) = bind.parse::<std::net::SocketAddr>() {
            return addr.ip().is_loopback();
        }
        let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DatabaseSettings {
    #[serde(serialize_with = "masked_url")]
    pub url: SecretString,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    pub migrate_on_start: bool,
    pub sqlite_busy_timeout_ms: u32,
    pub sqlite_synchronous: SqliteSynchronous,
}

/// SQLite's `synchronous` setting (the database runs in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Survives a crash of the process; a power cut or an operating-system
    /// crash may undo the last transactions (never corrupting the file).
    Normal,
    /// Also survives a power cut, at the cost of a sync per transaction.
    Full,
}

impl SqliteSynchronous {
    pub fn as_pragma(self) -> &'static str {
        match self {
            SqliteSynchronous::Normal => "NORMAL",
            SqliteSynchronous::Full => "FULL",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AuthSettings {
    #[serde(serialize_with = "masked")]
    pub jwt_secret: SecretString,
    pub jwt_key_id: String,
    /// `kid=secret` pairs, comma-separated: keys that still verify tokens.
    #[serde(serialize_with = "masked")]
    pub jwt_retired_keys: SecretString,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    /// Seconds after a rotation in which reusing the old refresh token is
    /// taken for the same client's concurrent request, not a leak.
    pub refresh_reuse_grace_secs: i64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub max_concurrent_hashes: usize,
    pub login_max_failures_per_account: i32,
    pub login_max_failures_per_address: i32,
    pub login_window_minutes: i64,
    /// The delay after the last allowed failure; each further one doubles it.
    pub login_first_delay_secs: i64,
    /// The longest delay, in minutes.
    pub login_lock_minutes: i64,
}

impl AuthSettings {
    /// The retired verification keys as (kid, secret) pairs.
    pub fn retired_keys(&self) -> Result<Vec<(String, String)>, String> {
        self.jwt_retired_keys
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((kid, secret)) if !kid.trim().is_empty() && !secret.is_empty() => {
                    Ok((kid.trim().to_string(), secret.to_string()))
                }
                _ => Err(
                    "auth.jwt_retired_keys must be `kid=secret` pairs separated by commas"
                        .to_string(),
                ),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MetricsSettings {
    pub score_weight_response: f64,
    pub score_weight_resolution: f64,
    pub score_weight_satisfaction: f64,
    /// Rankings rank only groups with at least this many sign-for deadlines
    /// due and ratings given; the others are listed after them as 样本不足.
    pub ranking_min_sample: u64,
    /// Cumulative resolved counts shown as milestones: "100,300,500,700,1000".
    pub milestones: String,
    /// Seconds between foldings of changed tickets into the daily totals
    /// the dashboard reads; 0 turns the job off.
    pub fold_interval_secs: u64,
    /// The dashboard page keeps a dashboard that took longer than this to
    /// compute (`services::dashboard_cache`); 0 keeps every one.
    pub dashboard_keep_slower_than_ms: u64,
    /// Seconds after which a kept dashboard is recomputed in the background.
    pub dashboard_refresh_after_secs: u64,
    /// Seconds after which a kept dashboard is no longer shown.
    pub dashboard_max_age_secs: u64,
}

impl MetricsSettings {
    pub fn weights(&self) -> crate::domain::metrics::ScoreWeights {
        crate::domain::metrics::ScoreWeights {
            response: self.score_weight_response,
            resolution: self.score_weight_resolution,
            satisfaction: self.score_weight_satisfaction,
        }
    }

    /// The milestones, ascending; None when one is not a whole number.
    pub fn milestone_counts(&self) -> Option<Vec<u64>> {
        let mut m = self
            .milestones
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().ok())
            .collect::<Option<Vec<u64>>>()?;
        m.sort_unstable();
        Some(m)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SlaSettings {
    /// Working intervals of a working day, Beijing time: "08:30-12:00,13:30-17:30".
    pub working_hours: String,
    /// Seconds between SLA scans; 0 turns this instance's scanner off.
    pub scan_interval_secs: u64,
    /// Tickets handled per scanner transaction.
    pub scan_batch: i64,
    /// Seconds a loaded calendar and policy set is reused before reloading,
    /// so another instance's changes arrive within this time.
    pub cache_secs: u64,
    /// Days after which a resolved ticket nobody rated is closed.
    pub auto_close_days: i64,
}

impl SlaSettings {
    pub fn intervals(&self) -> Option<Vec<(chrono::NaiveTime, chrono::NaiveTime)>> {
        let specs: Vec<String> = self
            .working_hours
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        crate::domain::calendar::WorkCalendar::parse_intervals(&specs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    Plain,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub file_dir: String,
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    #[serde(serialize_with = "masked")]
    pub smtp_password: SecretString,
    pub smtp_ca_file: String,
    pub smtp_timeout_secs: u64,
    /// Messages sent at once, each over its own pooled connection.
    pub smtp_connections: usize,
    /// Seconds between delivery rounds; 0 turns this instance's worker off.
    pub poll_interval_secs: u64,
    pub batch: i64,
    pub lease_secs: i64,
    pub max_attempts: i32,
    pub backoff_base_secs: i64,
    pub backoff_max_secs: i64,
    /// "HH:MM" Beijing time, or empty for no digest.
    pub digest_time: String,
    pub activation_minutes: i64,
}

impl MailSettings {
    /// The digest's time of day, `None` when turned off; `Err` when malformed.
    pub fn digest_at(&self) -> Result<Option<chrono::NaiveTime>, String> {
        let t = self.digest_time.trim();
        if t.is_empty() {
            return Ok(None);
        }
        chrono::NaiveTime::parse_from_str(t, "%H:%M")
            .map(Some)
            .map_err(|_| format!("mail.digest_time must be HH:MM or empty (got \"{t}\")"))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// Daily monitoring (每日调度): when reports may still be corrected and
/// when the missing ones are noticed.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MonitoringSettings {
    /// "HH:MM" Beijing time on the next working day until which a day's
    /// report may be corrected; a first report after it is marked late.
    pub correction_cutoff: String,
    /// "HH:MM" Beijing time on each working day at which the enterprises
    /// of a list that have not reported for the day are noticed; empty:
    /// never.
    pub reminder_time: String,
}

impl MonitoringSettings {
    fn time(name: &str, text: &str) -> Result<chrono::NaiveTime, String> {
        chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .map_err(|_| format!("monitoring.{name} must be HH:MM (got \"{text}\")"))
    }

    /// The correction cut-off; 10:00 if the setting does not parse (it is
    /// checked when the configuration is loaded).
    pub fn cutoff(&self) -> chrono::NaiveTime {
        Self::time("correction_cutoff", &self.correction_cutoff)
            .unwrap_or_else(|_| chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("a time"))
    }

    /// The reminder's time of day, None when turned off.
    pub fn reminder_at(&self) -> Result<Option<chrono::NaiveTime>, String> {
        if self.reminder_time.trim().is_empty() {
            return Ok(None);
        }
        Self::time("reminder_time", &self.reminder_time).map(Some)
    }

    fn validate(&self) -> Result<(), String> {
        Self::time("correction_cutoff", &self.correction_cutoff)?;
        self.reminder_at()?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Profile(String),
    #[error("configuration is invalid: {0}")]
    Invalid(#[from] config::ConfigError),
    #[error("{0}")]
    Refused(String),
}

impl Settings {
    /// Loads the configuration from the process environment.
    pub fn load() -> Result<Settings, ConfigError> {
        Settings::load_from(std::env::vars().collect())
    }

    /// Loads the configuration from the given environment (a map, so tests
    /// need not touch the process environment).
    pub fn load_from(env: HashMap<String, String>) -> Result<Settings, ConfigError> {
        let profile: Profile = env
            .get("YIZHAN_PROFILE")
            .map(|p| p.parse())
            .transpose()
            .map_err(ConfigError::Profile)?
            .unwrap_or(Profile::Development);
        let dir = PathBuf::from(
            env.get("YIZHAN_CONFIG_DIR")
                .cloned()
                .unwrap_or_else(|| "config".into()),
        );
        let profile_toml = match profile {
            Profile::Development => DEVELOPMENT_TOML,
            Profile::Production => PRODUCTION_TOML,
        };
        let short = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        let config = Config::builder()
            .add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml))
            .add_source(File::from(dir.join("default.toml")).required(false))
            .add_source(File::from_str(profile_toml, FileFormat::Toml))
            .add_source(File::from(dir.join(format!("{profile}.toml"))).required(false))
            .add_source(
                Environment::with_prefix("YIZHAN")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(env.clone().into_iter().collect())),
            )
            .set_override_option("database.url", short("DATABASE_URL"))?
            .set_override_option("server.bind", short("YIZHAN_BIND"))?
            .set_override_option("auth.jwt_secret", short("YIZHAN_JWT_SECRET"))?
            .build()?;
        let mut settings: Settings = config.try_deserialize()?;
        settings.profile = profile;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.attachments.check()?;
        if self.database.pool_size == 0 {
            return Err(ConfigError::Refused(
                "database.pool_size must be at least 1".into(),
            ));
        }
        if self.server.json_limit_bytes < 1024 {
            return Err(ConfigError::Refused(
                "server.json_limit_bytes must be at least 1024".into(),
            ));
        }
        let w = &self.metrics;
        let weights = [
            w.score_weight_response,
            w.score_weight_resolution,
            w.score_weight_satisfaction,
        ];
        if weights.iter().any(|x| !x.is_finite() || *x < 0.0) || weights.iter().sum::<f64>() <= 0.0
        {
            return Err(ConfigError::Refused(
                "metrics.score_weight_* must be zero or more, and not all zero".into(),
            ));
        }
        if w.milestone_counts().is_none() {
            return Err(ConfigError::Refused(format!(
                "metrics.milestones must be whole numbers separated by commas (got \"{}\")",
                w.milestones
            )));
        }
        if w.dashboard_refresh_after_secs > w.dashboard_max_age_secs {
            return Err(ConfigError::Refused(
                "metrics.dashboard_refresh_after_secs must not exceed metrics.dashboard_max_age_secs"
                    .into(),
            ));
        }
        if self.sla.intervals().is_none() {
            return Err(ConfigError::Refused(format!(
                "sla.working_hours must be like \"08:30-12:00,13:30-17:30\" (got \"{}\")",
                self.sla.working_hours
            )));
        }
        if self.sla.scan_batch < 1 {
            return Err(ConfigError::Refused(
                "sla.scan_batch must be at least 1".into(),
            ));
        }
        let mail = &self.mail;
        mail.digest_at().map_err(ConfigError::Refused)?;
        self.monitoring.validate().map_err(ConfigError::Refused)?;
        if mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Refused(format!(
                "mail.from must be an address like \"Name <user@example.org>\" (got \"{}\")",
                mail.from
            )));
        }
        if mail.batch < 1
            || mail.lease_secs < 1
            || mail.max_attempts < 1
            || mail.backoff_base_secs < 1
        {
            return Err(ConfigError::Refused(
                "mail.batch, lease_secs, max_attempts and backoff_base_secs must be at least 1"
                    .into(),
            ));
        }
        if mail.lease_secs < 4 * mail.smtp_timeout_secs.max(1) as i64 {
            return Err(ConfigError::Refused(
                "mail.lease_secs must be at least four times mail.smtp_timeout_secs, so that a send finishes well within its lease".into(),
            ));
        }
        let auth = &self.auth;
        auth.retired_keys().map_err(ConfigError::Refused)?;
        if auth.access_token_minutes < 1 || auth.refresh_token_days < 1 {
            return Err(ConfigError::Refused(
                "auth.access_token_minutes and auth.refresh_token_days must be positive".into(),
            ));
        }
        if auth.argon2_memory_kib < 8 * auth.argon2_parallelism.max(1) || auth.argon2_iterations < 1
        {
            return Err(ConfigError::Refused(
                "auth.argon2_* parameters are out of range".into(),
            ));
        }
        if auth.login_max_failures_per_account < 1
            || auth.login_max_failures_per_address < 1
            || auth.login_first_delay_secs < 1
            || auth.login_lock_minutes < 1
        {
            return Err(ConfigError::Refused(
                "auth.login_max_failures_*, login_first_delay_secs and login_lock_minutes must be at least 1".into(),
            ));
        }
        match self.profile {
            Profile::Production => {
                check_production_key("YIZHAN_JWT_SECRET", self.auth.jwt_secret.expose_secret())?;
                for (kid, secret) in auth.retired_keys().map_err(ConfigError::Refused)? {
                    check_production_key(&format!("the retired JWT key `{kid}`"), &secret)?;
                }
            }
            Profile::Development => {
                if !self.server.binds_loopback_only() && !self.server.allow_public_development {
                    return Err(ConfigError::Refused(format!(
                        "refusing to listen on {} in the development profile, whose JWT secret is public: set YIZHAN_PROFILE=production (or server.allow_public_development = true)",
                        self.server.bind
                    )));
                }
            }
        }
        // In any profile: a key of only whitespace signs nothing anyone could keep secret.
        if self.auth.jwt_secret.expose_secret().trim().is_empty() {
            return Err(ConfigError::Refused(
                "auth.jwt_secret must not be empty or only whitespace".into(),
            ));
        }
        for (kid, secret) in auth.retired_keys().map_err(ConfigError::Refused)? {
            if secret.trim().is_empty() {
                return Err(ConfigError::Refused(format!(
                    "the retired JWT key `{kid}` must not be empty or only whitespace"
                )));
            }
        }
        validate_channels(self).map_err(ConfigError::Refused)
    }

    /// The effective configuration as TOML, with secrets masked.
    pub fn redacted_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"));
        format!("# profile: {}\n{body}", self.profile)
    }
}

/// The rules every signing or verifying key meets in production, current or
/// retired: a retired key verifies tokens just as well as the current one.
fn check_production_key(name: &str, secret: &str) -> Result<(), ConfigError> {
    if secret == DEVELOPMENT_JWT_SECRET {
        return Err(ConfigError::Refused(format!(
            "refusing to start in production: {name} is the built-in development JWT secret (set YIZHAN_JWT_SECRET)"
        )));
    }
    if secret.trim().chars().count() < 32 {
        return Err(ConfigError::Refused(format!(
            "refusing to start in production: {name} must be at least 32 characters (not counting surrounding spaces)"
        )));
    }
    Ok(())
}

fn masked<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("********")
}

fn masked_url<S: serde::Serializer>(url: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&mask_url_password(url.expose_secret()))
}

/// Replaces the password in `scheme://user:password@host/...` with asterisks.
pub fn mask_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:********{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests;

/// Files on tickets' steps (issue 25): where they are kept and how much a
/// file, a step and a ticket may carry.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AttachmentSettings {
    /// `local` (a directory) or `s3` (any S3-compatible object store).
    pub store: AttachmentStore,
    /// The local store's directory.
    pub root: String,
    /// Where uploads are received before they are stored; empty: a local
    /// store's `root` (a received file is then linked into place, not
    /// copied), or the system's temporary directory.
    pub incoming_dir: String,
    pub max_file_bytes: u64,
    pub max_files_per_step: usize,
    pub max_ticket_bytes: u64,
    /// Hours an uploaded file that no step took is kept.
    pub pending_hours: u32,
    /// Seconds between sweeps of orphaned objects; 0 turns this instance's off.
    pub sweep_interval_secs: u64,
    /// An object no row points at is deleted after this many seconds.
    pub orphan_grace_secs: u64,
    /// The longer side of a thumbnail, in pixels.
    pub thumbnail_px: u32,
    /// Images decoded at once for thumbnails (each holds its pixels), on
    /// threads of lower priority than the requests'.
    pub thumbnail_workers: usize,
    /// Seconds between looks for thumbnails other instances' uploads left
    /// due (this instance's own wake the job at once); 0: this instance
    /// makes none.
    pub thumbnail_poll_secs: u64,
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key: String,
    #[serde(serialize_with = "masked")]
    pub s3_secret_key: SecretString,
    /// Lets the endpoint be plain `http://` (a store on the same host).
    pub s3_allow_http: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentStore {
    Local,
    S3,
}

impl AttachmentSettings {
    fn check(&self) -> Result<(), ConfigError> {
        let refuse = |why: &str| Err(ConfigError::Refused(format!("attachments.{why}")));
        if self.max_file_bytes == 0 || self.max_files_per_step == 0 {
            return refuse("max_file_bytes and max_files_per_step must be at least 1");
        }
        if self.max_ticket_bytes < self.max_file_bytes {
            return refuse("max_ticket_bytes must be at least max_file_bytes");
        }
        if self.store == AttachmentStore::S3
            && (self.s3_endpoint.trim().is_empty() || self.s3_bucket.trim().is_empty())
        {
            return refuse("store = \"s3\" needs s3_endpoint and s3_bucket");
        }
        if self.store == AttachmentStore::Local && self.root.trim().is_empty() {
            return refuse("root must name a directory");
        }
        Ok(())
    }

    /// The limits the domain checks.
    pub fn limits(&self) -> crate::domain::attachments::Limits {
        crate::domain::attachments::Limits {
            file_bytes: self.max_file_bytes,
            files_per_step: self.max_files_per_step,
            ticket_bytes: self.max_ticket_bytes,
        }
    }
}

/// Departments' group robots (WeCom, DingTalk, Feishu).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RobotsSettings {
    /// Seconds one webhook call may take.
    pub timeout_secs: u64,
    /// Calls made at once for each service.
    pub concurrency: usize,
    /// Webhooks on any host, over http too (a private relay, tests).
    pub allow_any_host: bool,
}

/// SMS to enterprises on 受理, 要求补充 and 办结.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SmsSettings {
    /// "" (off) or "tencent".
    pub provider: String,
    pub endpoint: String,
    pub region: String,
    pub secret_id: String,
    #[serde(serialize_with = "masked")]
    pub secret_key: SecretString,
    pub sdk_app_id: String,
    pub sign_name: String,
    pub template_signed_for: String,
    pub template_info_requested: String,
    pub template_resolved: String,
    pub timeout_secs: u64,
    pub concurrency: usize,
}

impl SmsSettings {
    /// Whether SMS is sent at all.
    pub fn enabled(&self) -> bool {
        !self.provider.trim().is_empty()
    }

    /// The Host the endpoint names (signed by the provider's signature).
    pub fn host(&self) -> Option<&str> {
        let rest = self.endpoint.trim().split_once("://")?.1;
        let host = rest.split(['/', '?', '#']).next()?;
        (!host.is_empty()).then_some(host)
    }
}

fn validate_channels(s: &Settings) -> Result<(), String> {
    let (robots, sms) = (&s.robots, &s.sms);
    if robots.timeout_secs < 1
        || robots.concurrency < 1
        || sms.timeout_secs < 1
        || sms.concurrency < 1
    {
        return Err("robots.timeout_secs, robots.concurrency, sms.timeout_secs and sms.concurrency must be at least 1".into());
    }
    if s.mail.lease_secs < 4 * robots.timeout_secs.max(sms.timeout_secs) as i64 {
        return Err("mail.lease_secs must be at least four times robots.timeout_secs and sms.timeout_secs, so that a send finishes well within its lease".into());
    }
    match sms.provider.trim() {
        "" => Ok(()),
        "tencent" => {
            let missing: Vec<&str> = [
                ("secret_id", sms.secret_id.as_str()),
                ("secret_key", sms.secret_key.expose_secret()),
                ("sdk_app_id", sms.sdk_app_id.as_str()),
                ("sign_name", sms.sign_name.as_str()),
                ("template_signed_for", sms.template_signed_for.as_str()),
                (
                    "template_info_requested",
                    sms.template_info_requested.as_str(),
                ),
                ("template_resolved", sms.template_resolved.as_str()),
            ]
            .into_iter()
            .filter(|(_, v)| v.trim().is_empty())
            .map(|(k, _)| k)
            .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "sms.provider is tencent but sms.{} is empty",
                    missing.join(", sms.")
                ));
            }
            let scheme_ok =
                sms.endpoint.starts_with("https://") || sms.endpoint.starts_with("http://");
            if !scheme_ok || sms.host().is_none() {
                return Err(format!(
                    "sms.endpoint must be an http(s) URL (got \"{}\")",
                    sms.endpoint
                ));
            }
            Ok(())
        }
        other => Err(format!(
            "sms.provider must be \"\" or \"tencent\" (got \"{other}\")"
        )),
    }
}
