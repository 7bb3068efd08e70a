//! The test harness: the real application on a random port, against a fresh
//! database, spoken to over HTTP.
//!
//! Every test written with [`each_backend!`] runs on SQLite, and on
//! PostgreSQL when `YIZHAN_TEST_DATABASE_URL` names a server where the role
//! may create databases. With `YIZHAN_TEST_REQUIRE_POSTGRES=1` (as `.ci/run`
//! sets) a missing or unreachable PostgreSQL fails the test instead of
//! skipping it.

use std::collections::HashMap;
use std::path::PathBuf;

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::Value;
use yizhan::configuration::Settings;
use yizhan::domain::access::Caller;
use yizhan::domain::credit_code::CreditCode;
use yizhan::domain::enterprise::EnterpriseInput;
use yizhan::domain::role::Role;
use yizhan::services::auth::Authenticator;
use yizhan::services::clock::Clock;
use yizhan::services::delivery::Delivery;
use yizhan::services::sla::Sla;
use yizhan::services::users::{create_account, NewAccount};
use yizhan::startup::Application;
use yizhan::storage::Database;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: TestBackend,
    pub db: Database,
    pub auth: Authenticator,
    /// The app's clock: tests move it to drive deadlines.
    pub clock: Clock,
    pub sla: Sla,
    /// The app's mail worker; tests run its rounds themselves.
    pub delivery: Delivery,
    /// Where the file transport writes `.eml` files.
    pub mail_dir: PathBuf,
    pub settings: Settings,
    store: Store,
    _mail_dir: tempfile::TempDir,
}

/// The token in an e-mailed link (`...?token=...`).
pub fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..].split_whitespace().next().unwrap().to_string()
}

/// The password every test account gets.
pub const PASSWORD: &str = "Yizhan-test-2022!";

enum Store {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

/// Runs each test body once per backend, as `<name>::sqlite` and `<name>::postgres`.
/// Runs each test body once per backend, as `<name>::sqlite` and
/// `<name>::postgres`. `async fn name(app, &[("YIZHAN__X", "1")])` starts the
/// app with extra settings.
#[macro_export]
macro_rules! each_backend {
    (@extra) => { &[] };
    (@extra $extra:expr) => { $extra };
    ($(async fn $name:ident($app:ident $(, $extra:expr)?) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let extra: &[(&str, &str)] = $crate::each_backend!(@extra $($extra)?);
                    let $app = $crate::helpers::spawn_app_with($crate::helpers::TestBackend::Sqlite, extra).await;
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if !$crate::helpers::postgres_configured() {
                        return;
                    }
                    let extra: &[(&str, &str)] = $crate::each_backend!(@extra $($extra)?);
                    let $app = $crate::helpers::spawn_app_with($crate::helpers::TestBackend::Postgres, extra).await;
                    $body
                }
            }
        )*
    };
}

/// Whether the PostgreSQL half runs; fails when CI demands it and it cannot.
pub fn postgres_configured() -> bool {
    let url = std::env::var("YIZHAN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let required = std::env::var("YIZHAN_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    match url {
        Some(_) => true,
        None if required => {
            panic!("YIZHAN_TEST_REQUIRE_POSTGRES=1 but YIZHAN_TEST_DATABASE_URL is not set")
        }
        None => {
            eprintln!("skipped on PostgreSQL: set YIZHAN_TEST_DATABASE_URL to run it");
            false
        }
    }
}

fn admin_url() -> String {
    std::env::var("YIZHAN_TEST_DATABASE_URL").expect("YIZHAN_TEST_DATABASE_URL")
}

/// `postgres://u:p@h:5432/db?x` with the database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// A fresh, empty PostgreSQL database; its URL and name.
pub fn fresh_postgres_database() -> (String, String) {
    let admin = admin_url();
    let name = format!("yizhan_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn =
        pg_connect(&admin).unwrap_or_else(|e| panic!("cannot reach YIZHAN_TEST_DATABASE_URL: {e}"));
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .expect("create test database");
    (with_database(&admin, &name), name)
}

/// Runs statements against the test server's maintenance connection.
pub fn postgres_admin(statements: &[String]) {
    let mut conn = pg_connect(&admin_url()).expect("admin connection");
    for s in statements {
        diesel::sql_query(s).execute(&mut conn).expect(s);
    }
}

pub fn test_settings(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = [
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("DATABASE_URL", database_url),
        ("YIZHAN_BIND", "127.0.0.1:0"),
        ("YIZHAN__SERVER__WORKERS", "2"),
        ("YIZHAN__DATABASE__POOL_SIZE", "4"),
        ("YIZHAN__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
        ("YIZHAN__SERVER__SHUTDOWN_TIMEOUT_SECS", "1"),
        // Cheap hashes keep the suite fast; production costs come from config.
        ("YIZHAN__AUTH__ARGON2_MEMORY_KIB", "1024"),
        ("YIZHAN__AUTH__ARGON2_ITERATIONS", "1"),
        ("YIZHAN__AUTH__MAX_CONCURRENT_HASHES", "4"),
        // Tests run the SLA scanner and the mail worker themselves, at the
        // times they choose.
        ("YIZHAN__SLA__SCAN_INTERVAL_SECS", "0"),
        ("YIZHAN__MAIL__POLL_INTERVAL_SECS", "0"),
        ("YIZHAN__MAIL__DIGEST_TIME", ""),
        // Dashboards exact on every view, however slow a debug build is; the
        // cache's own test turns keeping on.
        ("YIZHAN__METRICS__DASHBOARD_KEEP_SLOWER_THAN_MS", "600000"),
        // Stories file many problems in a moment; the limits' own tests set them.
        ("YIZHAN__FILING__PER_ACCOUNT_PER_MINUTE", "0"),
        ("YIZHAN__FILING__PER_ENTERPRISE_PER_MINUTE", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    Settings::load_from(env).expect("test settings")
}

/// Starts the application with extra environment settings.
pub async fn spawn_app_with(backend: TestBackend, extra: &[(&str, &str)]) -> TestApp {
    init_test_logging();
    let (database_url, store) = match backend {
        TestBackend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("data").join("yizhan.db");
            (
                format!("sqlite://{}", path.display()),
                Store::Sqlite { path, _dir: dir },
            )
        }
        TestBackend::Postgres => {
            let (url, name) = tokio::task::spawn_blocking(fresh_postgres_database)
                .await
                .unwrap();
            (
                url,
                Store::Postgres {
                    admin_url: admin_url(),
                    name,
                },
            )
        }
    };
    let mail_dir = tempfile::tempdir().expect("temp dir");
    let mail_path = mail_dir.path().join("mail");
    let mut extra: Vec<(&str, &str)> = extra.to_vec();
    let mail_path_text = mail_path.display().to_string();
    if !extra.iter().any(|(k, _)| *k == "YIZHAN__MAIL__FILE_DIR") {
        extra.insert(0, ("YIZHAN__MAIL__FILE_DIR", &mail_path_text));
    }
    // Attachments (issue 25) go to the same temporary directory, and no
    // sweep runs unless a test asks for one.
    let attachments_text = mail_dir.path().join("attachments").display().to_string();
    if !extra.iter().any(|(k, _)| *k == "YIZHAN__ATTACHMENTS__ROOT") {
        extra.insert(0, ("YIZHAN__ATTACHMENTS__ROOT", &attachments_text));
    }
    if !extra
        .iter()
        .any(|(k, _)| *k == "YIZHAN__ATTACHMENTS__SWEEP_INTERVAL_SECS")
    {
        extra.insert(0, ("YIZHAN__ATTACHMENTS__SWEEP_INTERVAL_SECS", "0"));
    }
    let settings = test_settings(&database_url, &extra);
    let auth_settings = settings.auth.clone();
    let clock = Clock::system();
    let settings_copy = settings.clone();
    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("the application starts");
    let sla = app.sla().clone();
    let delivery = app.delivery().clone();
    let mut kept_settings = settings_copy;
    // Links in e-mails follow the bound port when no base URL is set.
    kept_settings.server.base_url = app.base_url().to_string();
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.database().clone();
    let auth = Authenticator::new(db.clone(), &auth_settings).expect("authenticator");
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        backend,
        db,
        auth,
        clock,
        sla,
        delivery,
        mail_dir: mail_path,
        settings: kept_settings,
        store,
        _mail_dir: mail_dir,
    }
}

fn init_test_logging() {
    if std::env::var("TEST_LOG").is_ok() {
        yizhan::telemetry::init_logging(&yizhan::configuration::LogSettings {
            format: yizhan::configuration::LogFormat::Pretty,
            level: "debug".into(),
        });
    }
}

/// A valid credit code with the given 17-character body (check character computed).
pub fn credit_code(body17: &str) -> String {
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("{body17}{c}"))
        .find(|code| CreditCode::parse(code).is_ok())
        .expect("some check character fits")
}

impl TestApp {
    /// Registers an enterprise in the county; returns its id.
    pub async fn enterprise(&self, name: &str, county: &str) -> i64 {
        self.enterprise_in_chains(name, county, "").await
    }

    /// An enterprise of the county, in these chains (`;`-separated codes).
    pub async fn enterprise_in_chains(&self, name: &str, county: &str, chains: &str) -> i64 {
        let body = format!(
            "91{county}{:09}",
            name.chars().map(|c| c as u32).sum::<u32>() % 1_000_000_000
        );
        let admin = Caller {
            user_id: 0,
            role: Role::Admin,
            department: None,
            enterprise_id: None,
        };
        let input = EnterpriseInput {
            credit_code: credit_code(&body),
            name: name.into(),
            county_code: county.into(),
            chains: chains.into(),
            ..Default::default()
        };
        yizhan::services::enterprises::create(&self.db, &admin, input, false, self.clock.now())
            .await
            .expect("enterprise created")
            .enterprise
            .id
    }

    /// Creates an account with [`PASSWORD`]; returns its id.
    pub async fn user(
        &self,
        role: &str,
        email: &str,
        department: Option<i64>,
        enterprise: Option<i64>,
    ) -> i64 {
        let id = create_account(
            &self.db,
            &self.auth,
            NewAccount {
                email: email.into(),
                display_name: email.split('@').next().unwrap().into(),
                phone: None,
                role: role.into(),
                department_id: department,
                enterprise_id: enterprise,
                password: PASSWORD.into(),
                locale: None,
            },
            None,
            self.clock.now(),
        )
        .await
        .expect("user created")
        .id;
        // The cast's accounts exist from before any story begins: tests move
        // the clock back to 2022 or early 2026, and an account younger than
        // a ticket may not rate it (issue 20).
        self.db
            .run(move |conn| {
                use diesel::prelude::*;
                use yizhan::storage::schema::users;
                let long_ago = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap();
                diesel::update(users::table.find(id))
                    .set(users::created_at.eq(long_ago))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
        id
    }

    /// The ministry's platform department of a chain.
    pub async fn chain_platform(&self, chain: &'static str) -> i64 {
        self.db
            .run(move |conn| {
                use diesel::prelude::*;
                use yizhan::storage::schema::departments;
                Ok(departments::table
                    .filter(departments::chain_code.eq(chain))
                    .select(departments::id)
                    .first::<i64>(conn)?)
            })
            .await
            .expect("the chain's platform")
    }

    /// The department serving a region code.
    pub async fn department_of(&self, region: &str) -> i64 {
        self.get_json(&format!("/api/v1/regions/{region}")).await["department_id"]
            .as_i64()
            .unwrap()
    }

    /// Sends what the outbox holds and returns (recipient, subject, plain
    /// text) of every message written, removing the files.
    pub async fn mailbox(&self) -> Vec<(String, String, String)> {
        self.delivery
            .deliver_once(&self.db, self.clock.now())
            .await
            .unwrap();
        let mut out = Vec::new();
        for f in std::fs::read_dir(&self.mail_dir).unwrap() {
            let path = f.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            let to = m
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap()
                .to_string();
            out.push((
                to,
                m.subject().unwrap().to_string(),
                m.body_text(0).unwrap().to_string(),
            ));
            std::fs::remove_file(path).unwrap();
        }
        out
    }

    pub async fn login_response(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Logs in with [`PASSWORD`]; returns the token response.
    pub async fn login(&self, email: &str) -> Value {
        let res = self.login_response(email, PASSWORD).await;
        assert_eq!(res.status(), 200, "log-in of {email}");
        res.json().await.unwrap()
    }

    /// Logs in and returns the access token.
    pub async fn token(&self, email: &str) -> String {
        self.login(email).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_as(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Sends a file body (CSV or XLSX) as an administrator would upload it.
    pub async fn upload_as(&self, path: &str, token: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("JSON body")
    }

    /// Waits (up to ten seconds) until the thumbnail job has made every
    /// thumbnail that uploads left due: it runs after the upload's answer.
    pub async fn thumbnails_made(&self) {
        for _ in 0..200 {
            let due = self
                .db
                .run(|c| Ok(yizhan::storage::attachments::thumbnails_due(c)?))
                .await
                .unwrap();
            if due == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("thumbnails are still due after ten seconds");
    }

    /// Makes the database unreachable for the running service.
    pub async fn take_database_away(&self) {
        match &self.store {
            Store::Sqlite { path, .. } => {
                std::fs::rename(path, path.with_extension("away")).expect("move database away")
            }
            Store::Postgres { name, .. } => {
                let stmts = vec![
                    format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"),
                    format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                    ),
                ];
                tokio::task::spawn_blocking(move || postgres_admin(&stmts))
                    .await
                    .unwrap()
            }
        }
    }

    /// Closes every connection the server holds for this app's database,
    /// as a PostgreSQL restart or failover does; new ones are let in.
    pub async fn close_server_connections(&self) {
        let Store::Postgres { name, .. } = &self.store else {
            panic!("only a PostgreSQL server closes connections");
        };
        let stmts = vec![format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )];
        tokio::task::spawn_blocking(move || postgres_admin(&stmts))
            .await
            .unwrap()
    }

    /// Undoes [`TestApp::take_database_away`].
    pub async fn bring_database_back(&self) {
        match &self.store {
            Store::Sqlite { path, .. } => {
                std::fs::rename(path.with_extension("away"), path).expect("move database back")
            }
            Store::Postgres { name, .. } => {
                let stmts = vec![format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")];
                tokio::task::spawn_blocking(move || postgres_admin(&stmts))
                    .await
                    .unwrap()
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Store::Postgres { admin_url, name } = &self.store {
            // Best effort: the server still holds connections, hence FORCE.
            if let Ok(mut conn) = pg_connect(admin_url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

/// Asserts a response is a problem document with this status; returns it.
pub async fn assert_problem(res: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = res.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:yizhan:problem:")),
        "{body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    body
}

/// A PostgreSQL connection for the harness itself, opened as the service
/// opens its own (see `disable_tls_exit_cleanup`).
pub fn pg_connect(url: &str) -> diesel::ConnectionResult<PgConnection> {
    yizhan::storage::connection::disable_tls_exit_cleanup();
    PgConnection::establish(url)
}

/// A moment of March 2026 in Beijing time, the month the metrics stories
/// run in.
pub fn bj(d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    bj_s(d, h, mi, 0)
}

/// As [`bj`], to the second.
pub fn bj_s(d: u32, h: u32, mi: u32, s: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let local = chrono::NaiveDate::from_ymd_opt(2026, 3, d)
        .unwrap()
        .and_hms_opt(h, mi, s)
        .unwrap();
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&local)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Takes an action through the API, which must answer 200; returns the
/// ticket as answered.
pub async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> Value {
    let res = app
        .post_as(
            &format!("/api/v1/tickets/{id}/actions/{action}"),
            token,
            &body,
        )
        .await;
    assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// A ticket's log entry as stored, for tests that recount from the log.
#[derive(diesel::QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub ticket_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub action: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub created_at: chrono::NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub detail: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub to_status: String,
}
