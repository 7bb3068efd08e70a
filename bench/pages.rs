//! Web pages over HTTP on a 1,000,000-ticket database (issue 9): what a
//! browser asks for, with a session cookie, timed from request to the last
//! byte. Target: every page p99 < 50 ms.
//!
//!     cargo bench --bench pages
//!     BENCH_DATABASE_URL=postgres://yizhan:yizhan@127.0.0.1:5432/yizhan cargo bench --bench pages
//!
//! The tickets are copies of one Pudong ticket (as `ticket_reads`), the
//! original with a 50-event timeline. Not measured here yet: the
//! supervisor's dashboard page, which needs the realistic spread of
//! `metrics_dashboard`'s data (copies of one open ticket would all be
//! open); `metrics_dashboard` times the service behind it.

mod support;

use std::time::{Duration, Instant};

const SAMPLES: usize = 200;
const TARGET_MS: f64 = 50.0;

/// A browser with a session: logs in through the log-in form.
async fn browser(base: &str, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = login.find(marker).expect("a CSRF token") + marker.len();
    let csrf = &login[start..start + login[start..].find('"').unwrap()];
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf),
            ("email", email),
            ("password", "Bench-password-2022!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "log-in of {email}");
    client
}

async fn timed(client: &reqwest::Client, url: &str) -> (Duration, usize) {
    let started = Instant::now();
    let res = client.get(url).send().await.expect("an answer");
    assert_eq!(res.status(), 200, "{url}");
    let body = res.bytes().await.expect("a body");
    (started.elapsed(), body.len())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let total: i64 = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let only = std::env::var("BENCH_BACKEND").ok();
    let mut rows = Vec::new();
    let mut pass = true;
    for backend in support::backends()
        .into_iter()
        .filter(|b| only.as_deref().is_none_or(|o| o == *b))
    {
        let b = support::setup(backend).await;
        let started = Instant::now();
        b.grow_to(total).await;
        eprintln!(
            "{backend}: {total} tickets in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        let id = b.ticket_id;
        b.long_timeline().await;
        if backend == "postgres" {
            b.exec(vec!["ANALYZE".into()]).await;
        }
        let base = b.serve().await;
        let officer = browser(&base, "o1@bench.cn").await;
        let enterprise = browser(&base, "e@bench.cn").await;
        let public = reqwest::Client::new();
        let pages: Vec<(&str, &reqwest::Client, String)> = vec![
            ("log-in page (public)", &public, format!("{base}/login")),
            (
                "workbench, first page",
                &officer,
                format!("{base}/workbench"),
            ),
            (
                "workbench, 2 filters, a later page",
                &officer,
                format!(
                    "{base}/workbench?status=pending_sign&urgency=normal&cursor={}",
                    total / 2
                ),
            ),
            (
                "ticket page, 50-event timeline (officer)",
                &officer,
                format!("{base}/tickets/{id}"),
            ),
            ("supervision list", &officer, format!("{base}/supervision")),
            ("enterprise portal", &enterprise, format!("{base}/portal")),
            (
                "ticket page (enterprise)",
                &enterprise,
                format!("{base}/tickets/{id}"),
            ),
            ("filing form", &enterprise, format!("{base}/tickets/new")),
        ];
        for (name, client, url) in &pages {
            timed(client, url).await; // warm up
            let mut samples = Vec::with_capacity(SAMPLES);
            let mut bytes = 0;
            for _ in 0..SAMPLES {
                let (took, n) = timed(client, url).await;
                samples.push(took);
                bytes = n;
            }
            let (median, p99) = support::median_p99(samples);
            let ok = p99 < TARGET_MS;
            pass &= ok;
            let row = format!(
                "| {backend} | {total} | {name} | {} KB | {median:.1} | {p99:.1} | < {TARGET_MS} ms: {} |",
                bytes / 1024,
                if ok { "PASS" } else { "FAIL" }
            );
            eprintln!("{row}");
            rows.push(row);
        }
        b.finish();
    }
    println!("| backend | tickets | page | size | median ms | p99 ms | target |");
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    if !pass {
        std::process::exit(1);
    }
}
