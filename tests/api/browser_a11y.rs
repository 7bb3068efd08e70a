//! Accessibility (issue 24, "done means"): an axe-core audit (WCAG 2.1 A
//! and AA rules) of every page each role reaches, crawled as in
//! `pages_words`, in Chinese and in English, finds no violation.
//!
//! axe-core comes from the npm registry at a pinned version, unpacked
//! once into `target/tmp/axe-core-<version>`, so that `cargo test` needs
//! nothing installed beyond npm. The pages do not depend on the backend,
//! so the audit runs on SQLite only.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use fantoccini::Client;
use serde_json::Value;
use yizhan::seed::demo::{DEMO_DOMAIN, DEMO_PASSWORD};

use crate::browser::Browser;
use crate::chromium::{log_in_with, log_out, session, DESKTOP};
use crate::helpers::{spawn_app_with, TestApp, TestBackend};
use crate::pages_words::{crawl, demo, CAST};

const AXE_VERSION: &str = "4.10.3";

static AXE: Mutex<Option<String>> = Mutex::new(None);

/// axe-core's script, fetched with `npm pack` on first use.
fn axe_source() -> String {
    let mut held = AXE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = held.as_ref() {
        return s.clone();
    }
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("axe-core-{AXE_VERSION}"));
    let script = home.join("package").join("axe.min.js");
    if !script.exists() {
        let building = home.with_extension(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(&building).unwrap();
        run(Command::new("npm")
            .args(["pack", "--silent", &format!("axe-core@{AXE_VERSION}")])
            .current_dir(&building));
        let tarball = building.join(format!("axe-core-{AXE_VERSION}.tgz"));
        run(Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .current_dir(&building));
        if std::fs::rename(&building, &home).is_err() {
            let _ = std::fs::remove_dir_all(&building);
        }
    }
    let source = std::fs::read_to_string(&script).expect("axe.min.js");
    *held = Some(source.clone());
    source
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .expect("npm and tar (needed by the accessibility audit)");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs axe on the page the browser shows; the violations, one line each.
async fn audit(c: &Client, axe: &str) -> Vec<String> {
    c.execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .expect("axe loads");
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
      + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
  .catch(e => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .expect("axe runs");
    match found {
        Value::Array(items) => items
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        other => vec![format!("axe answered {other}")],
    }
}

/// One page of each kind (numbers in paths and queries dropped): the
/// same template with other data has the same structure.
fn one_of_each(paths: Vec<String>) -> Vec<String> {
    let mut kinds = BTreeSet::new();
    paths
        .into_iter()
        .filter(|p| {
            let bare = p.split('?').next().unwrap_or(p);
            kinds.insert(bare.replace(|c: char| c.is_ascii_digit(), ""))
        })
        .collect()
}

fn with_lang(path: &str, lang: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}lang={lang}")
}

async fn audit_pages(
    c: &Client,
    app: &TestApp,
    axe: &str,
    who: &str,
    paths: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        for lang in ["zh", "en"] {
            c.goto(&app.url(&with_lang(path, lang))).await.unwrap();
            for v in audit(c, axe).await {
                out.push(format!("{who} {path} [{lang}]: {v}"));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_as_every_role_passes_an_axe_audit() {
    let app = spawn_app_with(TestBackend::Sqlite, &[]).await;
    demo(&app).await;
    let Some((driver, c)) = session(DESKTOP).await else {
        return;
    };
    let axe = axe_source();
    // The audit sees a violation where there is one (an image with no
    // text alternative on a page with no language).
    c.goto("data:text/html,<html><body><img src='x.png'></body></html>")
        .await
        .unwrap();
    let canary = audit(&c, &axe).await;
    assert!(
        canary.iter().any(|v| v.starts_with("image-alt")),
        "{canary:?}"
    );
    let mut violations = Vec::new();
    let mut audited = 0;

    let public = Browser::new(&app);
    let start = ["/login", "/register", "/account/forgot-password"];
    let paths: Vec<String> = crawl(&public, "public", &start, 10)
        .await
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let mut paths = one_of_each(paths);
    paths.push("/no-such-page".to_string());
    audited += paths.len();
    violations.extend(audit_pages(&c, &app, &axe, "public", &paths).await);

    for (who, extra) in CAST {
        let b = Browser::new(&app);
        let email = format!("{who}@{DEMO_DOMAIN}");
        let p = b
            .post("/login", &[("email", &email), ("password", DEMO_PASSWORD)])
            .await;
        assert_eq!(p.status, 303, "log-in of {who}");
        let pages = crawl(&b, who, extra, 40).await;
        let paths = one_of_each(pages.into_iter().map(|(p, _)| p).collect());
        log_in_with(&c, &app, &email, DEMO_PASSWORD).await;
        audited += paths.len();
        violations.extend(audit_pages(&c, &app, &axe, who, &paths).await);
        log_out(&c).await;
    }
    c.close().await.unwrap();
    drop(driver);
    eprintln!("axe audited {audited} pages in two languages");
    assert!(audited >= 40, "only {audited} pages audited");
    assert!(
        violations.is_empty(),
        "{} violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn one_page_of_each_kind_is_kept() {
    let kept = one_of_each(vec![
        "/tickets/12".into(),
        "/tickets/13".into(),
        "/workbench?status=handling".into(),
        "/workbench".into(),
        "/tickets/new".into(),
    ]);
    assert_eq!(
        kept,
        vec!["/tickets/12", "/workbench?status=handling", "/tickets/new"]
    );
}
