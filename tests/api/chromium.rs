//! Headless Chromium over WebDriver (chromedriver), shared by the browser
//! tests: finding the tools (or saying why not), one browser session at a
//! chosen window size and language, log-in and log-out, screenshots under
//! `target/browser-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them a browser
//! test says so on the terminal and passes, unless
//! `YIZHAN_BROWSER_TESTS=required` (as `.ci/run` sets), when it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

fn found(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// The browser and its driver, or why not.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var("YIZHAN_CHROMIUM").ok();
    let driver = std::env::var("YIZHAN_CHROMEDRIVER").ok();
    let chromium = found(&[
        chromium.as_deref().unwrap_or(""),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ])
    .ok_or("no Chromium (apt-get install chromium)")?;
    let driver = found(&[
        driver.as_deref().unwrap_or(""),
        "/usr/bin/chromedriver",
        "/usr/lib/chromium/chromedriver",
    ])
    .ok_or("no chromedriver (apt-get install chromium-driver)")?;
    Ok((chromium, driver))
}

/// A running chromedriver; killed when dropped.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(path: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

/// A desktop and a phone, as the issues measure pages.
pub const DESKTOP: (u32, u32) = (1366, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// A browser session (its driver first: drop the client before it), or
/// `None` when the tools are missing and browser tests are not required.
pub async fn session(size: (u32, u32)) -> Option<(Driver, Client)> {
    let (chromium, driver_path) = match tools() {
        Ok(t) => t,
        Err(why) => {
            assert!(
                std::env::var("YIZHAN_BROWSER_TESTS").as_deref() != Ok("required"),
                "browser tests are required here, but: {why}"
            );
            // Straight to the terminal: the harness captures print!, not this.
            let _ = writeln!(std::io::stderr(), "SKIPPED browser test: {why}");
            return None;
        }
    };
    let driver = start_driver(&driver_path);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.display().to_string(),
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     format!("--window-size={},{}", size.0, size.1), "--lang=zh-CN"],
            // What a browser in China asks for: the pages' default language.
            "prefs": {"intl.accept_languages": "zh-CN,zh"}
        }),
    );
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session");
    // The window size is the viewport's outer box; set it again so that
    // the layout width is what a phone or desktop has.
    let _ = client.set_window_size(size.0, size.1).await;
    Some((driver, client))
}

/// Screenshots named `<prefix>-<n>-<name>.png`, in order.
pub struct Shots {
    pub dir: PathBuf,
    pub prefix: String,
    pub n: usize,
}

impl Shots {
    pub fn new(prefix: &str) -> Shots {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        Shots {
            dir,
            prefix: prefix.to_string(),
            n: 0,
        }
    }

    pub async fn take(&mut self, c: &Client, name: &str) {
        self.n += 1;
        let png = c.screenshot().await.expect("a screenshot");
        let path = self
            .dir
            .join(format!("{}-{:02}-{name}.png", self.prefix, self.n));
        std::fs::write(&path, png).expect("the screenshot is written");
    }
}

/// Logs in with the tests' password and waits for the page after it.
pub async fn log_in_with(c: &Client, app: &TestApp, email: &str, password: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header form button"))
        .await
        .unwrap();
}

pub async fn log_in(c: &Client, app: &TestApp, email: &str) {
    log_in_with(c, app, email, PASSWORD).await
}

pub async fn log_out(c: &Client) {
    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("email")).await.unwrap();
}

/// What the page's main part says.
pub async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
