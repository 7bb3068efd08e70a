//! Attachments in a real S3-compatible store (issue 25): the `s3s-fs`
//! server (`cargo install s3s-fs --version 0.14.1 --features binary`, as
//! `.ci/run` does) started on a free port over a temporary directory. The
//! files of a filing round-trip byte for byte, thumbnails too, the same
//! content is one object, and the sweep deletes orphans from the bucket.
//! Without the binary the test says so and passes, unless
//! `YIZHAN_TEST_REQUIRE_S3=1` (CI) makes that a failure.

use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::attachments::{file_with, jpeg, parties, pdf, upload, uploaded};
use crate::helpers::{spawn_app_with, TestBackend};

const KEY: &str = "yizhan-test";
const SECRET: &str = "yizhan-test-secret-0123456789";
const BUCKET: &str = "yizhan";

/// The running server, stopped when dropped.
struct S3Server {
    child: Child,
    port: u16,
    root: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Option<std::path::PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("s3s-fs"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let home = std::env::var_os("HOME")?;
        let p = std::path::Path::new(&home).join(".cargo/bin/s3s-fs");
        p.is_file().then_some(p)
    })
}

async fn start() -> Option<S3Server> {
    let Some(bin) = binary() else {
        if std::env::var("YIZHAN_TEST_REQUIRE_S3").is_ok_and(|v| v == "1") {
            panic!("YIZHAN_TEST_REQUIRE_S3=1 but s3s-fs is not installed");
        }
        eprintln!("skipped: s3s-fs is not installed (cargo install s3s-fs --version 0.14.1 --features binary --locked)");
        return None;
    };
    let root = tempfile::tempdir().unwrap();
    // s3s-fs keeps each bucket as a directory of its root.
    std::fs::create_dir_all(root.path().join(BUCKET)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", KEY, "--secret-key", SECRET])
        .arg(root.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s3s-fs starts");
    let server = S3Server { child, port, root };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(server);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("s3s-fs did not listen on {port}");
}

async fn round_trip(backend: TestBackend) {
    let Some(s3) = start().await else { return };
    let endpoint = format!("http://127.0.0.1:{}", s3.port);
    let app = spawn_app_with(
        backend,
        &[
            ("YIZHAN__ATTACHMENTS__STORE", "s3"),
            ("YIZHAN__ATTACHMENTS__S3_ENDPOINT", &endpoint),
            ("YIZHAN__ATTACHMENTS__S3_BUCKET", BUCKET),
            ("YIZHAN__ATTACHMENTS__S3_ACCESS_KEY", KEY),
            ("YIZHAN__ATTACHMENTS__S3_SECRET_KEY", SECRET),
            ("YIZHAN__ATTACHMENTS__S3_ALLOW_HTTP", "true"),
            // Larger files go up in parts: one of 9 MB takes that path.
            ("YIZHAN__ATTACHMENTS__MAX_FILE_BYTES", "12000000"),
        ],
    )
    .await;
    let p = parties(&app).await;
    let photo = jpeg(5);
    let large: Vec<u8> = (0..9_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let ids = uploaded(
        &app,
        "/api/v1/attachments",
        &p.enterprise,
        &[
            ("照片.jpg", photo.clone()),
            ("通行证.pdf", pdf()),
            ("清单.txt", large.clone()),
            ("照片副本.jpg", photo.clone()),
        ],
    )
    .await;
    let id = file_with(&app, &p.enterprise, &ids).await;
    app.thumbnails_made().await;
    let items: Value = app
        .get_as(&format!("/api/v1/tickets/{id}/attachments"), &p.officer)
        .await
        .json()
        .await
        .unwrap();
    let items = items["items"].as_array().unwrap();
    for (item, bytes) in items.iter().zip([&photo, &pdf(), &large, &photo]) {
        let res = app
            .get_as(item["download_url"].as_str().unwrap(), &p.enterprise)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(&res.bytes().await.unwrap()[..], &bytes[..]);
    }
    let thumb = app
        .get_as(items[0]["thumbnail_url"].as_str().unwrap(), &p.officer)
        .await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    // In the bucket: three objects and one thumbnail (the copy is the same object).
    let stored = crate::attachments::walk(&s3.root.path().join(BUCKET));
    let objects: Vec<_> = stored
        .iter()
        .filter(|p| p.to_string_lossy().contains("/sha256/"))
        .collect();
    assert_eq!(objects.len(), 3, "{stored:?}");
    // An upload no step took is swept from the bucket a day later.
    let res = upload(
        &app,
        "/api/v1/attachments",
        &p.enterprise,
        &[("孤.pdf", b"%PDF-1.4 orphan".to_vec())],
    )
    .await;
    assert_eq!(res.status(), 201);
    let before = crate::attachments::walk(&s3.root.path().join(BUCKET)).len();
    let attachments = yizhan::services::attachments::Attachments::new(&app.settings.attachments)
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::hours(26));
    let report = yizhan::services::attachments::sweep(&app.db, &attachments, app.clock.now())
        .await
        .unwrap();
    assert_eq!(report.pending_forgotten, 1);
    assert_eq!(report.objects_deleted, 1);
    let after = crate::attachments::walk(&s3.root.path().join(BUCKET));
    assert!(
        after.len() < before && after.len() == stored.len(),
        "{after:?}"
    );
    for item in items {
        let res = app
            .get_as(item["download_url"].as_str().unwrap(), &p.enterprise)
            .await;
        assert_eq!(res.status(), 200, "what is attached stays");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_round_trip_through_an_s3_store_sqlite() {
    round_trip(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_round_trip_through_an_s3_store_postgres() {
    if !crate::helpers::postgres_configured() {
        return;
    }
    round_trip(TestBackend::Postgres).await;
}
