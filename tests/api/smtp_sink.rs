//! A real SMTP server on loopback for the mail tests: it speaks enough of
//! RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps what
//! it receives, can be told to refuse everything, and can be stopped and
//! started again on the same port.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use yizhan::configuration::{MailSettings, MailTransport, SmtpSecurity};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        self.parsed().body_text(0).unwrap_or_default().to_string()
    }

    pub fn html(&self) -> String {
        self.parsed().body_html(0).unwrap_or_default().to_string()
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Refuse every message at MAIL FROM with this reply.
    refuse: Option<&'static str>,
}

pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl SmtpSink {
    /// A sink on a free port.
    pub async fn start() -> SmtpSink {
        SmtpSink::start_on(0).await
    }

    /// A sink on this port (0: any free one).
    pub async fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the SMTP sink binds");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let shared = shared.clone();
            let tasks = tasks.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    let job = tokio::spawn(session(stream, shared.clone()));
                    tasks.lock().unwrap().push(job);
                }
            })
        };
        tasks.lock().unwrap().push(accept);
        SmtpSink {
            port,
            shared,
            tasks,
        }
    }

    /// A port nothing listens on (for "the mail server is down").
    pub async fn free_port() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Answers every message "try again later" (451) until told otherwise.
    pub fn refuse_everything(&self, refuse: bool) {
        self.shared.lock().unwrap().refuse =
            refuse.then_some("451 4.3.0 Temporarily unavailable (test)\r\n");
    }

    /// Answers every message with a permanent refusal (550).
    pub fn reject_permanently(&self) {
        self.shared.lock().unwrap().refuse = Some("550 5.7.1 Refused by the test\r\n");
    }

    /// Closes the port and every open conversation.
    pub fn stop(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    /// Mail settings that send to this port on loopback, unencrypted.
    pub fn settings(base: &MailSettings, port: u16) -> MailSettings {
        MailSettings {
            transport: MailTransport::Smtp,
            smtp_host: "127.0.0.1".into(),
            smtp_port: port,
            smtp_security: SmtpSecurity::Plain,
            smtp_timeout_secs: 5,
            ..base.clone()
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn session(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            let refuse = shared.lock().unwrap().refuse;
            if let Some(reply) = refuse {
                reply.as_bytes()
            } else {
                from = address(&line);
                to.clear();
                b"250 OK\r\n"
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut data = Vec::new();
            loop {
                let mut l = String::new();
                match lines.read_line(&mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                let l = l.strip_prefix('.').unwrap_or(&l);
                data.extend_from_slice(l.as_bytes());
            }
            shared.lock().unwrap().received.push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            b"250 OK queued\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_string()
}
