//! The web application in a real browser: headless Chromium driven over
//! WebDriver (chromedriver). An enterprise files a problem, an officer
//! signs for it and resolves it, the enterprise rates it, and a supervisor
//! sees the rates change; screenshots of each step are kept under
//! `target/browser-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test
//! says so on the terminal and passes, unless `YIZHAN_BROWSER_TESTS=required`
//! (as `.ci/run` sets), when it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::each_backend;
use crate::helpers::{TestApp, PASSWORD};

fn found(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// The browser and its driver, or why not.
pub(crate) fn tools() -> Result<(PathBuf, PathBuf), String> {
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

pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_driver(path: &Path) -> Driver {
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

pub(crate) async fn browser(chromium: &Path, driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.display().to_string(),
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000", "--lang=zh-CN"],
            // What a browser in China asks for: the pages' default language.
            "prefs": {"intl.accept_languages": "zh-CN,zh"}
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

struct Shots {
    dir: PathBuf,
    prefix: String,
    n: usize,
}

impl Shots {
    async fn take(&mut self, c: &Client, name: &str) {
        self.n += 1;
        let png = c.screenshot().await.expect("a screenshot");
        let path = self
            .dir
            .join(format!("{}-{:02}-{name}.png", self.prefix, self.n));
        std::fs::write(&path, png).expect("the screenshot is written");
    }
}

pub(crate) async fn log_in(c: &Client, app: &TestApp, email: &str) {
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
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn log_out(c: &Client) {
    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("email")).await.unwrap();
}

/// Opens the action's form on a ticket page and sends it, filling the
/// given text fields and ticking the given radio buttons.
async fn act(c: &Client, action: &str, texts: &[(&str, &str)], radios: &[&str]) {
    let details = c.find(Locator::Id(&format!("act-{action}"))).await.unwrap();
    details
        .find(Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for (name, value) in texts {
        details
            .find(Locator::Css(&format!("[name={name}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    for css in radios {
        details
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    details
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub(crate) async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

each_backend! {
    async fn a_problem_is_filed_handled_and_rated_in_a_real_browser(app) {
        let (chromium, driver_path) = match tools() {
            Ok(t) => t,
            Err(why) => {
                assert!(
                    std::env::var("YIZHAN_BROWSER_TESTS").as_deref() != Ok("required"),
                    "browser tests are required here, but: {why}"
                );
                // Straight to the terminal: the harness captures print!, not this.
                let _ = writeln!(std::io::stderr(), "SKIPPED browser test: {why}");
                return;
            }
        };
        let ent = app.enterprise("上海某汽车零部件有限公司", "310115").await;
        app.user("enterprise", "e@parts.example.cn", None, Some(ent)).await;
        app.user("officer", "o@pudong.example.cn", Some(app.department_of("310115").await), None).await;
        app.user("supervisor", "s@shanghai.example.cn", Some(app.department_of("310000").await), None).await;
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let mut shots = Shots { dir, prefix: format!("{:?}", app.backend).to_lowercase(), n: 0 };
        let driver = start_driver(&driver_path);
        let c = browser(&chromium, &driver).await;

        // The enterprise files a problem.
        log_in(&c, &app, "e@parts.example.cn").await;
        c.wait().for_element(Locator::Css("a.button[href='/tickets/new']")).await.unwrap();
        shots.take(&c, "portal").await;
        c.goto(&app.url("/tickets/new")).await.unwrap();
        c.find(Locator::Css("#category option[value=worker_return]")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("input[name=urgency][value=urgent]")).await.unwrap().click().await.unwrap();
        c.find(Locator::Id("title")).await.unwrap().send_keys("员工无法返岗").await.unwrap();
        c.find(Locator::Id("description")).await.unwrap().send_keys("封控区员工无法返岗，产线停工。").await.unwrap();
        shots.take(&c, "filing").await;
        c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Id("timeline")).await.unwrap();
        let url = c.current_url().await.unwrap();
        let ticket = url.path().to_string();
        assert!(ticket.starts_with("/tickets/"), "{url}");
        assert!(body_text(&c).await.contains("待签收"));
        shots.take(&c, "filed").await;
        log_out(&c).await;

        // The officer signs for it and resolves it.
        log_in(&c, &app, "o@pudong.example.cn").await;
        c.wait().for_element(Locator::Css("form.filters")).await.unwrap();
        assert!(body_text(&c).await.contains("员工无法返岗"));
        shots.take(&c, "workbench").await;
        c.goto(&app.url(&ticket)).await.unwrap();
        act(&c, "sign_for", &[], &[]).await;
        c.wait().for_element(Locator::Id("act-resolve")).await.unwrap();
        act(&c, "resolve", &[("resolution", "已协调闭环返岗，产线恢复。")], &[]).await;
        c.wait().for_element(Locator::Css(".status-resolved")).await.unwrap();
        shots.take(&c, "resolved").await;
        log_out(&c).await;

        // The enterprise rates it.
        log_in(&c, &app, "e@parts.example.cn").await;
        c.wait().for_element(Locator::Css("a.button[href='/tickets/new']")).await.unwrap();
        c.goto(&app.url(&ticket)).await.unwrap();
        act(&c, "rate", &[], &["input[name=satisfaction][value=satisfied]", "input[name=solved][value=true]"]).await;
        c.wait().for_element(Locator::Css(".status-closed")).await.unwrap();
        shots.take(&c, "rated").await;
        log_out(&c).await;

        // The supervisor sees the rates.
        log_in(&c, &app, "s@shanghai.example.cn").await;
        c.wait().for_element(Locator::Css("ul.cards")).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("满意率") && text.contains("100.0%"), "{text}");
        shots.take(&c, "dashboard").await;
        c.close().await.unwrap();
        drop(driver);
        assert!(shots.n >= 7);
    }
}
