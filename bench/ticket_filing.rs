//! Filing tickets over HTTP at 32 concurrent clients, against the service
//! running as its own process (the release binary, its SLA scanner on and
//! its mail delivery worker off) on a database of
//! 1,000,000 tickets, compared in the same run with the database alone doing
//! the same writes: a `pgbench` script on PostgreSQL, a raw diesel loop on
//! SQLite. Then the realistic shape: the same 32 clients filing for
//! enterprises in 300 counties (each with its own daily number and
//! officer), against the database alone spreading its writes the same way;
//! on PostgreSQL also against `bench/minimal_create.sql`, the least a
//! durable create writes (a ticket, an event, an outgoing message). Then 32
//! clients read (queue pages, details, searches) while the service's
//! resident memory is watched.
//!
//! Targets: the service files at least half as many tickets per second as
//! the database alone writes; resident memory stays below 150 MB.
//!
//! `cargo bench --bench ticket_filing` (SQLite), with
//! `BENCH_DATABASE_URL=postgres://...` for PostgreSQL too; `BENCH_OPEN` sets
//! the tickets generated first, `BENCH_SECONDS` each phase's length (20).

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use serde_json::{json, Value};
use support::service::{login, Service};
use support::Bench;

const CLIENTS: usize = 32;
/// Counties the spread run's enterprises are in, unless `BENCH_SPREAD`
/// says otherwise (0 skips the run).
const SPREAD: usize = 300;
const MEMORY_LIMIT_MB: f64 = 150.0;

/// The writes one filing makes, as literal rows copied from a ticket the
/// service filed: the ticket, its first event, its clocks, its notices.
struct Writes {
    ticket: String,
    event: String,
    clock: String,
    outbox: Vec<String>,
    metrics: String,
    county: String,
}

const TICKET_COLUMNS: &str = "enterprise_id, filer_id, category, urgency, title, description, \
    place_code, regions_involved, chains, whitelisted, status, version, handling_department_id, \
    sla_policy, sign_due_at, resolve_due_at, filed_at, updated_at";
const EVENT_COLUMNS: &str =
    "action, actor_id, from_status, to_status, detail, internal, created_at";
const CLOCK_COLUMNS: &str = "policy, sign_round, sign_started_at, sign_warn_at, sign_fired, \
    resolve_round, resolve_started_at, resolve_warn_at, resolve_fired, next_check_at";
const METRICS_COLUMNS: &str = "first_sign_due_at, first_signed_at, sign_minutes, \
    first_resolve_due_at, first_resolved_at, resolve_minutes, rated_at, routings, returns, \
    repeated, last_at";
const OUTBOX_COLUMNS: &str = "notice, recipient_user_id, to_address, locale, params, \
    next_attempt_at, created_at";

#[derive(diesel::QueryableByName)]
struct Literal {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

/// Each row `sql` selects from `table`, as a tuple of SQL literals.
async fn literals(b: &Bench, table: &str, columns: &str, filter: &str) -> Vec<String> {
    let quote = if b.backend == "sqlite" {
        "quote"
    } else {
        "quote_nullable"
    };
    let parts: Vec<String> = columns
        .split(',')
        .map(|c| format!("{quote}({})", c.trim()))
        .collect();
    let sql = format!(
        "SELECT {} AS v FROM {table} WHERE {filter}",
        parts.join(" || ', ' || ")
    );
    b.db.run(move |conn| Ok(diesel::sql_query(sql).load::<Literal>(conn)?))
        .await
        .expect("literal rows")
        .into_iter()
        .map(|l| l.v)
        .collect()
}

async fn writes_of(b: &Bench, ticket: i64) -> Writes {
    let one = |mut v: Vec<String>| v.pop().expect("one row");
    let county =
        b.db.run(move |conn| {
            use diesel::prelude::*;
            use yizhan::storage::schema::tickets;
            Ok(tickets::table
                .find(ticket)
                .select(tickets::place_code)
                .first::<String>(conn)?)
        })
        .await
        .unwrap();
    Writes {
        ticket: one(literals(b, "tickets", TICKET_COLUMNS, &format!("id = {ticket}")).await),
        event: one(literals(
            b,
            "ticket_events",
            EVENT_COLUMNS,
            &format!("ticket_id = {ticket}"),
        )
        .await),
        clock: one(literals(
            b,
            "ticket_clocks",
            CLOCK_COLUMNS,
            &format!("ticket_id = {ticket}"),
        )
        .await),
        outbox: literals(
            b,
            "outbox_messages",
            OUTBOX_COLUMNS,
            &format!("ticket_id = {ticket}"),
        )
        .await,
        metrics: one(literals(
            b,
            "ticket_metrics",
            METRICS_COLUMNS,
            &format!("ticket_id = {ticket}"),
        )
        .await),
        county,
    }
}

/// The statements of one filing after its ticket row is written;
/// `id` is how the statement names the new ticket's id.
fn inserts(w: &Writes, id: &str) -> Vec<String> {
    // Written as already sent, so that the running service's delivery
    // worker leaves them alone.
    let outbox: Vec<String> = w
        .outbox
        .iter()
        .map(|r| format!("({id}, 'sent', {r})"))
        .collect();
    let mut s = vec![
        format!(
            "INSERT INTO ticket_events (ticket_id, seq, {EVENT_COLUMNS}) VALUES ({id}, 1, {})",
            w.event
        ),
        format!(
            "INSERT INTO ticket_clocks (ticket_id, {CLOCK_COLUMNS}) VALUES ({id}, {})",
            w.clock
        ),
        format!(
            "INSERT INTO ticket_metrics (ticket_id, {METRICS_COLUMNS}) VALUES ({id}, {})",
            w.metrics
        ),
    ];
    if !outbox.is_empty() {
        s.push(format!(
            "INSERT INTO outbox_messages (ticket_id, status, {OUTBOX_COLUMNS}) VALUES {}",
            outbox.join(", ")
        ));
    }
    s
}

/// The daily-number counters the database alone takes: the filing's own
/// county, or `counties` of them, one picked at random per filing (the
/// spread shape).
fn counters(w: &Writes, counties: usize) -> Vec<String> {
    if counties <= 1 {
        vec![w.county.clone()]
    } else {
        (1..=counties).map(|k| format!("S{k}")).collect()
    }
}

/// The database alone on SQLite: one diesel connection (with the service's
/// settings) writing filings back to back, each in its own transaction.
async fn raw_diesel_loop(b: &Bench, w: &Writes, seconds: u64, counties: usize) -> f64 {
    let ticket_insert = format!(
        "INSERT INTO tickets (number, {TICKET_COLUMNS}) VALUES (?, {}) RETURNING id",
        w.ticket
    );
    let names = counters(w, counties);
    // `?1` everywhere is the new ticket's id, bound once.
    let rest = inserts(w, "?1");
    b.db.run(move |conn| {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        use diesel::sql_types::{BigInt, Integer, Text};
        for county in &names {
            diesel::sql_query(
                "INSERT INTO ticket_counters (county_code, day, last) VALUES (?, 'BASE', 0)",
            )
            .bind::<Text, _>(county)
            .execute(conn)?;
        }
        let yizhan::storage::connection::AnyConnection::Sqlite(c) = conn else {
            unreachable!("SQLite only")
        };
        let started = Instant::now();
        let mut n = 0u64;
        while started.elapsed() < Duration::from_secs(seconds) {
            let county = &names[n as usize % names.len()];
            c.immediate_transaction(|c| {
                #[derive(diesel::QueryableByName)]
                struct Last {
                    #[diesel(sql_type = Integer)]
                    last: i32,
                }
                let last = diesel::sql_query(
                    "SELECT last FROM ticket_counters WHERE county_code = ? AND day = 'BASE'",
                )
                .bind::<Text, _>(county)
                .get_result::<Last>(c)?
                .last;
                diesel::sql_query(
                    "UPDATE ticket_counters SET last = ? WHERE county_code = ? AND day = 'BASE'",
                )
                .bind::<Integer, _>(last + 1)
                .bind::<Text, _>(county)
                .execute(c)?;
                let id = diesel::sql_query(&ticket_insert)
                    .bind::<Text, _>(format!("BASE-{county}-{}", last + 1))
                    .get_result::<Id>(c)?
                    .id;
                for s in &rest {
                    diesel::sql_query(s.as_str())
                        .bind::<BigInt, _>(id)
                        .execute(c)?;
                }
                diesel::QueryResult::Ok(())
            })?;
            n += 1;
        }
        Ok(n as f64 / started.elapsed().as_secs_f64())
    })
    .await
    .expect("the raw loop")
}

/// The database alone on PostgreSQL: `pgbench` with the same statements,
/// 32 clients, prepared statements.
async fn pgbench(
    b: &Bench,
    w: &Writes,
    seconds: u64,
    dir: &std::path::Path,
    counties: usize,
) -> f64 {
    let names = counters(w, counties);
    b.exec(
        names
            .iter()
            .map(|c| {
                format!("INSERT INTO ticket_counters (county_code, day, last) VALUES ('{c}', 'BASE', 0)")
            })
            .collect(),
    )
    .await;
    // One county, or one picked at random per filing (an expression: with
    // prepared statements pgbench binds `:c` as a parameter, which a quoted
    // literal cannot hold).
    let (pick, county) = if counties <= 1 {
        (None, format!("'{}'", w.county))
    } else {
        (
            Some(format!("\\set c random(1, {counties})")),
            "('S' || :c)".to_string(),
        )
    };
    // pgbench reads `:name` as a variable even inside quotes (a name starts
    // with a letter, `_` or any non-ASCII byte); a space after each such
    // colon in the copied values (JSON keys) keeps their meaning.
    let spaced = |v: &str| {
        let mut out = String::with_capacity(v.len());
        let mut chars = v.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == ':'
                && chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_' || !n.is_ascii())
            {
                out.push(' ');
            }
        }
        out
    };
    let w = &Writes {
        ticket: spaced(&w.ticket),
        event: spaced(&w.event),
        clock: spaced(&w.clock),
        outbox: w.outbox.iter().map(|o| spaced(o)).collect(),
        metrics: spaced(&w.metrics),
        county: w.county.clone(),
    };
    let mut script: Vec<String> = pick.into_iter().collect();
    script.extend([
        "BEGIN;".to_string(),
        format!("SELECT last FROM ticket_counters WHERE county_code = {county} AND day = 'BASE' FOR UPDATE \\gset"),
        format!("UPDATE ticket_counters SET last = :last + 1 WHERE county_code = {county} AND day = 'BASE';"),
        format!(
            "INSERT INTO tickets (number, {TICKET_COLUMNS}) VALUES ('BASE-' || {county} || '-' || (:last + 1), {}) RETURNING id \\gset",
            w.ticket
        ),
    ]);
    script.extend(inserts(w, ":id").into_iter().map(|s| format!("{s};")));
    script.push("END;".into());
    let file = dir.join(format!("filing-{counties}.sql"));
    std::fs::write(&file, script.join("\n") + "\n").unwrap();
    run_pgbench(b, &file, seconds)
}

/// `pgbench` running `script` with [`CLIENTS`] clients for `seconds`;
/// returns its transactions per second.
fn run_pgbench(b: &Bench, script: &std::path::Path, seconds: u64) -> f64 {
    let url = b.database_url();
    let out = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &CLIENTS.to_string(), "-T", &seconds.to_string()])
        .arg("-f")
        .arg(script)
        .arg(&url)
        .output()
        .expect("pgbench runs (apt-get install postgresql-client)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pgbench 13 and older print the rate with connection time first.
    text.lines()
        .filter(|l| !l.contains("including connections"))
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("pgbench reports tps")
}

fn filing(i: u64) -> Value {
    json!({
        "category": "logistics",
        "urgency": if i.is_multiple_of(10) { "urgent" } else { "normal" },
        "title": format!("货车无法进入园区（第{i}批）"),
        "description": "受防控措施影响，运送零部件的货车在高速出口被劝返，生产线原料只够两天，请协调办理通行证。",
    })
}

/// What `CLIENTS` tasks did in a phase.
struct Load {
    ok: u64,
    failed: u64,
    per_second: f64,
    /// Latencies by kind of request (request `i` is of kind `i % kinds`).
    latencies: Vec<Vec<Duration>>,
}

/// Requests made by `CLIENTS` tasks for `seconds`, each task sending the
/// next as soon as the last was answered.
async fn load<F>(seconds: u64, kinds: u64, request: F) -> Load
where
    F: Fn(u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS as u64)
        .map(|c| {
            let (request, failed, stop) = (request.clone(), failed.clone(), stop.clone());
            tokio::spawn(async move {
                let mut latencies = vec![Vec::new(); kinds as usize];
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    match request(i).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            latencies[(i % kinds) as usize].push(sent.elapsed());
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    i += CLIENTS as u64;
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = vec![Vec::new(); kinds as usize];
    for t in tasks {
        for (all, mine) in latencies.iter_mut().zip(t.await.unwrap()) {
            all.extend(mine);
        }
    }
    let ok = latencies.iter().map(|l| l.len() as u64).sum();
    Load {
        ok,
        failed: failed.load(Ordering::Relaxed),
        per_second: ok as f64 / started.elapsed().as_secs_f64(),
        latencies,
    }
}

/// "median / p99 ms" of some latencies.
fn spread(mut l: Vec<Duration>) -> String {
    if l.is_empty() {
        return "-".into();
    }
    l.sort();
    let at = |q: f64| support::ms(l[((l.len() as f64 * q) as usize).min(l.len() - 1)]);
    format!("{:.1} / {:.1} ms", at(0.5), at(0.99))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let open: i64 = std::env::var("BENCH_OPEN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let only = std::env::var("BENCH_BACKEND").ok();
    let spread_counties: usize = std::env::var("BENCH_SPREAD")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SPREAD);
    let mut rows = Vec::new();
    let mut pass = true;
    for backend in support::backends()
        .into_iter()
        .filter(|b| only.as_deref().is_none_or(|o| o == *b))
    {
        let b = support::setup(backend).await;
        b.grow_to(open).await;
        let dir = tempfile::tempdir().unwrap();
        let service = Service::start(&b, dir.path()).await;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap();
        let token = login(&client, &service.base, "e@bench.cn").await;

        // One filing through the service, whose rows the database alone copies.
        let first: Value = client
            .post(format!("{}/api/v1/tickets", service.base))
            .bearer_auth(&token)
            .json(&filing(0))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let writes = writes_of(&b, first["id"].as_i64().expect("filed")).await;
        let alone = match backend {
            "sqlite" => raw_diesel_loop(&b, &writes, seconds, 1).await,
            _ => pgbench(&b, &writes, seconds, dir.path(), 1).await,
        };
        eprintln!(
            "{backend}: the database alone writes {alone:.0} filings/s ({} notices each)",
            writes.outbox.len()
        );

        // The service, 32 clients filing.
        let (url, t) = (format!("{}/api/v1/tickets", service.base), token.clone());
        let c = client.clone();
        let watch = tokio::spawn(peak_memory(service.child.id()));
        let filings = load(seconds, 1, move |i| {
            c.post(&url).bearer_auth(&t).json(&filing(i))
        })
        .await;
        let (filed, failed, rate) = (filings.ok, filings.failed, filings.per_second);
        let took = spread(filings.latencies.into_iter().next().unwrap());
        let ratio = rate / alone;
        let ok = ratio >= 0.5 && failed == 0;
        pass &= ok;
        let row = format!(
            "| {backend} | {open} | filing, {CLIENTS} clients | {rate:.0}/s ({filed} filed, {failed} failed; {took}) | {alone:.0}/s | {ratio:.2} | >= 0.5: {} |",
            if ok { "PASS" } else { "FAIL" }
        );
        eprintln!("{row}");
        rows.push(row);

        // The realistic shape: the same 32 clients filing for enterprises in
        // SPREAD counties, each county with its own daily number and officer.
        if spread_counties > 0 {
            let emails = support::spread::enterprises_in_counties(&b, spread_counties).await;
            let mut tokens = Vec::with_capacity(emails.len());
            for e in &emails {
                tokens.push(login(&client, &service.base, e).await);
            }
            let first: Value = client
                .post(format!("{}/api/v1/tickets", service.base))
                .bearer_auth(&tokens[0])
                .json(&filing(0))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let spread_writes = writes_of(&b, first["id"].as_i64().expect("filed")).await;
            let spread_alone = match backend {
                "sqlite" => raw_diesel_loop(&b, &spread_writes, seconds, spread_counties).await,
                _ => pgbench(&b, &spread_writes, seconds, dir.path(), spread_counties).await,
            };
            let (url, tokens) = (format!("{}/api/v1/tickets", service.base), Arc::new(tokens));
            let c = client.clone();
            let spread_filings = load(seconds, 1, move |i| {
                c.post(&url)
                    .bearer_auth(&tokens[i as usize % tokens.len()])
                    .json(&filing(i))
            })
            .await;
            let spread_rate = spread_filings.per_second;
            let spread_took = spread(spread_filings.latencies.into_iter().next().unwrap());
            let row = format!(
            "| {backend} | {open} | filing, {CLIENTS} clients over {spread_counties} counties | {spread_rate:.0}/s ({} filed, {} failed; {spread_took}) | {spread_alone:.0}/s | {:.2} | measured (issue 27) |",
            spread_filings.ok,
            spread_filings.failed,
            spread_rate / spread_alone
        );
            eprintln!("{row}");
            rows.push(row);
            // PostgreSQL's own floor: the least a durable create writes.
            if backend == "postgres" {
                let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench");
                let setup = std::fs::read_to_string(root.join("minimal_create_setup.sql")).unwrap();
                b.exec(
                    setup
                        .split(';')
                        .map(|s| {
                            s.lines()
                                .filter(|l| !l.trim_start().starts_with("--"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .filter(|s| !s.trim().is_empty())
                        .collect(),
                )
                .await;
                let minimal = run_pgbench(&b, &root.join("minimal_create.sql"), seconds);
                let row = format!(
                "| {backend} | {open} | minimal durable create (bench/minimal_create.sql, {CLIENTS} clients) | one county {:.2}, {spread_counties} counties {:.2} of it | {minimal:.0}/s | | measured (issue 27) |",
                rate / minimal,
                spread_rate / minimal
            );
                eprintln!("{row}");
                rows.push(row);
            }
        }

        // Then 32 clients reading, as officers do.
        let officer = login(&client, &service.base, "o1@bench.cn").await;
        let base = service.base.clone();
        let ticket = b.ticket_id;
        let c = client.clone();
        let reads = load(seconds, 4, move |i| {
            let url = match i % 4 {
                0 => format!("{base}/api/v1/tickets?status=pending_sign&urgency=normal&limit=25"),
                1 => format!("{base}/api/v1/tickets/{ticket}"),
                2 => {
                    format!("{base}/api/v1/tickets?q=%E8%B4%A7%E8%BD%A6%E6%97%A0%E6%B3%95&limit=25")
                }
                _ => format!("{base}/api/v1/tickets?category=logistics&limit=25"),
            };
            c.get(url).bearer_auth(&officer)
        })
        .await;
        let (read, read_failed, read_rate) = (reads.ok, reads.failed, reads.per_second);
        for (name, l) in ["queue page", "detail", "search", "category page"]
            .iter()
            .zip(reads.latencies)
        {
            eprintln!("  {backend}: {name} under load: {}", spread(l));
        }
        let (rss, hwm) = service.memory();
        watch.abort();
        let ok = hwm < MEMORY_LIMIT_MB && read_failed == 0;
        pass &= ok;
        let row = format!(
            "| {backend} | {open} | memory after filing and reading ({read_rate:.0} reads/s, {read} read, {read_failed} failed) | peak {hwm:.1} MB, now {rss:.1} MB | | | < {MEMORY_LIMIT_MB} MB: {} |",
            if ok { "PASS" } else { "FAIL" }
        );
        eprintln!("{row}");
        rows.push(row);
        service.stop();
        b.finish();
    }
    println!("| backend | tickets | load | service | database alone | ratio | target |");
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!("{}", if pass { "PASS" } else { "FAIL" });
    if !pass {
        std::process::exit(1);
    }
}

/// Logs the service's resident memory every few seconds while under load.
async fn peak_memory(pid: u32) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(l) = s.lines().find(|l| l.starts_with("VmRSS:")) {
                eprintln!("  service {l}");
            }
        }
    }
}
