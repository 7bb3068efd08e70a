//! Daily monitoring at scale (issue 26): 100,000 enterprises of one list
//! with 100 days of reports stored (10 million), then
//!
//! - 32 clients filing today's reports over HTTP (`PUT /api/v1/daily-reports/{date}`,
//!   first reports, then corrections) for the listed enterprises' accounts:
//!   target at least 1,000 reports/s, p99 under 100 ms, the service's
//!   resident memory under 150 MB;
//! - the national board of the list over 90 days
//!   (`GET /api/v1/monitoring/overview`): target under 300 ms;
//! - a county's missing list (`GET /api/v1/monitoring/missing`): p99 under 50 ms;
//! - a recount of the daily figures from the raw reports (they must agree).
//!
//! Run:
//!
//!     cargo bench --bench daily_monitoring
//!     BENCH_DATABASE_URL=postgres://yizhan:yizhan@127.0.0.1:5432/yizhan cargo bench --bench daily_monitoring
//!
//! Sizes: `BENCH_MONITORED` enterprises (100,000), `BENCH_DAYS` days of
//! reports stored (100), `BENCH_ACCOUNTS` of them filing (2,000),
//! `BENCH_SECONDS` of load (20), `BENCH_BACKEND` one backend only. A quick
//! check that it runs: `BENCH_MONITORED=300 BENCH_DAYS=3 BENCH_ACCOUNTS=40 BENCH_SECONDS=2`.
//!
//! The history is written straight in SQL, the figures added up from it by
//! SQL too (as the service would have kept them); the load then goes
//! through the service, which keeps them in step.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use serde_json::{json, Value};
use support::service::{login, Service};
use yizhan::seed::reference_plan;

const CLIENTS: usize = 32;

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn day_literal(backend: &str, d: NaiveDate) -> String {
    if backend == "sqlite" {
        format!("'{d}'")
    } else {
        format!("DATE '{d}'")
    }
}

fn now_literal(backend: &str) -> &'static str {
    if backend == "sqlite" {
        "'2022-04-01 00:00:00'"
    } else {
        "TIMESTAMP '2022-04-01 00:00:00'"
    }
}

/// Writes the list, its enterprises, accounts and `days` days of reports
/// before `today`, and their figures; returns the list's id and a county.
async fn generate(
    b: &support::Bench,
    monitored: i64,
    days: i64,
    accounts: i64,
    today: NaiveDate,
) -> (i64, String) {
    let backend = b.backend;
    let ts = now_literal(backend);
    let counties: Vec<String> = reference_plan()
        .regions
        .iter()
        .filter(|r| r.level == yizhan::domain::region::RegionLevel::County && !r.nominal)
        .step_by(5)
        .map(|r| r.code.to_string())
        .collect();
    let k = counties.len() as i64;
    let mut setup =
        vec!["CREATE TABLE bench_places (k INTEGER PRIMARY KEY, code TEXT NOT NULL)".to_string()];
    for (n, chunk) in counties.chunks(200).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, c)| format!("({}, '{c}')", n * 200 + i))
            .collect();
        setup.push(format!(
            "INSERT INTO bench_places (k, code) VALUES {}",
            values.join(", ")
        ));
    }
    setup.push(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {monitored}) \
         INSERT INTO enterprises (credit_code, name, county_code, checksum_waived, created_at, updated_at, address, verification) \
         SELECT 'BM' || CAST(n.i AS TEXT), '监测企业' || CAST(n.i AS TEXT), p.code, FALSE, {ts}, {ts}, '', 'verified' \
         FROM n JOIN bench_places p ON p.k = n.i % {k}"
    ));
    setup.push(format!(
        "INSERT INTO enterprise_industries (enterprise_id, industry_code, updated_at) \
         SELECT id, CASE id % 3 WHEN 0 THEN 'C3670' WHEN 1 THEN 'C3973' ELSE 'C2770' END, {ts} \
         FROM enterprises WHERE credit_code LIKE 'BM%'"
    ));
    setup.push(
        "INSERT INTO enterprise_chains (enterprise_id, chain_code) \
         SELECT id, 'automotive' FROM enterprises WHERE credit_code LIKE 'BM%' AND id % 3 = 0"
            .to_string(),
    );
    setup.push(format!(
        "INSERT INTO monitoring_lists (department_id, name, source, created_at, updated_at) \
         SELECT id, '全国重点企业', 'members', {ts}, {ts} FROM departments WHERE kind = 'ministry'"
    ));
    b.exec(setup).await;
    let list = b
        .count("SELECT id AS n FROM monitoring_lists WHERE name = '全国重点企业'")
        .await;
    let reporter = b
        .count("SELECT id AS n FROM users WHERE email = 'e@bench.cn'")
        .await;
    let hash_of = "(SELECT password_hash FROM users WHERE email = 'e@bench.cn')";
    let mut writes = vec![
        format!(
            "INSERT INTO monitoring_members (list_id, enterprise_id, county_code, industry_code, chains, added_at) \
             SELECT {list}, e.id, e.county_code, i.industry_code, CASE WHEN e.id % 3 = 0 THEN ',automotive,' ELSE '' END, {ts} \
             FROM enterprises e JOIN enterprise_industries i ON i.enterprise_id = e.id WHERE e.credit_code LIKE 'BM%'"
        ),
        format!(
            "INSERT INTO users (email, display_name, role, enterprise_id, password_hash, active, email_verified_at, locale, tokens_valid_after, created_at, updated_at, demo) \
             SELECT 'm' || CAST(id AS TEXT) || '@bench.cn', '填报员', 'enterprise', id, {hash_of}, TRUE, {ts}, 'zh', {ts}, {ts}, {ts}, FALSE \
             FROM enterprises WHERE credit_code LIKE 'BM%' AND id IN (SELECT id FROM enterprises WHERE credit_code LIKE 'BM%' ORDER BY id LIMIT {accounts})"
        ),
    ];
    // The history, a day a statement: about one in fifty missing each day.
    for d in 1..=days {
        let day = day_literal(backend, today - Days::new(d as u64));
        writes.push(format!(
            "INSERT INTO daily_reports (enterprise_id, day, status, staff_on_duty, staff_usual, capacity_percent, \
             output_milli, output_unit, inventory_days, late, revision, reported_by, reported_at, updated_at) \
             SELECT id, {day}, CASE id % 10 WHEN 0 THEN 'stopped' WHEN 1 THEN 'partial' ELSE 'running' END, \
             80 + id % 50, 100 + id % 50, CASE id % 10 WHEN 0 THEN 0 ELSE 50 + id % 50 END, \
             CASE WHEN id % 3 = 0 THEN (100 + id % 20) * 1000 ELSE NULL END, CASE WHEN id % 3 = 0 THEN '辆' ELSE NULL END, \
             5, FALSE, 1, {reporter}, {ts}, {ts} \
             FROM enterprises WHERE credit_code LIKE 'BM%' AND (id + {d}) % 50 <> 0"
        ));
    }
    // The figures, as the service keeps them: each level, for every chain
    // ('') and for the automotive chain's own rows.
    let regions = [
        (3, "m.county_code"),
        (2, "SUBSTR(m.county_code, 1, 4) || '00'"),
        (1, "SUBSTR(m.county_code, 1, 2) || '0000'"),
    ];
    for (level, region) in regions {
        for (chain, only) in [
            ("''", ""),
            ("'automotive'", "AND m.chains = ',automotive,'"),
        ] {
            writes.push(format!(
                "INSERT INTO monitoring_days (list_id, level, day, region_code, industry_code, chain_code, unit, \
                 reported, running, partial, stopped, not_resumed, late, staff_on_duty, staff_usual, capacity_weighted, output_milli, blockers) \
                 SELECT {list}, {level}, r.day, {region}, m.industry_code, {chain}, COALESCE(r.output_unit, ''), \
                 COUNT(*), \
                 CAST(SUM(CASE WHEN r.status = 'running' THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN r.status = 'partial' THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN r.status = 'stopped' THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN r.status = 'not_resumed' THEN 1 ELSE 0 END) AS BIGINT), 0, \
                 CAST(SUM(r.staff_on_duty) AS BIGINT), CAST(SUM(r.staff_usual) AS BIGINT), \
                 CAST(SUM(r.capacity_percent * r.staff_usual) AS BIGINT), CAST(SUM(COALESCE(r.output_milli, 0)) AS BIGINT), 0 \
                 FROM daily_reports r JOIN monitoring_members m ON m.enterprise_id = r.enterprise_id AND m.list_id = {list} \
                 WHERE 1 = 1 {only} \
                 GROUP BY r.day, {region}, m.industry_code, COALESCE(r.output_unit, '')"
            ));
        }
    }
    b.exec(writes).await;
    (list, counties[0].clone())
}

/// The daily figures against a recount from the raw reports: the county
/// rows' reports and staff, per day.
async fn recount_agrees(b: &support::Bench, list: i64) -> bool {
    let kept = b
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(reported * 7 + staff_on_duty), 0) AS BIGINT) AS n FROM monitoring_days \
             WHERE list_id = {list} AND level = 3 AND chain_code = ''"
        ))
        .await;
    let raw = b
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(7 + r.staff_on_duty), 0) AS BIGINT) AS n FROM daily_reports r \
             JOIN monitoring_members m ON m.enterprise_id = r.enterprise_id AND m.list_id = {list}"
        ))
        .await;
    kept == raw
}

fn spread(mut l: Vec<Duration>) -> (f64, f64) {
    if l.is_empty() {
        return (0.0, 0.0);
    }
    l.sort();
    let at = |q: f64| support::ms(l[((l.len() as f64 * q) as usize).min(l.len() - 1)]);
    (at(0.5), at(0.99))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let monitored = env("BENCH_MONITORED", 100_000);
    let days = env("BENCH_DAYS", 100);
    let accounts = env("BENCH_ACCOUNTS", 2_000).min(monitored);
    let seconds = env("BENCH_SECONDS", 20) as u64;
    let only = std::env::var("BENCH_BACKEND").ok();
    let today = yizhan::domain::monitoring::beijing_date(chrono::Utc::now());
    let mut rows = Vec::new();
    let mut pass = true;
    for backend in support::backends()
        .into_iter()
        .filter(|b| only.as_deref().is_none_or(|o| o == *b))
    {
        let b = support::setup(backend).await;
        let started = Instant::now();
        let (list, county) = generate(&b, monitored, days, accounts, today).await;
        eprintln!(
            "{backend}: {monitored} enterprises, {days} days of reports written in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        let ministry = b
            .count("SELECT id AS n FROM departments WHERE kind = 'ministry'")
            .await;
        let hash_of = "(SELECT password_hash FROM users WHERE email = 'e@bench.cn')";
        let ts = now_literal(backend);
        b.exec(vec![format!(
            "INSERT INTO users (email, display_name, role, department_id, password_hash, active, email_verified_at, locale, tokens_valid_after, created_at, updated_at, demo) \
             VALUES ('sup@bench.cn', '督查员', 'supervisor', {ministry}, {hash_of}, TRUE, {ts}, 'zh', {ts}, {ts}, {ts}, FALSE)"
        )])
        .await;
        let dir = tempfile::tempdir().unwrap();
        let service = Service::start(&b, dir.path()).await;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap();
        let ids: Vec<i64> = {
            let n = accounts;
            let first = b
                .count("SELECT MIN(id) AS n FROM enterprises WHERE credit_code LIKE 'BM%'")
                .await;
            (first..first + n).collect()
        };
        let mut tokens = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CLIENTS) {
            let logins: Vec<_> = chunk
                .iter()
                .map(|&id| {
                    let (c, base) = (client.clone(), service.base.clone());
                    tokio::spawn(async move { login(&c, &base, &format!("m{id}@bench.cn")).await })
                })
                .collect();
            for l in logins {
                tokens.push(l.await.unwrap());
            }
        }
        let tokens = Arc::new(tokens);

        // 32 clients filing today's reports, then correcting them.
        let url = format!("{}/api/v1/daily-reports/{today}", service.base);
        let (stop, failed, next) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let load_started = Instant::now();
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (c, url, tokens) = (client.clone(), url.clone(), tokens.clone());
                let (stop, failed, next) = (stop.clone(), failed.clone(), next.clone());
                tokio::spawn(async move {
                    let mut took = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let token = &tokens[i as usize % tokens.len()];
                        let body = json!({
                            "status": "running", "staff_on_duty": 90, "staff_usual": 100,
                            "capacity_percent": 60 + (i / tokens.len() as u64) % 40,
                            "output_quantity": 120, "output_unit": "辆",
                        });
                        let sent = Instant::now();
                        match c.put(&url).bearer_auth(token).json(&body).send().await {
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                took.push(sent.elapsed());
                            }
                            other => {
                                // The first refusal is shown: a run that
                                // fails says why.
                                if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                                    match other {
                                        Ok(r) => eprintln!(
                                            "first failed report: {} {}",
                                            r.status(),
                                            r.text().await.unwrap_or_default()
                                        ),
                                        Err(e) => eprintln!("first failed report: {e}"),
                                    }
                                }
                            }
                        }
                    }
                    took
                })
            })
            .collect();
        let mut peak = 0.0f64;
        let until = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(250)).await;
            peak = peak.max(service.memory().0);
        }
        stop.store(true, Ordering::Relaxed);
        let mut took = Vec::new();
        for t in tasks {
            took.extend(t.await.unwrap());
        }
        let rate = took.len() as f64 / load_started.elapsed().as_secs_f64();
        let (median, p99) = spread(took.clone());
        let failed = failed.load(Ordering::Relaxed);
        let ok = rate >= 1000.0 && p99 < 100.0 && peak < 150.0 && failed == 0;
        pass &= ok;
        rows.push(format!(
            "| {backend} | {monitored} x {days} d | reports, {CLIENTS} clients | {rate:.0}/s ({} ok, {failed} failed); {median:.1} / {p99:.1} ms; RSS {peak:.0} MB | >= 1000/s, p99 < 100 ms, < 150 MB: {} |",
            took.len(),
            if ok { "PASS" } else { "FAIL" }
        ));

        // The national board over 90 days, and a county's missing list.
        let sup = login(&client, &service.base, "sup@bench.cn").await;
        let from = today - Days::new(89);
        let board = format!(
            "{}/api/v1/monitoring/overview?list={list}&from={from}&to={today}",
            service.base
        );
        let mut board_took = Vec::new();
        for _ in 0..10 {
            let sent = Instant::now();
            let r = client.get(&board).bearer_auth(&sup).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            board_took.push(sent.elapsed());
            assert_eq!(v["total"]["listed"], monitored);
        }
        let (board_median, board_worst) = spread(board_took);
        let ok = board_worst < 300.0;
        pass &= ok;
        rows.push(format!(
            "| {backend} | {monitored} x {days} d | national board, 90 days | {board_median:.0} ms median, {board_worst:.0} ms worst | < 300 ms: {} |",
            if ok { "PASS" } else { "FAIL" }
        ));
        let missing = format!(
            "{}/api/v1/monitoring/missing?list={list}&region={county}&date={today}",
            service.base
        );
        let mut missing_took = Vec::new();
        for _ in 0..200 {
            let sent = Instant::now();
            let r = client.get(&missing).bearer_auth(&sup).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let _ = r.bytes().await;
            missing_took.push(sent.elapsed());
        }
        let (missing_median, missing_p99) = spread(missing_took);
        let ok = missing_p99 < 50.0;
        pass &= ok;
        rows.push(format!(
            "| {backend} | {monitored} x {days} d | a county's missing list | {missing_median:.1} / {missing_p99:.1} ms | p99 < 50 ms: {} |",
            if ok { "PASS" } else { "FAIL" }
        ));
        service.stop();
        let agrees = recount_agrees(&b, list).await;
        pass &= agrees;
        rows.push(format!(
            "| {backend} | {monitored} x {days} d | figures against a recount | {} | equal: {} |",
            if agrees { "equal" } else { "differ" },
            if agrees { "PASS" } else { "FAIL" }
        ));
        b.finish();
    }
    println!("| backend | size | what | measured | target |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    if !pass {
        std::process::exit(1);
    }
}
