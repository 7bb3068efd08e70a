//! Shared by the Rust benchmarks: a fresh database (SQLite in a temporary
//! folder, or a new database on the PostgreSQL server named by
//! `BENCH_DATABASE_URL`), one enterprise with a filed ticket, and many
//! copies of that ticket written straight in SQL.

#![allow(dead_code)]

pub mod service;
pub mod spread;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use yizhan::configuration::Settings;
use yizhan::domain::access::Caller;
use yizhan::domain::enterprise::EnterpriseInput;
use yizhan::domain::role::Role;
use yizhan::services::auth::Authenticator;
use yizhan::services::clock::Clock;
use yizhan::services::sla::Sla;
use yizhan::services::tickets::{file, Filing};
use yizhan::services::users::{create_account, NewAccount};
use yizhan::storage::Database;

pub struct Bench {
    pub backend: &'static str,
    /// The PostgreSQL database made for this run, dropped by [`Bench::finish`].
    pg_name: Option<String>,
    pub db: Database,
    pub sla: Sla,
    pub settings: Settings,
    pub enterprise: Caller,
    /// The filed ticket the copies are made from.
    pub ticket_id: i64,
    _dir: Option<tempfile::TempDir>,
}

/// The backends to run on: SQLite always, PostgreSQL when `BENCH_DATABASE_URL` is set.
pub fn backends() -> Vec<&'static str> {
    let mut b = vec!["sqlite"];
    if std::env::var("BENCH_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        b.push("postgres");
    }
    b
}

fn settings(url: &str) -> Settings {
    let env: HashMap<String, String> = [
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("DATABASE_URL", url),
        ("YIZHAN__DATABASE__POOL_SIZE", "8"),
        ("YIZHAN__AUTH__ARGON2_MEMORY_KIB", "1024"),
        ("YIZHAN__AUTH__ARGON2_ITERATIONS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Settings::load_from(env).expect("bench settings")
}

/// A fresh database with one enterprise, one officer and one filed ticket.
pub async fn setup(backend: &'static str) -> Bench {
    let (url, dir, pg_name) = if backend == "sqlite" {
        let dir = tempfile::tempdir().expect("temp dir");
        (
            format!("sqlite://{}/bench.db", dir.path().display()),
            Some(dir),
            None,
        )
    } else {
        let admin = std::env::var("BENCH_DATABASE_URL").unwrap();
        let name = format!("yizhan_bench_{}", std::process::id());
        let mut conn = {
            yizhan::storage::connection::disable_tls_exit_cleanup();
            PgConnection::establish(&admin)
        }
        .expect("BENCH_DATABASE_URL answers");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        (format!("{base}/{name}"), None, Some(name))
    };
    let settings = settings(&url);
    let s = settings.clone();
    tokio::task::spawn_blocking(move || yizhan::startup::migrate(&s))
        .await
        .unwrap()
        .expect("migrated");
    let db = Database::connect(&settings.database).expect("pool");
    let auth = Authenticator::new(db.clone(), &settings.auth).unwrap();
    let admin = Caller {
        user_id: 0,
        role: Role::Admin,
        department: None,
        enterprise_id: None,
    };
    let sla = Sla::new(Clock::system(), &settings.sla);
    let enterprise = yizhan::services::enterprises::create(
        &db,
        &admin,
        EnterpriseInput {
            credit_code: valid_code("91310115MA1H7GTN0"),
            name: "上海某汽车零部件有限公司".into(),
            county_code: "310115".into(),
            ..Default::default()
        },
        false,
        sla.now(),
    )
    .await
    .expect("enterprise")
    .enterprise
    .id;
    let user = create_account(
        &db,
        &auth,
        NewAccount {
            email: "e@bench.cn".into(),
            display_name: "bench".into(),
            phone: None,
            role: "enterprise".into(),
            department_id: None,
            enterprise_id: Some(enterprise),
            password: "Bench-password-2022!".into(),
            locale: None,
        },
        None,
        sla.now(),
    )
    .await
    .expect("user");
    let caller = Caller {
        user_id: user.id,
        role: Role::Enterprise,
        department: None,
        enterprise_id: Some(enterprise),
    };
    let (ticket, _) = file(
        &db,
        &sla,
        &yizhan::services::filing_limits::FilingLimits::unlimited(),
        &caller,
        Filing {
            category: "parts_supply".into(),
            urgency: "normal".into(),
            title: "芯片断供".into(),
            description: "上游封控，控制器芯片库存只够三天。".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("filed");
    // Two officers and a lead, so that every SLA event queues its notices.
    for (role, email) in [
        ("officer", "o1@bench.cn"),
        ("officer", "o2@bench.cn"),
        ("lead", "lead@bench.cn"),
    ] {
        create_account(
            &db,
            &auth,
            NewAccount {
                email: email.into(),
                display_name: email.into(),
                phone: None,
                role: role.into(),
                department_id: Some(ticket.handling_department_id),
                enterprise_id: None,
                password: "Bench-password-2022!".into(),
                locale: None,
            },
            None,
            sla.now(),
        )
        .await
        .expect("staff");
    }
    Bench {
        backend,
        pg_name,
        db,
        sla,
        settings,
        enterprise: caller,
        ticket_id: ticket.id,
        _dir: dir,
    }
}

/// A database a run before kept (`BENCH_KEEP`), to measure again without
/// generating it again; `finish` leaves it in place.
pub async fn attach(backend: &'static str, url: &str) -> Bench {
    let settings = settings(url);
    let s = settings.clone();
    tokio::task::spawn_blocking(move || yizhan::startup::migrate(&s))
        .await
        .unwrap()
        .expect("migrated");
    let db = Database::connect(&settings.database).expect("pool");
    let ticket_id: i64 = db
        .run(|conn| {
            use diesel::prelude::*;
            use yizhan::storage::schema::tickets;
            Ok(tickets::table
                .select(diesel::dsl::min(tickets::id))
                .first::<Option<i64>>(conn)?)
        })
        .await
        .expect("a ticket")
        .expect("a ticket");
    Bench {
        backend,
        pg_name: None,
        db,
        sla: Sla::new(Clock::system(), &settings.sla),
        settings,
        enterprise: Caller {
            user_id: 0,
            role: Role::Enterprise,
            department: None,
            enterprise_id: None,
        },
        ticket_id,
        _dir: None,
    }
}

/// The body with whichever check character makes it a valid credit code.
fn valid_code(body17: &str) -> String {
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("{body17}{c}"))
        .find(|c| yizhan::domain::credit_code::CreditCode::parse(c).is_ok())
        .expect("a check character fits")
}

const TICKET_COLUMNS: &str = "enterprise_id, filer_id, category, urgency, title, description, \
    place_code, regions_involved, chains, whitelisted, status, version, handling_department_id, \
    sent_from_department_id, assignee_id, sla_policy, sign_due_at, resolve_due_at, \
    extension_pending, overdue, escalation_level, urged_count, reopened_count, sent_on_count, \
    rating, solved, filed_at, signed_at, resolved_at, updated_at";
const CLOCK_COLUMNS: &str = "policy, sign_round, sign_started_at, sign_warn_at, sign_fired, \
    resolve_round, resolve_started_at, resolve_warn_at, resolve_fired, paused_at, \
    extension_days, supervising_department_id, bounce_department_id, next_check_at";

impl Bench {
    /// The database's URL, as the service is given it.
    pub fn database_url(&self) -> String {
        use secrecy::ExposeSecret;
        self.settings.database.url.expose_secret().to_string()
    }

    /// Closes the pool and drops the PostgreSQL database (SQLite's folder
    /// goes with the value).
    pub fn finish(self) {
        let Bench { db, pg_name, .. } = self;
        drop(db);
        if let Some(name) = pg_name {
            let admin = std::env::var("BENCH_DATABASE_URL").unwrap();
            let mut conn = {
                yizhan::storage::connection::disable_tls_exit_cleanup();
                PgConnection::establish(&admin)
            }
            .expect("BENCH_DATABASE_URL answers");
            // An autovacuum worker (not ours to terminate) may still be in
            // the database for a moment after the load stops.
            for attempt in 1.. {
                match diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                {
                    Ok(_) => break,
                    Err(e) if attempt >= 30 => panic!("drop the benchmark database: {e}"),
                    Err(_) => std::thread::sleep(Duration::from_secs(1)),
                }
            }
        }
    }

    /// Gives the original ticket a timeline of 50 events (49 comments
    /// after its filing).
    pub async fn long_timeline(&self) {
        let id = self.ticket_id;
        self.exec(vec![format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 49) \
             INSERT INTO ticket_events (ticket_id, seq, action, actor_id, actor_department_id, from_status, to_status, note, detail, internal, created_at) \
             SELECT e.ticket_id, 100 + n.i, 'comment', e.actor_id, e.actor_department_id, e.to_status, e.to_status, '已联系物流企业，正在协调通行证。', NULL, FALSE, e.created_at \
             FROM ticket_events e, n WHERE e.ticket_id = {id} AND e.seq = (SELECT MIN(seq) FROM ticket_events WHERE ticket_id = {id})"
        )])
        .await;
    }

    /// The application in this process on a free port, background jobs
    /// off (what they do is not what is measured); returns its base URL.
    pub async fn serve(&self) -> String {
        let mut settings = self.settings.clone();
        settings.server.bind = "127.0.0.1:0".into();
        settings.sla.scan_interval_secs = 0;
        settings.mail.poll_interval_secs = 0;
        settings.mail.digest_time = String::new();
        settings.metrics.fold_interval_secs = 0;
        let app = yizhan::startup::Application::build(settings)
            .await
            .expect("the app starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        base
    }

    /// Runs statements in order, each in its own implicit transaction.
    pub async fn exec(&self, statements: Vec<String>) {
        self.db
            .run(move |conn| {
                for s in &statements {
                    diesel::sql_query(s.as_str()).execute(conn)?;
                }
                Ok(())
            })
            .await
            .expect("statements");
    }

    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = sql.to_string();
        self.db
            .run(move |conn| Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n))
            .await
            .unwrap()
    }

    /// Adds copies of the filed ticket (with its clocks) until there are
    /// `total` tickets, 50,000 per statement. Copy `i` is numbered `COPY-i`.
    pub async fn grow_to(&self, total: i64) {
        let have = self.count("SELECT COUNT(*) AS n FROM tickets").await;
        let id = self.ticket_id;
        let mut from = have + 1;
        while from <= total {
            let to = (from + 49_999).min(total);
            self.exec(vec![
                format!(
                    "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
                     INSERT INTO tickets (number, {TICKET_COLUMNS}) \
                     SELECT 'COPY-' || CAST(n.i AS TEXT), {TICKET_COLUMNS} FROM tickets, n WHERE tickets.id = {id}"
                ),
                format!(
                    "INSERT INTO ticket_clocks (ticket_id, {CLOCK_COLUMNS}) \
                     SELECT t.id, {CLOCK_COLUMNS} FROM tickets t, ticket_clocks c \
                     WHERE c.ticket_id = {id} AND t.id > (SELECT MAX(ticket_id) FROM ticket_clocks)"
                ),
            ])
            .await;
            from = to + 1;
        }
        if self.backend == "postgres" {
            self.exec(vec!["ANALYZE".into()]).await;
        }
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and 99th percentile of the samples, in milliseconds.
pub fn median_p99(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).min(samples.len()) - 1];
    (ms(at(0.5)), ms(at(0.99)))
}

/// Median and maximum of the samples, in milliseconds.
pub fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    (ms(samples[samples.len() / 2]), ms(*samples.last().unwrap()))
}

/// A browser with a session: logs in through the log-in form.
pub async fn browser(base: &str, email: &str) -> reqwest::Client {
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

pub async fn timed(client: &reqwest::Client, url: &str) -> (Duration, usize) {
    let started = Instant::now();
    let res = client.get(url).send().await.expect("an answer");
    assert_eq!(res.status(), 200, "{url}");
    let body = res.bytes().await.expect("a body");
    (started.elapsed(), body.len())
}
