//! A ticket-list export of 100,000 tickets (issue 8): the XLSX streams in
//! under 20 s, and the service's memory stays flat (the CSV as well).
//!
//!     cargo bench --bench ticket_export
//!     BENCH_DATABASE_URL=postgres://yizhan:yizhan@127.0.0.1:5432/yizhan cargo bench --bench ticket_export
//!
//! The service runs as its own process on a database of `BENCH_TICKETS`
//! (100,000) tickets; an officer of the department handling them all
//! downloads `GET /api/v1/tickets/export`. The peak resident memory is read
//! from /proc before and after: flat means it grows by far less than the
//! file's size.

mod support;

use std::time::Instant;

use support::service::{login, Service};

const TARGET_SECS: f64 = 20.0;
/// Growth of the service's peak resident memory an export may cause.
const GROWTH_LIMIT_MB: f64 = 40.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let total: i64 = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::var("BENCH_BACKEND").ok();
    let mut pass = true;
    let mut rows = Vec::new();
    for backend in support::backends()
        .into_iter()
        .filter(|b| only.as_deref().is_none_or(|o| o == *b))
    {
        let b = support::setup(backend).await;
        b.grow_to(total).await;
        let dir = tempfile::tempdir().unwrap();
        let service = Service::start(&b, dir.path()).await;
        let client = reqwest::Client::new();
        let token = login(&client, &service.base, "o1@bench.cn").await;
        for format in ["xlsx", "csv"] {
            let (_, peak_before) = service.memory();
            let started = Instant::now();
            let mut res = client
                .get(format!(
                    "{}/api/v1/tickets/export?format={format}",
                    service.base
                ))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let mut body = Vec::new();
            while let Some(chunk) = res.chunk().await.unwrap() {
                body.extend_from_slice(&chunk);
            }
            let secs = started.elapsed().as_secs_f64();
            let (_, peak_after) = service.memory();
            let growth = peak_after - peak_before;
            let lines = match format {
                "csv" => body.iter().filter(|b| **b == b'\n').count() as i64 - 1,
                _ => {
                    use calamine::Reader;
                    let mut book = calamine::Xlsx::new(std::io::Cursor::new(&body)).unwrap();
                    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
                    sheet.height() as i64 - 1
                }
            };
            assert_eq!(lines, total, "every ticket in the {format} file");
            let ok = secs < TARGET_SECS && growth < GROWTH_LIMIT_MB;
            pass &= ok;
            let row = format!(
                "| {backend} | {total} | {format}, {:.1} MB | {secs:.1} s | +{growth:.1} MB (peak {peak_after:.1} MB) | < {TARGET_SECS} s, < +{GROWTH_LIMIT_MB} MB: {} |",
                body.len() as f64 / 1_048_576.0,
                if ok { "PASS" } else { "FAIL" }
            );
            eprintln!("{row}");
            rows.push(row);
        }
        service.stop();
        b.finish();
    }
    println!("| backend | tickets | file | time | peak memory growth | target |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!("{}", if pass { "PASS" } else { "FAIL" });
    if !pass {
        std::process::exit(1);
    }
}
