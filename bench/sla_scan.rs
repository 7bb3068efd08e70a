//! The SLA scanner's cost follows the due tickets, not the open ones.
//!
//! Target: one scan over 1,000,000 open tickets of which 1,000 are due takes
//! under 100 ms, on SQLite and on PostgreSQL. Run with
//! `cargo bench --bench sla_scan` (SQLite), and with
//! `BENCH_DATABASE_URL=postgres://...` for PostgreSQL too. Each due ticket
//! fires one overdue event, which queues a notice for each of the handling
//! department's three officers and leads: the whole scan is measured.

mod support;

use std::time::{Duration, Instant};

use yizhan::services::sla_scanner::scan_once;
use yizhan::storage::tickets::Ticket;

const REPEATS: usize = 7;
const TARGET_MS: f64 = 100.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::var("BENCH_LOG").is_ok() {
        yizhan::telemetry::init_logging(&yizhan::configuration::LogSettings {
            format: yizhan::configuration::LogFormat::Pretty,
            level: "warn,yizhan::services::sla_scanner=debug".into(),
        });
    }
    // BENCH_OPEN=100000 measures one size only (quicker).
    let sizes: Vec<i64> = std::env::var("BENCH_OPEN")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    let mut rows = Vec::new();
    let mut pass = true;
    let only = std::env::var("BENCH_BACKEND").ok();
    for backend in support::backends()
        .into_iter()
        .filter(|b| only.as_deref().is_none_or(|o| o == *b))
    {
        let b = support::setup(backend).await;
        let original = {
            let id = b.ticket_id;
            b.db.run(move |c| Ok(Ticket::find(c, id)?.unwrap()))
                .await
                .unwrap()
        };
        let due_at = original.sign_due_at.unwrap();
        let scan_at = (due_at + chrono::Duration::minutes(1)).and_utc();
        let literal = |t: chrono::NaiveDateTime| format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"));
        for &open in &sizes {
            let started = Instant::now();
            b.grow_to(open).await;
            eprintln!(
                "{backend}: {open} tickets in {:.0} s",
                started.elapsed().as_secs_f64()
            );
            // Nothing is due: every clock looks again in 2099.
            b.exec(vec![
                "UPDATE ticket_clocks SET next_check_at = '2099-01-01 00:00:00'".into(),
            ])
            .await;
            for due in [1_000i64, 10_000] {
                if open < 1_000_000 && due > 1_000 {
                    continue;
                }
                let mut samples: Vec<Duration> = Vec::new();
                for _ in 0..REPEATS {
                    // Arm `due` tickets: their sign-for deadline has just passed.
                    b.exec(vec![
                        "DELETE FROM sla_events".into(),
                        "DELETE FROM outbox_messages".into(),
                        format!(
                            "UPDATE ticket_clocks SET sign_fired = -1, supervising_department_id = NULL, \
                             next_check_at = {} \
                             WHERE ticket_id IN (SELECT ticket_id FROM ticket_clocks ORDER BY ticket_id LIMIT {due})",
                            literal(due_at)
                        ),
                        // ... and not yet flagged, so the scan writes the flags too.
                        format!(
                            "UPDATE tickets SET overdue = FALSE, escalation_level = 0 \
                             WHERE id IN (SELECT ticket_id FROM ticket_clocks ORDER BY ticket_id LIMIT {due})"
                        ),
                    ])
                    .await;
                    let t = Instant::now();
                    let report = scan_once(&b.db, &b.sla, scan_at, 500, 10_000)
                        .await
                        .unwrap();
                    samples.push(t.elapsed());
                    assert_eq!(report.claimed as i64, due, "every due ticket is scanned");
                    assert_eq!(report.events as i64, due, "one overdue event each");
                }
                let (median, max) = support::summary(samples);
                let ok = due > 1_000 || open < 1_000_000 || median < TARGET_MS;
                pass &= ok;
                rows.push(format!(
                    "| {backend} | {open} | {due} | {median:.1} | {max:.1} | {} |",
                    if due == 1_000 && open == 1_000_000 {
                        if ok {
                            "PASS"
                        } else {
                            "FAIL"
                        }
                    } else {
                        "-"
                    }
                ));
            }
        }
        b.finish();
    }
    println!("| backend | open tickets | due | scan median ms | max ms | < {TARGET_MS} ms |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!("{}", if pass { "PASS" } else { "FAIL" });
    if !pass {
        std::process::exit(1);
    }
}
