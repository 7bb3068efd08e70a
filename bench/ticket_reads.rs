//! Reading tickets over HTTP on a 1,000,000-ticket database: the queue page
//! (25 tickets, two filters, keyset), a ticket's detail with a 50-event
//! timeline, and a Chinese substring search. Targets: p99 < 15 ms, < 15 ms
//! and < 100 ms. The real application serves a real HTTP client on loopback.
//!
//! `cargo bench --bench ticket_reads` (SQLite), with
//! `BENCH_DATABASE_URL=postgres://...` for PostgreSQL too;
//! `BENCH_OPEN=100000` for a quicker run.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;

const SAMPLES: usize = 300;

async fn timed(client: &reqwest::Client, url: &str, token: &str) -> (Duration, Value) {
    let started = Instant::now();
    let res = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 200, "{url}");
    let body: Value = res.json().await.expect("json");
    (started.elapsed(), body)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let open: i64 = std::env::var("BENCH_OPEN")
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
        b.grow_to(open).await;
        eprintln!(
            "{backend}: {open} tickets in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        let id = b.ticket_id;
        b.long_timeline().await;
        b.exec(vec![
            // 100 of the oldest tickets are about something else: newest
            // first, a search without its index would read every other
            // ticket before reaching them.
            "UPDATE tickets SET title = '氦气短缺导致芯片产线停产' WHERE id IN (SELECT id FROM tickets ORDER BY id ASC LIMIT 100)".into(),
        ])
        .await;
        let events = b
            .count(&format!(
                "SELECT COUNT(*) AS n FROM ticket_events WHERE ticket_id = {id}"
            ))
            .await;
        if backend == "postgres" {
            b.exec(vec!["ANALYZE".into()]).await;
        }

        let base = b.serve().await;
        let client = reqwest::Client::new();
        let login: Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"email": "o1@bench.cn", "password": "Bench-password-2022!"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["access_token"].as_str().expect("a token").to_string();

        // Warm up, then measure each read.
        let queue = format!("{base}/api/v1/tickets?status=pending_sign&urgency=normal&limit=25");
        let (_, first) = timed(&client, &queue, &token).await;
        assert_eq!(first["items"].as_array().unwrap().len(), 25);
        let cursor = first["next_cursor"]
            .as_str()
            .expect("a second page")
            .to_string();
        let page2 = format!("{queue}&cursor={cursor}");
        let detail = format!("{base}/api/v1/tickets/{id}");
        // 氦气短缺: in the titles of the 100 oldest tickets only.
        let search =
            format!("{base}/api/v1/tickets?q=%E6%B0%A6%E6%B0%94%E7%9F%AD%E7%BC%BA&limit=25");
        // 氦气: the same tickets, but two characters are below what a
        // trigram index serves, so this one is scanned for.
        let short = format!("{base}/api/v1/tickets?q=%E6%B0%A6%E6%B0%94&limit=25");
        // 控制器芯片: in every ticket's description.
        let common = format!(
            "{base}/api/v1/tickets?q=%E6%8E%A7%E5%88%B6%E5%99%A8%E8%8A%AF%E7%89%87&status=pending_sign&limit=25"
        );
        // 稀土断供: a term no ticket contains.
        let nothing =
            format!("{base}/api/v1/tickets?q=%E7%A8%80%E5%9C%9F%E6%96%AD%E4%BE%9B&limit=25");
        let (_, found) = timed(&client, &search, &token).await;
        assert_eq!(found["items"].as_array().unwrap().len(), 25, "{found}");
        let (_, d) = timed(&client, &detail, &token).await;
        let timeline = d["timeline"].as_array().map_or(0, |t| t.len());
        for (name, url, target) in [
            ("queue page 2 (2 filters, keyset)", &page2, Some(15.0)),
            ("ticket detail", &detail, Some(15.0)),
            ("search 氦气短缺 (100 oldest match)", &search, Some(100.0)),
            ("search 稀土断供 (no match)", &nothing, Some(100.0)),
            (
                "search 控制器芯片 + status (all match)",
                &common,
                Some(100.0),
            ),
            ("search 氦气 (2 characters, scanned)", &short, None),
        ] {
            // Fewer samples of the read without a target: it is slow by design.
            let n = if target.is_some() { SAMPLES } else { 30 };
            let mut samples = Vec::with_capacity(n);
            for _ in 0..n {
                samples.push(timed(&client, url, &token).await.0);
            }
            let (median, p99) = support::median_p99(samples);
            let verdict = match target {
                Some(target) => {
                    let ok = p99 < target;
                    pass &= ok;
                    format!("< {target} ms: {}", if ok { "PASS" } else { "FAIL" })
                }
                None => "no target".to_string(),
            };
            let row =
                format!("| {backend} | {open} | {name} | {median:.2} | {p99:.2} | {verdict} |");
            eprintln!("{row}");
            rows.push(row);
        }
        eprintln!("{backend}: detail timeline has {timeline} entries ({events} events)");
        b.finish();
    }
    println!("| backend | tickets | read | median ms | p99 ms | target |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!("{}", if pass { "PASS" } else { "FAIL" });
    if !pass {
        std::process::exit(1);
    }
}
