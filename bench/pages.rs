//! Web pages over HTTP on a 1,000,000-ticket database (issue 9): what a
//! browser asks for, with a session cookie, timed from request to the last
//! byte. Target: every page p99 < 50 ms.
//!
//!     cargo bench --bench pages
//!     BENCH_DATABASE_URL=postgres://yizhan:yizhan@127.0.0.1:5432/yizhan cargo bench --bench pages
//!
//! The tickets are copies of one Pudong ticket (as `ticket_reads`), the
//! original with a 50-event timeline. The supervisor's dashboard page is
//! measured by `metrics_dashboard`, on data spread like real tickets
//! (copies of one open ticket would all be open).

mod support;

use std::time::Instant;

const SAMPLES: usize = 200;
const TARGET_MS: f64 = 50.0;

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
        let auth =
            yizhan::services::auth::Authenticator::new(b.db.clone(), &b.settings.auth).unwrap();
        yizhan::services::users::create_account(
            &b.db,
            &auth,
            yizhan::services::users::NewAccount {
                email: "admin@bench.cn".into(),
                display_name: "bench".into(),
                phone: None,
                role: "admin".into(),
                department_id: None,
                enterprise_id: None,
                password: "Bench-password-2022!".into(),
                locale: None,
            },
            None,
            b.sla.now(),
        )
        .await
        .expect("an administrator");
        let base = b.serve().await;
        let admin = support::browser(&base, "admin@bench.cn").await;
        let officer = support::browser(&base, "o1@bench.cn").await;
        let enterprise = support::browser(&base, "e@bench.cn").await;
        let lead = support::browser(&base, "lead@bench.cn").await;
        let enterprise_id = b.enterprise.enterprise_id.expect("the bench's enterprise");
        let enterprise_user = b.enterprise.user_id;
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
                    yizhan::services::queue::QueueCursor {
                        id: total / 2,
                        due: None
                    }
                    .encode()
                ),
            ),
            (
                "ticket page, 50-event timeline (officer)",
                &officer,
                format!("{base}/tickets/{id}"),
            ),
            (
                "workbench, 待签收 tab (1,000,000 to sign for)",
                &officer,
                format!("{base}/workbench?tab=sign"),
            ),
            (
                "workbench, 临期 tab",
                &officer,
                format!("{base}/workbench?tab=near"),
            ),
            (
                "workbench, a lead's tabs",
                &lead,
                format!("{base}/workbench"),
            ),
            (
                "workbench, two-word search",
                &officer,
                format!("{base}/workbench?q=%E8%8A%AF%E7%89%87+%E6%96%AD%E4%BE%9B"),
            ),
            (
                "ticket print view (办理单)",
                &officer,
                format!("{base}/tickets/{id}/print"),
            ),
            ("notifications", &officer, format!("{base}/notifications")),
            (
                "canned replies (lead)",
                &lead,
                format!("{base}/desk/replies"),
            ),
            ("supervision list", &officer, format!("{base}/supervision")),
            ("enterprise portal", &enterprise, format!("{base}/portal")),
            (
                "ticket page (enterprise)",
                &enterprise,
                format!("{base}/tickets/{id}"),
            ),
            ("filing form", &enterprise, format!("{base}/tickets/new")),
            ("admin: users", &admin, format!("{base}/admin/users")),
            (
                "admin: a user's page",
                &admin,
                format!("{base}/admin/users/{enterprise_user}"),
            ),
            (
                "admin: an enterprise's page",
                &admin,
                format!("{base}/admin/enterprises/{enterprise_id}"),
            ),
            (
                "admin: departments",
                &admin,
                format!("{base}/admin/departments"),
            ),
            (
                "admin: enterprises",
                &admin,
                format!("{base}/admin/enterprises"),
            ),
            (
                "admin: SLA policies and calendar",
                &admin,
                format!("{base}/admin/sla"),
            ),
            (
                "admin: routing rules",
                &admin,
                format!("{base}/admin/routing"),
            ),
            (
                "admin: mail templates and dead mail",
                &admin,
                format!("{base}/admin/mail"),
            ),
        ];
        for (name, client, url) in &pages {
            // The first request: nothing kept yet (the tabs' counts among it).
            let (first, _) = support::timed(client, url).await;
            let first = first.as_secs_f64() * 1000.0;
            let mut samples = Vec::with_capacity(SAMPLES);
            let mut bytes = 0;
            for _ in 0..SAMPLES {
                let (took, n) = support::timed(client, url).await;
                samples.push(took);
                bytes = n;
            }
            let (median, p99) = support::median_p99(samples);
            let ok = p99 < TARGET_MS;
            pass &= ok;
            let row = format!(
                "| {backend} | {total} | {name} | {} KB | {first:.1} | {median:.1} | {p99:.1} | < {TARGET_MS} ms: {} |",
                bytes / 1024,
                if ok { "PASS" } else { "FAIL" }
            );
            eprintln!("{row}");
            rows.push(row);
        }
        b.finish();
    }
    println!(
        "| backend | tickets | page | size | first request ms | median ms | p99 ms | target |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    if !pass {
        std::process::exit(1);
    }
}
