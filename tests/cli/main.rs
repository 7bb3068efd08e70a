//! The `yizhan` binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn yizhan() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yizhan"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("YIZHAN_CONFIG_DIR", "/nonexistent")
        .env("RUST_LOG", "info");
    cmd
}

#[test]
fn help_lists_the_commands() {
    let out = yizhan().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for command in ["serve", "migrate", "check-config"] {
        assert!(text.contains(command), "{text}");
    }
    for command in ["serve", "migrate", "check-config"] {
        let out = yizhan().args([command, "--help"]).output().unwrap();
        assert!(out.status.success(), "{command} --help");
    }
}

#[test]
fn check_config_prints_the_effective_configuration_with_secrets_masked() {
    let out = yizhan()
        .arg("check-config")
        .env(
            "DATABASE_URL",
            "postgres://yizhan:s3cret-pw@db.internal:5432/yizhan",
        )
        .env(
            "YIZHAN_JWT_SECRET",
            "a-very-long-secret-that-must-not-be-printed",
        )
        .env("YIZHAN__DATABASE__POOL_SIZE", "12")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("pool_size = 12"), "{text}");
    assert!(
        text.contains("postgres://yizhan:********@db.internal:5432/yizhan"),
        "{text}"
    );
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(!text.contains("a-very-long-secret"), "{text}");
}

#[test]
fn migrate_prepares_a_fresh_sqlite_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/y.db", dir.path().display());
    let first = yizhan()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(text.contains("loaded 3351 regions"), "{text}");
    let again = yizhan()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(
        String::from_utf8(again.stdout).unwrap().trim(),
        "applied 0 migration(s)"
    );
}

#[test]
fn serve_refuses_a_schema_that_is_behind_when_not_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let out = yizhan()
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/y.db", dir.path().display()),
        )
        .env("YIZHAN__DATABASE__MIGRATE_ON_START", "false")
        .env("YIZHAN_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("run `yizhan migrate` first"), "{err}");
}

#[test]
fn production_refuses_the_development_secret_in_one_line() {
    let out = yizhan()
        .env("YIZHAN_PROFILE", "production")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("YIZHAN_JWT_SECRET"), "{err}");
}

#[test]
fn development_refuses_a_public_address_in_one_line() {
    let out = yizhan().env("YIZHAN_BIND", "0.0.0.0:0").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("0.0.0.0:0") && err.contains("server.allow_public_development"),
        "{err}"
    );
}

#[test]
fn production_refuses_an_unreachable_database_in_one_line() {
    let out = yizhan()
        .env("YIZHAN_PROFILE", "production")
        .env("YIZHAN_JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .env("DATABASE_URL", "postgres://nobody:pw@127.0.0.1:1/none")
        .env("YIZHAN_BIND", "127.0.0.1:0")
        .env("YIZHAN__DATABASE__CONNECT_TIMEOUT_SECS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(
            "yizhan: database postgres://nobody:********@127.0.0.1:1/none is unreachable"
        ),
        "{err}"
    );
    assert!(!err.contains(":pw@"), "{err}");
}

/// Reads JSON log lines from the child until one matches.
fn wait_for_line(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        let value: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        if pred(&value) {
            return value;
        }
    }
    panic!("no matching log line");
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn production_logs_one_json_line_per_request_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = yizhan()
        .arg("serve")
        .env("YIZHAN_PROFILE", "production")
        .env("YIZHAN_JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/y.db", dir.path().display()),
        )
        .env("YIZHAN_BIND", "127.0.0.1:0")
        .env("YIZHAN__SERVER__WORKERS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = wait_for_line(&mut lines, |v| v["message"] == "yizhan is listening");
    let port = listening["port"].as_u64().unwrap();

    let body = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let res = reqwest::Client::new()
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .header("X-Request-Id", "cli-test-1")
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        })
    })
    .join()
    .unwrap();
    assert_eq!(body.0, 200, "{}", body.1);

    let line = wait_for_line(&mut lines, |v| v["message"] == "request served");
    assert_eq!(line["status"], 200);
    assert_eq!(line["method"], "GET");
    assert_eq!(line["path"], "/readyz");
    assert_eq!(line["span"]["request_id"], "cli-test-1");
    assert!(line["latency_ms"].as_f64().is_some());

    terminate(&child);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn create_admin(url: &str, email: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = yizhan()
        .args([
            "user",
            "create",
            "--role",
            "admin",
            "--email",
            email,
            "--name",
            "管理员",
            "--password-stdin",
        ])
        .env("DATABASE_URL", url)
        .env("YIZHAN__AUTH__ARGON2_MEMORY_KIB", "1024")
        .env("YIZHAN__AUTH__ARGON2_ITERATIONS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_create_makes_the_first_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/y.db", dir.path().display());
    let out = create_admin(&url, "Admin@Example.cn", "管理员的密码-足够长");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "created user 1 <admin@example.cn> (admin)"
    );

    let again = create_admin(&url, "admin@example.cn", "另一个足够长的新密码-2");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8(again.stderr).unwrap().contains("taken"));

    let weak = create_admin(&url, "second@example.cn", "1234567890");
    assert_eq!(weak.status.code(), Some(2));
    let err = String::from_utf8(weak.stderr).unwrap();
    assert!(err.contains("password: This is a common password"), "{err}");
}

fn valid_code(body17: &str) -> String {
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("{body17}{c}"))
        .find(|code| yizhan::domain::credit_code::CreditCode::parse(code).is_ok())
        .unwrap()
}

#[test]
fn import_enterprises_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/y.db", dir.path().display());
    let file = dir.path().join("企业名单.csv");
    let mut text = String::from("credit_code,name,county_code,chains\n");
    for i in 1..=3 {
        text.push_str(&format!(
            "{},企业{i},310115,汽车\n",
            valid_code(&format!("91310115{i:09}"))
        ));
    }
    std::fs::write(&file, &text).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["import", "enterprises", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = yizhan()
            .args(&args)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, _) = run(&["--dry-run"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out.trim(),
        "would import 3 rows: 3 new, 0 changed, 0 unchanged; 0 errors"
    );
    let (_, out, _) = run(&[]);
    assert_eq!(
        out.trim(),
        "imported 3 rows: 3 new, 0 changed, 0 unchanged; 0 errors"
    );
    let (_, out, _) = run(&[]);
    assert_eq!(
        out.trim(),
        "imported 3 rows: 0 new, 0 changed, 3 unchanged; 0 errors"
    );

    std::fs::write(&file, format!("{text}91310115000000009X,坏的,310115,\n")).unwrap();
    let (code, out, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("row 5, credit_code"), "{err}");
    assert!(out.contains("nothing was imported"), "{out}");

    let missing = yizhan()
        .args(["import", "whitelist", "/nonexistent/file.csv"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn calendar_import_loads_a_new_year_or_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/y.db", dir.path().display());
    let file = dir.path().join("2027.csv");
    let run = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let out = yizhan()
            .args(["calendar", "import", file.to_str().unwrap()])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, err) = run(
        "date,kind,festival\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节\n2027-02-08,holiday,春节\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out.trim(),
        "2027: 2 holidays, 1 make-up workdays\n0 open tickets' deadlines moved with the new calendar"
    );

    let (code, _, err) = run("date,kind,festival\n2027-01-01,holiday,元旦\n2027-01-05,workday,x\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("line 3: 2027-01-05 is not a weekend day"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
}

#[test]
fn demo_fills_an_empty_database_once_and_prints_its_accounts_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/demo.db", dir.path().display());
    let demo = || {
        let mut cmd = yizhan();
        cmd.args(["demo", "--tickets", "20", "--until", "2026-03-31"])
            .env("DATABASE_URL", &url);
        cmd
    };
    let out = demo().output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("20 problems"), "{stdout}");
    assert!(stdout.contains("miit@demo.yizhan.example"), "{stdout}");
    assert!(stdout.contains("saic@demo.yizhan.example"), "{stdout}");
    assert_eq!(stdout.matches("yizhan-demo-2022").count(), 1, "{stdout}");

    let again = demo().output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8(again.stderr).unwrap();
    assert!(stderr.contains("empty database"), "{stderr}");
    assert!(again.stdout.is_empty(), "no password printed a second time");

    let production = demo()
        .env("YIZHAN_PROFILE", "production")
        .env(
            "YIZHAN_JWT_SECRET",
            "a-production-secret-of-at-least-32-characters",
        )
        .output()
        .unwrap();
    assert_eq!(production.status.code(), Some(2));
    assert!(String::from_utf8(production.stderr)
        .unwrap()
        .contains("production"));
}

/// `yizhan user create` for a member of staff, the department given as typed.
fn create_staff(url: &str, email: &str, department: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = yizhan()
        .args([
            "user",
            "create",
            "--role",
            "officer",
            "--email",
            email,
            "--name",
            "经办人",
            "--department",
            department,
            "--password-stdin",
        ])
        .env("DATABASE_URL", url)
        .env("YIZHAN__AUTH__ARGON2_MEMORY_KIB", "1024")
        .env("YIZHAN__AUTH__ARGON2_ITERATIONS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "经办人的密码-足够长").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_create_takes_a_department_by_region_code_name_or_id() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/y.db", dir.path().display());
    let by_code = create_staff(&url, "a@pudong.example.cn", "310115");
    let text = String::from_utf8(by_code.stdout).unwrap();
    assert!(
        by_code.status.success(),
        "{}",
        String::from_utf8_lossy(&by_code.stderr)
    );
    assert!(text.contains("上海市浦东新区工业和信息化局"), "{text}");
    let id = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("department "))
        .and_then(|l| l.split(':').next())
        .unwrap()
        .to_string();

    let by_name = create_staff(&url, "b@xuhui.example.cn", "上海市徐汇区工业和信息化局");
    assert!(by_name.status.success());
    assert!(String::from_utf8(by_name.stdout)
        .unwrap()
        .contains("上海市徐汇区工业和信息化局"));

    let by_id = create_staff(&url, "c@pudong.example.cn", &id);
    assert!(by_id.status.success());
    assert!(String::from_utf8(by_id.stdout)
        .unwrap()
        .contains("上海市浦东新区工业和信息化局"));

    // Nothing is guessed: an unknown code or name is refused, nothing made.
    for unknown in ["999999", "浦东新区", "0"] {
        let out = create_staff(&url, "d@nowhere.example.cn", unknown);
        assert_eq!(out.status.code(), Some(2), "{unknown}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("department: no department with the id, region code or name"),
            "{err}"
        );
    }
}

#[test]
fn serve_demo_prints_the_address_to_open_and_the_demo_log_ins() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/demo.db", dir.path().display());
    // A small demo data set first, so that `serve --demo` finds it there.
    let made = yizhan()
        .args(["demo", "--tickets", "20", "--until", "2026-03-31"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(made.status.success());
    let mut child = yizhan()
        .args(["serve", "--demo"])
        .env("DATABASE_URL", &url)
        .env("YIZHAN_BIND", "127.0.0.1:0")
        .env("YIZHAN__SERVER__WORKERS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        let done = line.contains("suzhou.firm@demo.yizhan.example");
        seen.push(line);
        if done {
            break;
        }
    }
    terminate(&child);
    let _ = child.wait();
    let text = seen.join("\n");
    let open = seen
        .iter()
        .find_map(|l| l.strip_prefix("打开 / open: http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address: {text}"));
    let port: u16 = open.trim_end_matches('/').parse().unwrap();
    assert_ne!(port, 0, "the bound port, not the configured 0");
    assert!(text.contains("yizhan-demo-2022"), "{text}");
    for login in [
        "admin@demo.yizhan.example",
        "miit@demo.yizhan.example",
        "shanghai.lead@demo.yizhan.example",
        "pudong.officer@demo.yizhan.example",
        "suzhou.firm@demo.yizhan.example",
    ] {
        assert!(text.contains(login), "{login}: {text}");
    }
}

#[test]
fn import_monitoring_list_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/y.db", dir.path().display());
    let enterprises = dir.path().join("企业.csv");
    let mut text = String::from("credit_code,name,county_code\n");
    let codes: Vec<String> = (1..=3)
        .map(|i| valid_code(&format!("91220104{i:09}")))
        .collect();
    for (i, code) in codes.iter().enumerate() {
        text.push_str(&format!("{code},吉林企业{i},220104\n"));
    }
    std::fs::write(&enterprises, &text).unwrap();
    let out = yizhan()
        .args(["import", "enterprises", enterprises.to_str().unwrap()])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list = dir.path().join("监测名单.csv");
    let mut rows = String::from("统一社会信用代码,行业代码\n");
    for code in &codes {
        rows.push_str(&format!("{code},C3670\n"));
    }
    std::fs::write(&list, &rows).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "monitoring-list",
            list.to_str().unwrap(),
            "--list",
            "吉林省骨干企业",
        ];
        args.extend_from_slice(extra);
        let out = yizhan()
            .args(&args)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // No such list, and no department to create it in.
    let (code, _, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no monitoring list named"), "{err}");
    let (code, out, _) = run(&["--department", "220000", "--dry-run"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out.trim(),
        "would import 3 rows into “吉林省骨干企业”: 3 added, 0 with a new industry, 0 unchanged; 0 errors"
    );
    let (_, out, _) = run(&["--department", "220000"]);
    assert!(out.starts_with("imported 3 rows"), "{out}");
    let (_, out, _) = run(&[]);
    assert_eq!(
        out.trim(),
        "imported 3 rows into “吉林省骨干企业”: 0 added, 0 with a new industry, 3 unchanged; 0 errors"
    );
    std::fs::write(&list, format!("{rows}{},C9999\n", codes[0])).unwrap();
    let (code, out, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("row 5, credit_code"), "{err}");
    assert!(out.contains("nothing was imported"), "{out}");
}
