//! Hostile input: what curious or careless clients send. Every answer is a
//! clear problem document (never a 5xx), and text of any script comes back
//! exactly as it was sent.

use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp};

/// SQL fragments, scripts of several writing systems, emoji, right-to-left
/// text and control-adjacent characters.
const NASTY: [&str; 8] = [
    "'; DROP TABLE tickets; --",
    "\" OR 1=1 --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    "员工无法返岗😷🚚",
    "مشكلة في سلسلة التوريد",
    "\u{202e}gnp.exe",
    "𠀀𪚥 · Ünïcödé · ｆｕｌｌｗｉｄｔｈ",
    "%s%s%n %x \\ \\\\ $1 ${x} {{x}}",
];

async fn enterprise(app: &TestApp) -> String {
    let e = app.enterprise("上海某汽车零部件有限公司", "310115").await;
    app.user("enterprise", "e@hostile.cn", None, Some(e)).await;
    app.token("e@hostile.cn").await
}

each_backend! {
    async fn injection_and_any_script_are_stored_and_returned_verbatim(app) {
        let token = enterprise(&app).await;
        let pudong = app.department_of("310115").await;
        app.user("officer", "o@hostile.cn", Some(pudong), None).await;
        let officer = app.token("o@hostile.cn").await;
        for text in NASTY {
            let res = app.post_as("/api/v1/tickets", &token, &json!({
                "category": "logistics", "urgency": "normal", "title": text, "description": text
            })).await;
            assert_eq!(res.status(), 201, "{text}");
            let t: Value = res.json().await.unwrap();
            let id = t["id"].as_i64().unwrap();
            let read: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &token).await.json().await.unwrap();
            assert_eq!((read["title"].as_str(), read["description"].as_str()), (Some(text), Some(text)));
            // A comment and a search with the same text.
            let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/comment"), &officer, &json!({"text": text, "internal": false})).await;
            assert_eq!(res.status(), 200, "{text}");
            let q: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
            let res = app.get_as(&format!("/api/v1/tickets?q={q}"), &officer).await;
            assert_eq!(res.status(), 200, "search {text}");
        }
        // A NUL character in a comment or a search: a clear refusal, never a 500.
        let id = app.get_as("/api/v1/tickets?limit=1", &officer).await.json::<Value>().await.unwrap()["items"][0]["id"].as_i64().unwrap();
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/comment"), &officer, &json!({"text": "a\u{0}b", "internal": false})).await;
        assert_problem(res, 422).await;
        let res = app.get_as("/api/v1/tickets?q=%E8%8A%AF%00%E7%89%87", &officer).await;
        assert_problem(res, 422).await;
        // Every ticket is still there: nothing was dropped or deleted.
        let all: Value = app.get_as("/api/v1/tickets?limit=100", &officer).await.json().await.unwrap();
        assert_eq!(all["items"].as_array().unwrap().len(), NASTY.len());
    }

    async fn oversized_deep_and_broken_bodies_are_refused_clearly(app) {
        let token = enterprise(&app).await;
        // Larger than server.json_limit_bytes (256 KiB).
        let huge = "长".repeat(200_000);
        let res = app.post_as("/api/v1/tickets", &token, &json!({
            "category": "logistics", "urgency": "normal", "title": "t", "description": huge
        })).await;
        assert_problem(res, 413).await;
        // Nested ten thousand deep.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&token)
            .header("content-type", "application/json").body(deep).send().await.unwrap();
        let status = res.status().as_u16();
        assert!(status == 400 || status == 422, "{status}");
        assert_problem(res, status).await;
        // Not UTF-8.
        let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&token)
            .header("content-type", "application/json")
            .body(vec![b'{', b'"', b't', 0xff, 0xfe, b'"', b':', b'1', b'}']).send().await.unwrap();
        assert_problem(res, 400).await;
        // A NUL character (PostgreSQL cannot store one in text): said by field.
        let res = app.post_as("/api/v1/tickets", &token, &json!({
            "category": "logistics", "urgency": "normal", "title": "a\u{0}b", "description": "d\u{0}"
        })).await;
        let body = assert_problem(res, 422).await;
        assert!(body.to_string().contains("title") && body.to_string().contains("description"), "{body}");
        // Text fields over their limits: said by field.
        let res = app.post_as("/api/v1/tickets", &token, &json!({
            "category": "logistics", "urgency": "normal", "title": "题".repeat(201), "description": "d"
        })).await;
        let body = assert_problem(res, 422).await;
        assert!(body.to_string().contains("title"), "{body}");
        assert_eq!(app.get_as("/api/v1/tickets", &token).await.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 0, "nothing filed");
    }

    async fn numbers_and_dates_out_of_range_are_refused_clearly(app) {
        let token = enterprise(&app).await;
        let shanghai = app.department_of("310000").await;
        app.user("supervisor", "s@hostile.cn", Some(shanghai), None).await;
        let sup = app.token("s@hostile.cn").await;
        for path in [
            "/api/v1/tickets/99999999999999999999",
            "/api/v1/tickets/-1",
            "/api/v1/tickets?limit=99999999999999999999",
            "/api/v1/tickets?limit=-5",
            "/api/v1/tickets?cursor=abc",
        ] {
            let res = app.get_as(path, &token).await;
            let status = res.status().as_u16();
            assert!((400..500).contains(&status), "{path}: {status}");
            assert_problem(res, status).await;
        }
        for path in [
            "/api/v1/metrics?from=0001-01-01&to=9999-12-31",
            "/api/v1/metrics?from=2026-13-40",
            "/api/v1/metrics?from=2026-05-01&to=2026-04-01",
            "/api/v1/metrics/dashboard?from=1900-01-01&to=2999-12-31&trend_days=100000",
        ] {
            let res = app.get_as(path, &sup).await;
            let status = res.status().as_u16();
            assert!(status == 200 || (400..500).contains(&status), "{path}: {status}");
            if status != 200 {
                assert_problem(res, status).await;
            }
        }
    }
}

/// A one-row enterprise list, as the import reads it.
fn enterprise_list(name: &str, body17: &str) -> String {
    let code = crate::helpers::credit_code(body17);
    format!(
        "统一社会信用代码,企业名称,所在区县代码,地址,产业链,规模,联系人,联系电话,联系邮箱\n\
         {code},{name},320506,地址,汽车,小,联系人,021-55550000,c@example.cn"
    )
}

/// `sheet` as XLSX, with one more zip entry whose name climbs out of any
/// folder it might be unpacked into (a "zip slip").
fn xlsx_with_entry(sheet: &str, entry: &str) -> Vec<u8> {
    use std::io::{Cursor, Write};
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, line) in sheet.lines().enumerate() {
        for (c, v) in line.split(',').enumerate() {
            ws.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    let plain = book.save_to_buffer().unwrap();
    let mut source = zip::ZipArchive::new(Cursor::new(plain)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..source.len() {
        out.raw_copy_file(source.by_index_raw(i).unwrap()).unwrap();
    }
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file(entry, stored).unwrap();
    out.write_all(b"written outside").unwrap();
    out.finish().unwrap().into_inner()
}

each_backend! {
    async fn import_file_names_never_reach_the_file_system(app) {
        app.user("admin", "root@hostile.cn", None, None).await;
        let token = app.token("root@hostile.cn").await;
        let tmp = std::env::temp_dir();
        let tag = format!("yizhan-traversal-{}-{}", std::process::id(), app.address.rsplit(':').next().unwrap());
        let escape = format!("../../../../../../../..{}/{tag}", tmp.display());

        // The API's import kind is one of two words; a path in it finds nothing.
        let list = enterprise_list("路径测试一号有限公司", "91320506000000001").into_bytes();
        for kind in ["..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5C..%5Cwindows%5Cwin.ini", "enterprises%2F..%2F..%2Fwhitelist"] {
            let res = app.upload_as(&format!("/api/v1/admin/imports/{kind}"), &token, list.clone()).await;
            assert_problem(res, 404).await;
        }

        // An XLSX whose zip climbs out of its folder: read in memory, its
        // sheet imported, the stray entry written nowhere.
        let sheet = enterprise_list("路径测试二号有限公司", "91320506000000002");
        let res = app.upload_as("/api/v1/admin/imports/enterprises", &token, xlsx_with_entry(&sheet, &format!("{escape}-zip"))).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert!(!tmp.join(format!("{tag}-zip")).exists(), "a zip entry was written outside");

        // The page's upload: whatever the browser calls the file, only its
        // content is read, and the name is neither stored nor echoed.
        let b = crate::browser::Browser::new(&app);
        b.login("root@hostile.cn").await;
        let names = [format!("{escape}-form.csv"), "..\\..\\..\\Windows\\win.ini".to_string(), "/etc/passwd".to_string(), "名单<script>alert(1)</script>.csv".to_string()];
        for (i, name) in names.iter().enumerate() {
            let csv = enterprise_list(&format!("路径测试表单{i}号有限公司"), &format!("9132050600000010{i}"));
            let form = reqwest::multipart::Form::new()
                .text("csrf", b.csrf().await)
                .text("kind", "enterprises")
                .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name(name.clone()));
            let res = b.client.post(app.url("/admin/enterprises/import")).multipart(form).send().await.unwrap();
            assert_eq!(res.status(), 200, "{name}");
            let html = res.text().await.unwrap();
            assert!(!html.contains(name.as_str()) && !html.contains("<script>alert(1)"), "{name} echoed: {html}");
        }
        assert!(!tmp.join(format!("{tag}-form.csv")).exists(), "an upload was written outside");
        let found: Value = app.get_as("/api/v1/enterprises?q=路径测试", &token).await.json().await.unwrap();
        assert_eq!(found["items"].as_array().unwrap().len(), 5, "{found}");
    }
}
