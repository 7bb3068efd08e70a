use crate::each_backend;
use crate::helpers::PASSWORD;

/// Every route the service serves, as (method, OpenAPI path).
const ROUTES: [(&str, &str); 106] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/v1/regions"),
    ("post", "/api/v1/regions/lookup"),
    ("get", "/api/v1/regions/{code}"),
    ("get", "/api/v1/departments/{id}"),
    ("put", "/api/v1/departments/{id}/settings"),
    ("get", "/api/v1/chains"),
    ("get", "/api/v1/categories"),
    ("put", "/api/v1/admin/categories/{code}"),
    ("put", "/api/v1/admin/chains/{code}"),
    ("get", "/api/v1/metrics"),
    ("get", "/api/v1/metrics/export"),
    ("get", "/api/v1/metrics/dashboard"),
    ("get", "/api/v1/metrics/ranking"),
    ("get", "/api/v1/metrics/ranking/export"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/users/{id}"),
    ("get", "/api/v1/enterprises"),
    ("post", "/api/v1/enterprises"),
    ("get", "/api/v1/enterprises/{id}"),
    ("put", "/api/v1/enterprises/{id}"),
    ("post", "/api/v1/enterprises/{id}/verify"),
    ("get", "/api/v1/join-requests"),
    ("post", "/api/v1/join-requests/{id}/approve"),
    ("post", "/api/v1/join-requests/{id}/refuse"),
    ("get", "/api/v1/enterprises/{id}/whitelist"),
    ("post", "/api/v1/enterprises/{id}/whitelist"),
    ("post", "/api/v1/whitelist/{id}/remove"),
    ("get", "/api/v1/whitelist/check"),
    ("post", "/api/v1/admin/users"),
    ("get", "/api/v1/admin/users"),
    ("post", "/api/v1/admin/users/{id}/deactivate"),
    ("post", "/api/v1/admin/users/{id}/activate"),
    ("post", "/api/v1/admin/users/{id}/password"),
    ("put", "/api/v1/admin/users/{id}"),
    ("post", "/api/v1/admin/users/{id}/reset-link"),
    ("post", "/api/v1/admin/imports/{kind}"),
    ("get", "/api/v1/admin/routing-rules"),
    ("post", "/api/v1/admin/routing-rules"),
    ("put", "/api/v1/admin/routing-rules/{id}"),
    ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets"),
    ("post", "/api/v1/tickets/bulk"),
    ("get", "/api/v1/tickets/export"),
    ("get", "/api/v1/tickets/{id}"),
    ("get", "/api/v1/tickets/{id}/actions"),
    ("post", "/api/v1/tickets/{id}/actions"),
    ("post", "/api/v1/tickets/{id}/actions/{action}"),
    ("get", "/api/v1/admin/auth-events"),
    ("get", "/api/v1/supervision"),
    ("get", "/api/v1/me/notices"),
    ("put", "/api/v1/me/notices"),
    ("get", "/api/v1/me/notifications"),
    ("post", "/api/v1/me/notifications/{id}/read"),
    ("post", "/api/v1/me/notifications/read-all"),
    ("get", "/api/v1/me/views"),
    ("post", "/api/v1/me/views"),
    ("delete", "/api/v1/me/views/{id}"),
    ("get", "/api/v1/tickets/{id}/filer"),
    ("get", "/api/v1/admin/calendar/{year}"),
    ("put", "/api/v1/admin/calendar/{year}"),
    ("post", "/api/v1/admin/calendar/import"),
    ("get", "/api/v1/admin/sla-policies"),
    ("put", "/api/v1/admin/sla-policies/{name}"),
    ("get", "/api/v1/admin/message-templates"),
    ("get", "/api/v1/admin/message-templates/{kind}/{locale}"),
    ("put", "/api/v1/admin/message-templates/{kind}/{locale}"),
    ("delete", "/api/v1/admin/message-templates/{kind}/{locale}"),
    ("get", "/api/v1/admin/outbox"),
    ("post", "/api/v1/admin/outbox/{id}/resend"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/activate"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("post", "/api/v1/attachments"),
    ("post", "/api/v1/tickets/{id}/attachments"),
    ("get", "/api/v1/tickets/{id}/attachments"),
    ("get", "/api/v1/tickets/{id}/attachments/{aid}"),
    ("get", "/api/v1/tickets/{id}/attachments/{aid}/thumbnail"),
    ("get", "/api/v1/departments/{id}/robots"),
    ("post", "/api/v1/departments/{id}/robots"),
    ("put", "/api/v1/departments/{id}/robots/{robot_id}"),
    ("delete", "/api/v1/departments/{id}/robots/{robot_id}"),
    ("post", "/api/v1/departments/{id}/robots/{robot_id}/test"),
    ("get", "/api/v1/enterprises/{id}/sms-mobile"),
    ("put", "/api/v1/enterprises/{id}/sms-mobile"),
    ("get", "/api/v1/daily-reports/{date}/revisions"),
    ("put", "/api/v1/daily-reports/{date}"),
    ("get", "/api/v1/daily-reports/{date}"),
    ("post", "/api/v1/daily-reports/blockers/{id}/ticket"),
    ("get", "/api/v1/monitoring/lists"),
    ("post", "/api/v1/monitoring/lists"),
    ("get", "/api/v1/monitoring/lists/{id}/members"),
    (
        "put",
        "/api/v1/monitoring/lists/{id}/members/{enterprise_id}",
    ),
    (
        "delete",
        "/api/v1/monitoring/lists/{id}/members/{enterprise_id}",
    ),
    ("put", "/api/v1/enterprises/{id}/industry"),
    ("get", "/api/v1/monitoring/overview"),
    ("get", "/api/v1/monitoring/export"),
    ("get", "/api/v1/monitoring/missing"),
    ("post", "/api/v1/monitoring/missing/urge"),
];

/// Routes that need no token.
const PUBLIC: [&str; 9] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/regions",
    "/api/v1/regions/{code}",
    "/api/v1/chains",
    "/api/v1/categories",
    "/api/v1/departments/{id}",
    "/api/v1/whitelist/check",
];

each_backend! {
    async fn the_openapi_document_lists_every_route(app) {
        let res = app.get("/api/openapi.json").await;
        assert_eq!(res.status(), 200);
        let doc: serde_json::Value = res.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        let mut listed: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.clone(), p.clone()))
            })
            .collect();
        listed.sort();
        let mut expected: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        expected.sort();
        assert_eq!(listed, expected);
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        let type_doc = doc["components"]["schemas"]["Problem"]["properties"]["type"]["description"].as_str().unwrap_or_default();
        assert!(type_doc.contains("urn:yizhan:problem:<slug>") && type_doc.contains("transfer-to-parent"), "{type_doc}");

        // Each documented GET route answers: public ones with 200, the rest
        // with 401 until a token is shown.
        for (method, path) in ROUTES.iter().filter(|(m, _)| *m == "get") {
            let mut concrete = path
                .replace("{code}", "310115")
                .replace("{id}", "1")
                .replace("{year}", "2026")
                .replace("{date}", "2022-04-28");
            if *path == "/api/v1/whitelist/check" {
                concrete.push_str("?code=91310115591693856A");
            }
            let status = app.get(&concrete).await.status();
            let expected = if PUBLIC.contains(path) { 200 } else { 401 };
            assert_eq!(status, expected, "{method} {concrete}");
        }
        // Protected operations declare the bearer scheme.
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert!(doc["paths"]["/api/v1/me"]["get"]["security"].is_array());
    }

    async fn the_interactive_api_page_is_served_locally(app) {
        let redirect = app.get("/api/docs").await;
        assert_eq!(redirect.status(), 308);
        assert_eq!(redirect.headers()["location"], "/api/docs/");
        let page = app.get("/api/docs/").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "{html}");
        // Assets come from the binary, not a CDN.
        assert!(!html.contains("https://"), "{html}");
        let js = app.get("/api/docs/swagger-ui-bundle.js").await;
        assert_eq!(js.status(), 200);
    }

    async fn the_served_document_is_valid_openapi_3_1(app) {
        // Checked by openapi-spec-validator, the reference validator.
        let doc = app.get("/api/openapi.json").await.text().await.unwrap();
        let file = std::env::temp_dir().join(format!("yizhan-openapi-{}.json", std::process::id()));
        std::fs::write(&file, doc).unwrap();
        let python = tokio::task::spawn_blocking(crate::python::python).await.unwrap();
        let out = std::process::Command::new(python)
            .args(["-c", "import json,sys; from openapi_spec_validator import OpenAPIV31SpecValidator as V; errs=list(V(json.load(open(sys.argv[1]))).iter_errors()); [print(e.message) for e in errs[:20]]; sys.exit(1 if errs else 0)"])
            .arg(&file)
            .output()
            .expect("python3 with openapi-spec-validator");
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "the document is not valid OpenAPI 3.1:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    async fn a_client_generated_from_the_document_files_a_ticket_and_acts(app) {
        // openapi-python-client, a common generator, makes a Python client
        // from the served document; tests/client/file_and_act.py then uses
        // it as an integrator would.
        let e = app.enterprise("长春某汽车线束有限公司", "220122").await;
        app.user("enterprise", "e@client.example", None, Some(e)).await;
        let county = app.department_of("220122").await;
        app.user("officer", "o@client.example", Some(county), None).await;
        let doc = app.get("/api/openapi.json").await.text().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let base_url = app.url("");
        let root = dir.path().to_path_buf();
        let out = tokio::task::spawn_blocking(move || {
            let python = crate::python::python();
            let spec = root.join("openapi.json");
            std::fs::write(&spec, doc).unwrap();
            let generated = std::process::Command::new(&python)
                .args(["-m", "openapi_python_client", "generate", "--meta", "none", "--path"])
                .arg(&spec)
                .arg("--output-path")
                .arg(root.join("yizhan_client"))
                .output()
                .expect("python3 with openapi-python-client");
            assert!(
                generated.status.success(),
                "the generator refused the document:\n{}{}",
                String::from_utf8_lossy(&generated.stdout),
                String::from_utf8_lossy(&generated.stderr)
            );
            std::process::Command::new(&python)
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/client/file_and_act.py"))
                .args([base_url.trim_end_matches('/'), "e@client.example", "o@client.example", PASSWORD])
                .env("PYTHONPATH", &root)
                .output()
                .expect("python3")
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "the generated client failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // What the client did is what the service holds.
        let id: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let token = app.token("o@client.example").await;
        let ticket: serde_json::Value = app
            .get_as(&format!("/api/v1/tickets/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ticket["status"], "awaiting_info");
        assert_eq!(ticket["title"], "线束供应商停产，总装线缺件");
        let kinds: Vec<&str> = ticket["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(kinds.contains(&"sign_for") && kinds.contains(&"request_info"), "{kinds:?}");
    }
}
