//! How mail leaves: SMTP (STARTTLS, implicit TLS or plain) with lettre, or
//! `.eml` files in a folder when no mail server is configured.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::templates::Rendered;
use crate::configuration::{MailSettings, MailTransport, SmtpSecurity};

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        description: String,
    },
    File {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: std::path::PathBuf,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Mailer {
    /// Builds the configured transport; a bad setting is reported at start.
    pub fn from_settings(s: &MailSettings) -> Result<Mailer, String> {
        match s.transport {
            MailTransport::File => {
                let dir = std::path::PathBuf::from(&s.file_dir);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create mail.file_dir {}: {e}", dir.display()))?;
                Ok(Mailer::File {
                    transport: AsyncFileTransport::new(&dir),
                    dir,
                })
            }
            MailTransport::Smtp => {
                let host = s.smtp_host.trim();
                if host.is_empty() {
                    return Err("mail.smtp_host is empty".into());
                }
                let tls = || -> Result<TlsParameters, String> {
                    let mut b = TlsParameters::builder(host.to_string());
                    if !s.smtp_ca_file.trim().is_empty() {
                        let pem = std::fs::read(s.smtp_ca_file.trim())
                            .map_err(|e| format!("cannot read mail.smtp_ca_file: {e}"))?;
                        let cert = Certificate::from_pem(&pem).map_err(|e| {
                            format!("mail.smtp_ca_file is not a PEM certificate: {e}")
                        })?;
                        b = b.add_root_certificate(cert);
                    }
                    b.build_rustls()
                        .map_err(|e| format!("TLS set-up failed: {e}"))
                };
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    .port(s.smtp_port)
                    .timeout(Some(Duration::from_secs(s.smtp_timeout_secs.max(1))));
                b = match s.smtp_security {
                    SmtpSecurity::Starttls => b.tls(Tls::Required(tls()?)),
                    SmtpSecurity::Tls => b.tls(Tls::Wrapper(tls()?)),
                    SmtpSecurity::Plain => b.tls(Tls::None),
                };
                if !s.smtp_username.is_empty() {
                    b = b.credentials(Credentials::new(
                        s.smtp_username.clone(),
                        s.smtp_password.expose_secret().to_string(),
                    ));
                }
                Ok(Mailer::Smtp {
                    transport: b.build(),
                    description: format!("smtp://{host}:{} ({:?})", s.smtp_port, s.smtp_security)
                        .to_lowercase(),
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { description, .. } => description.clone(),
            Mailer::File { dir, .. } => format!("files in {}", dir.display()),
        }
    }

    /// Hands one message over; the error says why it did not go, and
    /// whether the refusal is permanent (an SMTP 5xx answer).
    pub async fn send(&self, message: Message) -> Result<(), (String, bool)> {
        match self {
            Mailer::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| (e.to_string(), e.is_permanent())),
            Mailer::File { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| (e.to_string(), false)),
        }
    }
}

/// A MIME message: plain text and HTML alternatives, with a Message-ID that
/// stays the same across retries so that receivers can tell a repeat.
pub fn build_message(
    from: &Mailbox,
    to: &str,
    rendered: &Rendered,
    message_id: String,
) -> Result<Message, String> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("bad recipient address {to:?}: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(rendered.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(rendered.html.clone()),
                ),
        )
        .map_err(|e| format!("cannot build the message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::Settings;

    fn settings() -> MailSettings {
        Settings::load_from([("YIZHAN_CONFIG_DIR".to_string(), "/nonexistent".to_string())].into())
            .unwrap()
            .mail
    }

    // lettre's connection pool starts inside a Tokio runtime.
    #[tokio::test]
    async fn every_security_mode_builds_and_bad_settings_are_named() {
        for security in [
            SmtpSecurity::Starttls,
            SmtpSecurity::Tls,
            SmtpSecurity::Plain,
        ] {
            let s = MailSettings {
                transport: MailTransport::Smtp,
                smtp_host: "mail.example.gov.cn".into(),
                smtp_security: security,
                smtp_username: "yizhan".into(),
                ..settings()
            };
            let m = Mailer::from_settings(&s).expect("builds");
            assert!(m.describe().starts_with("smtp://mail.example.gov.cn:587"));
        }
        let no_ca = MailSettings {
            transport: MailTransport::Smtp,
            smtp_ca_file: "/nonexistent/ca.pem".into(),
            ..settings()
        };
        let e = Mailer::from_settings(&no_ca).unwrap_err();
        assert!(e.contains("mail.smtp_ca_file"), "{e}");
        let empty_host = MailSettings {
            transport: MailTransport::Smtp,
            smtp_host: " ".into(),
            ..settings()
        };
        assert!(Mailer::from_settings(&empty_host)
            .unwrap_err()
            .contains("smtp_host"));
    }

    #[test]
    fn a_message_has_both_bodies_and_a_stable_id() {
        let r = Rendered {
            subject: "【一站】新诉求".into(),
            text: "您好".into(),
            html: "<p>您好</p>".into(),
        };
        let from: Mailbox = "一站 <noreply@yizhan.local>".parse().unwrap();
        let m = build_message(&from, "o@example.cn", &r, "<outbox.1.0@h>".into()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <outbox.1.0@h>"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(build_message(&from, "not an address", &r, "<x@h>".into()).is_err());
    }
}
