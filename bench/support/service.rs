//! The service as its own process on a benchmark's database, and log-in.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::Bench;

pub struct Service {
    pub child: Child,
    pub base: String,
}

impl Service {
    /// Starts `yizhan serve` with the default settings, except that the mail
    /// delivery worker is off (`mail.poll_interval_secs = 0`). A setting
    /// given to the benchmark as `YIZHAN__...` is passed on (to tell costs
    /// apart; a run that changes one says so beside its figures).
    pub async fn start(b: &Bench, dir: &std::path::Path) -> Service {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_yizhan"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("YIZHAN_CONFIG_DIR", "/nonexistent")
            .env("DATABASE_URL", b.database_url())
            .env("YIZHAN_BIND", format!("127.0.0.1:{port}"))
            .env("YIZHAN__MAIL__FILE_DIR", dir.join("mail"))
            // Attachments (issue 25) beside the mail, never in the work tree.
            .env("YIZHAN__ATTACHMENTS__ROOT", dir.join("data-attachments"))
            // The delivery worker off: sending notices is work the
            // benchmarks do not measure.
            .env("YIZHAN__MAIL__POLL_INTERVAL_SECS", "0")
            .env("YIZHAN__LOG__LEVEL", "info")
            // One account files for all 32 clients: the write path is what
            // is measured, not the per-account flood guard (a lookup in
            // memory), which would refuse all but ten a minute.
            .env("YIZHAN__FILING__PER_ACCOUNT_PER_MINUTE", "0")
            .env("YIZHAN__FILING__PER_ENTERPRISE_PER_MINUTE", "0")
            .envs(std::env::vars().filter(|(k, _)| k.starts_with("YIZHAN__")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the service starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
                if r.status() == 200 {
                    return Service { child, base };
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the service did not become ready");
    }

    /// Resident memory now and at its peak, in MB, from /proc.
    pub fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
    }

    /// SIGTERM, then waits for the graceful stop.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    /// A panicking benchmark leaves no service behind (after `stop` this
    /// finds the process already reaped).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An access token for one of the benchmark's accounts.
pub async fn login(client: &reqwest::Client, base: &str, email: &str) -> String {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": "Bench-password-2022!"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().expect("a token").to_string()
}
