use crate::each_backend;
use crate::helpers::assert_problem;

each_backend! {
    async fn healthz_answers_and_echoes_the_request_id(app) {
        let res = app
            .client
            .get(app.url("/healthz"))
            .header("X-Request-Id", "trace-me-42")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-request-id"], "trace-me-42");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }

    async fn a_request_id_is_generated_when_none_is_sent(app) {
        let first = app.get("/healthz").await;
        let second = app.get("/healthz").await;
        let a = first.headers()["x-request-id"].to_str().unwrap().to_string();
        let b = second.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(a.len(), 36, "a UUID: {a}");
        assert_ne!(a, b);
    }

    async fn readiness_follows_the_database(app) {
        let ready = app.get_json("/readyz").await;
        assert_eq!(ready, serde_json::json!({"status": "ready"}), "only ready or not");

        app.take_database_away().await;
        let problem = assert_problem(app.get("/readyz").await, 503).await;
        assert_eq!(problem["title"], "服务暂不可用");
        // Strangers learn nothing about the database: no backend, host,
        // port, user or driver error.
        let told = problem.to_string().to_lowercase();
        for secret in ["sqlite", "postgres", "127.0.0.1", "localhost", "yizhan_test", "password", "connection", "user"] {
            assert!(!told.contains(secret), "/readyz told `{secret}`: {told}");
        }
        // Other API calls fail the same way, quickly and clearly.
        let started = std::time::Instant::now();
        let res = app.get("/api/v1/regions/310115").await;
        if app.backend == crate::helpers::TestBackend::Postgres {
            assert_problem(res, 503).await;
            assert!(started.elapsed().as_secs() < 5);
        }

        app.bring_database_back().await;
        let mut last = 0;
        for _ in 0..20 {
            last = app.get("/readyz").await.status().as_u16();
            if last == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        assert_eq!(last, 200, "ready again once the database is back");
    }

    async fn metrics_count_requests_by_route_pattern(app) {
        app.get("/api/v1/regions/310115").await;
        app.get("/api/v1/regions/310115").await;
        let res = app.get("/metrics").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = res.text().await.unwrap();
        assert!(
            text.lines().any(|l| l.starts_with("http_requests_total{")
                && l.contains("route=\"/api/v1/regions/{code}\"")
                && l.contains("status=\"200\"")),
            "{text}"
        );
        assert!(text.contains("http_request_duration_seconds_bucket{"), "{text}");
        assert!(text.contains("db_pool_max_size 4"), "{text}");
        assert!(text.contains("db_pool_wait_seconds"), "{text}");
    }

    async fn invented_methods_do_not_grow_the_metrics(app) {
        let before = app.get("/metrics").await.text().await.unwrap().len();
        for i in 0..300 {
            let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
            let res = app
                .client
                .request(method, app.url(&format!("/api/v1/no-such-path-{i}")))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_client_error());
        }
        let text = app.get("/metrics").await.text().await.unwrap();
        assert!(!text.contains("INVENTED"), "a raw method became a label");
        assert!(!text.contains("no-such-path"), "a raw path became a label");
        assert!(
            text.lines().any(|l| l.starts_with("http_requests_total{")
                && l.contains("method=\"other\"")
                && l.contains("route=\"unmatched\"")),
            "{text}"
        );
        // 300 invented methods and paths added a handful of series, not 300.
        assert!(text.len() < before + 20_000, "{} bytes grew to {}", before, text.len());
    }
}

/// The pool lends a connection that worked within the last second without
/// a `SELECT 1` first (`storage::connection`). When the server closes its
/// connections, a request can take one that has not been checked since:
/// that request gets a 503 and the connection is checked, and so dropped,
/// before it is lent again. A connection idle longer is checked first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_closed_fail_no_more_than_one_request_each() {
    if !crate::helpers::postgres_configured() {
        return;
    }
    let app = crate::helpers::spawn_app_with(crate::helpers::TestBackend::Postgres, &[]).await;
    let region = "/api/v1/regions/310115";
    // Idle for more than a second: checked, so nobody notices.
    assert_eq!(app.get(region).await.status(), 200);
    app.close_server_connections().await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for _ in 0..5 {
        assert_eq!(
            app.get(region).await.status(),
            200,
            "checked before it is lent"
        );
    }
    // Closed a moment after they worked: at most one failure per pooled
    // connection (4 in tests), each a 503 problem; then all is well.
    app.close_server_connections().await;
    let mut failed = 0;
    for _ in 0..12 {
        let res = app.get(region).await;
        if res.status() != 200 {
            assert_problem(res, 503).await;
            failed += 1;
        }
    }
    assert!(failed <= 4, "{failed} requests failed");
    for _ in 0..5 {
        assert_eq!(app.get(region).await.status(), 200);
    }
}
